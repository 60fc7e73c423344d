#!/usr/bin/env python3
"""What each recipe changes in streams, paired over the tables of several splits.

Reads stream tables that ``benchmarks/detection_recipes.py`` wrote (one per
speaker split, ``--name detection-speed-1`` and so on: ``benchmarks/NAME.md``)
and, for every recipe after the first of a table, takes per width its
difference from that table's first recipe (the reference, scored on the same
streams) in keywords found at most 72 false alarms an hour on the valid and
on the test streams and at most 10 on the test streams (one minus the false
rejection rate). Prints, and writes into the README section ``--section``,
the mean over widths per split, then mean ± std over the splits with
``(k/n)``: at or above the reference on ``k`` of ``n`` splits; and the same
per width.

Usage (seconds; the tables are read, nothing is decoded again)::

    python benchmarks/detection_changes.py --section detection-speed \\
        --tables detection-speed-1 detection-speed-2 detection-speed-3

Authors
 * speechbrain-slimmable developers 2026
"""

import argparse
import statistics

from clip_accuracy import paired_difference_counted
from detection_recipes import read_markdown, table_path
from readme import update_readme

from speechbrain_slimmable.inference.events import DEFAULT_SMOOTHING

MEASURES = (
    ("found @ 72 FA/h, valid", lambda row: row["valid_found"]),
    ("found @ 72 FA/h, test", lambda row: row["test_found"]),
    ("found @ 10 FA/h, test", lambda row: 1 - row["test_frr_at_10"]),
)


def read_table(name):
    """The results of the table ``benchmarks/NAME.md`` (dashes as
    underscores), as :func:`detection_recipes.read_markdown` reads them."""
    path = table_path(name)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: write it first with "
            f"benchmarks/detection_recipes.py --name {name}"
        )
    return read_markdown(path.read_text())


def changes_per_table(tables, smoothing):
    """Per recipe and measure: ``{table: {width: points}}``, each recipe's
    found rate minus that of its table's first recipe, in points.

    Example
    -------
    >>> def row(found):
    ...     return {"valid_found": found, "test_found": found,
    ...             "test_frr_at_10": 1 - found}
    >>> tables = {"t1": {"ref": {(9, 1.0): row(0.80)},
    ...                  "new": {(9, 1.0): row(0.85)}}}
    >>> changes, references = changes_per_table(tables, 9)
    >>> round(changes["new"]["found @ 10 FA/h, test"]["t1"][1.0], 2)
    5.0
    >>> references
    ['ref']
    """
    changes, references = {}, []
    for table, results in tables.items():
        reference, *others = results
        if reference not in references:
            references.append(reference)
        base = results[reference]
        for name in others:
            for (chosen, width), row in results[name].items():
                if chosen != smoothing or (chosen, width) not in base:
                    continue
                for measure, value in MEASURES:
                    per_table = changes.setdefault(name, {}).setdefault(
                        measure, {}
                    )
                    per_table.setdefault(table, {})[width] = 100 * (
                        value(row) - value(base[(chosen, width)])
                    )
    return changes, references


def mean_over_widths(per_width):
    """Per table, the mean of its changes over the widths."""
    return {
        table: statistics.fmean(by_width.values())
        for table, by_width in per_width.items()
    }


def at_width(per_width, width):
    """Per table, the change at ``width`` (tables without it left out)."""
    return {
        table: by_width[width]
        for table, by_width in per_width.items()
        if width in by_width
    }


def counted(changes):
    """``mean ± std (k/n)`` of per-table changes: ``k`` of them ``>= 0``.

    Example
    -------
    >>> counted({"t1": 1.0, "t2": -1.0})
    '+0.00 ± 1.41 (1/2)'
    """
    return paired_difference_counted(changes, dict.fromkeys(changes, 0.0))


def markdown(changes, references, command):
    """The two tables: the mean over widths (with each split's value) and
    the change per width."""
    lines = [
        f"Command: `{command}`",
        "",
        "Keywords found in streams (points), each recipe minus the first "
        f"recipe of its split's table ({'; '.join(references)}), on the "
        "same streams: mean over the widths per split, then mean ± std over "
        "the splits; (k/n): at or above it on k of n splits.",
        "",
        "| recipe | measure | over the splits | per split |",
        "| --- | --- | --- | --- |",
    ]
    for name, by_measure in changes.items():
        for measure, per_width in by_measure.items():
            means = mean_over_widths(per_width)
            per_split = " / ".join(f"{value:+.1f}" for value in means.values())
            summary = counted(means)
            lines.append(f"| {name} | {measure} | {summary} | {per_split} |")
    widths = sorted(
        {
            width
            for by_measure in changes.values()
            for per_width in by_measure.values()
            for by_width in per_width.values()
            for width in by_width
        },
        reverse=True,
    )
    lines += [
        "",
        "Per width, mean ± std over the splits (k/n):",
        "",
        "| recipe | measure | " + " | ".join(f"{w:g}" for w in widths) + " |",
        "| --- | --- | " + " | ".join("---" for _ in widths) + " |",
    ]
    for name, by_measure in changes.items():
        for measure, per_width in by_measure.items():
            cells = [counted(at_width(per_width, width)) for width in widths]
            lines.append(f"| {name} | {measure} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def add_stream_table_arguments(parser, flag="--tables"):
    """Add ``flag`` (the stream tables to read, one per split) and
    ``--smoothing`` (whose lines are compared) to ``parser``.

    Example
    -------
    >>> parser = argparse.ArgumentParser()
    >>> add_stream_table_arguments(parser)
    >>> parser.parse_args(["--tables", "a-1", "a-2"]).tables
    ['a-1', 'a-2']
    """
    parser.add_argument(
        flag,
        nargs="+",
        required=True,
        metavar="NAME",
        help="names given to detection_recipes.py --name, one per split",
    )
    parser.add_argument(
        "--smoothing",
        type=int,
        default=DEFAULT_SMOOTHING,
        help="the decoder's smoothing whose lines are compared",
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--section", required=True, help="the README section to write"
    )
    add_stream_table_arguments(parser)
    args = parser.parse_args(argv)
    tables = {name: read_table(name) for name in args.tables}
    changes, references = changes_per_table(tables, args.smoothing)
    if not changes:
        raise SystemExit(
            "no recipe to compare: each table needs a second recipe with "
            f"lines at smoothing {args.smoothing}"
        )
    command = (
        f"python benchmarks/detection_changes.py --section {args.section} "
        f"--smoothing {args.smoothing} --tables {' '.join(args.tables)}"
    )
    table = markdown(changes, references, command)
    print(table)
    update_readme(args.section, table)


if __name__ == "__main__":
    main()
