"""Audio checks and the fixed one-clip window the KWS models read.

Authors
 * speechbrain-slimmable developers 2026
"""

import os

import soundfile
import torch
import torchaudio


def load_audio(path, sample_rate):
    """Read an audio file as a mono waveform at ``sample_rate``.

    Other sample rates are resampled (torchaudio), several channels are
    averaged to mono. Missing, unreadable, empty or non-finite audio raises
    a ValueError (FileNotFoundError for a missing file) naming the file.

    Arguments
    ---------
    path : str or os.PathLike
        An audio file soundfile can read (WAV, FLAC, OGG...).
    sample_rate : int
        The rate the model expects.

    Returns
    -------
    torch.Tensor
        ``(samples,)`` float32 waveform.

    Example
    -------
    >>> import numpy, soundfile
    >>> path = getfixture("tmp_path") / "stereo.wav"
    >>> soundfile.write(path, numpy.ones((8000, 2)) * 0.5, 8000)
    >>> load_audio(path, 16000).shape
    torch.Size([16000])
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"audio file {path} does not exist")
    try:
        data, file_rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise ValueError(
            f"cannot read audio file {path}: {error} (accepted: formats "
            "soundfile reads, e.g. WAV, FLAC, OGG)"
        ) from None
    wav = torch.from_numpy(data).mean(dim=1)
    check_waveform(wav, path)
    if file_rate != sample_rate:
        wav = torchaudio.functional.resample(wav, file_rate, sample_rate)
    return wav


def check_waveform(wav, name="waveform"):
    """Raise a ValueError if ``wav`` is empty or holds NaN or inf.

    Example
    -------
    >>> check_waveform(torch.tensor([0.0, float("nan")]), "clip.wav")
    Traceback (most recent call last):
     ...
    ValueError: clip.wav holds NaN or infinite samples
    """
    if wav.numel() == 0:
        raise ValueError(f"{name} is empty (no audio samples)")
    if not torch.isfinite(wav).all():
        raise ValueError(f"{name} holds NaN or infinite samples")


def fit_to_window(wav, num_samples, hop=160):
    """Pad or crop the last dim of ``wav`` to exactly ``num_samples``.

    A shorter clip is zero-padded on both sides (centred). From a longer
    clip the window of ``num_samples`` with the most energy is kept (searched
    every ``hop`` samples), where a spoken keyword most likely is.

    Arguments
    ---------
    wav : torch.Tensor
        ``(samples,)`` waveform.
    num_samples : int
        Window length (the model's clip, e.g. 16000 for 1 s at 16 kHz).
    hop : int
        Step of the window search.

    Returns
    -------
    torch.Tensor
        ``(num_samples,)`` waveform.

    Example
    -------
    >>> fit_to_window(torch.ones(4), 8)
    tensor([0., 0., 1., 1., 1., 1., 0., 0.])
    >>> wav = torch.zeros(100)
    >>> wav[60:70] = 1.0
    >>> int(fit_to_window(wav, 20, hop=5).sum())
    10
    """
    length = wav.shape[-1]
    if length < num_samples:
        before = (num_samples - length) // 2
        after = num_samples - length - before
        return torch.nn.functional.pad(wav, (before, after))
    if length == num_samples:
        return wav
    energy = torch.cat([wav.new_zeros(1), (wav**2).cumsum(-1)])
    starts = torch.arange(0, length - num_samples + 1, hop)
    window_energy = energy[starts + num_samples] - energy[starts]
    start = int(starts[window_energy.argmax()])
    return wav[start : start + num_samples]
