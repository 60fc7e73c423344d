#!/usr/bin/env python3
"""Regenerate every number of the README's results section.

On the same data, split, epochs, augmentation and seed, for the slimmable
TC-ResNet and KWT:

1. accuracy per width on the speaker-disjoint test split of (a) a supernet
   trained with the sandwich rule and in-place distillation, (b) a supernet
   trained the paper's way (every width each batch) and (c) a model of each
   width trained alone from scratch (a width list of one);
2. training cost: wall-clock and optimizer steps of a supernet against the
   sum of the separate models, and how the ratio changes with 4, 8 and 16
   widths (timed training steps);
3. size and speed per width: parameters, MACs, ONNX file size, and batch-1
   latency for one 1-second clip (features included) in PyTorch eager and in
   onnxruntime, as ratios to width 1.0;
4. the supernet's overhead at width 1.0 against its extracted subnet.

Usage (about 40 minutes on 2 CPU cores)::

    python benchmarks/run.py --data_folder ../shared/data/gsc12_dev \\
        --noise_folder ../shared/data/background_noise

Runs already finished (their ``results.json`` exists) are reused, so an
interrupted benchmark continues. Writes ``benchmarks/results.md``,
``benchmarks/accuracy_vs_params.png``, ``benchmarks/results.json``, the
tables of README.md's results section and the model folders
``pretrained/gsc12-cnn`` and ``pretrained/gsc12-kwt``.

Authors
 * speechbrain-slimmable developers 2026
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
WIDTHS = [1.0, 0.75, 0.5, 0.25]
FAMILIES = {"cnn": "hparams/tcresnet.yaml", "kwt": "hparams/kwt.yaml"}
METHODS = {
    "sandwich+KD": ["--strategy=sandwich", "--distillation=True"],
    "all (paper)": ["--strategy=all", "--distillation=False"],
}
SCRATCH = "scratch"


def train(family, method, width, args):
    """Run the recipe once (reused if done); returns its results.json."""
    name = method if width is None else f"{SCRATCH}-{width:g}"
    output = Path(args.output) / family / slug(name) / str(args.seed)
    results = output / "pretrained" / "results.json"
    if not results.is_file():
        extra = METHODS.get(method, [])
        if width is not None:
            extra = [
                f"--widths=[{width}]",
                "--strategy=all",
                "--distillation=False",
            ]
        command = [
            sys.executable,
            str(REPO / "recipes" / "GSC" / "train.py"),
            str(REPO / FAMILIES[family]),
            f"--data_folder={args.data_folder}",
            f"--noise_folder={args.noise_folder}",
            f"--task={args.task}",
            f"--output_folder={output}",
            f"--number_of_epochs={args.epochs}",
            f"--seed={args.seed}",
            *extra,
        ]
        print(f"[benchmark] {family} {name}: training", flush=True)
        log = output.parent / f"{output.name}.log"
        output.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "w") as stream:
            subprocess.run(command, check=True, stdout=stream, stderr=stream)
    return json.loads(results.read_text())


def accuracy_runs(args):
    """Stage 1 and the full-training part of stage 2."""
    runs = {}
    for family in args.families:
        runs[family] = {m: train(family, m, None, args) for m in METHODS}
        runs[family][SCRATCH] = {
            width: train(family, SCRATCH, width, args) for width in WIDTHS
        }
    return runs


def step_seconds(hparams_file, widths, strategy, args, steps=12):
    """Median seconds of one training step of the recipe's SandwichBrain."""
    sys.path.insert(0, str(REPO / "recipes" / "GSC"))
    import train as recipe
    from hyperpyyaml import load_hyperpyyaml

    with tempfile.TemporaryDirectory() as tmp:
        overrides = {
            "data_folder": args.data_folder,
            "noise_folder": args.noise_folder,
            "task": args.task,
            "output_folder": tmp,
            "widths": widths,
            "strategy": strategy,
            "num_sampled_widths": 4,
            "distillation": strategy == "sandwich",
        }
        with open(REPO / hparams_file) as fin:
            hparams = load_hyperpyyaml(fin, overrides)
        brain, datasets = recipe.build_brain(
            hparams, {"device": "cpu"}, checkpointer=False
        )
        brain.on_fit_start()
        brain.modules.train()
        loader = brain.make_dataloader(
            datasets["train"],
            stage=None,
            **dict(hparams["train_dataloader_opts"], shuffle=False),
        )
        times = []
        for index, batch in enumerate(loader):
            start = time.perf_counter()
            brain.step = index + 1
            brain.fit_batch(batch)
            times.append(time.perf_counter() - start)
            if len(times) == steps + 2:
                break
    return statistics.median(times[2:])


def cost_scaling(args):
    """Stage 2: supernet step time vs the summed single-width step times."""
    rows = []
    hparams_file = FAMILIES["cnn"]
    single = {}
    for count in (4, 8, 16):
        widths = [round(1.0 - i * 0.75 / (count - 1), 4) for i in range(count)]
        for width in widths:
            if width not in single:
                single[width] = step_seconds(hparams_file, [width], "all", args)
        supernet = step_seconds(hparams_file, widths, "sandwich", args)
        separate = sum(single[w] for w in widths)
        rows.append(
            {
                "widths": count,
                "supernet_step_s": round(supernet, 4),
                "separate_steps_s": round(separate, 4),
                "ratio": round(supernet / separate, 3),
            }
        )
        print(f"[benchmark] cost with {count} widths: {rows[-1]}", flush=True)
    return rows


def median_ms(function, repeats):
    """Median wall time of ``function()`` in milliseconds, after warm-up."""
    for _ in range(3):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def speed(folder, args):
    """Stages 3 and 4 for one model folder."""
    from speechbrain_slimmable import set_width
    from speechbrain_slimmable.export import onnx_session, run_onnx
    from speechbrain_slimmable.inference import SlimmableKWSClassifier

    torch.set_num_threads(1)
    classifier = SlimmableKWSClassifier.from_hparams(
        source=str(folder), savedir=str(Path(args.output) / "savedir")
    )
    clip = torch.randn(1, classifier.hparams.clip_samples) * 0.1
    features = classifier.mods.compute_features(clip)
    rows = []
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
        for profile in classifier.profile():
            width = profile["width"]
            path = Path(tmp) / f"{width}.onnx"
            classifier.export_onnx(path, width)
            session = onnx_session(path)
            model_only = Path(tmp) / f"{width}-features-in.onnx"
            classifier.export_onnx(model_only, width, include_features=False)
            model_session = onnx_session(model_only)
            subnet = classifier.subnet(width, include_features=True).eval()
            rows.append(
                dict(
                    profile,
                    onnx_kb=round(path.stat().st_size / 1024, 1),
                    eager_ms=median_ms(partial(subnet, clip), args.repeats),
                    onnxruntime_ms=median_ms(
                        partial(run_onnx, session, clip), args.repeats
                    ),
                    onnxruntime_model_ms=median_ms(
                        partial(run_onnx, model_session, features),
                        args.repeats,
                    ),
                )
            )
        front_end = classifier.mods.compute_features
        model = classifier.mods.model.eval()
        set_width(model, 1.0)
        supernet_ms = median_ms(lambda: model(front_end(clip)), args.repeats)
    widest = rows[0]
    for row in rows:
        for key in ("eager_ms", "onnxruntime_ms", "onnxruntime_model_ms"):
            row[key] = round(row[key], 3)
            row[key.replace("_ms", "_ratio")] = round(row[key] / widest[key], 3)
    overhead = {
        "supernet_eager_ms": round(supernet_ms, 3),
        "subnet_eager_ms": widest["eager_ms"],
        "ratio": round(supernet_ms / widest["eager_ms"], 3),
    }
    return rows, overhead


def slug(name):
    """Folder name of a run."""
    return name.replace(" ", "_").replace("(", "").replace(")", "")


def publish(family, methods, args):
    """Copy the supernet with the best mean test accuracy to pretrained/.

    Returns the folder and the method chosen.
    """
    method = max(
        METHODS,
        key=lambda m: statistics.mean(
            r["accuracy"] for r in methods[m]["widths"]
        ),
    )
    run = methods[method]
    source = (
        Path(args.output)
        / family
        / slug(method)
        / str(args.seed)
        / "pretrained"
    )
    target = REPO / "pretrained" / f"gsc12-{family}"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    rows = run["widths"]
    table = "\n".join(
        f"| {r['width']:g} | {r['params']:,} | {r['macs']:,} | "
        f"{r['accuracy']:.2f} |"
        for r in rows
    )
    architecture = "TC-ResNet" if family == "cnn" else "KWT"
    widths = ", ".join(f"{r['width']:g}" for r in rows)
    (target / "README.md").write_text(
        f"""# gsc12-{family}: slimmable keyword-spotting supernet

A {architecture} supernet trained once for
widths {widths} with speechbrain-slimmable, strategy `{method}` (the
method with the best mean test accuracy in the benchmark).

- **Data**: `gsc12_dev`, 2,945 real Speech Commands v0.02 clips (12 classes:
  yes no up down left right on off stop go, `_unknown_`, `_silence_`), split
  by speaker into train / valid / test (data seed 0). It is far smaller than
  the full dataset: accuracies are not comparable with published
  full-dataset results.
- **Training command**:
  `python benchmarks/run.py --data_folder ../shared/data/gsc12_dev
  --noise_folder ../shared/data/background_noise` (which runs
  `python recipes/GSC/train.py {FAMILIES[family]}
  --data_folder=... --noise_folder=... --number_of_epochs={args.epochs}
  {" ".join(METHODS[method])}`).

| width | parameters | MACs | test accuracy (%) |
| --- | --- | --- | --- |
{table}

```python
from speechbrain_slimmable.inference import SlimmableKWSClassifier
kws = SlimmableKWSClassifier.from_hparams(source="pretrained/gsc12-{family}")
print(kws.classify_file("yes.wav", width=0.5))
```

Speech Commands is by Pete Warden (Google), licensed CC BY 4.0: Warden, P.
"Speech Commands: A Dataset for Limited-Vocabulary Speech Recognition",
arXiv:1804.03209, 2018.
"""
    )
    return target, method


def plot(runs, path):
    """Accuracy vs parameters, one line per method and family."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    markers = {"cnn": "o", "kwt": "s"}
    for family, methods in runs.items():
        for method in METHODS:
            rows = methods[method]["widths"]
            axes.plot(
                [r["params"] / 1000 for r in rows],
                [r["accuracy"] for r in rows],
                marker=markers[family],
                label=f"{family} {method}",
            )
        scratch = [methods[SCRATCH][w]["widths"][0] for w in WIDTHS]
        axes.plot(
            [r["params"] / 1000 for r in scratch],
            [r["accuracy"] for r in scratch],
            marker=markers[family],
            linestyle="--",
            label=f"{family} each width from scratch",
        )
    axes.set_xscale("log")
    axes.set_xlabel("parameters (thousands, log scale)")
    axes.set_ylabel("test accuracy (%)")
    axes.set_title("gsc12_dev, speaker-disjoint test split")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def report(runs, cost, speeds, args):
    """The markdown tables."""
    lines = [
        "Command: `python benchmarks/run.py --data_folder "
        f"{args.data_folder} --noise_folder {args.noise_folder}` "
        f"({args.epochs} epochs, seed {args.seed}, one run per model).",
        f"Hardware: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPU cores, torch {torch.__version__}.",
        "",
        "### 1. Test accuracy (%) per width",
        "",
        "| model | width | params | sandwich+KD | all (paper) | scratch |"
        " sandwich+KD − scratch |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for family, methods in runs.items():
        for index, width in enumerate(WIDTHS):
            sandwich = methods["sandwich+KD"]["widths"][index]
            paper = methods["all (paper)"]["widths"][index]
            scratch = methods[SCRATCH][width]["widths"][0]
            lines.append(
                f"| {family} | {width:g} | {sandwich['params']:,} | "
                f"{sandwich['accuracy']:.2f} | {paper['accuracy']:.2f} | "
                f"{scratch['accuracy']:.2f} | "
                f"{sandwich['accuracy'] - scratch['accuracy']:+.2f} |"
            )
    lines += [
        "",
        "### 2. Training cost (same epochs)",
        "",
        "| model | supernet | wall-clock (s) | optimizer steps |"
        " 4 scratch models (s) | steps | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for family, methods in runs.items():
        separate = [methods[SCRATCH][w]["training"] for w in WIDTHS]
        seconds = sum(t["seconds"] for t in separate)
        steps = sum(t["optimizer_steps"] for t in separate)
        for method in METHODS:
            own = methods[method]["training"]
            lines.append(
                f"| {family} | {method} | {own['seconds']:.0f} | "
                f"{own['optimizer_steps']} | {seconds:.0f} | {steps} | "
                f"{own['seconds'] / seconds:.2f} |"
            )
    lines += [
        "",
        "Per training step (CNN, sandwich rule with 4 sampled widths, median"
        " of timed steps) against the sum of one step of each separate"
        " model:",
        "",
        "| widths | supernet step (s) | separate steps (s) | ratio |",
        "| --- | --- | --- | --- |",
    ]
    for row in cost:
        lines.append(
            f"| {row['widths']} | {row['supernet_step_s']} | "
            f"{row['separate_steps_s']} | {row['ratio']} |"
        )
    lines += [
        "",
        "### 3. Size and speed per width (batch 1, one 1-s clip, features"
        " included, 1 thread, median)",
        "",
        "| model | width | params | MACs | ONNX (KiB) | eager (ms) |"
        " eager ratio | onnxruntime (ms) | onnxruntime ratio |"
        " onnxruntime, model only (ms) | model-only ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for family, (rows, _) in speeds.items():
        for r in rows:
            lines.append(
                f"| {family} | {r['width']:g} | {r['params']:,} | "
                f"{r['macs']:,} | {r['onnx_kb']} | {r['eager_ms']} | "
                f"{r['eager_ratio']} | {r['onnxruntime_ms']} | "
                f"{r['onnxruntime_ratio']} | {r['onnxruntime_model_ms']} | "
                f"{r['onnxruntime_model_ratio']} |"
            )
    lines += [
        "",
        "### 4. Supernet overhead at width 1.0 (eager, features included)",
        "",
        "| model | supernet (ms) | extracted subnet (ms) | ratio |",
        "| --- | --- | --- | --- |",
    ]
    for family, (_, overhead) in speeds.items():
        lines.append(
            f"| {family} | {overhead['supernet_eager_ms']} | "
            f"{overhead['subnet_eager_ms']} | {overhead['ratio']} |"
        )
    return "\n".join(lines) + "\n"


def main():
    """Run every stage and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_folder", required=True)
    parser.add_argument("--noise_folder", required=True)
    parser.add_argument("--task", default="12")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--families", nargs="+", default=list(FAMILIES))
    parser.add_argument("--output", default=str(REPO / "results" / "benchmark"))
    args = parser.parse_args()
    runs = accuracy_runs(args)
    cost = cost_scaling(args)
    speeds = {}
    for family in args.families:
        folder, method = publish(family, runs[family], args)
        print(f"[benchmark] pretrained/{folder.name}: {method}", flush=True)
        speeds[family] = speed(folder, args)
    here = Path(__file__).parent
    (here / "results.md").write_text(report(runs, cost, speeds, args))
    (here / "results.json").write_text(
        json.dumps(
            {
                "runs": runs,
                "cost": cost,
                "speed": speeds,
            },
            indent=2,
            default=str,
        )
    )
    plot(runs, here / "accuracy_vs_params.png")
    update_readme(REPO / "README.md", (here / "results.md").read_text())
    print((here / "results.md").read_text())


def update_readme(path, results):
    """Replace the README's text between the results markers."""
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    text = path.read_text()
    head, rest = text.split(start)
    _, tail = rest.split(end)
    path.write_text(f"{head}{start}\n{results}{end}{tail}")


if __name__ == "__main__":
    main()
