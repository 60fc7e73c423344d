"""SpeechBrain's ``Fbank`` for inference: its filterbank computed once.

``speechbrain.lobes.features.Fbank`` rebuilds its triangular filterbank on
every call (its filters may be trained) and sums the squared real and
imaginary STFT parts over a last axis of size two; in an exported graph
both run on every clip. A trained model's filterbank is fixed:
:class:`PrecomputedFbank` reads it once as a matrix and computes the same
log-mel features (SpeechBrain's own STFT and log compression) with a plain
matrix product. :func:`inference_front_end` swaps it into a front end.

For ONNX, the power spectrum can be one convolution instead
(:class:`ConvolutionalPowerSpectrum`): in onnxruntime, on one thread, the
front end takes about twice as long with its ``STFT`` as with a convolution
with the windowed DFT basis (``benchmarks/run.py`` times both, section 4 of
its results).

Authors
 * speechbrain-slimmable developers 2026
"""

import copy
import math

import torch
from speechbrain.lobes.features import Fbank


def split_front_end(compute_features):
    """The ``Fbank`` and the per-clip modules after it, or None.

    Arguments
    ---------
    compute_features : torch.nn.Module
        A front end: waveforms to features.

    Returns
    -------
    tuple or None
        ``(fbank, after)`` where ``after`` is a module applied to the
        log-mel features (identity when there is none); None when the front
        end is not SpeechBrain's ``Fbank`` (without deltas or context,
        centred frames), alone or first in a ``torch.nn.Sequential``.

    Example
    -------
    >>> split_front_end(Fbank(n_mels=40))[1]
    Identity()
    >>> split_front_end(torch.nn.Linear(1, 1)) is None
    True
    """
    modules = [compute_features]
    if isinstance(compute_features, torch.nn.Sequential):
        modules = list(compute_features)
    fbank, after = modules[0], modules[1:]
    if not isinstance(fbank, Fbank) or fbank.deltas or fbank.context:
        return None
    if not fbank.compute_STFT.center:
        return None
    return fbank, torch.nn.Sequential(*after) if after else torch.nn.Identity()


class STFTPowerSpectrum(torch.nn.Module):
    """``|X|^2`` of SpeechBrain's STFT, ``(batch, frames, bins)``.

    Arguments
    ---------
    stft : speechbrain.processing.features.STFT
        The transform (copied).

    Example
    -------
    >>> fbank = Fbank(n_fft=512)
    >>> STFTPowerSpectrum(fbank.compute_STFT)(torch.randn(2, 16000)).shape
    torch.Size([2, 101, 257])
    """

    def __init__(self, stft):
        super().__init__()
        self.stft = copy.deepcopy(stft)

    def forward(self, audio):
        """Power spectra of waveforms ``(batch, samples)``."""
        spectrum = self.stft(audio)  # (batch, frames, bins, real/imag)
        # SpeechBrain's spectral_magnitude (power 1): |X|^2. A sum over the
        # last axis, not a pick of its two entries: with a dynamic number
        # of samples, onnxruntime runs those picks as two slow Gathers
        # (0.4 ms of a 1.6 ms front end).
        return spectrum.pow(2).sum(-1)


class ConvolutionalPowerSpectrum(torch.nn.Module):
    """The power spectrum of SpeechBrain's STFT as one convolution.

    Each output channel of a strided ``conv1d`` is the real or imaginary
    part of one frequency bin: its kernel is the window times a cosine or
    sine of that bin, over the window's support (``win_length`` samples;
    the rest of each ``n_fft`` frame is zeros). The centring pad of
    ``torch.stft`` (its ``pad_mode``) is applied less the frame's zeros, so
    frames, bins and values are those of :class:`STFTPowerSpectrum` to
    float precision. It is slower than ``torch.stft`` in PyTorch and faster
    than ``STFT`` in onnxruntime (see the module's docstring).

    Arguments
    ---------
    stft : speechbrain.processing.features.STFT
        The transform (centred frames).

    Example
    -------
    >>> fbank = Fbank(n_fft=512)
    >>> wavs = torch.randn(2, 12345)
    >>> fast = ConvolutionalPowerSpectrum(fbank.compute_STFT)(wavs)
    >>> slow = STFTPowerSpectrum(fbank.compute_STFT)(wavs)
    >>> fast.shape, bool(((fast - slow).abs() / slow.max()).max() < 1e-5)
    (torch.Size([2, 78, 257]), True)
    """

    def __init__(self, stft):
        super().__init__()
        if not stft.center:
            raise ValueError("only centred STFT frames (center=True)")
        n_fft, width = stft.n_fft, stft.win_length
        self.n_fft = n_fft
        self.bins = n_fft // 2 + 1  # onesided, as SpeechBrain's Fbank
        before = (n_fft - width) // 2  # torch.stft centres the window
        window = stft.window.float()
        if stft.normalized_stft:
            window = window / math.sqrt(n_fft)
        self.register_buffer("window", window)
        # Integer grids as buffers, not torch.arange in forward: exported,
        # arange brings CastLike nodes, which onnxruntime cannot fold.
        self.register_buffer("samples", torch.arange(width) + before)
        self.register_buffer("frequencies", torch.arange(self.bins))
        self.hop = stft.hop_length
        self.pad_mode = stft.pad_mode
        after = n_fft - width - before
        self.padding = (n_fft // 2 - before, n_fft // 2 - after)

    def basis(self):
        """The kernels ``(2 * bins, 1, win_length)``: cosines, then sines.

        Computed from integers on every call rather than stored: in an
        ONNX file it is a small subgraph of constants, which onnxruntime
        folds once when it loads the file, instead of 514 x 400 floats
        that would outweigh a narrow model's weights.
        """
        # Whole turns dropped in integers: float32 keeps the phase exact.
        turns = self.frequencies[:, None] * self.samples[None] % self.n_fft
        phase = turns.to(self.window.dtype) * (2 * math.pi / self.n_fft)
        kernels = torch.cat([torch.cos(phase), torch.sin(phase)])
        return (kernels * self.window)[:, None, :]

    def forward(self, audio):
        """Power spectra ``(batch, frames, bins)`` of ``(batch, samples)``."""
        padded = torch.nn.functional.pad(
            audio[:, None], self.padding, mode=self.pad_mode
        )
        parts = torch.nn.functional.conv1d(
            padded, self.basis(), stride=self.hop
        )
        real, imaginary = parts.pow(2).split(self.bins, dim=1)
        return (real + imaginary).transpose(1, 2)


class PrecomputedFbank(torch.nn.Module):
    """A copy of a SpeechBrain ``Fbank`` with its filterbank as a matrix.

    Arguments
    ---------
    fbank : speechbrain.lobes.features.Fbank
        The front end to copy (see :func:`split_front_end`).
    for_onnx : bool
        Compute the power spectrum with a
        :class:`ConvolutionalPowerSpectrum` (the faster in onnxruntime)
        instead of ``torch.stft`` (the faster in PyTorch).

    Example
    -------
    >>> fbank = Fbank(n_mels=40, n_fft=512)
    >>> fixed = PrecomputedFbank(fbank)
    >>> wav = torch.randn(2, 16000)
    >>> bool((fixed(wav) - fbank(wav)).abs().max() < 1e-4)
    True
    >>> fixed.mel(wav).shape  # linear energies, before the log
    torch.Size([2, 101, 40])
    >>> bool((PrecomputedFbank(fbank, for_onnx=True)(wav) - fixed(wav))
    ...     .abs().max() < 1e-4)
    True
    """

    def __init__(self, fbank, for_onnx=False):
        super().__init__()
        spectrum = ConvolutionalPowerSpectrum if for_onnx else STFTPowerSpectrum
        self.power_spectrum = spectrum(fbank.compute_STFT)
        self.to_decibels = copy.deepcopy(fbank.compute_fbanks)
        # The filterbank is linear before its log: filtering each frequency
        # bin alone gives its matrix.
        linear = copy.deepcopy(fbank.compute_fbanks).eval()
        linear.log_mel = False
        bins = fbank.compute_STFT.n_fft // 2 + 1
        with torch.no_grad():
            matrix = linear(torch.eye(bins)[None])[0]
        self.register_buffer("mel_matrix", matrix)

    def mel(self, audio):
        """Linear mel energies ``(batch, frames, n_mels)`` of waveforms."""
        return self.power_spectrum(audio) @ self.mel_matrix

    def decibels(self, mel):
        """SpeechBrain's log compression: dB, floored ``top_db`` below the
        loudest bin of each item of the batch."""
        return self.to_decibels._amplitude_to_DB(mel)

    def forward(self, audio):
        """Log-mel features ``(batch, frames, n_mels)`` of waveforms."""
        return self.decibels(self.mel(audio))


def inference_front_end(compute_features, for_onnx=False):
    """A copy of a front end, its ``Fbank`` made a :class:`PrecomputedFbank`.

    A front end of another kind is copied as it is.

    Arguments
    ---------
    compute_features : torch.nn.Module
        A front end: waveforms to features.
    for_onnx : bool
        For an ONNX graph: see :class:`PrecomputedFbank`.

    Example
    -------
    >>> from speechbrain_slimmable.features import UtteranceNormalization
    >>> front = torch.nn.Sequential(Fbank(n_mels=40), UtteranceNormalization())
    >>> [type(m).__name__ for m in inference_front_end(front)]
    ['PrecomputedFbank', 'UtteranceNormalization']
    """
    parts = split_front_end(compute_features)
    if parts is None:
        return copy.deepcopy(compute_features)
    fbank, after = parts
    fixed = PrecomputedFbank(fbank, for_onnx=for_onnx)
    if isinstance(after, torch.nn.Identity):
        return fixed
    return torch.nn.Sequential(fixed, *copy.deepcopy(after))
