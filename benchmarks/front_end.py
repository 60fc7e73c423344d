"""How well the images' front end reproduces the spectrogram images.

``gsc_v2_spectrograms/dev_pairs`` holds the images of ``gsc12_dev``'s own
clips. For every pair whose WAV is there, the WAV goes through
:class:`~speechbrain_slimmable.lobes.features.SpectrogramImageFbank` (after
the images' centre padding), its features are written as grey levels the
way the images were, and compared with the image: the pixel correlation
and the mean absolute difference in grey levels (the JPEG noise floor is
about 3).

Usage::

    python -m benchmarks front-end --data_folder ../shared/data

Authors
 * speechbrain-slimmable developers 2026
"""

import statistics
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from benchmarks.options import table_parser, write_table
from speechbrain_slimmable.dataio.spectrograms import decode_image, word_of
from speechbrain_slimmable.lobes.features import (
    SpectrogramImageFbank,
    pixels_from_log_mel,
)


def wav_of(image, data_folder):
    """The ``gsc12_dev`` WAV of a ``dev_pairs`` image (may be absent)."""
    stem = image.name.split(".")[0]
    if image.parent.name == "unknown":
        return (
            data_folder
            / "gsc12_dev"
            / "_unknown_"
            / (f"{word_of(image)}_{stem}.wav")
        )
    return data_folder / "gsc12_dev" / image.parent.name / f"{stem}.wav"


def centred(signal, samples=16000):
    """A clip's speech centred in ``samples``, as the images padded it.

    Example
    -------
    >>> centred(np.array([1.0, 2.0, 0.0, 0.0]), samples=4).tolist()
    [0.0, 1.0, 2.0, 0.0]
    """
    signal = np.trim_zeros(signal, "b")[:samples]
    pad = samples - len(signal)
    return np.pad(signal, (pad // 2, pad - pad // 2))


def compare(data_folder):
    """Correlation and mean absolute grey-level error of every pair."""
    fbank = SpectrogramImageFbank()
    pairs = sorted(
        (data_folder / "gsc_v2_spectrograms" / "dev_pairs").glob("*/*.jpg")
    )
    correlations, errors = [], []
    for image in pairs:
        wav = wav_of(image, data_folder)
        if not wav.is_file():
            continue
        signal, _ = sf.read(wav, dtype="float32")
        with torch.no_grad():
            log_mel = fbank(torch.from_numpy(centred(signal)).unsqueeze(0))[0]
        ours = pixels_from_log_mel(log_mel).numpy().astype(np.float32)
        theirs = decode_image(image).astype(np.float32)
        correlations.append(
            float(np.corrcoef(ours.ravel(), theirs.ravel())[0, 1])
        )
        errors.append(float(np.abs(ours - theirs).mean()))
    if not correlations:
        raise SystemExit(f"no dev_pairs image with its WAV under {data_folder}")
    return correlations, errors, len(pairs)


def main(argv=None):
    parser = table_parser("front-end", __doc__.split("\n\n")[0])
    parser.add_argument("--data_folder", type=Path, required=True)
    args = parser.parse_args(argv)
    correlations, errors, images = compare(args.data_folder)
    table = "\n".join(
        [
            "| pairs (of images) | pixel correlation, mean | median | "
            "lowest | mean abs. error (grey levels) |",
            "| --- | --- | --- | --- | --- |",
            f"| {len(correlations):,} (of {images:,}) | "
            f"{statistics.mean(correlations):.4f} | "
            f"{statistics.median(correlations):.4f} | "
            f"{min(correlations):.4f} | {statistics.mean(errors):.2f} |",
        ]
    )
    write_table(table, args.out)
