"""Keyword detection on a user's own recording, scored against its truth.

A recording labelled by hand (a CSV of ``label,start,end`` in seconds, one
line a spoken word) is run through ``detect`` at each width, and its events
are matched to the words as the benchmarks match them
(:func:`~speechbrain_slimmable.inference.evaluation.detection_metrics.
match_events`): keywords found, and false alarms per hour.

Authors
 * speechbrain-slimmable developers 2026
"""

import csv

import soundfile

from speechbrain_slimmable.dataio.kws_streams import Word
from speechbrain_slimmable.inference.evaluation.detection_metrics import (
    match_events,
)
from speechbrain_slimmable.inference.streaming.events import NEVER_REPORTED

TRUTH_COLUMNS = ("label", "start", "end")


def read_truth(path):
    """The words of a recording from a CSV of ``label,start,end`` (seconds).

    Arguments
    ---------
    path : str or os.PathLike
        The truth file; its header names the three columns.

    Returns
    -------
    list of Word

    Example
    -------
    >>> path = getfixture("tmp_path") / "truth.csv"
    >>> _ = path.write_text("label,start,end\\nyes,1.0,2.0\\n")
    >>> read_truth(path)
    [Word('yes', 1.000, 2.000)]
    >>> _ = path.write_text("word,time\\nyes,1.0\\n")
    >>> read_truth(path)
    Traceback (most recent call last):
    ...
    ValueError: ... needs the columns label, start, end (seconds), has word, time
    """
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        if not set(TRUTH_COLUMNS) <= set(columns):
            raise ValueError(
                f"{path} needs the columns {', '.join(TRUTH_COLUMNS)} "
                f"(seconds), has {', '.join(columns)}"
            )
        try:
            return [
                Word(row["label"], float(row["start"]), float(row["end"]))
                for row in reader
            ]
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None


def detection_rows(classifier, audio, words, widths, threshold=None):
    """Keywords found and false alarms at each width on one recording.

    Arguments
    ---------
    classifier : SlimmableKWSClassifier
        The model, at its folder's detection thresholds unless
        ``threshold`` is given.
    audio : str or os.PathLike
        The recording.
    words : list of Word
        Its truth (:func:`read_truth`); words the detector never reports
        (``_unknown_``, ``_silence_``) only turn events into false alarms.
    widths : list of float
        The widths to score.
    threshold : float, optional
        One threshold for every width.

    Returns
    -------
    list of dict
        Per width: ``width``, ``keywords``, ``found``, ``recall`` (%),
        ``false_alarms`` and ``false_alarms_per_hour``.
    """
    hours = soundfile.info(str(audio)).duration / 3600
    keywords = sum(word.label not in NEVER_REPORTED for word in words)
    rows = []
    for width in widths:
        events = list(
            classifier.detect_file(audio, width=width, threshold=threshold)
        )
        found, false_alarms = match_events(events, words)
        rows.append(
            {
                "width": width,
                "keywords": keywords,
                "found": found,
                "recall": 100 * found / keywords if keywords else 0.0,
                "false_alarms": false_alarms,
                "false_alarms_per_hour": false_alarms / hours,
            }
        )
    return rows
