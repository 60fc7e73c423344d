"""What each recipe changes in streams, paired over the tables of several splits.

Reads stream tables that ``python -m benchmarks streams --out FILE`` wrote
(one per speaker split)
and, for every recipe after the first of a table, takes per width its
difference from that table's first recipe (the reference, scored on the same
streams) in keywords found at most 72 false alarms an hour on the valid and
on the test streams and at most 10 on the test streams (one minus the false
rejection rate). Prints the mean over widths per split, then mean ± std over the splits with
``(k/n)``: at or above the reference on ``k`` of ``n`` splits; and the same
per width.

Usage (seconds; the tables are read, nothing is decoded again)::

    python -m benchmarks stream-changes results/streams-{1..5}.md

Authors
 * speechbrain-slimmable developers 2026
"""

import statistics
from pathlib import Path

from benchmarks.markdown import paired_difference_counted
from benchmarks.options import table_parser, write_table
from benchmarks.streams import read_markdown
from speechbrain_slimmable.inference.streaming.events import DEFAULT_SMOOTHING

MEASURES = (
    ("found @ 72 FA/h, valid", lambda row: row["valid_found"]),
    ("found @ 72 FA/h, test", lambda row: row["test_found"]),
    ("found @ 10 FA/h, test", lambda row: 1 - row["test_frr_at_10"]),
)


def read_table(path):
    """The results of a stream table, as :func:`benchmarks.streams.
    read_markdown` reads them."""
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"{path} not found: write it first with "
            f"python -m benchmarks streams --out {path}"
        )
    return read_markdown(Path(path).read_text())


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


def add_stream_table_arguments(parser, flag="tables"):
    """Add ``flag`` (the stream table files to read, one per split) and
    ``--smoothing`` (whose lines are compared) to ``parser``.

    Example
    -------
    >>> parser = table_parser("stream-changes", "")
    >>> add_stream_table_arguments(parser)
    >>> parser.parse_args(["a-1.md", "a-2.md"]).tables
    ['a-1.md', 'a-2.md']
    """
    required = {"required": True} if flag.startswith("-") else {}
    parser.add_argument(
        flag,
        nargs="+",
        metavar="FILE",
        help="tables written by python -m benchmarks streams --out, one "
        "per split",
        **required,
    )
    parser.add_argument(
        "--smoothing",
        type=int,
        default=DEFAULT_SMOOTHING,
        help="the decoder's smoothing whose lines are compared",
    )


def main(argv=None):
    """Print the paired changes (and write them to ``--out``)."""
    parser = table_parser("stream-changes", __doc__.splitlines()[0])
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
        f"python -m benchmarks stream-changes --smoothing {args.smoothing} "
        f"{' '.join(args.tables)}"
    )
    write_table(markdown(changes, references, command), args.out)
