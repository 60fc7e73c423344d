"""Write the streams of one split to one WAV file with its truth CSV.

The streams of :mod:`benchmarks.stream_data` (the recipe's speaker split,
``--other_passes``, ``--gap``, ``--seed``), one after the other in one
16-bit WAV, and a CSV of its words (``label,start,end,centre`` in
seconds: the one-second clip of each word and where its energy is, as
``eval --detection --truth`` reads it). For timing whole ``detect`` runs
(``farm-bench``) and for scoring them with ``eval --detection``.

Usage (seconds)::

    python -m benchmarks stream-file --out results/test_stream.wav \\
        --data_folder ../shared/data/gsc12_dev \\
        --noise_folder ../shared/data/background_noise \\
        --other_passes 6 --gap 1.5 4 --passes 2

Authors
 * speechbrain-slimmable developers 2026
"""

import csv

import soundfile
import torch

from benchmarks.options import add_data_options, table_parser
from benchmarks.stream_data import check_folders, split_streams

RATE = 16000


def main(argv=None):
    """Write the WAV and its truth CSV; print what was written."""
    parser = table_parser("stream-file", __doc__.splitlines()[0])
    add_data_options(parser)
    parser.add_argument("--split", choices=("valid", "test"), default="test")
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args(argv)
    if args.out is None or args.out.suffix != ".wav":
        raise SystemExit("--out must name the .wav file to write")
    check_folders(args.data_folder, args.noise_folder)
    wavs, rows, offset = [], [], 0.0
    for wav, words in split_streams(args, args.split, args.passes, RATE):
        wavs.append(wav)
        rows += [
            (w.label, offset + w.start, offset + w.end, offset + w.centre)
            for w in words
        ]
        offset += wav.numel() / RATE
    args.out.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(args.out, torch.cat(wavs).numpy(), RATE, subtype="PCM_16")
    truth = args.out.with_suffix(".csv")
    with open(truth, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["label", "start", "end", "centre"])
        writer.writerows(
            [label, *(f"{seconds:.3f}" for seconds in times)]
            for label, *times in rows
        )
    print(
        f"wrote {args.out} ({offset / 60:.1f} min, {len(rows)} words) and {truth}"
    )
