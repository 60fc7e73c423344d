#!/usr/bin/env python3
"""Clip accuracy of training runs, per recipe, over seeds.

Reads the ``results.json`` a recipe writes into each run's model folder
(the validation and test accuracy per width of the model it wrote: the
checkpoint that validation chose, or what ``ckpt_criterion`` and
``avg_checkpoints`` made it) and gives, per recipe (the runs sharing a
name), the mean and spread over its seeds: per width, and averaged over the
widths, which
is what chooses between recipes. The seed of each run is read from the
command it records; the runs of one seed are merged, so that models of
each width trained alone (``--widths=[0.5]``, one run a width) make one
line beside a supernet.

With ``--against RECIPE`` each line also gives its change against that
recipe: the difference of the means over widths, paired by seed (over the
seeds both recipes ran), which makes an ablation table of one line per
change of the recipe.

Usage (the runs of README.md, "Results", trained beforehand)::

    python benchmarks/clip_accuracy.py --section epochs \\
        --runs "CNN, 40 epochs=results/cnn_epochs/1/40/pretrained" \\
               "CNN, 60 epochs=results/cnn_epochs/1/60/pretrained"

Writes ``benchmarks/SECTION.md`` and the README section between
``<!-- SECTION:start -->`` and its end marker.

Authors
 * speechbrain-slimmable developers 2026
"""

import argparse
import json
import shlex
import statistics
from pathlib import Path

from detection_recipes import named_source
from readme import update_readme
from run import mean_spread

HERE = Path(__file__).resolve().parent
SPLITS = {"valid_accuracy": "valid", "accuracy": "test"}


def seed_of(command):
    """The ``--seed=N`` a run's recorded command passed (``?`` if none).

    Example
    -------
    >>> seed_of(["hparams/tcresnet.yaml", "--seed=2"])
    '2'
    """
    seeds = [a.split("=", 1)[1] for a in command if a.startswith("--seed=")]
    return seeds[-1] if seeds else "?"


def rows_per_seed(name, results):
    """Per seed, width to its row, over the runs of one recipe (the models
    of each width trained alone are one run a width)."""
    seeds = {}
    for run in results:
        rows = seeds.setdefault(seed_of(run["command"]), {})
        for row in run["widths"]:
            if row["width"] in rows:
                raise SystemExit(
                    f"{name}: two runs of seed {seed_of(run['command'])} "
                    f"give width {row['width']:g}"
                )
            rows[row["width"]] = row
    return seeds


def seed_means(seeds, widths, key):
    """Per seed holding every width, its ``key`` averaged over the widths.

    Example
    -------
    >>> seeds = {"1": {1.0: {"accuracy": 90.0}, 0.5: {"accuracy": 80.0}},
    ...          "2": {1.0: {"accuracy": 92.0}}}
    >>> seed_means(seeds, [1.0, 0.5], "accuracy")
    {'1': 85.0}
    """
    return {
        seed: statistics.mean(rows[w][key] for w in widths)
        for seed, rows in seeds.items()
        if set(rows) == set(widths)
    }


def paired_change(seeds, reference, widths, key):
    """``mean ± std`` over the seeds both hold of the difference of their
    means over widths (``-`` if they share no complete seed)."""
    own = seed_means(seeds, widths, key)
    base = seed_means(reference, widths, key)
    shared = [seed for seed in own if seed in base]
    if not shared:
        return "-"
    change = mean_spread([own[s] - base[s] for s in shared])
    return change if change.startswith("-") else f"+{change}"


def recipe_rows(runs, against=None):
    """Markdown lines, one per recipe and split, in the order first named.

    A cell is the mean ± std over the seeds that have that width; the mean
    over widths is that of each seed holding every width (``-`` if one
    lacks some); with ``against`` (a recipe's name), the change of that
    mean against it, paired by seed."""
    by_recipe = {}
    for name, folder in runs:
        results = json.loads((Path(folder) / "results.json").read_text())
        by_recipe.setdefault(name, []).append(results)
    by_recipe = {n: rows_per_seed(n, r) for n, r in by_recipe.items()}
    if against is not None and against not in by_recipe:
        raise SystemExit(
            f"--against {against!r} names none of the recipes of --runs: "
            + ", ".join(map(repr, by_recipe))
        )
    widths = sorted(
        {
            w
            for seeds in by_recipe.values()
            for rows in seeds.values()
            for w in rows
        },
        reverse=True,
    )
    extra = [f"change against {against}"] if against else []
    lines = [
        "| recipe | seeds | split | "
        + " | ".join([f"{w:g}" for w in widths] + ["mean over widths"] + extra)
        + " |",
        "| --- " * (len(widths) + 4 + len(extra)) + "|",
    ]
    for name, seeds in by_recipe.items():
        for key, split in SPLITS.items():
            cells = []
            for width in widths:
                values = [r[width][key] for r in seeds.values() if width in r]
                cells.append(mean_spread(values) if values else "-")
            means = seed_means(seeds, widths, key)
            complete = len(means) == len(seeds)
            cells.append(mean_spread(list(means.values())) if complete else "-")
            if against is not None:
                reference = by_recipe[against]
                cells.append(
                    ""
                    if name == against
                    else paired_change(seeds, reference, widths, key)
                )
            lines.append(
                f"| {name} | {', '.join(seeds)} | {split} | "
                f"{' | '.join(cells)} |"
            )
    return lines


def main(argv=None):
    """Print the table, write it and the README section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--section",
        required=True,
        help="the README section (and benchmarks/SECTION.md) to write, "
        "e.g. epochs or ablation",
    )
    parser.add_argument(
        "--runs",
        nargs="+",
        type=named_source,
        required=True,
        metavar="RECIPE=FOLDER",
        help="a run's model folder under its recipe's name (several runs "
        "of one recipe: the same name)",
    )
    parser.add_argument(
        "--against",
        metavar="RECIPE",
        help="a recipe of --runs: every other line also gives its change "
        "of the mean over widths against it, paired by seed",
    )
    args = parser.parse_args(argv)
    command = ["python", "benchmarks/clip_accuracy.py"]
    command += ["--section", args.section]
    if args.against is not None:
        command += ["--against", args.against]
    command += ["--runs"] + [f"{name}={folder}" for name, folder in args.runs]
    caption = (
        "Clip accuracy (%) of the model each run wrote (the checkpoint "
        "validation chose, unless the recipe's name says otherwise), mean "
        "± std over the seeds of each recipe."
    )
    if args.against is not None:
        caption += (
            f" Change: the mean over widths minus that of {args.against}, "
            "per seed both ran, mean ± std over those seeds."
        )
    table = "\n".join(
        [
            f"Command: `{shlex.join(command)}`",
            "",
            caption,
            "",
            *recipe_rows(args.runs, args.against),
            "",
        ]
    )
    print(table)
    update_readme(args.section, table)
    (HERE / f"{args.section}.md").write_text(table)


if __name__ == "__main__":
    main()
