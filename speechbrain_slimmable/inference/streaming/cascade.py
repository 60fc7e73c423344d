"""A width cascade: a narrow width listens, the widest decides.

One set of slimmable weights runs at two costs. The narrow subnet scores
every window; a window in which it gives any keyword at least ``gate`` is
scored again by the wide subnet, whose posteriors replace the narrow ones
(the decoder's threshold then decides on them, see
:class:`~speechbrain_slimmable.inference.streaming.events.EventDecoder`).
The other windows keep the narrow posteriors, whose keywords all stay below
``gate``. The features of a window are computed once for both.

With a gate below the decision threshold, a window the wide subnet would
fire on is missed only when the narrow one puts every keyword under the
gate there; the compute per second of audio is the narrow subnet's plus
the wide one's on the share of windows that pass the gate
(:attr:`CascadeScorer.rescored_share`).

Authors
 * speechbrain-slimmable developers 2026
"""

import numpy
import torch


class CascadeScorer:
    """Scores windows with a narrow scorer, and again with a wide one
    where the narrow one finds a keyword.

    Arguments
    ---------
    narrow, wide : scorer
        Scorers with the steps ``inputs(windows)``,
        ``span_inputs(span, count, hop, state)`` and ``posteriors(inputs)``
        (those of :func:`~speechbrain_slimmable.inference.streaming.
        pretrained_detector.window_scorer`), taking the same inputs.
    gate : float
        Narrow posterior of a keyword at which a window is scored again.
    keywords : array-like of bool
        Per class, whether it is a keyword (can fire an event).

    Example
    -------
    >>> class Scorer:  # "yes" as loud as the window, times a gain
    ...     def __init__(self, gain):
    ...         self.gain = gain
    ...     def inputs(self, windows):
    ...         return windows
    ...     def posteriors(self, windows):
    ...         loud = self.gain * windows.abs().mean(dim=1, keepdim=True)
    ...         return torch.cat([1 - loud, loud], dim=1).double().numpy()
    >>> cascade = CascadeScorer(Scorer(0.5), Scorer(1.0), gate=0.2,
    ...     keywords=[False, True])
    >>> windows = torch.tensor([[0.1, 0.1], [0.9, 0.9]])
    >>> cascade(windows)[:, 1].round(2).tolist()  # the loud one re-scored
    [0.05, 0.9]
    >>> cascade.scored, cascade.rescored, cascade.rescored_share
    (2, 1, 0.5)
    """

    def __init__(self, narrow, wide, gate, keywords):
        if not 0 < gate <= 1:
            raise ValueError(
                f"the cascade's gate must be in (0, 1], got {gate}"
            )
        self.narrow = narrow
        self.wide = wide
        self.gate = gate
        self.keywords = numpy.asarray(keywords, dtype=bool)
        self.scored = 0  # windows the narrow scorer scored
        self.rescored = 0  # of them, windows the wide scorer scored again

    def __call__(self, windows):
        return self._cascade(self.narrow.inputs(windows))

    def score_span(self, span, count, hop, state):
        """Posteriors of the ``count`` windows of ``span``."""
        return self._cascade(self.narrow.span_inputs(span, count, hop, state))

    @property
    def rescored_share(self):
        """The fraction of the windows scored so far that passed the gate."""
        return self.rescored / self.scored if self.scored else 0.0

    def _cascade(self, inputs):
        posteriors = self.narrow.posteriors(inputs)
        passed = passes_gate(posteriors, self.keywords, self.gate)
        self.scored += len(passed)
        self.rescored += int(passed.sum())
        if passed.any():
            rows = torch.from_numpy(numpy.flatnonzero(passed))
            posteriors[passed] = self.wide.posteriors(inputs[rows])
        return posteriors


def passes_gate(posteriors, keywords, gate):
    """Per window, whether any keyword's posterior reaches ``gate``.

    Example
    -------
    >>> passes_gate(numpy.array([[0.9, 0.1], [0.5, 0.5]]), [False, True], 0.3)
    array([False,  True])
    """
    keywords = numpy.asarray(keywords, dtype=bool)
    return (posteriors[:, keywords] >= gate).any(axis=1)


def cascade_rows(narrow, wide, keywords, gate):
    """The posteriors a cascade gives, from those of both widths on every
    window (what :class:`CascadeScorer` computes, for a sweep of gates).

    Example
    -------
    >>> narrow = numpy.array([[0.9, 0.1], [0.5, 0.5]])
    >>> wide = numpy.array([[1.0, 0.0], [0.2, 0.8]])
    >>> cascade_rows(narrow, wide, [False, True], 0.3).tolist()
    [[0.9, 0.1], [0.2, 0.8]]
    """
    passed = passes_gate(narrow, keywords, gate)
    return numpy.where(passed[:, None], wide, narrow)


def parse_cascade(text):
    """The two widths of a cascade written ``NARROW:WIDE``.

    Example
    -------
    >>> parse_cascade("0.25:1.0")
    (0.25, 1.0)
    >>> parse_cascade("1.0:0.25")
    Traceback (most recent call last):
    ...
    ValueError: a cascade is NARROW:WIDE with NARROW < WIDE (e.g. 0.25:1.0), got '1.0:0.25'
    """
    parts = str(text).split(":")
    try:
        narrow, wide = (float(part) for part in parts)
    except ValueError:
        narrow = wide = None
    if narrow is None or not narrow < wide:
        raise ValueError(
            "a cascade is NARROW:WIDE with NARROW < WIDE (e.g. 0.25:1.0), "
            f"got {text!r}"
        )
    return narrow, wide
