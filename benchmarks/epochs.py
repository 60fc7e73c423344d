#!/usr/bin/env python3
"""Clip accuracy of training runs, per recipe, over seeds.

Reads the ``results.json`` a recipe writes into each run's model folder
(the validation and test accuracy per width of the checkpoint that
validation chose) and gives, per recipe (the runs sharing a name), the mean
and spread over its seeds: per width, and averaged over the widths, which
is what chooses between recipes. The seed of each run is read from the
command it records; the runs of one seed are merged, so that models of
each width trained alone (``--widths=[0.5]``, one run a width) make one
line beside a supernet.

Usage (the runs of README.md, "Results", trained beforehand)::

    python benchmarks/epochs.py \\
        --runs "CNN, 40 epochs=results/cnn_epochs/1/40/pretrained" \\
               "CNN, 60 epochs=results/cnn_epochs/1/60/pretrained"

Writes ``benchmarks/epochs.md`` and the README section between
``<!-- epochs:start -->`` and its end marker.

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


def recipe_rows(runs):
    """Markdown lines, one per recipe and split, in the order first named.

    A cell is the mean ± std over the seeds that have that width; the mean
    over widths is that of each seed holding every width (``-`` if one
    lacks some)."""
    by_recipe = {}
    for name, folder in runs:
        results = json.loads((Path(folder) / "results.json").read_text())
        by_recipe.setdefault(name, []).append(results)
    by_recipe = {n: rows_per_seed(n, r) for n, r in by_recipe.items()}
    widths = sorted(
        {
            w
            for seeds in by_recipe.values()
            for rows in seeds.values()
            for w in rows
        },
        reverse=True,
    )
    lines = [
        "| recipe | seeds | split | "
        + " | ".join(f"{w:g}" for w in widths)
        + " | mean over widths |",
        "| --- " * (len(widths) + 4) + "|",
    ]
    for name, seeds in by_recipe.items():
        complete = all(set(rows) == set(widths) for rows in seeds.values())
        for key, split in SPLITS.items():
            cells = []
            for width in widths:
                values = [r[width][key] for r in seeds.values() if width in r]
                cells.append(mean_spread(values) if values else "-")
            means = [
                statistics.mean(r[w][key] for w in widths)
                for r in seeds.values()
            ]
            cells.append(mean_spread(means) if complete else "-")
            lines.append(
                f"| {name} | {', '.join(seeds)} | {split} | "
                f"{' | '.join(cells)} |"
            )
    return lines


def main(argv=None):
    """Print the table, write it and the README section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs",
        nargs="+",
        type=named_source,
        required=True,
        metavar="RECIPE=FOLDER",
        help="a run's model folder under its recipe's name (several runs "
        "of one recipe: the same name)",
    )
    args = parser.parse_args(argv)
    command = shlex.join(
        ["python", "benchmarks/epochs.py", "--runs"]
        + [f"{name}={folder}" for name, folder in args.runs]
    )
    table = "\n".join(
        [
            f"Command: `{command}`",
            "",
            "Clip accuracy (%) of the checkpoint validation chose, mean ± "
            "std over the seeds of each recipe.",
            "",
            *recipe_rows(args.runs),
            "",
        ]
    )
    print(table)
    (HERE / "epochs.md").write_text(table)
    update_readme("epochs", table)


if __name__ == "__main__":
    main()
