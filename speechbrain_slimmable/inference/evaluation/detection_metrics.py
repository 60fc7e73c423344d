"""How KWS users judge a detector: false rejections at false alarms per hour.

Events are matched to the keywords of the ground truth, the detection error
trade-off (DET) is swept over the threshold on posteriors computed once,
and a default threshold is chosen from it.

Authors
 * speechbrain-slimmable developers 2026
"""

import numpy

from speechbrain_slimmable.inference.streaming.events import (
    NEVER_REPORTED,
    EventDecoder,
)
from speechbrain_slimmable.inference.streaming.sliding_windows import (
    SlidingWindowDetector,
)

DEFAULT_THRESHOLDS = tuple(numpy.round(numpy.arange(0.3, 0.97, 0.03), 2)) + (
    0.97,
    0.98,
    0.99,
    0.995,
    0.998,
    0.999,
)
# Low enough for margins (decision="margin") as well.
MARGIN_THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25) + DEFAULT_THRESHOLDS


def match_events(events, words, tolerance=0.5):
    """Count the keywords found and the false alarms.

    An event finds a keyword of the ground truth when it has its label and
    its window is centred within ``tolerance`` seconds of the word's centre
    (where the word's energy is: a word can sit anywhere in its clip); each
    keyword is found once. Every other event (a wrong label, a second event
    on a word, an event on a non-keyword word or on noise) is a false alarm.

    Arguments
    ---------
    events : list of Event
        Detected events.
    words : list
        Ground truth: objects with ``label`` and ``centre`` (seconds), e.g.
        :class:`~speechbrain_slimmable.dataio.kws_streams.Word`.
    tolerance : float
        Seconds.

    Returns
    -------
    found : int
        Keywords found.
    false_alarms : int

    Example
    -------
    >>> from speechbrain_slimmable.inference.streaming.events import Event
    >>> from speechbrain_slimmable.dataio.kws_streams import Word
    >>> words = [Word("yes", 2.0, 3.0), Word("_unknown_", 5.0, 6.0)]
    >>> events = [Event("yes", 1.8, 2.8, 0.9), Event("yes", 5.1, 6.1, 0.9)]
    >>> match_events(events, words)
    (1, 1)
    """
    found = len(found_keywords(events, words, tolerance))
    return found, len(events) - found


def found_keywords(events, words, tolerance=0.5):
    """The keywords of ``words`` that ``events`` find (see
    :func:`match_events`), in the order the events find them.

    Example
    -------
    >>> from speechbrain_slimmable.inference.streaming.events import Event
    >>> from speechbrain_slimmable.dataio.kws_streams import Word
    >>> words = [Word("yes", 2.0, 3.0), Word("no", 5.0, 6.0)]
    >>> found_keywords([Event("no", 5.2, 6.2, 0.9)], words)
    [Word('no', 5.000, 6.000)]
    """
    return [word for _, word in _matches(events, words, tolerance)]


def _matches(events, words, tolerance):
    """``(event, keyword)`` of each event that finds a keyword."""
    open_words = [w for w in words if w.label not in NEVER_REPORTED]
    matches = []
    for event in events:
        same_label = [w for w in open_words if w.label == event.label]
        word = _nearest(same_label, event, tolerance)
        if word is not None:
            open_words.remove(word)
            matches.append((event, word))
    return matches


def _nearest(words, event, tolerance):
    """The word whose centre is nearest the middle of ``event``'s window,
    if within ``tolerance`` seconds; else None."""
    middle = (event.start + event.end) / 2
    near = [w for w in words if abs(w.centre - middle) <= tolerance]
    return min(near, key=lambda w: abs(w.centre - middle), default=None)


FALSE_ALARM_KINDS = ("other keyword", "repeat", "other word", "noise")


def false_alarm_kinds(events, words, tolerance=0.5):
    """Count the false alarms by what they fired on.

    A false alarm (an event that finds no keyword, see
    :func:`match_events`) fired on the word whose centre is nearest the
    middle of its window, within ``tolerance`` seconds: a keyword of another
    label (``"other keyword"``, a confusion: that keyword is missed unless
    another event finds it), a keyword of its label already found
    (``"repeat"``), or a word outside the keywords (``"other word"``); with
    no word that near, it fired on ``"noise"``.

    Arguments
    ---------
    events : list of Event
    words : list
        Ground truth, as for :func:`match_events`.
    tolerance : float
        Seconds.

    Returns
    -------
    dict
        Count per kind of :data:`FALSE_ALARM_KINDS`.

    Example
    -------
    >>> from speechbrain_slimmable.inference.streaming.events import Event
    >>> from speechbrain_slimmable.dataio.kws_streams import Word
    >>> words = [Word("yes", 2.0, 3.0), Word("_unknown_", 5.0, 6.0)]
    >>> events = [Event("no", 2.1, 3.1, 0.8), Event("yes", 5.0, 6.0, 0.7),
    ...     Event("no", 8.0, 9.0, 0.6)]
    >>> false_alarm_kinds(events, words)
    {'other keyword': 1, 'repeat': 0, 'other word': 1, 'noise': 1}
    """
    finders = {id(event) for event, _ in _matches(events, words, tolerance)}
    kinds = dict.fromkeys(FALSE_ALARM_KINDS, 0)
    for event in events:
        if id(event) in finders:
            continue
        word = _nearest(words, event, tolerance)
        if word is None:
            kinds["noise"] += 1
        elif word.label in NEVER_REPORTED:
            kinds["other word"] += 1
        elif word.label == event.label:
            kinds["repeat"] += 1
        else:
            kinds["other keyword"] += 1
    return kinds


def stream_posteriors(scorer, wav, window, hop, sample_rate):
    """Posteriors of every window of ``wav``, as detection computes them.

    Arguments
    ---------
    scorer : callable
        See :class:`~speechbrain_slimmable.inference.streaming.sliding_windows.SlidingWindowDetector`.
    wav : torch.Tensor
        ``(samples,)`` audio.
    window, hop : float
        Seconds.
    sample_rate : int

    Returns
    -------
    numpy.ndarray
        ``(windows, n_classes)``.

    Example
    -------
    >>> import torch
    >>> scorer = lambda w: w[:, :2].double().numpy()
    >>> stream_posteriors(scorer, torch.ones(10), 0.4, 0.2, 10).shape
    (4, 2)
    """
    recorder = _Recorder(window, hop)
    detector = SlidingWindowDetector(scorer, recorder, sample_rate)
    detector.push(wav)
    detector.flush()
    return numpy.array(recorder.rows)


def det_curve(posteriors, truths, hours, labels, thresholds=None, **options):
    """False rejection rate and false alarms per hour at each threshold.

    Arguments
    ---------
    posteriors : list of numpy.ndarray
        Per stream, from :func:`stream_posteriors`.
    truths : list of list
        Per stream, its words (see :func:`match_events`).
    hours : float
        Length of all streams together.
    labels : list of str
        The class labels in output order.
    thresholds : sequence of float, optional
        Default ``DEFAULT_THRESHOLDS``.
    **options : dict
        Passed to :class:`EventDecoder` (``window``, ``hop``...).

    Returns
    -------
    list of dict
        ``threshold``, ``frr`` (fraction of keywords missed),
        ``fa_per_hour``, ``false_alarms``, ``keywords``; by threshold.

    Example
    -------
    >>> from speechbrain_slimmable.dataio.kws_streams import Word
    >>> rows = numpy.array([[1.0, 0.0]] * 20 + [[0.1, 0.9]] * 5)
    >>> curve = det_curve([rows], [[Word("yes", 2.0, 3.0)]], 0.5,
    ...     ["_silence_", "yes"], thresholds=[0.5, 0.95], window=1.0)
    >>> [(row["frr"], row["fa_per_hour"]) for row in curve]
    [(0.0, 0.0), (1.0, 0.0)]
    """
    keywords = sum(
        w.label not in NEVER_REPORTED for words in truths for w in words
    )
    curve = []
    for threshold in DEFAULT_THRESHOLDS if thresholds is None else thresholds:
        found = false_alarms = 0
        for rows, words in zip(posteriors, truths):
            decoder = EventDecoder(labels, float(threshold), **options)
            hits, misses = match_events(decoded(decoder, rows), words)
            found, false_alarms = found + hits, false_alarms + misses
        curve.append(
            {
                "threshold": float(threshold),
                "frr": 1 - found / max(keywords, 1),
                "fa_per_hour": false_alarms / hours,
                "false_alarms": false_alarms,
                "keywords": keywords,
            }
        )
    return curve


def keywords_by_snr(posteriors, truths, labels, threshold, bands, **options):
    """Per band of SNR: keywords, the fraction detected at ``threshold``,
    and the fraction whose own window the classifier gets right.

    A keyword's own window is the one centred on the word (the nearest
    hop): the fraction right there bounds what any threshold can detect,
    apart from events at neighbouring windows.

    Arguments
    ---------
    posteriors, truths, labels :
        As for :func:`det_curve`; the words carry their ``snr``.
    threshold : float
    bands : list of float
        Band edges in dB, e.g. ``[0, 5, 10, 15, 20]``.
    **options : dict
        Passed to :class:`EventDecoder` (``window``, ``hop``...).

    Returns
    -------
    list of dict
        ``snr`` (e.g. ``"0-5"``), ``keywords``, ``detected``,
        ``own_window_right``; one per band.

    Example
    -------
    >>> from speechbrain_slimmable.dataio.kws_streams import Word
    >>> rows = numpy.array([[1.0, 0.0]] * 20 + [[0.1, 0.9]] * 5)
    >>> words = [Word("yes", 2.0, 3.0, snr=3.0)]
    >>> keywords_by_snr([rows], [words], ["_silence_", "yes"], 0.5,
    ...     [0, 5, 10], window=1.0, hop=0.1)[0]
    {'snr': '0-5', 'keywords': 1, 'detected': 1.0, 'own_window_right': 1.0}
    """
    tallies = [[0, 0, 0] for _ in bands[1:]]
    for rows, words in zip(posteriors, truths):
        decoder = EventDecoder(labels, float(threshold), **options)
        found = set(map(id, found_keywords(decoded(decoder, rows), words)))
        for word in words:
            if word.label in NEVER_REPORTED:
                continue
            band = int(numpy.searchsorted(bands, word.snr, side="right")) - 1
            band = min(max(band, 0), len(tallies) - 1)
            first_hop = (word.centre - decoder.window / 2) / decoder.hop
            own = rows[min(max(round(first_hop), 0), len(rows) - 1)]
            tallies[band][0] += 1
            tallies[band][1] += id(word) in found
            tallies[band][2] += labels[int(numpy.argmax(own))] == word.label
    return [
        {
            "snr": f"{low:g}-{high:g}",
            "keywords": count,
            "detected": detected / max(count, 1),
            "own_window_right": right / max(count, 1),
        }
        for (low, high), (count, detected, right) in zip(
            zip(bands, bands[1:]), tallies
        )
    ]


def false_alarms_by_kind(posteriors, truths, labels, threshold, **options):
    """False alarms of all streams at ``threshold``, counted by what they
    fired on (see :func:`false_alarm_kinds`).

    Arguments
    ---------
    posteriors, truths, labels :
        As for :func:`det_curve`.
    threshold : float
    **options : dict
        Passed to :class:`EventDecoder` (``window``, ``hop``...).

    Returns
    -------
    dict
        The false alarms of every stream at ``threshold``, summed per kind
        of :data:`FALSE_ALARM_KINDS`.

    Example
    -------
    >>> from speechbrain_slimmable.dataio.kws_streams import Word
    >>> rows = numpy.array([[1.0, 0.0]] * 20 + [[0.1, 0.9]] * 5)
    >>> false_alarms_by_kind([rows], [[Word("_unknown_", 2.0, 3.0)]],
    ...     ["_silence_", "yes"], 0.5, window=1.0, hop=0.1)
    {'other keyword': 0, 'repeat': 0, 'other word': 1, 'noise': 0}
    """
    total = dict.fromkeys(FALSE_ALARM_KINDS, 0)
    for rows, words in zip(posteriors, truths):
        decoder = EventDecoder(labels, float(threshold), **options)
        for kind, count in false_alarm_kinds(
            decoded(decoder, rows), words
        ).items():
            total[kind] += count
    return total


def decoded(decoder, rows):
    """Every event of ``decoder`` fed the posterior ``rows`` of a whole
    stream, flushed at its end."""
    events = [event for row in rows for event in decoder.push(row)]
    return events + decoder.flush()


def frr_at(curve, fa_per_hour):
    """The lowest false rejection rate at most ``fa_per_hour`` false alarms.

    Returns 1.0 when no threshold gets that few false alarms.

    Example
    -------
    >>> curve = [{"frr": 0.1, "fa_per_hour": 20.0},
    ...          {"frr": 0.3, "fa_per_hour": 0.5}]
    >>> frr_at(curve, 1), frr_at(curve, 10), frr_at(curve, 0.1)
    (0.3, 0.3, 1.0)
    """
    rates = [row["frr"] for row in curve if row["fa_per_hour"] <= fa_per_hour]
    return min(rates, default=1.0)


def choose_threshold(curve, max_fa_per_hour):
    """The lowest threshold with at most ``max_fa_per_hour`` false alarms.

    The lowest such threshold misses the fewest keywords; the highest of
    the curve if none is that quiet.

    Example
    -------
    >>> curve = [{"threshold": 0.5, "fa_per_hour": 30.0},
    ...          {"threshold": 0.7, "fa_per_hour": 8.0},
    ...          {"threshold": 0.9, "fa_per_hour": 1.0}]
    >>> choose_threshold(curve, 10), choose_threshold(curve, 0.5)
    (0.7, 0.9)
    """
    quiet = [
        r["threshold"] for r in curve if r["fa_per_hour"] <= max_fa_per_hour
    ]
    return min(quiet, default=max(r["threshold"] for r in curve))


class _Recorder:
    """Stands for a decoder: keeps the posteriors, decides nothing."""

    def __init__(self, window, hop):
        self.window, self.hop = window, hop
        self.rows = []

    def push(self, posteriors):
        self.rows.append(posteriors)
        return []

    def flush(self):
        return []
