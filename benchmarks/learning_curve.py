"""Clip accuracy against the size of the training set, over speaker splits.

For runs of the recipe on parts of their split's training speakers
(``--train_speaker_fraction``), gives per run its training speakers and
clips (recounted from the manifests the recipe wrote beside its model
folder) and its clip accuracy at each width; then, per width, the slope of
the accuracy against log2 of the training clips: the points one doubling
of the training clips buys. The slope is fitted within each speaker split
(each split's own level taken out), so that a split of harder test
speakers does not tilt it, with its standard error.

Usage (recipes/GSC/README.md, "How much more data would buy", says how
its runs were trained)::

    python -m benchmarks learning-curve \\
        --runs "all=results/splits/cnn/1/pretrained" \\
               "half=results/splits/half/1/pretrained"

Authors
 * speechbrain-slimmable developers 2026
"""

import json
import math
import shlex
from pathlib import Path

from benchmarks.class_errors import split_manifest
from benchmarks.clips import SPLITS
from benchmarks.detection import check_unseen
from benchmarks.options import last_option, runs_parser, seed_of, write_table
from speechbrain_slimmable.dataio.folders import speaker_of
from speechbrain_slimmable.dataio.manifests import keep_training_speakers
from speechbrain_slimmable.inference.evaluation.clip_accuracy import (
    read_manifest,
)

NO_SPEAKER = "_silence_"


def training_manifest(folder, command):
    """The manifest the run of model folder ``folder`` trained on: its
    split's ``data/train.csv``, or the part of its speakers that its
    ``--train_speaker_fraction`` kept (drawn again by
    ``keep_training_speakers``, which draws the same speakers). A command
    without those flags took the recipe YAMLs' defaults (a fraction of 1,
    data seed 0).

    Example
    -------
    >>> training_manifest("benchmarks", [])
    Traceback (most recent call last):
    ...
    FileNotFoundError: benchmarks is not a recipe run's model folder: no data/train.csv beside it
    """
    manifest = split_manifest(folder, "train")
    fraction = float(last_option(command, "--train_speaker_fraction") or 1.0)
    data_seed = int(last_option(command, "--data_seed") or 0)
    return keep_training_speakers(str(manifest), fraction, data_seed)


def training_set(manifest):
    """``(speakers, clips)`` of a training manifest; ``_silence_`` clips,
    cut from noise recordings, count as clips of no speaker.

    Example
    -------
    >>> path = getfixture("tmp_path") / "train.csv"
    >>> _ = path.write_text("ID,wav,command\\n"
    ...                     "a,yes/s1_nohash_0.wav,yes\\n"
    ...                     "b,no/s1_nohash_0.wav,no\\n"
    ...                     "c,_silence_/7.wav,_silence_\\n")
    >>> training_set(path)
    (1, 3)
    """
    clips = read_manifest(manifest)
    speakers = {
        speaker_of(wav) for (wav, _, _), label in clips if label != NO_SPEAKER
    }
    return len(speakers), len(clips)


def within_split_slope(points):
    """Least-squares slope of ``y`` on ``x`` with one intercept per group,
    and its standard error (``None`` without a degree of freedom left).

    Arguments
    ---------
    points : list of (hashable, float, float)
        ``(group, x, y)``; here the speaker split, log2 of the training
        clips and an accuracy.

    Returns
    -------
    slope : float or None
        ``None`` if ``x`` does not vary within any group.
    error : float or None

    Example
    -------
    >>> points = [("a", 0.0, 80.0), ("a", 1.0, 83.0),
    ...           ("b", 0.0, 70.0), ("b", 1.0, 73.0), ("b", 2.0, 76.0)]
    >>> within_split_slope(points)
    (3.0, 0.0)
    >>> within_split_slope([("a", 0.0, 80.0), ("b", 1.0, 83.0)])
    (None, None)
    """
    groups = {}
    for group, x, y in points:
        groups.setdefault(group, []).append((x, y))
    centred = []
    for members in groups.values():
        mean_x = sum(x for x, _ in members) / len(members)
        mean_y = sum(y for _, y in members) / len(members)
        centred += [(x - mean_x, y - mean_y) for x, y in members]
    spread = sum(dx * dx for dx, _ in centred)
    if spread == 0:
        return None, None
    slope = sum(dx * dy for dx, dy in centred) / spread
    freedom = len(centred) - len(groups) - 1
    if freedom < 1:
        return slope, None
    residual = sum((dy - slope * dx) ** 2 for dx, dy in centred)
    return slope, math.sqrt(residual / freedom / spread)


def signed_slope(slope, error):
    """A slope as the table writes it.

    Example
    -------
    >>> signed_slope(2.345, 0.5), signed_slope(-1.0, None), signed_slope(None, None)
    ('+2.35 ± 0.50', '-1.00', '-')
    """
    if slope is None:
        return "-"
    text = f"{slope:+.2f}"
    return text if error is None else f"{text} ± {error:.2f}"


def load_runs(runs):
    """Per run: its recipe's name, seed, speaker split, training speakers
    and clips, optimizer steps, and its rows per width (from its
    ``results.json``)."""
    loaded = []
    for name, folder in runs:
        check_unseen(folder)  # a learning curve needs its test speakers unseen
        results = json.loads((Path(folder) / "results.json").read_text())
        manifest = training_manifest(folder, results["command"])
        speakers, clips = training_set(manifest)
        loaded.append(
            {
                "name": name,
                "seed": seed_of(results["command"]),
                "split": last_option(results["command"], "--data_seed") or "0",
                "speakers": speakers,
                "clips": clips,
                "steps": results.get("training", {}).get(
                    "optimizer_steps", "-"
                ),
                "widths": {row["width"]: row for row in results["widths"]},
            }
        )
    return loaded


def run_rows(loaded, widths):
    """Markdown lines, one per run: its training set and accuracies."""
    header = [f"{split} {w:g}" for split in SPLITS.values() for w in widths]
    lines = [
        "| recipe | seed | training speakers | training clips | optimizer steps | "
        + " | ".join(header)
        + " |",
        "| --- " * (len(header) + 5) + "|",
    ]
    for run in loaded:
        cells = [
            f"{run['widths'][w][key]:.2f}" if w in run["widths"] else "-"
            for key in SPLITS
            for w in widths
        ]
        lines.append(
            f"| {run['name']} | {run['seed']} | {run['speakers']} | "
            f"{run['clips']} | {run['steps']} | {' | '.join(cells)} |"
        )
    return lines


def slope_cell(scored):
    """The :func:`signed_slope` of the accuracies of ``scored``, ``(run,
    accuracy)`` pairs, against log2 of each run's training clips, fitted
    within each speaker split."""
    points = [
        (run["split"], math.log2(run["clips"]), accuracy)
        for run, accuracy in scored
    ]
    return signed_slope(*within_split_slope(points))


def slope_rows(loaded, widths):
    """Markdown lines, one per split: the points per doubling of the
    training clips at each width and for the mean over the widths."""
    lines = [
        "| scored on | "
        + " | ".join([f"{w:g}" for w in widths] + ["mean over widths"])
        + " |",
        "| --- " * (len(widths) + 2) + "|",
    ]
    complete = [run for run in loaded if set(run["widths"]) >= set(widths)]
    for key, split in SPLITS.items():
        cells = [
            slope_cell(
                [
                    (run, run["widths"][width][key])
                    for run in loaded
                    if width in run["widths"]
                ]
            )
            for width in widths
        ]
        cells.append(
            slope_cell(
                [
                    (
                        run,
                        sum(run["widths"][w][key] for w in widths)
                        / len(widths),
                    )
                    for run in complete
                ]
            )
        )
        lines.append(f"| {split} | {' | '.join(cells)} |")
    return lines


def main(argv=None):
    """Print the tables (and write them to ``--out``)."""
    args = runs_parser("learning-curve", __doc__.splitlines()[0]).parse_args(
        argv
    )
    loaded = load_runs(args.runs)
    widths = sorted({w for run in loaded for w in run["widths"]}, reverse=True)
    command = ["python", "-m", "benchmarks", "learning-curve"]
    command += ["--runs"] + [f"{name}={folder}" for name, folder in args.runs]
    text = "\n".join(
        [
            f"Command: `{shlex.join(command)}`",
            "",
            "Clip accuracy (%) per run of the model it wrote, on its own "
            "split's valid and test speakers, beside the speakers and clips it "
            "trained on (`_silence_` clips have no speaker) and its optimizer steps.",
            "",
            *run_rows(loaded, widths),
            "",
            "Points of clip accuracy per doubling of the training clips: the "
            "slope of the accuracy against log2 of the training clips, fitted "
            "within each speaker split (one level per split), ± its standard "
            "error.",
            "",
            *slope_rows(loaded, widths),
            "",
        ]
    )
    write_table(text, args.out)
