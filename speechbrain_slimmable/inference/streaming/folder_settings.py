"""What a model folder says about detection, in its ``hyperparams.yaml``.

Three entries, each measured on the folder's own validation streams (see
``benchmarks cascade`` and ``benchmarks thresholds``) and read by
:func:`~speechbrain_slimmable.inference.streaming.pretrained_detector.
build_detector`:

* ``detection_threshold``: one number, or one per width;
* ``detection_decision``: the decoder's decision those thresholds were
  measured with (``posterior`` or ``margin``, see
  :class:`~speechbrain_slimmable.inference.streaming.events.EventDecoder`);
* ``detection_cascade``: the width cascade (``narrow``, ``wide``, ``gate``,
  ``threshold``).

Authors
 * speechbrain-slimmable developers 2026
"""

import os
import re

from speechbrain_slimmable.inference.streaming.events import DEFAULT_THRESHOLD
from speechbrain_slimmable.nnet.width import resolve_width

THRESHOLD_KEY = "detection_threshold"
CASCADE_KEY = "detection_cascade"
DECISION_KEY = "detection_decision"
CASCADE_FIELDS = ("narrow", "wide", "gate", "threshold")


def default_threshold(classifier, width=None):
    """The model folder's threshold for ``width`` (the widest by default).

    Read from the key ``detection_threshold`` of its ``hyperparams.yaml``:
    one number, or one per width (``{width: threshold}``), as written by
    :func:`write_detection_threshold`; ``DEFAULT_THRESHOLD`` when absent.

    Example
    -------
    >>> default_threshold(getfixture("tiny_classifier"))
    0.8
    """
    value = getattr(classifier.hparams, THRESHOLD_KEY, None)
    if isinstance(value, dict):
        width = resolve_width(width, classifier.widths)
        value = {float(k): v for k, v in value.items()}.get(float(width))
    return DEFAULT_THRESHOLD if value is None else float(value)


def default_cascade(classifier):
    """The width cascade the model folder measured, or None.

    Read from the key ``detection_cascade`` of its ``hyperparams.yaml``, as
    written by :func:`write_detection_cascade`.

    Returns
    -------
    dict or None
        ``narrow`` and ``wide`` (widths), ``gate`` and ``threshold``.

    Example
    -------
    >>> default_cascade(getfixture("tiny_classifier")) is None
    True
    """
    value = getattr(classifier.hparams, CASCADE_KEY, None)
    if value is None:
        return None
    return {key: float(value[key]) for key in CASCADE_FIELDS}


def default_decision(classifier):
    """The decoder's decision the folder's thresholds were measured with
    (``"posterior"`` when it names none).

    Example
    -------
    >>> default_decision(getfixture("tiny_classifier"))
    'posterior'
    """
    return getattr(classifier.hparams, DECISION_KEY, "posterior")


def write_detection_cascade(folder, narrow, wide, gate, threshold):
    """Write the measured width cascade into a model folder's hyperparams.

    Replaces the ``detection_cascade`` entry of ``hyperparams.yaml`` (or
    adds one at its end), which :func:`build_detector` reads.

    Example
    -------
    >>> folder = getfixture("tmp_path")
    >>> _ = (folder / "hyperparams.yaml").write_text("sample_rate: 16000\\n")
    >>> write_detection_cascade(folder, 0.25, 1.0, 0.2, 0.6)
    >>> print((folder / "hyperparams.yaml").read_text().strip())
    sample_rate: 16000
    detection_cascade:
        narrow: 0.25
        wide: 1.0
        gate: 0.2
        threshold: 0.6
    """
    lines = [
        f"    narrow: {float(narrow)}",
        f"    wide: {float(wide)}",
        f"    gate: {float(gate):.4g}",
        f"    threshold: {float(threshold):.4g}",
    ]
    _write_entry(folder, CASCADE_KEY, "\n".join(lines))


def write_detection_decision(folder, decision):
    """Write the decoder's decision (see :class:`EventDecoder`) that the
    folder's thresholds were measured with into its hyperparams.

    Example
    -------
    >>> folder = getfixture("tmp_path")
    >>> _ = (folder / "hyperparams.yaml").write_text("sample_rate: 16000\\n")
    >>> write_detection_decision(folder, "margin")
    >>> print((folder / "hyperparams.yaml").read_text().strip())
    sample_rate: 16000
    detection_decision: margin
    """
    _write_entry(folder, DECISION_KEY, decision)


def write_detection_threshold(folder, thresholds):
    """Write the default thresholds into a model folder's hyperparams.

    Replaces the ``detection_threshold`` entry of ``hyperparams.yaml`` (or
    adds one at its end); the rest of the file is kept as it is.

    Arguments
    ---------
    folder : str or os.PathLike
        A model folder.
    thresholds : float or dict
        One threshold, or one per width (``{width: threshold}``).

    Example
    -------
    >>> folder = getfixture("tmp_path")
    >>> _ = (folder / "hyperparams.yaml").write_text("sample_rate: 16000\\n")
    >>> write_detection_threshold(folder, {1.0: 0.9, 0.5: 0.85})
    >>> write_detection_threshold(folder, {1.0: 0.7})
    >>> print((folder / "hyperparams.yaml").read_text().strip())
    sample_rate: 16000
    detection_threshold:
        1.0: 0.7
    """
    if isinstance(thresholds, dict):
        lines = [
            f"    {float(w)}: {float(t):.4g}" for w, t in thresholds.items()
        ]
        _write_entry(folder, THRESHOLD_KEY, "\n".join(lines))
    else:
        _write_entry(folder, THRESHOLD_KEY, f"{float(thresholds):.4g}")


def _write_entry(folder, key, value):
    """Replace (or append) the top-level ``key`` of a model folder's
    ``hyperparams.yaml`` with ``value`` (inline, or indented lines)."""
    path = os.path.join(os.fspath(folder), "hyperparams.yaml")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{folder} is not a model folder: no {path}")
    with open(path, encoding="utf-8") as stream:
        text = stream.read()
    text = re.sub(rf"(?m)^{key}:.*\n(?:[ \t]+.*\n)*", "", text)
    entry = f"{key}:\n{value}" if value.startswith(" ") else f"{key}: {value}"
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(text.rstrip("\n") + "\n" + entry + "\n")
