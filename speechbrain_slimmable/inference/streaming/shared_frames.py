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
length and hop are whole numbers of STFT hops.

Authors
 * speechbrain-slimmable developers 2026
"""

import math

import torch

from speechbrain_slimmable.inference.serving.fbank import PrecomputedFbank


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
