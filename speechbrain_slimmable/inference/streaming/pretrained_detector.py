"""Keyword detection with a pretrained model: scorers and thresholds.

Binds the model-agnostic detection of :mod:`speechbrain_slimmable.inference.streaming.sliding_windows`
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

from speechbrain_slimmable.inference.serving.fbank import split_front_end
from speechbrain_slimmable.inference.streaming.events import (
    DEFAULT_THRESHOLD,
    EventDecoder,
)
from speechbrain_slimmable.inference.streaming.shared_frames import (
    FrameCache,
    SharedFrameFeatures,
)
from speechbrain_slimmable.inference.streaming.sliding_windows import (
    SlidingWindowDetector,
)
from speechbrain_slimmable.nnet.width import resolve_width

THRESHOLD_KEY = "detection_threshold"


def build_detector(
    classifier,
    width=None,
    threshold=None,
    onnx=None,
    hop=0.1,
    name="stream",
    score_every=None,
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
    score_every : float, optional
        Seconds of audio between scoring calls (default: every hop); see
        :class:`SlidingWindowDetector`.
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
    return SlidingWindowDetector(
        scorer, decoder, rate, name=name, score_every=score_every
    )


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
    front_end = _FrontEnd(
        classifier.mods.compute_features,
        classifier.front_end,
        classifier.hparams.clip_samples,
        classifier.device,
    )
    if onnx is None:
        model = classifier.subnet(width).to(classifier.device)
        return _TorchScorer(front_end, model)
    if width is not None:
        raise ValueError(
            "give either a width or an ONNX file: the file fixes the width"
        )
    return _OnnxScorer(_session(onnx), front_end)


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


class _FrontEnd:
    """The model's front end on windows, or on the span of many windows.

    Window by window it runs the classifier's inference front end (its
    filterbank computed once). On a span, the STFT frames that overlapping
    windows share are computed once (:class:`SharedFrameFeatures`, built
    from the model folder's own front end) when that front end allows it,
    with the same features as window by window up to float rounding.
    """

    def __init__(self, compute_features, inference_front_end, window, device):
        self.inference_front_end = inference_front_end
        self.window = window
        self.device = device
        self.parts = split_front_end(compute_features)
        self.shared = {}  # hop -> SharedFrameFeatures, or None

    def windows(self, windows):
        """Features of waveforms ``(batch, window)``."""
        with torch.no_grad():
            return self.inference_front_end(windows.to(self.device))

    def span(self, span, count, hop, state):
        """Features of the ``count`` windows of ``span``, ``hop`` apart.

        ``state`` is the stream's (see ``SlidingWindowDetector``): it keeps
        the frames the next span shares with this one.
        """
        if hop not in self.shared:
            self.shared[hop] = self._shared_frames(hop)
        shared = self.shared[hop]
        if shared is None:
            return self.windows(span.unfold(0, self.window, hop)[:count])
        cache = state.setdefault("frames", FrameCache())
        with torch.no_grad():
            return shared(span.to(self.device), count, cache)

    def _shared_frames(self, hop):
        """A SharedFrameFeatures for ``hop``, or None if it cannot be."""
        if self.parts is None:
            return None
        try:
            shared = SharedFrameFeatures(*self.parts, self.window, hop)
        except ValueError:  # windows off the STFT's frame grid
            return None
        return shared.to(self.device)


class _TorchScorer:
    """Softmax of a features-to-logits module, no gradients."""

    def __init__(self, front_end, model):
        self.front_end = front_end
        self.model = model

    def __call__(self, windows):
        return self._posteriors(self.front_end.windows(windows))

    def score_span(self, span, count, hop, state):
        """Posteriors of the ``count`` windows of ``span``."""
        return self._posteriors(self.front_end.span(span, count, hop, state))

    def _posteriors(self, features):
        with torch.no_grad():
            logits = self.model(features)
        return torch.softmax(logits.double(), dim=-1).cpu().numpy()


class _OnnxScorer:
    """Softmax of an onnxruntime session (waveform or features in).

    A waveform-in graph scores each window whole (the exported front end
    included); for a features-in graph the front end runs here, sharing
    the frames of overlapping windows.
    """

    def __init__(self, session, front_end):
        from speechbrain_slimmable.inference.export import run_onnx

        self.run = run_onnx
        self.session = session
        self.front_end = front_end
        shape = session.get_inputs()[0].shape
        self.features_in = len(shape) == 3
        if not self.features_in and isinstance(shape[1], int):
            if shape[1] != front_end.window:
                raise ValueError(
                    f"the ONNX graph reads {shape[1]} samples but the "
                    f"model's clips have {front_end.window}: it is not "
                    "this model's"
                )

    def __call__(self, windows):
        if self.features_in:
            windows = self.front_end.windows(windows)
        return self._posteriors(windows)

    def score_span(self, span, count, hop, state):
        """Posteriors of the ``count`` windows of ``span``."""
        if self.features_in:
            features = self.front_end.span(span, count, hop, state)
            return self._posteriors(features)
        return self(span.unfold(0, self.front_end.window, hop)[:count])

    def _posteriors(self, inputs):
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
