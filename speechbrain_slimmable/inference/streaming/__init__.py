"""Keyword detection in long audio and live streams.

``sliding_windows`` slides the model's window over audio, sharing the
front end's frames between windows (``shared_frames``); ``events`` turns
the posteriors of consecutive windows into keyword events;
``pretrained_detector`` builds that detector for a pretrained model (its
scorers and detection thresholds).

Authors
 * speechbrain-slimmable developers 2026
"""
