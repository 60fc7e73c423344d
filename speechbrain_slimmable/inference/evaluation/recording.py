"""Keyword detection on a user's own recording, scored against its truth.

A recording labelled by hand (a CSV of ``label,start,end`` in seconds, one
line a spoken word, or a JSON list of ``{"label", "start", "end"}``
objects) is run through the detector of a width, a width cascade or an
exported ONNX file, and its events are matched to the words as the
benchmarks match them (:mod:`~speechbrain_slimmable.inference.evaluation.
detection_metrics`, the same code): keywords found and false alarms per
hour at the detector's threshold, the false rejection rate at 1, 5 and 12
false alarms per hour, and the whole DET curve.

Authors
 * speechbrain-slimmable developers 2026
"""

import csv
import json

from speechbrain_slimmable.dataio.kws_streams import Word
from speechbrain_slimmable.inference.evaluation.detection_metrics import (
    MARGIN_THRESHOLDS,
    det_curve,
    frr_at,
    stream_posteriors,
)
from speechbrain_slimmable.inference.streaming.events import NEVER_REPORTED
from speechbrain_slimmable.inference.streaming.pretrained_detector import (
    build_detector,
    class_labels,
)

TRUTH_COLUMNS = ("label", "start", "end")
FA_POINTS = (1.0, 5.0, 12.0)  # false alarms per hour the FRR is read at
SWEPT = MARGIN_THRESHOLDS  # thresholds of the DET: posteriors and margins
# Options of build_detector that choose the scorer, not the decoder.
BUILDING = ("width", "threshold", "onnx", "cascade", "gate", "score_every")


def read_truth(path):
    """The words of a recording, from a CSV or a JSON file.

    Arguments
    ---------
    path : str or os.PathLike
        A CSV whose header names ``label``, ``start`` and ``end``
        (seconds), or a ``.json`` file holding a list of objects with those
        keys. An optional ``centre`` (seconds) says where the word's energy
        is when ``start`` and ``end`` bound more than the word (e.g. the
        one-second clip it came in); by default its middle.

    Returns
    -------
    list of Word

    Example
    -------
    >>> path = getfixture("tmp_path") / "truth.csv"
    >>> _ = path.write_text("label,start,end\\nyes,1.0,2.0\\n")
    >>> read_truth(path)
    [Word('yes', 1.000, 2.000)]
    >>> json_path = getfixture("tmp_path") / "truth.json"
    >>> _ = json_path.write_text('[{"label": "no", "start": 3, "end": 4}]')
    >>> read_truth(json_path)
    [Word('no', 3.000, 4.000)]
    >>> _ = path.write_text("label,start,end,centre\\nyes,1.0,2.0,1.2\\n")
    >>> read_truth(path)[0].centre
    1.2
    >>> _ = path.write_text("word,time\\nyes,1.0\\n")
    >>> read_truth(path)
    Traceback (most recent call last):
    ...
    ValueError: ... needs the columns label, start, end (seconds), has word, time
    """
    if str(path).endswith(".json"):
        with open(path, encoding="utf-8") as f:
            rows = json.load(f)
        if not isinstance(rows, list) or not all(
            isinstance(row, dict) and set(TRUTH_COLUMNS) <= set(row)
            for row in rows
        ):
            raise ValueError(
                f"{path} must hold a list of objects with the keys "
                f"{', '.join(TRUTH_COLUMNS)} (seconds)"
            )
        columns = TRUTH_COLUMNS
    else:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            columns = reader.fieldnames or []
            rows = list(reader)
    if not set(TRUTH_COLUMNS) <= set(columns):
        raise ValueError(
            f"{path} needs the columns {', '.join(TRUTH_COLUMNS)} "
            f"(seconds), has {', '.join(columns)}"
        )
    try:
        return [
            Word(
                row["label"],
                float(row["start"]),
                float(row["end"]),
                centre=float(row["centre"]) if row.get("centre") else None,
            )
            for row in rows
        ]
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: {error}") from None


def score_recording(classifier, audio, words, hop=0.1, **detector):
    """Keywords found, false alarms and the DET curve of one detector.

    Arguments
    ---------
    classifier : SlimmableKWSClassifier
        The model.
    audio : str or os.PathLike
        The recording (read as ``classifier.load_audio`` reads it).
    words : list of Word
        Its truth (:func:`read_truth`); words the detector never reports
        (``_unknown_``, ``_silence_``) only turn events into false alarms.
    hop : float
        Seconds between windows.
    **detector : dict
        What :func:`~speechbrain_slimmable.inference.streaming.
        pretrained_detector.build_detector` takes: ``width``,
        ``threshold``, ``onnx``, ``cascade``, ``gate`` and the decoder's
        options. The threshold defaults to the model folder's.

    Returns
    -------
    dict
        ``keywords``, ``threshold``, ``found``, ``recall`` (%),
        ``false_alarms``, ``false_alarms_per_hour``, ``frr_at`` (false
        rejection rate at each of :data:`FA_POINTS` false alarms per hour,
        by the best threshold of the curve) and ``det`` (the curve).
    """
    built = build_detector(classifier, hop=hop, **detector)
    decoder = built.decoder
    wav = classifier.load_audio(audio)
    rate = classifier.hparams.sample_rate
    posteriors = stream_posteriors(built.scorer, wav, decoder.window, hop, rate)
    hours = wav.numel() / rate / 3600
    labels = class_labels(classifier)
    threshold = float(decoder.thresholds[decoder.keywords].min())
    options = {
        key: value for key, value in detector.items() if key not in BUILDING
    }
    options["decision"] = decoder.decision  # the folder's, by default
    chosen, *curve = det_curve(
        [posteriors],
        [words],
        hours,
        labels,
        (threshold, *SWEPT),
        window=decoder.window,
        hop=hop,
        **options,
    )
    keywords = sum(word.label not in NEVER_REPORTED for word in words)
    found = keywords - round(chosen["frr"] * keywords)
    return {
        "keywords": keywords,
        "threshold": threshold,
        "found": found,
        "recall": 100 * found / keywords if keywords else 0.0,
        "false_alarms": chosen["false_alarms"],
        "false_alarms_per_hour": chosen["fa_per_hour"],
        "frr_at": {fa: frr_at(curve, fa) for fa in FA_POINTS},
        "det": curve,
    }
