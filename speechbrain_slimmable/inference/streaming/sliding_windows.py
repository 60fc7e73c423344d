"""Keyword detection in long audio and live streams.

A model reads clips of ``window`` samples. Detection slides that window
over the audio every ``hop`` samples, scores each window (class posteriors,
see :mod:`speechbrain_slimmable.inference.streaming.pretrained_detector`) and turns the
posteriors into events with an ``EventDecoder`` (which smooths them over
the last ``smoothing`` windows; see
:mod:`speechbrain_slimmable.inference.streaming.events`). A file and a stream of
chunks of any size go through the same :class:`SlidingWindowDetector`, so
they give the same events.

Windows start at ``k * hop`` for ``k = 0 .. ceil(max(n - window, 0) / hop)``
where ``n`` is the length of the audio; the audio is zero-padded at its end
to fill the last window, so every sample is read and a stream that ends
mid-chunk is flushed.

**Digital silence.** A window whose samples all stay below one step of
16-bit audio (``DIGITAL_SILENCE`` of full scale: a muted microphone, the
padding of a file) is not scored as speech: its posteriors are zeros, so it
fires nothing. Training never shows a model exact silence, which its
per-utterance feature normalisation turns into a flat feature map (the
published CNN reads one as "off").

**Delay bound.** An event is decided ``lookahead`` windows after the
smoothed score first crosses the threshold, so it is yielded as soon as the
stream holds the audio up to ``event.end + (smoothing - 1 + lookahead) *
hop`` seconds (1.1 s with the defaults), or when the stream ends; a
detector that scores every ``score_every`` seconds adds up to
``score_every - hop`` to that.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch

from speechbrain_slimmable.dataio.audio import check_waveform

DIGITAL_SILENCE = 2.0**-15  # one step of 16-bit PCM, in full scale


class SlidingWindowDetector:
    """Sliding windows over audio fed in chunks; events as they are decided.

    Holds fewer than ``window`` samples between calls (``buffered``; plus
    the decoder's ``smoothing`` windows), whatever the length of the
    stream.

    Arguments
    ---------
    scorer : callable
        Waveforms ``(batch, window)`` (torch float32) to posteriors
        ``(batch, n_classes)`` (numpy); see
        :func:`speechbrain_slimmable.inference.streaming.pretrained_detector.window_scorer`. If
        it has a method ``score_span(span, count, hop, state)``, that is
        called instead with the audio of ``count`` consecutive windows, so
        that their overlap is computed once; ``state`` is a dict the
        detector keeps for its stream, where the scorer may keep what the
        next span shares with this one.
    decoder : EventDecoder
        Turns posteriors into events; its ``window`` and ``hop`` are read
        (in seconds) to place the windows.
    sample_rate : int
        Samples per second of the audio.
    batch_size : int
        Windows scored at once.
    name : str
        How errors name the audio (e.g. a file name, ``"stdin"``).
    score_every : float, optional
        Seconds of audio between scoring calls. By default every window is
        scored as soon as its audio is in (each push of at least a hop).
        Scoring several windows at once amortises each call's fixed cost
        (a live loop fed 0.1-s chunks spends most of its time there) at the
        price of deciding events up to ``score_every - hop`` seconds later;
        the windows and events are the same.

    Example
    -------
    >>> from speechbrain_slimmable.inference.streaming.events import EventDecoder
    >>> def scorer(windows):  # "yes" as loud as the window is
    ...     loud = windows.abs().mean(dim=1, keepdim=True)
    ...     return torch.cat([1 - loud, loud], dim=1).numpy()
    >>> decoder = EventDecoder(["_silence_", "yes"], window=1.0, hop=0.25,
    ...     smoothing=1)
    >>> detector = SlidingWindowDetector(scorer, decoder, sample_rate=8)
    >>> audio = torch.zeros(40)
    >>> audio[16:24] = 1.0  # "yes" at 2 s
    >>> detector.push(audio[:30]) + detector.push(audio[30:])
    [Event(label='yes', start=2.0, end=3.0, score=1.0)]
    >>> detector.flush()
    []
    >>> decoder = EventDecoder(["_silence_", "yes"], window=1.0, hop=0.25,
    ...     smoothing=1)
    >>> later = SlidingWindowDetector(scorer, decoder, sample_rate=8,
    ...     score_every=2.0)  # windows scored eight at a time
    >>> later.push(audio[:20]), later.push(audio[20:]) + later.flush()
    ([], [Event(label='yes', start=2.0, end=3.0, score=1.0)])
    """

    def __init__(
        self,
        scorer,
        decoder,
        sample_rate,
        batch_size=64,
        name="stream",
        score_every=None,
    ):
        self.scorer = scorer
        self.decoder = decoder
        self.window = round(decoder.window * sample_rate)
        self.hop = round(decoder.hop * sample_rate)
        if self.hop < 1 or self.hop > self.window:
            raise ValueError(
                f"hop must be between 1 sample and the window "
                f"({self.window} samples), got {self.hop}"
            )
        if score_every is not None and not score_every >= decoder.hop:
            raise ValueError(
                f"score_every must be at least the hop ({decoder.hop} s), "
                f"got {score_every}"
            )
        every = 1 if score_every is None else score_every / decoder.hop
        # Audio a scoring call waits for: its first window and the hops of
        # the others.
        self.wait = self.window + (round(every) - 1) * self.hop
        self.sample_rate = sample_rate
        self.batch_size = batch_size
        self.name = name
        self.buffer = torch.zeros(0)
        self.pending = []  # chunks not yet in the buffer (fewer samples
        self.buffered = 0  # than a window, in both together)
        self.samples = 0  # samples received so far
        self.windows = 0  # windows scored so far
        self.scorer_state = {}  # the scorer's, for this stream
        self.chunks = 0

    def push(self, chunk):
        """Add a chunk of samples; returns the events it decides.

        Arguments
        ---------
        chunk : torch.Tensor or numpy.ndarray
            ``(samples,)`` mono audio at ``sample_rate``: floats in
            [-1, 1], or 16-bit integers (scaled by 1/32768).

        Returns
        -------
        list of Event
        """
        chunk = self._checked(chunk)
        self.chunks += 1
        self.samples += chunk.numel()
        self.pending.append(chunk)
        self.buffered += chunk.numel()
        if self.buffered < self.wait:  # cheap for tiny chunks
            return []
        self._merge()
        return self._score(self._complete_windows())

    def flush(self):
        """Score the zero-padded last window if the audio needs one.

        Returns
        -------
        list of Event
            The events still pending, the decoder's included.

        Raises
        ------
        ValueError
            If the stream held no sample at all.
        """
        if self.samples == 0:
            raise ValueError(f"{self.name} is empty (no audio samples)")
        self._merge()
        events = self._score(self._complete_windows())
        left = self.buffer.numel()
        if self.windows == 0 or left > self.window - self.hop:
            pad = self.window - left
            self.buffer = torch.nn.functional.pad(self.buffer, (0, pad))
            events += self._score(1)
        return events + self.decoder.flush()

    def _complete_windows(self):
        """Windows whose audio is all in the buffer."""
        if self.buffered < self.window:
            return 0
        return 1 + (self.buffered - self.window) // self.hop

    def _score(self, count):
        """Score the first ``count`` windows of the buffer, drop their hop."""
        events = []
        if count == 0:
            return events
        score_span = getattr(self.scorer, "score_span", None)
        frames = self.buffer.unfold(0, self.window, self.hop)[:count]
        for start in range(0, count, self.batch_size):
            batch = min(self.batch_size, count - start)
            if score_span is None:
                posteriors = self.scorer(frames[start : start + batch])
            else:
                first = start * self.hop
                span = self.buffer[
                    first : first + (batch - 1) * self.hop + self.window
                ]
                posteriors = score_span(
                    span, batch, self.hop, self.scorer_state
                )
            silent = frames[start : start + batch].abs().amax(dim=1)
            posteriors = (
                posteriors * (silent >= DIGITAL_SILENCE).numpy()[:, None]
            )
            for row in posteriors:
                events.extend(self.decoder.push(row))
        self.windows += count
        self.buffer = self.buffer[count * self.hop :].clone()
        self.buffered = self.buffer.numel()
        return events

    def _merge(self):
        """Append the pending chunks to the buffer."""
        self.buffer = torch.cat([self.buffer, *self.pending])
        self.pending = []

    def _checked(self, chunk):
        """A float32 1-D tensor, or an error naming the stream position."""
        where = (
            f"{self.name}: chunk {self.chunks} (from sample {self.samples}, "
            f"{self.samples / self.sample_rate:.3f} s)"
        )
        chunk = torch.as_tensor(chunk)
        if chunk.dim() != 1:
            raise ValueError(
                f"{where} has shape {tuple(chunk.shape)}: expected mono "
                "samples (samples,); average the channels first"
            )
        if chunk.dtype == torch.int16:
            chunk = chunk / 32768.0
        elif not chunk.is_floating_point():
            raise ValueError(
                f"{where} holds {chunk.dtype} samples: expected floats in "
                "[-1, 1] or 16-bit integers"
            )
        chunk = chunk.float().cpu()
        if chunk.numel():
            check_waveform(chunk, where)
        return chunk


def detect_chunks(detector, chunks):
    """Feed ``chunks`` to ``detector``; yield each event once decided.

    Example
    -------
    >>> import numpy
    >>> from speechbrain_slimmable.inference.streaming.events import EventDecoder
    >>> scorer = lambda w: numpy.tile([1.0, 0.0], (len(w), 1))
    >>> decoder = EventDecoder(["_silence_", "yes"], window=1.0, hop=0.5)
    >>> detector = SlidingWindowDetector(scorer, decoder, sample_rate=4)
    >>> list(detect_chunks(detector, [numpy.zeros(3, "float32")] * 5))
    []
    >>> detector.windows  # starts 0, 2, ... 12 samples: all 15 are read
    7
    """
    for chunk in chunks:
        yield from detector.push(chunk)
    yield from detector.flush()
