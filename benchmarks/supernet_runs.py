"""The training runs of the ``supernet`` table, reused when they exist.

The methods and ablation lines it trains per model family (CNN and KWT),
the recipe commands that train them, two at a time, and the check that a
finished run was trained by the same flags, the same YAML and the same
teacher weights before it is reused (each run's ``results.json`` records
their SHA-256).

Authors
 * speechbrain-slimmable developers 2026
"""

import concurrent.futures
import importlib.util
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from speechbrain_slimmable.inference.serving.publishing import (
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
    # The KWT recipe before every width each batch was adopted: the
    # sandwich rule, the teacher weighed as much as the labels.
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
# KWT's on five speaker splits (the report's ablation table), more validation
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
            f"python -m benchmarks supernet needs {', '.join(missing)}: run "
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


def epochs_of(family, args):
    """Epochs of a family's benchmark runs: ``--family_epochs`` or
    ``--epochs``."""
    return args.family_epochs.get(family, args.epochs)


def seeds_of(family, args):
    """Seeds run for ``family`` (the first one only for a light family)."""
    return args.seeds[:1] if family in args.light else args.seeds
