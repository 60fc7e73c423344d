"""Keyword detection with a pretrained model: scorers and thresholds.

Binds the model-agnostic detection of :mod:`speechbrain_slimmable.inference.detection`
to a :class:`~speechbrain_slimmable.inference.SlimmableKWSClassifier`: its
windows are scored by the PyTorch subnet at a width or by an exported ONNX
file with onnxruntime (the loop a device runs), and its default threshold
is read from (and written into) the model folder's ``hyperparams.yaml``.

Authors
 * speechbrain-slimmable developers 2026
"""

import os
import re

import numpy
import torch

from speechbrain_slimmable.inference.detection import (
    DEFAULT_THRESHOLD,
    EventDecoder,
    SlidingWindowDetector,
)

THRESHOLD_KEY = "detection_threshold"


def build_detector(
    classifier,
    width=None,
    threshold=None,
    onnx=None,
    hop=0.1,
    name="stream",
    **options,
):
    """A :class:`SlidingWindowDetector` for a classifier.

    Arguments
    ---------
    classifier : SlimmableKWSClassifier
        The model; its window is ``clip_samples`` long.
    width : float, optional
        The width to run (the widest by default). With ``onnx`` it only
        selects the default threshold, if the file does not name its own.
    threshold : float or dict, optional
        See :class:`EventDecoder`; by default the model folder's
        (:func:`default_threshold`).
    onnx : str, os.PathLike or onnxruntime.InferenceSession, optional
        Run this exported file instead of PyTorch (see
        :func:`window_scorer`); its default threshold is that of the
        width its metadata names (else of ``width``, else the widest).
    hop : float
        Seconds between window starts.
    name : str
        How errors name the audio.
    **options : dict
        Passed to :class:`EventDecoder` (``smoothing``, ``lookahead``,
        ``refractory``, ``release``).

    Returns
    -------
    SlidingWindowDetector

    Example
    -------
    >>> detector = build_detector(getfixture("tiny_classifier"), 0.5)
    >>> detector.window, detector.hop, detector.decoder.labels
    (16000, 1600, ['_silence_', 'yes'])
    """
    if onnx is not None:
        onnx = _session(onnx)
        width = _onnx_width(onnx) or width
    scorer = window_scorer(classifier, None if onnx else width, onnx)
    if threshold is None:
        threshold = default_threshold(classifier, width)
    rate = classifier.hparams.sample_rate
    decoder = EventDecoder(
        class_labels(classifier),
        threshold,
        window=classifier.hparams.clip_samples / rate,
        hop=hop,
        **options,
    )
    return SlidingWindowDetector(scorer, decoder, rate, name=name)


def window_scorer(classifier, width=None, onnx=None):
    """A callable scoring windows with a classifier's model.

    Arguments
    ---------
    classifier : SlimmableKWSClassifier
        The model (its features and, without ``onnx``, its supernet).
    width : float, optional
        The width of the PyTorch subnet (the widest by default).
    onnx : str, os.PathLike or onnxruntime.InferenceSession, optional
        An ONNX file exported from the model (waveform or features in; see
        :func:`speechbrain_slimmable.inference.export.export_onnx`), or a session of
        one: run it instead of PyTorch (``width`` must then be None).

    Returns
    -------
    callable
        Waveforms ``(batch, clip_samples)`` to posterior probabilities
        ``(batch, n_classes)`` as a float64 numpy array.

    Example
    -------
    >>> scorer = window_scorer(getfixture("tiny_classifier"), width=0.5)
    >>> scorer(torch.zeros(3, 16000)).shape
    (3, 2)
    """
    if onnx is None:
        net = classifier.subnet(
            classifier.widths[0] if width is None else width,
            include_features=True,
        ).to(classifier.device)
        return _TorchScorer(net, classifier.device)
    if width is not None:
        raise ValueError(
            "give either a width or an ONNX file: the file fixes the width"
        )
    return _OnnxScorer(
        _session(onnx),
        classifier.mods.compute_features,
        classifier.device,
        classifier.hparams.clip_samples,
    )


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
        width = classifier.widths[0] if width is None else width
        value = {float(k): v for k, v in value.items()}.get(float(width))
    return DEFAULT_THRESHOLD if value is None else float(value)


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
    path = os.path.join(os.fspath(folder), "hyperparams.yaml")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{folder} is not a model folder: no {path}")
    with open(path, encoding="utf-8") as stream:
        text = stream.read()
    text = re.sub(rf"(?m)^{THRESHOLD_KEY}:.*\n(?:[ \t]+.*\n)*", "", text)
    if isinstance(thresholds, dict):
        lines = [
            f"    {float(w)}: {float(t):.4g}" for w, t in thresholds.items()
        ]
        entry = f"{THRESHOLD_KEY}:\n" + "\n".join(lines)
    else:
        entry = f"{THRESHOLD_KEY}: {float(thresholds):.4g}"
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(text.rstrip("\n") + "\n" + entry + "\n")


def class_labels(classifier):
    """The model's class labels in output order."""
    encoder = classifier.hparams.label_encoder
    return [str(encoder.ind2lab[i]) for i in range(len(encoder))]


class _TorchScorer:
    """Softmax of a waveform-to-logits module, no gradients."""

    def __init__(self, net, device):
        self.net = net
        self.device = device

    def __call__(self, windows):
        with torch.no_grad():
            logits = self.net(windows.to(self.device))
        return torch.softmax(logits.double(), dim=-1).cpu().numpy()


class _OnnxScorer:
    """Softmax of an onnxruntime session (waveform or features in)."""

    def __init__(self, session, compute_features, device, clip_samples):
        from speechbrain_slimmable.inference.export import run_onnx

        self.run = run_onnx
        self.session = session
        self.compute_features = None
        self.device = device
        shape = session.get_inputs()[0].shape
        if len(shape) == 3:  # a features-in graph: features computed here
            self.compute_features = compute_features
        elif isinstance(shape[1], int) and shape[1] != clip_samples:
            raise ValueError(
                f"the ONNX graph reads {shape[1]} samples but the model's "
                f"clips have {clip_samples}: it is not this model's"
            )

    def __call__(self, windows):
        inputs = windows
        if self.compute_features is not None:
            with torch.no_grad():
                inputs = self.compute_features(windows.to(self.device))
        logits = self.run(self.session, inputs).astype(numpy.float64)
        logits -= logits.max(axis=-1, keepdims=True)
        exp = numpy.exp(logits)
        return exp / exp.sum(axis=-1, keepdims=True)


def _session(onnx):
    """An onnxruntime session: the given one, or one for a file."""
    if not isinstance(onnx, (str, os.PathLike)):
        return onnx
    from speechbrain_slimmable.inference.export import onnx_session

    if not os.path.isfile(onnx):
        raise FileNotFoundError(f"ONNX file {os.fspath(onnx)} does not exist")
    return onnx_session(onnx)


def _onnx_width(session):
    """The width an exported file's metadata names, or None."""
    metadata = session.get_modelmeta().custom_metadata_map
    return float(metadata["width"]) if "width" in metadata else None
