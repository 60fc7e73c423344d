"""Every change of the recipe measured on the speaker splits, one line each.

Reads the clip tables that ``python -m benchmarks clips --against RECIPE
--change_per_width --out FILE`` wrote and the stream tables that
``python -m benchmarks streams --out FILE`` wrote for the same runs (one per
split), and puts each change on one line: the recipe it was paired with, its
change of the mean over the widths on the valid and the test clips, its
change at width 1.0 on the test clips, its test clip accuracy at widths 1.0,
0.5 and 0.25 (the widths the goals name), its change in keywords found at 72
false alarms an hour in the valid and in the test streams, and whether it
gained on both validation measures: the rule that adopts a change (the test
speakers only report). Changes are mean ± std over the splits, paired by
split, with ``(k/n)``: at or above the recipe on ``k`` of ``n`` splits.
A change that two clip tables hold under one name is listed once.

Usage (seconds; the tables are read, nothing is trained or decoded)::

    python -m benchmarks changes \\
        --clip_tables results/speed.md results/mixup.md \\
        --stream_tables results/streams-speed-1.md results/streams-mixup-1.md

Authors
 * speechbrain-slimmable developers 2026
"""

import shlex
import statistics
from pathlib import Path

from benchmarks.markdown import table_cells
from benchmarks.options import table_parser, write_table
from benchmarks.stream_changes import (
    MEASURES,
    add_stream_table_arguments,
    changes_per_table,
    counted,
    mean_over_widths,
    read_table,
)

GOAL_WIDTHS = ("1", "0.5", "0.25")
# Keywords found at 72 false alarms an hour, valid and test streams.
VALID_STREAMS, TEST_STREAMS = (name for name, _ in MEASURES[:2])


def read_clip_table(text):
    """The recipe each change was paired with, each recipe's accuracy and
    each change, from a table of :mod:`benchmarks.clips` with
    ``--change_per_width``.

    Returns
    -------
    against : str
        The recipe the changes are paired with.
    accuracy : dict
        ``{recipe: {split: {column: cell}}}`` from the first table (columns:
        the widths and ``mean over widths``).
    changes : dict
        ``{recipe: {split: {column: cell}}}`` from the change table.

    Example
    -------
    >>> text = '''Change: the mean over widths minus that of A, per seed.
    ...
    ... | recipe | seeds | split | 1 | mean over widths | change against A |
    ... | --- | --- | --- | --- | --- | --- |
    ... | A | 1, 2 | test | 90.00 ± 1.00 | 90.00 ± 1.00 |  |
    ... | B | 1, 2 | test | 91.00 ± 1.00 | 91.00 ± 1.00 | +1.00 ± 0.00 |
    ...
    ... Change against A at each width and over the widths (its mean): ...
    ...
    ... | recipe | split | 1 | mean over widths |
    ... | --- | --- | --- | --- |
    ... | B | test | +1.00 ± 0.00 (2/2) | +1.00 ± 0.00 (2/2) |
    ... '''
    >>> against, accuracy, changes = read_clip_table(text)
    >>> against, accuracy["B"]["test"]["1"], changes["B"]["test"]["1"]
    ('A', '91.00 ± 1.00', '+1.00 ± 0.00 (2/2)')
    """
    against, header, tables = None, None, ({}, {})
    for line in text.splitlines():
        if line.startswith("Change against ") and " at each width" in line:
            against = line[
                len("Change against ") : line.index(" at each width")
            ]
        cells = table_cells(line)
        if not cells or cells[0].startswith("---"):
            continue
        if cells[0] == "recipe":
            header = cells
            continue
        row = dict(zip(header, cells))
        table = tables[1] if "seeds" not in header else tables[0]
        table.setdefault(row["recipe"], {})[row["split"]] = row
    if against is None:
        raise ValueError(
            "no change table: write it with python -m benchmarks clips "
            "--against RECIPE --change_per_width"
        )
    return (against, *tables)


def mean_of(cell):
    """The mean of a ``mean ± std (k/n)`` cell (``None`` for ``-``).

    Example
    -------
    >>> mean_of("+0.74 ± 1.55 (4/5)"), mean_of("-0.17"), mean_of("-")
    (0.74, -0.17, None)
    """
    first = cell.split()[0]
    return None if first == "-" else float(first)


def clip_lines(names):
    """Per change of the clip tables ``names`` (in their order, from the
    first table holding it): the recipe it was paired with, its accuracy
    and its changes (see :func:`read_clip_table`)."""
    lines = {}
    for name in names:
        path = Path(name)
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} not found: write it first with python -m "
                f"benchmarks clips --change_per_width --out {path}"
            )
        against, accuracy, changes = read_clip_table(path.read_text())
        for recipe, by_split in changes.items():
            if recipe not in lines:
                lines[recipe] = (against, accuracy[recipe], by_split)
    return lines


def markdown(lines, streams, command):
    """The table: one line per change of ``lines`` (:func:`clip_lines`),
    with its stream changes from ``streams`` (``{recipe: {measure:
    {table: {width: points}}}}``, as :func:`benchmarks.stream_changes.
    changes_per_table` gives them; ``-`` where a change has none). A change
    behind on the valid clips is not adopted whatever its streams; one ahead
    there without valid streams gets ``-``.

    Example
    -------
    >>> cell = "+1.00 ± 0.00 (2/2)"
    >>> change = {s: {"mean over widths": cell, "1": cell}
    ...           for s in ("valid", "test")}
    >>> accuracy = {"test": {"1": "91.00 ± 1.00", "0.5": "89.00 ± 1.00",
    ...                      "0.25": "86.00 ± 2.00"}}
    >>> streams = {"B": {VALID_STREAMS: {"t1": {1.0: -2.0}},
    ...                  TEST_STREAMS: {"t1": {1.0: 1.0}}}}
    >>> table = markdown({"B": ("A", accuracy, change)}, streams, "x")
    >>> table.splitlines()[-1]
    '| B | A | +1.00 ± 0.00 (2/2) | +1.00 ± 0.00 (2/2) | +1.00 ± 0.00 (2/2) | 91.00 / 89.00 / 86.00 | -2.00 (0/1) | +1.00 (1/1) | no |'
    >>> table = markdown({"B": ("A", accuracy, change)}, {}, "x")
    >>> table.splitlines()[-1].split(" | ")[-3:]
    ['-', '-', '- |']
    >>> behind = {s: {"mean over widths": "-0.50 ± 1.00 (1/2)", "1": cell}
    ...           for s in ("valid", "test")}
    >>> table = markdown({"B": ("A", accuracy, behind)}, {}, "x")
    >>> table.splitlines()[-1].split(" | ")[-3:]
    ['-', '-', 'no |']
    """
    rows = [
        f"Command: `{command}`",
        "",
        "Each change of the recipe on the speaker splits, against the recipe "
        "it was trained beside (paired by split; mean ± std over the splits, "
        "(k/n): at or above that recipe on k of n splits). Clips: clip "
        "accuracy, points, the mean over the widths unless a width is named; "
        "test accuracy: the change's own test clip accuracy (%) at 1.0 / 0.5 "
        "/ 0.25, mean over the splits. Streams: keywords found at 72 false "
        "alarms an hour, points, mean over the widths. Adopted by the rule: "
        "ahead on the valid clips and in the valid streams (the test "
        "speakers only report).",
        "",
        "| change | paired with | valid clips | test clips | test clips at 1.0 "
        "| test accuracy, 1.0 / 0.5 / 0.25 | valid streams | test streams "
        "| ahead on both validation measures |",
        "| --- " * 9 + "|",
    ]
    for recipe, (against, accuracy, change) in lines.items():
        per_split = {
            measure: mean_over_widths(per_width)
            for measure, per_width in streams.get(recipe, {}).items()
        }
        stream_cells = [
            counted(per_split[measure]) if measure in per_split else "-"
            for measure in (VALID_STREAMS, TEST_STREAMS)
        ]
        valid_clips = mean_of(change["valid"]["mean over widths"])
        if valid_clips is None:
            verdict = "-"
        elif valid_clips <= 0:
            verdict = "no"
        elif VALID_STREAMS not in per_split:
            verdict = "-"
        else:
            valid_streams = statistics.fmean(per_split[VALID_STREAMS].values())
            verdict = "yes" if valid_streams > 0 else "no"
        test_accuracy = " / ".join(
            accuracy["test"][width].split()[0] for width in GOAL_WIDTHS
        )
        cells = [
            recipe,
            against,
            change["valid"]["mean over widths"],
            change["test"]["mean over widths"],
            change["test"]["1"],
            test_accuracy,
            *stream_cells,
            verdict,
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def main(argv=None):
    """Print the table (and write it to ``--out``)."""
    parser = table_parser("changes", __doc__.splitlines()[0])
    parser.add_argument(
        "--clip_tables",
        nargs="+",
        required=True,
        metavar="FILE",
        help="tables written by python -m benchmarks clips "
        "--change_per_width --out FILE",
    )
    add_stream_table_arguments(parser, "--stream_tables")
    parser.add_argument(
        "--leave_out",
        nargs="+",
        default=[],
        metavar="RECIPE",
        help="changes of the clip tables not to list (runs that another "
        "table lists under another name)",
    )
    args = parser.parse_args(argv)
    lines = clip_lines(args.clip_tables)
    unknown = set(args.leave_out) - set(lines)
    if unknown:
        parser.error(
            "--leave_out names no change of the clip tables: "
            + ", ".join(map(repr, sorted(unknown)))
        )
    for recipe in args.leave_out:
        del lines[recipe]
    tables = {name: read_table(name) for name in args.stream_tables}
    streams, _ = changes_per_table(tables, args.smoothing)
    command = ["python", "-m", "benchmarks", "changes"]
    command += ["--smoothing", str(args.smoothing)]
    command += ["--clip_tables", *args.clip_tables]
    command += ["--stream_tables", *args.stream_tables]
    if args.leave_out:
        command += ["--leave_out", *args.leave_out]
    write_table(markdown(lines, streams, shlex.join(command)), args.out)
