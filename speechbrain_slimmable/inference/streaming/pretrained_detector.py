"""Keyword detection with a pretrained model: its scorers.

Binds the model-agnostic detection of :mod:`speechbrain_slimmable.inference.streaming.sliding_windows`
to a :class:`~speechbrain_slimmable.inference.SlimmableKWSClassifier`: its
windows are scored by the PyTorch subnet at a width, by an exported ONNX
file with onnxruntime (the loop a device runs) or by a width cascade, at
the threshold, decision and cascade its model folder measured
(:mod:`speechbrain_slimmable.inference.streaming.folder_settings`).

Authors
 * speechbrain-slimmable developers 2026
"""

import os

import numpy
import torch

from speechbrain_slimmable.inference.streaming.cascade import (
    CascadeScorer,
    parse_cascade,
)
from speechbrain_slimmable.inference.streaming.events import (
    EventDecoder,
    keyword_mask,
)
from speechbrain_slimmable.inference.streaming.folder_settings import (
    CASCADE_KEY,
    default_cascade,
    default_decision,
    default_threshold,
)
from speechbrain_slimmable.inference.streaming.shared_frames import (
    WindowFeatures,
)
from speechbrain_slimmable.inference.streaming.sliding_windows import (
    SlidingWindowDetector,
)
from speechbrain_slimmable.nnet.width import resolve_width


def build_detector(
    classifier,
    width=None,
    threshold=None,
    onnx=None,
    hop=0.1,
    name="stream",
    score_every=None,
    cascade=None,
    gate=None,
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
        With ``cascade``, two of them: the narrow width's and the wide
        width's.
    hop : float
        Seconds between window starts.
    name : str
        How errors name the audio.
    score_every : float, optional
        Seconds of audio between scoring calls (default: every hop); see
        :class:`SlidingWindowDetector`.
    cascade : str, tuple or True, optional
        Run a width cascade (:mod:`~speechbrain_slimmable.inference.
        streaming.cascade`) instead of one width: ``"NARROW:WIDE"`` or
        ``(narrow, wide)``, or True for the one the model folder measured
        (``detection_cascade``, see :func:`default_cascade`). Its
        threshold and gate default to the folder's for those widths (the
        threshold else to the wide width's).
    gate : float, optional
        With ``cascade``: the narrow posterior of a keyword at which a
        window is scored again at the wide width.
    **options : dict
        Passed to :class:`EventDecoder` (``smoothing``, ``lookahead``,
        ``refractory``, ``release``, ``decision``, ``one_per_word``);
        ``decision`` defaults to the model folder's ``detection_decision``
        (the one its thresholds were measured with), else ``"posterior"``.

    Returns
    -------
    SlidingWindowDetector

    Example
    -------
    >>> detector = build_detector(getfixture("tiny_classifier"), 0.5)
    >>> detector.window, detector.hop, detector.decoder.labels
    (16000, 1600, ['_silence_', 'yes'])
    >>> cascade = build_detector(getfixture("tiny_classifier"),
    ...     cascade="0.5:1.0", gate=0.3)
    >>> cascade.scorer.gate, float(cascade.decoder.thresholds[1])
    (0.3, 0.8)
    """
    if cascade is not None:
        if width is not None:
            raise ValueError(
                "give either a width or a cascade: the cascade runs its own "
                f"widths (got width={width} and cascade={cascade!r})"
            )
        scorer, threshold = _cascade(classifier, cascade, gate, threshold, onnx)
    else:
        if onnx is not None:
            onnx = _session(onnx)
            width = _onnx_width(onnx) or width
        scorer = window_scorer(classifier, None if onnx else width, onnx)
        if threshold is None:
            threshold = default_threshold(classifier, width)
    options.setdefault("decision", default_decision(classifier))
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
    front_end = WindowFeatures(
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


def cascade_scorer(classifier, narrow, wide, gate, onnx=None):
    """A :class:`CascadeScorer` of two widths of a classifier.

    Arguments
    ---------
    classifier : SlimmableKWSClassifier
        The model.
    narrow, wide : float
        The widths: ``narrow`` scores every window, ``wide`` the windows
        that pass ``gate``.
    gate : float
        Narrow posterior of a keyword at which a window is scored again.
    onnx : list, optional
        Two exported files (or sessions) to run instead of PyTorch: the
        narrow width's and the wide width's, both waveform in or both
        features in.

    Returns
    -------
    CascadeScorer

    Example
    -------
    >>> scorer = cascade_scorer(getfixture("tiny_classifier"), 0.5, 1.0, 0.3)
    >>> scorer(torch.zeros(3, 16000)).shape, scorer.scored
    ((3, 2), 3)
    """
    if onnx is None:
        scorers = [window_scorer(classifier, w) for w in (narrow, wide)]
    else:
        if isinstance(onnx, (str, os.PathLike)) or len(onnx) != 2:
            raise ValueError(
                "a cascade on ONNX needs two files: the narrow width's, then "
                f"the wide width's; got {onnx}"
            )
        sessions = [_session(file) for file in onnx]
        for session, width, role in zip(sessions, (narrow, wide), onnx):
            named = _onnx_width(session)
            if named is not None and named != width:
                raise ValueError(
                    f"{role} holds width {named}, not {width} of the "
                    f"cascade {narrow}:{wide}"
                )
        scorers = [window_scorer(classifier, onnx=s) for s in sessions]
        if scorers[0].features_in != scorers[1].features_in:
            raise ValueError(
                "the two ONNX files of a cascade must both take waveforms "
                "or both take features"
            )
    return CascadeScorer(*scorers, gate, keyword_mask(class_labels(classifier)))


def class_labels(classifier):
    """The model's class labels in output order."""
    encoder = classifier.hparams.label_encoder
    return [str(encoder.ind2lab[i]) for i in range(len(encoder))]


class _TorchScorer:
    """Softmax of a features-to-logits module, no gradients.

    Scores windows (``__call__``) or the windows of a span
    (``score_span``) in two steps that a cascade also calls apart:
    ``inputs`` (the features) and ``posteriors`` of those inputs.
    """

    def __init__(self, front_end, model):
        self.front_end = front_end
        self.model = model

    def __call__(self, windows):
        return self.posteriors(self.inputs(windows))

    def score_span(self, span, count, hop, state):
        """Posteriors of the ``count`` windows of ``span``."""
        return self.posteriors(self.span_inputs(span, count, hop, state))

    def inputs(self, windows):
        """The model's inputs for waveforms ``(batch, window)``."""
        return self.front_end.windows(windows)

    def span_inputs(self, span, count, hop, state):
        """The model's inputs for the ``count`` windows of ``span``."""
        return self.front_end.span(span, count, hop, state)

    def posteriors(self, features):
        """Posterior probabilities ``(batch, n_classes)``, float64."""
        with torch.no_grad():
            logits = self.model(features)
        return torch.softmax(logits.double(), dim=-1).cpu().numpy()


class _OnnxScorer:
    """Softmax of an onnxruntime session (waveform or features in).

    A waveform-in graph scores each window whole (the exported front end
    included); for a features-in graph the front end runs here, sharing
    the frames of overlapping windows. Has the steps of
    :class:`_TorchScorer`.
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
        return self.posteriors(self.inputs(windows))

    def score_span(self, span, count, hop, state):
        """Posteriors of the ``count`` windows of ``span``."""
        return self.posteriors(self.span_inputs(span, count, hop, state))

    def inputs(self, windows):
        """The graph's inputs for waveforms ``(batch, window)``."""
        return self.front_end.windows(windows) if self.features_in else windows

    def span_inputs(self, span, count, hop, state):
        """The graph's inputs for the ``count`` windows of ``span``."""
        if self.features_in:
            return self.front_end.span(span, count, hop, state)
        return span.unfold(0, self.front_end.window, hop)[:count]

    def posteriors(self, inputs):
        """Posterior probabilities ``(batch, n_classes)``, float64."""
        logits = self.run(self.session, inputs).astype(numpy.float64)
        logits -= logits.max(axis=-1, keepdims=True)
        exp = numpy.exp(logits)
        return exp / exp.sum(axis=-1, keepdims=True)


def _cascade(classifier, cascade, gate, threshold, onnx):
    """The cascade's scorer and threshold, defaults from the folder."""
    measured = default_cascade(classifier)
    if cascade is True:
        if measured is None:
            raise ValueError(
                f"the model folder has no {CASCADE_KEY}: name the widths, "
                "e.g. cascade='0.25:1.0', and a gate"
            )
        narrow, wide = measured["narrow"], measured["wide"]
    else:
        narrow, wide = (
            parse_cascade(cascade)
            if isinstance(cascade, str)
            else tuple(map(float, cascade))
        )
    for width in (narrow, wide):
        resolve_width(width, classifier.widths)
    if measured is not None and (measured["narrow"], measured["wide"]) != (
        narrow,
        wide,
    ):
        measured = None
    if gate is None:
        if measured is None:
            raise ValueError(
                f"no gate measured for the cascade {narrow}:{wide} in the "
                f"model folder ({CASCADE_KEY}): pass one, e.g. gate=0.2"
            )
        gate = measured["gate"]
    if threshold is None:
        threshold = (
            default_threshold(classifier, wide)
            if measured is None
            else measured["threshold"]
        )
    return cascade_scorer(classifier, narrow, wide, gate, onnx), threshold


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
