"""Which classes a recipe gets wrong, pooled over its runs' speaker splits.

Scores each run's model on the clips of its own split (``data/valid.csv``
and ``data/test.csv`` beside the run's model folder, so every run is scored
on speakers it never trained on) at every width, adds up the answers of the
runs of one recipe (``speechbrain-slimmable eval --per-class`` gives the
same per run), and gives per class: its clips, the accuracy at each width,
its share of all the wrong answers at width 1.0, and the wrong answer it is
given most often there.

Usage (the recipe's runs on speaker splits, trained beforehand)::

    python -m benchmarks class-errors \\
        --runs "90 epochs=results/splits/epochs90/1/pretrained" \\
               "90 epochs=results/splits/epochs90/2/pretrained"

Authors
 * speechbrain-slimmable developers 2026
"""

import collections
import shlex
from pathlib import Path

from benchmarks.options import runs_parser, write_table
from speechbrain_slimmable.inference.evaluation.clip_accuracy import (
    count_answers,
    per_class_accuracy,
    read_manifest,
    target_indices,
)

SPLITS = ("valid", "test")


def split_manifest(folder, split):
    """The manifest of ``split`` that the run of model folder ``folder``
    wrote (``FOLDER/../data/SPLIT.csv``), checked to exist.

    Example
    -------
    >>> split_manifest("benchmarks", "test")
    Traceback (most recent call last):
    ...
    FileNotFoundError: benchmarks is not a recipe run's model folder: no data/test.csv beside it
    """
    path = Path(folder).resolve().parent / "data" / f"{split}.csv"
    if not path.is_file():
        raise FileNotFoundError(
            f"{folder} is not a recipe run's model folder: no "
            f"data/{split}.csv beside it"
        )
    return path


def pooled_answers(runs):
    """Per recipe, split and width: the ``(class, answer)`` counts of its
    runs added up (:func:`speechbrain_slimmable.inference.evaluation.clip_accuracy.count_answers`).
    """
    from speechbrain_slimmable.inference import SlimmableKWSClassifier

    pooled = collections.defaultdict(collections.Counter)
    for name, folder in runs:
        classifier = SlimmableKWSClassifier.from_hparams(source=folder)
        for split in SPLITS:
            clips = read_manifest(split_manifest(folder, split))
            kept, _, skipped = target_indices(clips, classifier.labels)
            if skipped:
                raise ValueError(f"{folder} lacks the classes {dict(skipped)}")
            answers = count_answers(classifier, kept, classifier.widths, {})
            for width, counts in answers.items():
                pooled[name, split, width] += counts
    return pooled


def class_rows(pooled, name, split):
    """The markdown table of one recipe on one split, a line per class.

    Example
    -------
    >>> pooled = {
    ...     ("r", "test", 0.5): collections.Counter(
    ...         {("no", "no"): 1, ("no", "go"): 1, ("go", "go"): 2}
    ...     ),
    ...     ("r", "test", 1.0): collections.Counter(
    ...         {("no", "no"): 2, ("go", "no"): 1, ("go", "go"): 1}
    ...     ),
    ... }
    >>> print("\\n".join(class_rows(pooled, "r", "test")))
    | class | clips | 1 | 0.5 | share of the errors at 1 | most often taken for |
    | --- | --- | --- | --- | --- | --- |
    | go | 2 | 50.0 | 100.0 | 100.0 % | no |
    | no | 2 | 100.0 | 50.0 | 0.0 % | - |
    """
    widths = sorted({w for n, s, w in pooled if (n, s) == (name, split)})
    widest = pooled[name, split, widths[-1]]
    per_width = {w: per_class_accuracy(pooled[name, split, w]) for w in widths}
    errors = {
        row["class"]: row["clips"] - widest[row["class"], row["class"]]
        for row in per_width[widths[-1]]
    }
    wrong = sum(errors.values())
    header = ["class", "clips"] + [f"{w:g}" for w in reversed(widths)]
    header += [f"share of the errors at {widths[-1]:g}", "most often taken for"]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + " --- |" * len(header),
    ]
    for index, row in enumerate(per_width[widths[-1]]):
        cells = [row["class"], str(row["clips"])]
        cells += [
            f"{per_width[w][index]['accuracy']:.1f}" for w in reversed(widths)
        ]
        share = 100 * errors[row["class"]] / wrong if wrong else 0.0
        cells += [f"{share:.1f} %", row["taken_for"] or "-"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv=None):
    """Print the tables (and write them to ``--out``)."""
    parser = runs_parser("class-errors", __doc__.splitlines()[0])
    args = parser.parse_args(argv)
    pooled = pooled_answers(args.runs)
    command = ["python", "-m", "benchmarks", "class-errors"]
    command += ["--runs"] + [f"{name}={folder}" for name, folder in args.runs]
    lines = [f"Command: `{shlex.join(command)}`", ""]
    for name in dict(args.runs):
        runs = sum(1 for n, _ in args.runs if n == name)
        for split in SPLITS:
            lines += [
                f"{name}, {split} clips of its {runs} runs' splits, pooled: "
                "accuracy (%) per class at each width.",
                "",
                *class_rows(pooled, name, split),
                "",
            ]
    write_table("\n".join(lines), args.out)
