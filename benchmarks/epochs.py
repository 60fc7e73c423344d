#!/usr/bin/env python3
"""Clip accuracy of training runs, per recipe, over seeds.

Reads the ``results.json`` a recipe writes into each run's model folder
(the validation and test accuracy per width of the checkpoint that
validation chose) and gives, per recipe (the runs sharing a name), the mean
and spread over its runs: per width, and averaged over the widths, which
is what chooses between recipes. The seed of each run is read from the
command it records.

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


def recipe_rows(runs):
    """Markdown lines, one per recipe and split, in the order first named."""
    by_recipe = {}
    for name, folder in runs:
        results = json.loads((Path(folder) / "results.json").read_text())
        by_recipe.setdefault(name, []).append(results)
    widths = [w["width"] for w in next(iter(by_recipe.values()))[0]["widths"]]
    lines = [
        "| recipe | seeds | split | "
        + " | ".join(f"{w:g}" for w in widths)
        + " | mean over widths |",
        "| --- " * (len(widths) + 4) + "|",
    ]
    for name, results in by_recipe.items():
        for run in results:
            if [w["width"] for w in run["widths"]] != widths:
                raise SystemExit(f"{name}: its runs differ in widths")
        seeds = ", ".join(seed_of(run["command"]) for run in results)
        for key, split in SPLITS.items():
            cells = [
                mean_spread([run["widths"][i][key] for run in results])
                for i in range(len(widths))
            ]
            cells.append(
                mean_spread(
                    [
                        statistics.mean(w[key] for w in run["widths"])
                        for run in results
                    ]
                )
            )
            lines.append(
                f"| {name} | {seeds} | {split} | {' | '.join(cells)} |"
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
    command = shlex.join(["python", "benchmarks/epochs.py", "--runs"])
    command += " " + " ".join(
        shlex.quote(f"{name}={folder}") for name, folder in args.runs
    )
    table = "\n".join(
        [
            f"Command: `{command}`",
            "",
            "Clip accuracy (%) of the checkpoint validation chose, mean ± "
            "std over the runs of each recipe.",
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
