"""The front end of the Speech Commands spectrogram images, from audio.

``gsc_v2_spectrograms`` holds Speech Commands clips as 98x40 uint8 log-mel
JPG images. :class:`SpectrogramImageFbank` computes the same log-mel
features from a waveform, so that a model trained on the images runs on
audio (and exports to ONNX with its front end), and
:func:`log_mel_from_pixels` turns an image's pixels into those features.

The settings were fitted on pairs of images and WAVs of the same clips
(the data's README): 30 ms Hann frames every 10 ms, no padding, a 512-point
FFT, 40 HTK-mel triangles from 0 to 4 kHz weighted as
``tf.signal.linear_to_mel_weight_matrix`` does, ``ln(mel + 3e-7)``, and
pixels ``clip(round(9.958 * ln + 146.19), 0, 255)``.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch

PIXEL_SCALE = 9.958
PIXEL_OFFSET = 146.19
LOG_FLOOR = 3e-7


def log_mel_from_pixels(pixels):
    """The log-mel features a spectrogram image's pixels encode.

    Arguments
    ---------
    pixels : torch.Tensor
        uint8 (or float) grey levels, ``(..., time, n_mels)``.

    Returns
    -------
    torch.Tensor
        Float natural-log mel energies, same shape.

    Example
    -------
    >>> pixels = torch.tensor([[0, 146, 255]], dtype=torch.uint8)
    >>> [round(v, 2) for v in log_mel_from_pixels(pixels)[0].tolist()]
    [-14.68, -0.02, 10.93]
    """
    return (pixels.float() - PIXEL_OFFSET) / PIXEL_SCALE


def pixels_from_log_mel(log_mel):
    """The 8-bit grey levels that encode log-mel features, as the images do
    (the inverse of :func:`log_mel_from_pixels` up to rounding).

    Example
    -------
    >>> pixels = torch.tensor([0, 100, 255], dtype=torch.uint8)
    >>> bool((pixels_from_log_mel(log_mel_from_pixels(pixels)) == pixels).all())
    True
    """
    pixels = torch.round(log_mel * PIXEL_SCALE + PIXEL_OFFSET).clamp(0, 255)
    return pixels.to(torch.uint8)


def hz_to_htk_mel(hz):
    """HTK's mel scale, ``1127 ln(1 + f / 700)``.

    Example
    -------
    >>> round(float(hz_to_htk_mel(torch.tensor(1000.0))), 1)
    1000.0
    """
    return 1127.0 * torch.log1p(hz / 700.0)


def mel_weights(n_mels, n_fft, sample_rate, f_min, f_max):
    """Triangular mel filters on the FFT bins, ``(n_fft // 2 + 1, n_mels)``.

    Edges evenly spaced on the HTK mel scale from ``f_min`` to ``f_max``;
    each bin is weighted by where its frequency falls on its triangle, and
    the DC bin gets no weight (as ``tf.signal.linear_to_mel_weight_matrix``).

    Example
    -------
    >>> weights = mel_weights(40, 512, 16000, 0.0, 4000.0)
    >>> weights.shape, float(weights[0].abs().sum())
    (torch.Size([257, 40]), 0.0)
    >>> bool((weights >= 0).all() and weights.max() <= 1)
    True
    """
    bins = n_fft // 2 + 1
    frequencies = torch.linspace(
        0.0, sample_rate / 2, bins, dtype=torch.float64
    )
    bin_mels = hz_to_htk_mel(frequencies[1:]).unsqueeze(1)
    edges = torch.linspace(
        float(hz_to_htk_mel(torch.tensor(f_min, dtype=torch.float64))),
        float(hz_to_htk_mel(torch.tensor(f_max, dtype=torch.float64))),
        n_mels + 2,
        dtype=torch.float64,
    )
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bin_mels - lower) / (center - lower)
    falling = (upper - bin_mels) / (upper - center)
    weights = torch.clamp(torch.minimum(rising, falling), min=0.0)
    return torch.cat([torch.zeros(1, n_mels, dtype=torch.float64), weights])


class SpectrogramImageFbank(torch.nn.Module):
    """Log-mel features of a waveform, as the spectrogram images hold them.

    Frames of ``frame_length`` samples every ``hop_length``, without
    padding (a 1 s clip at 16 kHz gives 98 frames), a periodic Hann window,
    the power of an ``n_fft``-point FFT, HTK-mel triangles (see
    :func:`mel_weights`) and ``ln(mel + 3e-7)``, clamped to the range the
    images' 8-bit pixels cover. Its output equals
    :func:`log_mel_from_pixels` of the image of the same clip up to JPEG
    noise, so a model trained on images runs on audio, and audio and
    images mix in one training set. Exports to ONNX (dynamo exporter).

    Arguments
    ---------
    sample_rate : int
        Of the input waveforms.
    n_mels : int
        Mel bands.
    frame_length : int
        Samples a frame (480: 30 ms at 16 kHz).
    hop_length : int
        Samples between frames (160: 10 ms).
    n_fft : int
        FFT size; frames are zero-padded to it.
    f_min, f_max : float
        Lowest and highest edge of the mel filters, in Hz.
    clamp : bool
        Clamp to the range of the images' pixels (0-255), so that features
        of audio and of images agree on silence and on loud clips.

    Example
    -------
    >>> fbank = SpectrogramImageFbank()
    >>> feats = fbank(torch.randn(2, 16000) * 0.1)
    >>> feats.shape
    torch.Size([2, 98, 40])
    >>> silence = fbank(torch.zeros(1, 16000))
    >>> round(float(silence.max()), 4) == round(pixel_range()[0], 4)
    True
    """

    def __init__(
        self,
        sample_rate=16000,
        n_mels=40,
        frame_length=480,
        hop_length=160,
        n_fft=512,
        f_min=0.0,
        f_max=4000.0,
        clamp=True,
    ):
        super().__init__()
        if frame_length > n_fft:
            raise ValueError(
                f"frame_length ({frame_length}) must not exceed n_fft ({n_fft})"
            )
        self.frame_length = frame_length
        self.hop_length = hop_length
        self.n_fft = n_fft
        self.clamp = clamp
        self.register_buffer(
            "window",
            torch.hann_window(frame_length, periodic=True),
            persistent=False,
        )
        weights = mel_weights(n_mels, n_fft, sample_rate, f_min, f_max)
        self.register_buffer("mel", weights.float(), persistent=False)

    def forward(self, wavs):
        """Features ``(batch, frames, n_mels)`` of ``wavs`` ``(batch, time)``."""
        if wavs.shape[-1] < self.frame_length:
            raise ValueError(
                f"a waveform of {wavs.shape[-1]} samples is shorter than one "
                f"frame ({self.frame_length} samples)"
            )
        frames = wavs.unfold(-1, self.frame_length, self.hop_length)
        spectrum = torch.fft.rfft(frames * self.window, n=self.n_fft)
        power = spectrum.real.square() + spectrum.imag.square()
        log_mel = torch.log(power @ self.mel + LOG_FLOOR)
        if self.clamp:
            log_mel = log_mel.clamp(*pixel_range())
        return log_mel


def pixel_range():
    """The log-mel values of pixels 0 and 255, ``(low, high)``.

    Example
    -------
    >>> [round(v, 2) for v in pixel_range()]
    [-14.68, 10.93]
    """
    return (
        (0 - PIXEL_OFFSET) / PIXEL_SCALE,
        (255 - PIXEL_OFFSET) / PIXEL_SCALE,
    )
