"""SpeechBrain's ``Fbank`` for inference: its filterbank computed once.

``speechbrain.lobes.features.Fbank`` rebuilds its triangular filterbank on
every call (its filters may be trained) and sums the squared real and
imaginary STFT parts over a last axis of size two; in an exported graph
both run on every clip. A trained model's filterbank is fixed:
:class:`PrecomputedFbank` reads it once as a matrix and computes the same
log-mel features (SpeechBrain's own STFT and log compression) with a plain
matrix product. :func:`inference_front_end` swaps it into a front end.

Authors
 * speechbrain-slimmable developers 2026
"""

import copy

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


class PrecomputedFbank(torch.nn.Module):
    """A copy of a SpeechBrain ``Fbank`` with its filterbank as a matrix.

    Arguments
    ---------
    fbank : speechbrain.lobes.features.Fbank
        The front end to copy (see :func:`split_front_end`).

    Example
    -------
    >>> fbank = Fbank(n_mels=40, n_fft=512)
    >>> fixed = PrecomputedFbank(fbank)
    >>> wav = torch.randn(2, 16000)
    >>> bool((fixed(wav) - fbank(wav)).abs().max() < 1e-4)
    True
    >>> fixed.mel(wav).shape  # linear energies, before the log
    torch.Size([2, 101, 40])
    """

    def __init__(self, fbank):
        super().__init__()
        self.stft = copy.deepcopy(fbank.compute_STFT)
        self.to_decibels = copy.deepcopy(fbank.compute_fbanks)
        # The filterbank is linear before its log: filtering each frequency
        # bin alone gives its matrix.
        linear = copy.deepcopy(fbank.compute_fbanks).eval()
        linear.log_mel = False
        bins = self.stft.n_fft // 2 + 1
        with torch.no_grad():
            matrix = linear(torch.eye(bins)[None])[0]
        self.register_buffer("mel_matrix", matrix)

    def mel(self, audio):
        """Linear mel energies ``(batch, frames, n_mels)`` of waveforms."""
        spectrum = self.stft(audio)  # (batch, frames, bins, real/imag)
        # SpeechBrain's spectral_magnitude (power 1): |X|^2. A sum over the
        # last axis, not a pick of its two entries: with a dynamic number
        # of samples, onnxruntime runs those picks as two slow Gathers
        # (0.4 ms of a 1.6 ms front end).
        power = spectrum.pow(2).sum(-1)
        return power @ self.mel_matrix

    def decibels(self, mel):
        """SpeechBrain's log compression: dB, floored ``top_db`` below the
        loudest bin of each item of the batch."""
        return self.to_decibels._amplitude_to_DB(mel)

    def forward(self, audio):
        """Log-mel features ``(batch, frames, n_mels)`` of waveforms."""
        return self.decibels(self.mel(audio))


def inference_front_end(compute_features):
    """A copy of a front end, its ``Fbank`` made a :class:`PrecomputedFbank`.

    A front end of another kind is copied as it is.

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
    if isinstance(after, torch.nn.Identity):
        return PrecomputedFbank(fbank)
    return torch.nn.Sequential(PrecomputedFbank(fbank), *copy.deepcopy(after))
