#!/usr/bin/env python3
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


def last_option(command, option):
    """The value of the last ``OPTION=VALUE`` of a run's recorded command
    (``None`` if it passed none).

    Example
    -------
    >>> last_option(["--seed=1", "--data_seed=3", "--seed=2"], "--seed")
    '2'
    >>> last_option(["--seed=1"], "--data_seed") is None
    True
    """
    values = [a.split("=", 1)[1] for a in command if a.startswith(option + "=")]
    return values[-1] if values else None


def seed_of(command):
    """The ``--seed=N`` a run's recorded command passed (``?`` if none),
    with its ``--data_seed=D`` when it passed one: runs of one seed on
    different speaker splits are different runs, paired with each other
    only on the same split.

    Example
    -------
    >>> seed_of(["recipes/GSC/hparams/tcresnet.yaml", "--seed=2"])
    '2'
    >>> seed_of(["recipes/GSC/hparams/tcresnet.yaml", "--seed=2", "--data_seed=1"])
    '2 (data 1)'
    """
    seed = last_option(command, "--seed") or "?"
    data_seed = last_option(command, "--data_seed")
    return seed if data_seed is None else f"{seed} (data {data_seed})"


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


def differences(own, base):
    """``own[seed] - base[seed]`` for each seed both hold, in ``own``'s order.

    Example
    -------
    >>> differences({"1": 91.0, "2": 90.0}, {"1": 90.0, "3": 85.0})
    [1.0]
    """
    return [own[seed] - base[seed] for seed in own if seed in base]


def signed_spread(changes):
    """``mean ± std`` of ``changes`` with its sign (``-`` if there are none).

    Example
    -------
    >>> signed_spread([1.0, 3.0]), signed_spread([]), signed_spread([-2.0])
    ('+2.00 ± 1.41', '-', '-2.00')
    """
    if not changes:
        return "-"
    change = mean_spread(changes)
    return change if change.startswith("-") else f"+{change}"


def paired_difference(own, base):
    """``mean ± std`` of the :func:`differences`, signed (``-`` if they
    share no seed).

    Example
    -------
    >>> paired_difference({"1": 91.0, "2": 90.0}, {"1": 90.0, "3": 85.0})
    '+1.00'
    """
    return signed_spread(differences(own, base))


def paired_difference_counted(own, base):
    """:func:`paired_difference`, then ``(k/n)``: ``own`` is at or above
    ``base`` at ``k`` of the ``n`` seeds both hold.

    Example
    -------
    >>> paired_difference_counted({"1": 91.0, "2": 90.0}, {"1": 90.0, "2": 91.0})
    '+0.00 ± 1.41 (1/2)'
    """
    changes = differences(own, base)
    if not changes:
        return "-"
    level = sum(change >= 0 for change in changes)
    return f"{signed_spread(changes)} ({level}/{len(changes)})"


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


def section_path(section):
    """``benchmarks/SECTION.md``: where the table of the README section
    ``section`` is written.

    Example
    -------
    >>> section_path("splits-90").name
    'splits-90.md'
    """
    return HERE / f"{section}.md"


def write_section(section, text):
    """Print ``text`` and write it to ``benchmarks/SECTION.md`` and between
    the README's markers of ``section``."""
    print(text)
    update_readme(section, text)
    section_path(section).write_text(text)


def runs_parser(description):
    """The arguments of a table of recipe runs: ``--section`` and
    ``--runs RECIPE=FOLDER ...``.

    Example
    -------
    >>> folder = getfixture("tmp_path")
    >>> for name in ("hyperparams.yaml", "results.json"):
    ...     _ = (folder / name).write_text("")
    >>> argv = ["--section", "s", "--runs", f"a={folder}", f"a={folder}"]
    >>> args = runs_parser("").parse_args(argv)
    >>> args.section, args.runs == [("a", str(folder))] * 2
    ('s', True)
    """
    parser = argparse.ArgumentParser(description=description)
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
    return parser


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


def main(argv=None):
    """Print the table, write it and the README section."""
    parser = runs_parser(__doc__.splitlines()[0])
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
    args = parser.parse_args(argv)
    if args.change_per_width and args.against is None:
        parser.error("--change_per_width needs --against RECIPE")
    by_recipe = load_recipes(args.runs)
    if args.against is not None and args.against not in by_recipe:
        parser.error(
            f"--against {args.against!r} names none of the recipes of "
            "--runs: " + ", ".join(map(repr, by_recipe))
        )
    command = ["python", "benchmarks/clip_accuracy.py"]
    command += ["--section", args.section]
    if args.against is not None:
        command += ["--against", args.against]
    if args.change_per_width:
        command += ["--change_per_width"]
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
    write_section(args.section, table)


if __name__ == "__main__":
    main()
