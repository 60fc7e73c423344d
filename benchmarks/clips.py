"""Clip accuracy of training runs, per recipe, over seeds.

Reads the ``results.json`` a recipe writes into each run's model folder
(the validation and test accuracy per width of the model it wrote: the
checkpoint that validation chose, or what ``ckpt_criterion`` and
``avg_checkpoints`` made it) and gives, per recipe (the runs sharing a
name), the mean and spread over its seeds: per width, and averaged over the
widths, which is what chooses between recipes. The seed of each run is
read from the command it records, with its data seed when it passed one
(``--data_seed``: another split of the speakers, so each such run is
scored on its own validation and test speakers); the runs of one seed are
merged, so that models of each width trained alone (``--widths=[0.5]``,
one run a width) make one line beside a supernet.

With ``--against RECIPE`` each line also gives its change against that
recipe: the difference of the means over widths, paired by seed (over the
seeds both recipes ran), which makes an ablation table of one line per
change of the recipe. ``--change_per_width`` adds a table of that change
at each width, with at how many seeds the recipe is at or above.

Usage (the runs trained beforehand)::

    python -m benchmarks clips --against "CNN, 60 epochs" \\
        --runs "CNN, 40 epochs=results/cnn_epochs/1/40/pretrained" \\
               "CNN, 60 epochs=results/cnn_epochs/1/60/pretrained"

Authors
 * speechbrain-slimmable developers 2026
"""

import json
import shlex
import statistics
from pathlib import Path

from benchmarks.markdown import (
    mean_spread,
    paired_difference,
    paired_difference_counted,
)
from benchmarks.options import runs_parser, seed_of, write_table

SPLITS = {"valid_accuracy": "valid", "accuracy": "test"}


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
    """The :func:`paired_difference` of two recipes' means over widths
    (``mean ± std`` over the seeds both ran)."""
    return paired_difference(
        seed_means(seeds, widths, key), seed_means(reference, widths, key)
    )


def width_values(seeds, width, key):
    """Per seed holding ``width``, its ``key`` at that width."""
    return {
        seed: rows[width][key] for seed, rows in seeds.items() if width in rows
    }


def load_recipes(runs):
    """Recipe name to its runs' rows per seed (see :func:`rows_per_seed`),
    in the order first named."""
    by_recipe = {}
    for name, folder in runs:
        results = json.loads((Path(folder) / "results.json").read_text())
        by_recipe.setdefault(name, []).append(results)
    return {n: rows_per_seed(n, r) for n, r in by_recipe.items()}


def widths_of(by_recipe):
    """Every width any run holds, widest first."""
    return sorted(
        {
            w
            for seeds in by_recipe.values()
            for rows in seeds.values()
            for w in rows
        },
        reverse=True,
    )


def recipe_rows(by_recipe, against=None):
    """Markdown lines, one per recipe and split, in the order first named.

    A cell is the mean ± std over the seeds that have that width; the mean
    over widths is that of each seed holding every width (``-`` if one
    lacks some); with ``against`` (a recipe's name), the change of that
    mean against it, paired by seed."""
    widths = widths_of(by_recipe)
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


def change_rows(by_recipe, against):
    """Markdown lines, one per recipe other than ``against`` and split: at
    each width and over the widths, its change against ``against``,
    paired by seed (see :func:`paired_difference`)."""
    widths = widths_of(by_recipe)
    reference = by_recipe[against]
    lines = [
        "| recipe | split | "
        + " | ".join([f"{w:g}" for w in widths] + ["mean over widths"])
        + " |",
        "| --- " * (len(widths) + 3) + "|",
    ]
    for name, seeds in by_recipe.items():
        if name == against:
            continue
        for key, split in SPLITS.items():
            cells = [
                paired_difference_counted(
                    width_values(seeds, w, key), width_values(reference, w, key)
                )
                for w in widths
            ]
            cells.append(
                paired_difference_counted(
                    seed_means(seeds, widths, key),
                    seed_means(reference, widths, key),
                )
            )
            lines.append(f"| {name} | {split} | {' | '.join(cells)} |")
    return lines


def plot_recipes(by_recipe, path, title):
    """Test accuracy against parameters: per recipe, a point per width
    (mean and std over its seeds), written to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 4.5))
    for name, seeds in by_recipe.items():
        widths = widths_of({name: seeds})
        values = [
            list(width_values(seeds, w, "accuracy").values()) for w in widths
        ]
        params = [
            next(r[w]["params"] for r in seeds.values() if w in r) / 1000
            for w in widths
        ]
        axes.errorbar(
            params,
            [statistics.mean(v) for v in values],
            yerr=[statistics.stdev(v) if len(v) > 1 else 0 for v in values],
            marker="o",
            capsize=3,
            label=name,
        )
    axes.set_xscale("log")
    axes.set_xlabel("parameters (thousands, log scale)")
    axes.set_ylabel("test accuracy (%)")
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    pyplot.close(figure)


def main(argv=None):
    """Print the table (and write it to ``--out``)."""
    parser = runs_parser("clips", __doc__.splitlines()[0])
    parser.add_argument(
        "--against",
        metavar="RECIPE",
        help="a recipe of --runs: every other line also gives its change "
        "of the mean over widths against it, paired by seed",
    )
    parser.add_argument(
        "--change_per_width",
        action="store_true",
        help="with --against: a second table of every other recipe's "
        "change against it at each width, paired by seed",
    )
    parser.add_argument(
        "--plot",
        metavar="PNG",
        help="also draw each recipe's test accuracy against its parameters",
    )
    parser.add_argument(
        "--title", default="test accuracy per width", help="the plot's title"
    )
    args = parser.parse_args(argv)
    if args.change_per_width and args.against is None:
        parser.error("--change_per_width needs --against RECIPE")
    by_recipe = load_recipes(args.runs)
    if args.against is not None and args.against not in by_recipe:
        parser.error(
            f"--against {args.against!r} names none of the recipes of "
            "--runs: " + ", ".join(map(repr, by_recipe))
        )
    command = ["python", "-m", "benchmarks", "clips"]
    if args.against is not None:
        command += ["--against", args.against]
    if args.change_per_width:
        command += ["--change_per_width"]
    if args.plot is not None:
        command += ["--plot", args.plot, "--title", args.title]
        plot_recipes(by_recipe, args.plot, args.title)
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
            *recipe_rows(by_recipe, args.against),
            "",
        ]
    )
    if args.change_per_width:
        table += "\n".join(
            [
                "",
                f"Change against {args.against} at each width and over "
                "the widths (its mean): per seed both ran, the difference "
                "of their clip accuracies, mean ± std over those seeds; "
                f"(k/n): the line's recipe is at or above {args.against} at k of "
                "those n seeds.",
                "",
                *change_rows(by_recipe, args.against),
                "",
            ]
        )
    write_table(table, args.out)
