"""Long keyword-spotting test streams with their ground truth.

Words (keywords and other words) are placed at random times over a bed of
background noise whose level changes from piece to piece; each word is
scaled to a random signal-to-noise ratio against the noise under it. The
streams are reproducible from a seed, and built one at a time, so hours
of audio never sit in memory together.

Authors
 * speechbrain-slimmable developers 2026
"""

import random

import torch

from speechbrain_slimmable.dataio.audio import load_audio


class Word:
    """A word placed in a stream: label, start and end of its clip in
    seconds, the signal-to-noise ratio (dB) it was mixed at, where known,
    and its centre: where the energy of its clip is centred (a word can sit
    anywhere in its one-second clip), by default the middle of the clip.

    Example
    -------
    >>> Word("yes", 2.0, 3.0).centre, Word("yes", 2.0, 3.0, centre=2.2).centre
    (2.5, 2.2)
    """

    __slots__ = ("label", "start", "end", "snr", "centre")

    def __init__(self, label, start, end, snr=None, centre=None):
        self.label, self.start, self.end = label, start, end
        self.snr = snr
        self.centre = (start + end) / 2 if centre is None else centre

    def __repr__(self):
        snr = "" if self.snr is None else f", snr={self.snr:.1f}"
        return f"Word({self.label!r}, {self.start:.3f}, {self.end:.3f}{snr})"


def build_streams(
    items,
    noise_parts,
    seed=0,
    passes=1,
    stream_seconds=300.0,
    gap=(1.0, 10.0),
    snr=(0.0, 20.0),
    noise_dbfs=(-45.0, -25.0),
    noise_piece=(2.0, 10.0),
    sample_rate=16000,
):
    """Yield long streams of words over noise, with their ground truth.

    Every item is used ``passes`` times (shuffled), each time at a new
    place, level and noise; the words are dealt out over as many streams
    as they fill.

    Arguments
    ---------
    items : list of (str, str)
        Clips and their labels (e.g. from
        :func:`speechbrain_slimmable.dataio.folders.list_labelled_wavs`).
    noise_parts : list of (str, float, float)
        Noise files and the part of each to use, as fractions of its
        length (e.g. ``(path, 0.9, 1.0)``: its last tenth).
    seed : int
        Seed of every random draw.
    passes : int
        Times each item is used.
    stream_seconds : float
        Length of each stream (the last one may be shorter).
    gap : tuple of float
        Seconds of noise alone between two words (uniform range).
    snr : tuple of float
        Signal-to-noise ratio of each word in dB (uniform range): the RMS of
        its clip (silence included) against the RMS of the noise under it.
        SpeechBrain's ``AddNoise`` measures the clip by its mean absolute
        amplitude instead (the noise by its RMS); on Speech Commands clips
        (mostly silence around the word) its SNR reads about 8 dB lower
        than this one for the same mix.
    noise_dbfs : tuple of float
        RMS level of each noise piece in dB full scale (uniform range).
    noise_piece : tuple of float
        Length of the noise pieces in seconds (uniform range).
    sample_rate : int
        Rate of the streams (clips are resampled to it).

    Yields
    ------
    wav : torch.Tensor
        ``(samples,)`` the stream.
    words : list of Word
        What was placed where.

    Example
    -------
    >>> import numpy, soundfile
    >>> folder = getfixture("tmp_path")
    >>> soundfile.write(folder / "yes.wav", numpy.full(800, 0.5), 800)
    >>> soundfile.write(folder / "noise.wav", numpy.ones(8000) / 10, 800)
    >>> streams = list(build_streams([(folder / "yes.wav", "yes")] * 4,
    ...     [(folder / "noise.wav", 0.5, 1.0)], stream_seconds=6,
    ...     gap=(1.0, 2.0), sample_rate=800))
    >>> [(wav.shape[0] / 800, len(words)) for wav, words in streams]
    [(6.0, 2), (6.0, 2)]
    >>> streams[0][1]
    [Word('yes', 1.259, 2.259, snr=1.9), Word('yes', 3.770, 4.770, snr=16.0)]
    """
    rng = random.Random(seed)
    order = [item for _ in range(passes) for item in items]
    rng.shuffle(order)
    noises = [
        _noise_part(path, low, high, sample_rate)
        for path, low, high in noise_parts
    ]
    mixer = _Mixer(rng, noises, snr, noise_dbfs, noise_piece, sample_rate)
    limit = round(stream_seconds * sample_rate)
    placed, length = [], 0
    for path, label in order:
        clip = load_audio(path, sample_rate)
        start = length + round(rng.uniform(*gap) * sample_rate)
        if placed and start + clip.numel() > limit:
            yield mixer.mix(placed, limit)
            start -= length
            placed = []
        if start + clip.numel() > limit:
            raise ValueError(
                f"stream_seconds={stream_seconds} cannot hold {path} "
                f"({clip.numel() / sample_rate:g} s) after a gap of "
                f"{start / sample_rate:.3g} s; use streams longer than the "
                f"largest gap ({gap[1]} s) plus the longest clip"
            )
        placed.append((start, clip, label))
        length = start + clip.numel()
    if placed:
        end = length + round(rng.uniform(*gap) * sample_rate)
        yield mixer.mix(placed, min(end, limit))


class _Mixer:
    """Noise beds at random levels, words added at random SNRs."""

    def __init__(self, rng, noises, snr, noise_dbfs, noise_piece, rate):
        self.rng = rng
        self.noises = noises
        self.snr = snr
        self.noise_dbfs = noise_dbfs
        self.noise_piece = noise_piece
        self.rate = rate

    def mix(self, placed, length):
        """A stream of ``length`` samples holding the placed clips."""
        rng = self.rng
        bed = torch.zeros(length)
        position = 0
        while position < length:
            noise = rng.choice(self.noises)
            size = round(rng.uniform(*self.noise_piece) * self.rate)
            size = min(size, length - position, noise.numel())
            offset = rng.randrange(noise.numel() - size + 1)
            level = 10 ** (rng.uniform(*self.noise_dbfs) / 20) / _rms(noise)
            bed[position : position + size] = level * noise[offset:][:size]
            position += size
        words = []
        for start, clip, label in placed:
            span = slice(start, start + clip.numel())
            snr = rng.uniform(*self.snr)
            bed[span] += 10 ** (snr / 20) * _rms(bed[span]) / _rms(clip) * clip
            centre = (start + _energy_centre(clip)) / self.rate
            words.append(
                Word(
                    label, start / self.rate, span.stop / self.rate, snr, centre
                )
            )
        peak = float(bed.abs().max())
        return (bed / peak * 0.99 if peak > 0.99 else bed), words


def _noise_part(path, low, high, sample_rate):
    """The part ``[low, high)`` (fractions of its length) of a noise file."""
    noise = load_audio(path, sample_rate)
    start, stop = (round(f * noise.numel()) for f in (low, high))
    if stop - start < 1:
        raise ValueError(f"noise part [{low}, {high}) of {path} is empty")
    return noise[start:stop]


def _energy_centre(clip):
    """The sample the energy of ``clip`` is centred on (its middle when
    silent)."""
    energy = clip.double().pow(2)
    total = float(energy.sum())
    if total == 0:
        return (clip.numel() - 1) / 2
    times = torch.arange(clip.numel(), dtype=torch.float64)
    return float((times * energy).sum()) / total


def _rms(wav):
    """Root mean square of a waveform (never zero)."""
    return float(wav.pow(2).mean().sqrt()) + 1e-8
