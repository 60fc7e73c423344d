"""Augmentations of log-mel features, for clips that come without audio.

Spectrogram images (see
:mod:`speechbrain_slimmable.dataio.spectrograms`) hold natural-log mel
energies, not waveforms, so the waveform augmentations of a recipe cannot
run on them. These do the same in the feature domain: a time shift, a
gain, and background noise added in the power domain at a random SNR.
Each takes and returns ``(batch, frames, n_mels)`` log-mel features,
draws from torch's global generator (seeded and checkpointed by the
recipe), and composes in a ``speechbrain.augment.augmenter.Augmenter``.
Features stay within ``[floor, ceiling]``, the range the images cover.

Authors
 * speechbrain-slimmable developers 2026
"""

import math
import os

import numpy as np
import torch

from speechbrain_slimmable.dataio.spectrograms import (
    IMAGE_EXTENSIONS,
    decode_image,
)
from speechbrain_slimmable.lobes.features import (
    log_mel_from_pixels,
    pixel_range,
)


def _uniform(count, low, high, device):
    """``count`` draws from ``U(low, high)`` (torch's global generator)."""
    return torch.rand(count).to(device) * (high - low) + low


class LogMelShift(torch.nn.Module):
    """Shift each clip in time by its own number of frames.

    Frames that enter are silence (``floor``), nothing wraps round.

    Arguments
    ---------
    max_frames : int
        The largest shift either way, in frames.
    floor : float
        The log-mel value of silence (default: pixel 0 of the images).

    Example
    -------
    >>> _ = torch.manual_seed(0)
    >>> shift = LogMelShift(max_frames=3, floor=0.0)
    >>> feats = torch.ones(4, 10, 2)
    >>> out = shift(feats)
    >>> out.shape, bool((out.sum(dim=(1, 2)) >= 14).all())
    (torch.Size([4, 10, 2]), True)
    """

    def __init__(self, max_frames=10, floor=None):
        super().__init__()
        self.max_frames = max_frames
        self.floor = pixel_range()[0] if floor is None else floor

    def forward(self, log_mel):
        """Shifted ``log_mel`` ``(batch, frames, n_mels)``."""
        shifts = torch.randint(
            -self.max_frames, self.max_frames + 1, (len(log_mel),)
        )
        return shift_frames(log_mel, shifts, self.floor)


def shift_frames(log_mel, shifts, floor):
    """Each clip of ``log_mel`` ``(batch, frames, n_mels)`` moved later by
    its ``shifts`` ``(batch,)`` frames (earlier when negative); frames that
    enter are ``floor``.

    Example
    -------
    >>> shift_frames(torch.arange(4.0).view(1, 4, 1), torch.tensor([1]), -1.0)
    tensor([[[-1.],
             [ 0.],
             [ 1.],
             [ 2.]]])
    """
    frames = log_mel.shape[1]
    source = torch.arange(frames).unsqueeze(0) - shifts.cpu().unsqueeze(1)
    inside = ((source >= 0) & (source < frames)).to(log_mel.device)
    index = source.clamp(0, frames - 1).to(log_mel.device)
    gathered = log_mel.gather(
        1, index.unsqueeze(-1).expand(-1, -1, log_mel.shape[-1])
    )
    return torch.where(
        inside.unsqueeze(-1), gathered, torch.full_like(log_mel, floor)
    )


class LogMelGain(torch.nn.Module):
    """Scale each clip's power by a random gain in decibels.

    Arguments
    ---------
    low_db, high_db : float
        The range of the gain.

    Example
    -------
    >>> gain = LogMelGain(low_db=10.0, high_db=10.0)
    >>> out = gain(torch.zeros(1, 3, 2))
    >>> round(float(out[0, 0, 0]), 4) == round(math.log(10.0), 4)
    True
    """

    def __init__(self, low_db=-10.0, high_db=10.0):
        super().__init__()
        self.low_db = low_db
        self.high_db = high_db

    def forward(self, log_mel):
        """``log_mel`` plus a gain per clip, clamped to the image range."""
        gain_db = _uniform(
            len(log_mel), self.low_db, self.high_db, log_mel.device
        )
        gain = (gain_db * math.log(10.0) / 10.0).view(-1, 1, 1)
        return (log_mel + gain).clamp(*pixel_range())


class LogMelNoise(torch.nn.Module):
    """Add background noise to each clip, in the power domain.

    A random noise spectrogram of ``noise`` (rolled by a random number of
    frames) is scaled so that the clip's mean mel power is ``snr`` decibels
    above the noise's, with ``snr`` drawn in ``[snr_low, snr_high]`` for
    each clip, and added to the clip's mel power.

    Arguments
    ---------
    noise : torch.Tensor or str
        Log-mel noise ``(count, frames, n_mels)``, or a folder of noise
        images (decoded once, e.g. ``gsc_v2_spectrograms``'
        ``_background_noise_``).
    snr_low, snr_high : float
        The range of the signal-to-noise ratio, in decibels.

    Example
    -------
    >>> _ = torch.manual_seed(0)
    >>> noise = LogMelNoise(torch.zeros(5, 10, 4), snr_low=0.0, snr_high=0.0)
    >>> out = noise(torch.zeros(2, 10, 4))
    >>> torch.allclose(out, torch.full_like(out, math.log(2.0)))
    True
    """

    def __init__(self, noise, snr_low=0.0, snr_high=15.0):
        super().__init__()
        if isinstance(noise, str):
            noise = _decode_noise_folder(noise)
        if noise.ndim != 3 or len(noise) == 0:
            raise ValueError(
                "noise must be log-mel features (count, frames, n_mels) or "
                f"a folder of noise images, got shape {tuple(noise.shape)}"
            )
        self.register_buffer("noise", noise.float(), persistent=False)
        self.snr_low = snr_low
        self.snr_high = snr_high

    def forward(self, log_mel):
        """``log_mel`` with noise added, clamped to the image range."""
        batch, frames, n_mels = log_mel.shape
        if self.noise.shape[1:] != (frames, n_mels):
            raise ValueError(
                f"noise spectrograms are {tuple(self.noise.shape[1:])} "
                f"(frames, n_mels), the clips {(frames, n_mels)}"
            )
        picks = torch.randint(len(self.noise), (batch,))
        rolls = torch.randint(frames, (batch,))
        noise = torch.stack(
            [
                self.noise[p].roll(int(r), dims=0)
                for p, r in zip(picks.tolist(), rolls.tolist())
            ]
        ).to(log_mel.device)
        snr_db = _uniform(batch, self.snr_low, self.snr_high, log_mel.device)
        speech_power = log_mel.exp().mean(dim=(1, 2))
        noise_power = noise.exp().mean(dim=(1, 2))
        scale = speech_power / noise_power / 10 ** (snr_db / 10)
        mixed = log_mel.exp() + noise.exp() * scale.view(-1, 1, 1)
        return mixed.log().clamp(*pixel_range())


def _decode_noise_folder(folder):
    """Log-mel features of every image in ``folder``."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"no folder of noise images at {folder}")
    names = sorted(
        n for n in os.listdir(folder) if n.lower().endswith(IMAGE_EXTENSIONS)
    )
    if not names:
        raise ValueError(f"no noise images in {folder}")
    pixels = np.stack([decode_image(os.path.join(folder, n)) for n in names])
    return log_mel_from_pixels(torch.from_numpy(pixels))
