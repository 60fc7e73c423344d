"""Posteriors of consecutive windows in, keyword events out.

:class:`EventDecoder` smooths the class posteriors of a sliding window,
thresholds them and decides one :class:`Event` per spoken keyword; see
:mod:`speechbrain_slimmable.inference.streaming.sliding_windows` for the windows.

Authors
 * speechbrain-slimmable developers 2026
"""

import collections

import numpy

NEVER_REPORTED = ("_unknown_", "_silence_")
DEFAULT_THRESHOLD = 0.8
DEFAULT_SMOOTHING = 9  # windows; chosen on valid streams (benchmarks streams)
DECISIONS = ("posterior", "margin")


def keyword_mask(labels):
    """Which of ``labels`` are keywords: all but :data:`NEVER_REPORTED`.

    Example
    -------
    >>> keyword_mask(["yes", "_unknown_", "no", "_silence_"])
    [True, False, True, False]
    """
    return [label not in NEVER_REPORTED for label in labels]


class Event(collections.namedtuple("Event", "label start end score")):
    """A detected keyword: label, start and end (seconds), smoothed score."""

    def as_dict(self):
        """A JSON-ready dict with ``label``, ``start``, ``end``, ``score``."""
        return {
            "label": self.label,
            "start": round(float(self.start), 3),
            "end": round(float(self.end), 3),
            "score": round(float(self.score), 4),
        }


class EventDecoder:
    """Posteriors of consecutive windows in, keyword events out.

    Each window's posteriors are averaged with those of the previous
    ``smoothing - 1`` windows. A keyword whose smoothed posterior reaches its
    threshold opens a candidate; ``lookahead`` windows later the candidate
    becomes one event: the keyword with the highest smoothed posterior
    meanwhile (its score), placed at the window where that keyword's raw
    posterior peaked. Then no event starts for ``refractory`` windows after
    the peak, and the same keyword only fires again once its smoothed
    posterior has fallen below ``release`` times its threshold (hysteresis),
    so a word fires once however long it lasts. ``_unknown_`` and
    ``_silence_`` are never reported.

    Two stricter decisions, for fewer false alarms on speech:

    * ``decision="margin"`` scores each keyword by its smoothed posterior
      minus the highest smoothed posterior of any other class (``_unknown_``
      and ``_silence_`` included), so a keyword fires only when it clearly
      leads; the threshold is then a margin in (0, 1].
    * ``one_per_word=True`` gives a spoken word one event across labels:
      after an event no keyword fires until every keyword's score has
      fallen below ``release`` times its threshold (by default only the
      label that fired waits, and another label may fire on the same word
      once the ``refractory`` windows have passed).

    Only the last ``smoothing`` windows are kept: memory does not grow with
    the length of the stream.

    Arguments
    ---------
    labels : list of str
        The class labels in output order.
    threshold : float or dict
        Smoothed posterior probability to fire at; a dict gives one per
        label (labels left out get ``DEFAULT_THRESHOLD``).
    window : float
        Window length in seconds (an event's ``end - start``).
    hop : float
        Seconds between window starts.
    smoothing : int
        Windows averaged (1: none).
    lookahead : int
        Windows waited after the first crossing before deciding.
    refractory : int
        Windows after an event's peak during which no event starts.
    release : float
        Fraction of the threshold below which a keyword re-arms.
    decision : str
        ``"posterior"`` (the smoothed posterior) or ``"margin"`` (its lead
        over the next class).
    one_per_word : bool
        After an event, wait until every keyword has fallen below its
        release level before any fires again.

    Example
    -------
    >>> decoder = EventDecoder(["_silence_", "yes"], threshold=0.5,
    ...     window=1.0, hop=0.5, smoothing=1, lookahead=1)
    >>> high, low = [0.1, 0.9], [0.9, 0.1]
    >>> [decoder.push(p) for p in (low, high, high, low)]
    [[], [], [Event(label='yes', start=0.5, end=1.5, score=0.9)], []]
    >>> decoder.flush()
    []
    >>> margin = EventDecoder(["_unknown_", "yes", "no"], threshold=0.5,
    ...     smoothing=1, lookahead=0, decision="margin")
    >>> margin.push([0.25, 0.5, 0.25]), margin.push([0.0, 0.75, 0.25])
    ([], [Event(label='yes', start=0.1, end=1.1, score=0.5)])
    """

    def __init__(
        self,
        labels,
        threshold=DEFAULT_THRESHOLD,
        window=1.0,
        hop=0.1,
        smoothing=DEFAULT_SMOOTHING,
        lookahead=3,
        refractory=10,
        release=0.5,
        decision="posterior",
        one_per_word=False,
    ):
        if smoothing < 1 or lookahead < 0 or refractory < 0:
            raise ValueError(
                "smoothing must be >= 1, lookahead and refractory >= 0"
            )
        if decision not in DECISIONS:
            raise ValueError(
                f"decision must be one of {', '.join(DECISIONS)}, "
                f"got {decision!r}"
            )
        self.decision = decision
        self.one_per_word = one_per_word
        self.labels = list(labels)
        self.window = window
        self.hop = hop
        self.lookahead = lookahead
        self.refractory = refractory
        self.keywords = numpy.array(keyword_mask(self.labels))
        # Classes never reported never cross (inf) and never re-arm (-1).
        self.thresholds = numpy.where(
            self.keywords, _thresholds(self.labels, threshold), numpy.inf
        )
        self.release = numpy.where(self.keywords, release * self.thresholds, -1)
        self._recent = collections.deque(maxlen=smoothing)
        self._sum = numpy.zeros(len(self.labels))
        self._index = 0
        self._candidate = None
        self._armed = self.keywords.copy()
        self._quiet_until = 0
        self._word_open = False  # one_per_word: the last word not yet over

    def push(self, posteriors):
        """Add the posteriors of the next window; returns decided events.

        Arguments
        ---------
        posteriors : array-like
            ``(n_classes,)`` probabilities of one window.

        Returns
        -------
        list of Event
            Zero or one event.
        """
        raw = numpy.asarray(posteriors, dtype=numpy.float64)
        index = self._index
        self._index += 1
        if len(self._recent) == self._recent.maxlen:
            self._sum -= self._recent[0][1]
        self._recent.append((index, raw))
        self._sum += raw
        smooth = self._score(self._sum / len(self._recent))
        released = smooth < self.release
        self._armed |= released
        if self._word_open and released[self.keywords].all():
            self._word_open = False
        above = self._armed & (smooth >= self.thresholds)
        if (
            self._candidate is None
            and above.any()
            and index >= self._quiet_until
            and not self._word_open
        ):
            self._candidate = _Candidate(index + self.lookahead, self._recent)
        if self._candidate is None:
            return []
        self._candidate.update(index, raw, numpy.where(above, smooth, -1.0))
        if index < self._candidate.deadline:
            return []
        return [self._decide()]

    def flush(self):
        """Decide a pending candidate at the end of the audio."""
        return [] if self._candidate is None else [self._decide()]

    def _score(self, smooth):
        """Each class's decision score from its smoothed posterior."""
        if self.decision == "posterior":
            return smooth
        first, second = numpy.sort(smooth)[-2:][::-1]
        return smooth - numpy.where(smooth == first, second, first)

    def _decide(self):
        """Turn the candidate into an event and start the quiet period."""
        candidate, self._candidate = self._candidate, None
        best = candidate.best_class
        peak = int(candidate.peak_index[best])
        self._armed[best] = False
        self._word_open = self.one_per_word
        self._quiet_until = peak + self.refractory
        start = round(peak * self.hop, 6)
        return Event(
            self.labels[best], start, start + self.window, candidate.score
        )


class _Candidate:
    """Best smoothed score and raw peaks since a threshold crossing."""

    def __init__(self, deadline, recent):
        self.deadline = deadline
        self.score = -1.0
        self.best_class = None
        self.peak_value = numpy.full(len(recent[-1][1]), -1.0)
        self.peak_index = numpy.zeros(len(recent[-1][1]), dtype=int)
        for index, raw in list(recent)[:-1]:  # windows the smoothing saw
            self._track_peaks(index, raw)

    def update(self, index, raw, scores):
        self._track_peaks(index, raw)
        best = int(numpy.argmax(scores))
        if scores[best] > self.score:
            self.score, self.best_class = float(scores[best]), best

    def _track_peaks(self, index, raw):
        higher = raw > self.peak_value
        self.peak_value[higher] = raw[higher]
        self.peak_index[higher] = index


def _thresholds(labels, threshold):
    """One threshold per label from a number or a ``{label: value}`` dict."""
    if isinstance(threshold, dict):
        unknown = sorted(set(threshold) - set(labels))
        if unknown:
            raise ValueError(
                f"thresholds for labels the model lacks: {unknown} "
                f"(labels: {', '.join(labels)})"
            )
        values = [threshold.get(label, DEFAULT_THRESHOLD) for label in labels]
    else:
        values = [threshold] * len(labels)
    values = numpy.array(values, dtype=numpy.float64)
    if not ((values > 0) & (values <= 1)).all():
        raise ValueError(f"thresholds must be in (0, 1], got {threshold}")
    return values
