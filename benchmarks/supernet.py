#!/usr/bin/env python3
"""Regenerate every number of the README's results section.

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

    python benchmarks/run.py --data_folder ../shared/data/gsc12_dev \\
        --noise_folder ../shared/data/background_noise

Every requirement is checked before training; finished runs are reused (an
interrupted benchmark continues) if the same flags and the same YAML (its
SHA-256, which each run's ``results.json`` records) trained them, and
refused otherwise; ``benchmarks/results.{md,json}``, the
plot, README.md's results section and ``pretrained/`` are written only when
every stage has succeeded.

Authors
 * speechbrain-slimmable developers 2026
"""

import argparse
import concurrent.futures
import importlib.util
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import torch
from readme import update_readme

from speechbrain_slimmable.inference.publishing import (
    file_sha256,
    teacher_sha256,
)

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
WIDTHS = [1.0, 0.75, 0.5, 0.25]
FAMILIES = {
    "cnn": "recipes/GSC/hparams/tcresnet.yaml",
    "kwt": "recipes/GSC/hparams/kwt.yaml",
}
SANDWICH = "sandwich+KD"
PAPER = "all (paper)"
ALL_KD = "all+KD"
SCRATCH = "scratch"
TEACHER = "sandwich+KD+CNN teacher"
ALL_TEACHER = "all+KD+CNN teacher"
METHODS = {
    SANDWICH: ["--strategy=sandwich", "--distillation=True"],
    PAPER: ["--strategy=all", "--distillation=False"],
    ALL_KD: ["--strategy=all", "--distillation=True"],
    # The KWT recipe until the kwt-changes table (README): the sandwich rule,
    # the teacher weighed as much as the labels.
    TEACHER: [
        "--strategy=sandwich",
        "--distillation=True",
        "--teacher_weight=0.5",
    ],
    # kwt.yaml's defaults since that table: every width each batch, the
    # teacher weighed as much as the labels.
    ALL_TEACHER: [
        "--strategy=all",
        "--distillation=True",
        "--teacher_weight=0.5",
    ],
}
# The KWT methods taught by the benchmark's CNN.
TAUGHT = [TEACHER, ALL_TEACHER]
# The KWT costs about three times the CNN: it runs the sandwich rule only
# (and the TAUGHT methods when the CNN runs) against its widths trained
# alone.
FAMILY_METHODS = {"cnn": [SANDWICH, PAPER, ALL_KD], "kwt": [SANDWICH]}
# The method of each YAML's defaults, which its published model follows.
# Validation chose each: the CNN's in this benchmark (three seeds), the
# KWT's on five speaker splits (README, "kwt-changes"), more validation
# speakers than this benchmark's one seed of it.
RECIPE_METHODS = {"cnn": ALL_KD, "kwt": ALL_TEACHER}
# The KWT's teacher: the benchmark's CNN trained by its recipe (first
# seed), which never heard the test speakers.
TEACHER_METHOD = RECIPE_METHODS["cnn"]
# One line per change of the recipe, for one family: its supernet trained
# the base way (the CNN: every width each batch, labels only; the KWT: the
# sandwich rule with in-place distillation) without that change.
ABLATION_BASE = {"cnn": PAPER, "kwt": SANDWICH}
ABLATION = {
    "plain TC-ResNet blocks (185k at 1.0)": (
        "cnn",
        [
            "--separable=False",
            "--stem_channels=24",
            "--block_channels=[32,32,48,48,64]",
            "--block_strides=[2,1,2,1,2]",
        ],
    ),
    "without BN recalibration before validation": (
        "cnn",
        ["--recalibration_batches=0"],
    ),
    "without warm-up/decay (constant lr 0.003)": (
        "cnn",
        ["--lr_scheduler=null", "--lr=0.003"],
    ),
    "without per-utterance normalisation": (
        "cnn",
        ["--compute_features=!ref <fbank>"],
    ),
    "with stronger noise (SNR 0-20 dB)": (
        "cnn",
        ["--snr_low=0", "--snr_high=20"],
    ),
    "frame tokens without convolutional stem (111k at 1.0)": (
        "kwt",
        ["--stem_strides=[]"],
    ),
}
# Published models: train on train + test speakers, select on valid.
PUBLISH_SPLIT = "--train_splits=[train,test]"


def check_requirements():
    """Fail before any training if a later stage could not run."""
    missing = [
        name
        for name in ("matplotlib", "onnx", "onnxruntime", "onnxscript")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise SystemExit(
            f"benchmarks/run.py needs {', '.join(missing)}: run "
            '`.venv/bin/pip install -e ".[test,plot]"` first'
        )


class Runner:
    """Runs the recipe, two trainings at a time; reuses finished runs."""

    def __init__(self, args):
        self.args = args
        self.pool = concurrent.futures.ThreadPoolExecutor(args.jobs)
        # Each family's YAML as it is today: a finished run is reused only
        # if it trained by the same one.
        self.hparams_sha256 = {
            family: file_sha256(REPO / path)
            for family, path in FAMILIES.items()
        }

    def output(self, family, name, seed):
        """Folder of one run."""
        slug = name.replace(" ", "_").replace("(", "").replace(")", "")
        return Path(self.args.output) / family / slug / str(seed)

    def submit(self, family, name, seed, extra):
        """Start one run; the future gives its ``results.json``."""
        return self.pool.submit(self.train, family, name, seed, extra)

    def train(self, family, name, seed, extra, epochs=None):
        """Run the recipe once (reused if done); returns its results.

        It trains for ``epochs`` (default: the family's, see
        :func:`epochs_of`)."""
        output = self.output(family, name, seed)
        results = output / "pretrained" / "results.json"
        command = [
            sys.executable,
            "recipes/GSC/train.py",
            FAMILIES[family],
            f"--data_folder={self.args.data_folder}",
            f"--noise_folder={self.args.noise_folder}",
            f"--task={self.args.task}",
            f"--output_folder={os.path.relpath(output, REPO)}",
            f"--number_of_epochs={epochs or epochs_of(family, self.args)}",
            f"--seed={seed}",
            *extra,
        ]
        if results.is_file():
            check_same_run(
                results,
                command[2:],
                self.hparams_sha256[family],
                self.teacher_sha256(extra),
            )
            return json.loads(results.read_text())
        print(f"[benchmark] {family} {name} seed {seed}", flush=True)
        output.parent.mkdir(parents=True, exist_ok=True)
        log = output.parent / f"{output.name}.log"
        env = dict(os.environ, OMP_NUM_THREADS="1")
        with open(log, "w") as stream:
            done = subprocess.run(
                command, cwd=REPO, env=env, stdout=stream, stderr=stream
            )
        if done.returncode != 0:
            raise RuntimeError(f"{family} {name} seed {seed} failed, see {log}")
        return json.loads(results.read_text())

    def teacher_sha256(self, flags):
        """Today's digests of the weights of the teacher that ``flags``
        name (``None`` without one), as the recipe records them."""
        for flag in flags:
            if flag.startswith("--teacher_source="):
                folder = REPO / flag.split("=", 1)[1]
                return teacher_sha256(str(folder))
        return None


def check_same_run(results, flags, hparams_sha256, teacher_sha256=None):
    """Refuse to reuse a finished run that other flags trained, another
    version of its YAML (``hparams_sha256``, the digest of today's) or a
    teacher since retrained (``teacher_sha256``, today's digests of its
    weights): its folder must be removed first. The output folder may be
    spelt differently.

    Example
    -------
    >>> import tempfile
    >>> run = Path(tempfile.mkdtemp()) / "pretrained" / "results.json"
    >>> run.parent.mkdir()
    >>> flags = ["recipes/GSC/hparams/kwt.yaml", "--seed=1"]
    >>> _ = run.write_text(
    ...     json.dumps({"command": flags, "hparams_sha256": "ab12"})
    ... )
    >>> check_same_run(run, flags, "ab12")  # the same run: reused
    >>> check_same_run(  # doctest: +ELLIPSIS
    ...     run, ["recipes/GSC/hparams/kwt.yaml", "--seed=2"], "ab12"
    ... )
    Traceback (most recent call last):
    ...
    SystemExit: ... was trained by recipes/GSC/hparams/kwt.yaml --seed=1, not by ...
    >>> check_same_run(run, flags, "cd34")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    SystemExit: ... by another version of recipes/GSC/hparams/kwt.yaml (its SHA-256 ...
    >>> check_same_run(run, flags, "ab12", ["ef56"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    SystemExit: ... was taught by other teacher weights (SHA-256 None, ...
    """

    def kept(command):
        return [f for f in command if not f.startswith("--output_folder=")]

    recorded = json.loads(results.read_text())
    if kept(recorded["command"]) != kept(flags):
        raise SystemExit(
            f"{results.parent.parent} was trained by "
            f"{shlex.join(recorded['command'])}, not by {shlex.join(flags)}: "
            "remove that folder to train it again"
        )
    trained_by = recorded.get("hparams_sha256", "not recorded")
    if trained_by != hparams_sha256:
        raise SystemExit(
            f"{results.parent.parent} was trained by another version of "
            f"{flags[0]} (its SHA-256 was {trained_by}, today's is "
            f"{hparams_sha256}): remove that folder to train it again"
        )
    taught_by = recorded.get("teacher_sha256")
    if taught_by != teacher_sha256:
        raise SystemExit(
            f"{results.parent.parent} was taught by other teacher weights "
            f"(SHA-256 {taught_by}, None where not recorded; today's "
            f"{teacher_sha256}): remove that folder to train it again"
        )


def ablation_flags(change):
    """Recipe flags of one ablation line: the base method's, overridden."""
    family, changed = ABLATION[change]
    base = METHODS[ABLATION_BASE[family]]
    flags = dict(flag.split("=", 1) for flag in base + changed)
    return [f"{key}={value}" for key, value in flags.items()]


def scratch_flags(width):
    """Recipe flags of one width trained alone."""
    return [f"--widths=[{width}]", "--strategy=all", "--distillation=False"]


def accuracy_runs(runner, args):
    """Stages 1-3: start every training of the comparison.

    The longest come first: the CNN supernets of the first seed (one of
    them is the KWT's teacher), then the KWT runs, then the rest. Returns
    the futures of the runs' results.
    """
    first, rest = [], []
    for family in args.trained:
        for index, seed in enumerate(seeds_of(family, args)):
            for method in FAMILY_METHODS[family]:
                job = (family, method, seed, METHODS[method])
                (first if index == 0 else rest).append(job)
            if family not in args.light:
                rest += [
                    (family, f"{SCRATCH}-{w:g}", seed, scratch_flags(w))
                    for w in WIDTHS
                ]
    rest += [
        (ABLATION[change][0], change, args.seeds[0], ablation_flags(change))
        for change in args.ablations
        if ABLATION[change][0] in args.trained
    ]
    jobs = {job[:3]: runner.submit(*job) for job in first}
    if "kwt" in args.trained and "cnn" in args.families:
        seed = args.seeds[0]
        folder = runner.output("cnn", TEACHER_METHOD, seed) / "pretrained"
        if "cnn" in args.trained:
            jobs["cnn", TEACHER_METHOD, seed].result()
        elif not (folder / "model.ckpt").is_file():
            raise SystemExit(
                f"--reuse cnn: the KWT's teacher {folder} is missing; it is "
                "the last run's cnn folder (train the cnn again, or keep "
                "--output)"
            )
        print(f"[benchmark] KWT teacher: cnn {TEACHER_METHOD}", flush=True)
        teacher = f"--teacher_source={os.path.relpath(folder, REPO)}"
        for seed in seeds_of("kwt", args):
            for method in TAUGHT:
                job = ("kwt", method, seed, METHODS[method] + [teacher])
                jobs[job[:3]] = runner.submit(*job)
    jobs.update({job[:3]: runner.submit(*job) for job in rest})
    return jobs


def recipe_module():
    """``recipes/GSC/train.py`` as a module (recipes are not a package)."""
    path = REPO / "recipes" / "GSC" / "train.py"
    spec = importlib.util.spec_from_file_location("gsc_train", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def step_seconds(recipe, widths, strategy, args, steps=12):
    """Median seconds of one training step of the recipe's SandwichBrain,
    and of the augmentation and features computed once within it."""
    import speechbrain as sb
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
            "distillation": True,
        }
        with open(REPO / FAMILIES["cnn"]) as fin:
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
        steps_s, prepare_s = [], []
        for batch in loader:
            start = time.perf_counter()
            # Computed once, then reused by every width of fit_batch.
            brain.prepare_batch(batch, sb.Stage.TRAIN)
            prepared = time.perf_counter()
            brain.fit_batch(batch)
            steps_s.append(time.perf_counter() - start)
            prepare_s.append(prepared - start)
            if len(steps_s) == steps + 2:
                break
    return statistics.median(steps_s[2:]), statistics.median(prepare_s[2:])


def cost_scaling(args):
    """Stage 4: one supernet step against one step of each separate model.

    Each step includes its augmentation and features. ``all`` runs every
    width on them, computed once per batch where the separate models
    compute them once each: that is its saving, and ``model only`` leaves
    them out of both sides. ``sandwich`` also samples 4 widths per step.
    """
    torch.set_num_threads(1)
    recipe = recipe_module()
    rows = []
    single = {}
    for count in (4, 8, 16):
        widths = [round(1.0 - i * 0.75 / (count - 1), 4) for i in range(count)]
        for width in widths:
            if width not in single:
                single[width] = step_seconds(recipe, [width], "all", args)
        separate = sum(single[w][0] for w in widths)
        separate_prepare = sum(single[w][1] for w in widths)
        row = {
            "widths": count,
            "separate_steps_s": round(separate, 4),
            "separate_prepare_s": round(separate_prepare, 4),
        }
        for strategy in ("all", "sandwich"):
            seconds, prepare = step_seconds(recipe, widths, strategy, args)
            row[f"{strategy}_step_s"] = round(seconds, 4)
            row[f"{strategy}_prepare_s"] = round(prepare, 4)
            row[f"{strategy}_ratio"] = round(seconds / separate, 3)
        row["all_model_ratio"] = round(
            (row["all_step_s"] - row["all_prepare_s"])
            / (separate - separate_prepare),
            3,
        )
        rows.append(row)
        print(f"[benchmark] cost with {count} widths: {row}", flush=True)
    return rows


def medians_ms(functions, repeats):
    """Median wall times (ms) of ``functions``, after warm-up; several are
    timed in turn, call by call, so that a change in the machine's load
    touches them alike."""
    times = [[] for _ in functions]
    for _ in range(3):
        for function in functions:
            function()
    for _ in range(repeats):
        for function, spent in zip(functions, times):
            start = time.perf_counter()
            function()
            spent.append((time.perf_counter() - start) * 1000)
    return [statistics.median(spent) for spent in times]


def median_ms(function, repeats):
    """Median wall time of ``function()`` in milliseconds, after warm-up."""
    return medians_ms([function], repeats)[0]


# Stage 5's timings per width, in the order ``speed`` takes them.
SPEED_KEYS = ("eager_ms", "onnxruntime_ms", "onnxruntime_model_ms")


def speed(folder, args):
    """Stage 5 for one model folder."""
    from speechbrain_slimmable import set_width
    from speechbrain_slimmable.inference import SlimmableKWSClassifier
    from speechbrain_slimmable.inference.export import onnx_session, run_onnx

    torch.set_num_threads(1)
    classifier = SlimmableKWSClassifier.from_hparams(source=str(folder))
    clip = torch.randn(1, classifier.hparams.clip_samples) * 0.1
    features = classifier.front_end(clip)
    rows, calls = [], []
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
        for profile in classifier.profile():
            width = profile["width"]
            path = Path(tmp) / f"{width}.onnx"
            classifier.export_onnx(path, width)
            model_only = Path(tmp) / f"{width}-features-in.onnx"
            classifier.export_onnx(model_only, width, include_features=False)
            subnet = classifier.subnet(width, include_features=True).eval()
            rows.append(
                dict(profile, onnx_kb=round(path.stat().st_size / 1024, 1))
            )
            calls += [
                partial(subnet, clip),
                partial(run_onnx, onnx_session(path, threads=1), clip),
                partial(
                    run_onnx, onnx_session(model_only, threads=1), features
                ),
            ]
        # Every call of every width in turn, so that a change of the
        # machine's load touches all of them alike.
        medians = iter(medians_ms(calls, args.repeats))
        for row in rows:
            for key in SPEED_KEYS:
                row[key] = next(medians)
        # The same front end for both (the one the subnet carries).
        front_end = classifier.front_end
        model = classifier.mods.model.eval()
        set_width(model, 1.0)
        subnet = classifier.subnet(1.0, include_features=True).eval()
        supernet_ms, subnet_ms = medians_ms(
            [lambda: model(front_end(clip)), partial(subnet, clip)],
            4 * args.repeats,
        )
        front_end_ms = front_end_speed(classifier, clip, Path(tmp), args)
    widest = rows[0]
    for row in rows:
        for key in SPEED_KEYS:
            row[key] = round(row[key], 3)
            row[key.replace("_ms", "_ratio")] = round(row[key] / widest[key], 3)
    overhead = {
        "supernet_eager_ms": round(supernet_ms, 3),
        "subnet_eager_ms": round(subnet_ms, 3),
        "ratio": round(supernet_ms / subnet_ms, 3),
    }
    return rows, overhead, front_end_ms


def front_end_speed(classifier, clip, folder, args):
    """The front end alone (waveform to the model's features, the same at
    every width), timed in turn: eager, and in onnxruntime with the power
    spectrum as ONNX's ``STFT`` or as the convolution ``export_onnx``
    writes."""
    from speechbrain_slimmable.inference.export import (
        export_onnx,
        onnx_session,
        run_onnx,
    )
    from speechbrain_slimmable.inference.fbank import inference_front_end

    calls = [partial(classifier.front_end, clip)]
    for for_onnx in (False, True):
        path = folder / f"front-end-{for_onnx}.onnx"
        front_end = inference_front_end(
            classifier.mods.compute_features, for_onnx=for_onnx
        )
        export_onnx(front_end.eval(), path, 1.0, clip, atol=1e-3)
        calls.append(partial(run_onnx, onnx_session(path, threads=1), clip))
    medians = medians_ms(calls, 4 * args.repeats)
    keys = ("eager_ms", "stft_ms", "convolution_ms")
    return {key: round(ms, 3) for key, ms in zip(keys, medians)}


def per_width(runs, family, method, seeds, key="accuracy"):
    """Per width: the values of ``key`` over seeds."""
    values = {width: [] for width in WIDTHS}
    for seed in seeds:
        if method == SCRATCH:
            for width in WIDTHS:
                run = runs[family, f"{SCRATCH}-{width:g}", seed]
                values[width].append(run["widths"][0][key])
        else:
            for row in runs[family, method, seed]["widths"]:
                values[row["width"]].append(row[key])
    return values


def mean_spread(values):
    """``mean ± std`` (or the one value) of a list."""
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def method_names(family, args, runs):
    """The methods run for ``family``, in table order."""
    names = list(FAMILY_METHODS[family])
    names += [
        method
        for method in TAUGHT
        if any(key[:2] == (family, method) for key in runs)
    ]
    return names if family in args.light else names + [SCRATCH]


def seeds_of(family, args):
    """Seeds run for ``family`` (the first one only for a light family)."""
    return args.seeds[:1] if family in args.light else args.seeds


def mean_validation(runs, family, method, args):
    """Validation accuracy of a method, averaged over widths and seeds."""
    values = per_width(
        runs, family, method, seeds_of(family, args), "valid_accuracy"
    )
    return statistics.mean(statistics.mean(v) for v in values.values())


def best_on_validation(runs, family, args):
    """The supernet method with the best mean validation accuracy."""
    candidates = [m for m in method_names(family, args, runs) if m != SCRATCH]
    return max(candidates, key=lambda m: mean_validation(runs, family, m, args))


def accuracy_table(runs, args):
    """Stage 1 and 3 tables, and which method wins on validation."""
    lines = []
    for family in args.families:
        seeds = seeds_of(family, args)
        methods = method_names(family, args, runs)
        test = {m: per_width(runs, family, m, seeds) for m in methods}
        alone = SCRATCH in methods
        head = " | ".join(methods) + (" | best − scratch |" if alone else " |")
        lines += [
            f"**{family}** (test accuracy %, mean ± std over seeds "
            f"{', '.join(map(str, seeds))}"
            + ("" if alone else "; no models trained alone: time")
            + "):",
            "",
            f"| width | params | {head}",
            "| --- | --- | " + "--- | " * (len(methods) + alone),
        ]
        best = best_on_validation(runs, family, args)
        first = runs[family, SANDWICH, seeds[0]]["widths"]
        for row in first:
            width = row["width"]
            cells = " | ".join(mean_spread(test[m][width]) for m in methods)
            if alone:
                gain = statistics.mean(test[best][width]) - statistics.mean(
                    test[SCRATCH][width]
                )
                cells += f" | {gain:+.2f}"
            lines.append(f"| {width:g} | {row['params']:,} | {cells} |")
        valid = {
            m: mean_validation(runs, family, m, args)
            for m in methods
            if m != SCRATCH
        }
        summary = ", ".join(f"{m} {v:.2f}" for m, v in valid.items())
        lines += [
            "",
            f"Mean validation accuracy over widths and seeds: {summary}; "
            f"best: **{best}**.",
            "",
        ]
    return lines


def findings(runs, speeds, args):
    """Sentences computed from the tables, so they never contradict them."""
    lines = []
    for family in args.families:
        if family in args.light:
            continue
        seeds = seeds_of(family, args)
        scratch = per_width(runs, family, SCRATCH, seeds)
        for method in method_names(family, args, runs):
            if method == SCRATCH:
                continue
            ours = per_width(runs, family, method, seeds)
            gaps = {
                w: statistics.mean(ours[w]) - statistics.mean(scratch[w])
                for w in WIDTHS
            }
            behind = {w: g for w, g in gaps.items() if g < 0}
            text = ", ".join(f"{w:g} ({g:+.2f})" for w, g in behind.items())
            lines.append(
                f"- {family}, {method}: at or above the models trained alone"
                f" at {len(WIDTHS) - len(behind)} of {len(WIDTHS)} widths"
                + (f"; behind at {text} points." if behind else ".")
            )
    for family, (rows, overhead, _) in speeds.items():
        narrow = rows[-1]
        lines.append(
            f"- {family}: width {narrow['width']:g} runs in "
            f"{narrow['onnxruntime_ratio']:.2f}x the time of width 1.0 in "
            f"onnxruntime end to end ({narrow['eager_ratio']:.2f}x eager); "
            f"onnxruntime at width 1.0 takes "
            f"{rows[0]['onnxruntime_ms'] / rows[0]['eager_ms']:.2f}x eager; "
            f"the supernet at width 1.0 takes {overhead['ratio']:.2f}x its "
            "extracted subnet."
        )
    return lines + [""]


def ablation_table(runs, args):
    """Stage 2 tables: per family, its base recipe, then one change a line."""
    seed = args.seeds[0]
    lines = []
    for family in args.families:
        changes = [c for c in args.ablations if ABLATION[c][0] == family]
        if not changes:
            continue
        base = ABLATION_BASE[family]
        reference = runs[family, base, seed]["widths"]
        lines += [
            f"{family.upper()} supernet, {base}, seed {seed}: test accuracy "
            "(%) and its change against the full recipe (first line).",
            "",
            "| recipe | 1.0 | 0.75 | 0.5 | 0.25 | mean change |",
            "| --- | --- | --- | --- | --- | --- |",
            "| full recipe | "
            + " | ".join(f"{r['accuracy']:.2f}" for r in reference)
            + " | |",
        ]
        for change in changes:
            rows = runs[family, change, seed]["widths"]
            delta = statistics.mean(
                r["accuracy"] - b["accuracy"] for r, b in zip(rows, reference)
            )
            lines.append(
                f"| {change} | "
                + " | ".join(f"{r['accuracy']:.2f}" for r in rows)
                + f" | {delta:+.2f} |"
            )
        lines.append("")
    return lines


def cost_table(runs, cost, args):
    """Stage 4 tables."""
    lines = [
        "| model | supernet | wall-clock (s) | 4 models alone (s) | ratio |",
        "| --- | --- | --- | --- | --- |",
    ]
    for family in args.families:
        if family in args.light:
            continue
        seed = seeds_of(family, args)[0]
        alone = sum(
            runs[family, f"{SCRATCH}-{w:g}", seed]["training"]["seconds"]
            for w in WIDTHS
        )
        for method in FAMILY_METHODS[family]:
            own = runs[family, method, seed]["training"]["seconds"]
            lines.append(
                f"| {family} | {method} | {own:.0f} | {alone:.0f} | "
                f"{own / alone:.2f} |"
            )
    lines += [
        "",
        "Per training step (CNN, batch 64, augmentation + features + "
        "forward + backward + step, one thread, median) against one step of "
        "each separate model. Each separate model computes the batch's "
        "augmentation and features once (`of it, features`: their sum); a "
        "supernet computes them once for all its widths. That is the saving "
        "of `all widths`; `model only` leaves them out of both sides, and "
        "the sandwich rule also runs 4 of the widths:",
        "",
        "| widths | separate (s) | of it, features (s) | all widths (s) | ratio"
        " | model only, ratio | sandwich, 4 sampled (s) | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in cost:
        lines.append(
            f"| {row['widths']} | {row['separate_steps_s']} | "
            f"{row['separate_prepare_s']} | {row['all_step_s']} | "
            f"{row['all_ratio']} | {row['all_model_ratio']} | "
            f"{row['sandwich_step_s']} | {row['sandwich_ratio']} |"
        )
    return lines + [""]


def speed_table(speeds):
    """Stage 5 tables."""
    lines = [
        "| model | width | params | MACs | ONNX (KiB) | eager (ms) | ratio |"
        " onnxruntime (ms) | ratio | onnxruntime, model only (ms) | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for family, (rows, _, _) in speeds.items():
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
        "Supernet at width 1.0 against its extracted subnet (eager, features"
        " included, timed in turn call by call, median of 4x the repeats):",
        "",
        "| model | supernet (ms) | subnet (ms) | ratio |",
        "| --- | --- | --- | --- |",
    ]
    for family, (_, overhead, _) in speeds.items():
        lines.append(
            f"| {family} | {overhead['supernet_eager_ms']} | "
            f"{overhead['subnet_eager_ms']} | {overhead['ratio']} |"
        )
    lines += [
        "",
        "The front end alone (waveform to the model's features, the same at"
        " every width), timed in turn, median of 4x the repeats: eager, and"
        " in onnxruntime with the power spectrum as ONNX's `STFT` or as one"
        " convolution with the windowed DFT basis (what `export_onnx`"
        " writes):",
        "",
        "| model | eager (ms) | onnxruntime, STFT (ms) |"
        " onnxruntime, convolution (ms) |",
        "| --- | --- | --- | --- |",
    ]
    for family, (_, _, front_end) in speeds.items():
        lines.append(
            f"| {family} | {front_end['eager_ms']} | "
            f"{front_end['stft_ms']} | {front_end['convolution_ms']} |"
        )
    return lines + [""]


def report(runs, cost, speeds, published, args, commands):
    """The markdown results section; ``commands`` name the benchmark
    command that trained each family's runs (this one's under ``None``)."""
    lines = [f"Command: `{commands[None]}`"]
    lines += [
        f"The {family} runs "
        + ("are" if family in args.publish else "and published model are")
        + f" reused from the earlier command `{commands[family]}` (its "
        "speed is measured again)."
        for family in args.reuse
    ]
    lines += [
        f"Hardware: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPU cores, torch {torch.__version__}; "
        f"{args.jobs} trainings at a time, one thread each; "
        f"{args.epochs} epochs"
        + "".join(f", {f} {n}" for f, n in args.family_epochs.items())
        + ".",
        "",
        "### 1. Test accuracy per width (speaker-disjoint test split)",
        "",
        *accuracy_table(runs, args),
    ]
    if any(ABLATION[c][0] in args.families for c in args.ablations):
        lines += ["### 2. What each change of the recipe buys", ""]
        lines += ablation_table(runs, args)
    lines += ["### 3. Training cost", ""] + cost_table(runs, cost, args)
    lines += ["### 4. Size and speed per width", ""]
    lines += [
        "Batch 1, one 1-s clip, features included, 1 thread; every call of "
        f"every width timed in turn, median of {args.repeats}; ratios to "
        "width 1.0.",
        "",
        *speed_table(speeds),
    ]
    lines += ["### 5. What the tables say", ""] + findings(runs, speeds, args)
    lines += ["### 6. Published models", ""]
    for family, (method, _, rows, data) in published.items():
        valid = ", ".join(
            f"{r['width']:g}: {r['valid_accuracy']:.2f}" for r in rows
        )
        kept = "" if family in args.publish else " (not published: kept)"
        if family in args.reuse and family not in args.publish:
            kept = " (reused, as written by the earlier command)"
        best = best_on_validation(runs, family, args)
        chosen = (
            "best on validation above"
            if method == best
            else f"its YAML's recipe; best on validation above: {best}"
        )
        lines.append(
            f"- `pretrained/gsc12-{family}`{kept}: {method} ({chosen}), "
            f"trained on the {data}; validation accuracy per width {valid}."
        )
    return "\n".join(lines) + "\n"


def plot(runs, args, path):
    """Accuracy vs parameters: one line per method and family."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5))
    markers = {"cnn": "o", "kwt": "s"}
    for family in args.families:
        seeds = seeds_of(family, args)
        params = [
            r["params"] / 1000
            for r in runs[family, SANDWICH, seeds[0]]["widths"]
        ]
        for method in method_names(family, args, runs):
            values = per_width(runs, family, method, seeds)
            axes.errorbar(
                params,
                [statistics.mean(values[w]) for w in WIDTHS],
                yerr=[
                    statistics.stdev(values[w]) if len(seeds) > 1 else 0
                    for w in WIDTHS
                ],
                marker=markers[family],
                linestyle="--" if method == SCRATCH else "-",
                capsize=3,
                label=f"{family} {method}",
            )
    axes.set_xscale("log")
    axes.set_xlabel("parameters (thousands, log scale)")
    axes.set_ylabel("test accuracy (%)")
    axes.set_title("gsc12_dev, speaker-disjoint test split")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


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


def epochs_of(family, args):
    """Epochs of a family's benchmark runs: ``--family_epochs`` or
    ``--epochs``."""
    return args.family_epochs.get(family, args.epochs)


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    command = shlex.join(["python", "benchmarks/run.py", *argv])
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
    (HERE / "results.md").write_text(text)
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
    update_readme("results", text)
    print(text)


if __name__ == "__main__":
    main()
