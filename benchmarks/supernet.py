"""The supernet table: accuracy per width and method, cost, size, speed.

On the same data, split, epochs and augmentation, for the slimmable
TC-ResNet (CNN) and KWT:

1. accuracy per width on the speaker-disjoint test split, mean and spread
   over seeds, of (a) a supernet trained with the sandwich rule and
   in-place distillation, (b) a supernet trained the paper's way (every
   width each batch, labels only), (c) for the CNN, every width each batch
   with in-place distillation, and (d) a model of each width trained alone
   (a width list of one), with the validation accuracy that chooses each
   YAML's default strategy;
2. an ablation of the recipe: the CNN supernet trained the paper's way
   (the KWT's by the sandwich rule) without each change of the recipe, one
   at a time;
3. the KWT with and without a CNN teacher (the benchmark's CNN trained by
   its recipe's default, all+KD, which never heard the test speakers), the
   teacher's KWT trained by the sandwich rule with the teacher weighed 0.5
   and by kwt.yaml's defaults (every width each batch, weighed 0.5);
4. training cost: wall-clock of a supernet against the sum of the separate
   models, and per training step with 4, 8 and 16 widths;
5. size and speed per width: parameters, MACs, ONNX size, batch-1 latency of
   one 1-s clip (features included) in PyTorch eager and onnxruntime, and
   the supernet's overhead at width 1.0 against its extracted subnet, and
   the front end alone with its power spectrum as ONNX's ``STFT`` or as a
   convolution.

It then trains the published models on the training and test speakers
(validation speakers kept for model selection) and writes them to
``pretrained/``.

Usage (about 90 minutes on 2 CPU cores, two trainings at a time)::

    python -m benchmarks supernet --data_folder ../shared/data/gsc12_dev \\
        --noise_folder ../shared/data/background_noise

Every requirement is checked before training; finished runs are reused (an
interrupted benchmark continues) if the same flags and the same YAML (its
SHA-256, which each run's ``results.json`` records) trained them, and
refused otherwise; ``benchmarks/results.json``, the plot and
``pretrained/`` are written only when every stage has succeeded.

Authors
 * speechbrain-slimmable developers 2026
"""

import argparse
import json
import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.cost import cost_scaling
from benchmarks.options import table_parser, write_table
from benchmarks.speed import speed
from benchmarks.supernet_runs import (
    ABLATION,
    FAMILIES,
    FAMILY_METHODS,
    METHODS,
    PUBLISH_SPLIT,
    RECIPE_METHODS,
    REPO,
    TAUGHT,
    Runner,
    accuracy_runs,
    check_requirements,
    epochs_of,
)
from benchmarks.supernet_tables import plot, report

HERE = Path(__file__).resolve().parent


def publish(runner, runs, family, published, args):
    """The published model of ``family``: its YAML's recipe
    (``RECIPE_METHODS``).

    Retrained on train + test speakers (validation still chooses the
    checkpoint), for ``--publish_epochs`` when it names the family, the KWT
    then taught by the published CNN; a ``--light`` family that
    ``--publish_epochs`` does not name publishes the benchmark's own run.

    Returns
    -------
    tuple
        ``(method, model folder, per-width rows, training data)``.
    """
    method = RECIPE_METHODS[family]
    seed = args.seeds[0]
    epochs = args.publish_epochs.get(family)
    if family in args.light and epochs is None:
        folder = runner.output(family, method, seed) / "pretrained"
        rows = runs[family, method, seed]["widths"]
        data = f"training speakers, {epochs_of(family, args)} epochs"
        return method, folder, rows, data
    flags = METHODS[method] + [PUBLISH_SPLIT]
    if method in TAUGHT:
        teacher = published["cnn"][1]
        flags.append(f"--teacher_source={os.path.relpath(teacher, REPO)}")
    name = f"publish {method}"
    if epochs is not None:
        name += f" {epochs} epochs"
    rows = runner.train(family, name, seed, flags, epochs)["widths"]
    folder = runner.output(family, name, seed) / "pretrained"
    data = "train + test speakers"
    epochs = epochs or epochs_of(family, args)
    return method, folder, rows, f"{data}, {epochs} epochs"


def reused_runs(args):
    """The runs of the ``--reuse`` families from the last benchmark run.

    Returns
    -------
    runs : dict
        ``(family, method, seed)`` to the run's results.
    commands : dict
        Family to the benchmark command that trained its runs.
    """
    if not args.reuse:
        return {}, {}
    path = HERE / "results.json"
    if not path.is_file():
        raise SystemExit(f"--reuse needs the results of a last run: no {path}")
    last = json.loads(path.read_text())
    runs = {}
    for key, run in last["runs"].items():
        family, method, seed = key.split(" / ")
        if family in args.reuse:
            runs[family, method, int(seed)] = run
    commands = last.get("commands", {})
    for family in args.reuse:
        if not any(key[0] == family for key in runs):
            raise SystemExit(f"--reuse {family}: {path} holds no {family} run")
        commands.setdefault(family, last["command"])
    return runs, commands


def reused_publication(family):
    """The published model of a reused family, as :func:`publish` gives it:
    the model folder in ``pretrained/`` stays, described by its own
    ``results.json``."""
    folder = REPO / "pretrained" / f"gsc12-{family}"
    published = json.loads((folder / "results.json").read_text())
    command = published["command"]
    data = (
        "train + test speakers"
        if PUBLISH_SPLIT in command
        else "training speakers"
    )
    flag = "--number_of_epochs="
    epochs = [a[len(flag) :] for a in command if a.startswith(flag)]
    if epochs:
        data += f", {epochs[-1]} epochs"
    return RECIPE_METHODS[family], folder, published["widths"], data


def family_epochs(text):
    """``FAMILY=EPOCHS`` of ``--family_epochs`` / ``--publish_epochs`` as
    a pair."""
    family, _, epochs = text.partition("=")
    if family not in FAMILIES or not epochs.isdigit():
        raise argparse.ArgumentTypeError(
            f"expected FAMILY=EPOCHS with FAMILY one of {list(FAMILIES)}, "
            f"got {text!r}"
        )
    return family, int(epochs)


def main(argv=None):
    """Run every stage, then write every output."""
    parser = table_parser("supernet", __doc__.splitlines()[0])
    parser.add_argument("--data_folder", required=True)
    parser.add_argument("--noise_folder", required=True)
    parser.add_argument("--task", default="12")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument(
        "--family_epochs",
        nargs="*",
        type=family_epochs,
        default=[],
        metavar="FAMILY=EPOCHS",
        help="train a family's runs for this many epochs instead of --epochs",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument(
        "--light",
        nargs="*",
        default=[],
        choices=list(FAMILIES),
        help="families run on the first seed only, with no models trained "
        "alone, and published from the benchmark's own run (training "
        "speakers only) instead of a retraining on train + test speakers",
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--families", nargs="+", default=list(FAMILIES))
    parser.add_argument(
        "--reuse",
        nargs="*",
        default=[],
        choices=list(FAMILIES),
        help="families not trained again: their runs come from the last "
        "run's benchmarks/results.json and their published model stays in "
        "pretrained/ (its speed is measured again) unless --publish and "
        "--publish_epochs name it; for a change of one family's recipe",
    )
    parser.add_argument(
        "--ablations",
        nargs="*",
        choices=list(ABLATION),
        default=list(ABLATION),
        metavar="CHANGE",
        help="lines of the ablation (default: all; none: no ablation): "
        + "; ".join(ABLATION),
    )
    parser.add_argument(
        "--publish",
        nargs="*",
        choices=list(FAMILIES),
        help="families whose model replaces pretrained/ (default: all run)",
    )
    parser.add_argument(
        "--publish_epochs",
        nargs="*",
        type=family_epochs,
        default=[],
        metavar="FAMILY=EPOCHS",
        help="retrain a family to publish for this many epochs (a --light "
        "one too) instead of --epochs",
    )
    parser.add_argument("--output", default="results/benchmark")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    args.publish_epochs = dict(args.publish_epochs)
    args.family_epochs = dict(args.family_epochs)
    args.trained = [f for f in args.families if f not in args.reuse]
    if args.publish is None:
        args.publish = args.trained
    if set(args.publish) & set(args.reuse) - set(args.publish_epochs):
        raise SystemExit(
            "a --reuse family keeps its published model unless "
            "--publish_epochs retrains it"
        )
    kept = set(args.reuse) - set(args.publish)
    if "kwt" in set(args.families) - kept and "cnn" not in args.families:
        raise SystemExit(
            "the published KWT is taught by the CNN: run --families cnn kwt "
            "(--reuse cnn keeps the CNN's runs and published model)"
        )
    command = shlex.join(["python", "-m", "benchmarks", "supernet", *argv])
    check_requirements()
    os.chdir(REPO)
    runs, commands = reused_runs(args)
    commands.update({family: command for family in args.trained})
    commands[None] = command
    runner = Runner(args)
    jobs = accuracy_runs(runner, args)
    published = {}
    # A family publishes once its supernet methods are done, beside the
    # rest of the runs (the KWT's, the ablations, the widths alone).
    for family in args.families:
        if family in args.reuse and family not in args.publish:
            published[family] = reused_publication(family)
            continue
        methods = (*FAMILY_METHODS[family], *TAUGHT)
        runs.update(
            {
                k: j.result()
                for k, j in jobs.items()
                if k[0] == family and k[1] in methods
            }
        )
        published[family] = publish(runner, runs, family, published, args)
    runs.update({k: j.result() for k, j in jobs.items()})
    cost = cost_scaling(args)
    speeds = {
        family: speed(folder, args)
        for family, (_, folder, _, _) in published.items()
    }
    text = report(runs, cost, speeds, published, args, commands)
    with tempfile.TemporaryDirectory() as tmp:
        plot(runs, args, Path(tmp) / "accuracy_vs_params.png")
        shutil.move(
            Path(tmp) / "accuracy_vs_params.png",
            HERE / "accuracy_vs_params.png",
        )
    (HERE / "results.json").write_text(
        json.dumps(
            {
                "command": command,
                "commands": {f: commands[f] for f in args.families},
                "runs": {" / ".join(map(str, k)): v for k, v in runs.items()},
                "cost": cost,
                "speed": speeds,
            },
            indent=2,
        )
    )
    for family in args.publish:
        folder = published[family][1]
        target = REPO / "pretrained" / f"gsc12-{family}"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(folder, target)
    write_table(text, args.out)


if __name__ == "__main__":
    main()
