"""Keyword detection of models of different recipes, on the same streams.

Scores each model folder (e.g. the benchmark's CNN supernet trained with and
without one change of its recipe) on the valid and test streams of
:mod:`benchmarks.stream_data` (same splits, seeds and noise parts) and gives,
per width, the keywords found at most 72 false alarms per hour on each, the
false rejection rate at 10 false alarms per hour on the test streams, and
the clip accuracy of its training run (``results.json``). A recipe is
chosen on the valid columns; the test columns say what it gives.
``--smoothing`` decodes each model's posteriors again with each number of
windows the decoder averages (a line per model, width and smoothing), so
the decoder's default is chosen the same way.

Usage (about 2 minutes a model on one thread; one table a speaker split,
which ``stream-changes`` reads)::

    python -m benchmarks streams --out results/streams-1.md \\
        --data_folder ../shared/data/gsc12_dev \\
        --noise_folder ../shared/data/background_noise --data_seed 1 \\
        --runs "recipe=results/splits/recipe/1/pretrained" \\
               "mixup=results/splits/mixup/1/pretrained"

Authors
 * speechbrain-slimmable developers 2026
"""

import json
import os

import torch

from benchmarks.markdown import table_cells
from benchmarks.options import (
    add_data_options,
    relative,
    runs_parser,
    write_table,
)
from benchmarks.stream_data import (
    GOAL_FA,
    HOP,
    check_unseen,
    load_classifier,
    posteriors_per_width,
    split_streams,
)
from speechbrain_slimmable.inference.evaluation.detection_metrics import (
    det_curve,
    frr_at,
)
from speechbrain_slimmable.inference.streaming.events import DEFAULT_SMOOTHING


def detection_per_width(source, args):
    """Per smoothing and width: found at 72 FA/h (valid, test) and FRR at
    10 FA/h (test), with the clip accuracies of the training run."""
    classifier, rate, window, labels = load_classifier(source)
    rows = {
        (smoothing, width): {}
        for smoothing in args.smoothing
        for width in classifier.widths
    }
    for split, passes in (
        ("valid", args.valid_passes),
        ("test", args.test_passes),
    ):
        streams = split_streams(args, split, passes, rate)
        posteriors, truths, hours = posteriors_per_width(
            classifier, streams, rate, window
        )
        for (smoothing, width), row in rows.items():
            curve = det_curve(
                posteriors[width],
                truths,
                hours,
                labels,
                window=window,
                hop=HOP,
                smoothing=smoothing,
            )
            row[f"{split}_found"] = 1 - frr_at(curve, GOAL_FA)
            if split == "test":
                row["test_frr_at_10"] = frr_at(curve, 10.0)
    with open(os.path.join(source, "results.json")) as stream:
        accuracy = {r["width"]: r for r in json.load(stream)["widths"]}
    for (_, width), row in rows.items():
        row["valid_accuracy"] = accuracy[width]["valid_accuracy"]
        row["test_accuracy"] = accuracy[width]["accuracy"]
    return rows


def markdown(results, command):
    """The comparison table, one line per model, smoothing and width."""
    lines = [
        f"Command: `{command}`",
        "",
        "| recipe | smoothing | width | found @ 72 FA/h, valid | "
        "found @ 72 FA/h, test | FRR @ 10 FA/h, test | clip accuracy, valid "
        "| clip accuracy, test |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, rows in results.items():
        for (smoothing, width), r in rows.items():
            lines.append(
                f"| {name} | {smoothing} | {width:g} | "
                f"{100 * r['valid_found']:.1f} % | "
                f"{100 * r['test_found']:.1f} % | "
                f"{100 * r['test_frr_at_10']:.1f} % | "
                f"{r['valid_accuracy']:.2f} % | {r['test_accuracy']:.2f} % |"
            )
    smoothings = sorted({s for rows in results.values() for s, _ in rows})
    if len(smoothings) > 1:
        lines += [
            "",
            "Per smoothing, the mean over the models and widths above:",
            "",
            "| smoothing | found @ 72 FA/h, valid | found @ 72 FA/h, test |",
            "| --- | --- | --- |",
        ]
        for smoothing in smoothings:
            chosen = [
                r
                for rows in results.values()
                for (s, _), r in rows.items()
                if s == smoothing
            ]
            valid, test = (
                100 * sum(r[key] for r in chosen) / len(chosen)
                for key in ("valid_found", "test_found")
            )
            lines.append(f"| {smoothing} | {valid:.2f} % | {test:.2f} % |")
    return "\n".join(lines) + "\n"


def read_markdown(text):
    """The results :func:`markdown` wrote, read back from its table: per
    recipe, ``{(smoothing, width): row}`` with the found rates as fractions
    and the clip accuracies in %, to the digits the table keeps (the
    per-smoothing means after it are not read).

    Example
    -------
    >>> row = {"valid_found": 0.894, "test_found": 0.877,
    ...        "test_frr_at_10": 0.339, "valid_accuracy": 95.85,
    ...        "test_accuracy": 91.51}
    >>> table = markdown({"recipe A": {(9, 0.5): row}}, "python x.py")
    >>> read_markdown(table)["recipe A"][(9, 0.5)]["valid_found"]
    0.894
    """
    results = {}
    for line in text.splitlines():
        cells = table_cells(line)
        if len(cells) != 8 or not cells[1].isdigit():
            continue
        name, smoothing, width, *numbers = cells
        found_valid, found_test, frr, acc_valid, acc_test = (
            float(number.rstrip(" %")) for number in numbers
        )
        results.setdefault(name, {})[(int(smoothing), float(width))] = {
            "valid_found": round(found_valid / 100, 4),
            "test_found": round(found_test / 100, 4),
            "test_frr_at_10": round(frr / 100, 4),
            "valid_accuracy": acc_valid,
            "test_accuracy": acc_test,
        }
    return results


def main(argv=None):
    """Score every run on the same streams; print (and write) the table."""
    parser = runs_parser("streams", __doc__.splitlines()[0])
    add_data_options(parser)
    parser.add_argument("--test_passes", type=int, default=2)
    parser.add_argument("--valid_passes", type=int, default=1)
    parser.add_argument(
        "--smoothing",
        type=int,
        nargs="+",
        default=[DEFAULT_SMOOTHING],
        help="windows the decoder averages; one line per value",
    )
    args = parser.parse_args(argv)
    for _, folder in args.runs:
        check_unseen(folder)
    torch.set_num_threads(1)
    results = {}
    for name, folder in args.runs:
        results[name] = detection_per_width(folder, args)
        print(name, results[name], flush=True)
    runs = " ".join(f'"{n}={relative(f)}"' for n, f in args.runs)
    command = (
        "python -m benchmarks streams --data_folder "
        f"{relative(args.data_folder)} --noise_folder "
        f"{relative(args.noise_folder)} --seed {args.seed} --data_seed "
        f"{args.data_seed} --test_passes {args.test_passes} --valid_passes "
        f"{args.valid_passes} --smoothing "
        f"{' '.join(map(str, args.smoothing))} --runs {runs}"
    )
    write_table(markdown(results, command), args.out)
