"""Measuring a model: clip accuracy and keyword detection.

``clip_accuracy`` reads labelled clips and counts the answers of every
width (the CLI's ``eval``, the benchmarks); ``detection_metrics`` scores
events against the truth of a stream (found keywords, false alarms per
hour, DET curves).

Authors
 * speechbrain-slimmable developers 2026
"""
