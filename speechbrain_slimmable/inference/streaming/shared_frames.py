"""Front-end features of overlapping windows, each STFT frame computed once.

Detection slides a one-second window every 0.1 s, so computing the front
end of every window on its own repeats each STFT frame ten times: it costs
more than the model. :class:`SharedFrameFeatures` computes the frames of a
whole span of audio once and gives each window what the front end would
give it alone: the frames inside the window are shared, the two or three at
each edge (whose FFT reaches past the window, where the front end pads with
zeros) are computed per window, and everything per window (the log
compression's ``top_db`` floor, which depends on the window's loudest bin,
and the modules after the filterbank, e.g. per-utterance normalisation) is
applied per window. The result equals the front end applied to each window
up to float rounding.

It applies to a front end that is SpeechBrain's ``Fbank`` (no deltas or
context), alone or first in a ``torch.nn.Sequential``, and to windows whose
length and hop are whole numbers of STFT hops. A front end whose frames are
not padded (:class:`~speechbrain_slimmable.lobes.features.
SpectrogramImageFbank`) needs less: each window's features are a slice of
the span's (:class:`SlicedFrameFeatures`). :func:`shared_features` picks
the one a front end allows.

Authors
 * speechbrain-slimmable developers 2026
"""

import math

import torch

from speechbrain_slimmable.inference.serving.fbank import (
    PrecomputedFbank,
    split_front_end,
)
from speechbrain_slimmable.lobes.features import SpectrogramImageFbank


def shared_features(compute_features, window, hop):
    """The module computing the features of a span's windows with their
    frames shared, for a front end that allows it; else None.

    Arguments
    ---------
    compute_features : torch.nn.Module
        The model folder's front end (alone or first in a
        ``torch.nn.Sequential``).
    window, hop : int
        Window length and hop in samples.

    Returns
    -------
    SharedFrameFeatures, SlicedFrameFeatures or None

    Example
    -------
    >>> type(shared_features(SpectrogramImageFbank(), 16000, 1600)).__name__
    'SlicedFrameFeatures'
    >>> shared_features(SpectrogramImageFbank(), 16000, 1000) is None
    True
    """
    modules = [compute_features]
    if isinstance(compute_features, torch.nn.Sequential):
        modules = list(compute_features)
    try:
        if isinstance(modules[0], SpectrogramImageFbank):
            after = torch.nn.Sequential(*modules[1:])
            return SlicedFrameFeatures(modules[0], after, window, hop)
        parts = split_front_end(compute_features)
        if parts is None:
            return None
        return SharedFrameFeatures(*parts, window, hop)
    except ValueError:  # windows off the frame grid
        return None


class SlicedFrameFeatures(torch.nn.Module):
    """The front end of overlapping windows of a span, for unpadded frames.

    The frames of the whole span are computed once, and each window's
    features are the slice of them its samples hold, then ``after`` runs
    per window: the same as the front end applied to each window.

    Arguments
    ---------
    fbank : SpectrogramImageFbank
        A front end of unpadded frames (``frame_length`` samples every
        ``hop_length``).
    after : torch.nn.Module
        Applied to each window's features (batch of windows).
    window, hop : int
        Window length and hop in samples; ``hop`` a multiple of the
        frames' hop.

    Example
    -------
    >>> fbank = SpectrogramImageFbank()
    >>> sliced = SlicedFrameFeatures(fbank, torch.nn.Identity(), 16000, 1600)
    >>> span = torch.randn(16000 + 4 * 1600) / 10
    >>> features = sliced(span, 5)
    >>> features.shape
    torch.Size([5, 98, 40])
    >>> bool((features - fbank(span.unfold(0, 16000, 1600))).abs().max() < 1e-4)
    True
    """

    def __init__(self, fbank, after, window, hop):
        super().__init__()
        if hop % fbank.hop_length:
            raise ValueError(
                f"hop ({hop}) must be a multiple of the frames' hop "
                f"({fbank.hop_length} samples) to share frames"
            )
        self.fbank = fbank
        self.after = after
        self.frames = (window - fbank.frame_length) // fbank.hop_length + 1
        self.hop_frames = hop // fbank.hop_length

    def forward(self, span, count, cache=None):
        """Features ``(count, frames, feats)`` of the windows of ``span``
        (``cache`` is accepted as :class:`SharedFrameFeatures` takes it,
        and not needed)."""
        frames = self.fbank(span[None])[0]
        windows = frames.unfold(0, self.frames, self.hop_frames)[:count]
        return self.after(windows.transpose(1, 2))


class SharedFrameFeatures(torch.nn.Module):
    """The front end of overlapping windows of a span, frames shared.

    Arguments
    ---------
    fbank : speechbrain.lobes.features.Fbank
        The filterbank front end (see
        :func:`speechbrain_slimmable.inference.serving.fbank.split_front_end`).
    after : torch.nn.Module
        Applied to each window's log-mel features (batch of windows).
    window : int
        Window length in samples.
    hop : int
        Samples between window starts.

    Raises
    ------
    ValueError
        If ``window`` or ``hop`` is not a multiple of the STFT hop.

    Example
    -------
    >>> from speechbrain.lobes.features import Fbank
    >>> fbank = Fbank(n_mels=40, n_fft=512)
    >>> shared = SharedFrameFeatures(fbank, torch.nn.Identity(), 16000, 1600)
    >>> span = torch.randn(16000 + 4 * 1600)
    >>> windows = span.unfold(0, 16000, 1600)
    >>> features = shared(span, 5)
    >>> features.shape
    torch.Size([5, 101, 40])
    >>> bool((features - fbank(windows)).abs().max() < 1e-3)
    True
    """

    def __init__(self, fbank, after, window, hop):
        super().__init__()
        stft = fbank.compute_STFT
        self.frame_hop = stft.hop_length
        if window % self.frame_hop or hop % self.frame_hop:
            raise ValueError(
                f"window ({window}) and hop ({hop}) must be multiples of the "
                f"STFT hop ({self.frame_hop} samples) to share frames"
            )
        self.fbank = PrecomputedFbank(fbank)
        self.after = after
        self.window = window
        self.hop_frames = hop // self.frame_hop
        self.frames = window // self.frame_hop + 1
        # Frames whose FFT reaches past a window edge (zero-padded there).
        self.edge = math.ceil(stft.n_fft / 2 / self.frame_hop)
        # Audio at each end of a window that holds its edge frames.
        self.edge_samples = self.frame_hop * 2 * self.edge
        if self.frames <= 2 * self.edge:
            raise ValueError(f"a window of {window} samples is too short")

    def forward(self, span, count, cache=None):
        """Features ``(count, frames, feats)`` of the windows of ``span``.

        Arguments
        ---------
        span : torch.Tensor
            ``((count - 1) * hop + window,)`` samples.
        count : int
            Windows starting every ``hop`` samples from the first sample.
        cache : FrameCache, optional
            The frames kept from the previous span of the same stream,
            which must start ``count * hop`` samples after that span's
            start (consecutive windows); updated for the next span.

        Returns
        -------
        torch.Tensor
        """
        cache = FrameCache() if cache is None else cache
        hop = self.hop_frames * self.frame_hop
        heads = span.unfold(0, self.edge_samples, hop)[:count]
        last_part = span[self.window - self.edge_samples :]
        tails = last_part.unfold(0, self.edge_samples, hop)[:count]
        inner = self._inner_frames(span, count, cache)
        inner = inner.unfold(0, self.frames - 2 * self.edge, self.hop_frames)
        ends = self.fbank.mel(torch.cat([heads, tails]))  # one STFT for both
        mel = torch.cat(
            [
                ends[:count, : self.edge],
                inner[:count].transpose(1, 2),
                ends[count:, -self.edge :],
            ],
            dim=1,
        )
        # The top_db floor of the log is taken per window, as alone.
        return self.after(self.fbank.decibels(mel))

    def _inner_frames(self, span, count, cache):
        """The frames of the windows' insides, each computed once.

        Frame ``j`` of the stream is centred on sample ``j * frame_hop``.
        The windows of ``span`` need frames ``first`` to ``last - 1``;
        those the cache lacks are computed from ``span``, with ``edge``
        frames of context before them so that no zero padding reaches them.
        """
        start = cache.offset // self.frame_hop
        first = start + self.edge
        last = start + (count - 1) * self.hop_frames + self.frames - self.edge
        frames = span.new_zeros(0, self.fbank.mel_matrix.shape[1])
        if cache.frames is not None:
            frames = cache.frames[first - cache.first :]
        done = first + len(frames)
        if done < last:
            begin = (done - start - self.edge) * self.frame_hop
            new = self.fbank.mel(span[None, begin:])[0]
            frames = torch.cat(
                [frames, new[self.edge : self.edge + last - done]]
            )
        cache.offset += count * self.hop_frames * self.frame_hop
        cache.first = cache.offset // self.frame_hop + self.edge
        cache.frames = frames[cache.first - first :]
        return frames


class FrameCache:
    """Frames of a stream kept between consecutive spans.

    ``offset`` is the stream sample where the next span starts, ``first``
    the stream frame index of ``frames[0]`` (linear mel energies).
    """

    def __init__(self):
        self.offset = 0
        self.first = 0
        self.frames = None


class WindowFeatures:
    """A model's front end on windows, or on the span of many windows.

    Arguments
    ---------
    compute_features : torch.nn.Module
        The model folder's front end.
    inference_front_end : callable
        The same features for a batch of windows (the classifier's
        ``front_end``: its filterbank computed once).
    window : int
        Window length in samples.
    device : str or torch.device
        Where the features are computed.

    Window by window it runs the classifier's inference front end (its
    filterbank computed once). On a span, the frames that overlapping
    windows share are computed once (:func:`shared_features`, built from
    the model folder's own front end) when that front end allows it, with
    the same features as window by window up to float rounding.
    """

    def __init__(self, compute_features, inference_front_end, window, device):
        self.compute_features = compute_features
        self.inference_front_end = inference_front_end
        self.window = window
        self.device = device
        self.shared = {}  # hop -> shared_features(...), or None

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
        """The shared-frame front end for ``hop``, or None."""
        shared = shared_features(self.compute_features, self.window, hop)
        return None if shared is None else shared.to(self.device)
