"""Background noise for Speech Commands style data: pieces and silence.

The recordings of a noise folder (Speech Commands' ``_background_noise_``)
serve twice: cut into two-second pieces listed for ``AddNoise`` (training
augmentation), and cropped into one-second ``_silence_`` clips of each
split, every split from its own part of every recording.

Authors
 * speechbrain-slimmable developers 2026
"""

import os

import soundfile as sf

from speechbrain_slimmable.dataio.folders import (
    DEFAULT_SPLIT_FRACTIONS,
    SPLIT_NAMES,
)
from speechbrain_slimmable.dataio.manifests import audio_frames, write_csv

SILENCE_LABEL = "_silence_"


def prepare_noise_csv(noise_folder, save_folder, sample_rate=16000):
    """Cuts the training part of the background noise for ``AddNoise``.

    SpeechBrain's ``AddNoise`` reads whole files listed in a CSV (``ID,
    duration, wav, wav_format, wav_opts``) for every batch, so the long
    recordings are cut into two-second files (reading a minute of audio per
    example would dominate training time; pieces longer than the one-second
    clips let ``AddNoise`` pick a random offset). Only the first 80 % of each
    recording, the part training ``_silence_`` is cropped from, is used, so
    the noise of valid and test silence never reaches training.

    Arguments
    ---------
    noise_folder : str or os.PathLike
        The background-noise recordings (e.g. ``_background_noise_``).
    save_folder : str or os.PathLike
        Where ``noise.csv`` and the two-second files (``noise/``) go.
    sample_rate : int
        Expected sample rate of the recordings.

    Returns
    -------
    str
        The path of ``noise.csv``.
    """
    csv_path = os.path.join(save_folder, "noise.csv")
    if os.path.isfile(csv_path):
        return csv_path
    crop_folder = os.path.join(save_folder, "noise")
    piece = 2  # seconds
    os.makedirs(crop_folder, exist_ok=True)
    rows = []
    for path, frames, rate in noise_files(noise_folder, sample_rate):
        train_part = int(frames * DEFAULT_SPLIT_FRACTIONS[0])
        audio, _ = sf.read(path, start=0, stop=train_part, dtype="int16")
        stem = os.path.splitext(os.path.basename(path))[0]
        for index in range(train_part // (piece * rate)):
            crop = os.path.join(crop_folder, f"{stem}_{index:03d}.wav")
            chunk = audio[index * piece * rate : (index + 1) * piece * rate]
            sf.write(crop, chunk, rate, subtype="PCM_16")
            rows.append(
                {
                    "ID": f"{stem}_{index:03d}",
                    "duration": float(piece),
                    "wav": crop,
                    "wav_format": "wav",
                    "wav_opts": "",
                }
            )
    write_csv(csv_path, rows, columns=tuple(rows[0]))
    return csv_path


def noise_files(noise_folder, sample_rate):
    """Lists ``(path, frames, rate)`` of the background-noise recordings."""
    if not os.path.isdir(noise_folder):
        raise FileNotFoundError(
            f"background-noise folder {noise_folder} does not exist: the "
            "12-class task crops _silence_ clips from it (pass noise_folder, "
            "or percentage_silence=0)"
        )
    names = sorted(
        n
        for n in os.listdir(noise_folder)
        if n.lower().endswith(".wav") and not n.startswith(".")
    )
    if not names:
        raise ValueError(f"background-noise folder {noise_folder} has no wav")
    files = []
    for name in names:
        path = os.path.join(noise_folder, name)
        frames, rate = audio_frames(path, sample_rate)
        files.append((path, frames, rate))
    return files


def silence_rows(noise_files, count, split, fractions, rng):
    """Draws ``count`` one-second crops from this split's part of the noise.

    Each recording is cut in three consecutive parts sized by ``fractions``
    (train, valid, test); crops of ``split`` lie inside its part.
    """
    if count == 0:
        return []
    index = SPLIT_NAMES.index(split)
    candidates = []
    for path, frames, rate in noise_files:
        low = int(frames * sum(fractions[:index]))
        high = int(frames * sum(fractions[: index + 1]))
        if high - low >= rate:
            candidates.append((path, low, high, rate))
    if not candidates:
        raise ValueError(
            f"no background-noise recording is long enough to crop one-second "
            f"{split} silence clips from its {fractions[index]:.0%} part"
        )
    rows = []
    for i in range(count):
        path, low, high, rate = rng.choice(candidates)
        start = rng.randint(low, high - rate)
        stem = os.path.splitext(os.path.basename(path))[0]
        rows.append(
            {
                "ID": f"{SILENCE_LABEL}/{split}_{i:05d}_{stem}",
                "duration": 1.0,
                "wav": path,
                "start": start,
                "stop": start + rate,
                "command": SILENCE_LABEL,
            }
        )
    return rows
