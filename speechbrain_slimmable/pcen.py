"""Per-channel energy normalisation (PCEN) of log-mel features.

PCEN (Wang et al., "Trainable frontend for robust and far-field keyword
spotting", ICASSP 2017) replaces the log of the mel power by an automatic
gain control per mel band followed by a root compression: each band is
divided by its own smoothed recent energy, so stationary background noise
and the recording level are largely divided out. Here it is applied to
log-mel features (natural log, as :class:`~speechbrain_slimmable.lobes.
features.SpectrogramImageFbank` computes them and the spectrogram images
hold them), so that audio and images share it; per window, after the
filterbank, as part of the model's front end.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch

COMPRESSIONS = ("log", "pcen")


class LogMelPCEN(torch.nn.Module):
    """PCEN of ``(batch, time, mel)`` natural-log mel features.

    With ``E = exp(features)`` the mel power and ``M`` its first-order
    smoothing over time (``M[t] = (1 - s) M[t-1] + s E[t]``, started at
    ``E[0]``), the output is ``(E / (eps + M) ** alpha + delta) ** r -
    delta ** r``. The smoothing is a fixed lower-triangular matrix over the
    frames, so the module has no loop and exports to ONNX.

    Arguments
    ---------
    smoothing : float
        ``s``, the smoother's weight of the newest frame (0.025 at 10 ms
        frames: a time constant of about 0.4 s).
    alpha : float
        Exponent of the gain normalisation (1: full).
    delta : float
        Bias added before the root compression.
    root : float
        ``r``, exponent of the root compression.
    eps : float
        Added to the smoothed energy, so silence is not amplified.

    Example
    -------
    >>> pcen = LogMelPCEN()
    >>> log_mel = torch.randn(2, 98, 40)
    >>> pcen(log_mel).shape
    torch.Size([2, 98, 40])
    >>> louder = log_mel + 4.0  # the same clip, 17 dB louder
    >>> change = (pcen(louder) - pcen(log_mel)).abs() / pcen(log_mel)
    >>> bool(change.max() < 0.1)  # a log would move by 4
    True
    """

    def __init__(
        self, smoothing=0.025, alpha=0.98, delta=2.0, root=0.5, eps=1e-6
    ):
        super().__init__()
        if not 0.0 < smoothing <= 1.0:
            raise ValueError(f"smoothing must be in (0, 1], got {smoothing}")
        self.smoothing = smoothing
        self.alpha = alpha
        self.delta = delta
        self.root = root
        self.eps = eps

    def smoother(self, frames, device):
        """The ``(frames, frames)`` matrix taking power to its smoothing.

        Row ``t`` weighs frame ``j <= t`` by ``s (1 - s) ** (t - j)``; the
        first column also carries ``(1 - s) ** (t + 1)``, the share of the
        smoother's start value ``E[0]``.
        """
        steps = torch.arange(frames, device=device, dtype=torch.float32)
        lag = steps.unsqueeze(1) - steps.unsqueeze(0)
        keep = 1.0 - self.smoothing
        weights = self.smoothing * keep ** lag.clamp(min=0.0)
        weights = torch.where(lag >= 0, weights, torch.zeros_like(weights))
        start = torch.zeros_like(weights)
        start[:, 0] = keep ** (steps + 1.0)
        return weights + start

    def forward(self, log_mel):
        """PCEN of ``log_mel``, shape ``(batch, time, mel)``."""
        power = torch.exp(log_mel)
        matrix = self.smoother(log_mel.shape[1], log_mel.device)
        smoothed = torch.einsum("tj,bjm->btm", matrix, power)
        gain = log_mel - self.alpha * torch.log(smoothed + self.eps)
        return (torch.exp(gain) + self.delta) ** self.root - (
            self.delta**self.root
        )


def mel_compression(kind):
    """The front-end step after a log-mel filterbank that ``kind`` names.

    Arguments
    ---------
    kind : str
        ``"log"`` (keep the log-mel features) or ``"pcen"``
        (:class:`LogMelPCEN` with its defaults).

    Returns
    -------
    torch.nn.Module

    Example
    -------
    >>> mel_compression("log")
    Identity()
    >>> mel_compression("mfcc")
    Traceback (most recent call last):
    ...
    ValueError: compression must be one of log, pcen, got 'mfcc'
    """
    if kind == "log":
        return torch.nn.Identity()
    if kind == "pcen":
        return LogMelPCEN()
    raise ValueError(
        f"compression must be one of {', '.join(COMPRESSIONS)}, got {kind!r}"
    )
