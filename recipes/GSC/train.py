#!/usr/bin/env python3
"""Train a slimmable keyword-spotting supernet on Google Speech Commands.

One supernet is trained for every width of ``widths`` with
``speechbrain_slimmable.SandwichBrain``; at the end it is tested at every
width and written as a self-contained model folder (hub layout) that
``speechbrain_slimmable.inference.SlimmableKWSClassifier`` loads.

To run it::

    python recipes/GSC/train.py recipes/GSC/hparams/tcresnet.yaml --data_folder=DIR

``DIR`` is the official dataset (with ``testing_list.txt``; add
``--download=True`` to fetch it when missing) or a ``<class>/<file>.wav``
folder, split by speaker. ``recipes/GSC/hparams/quickstart.yaml`` generates a synthetic
dataset first and needs no data at all.

Authors
 * speechbrain-slimmable developers 2026
"""

import csv
import hashlib
import json
import math
import os
import shlex
import sys
import time

import speechbrain as sb
import torch
from hyperpyyaml import load_hyperpyyaml
from ruamel.yaml import YAML
from speechbrain.augment.time_domain import AddNoise
from speechbrain.utils.distributed import run_on_main

from speechbrain_slimmable import profile_widths
from speechbrain_slimmable.brain import SandwichBrain
from speechbrain_slimmable.dataio.audio import fit_to_window
from speechbrain_slimmable.dataio.folders import speaker_hash, speaker_of
from speechbrain_slimmable.dataio.synthetic import make_synthetic_kws
from speechbrain_slimmable.inference.model_folder import (
    MODEL_CHECKPOINT,
    write_model_folder,
)
from speechbrain_slimmable.repro import NoiseLoaderPosition
from speechbrain_slimmable.utils.quiet import muted

sys.path.append(os.path.dirname(os.path.abspath(__file__)))
from prepare_gsc import prepare_gsc, prepare_noise_csv  # noqa: E402


def dataio_prep(hparams, manifests):
    """Build the train / valid / test datasets and fit the label encoder."""
    clip_samples = hparams["clip_samples"]

    @sb.utils.data_pipeline.takes("wav", "start", "stop")
    @sb.utils.data_pipeline.provides("sig")
    def audio_pipeline(wav, start, stop):
        sig = sb.dataio.dataio.read_audio(
            {"file": wav, "start": int(start), "stop": int(stop)}
        )
        return fit_to_window(sig, clip_samples)

    label_encoder = hparams["label_encoder"]

    @sb.utils.data_pipeline.takes("command")
    @sb.utils.data_pipeline.provides("command", "command_encoded")
    def label_pipeline(command):
        yield command
        yield label_encoder.encode_label_torch(command)

    datasets = {}
    for split, path in manifests.items():
        datasets[split] = sb.dataio.dataset.DynamicItemDataset.from_csv(
            csv_path=path,
            dynamic_items=[audio_pipeline, label_pipeline],
            output_keys=["id", "sig", "command_encoded"],
        )
    label_encoder.load_or_create(
        path=os.path.join(hparams["save_folder"], "label_encoder.txt"),
        from_didatasets=[datasets["train"]],
        output_key="command",
    )
    if len(label_encoder) != hparams["n_classes"]:
        raise ValueError(
            f"the data has {len(label_encoder)} classes but the model has "
            f"n_classes={hparams['n_classes']}: set --n_classes"
        )
    label_encoder.expect_len(hparams["n_classes"])
    return datasets


def prepare_data(hparams):
    """Prepare manifests (and the noise CSV); returns the manifest paths."""
    data_folder = hparams["data_folder"]
    if hparams.get("synthetic"):
        run_on_main(
            make_synthetic_kws,
            kwargs={
                "folder": data_folder,
                "speakers": hparams["synthetic_speakers"],
                "clips_per_speaker": hparams["synthetic_clips_per_speaker"],
                "classes": hparams["synthetic_classes"],
                "speaker_spread": hparams["synthetic_speaker_spread"],
                "snr_db": hparams["synthetic_snr_db"],
                "distractors": hparams["synthetic_distractors"],
            },
        )
    kwargs = {
        "data_folder": data_folder,
        "save_folder": hparams["data_save_folder"],
        "task": hparams["task"],
        "noise_folder": hparams["noise_folder"],
        "seed": hparams["data_seed"],
        "sample_rate": hparams["sample_rate"],
        "download": hparams["download"],
        "url": hparams.get("url"),
    }
    run_on_main(prepare_gsc, kwargs=kwargs)
    noise_folder = hparams["noise_folder"] or os.path.join(
        data_folder, "_background_noise_"
    )
    if hparams.get("noise_csv") and os.path.isdir(noise_folder):
        run_on_main(
            prepare_noise_csv,
            kwargs={
                "noise_folder": noise_folder,
                "save_folder": hparams["data_save_folder"],
                "sample_rate": hparams["sample_rate"],
            },
        )
    elif hparams.get("noise_csv"):
        raise FileNotFoundError(
            f"no background noise at {noise_folder}: pass "
            "--noise_folder=DIR (e.g. ../shared/data/background_noise) or "
            "train without noise augmentation (see recipes/GSC/hparams/quickstart.yaml)"
        )
    manifests = {
        split: os.path.join(hparams["data_save_folder"], f"{split}.csv")
        for split in ("train", "valid", "test")
    }
    manifests = merge_training_splits(manifests, hparams.get("train_splits"))
    fraction = hparams.get("train_speaker_fraction", 1.0)
    return dict(
        manifests,
        train=keep_training_speakers(
            manifests["train"], fraction, hparams["data_seed"]
        ),
    )


def merge_training_splits(manifests, train_splits):
    """Train on several splits: their manifests joined as ``train``.

    ``train_splits: [train, test]`` trains a model to publish on every
    speaker but the validation ones; the joined splits are then not
    evaluated.

    Arguments
    ---------
    manifests : dict
        Split name to manifest path.
    train_splits : list of str, optional
        Splits to train on (default: ``[train]``).

    Returns
    -------
    dict
        The manifests of ``train`` and of the splits left to evaluate.
    """
    train_splits = list(train_splits or ["train"])
    unknown = sorted(set(train_splits) - set(manifests))
    if unknown or "valid" in train_splits or "train" not in train_splits:
        raise ValueError(
            f"train_splits must hold train and may add test, got "
            f"{train_splits}: valid selects the checkpoint"
        )
    if train_splits == ["train"]:
        return manifests
    joined = os.path.join(
        os.path.dirname(manifests["train"]), "+".join(train_splits) + ".csv"
    )
    with open(joined, "w", encoding="utf-8") as out:
        for index, split in enumerate(train_splits):
            with open(manifests[split], encoding="utf-8") as part:
                lines = part.readlines()
            out.writelines(lines if index == 0 else lines[1:])
    kept = {k: v for k, v in manifests.items() if k not in train_splits}
    return dict(kept, train=joined)


def keep_training_speakers(manifest, fraction, seed):
    """Train on a fraction of the training speakers (a learning curve).

    A speaker is kept when its :func:`speaker_hash`, salted apart from the
    split's own hash, is below ``fraction``: the kept speakers are drawn
    at random, a smaller fraction keeps a subset of a larger one, and the
    validation and test speakers do not change. Clips without a speaker
    (``_silence_``) are drawn one by one the same way.

    Arguments
    ---------
    manifest : str
        The training manifest (a CSV with a ``wav`` column).
    fraction : float
        The fraction of the speakers to keep, in ``(0, 1]``.
    seed : int
        The data seed of the split.

    Returns
    -------
    str
        ``manifest`` itself for a fraction of 1, else the manifest of the
        kept clips, written beside it.

    Example
    -------
    >>> import csv, tempfile
    >>> manifest = os.path.join(tempfile.mkdtemp(), "train.csv")
    >>> with open(manifest, "w", newline="") as f:
    ...     writer = csv.writer(f)
    ...     _ = writer.writerow(["ID", "wav"])
    ...     writer.writerows([[i, f"yes/s{i // 2}_nohash_{i % 2}.wav"]
    ...                       for i in range(400)])
    >>> def speakers(path):
    ...     with open(path) as f:
    ...         return {speaker_of(row["wav"]) for row in csv.DictReader(f)}
    >>> half = speakers(keep_training_speakers(manifest, 0.5, seed=0))
    >>> quarter = speakers(keep_training_speakers(manifest, 0.25, seed=0))
    >>> 80 < len(half) < 120, quarter < half
    (True, True)
    >>> keep_training_speakers(manifest, 1.0, seed=0) == manifest
    True
    >>> keep_training_speakers(manifest, 0.0, seed=0)
    Traceback (most recent call last):
    ...
    ValueError: train_speaker_fraction must be in (0, 1], got 0.0
    """
    if not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
        raise ValueError(
            f"train_speaker_fraction must be in (0, 1], got {fraction!r}"
        )
    if fraction == 1:
        return manifest
    with open(manifest, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        kept = [
            row
            for row in reader
            if speaker_hash(speaker_of(row["wav"]), f"{seed}/train") < fraction
        ]
        columns = reader.fieldnames
    if not kept:
        raise ValueError(
            f"train_speaker_fraction={fraction} keeps no training speaker "
            f"of {manifest}: raise it"
        )
    stem, extension = os.path.splitext(manifest)
    subset = f"{stem}_speakers{fraction:g}{extension}"
    with open(subset, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(kept)
    return subset


def build_brain(hparams, run_opts, checkpointer=True):
    """Prepare the data and build the recipe's SandwichBrain.

    Returns
    -------
    brain : SandwichBrain
    datasets : dict
        ``train``, ``valid`` and ``test`` datasets.
    """
    datasets = dataio_prep(hparams, prepare_data(hparams))
    if hparams.get("lr_scheduler") is not None:
        hparams["lr_scheduler"] = per_step_scheduler(hparams, datasets["train"])
    brain = SandwichBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts=run_opts,
        checkpointer=hparams["checkpointer"] if checkpointer else None,
    )
    return brain, datasets


@sb.utils.checkpoints.register_checkpoint_hooks
class TrainingClock:
    """Seconds of training, summed over the runs that resume each other.

    Checkpointed with the model, so a resumed run reports the time of the
    whole training, and a finished run started again reports the time it
    took, not the seconds of the restart.
    """

    def __init__(self):
        self.before = 0.0
        self.start = time.perf_counter()

    def elapsed(self):
        """Seconds of training so far."""
        return self.before + time.perf_counter() - self.start

    @sb.utils.checkpoints.mark_as_saver
    def save(self, path):
        """Write the seconds so far."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(str(self.elapsed()))

    @sb.utils.checkpoints.mark_as_loader
    def load(self, path, end_of_epoch=False):
        """Continue from the seconds of the checkpoint."""
        del end_of_epoch
        with open(path, encoding="utf-8") as f:
            self.before = float(f.read())
        self.start = time.perf_counter()


def per_step_scheduler(hparams, train_set):
    """Build ``lr_scheduler`` for the steps of the run; checkpoint it.

    ``lr_scheduler`` (e.g. ``LinearWarmupScheduler``) is given in YAML
    without its step counts, which depend on the training set's size:
    ``lr_warmup_epochs`` of warm-up, then decay over the remaining epochs.
    """
    batch_size = hparams["train_dataloader_opts"]["batch_size"]
    steps_per_epoch = math.ceil(len(train_set) / batch_size)
    scheduler = hparams["lr_scheduler"](
        num_warmup_steps=hparams.get("lr_warmup_epochs", 0) * steps_per_epoch,
        num_training_steps=hparams["number_of_epochs"] * steps_per_epoch,
    )
    hparams["checkpointer"].add_recoverable("lr_scheduler", scheduler)
    return scheduler


def checkpoint_noise_positions(hparams):
    """Checkpoint where each ``AddNoise`` of the YAML stands in its noise.

    So that a resumed run mixes in the noise recordings an uninterrupted
    run would. Optional on load: a checkpoint saved before this existed
    still resumes (SpeechBrain warns, and the noise starts again).
    """
    for name, value in hparams.items():
        if isinstance(value, AddNoise):
            hparams["checkpointer"].add_recoverable(
                f"{name}_position",
                NoiseLoaderPosition(value),
                optional_load=True,
            )


def width_table(rows):
    """Markdown table of width, parameters, MACs and accuracies.

    Example
    -------
    >>> print(width_table([{"width": 1.0, "params": 1000, "macs": 2000,
    ...                     "valid_accuracy": 90.0}]))
    | width | parameters | MACs | valid accuracy (%) | test accuracy (%) |
    | --- | --- | --- | --- | --- |
    | 1 | 1,000 | 2,000 | 90.00 | (trained on) |
    """
    lines = [
        "| width | parameters | MACs | valid accuracy (%) |"
        " test accuracy (%) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        test = row.get("accuracy")
        test = "(trained on)" if test is None else f"{test:.2f}"
        lines.append(
            f"| {row['width']:g} | {row['params']:,} | {row['macs']:,} | "
            f"{row['valid_accuracy']:.2f} | {test} |"
        )
    return "\n".join(lines)


def main(argv):
    """Prepare, train, recalibrate, test and write the model folder."""
    hparams_file, run_opts, overrides = sb.parse_arguments(argv)
    sb.utils.distributed.ddp_init_group(run_opts)
    # The YAML version this run trains by, read with the YAML itself (an
    # edit during training must not relabel the run).
    recipe_sha256 = file_sha256(hparams_file)
    # SpeechBrain's train logger warns that torchvision (for figures) is
    # absent when the YAML loads it; the recipe saves no figures.
    with (
        open(hparams_file, encoding="utf-8") as fin,
        muted("speechbrain.utils.train_logger", "torchvision is not available"),
    ):
        hparams = load_hyperpyyaml(fin, overrides)
    # And the weights of the teachers it learns from (loaded when the
    # training starts).
    teachers_sha256 = teacher_sha256(hparams.get("teacher_source"))
    sb.create_experiment_directory(
        experiment_directory=hparams["output_folder"],
        hyperparams_to_save=hparams_file,
        overrides=overrides,
    )
    brain, datasets = build_brain(hparams, run_opts)
    clock = TrainingClock()
    hparams["checkpointer"].add_recoverable("training_clock", clock)
    checkpoint_noise_positions(hparams)
    brain.fit(
        brain.hparams.epoch_counter,
        datasets["train"],
        datasets["valid"],
        train_loader_kwargs=hparams["train_dataloader_opts"],
        valid_loader_kwargs=hparams["valid_dataloader_opts"],
    )
    training = {
        "seconds": round(clock.elapsed(), 1),
        "optimizer_steps": brain.optimizer_step,
    }

    # The kept checkpoint (best on validation or the last, or the mean of
    # avg_checkpoints of them), on validation and test.
    accuracies = {}
    for split in ("valid", "test"):
        if split not in datasets:
            continue
        brain.evaluate(
            datasets[split],
            min_key=brain.criterion,
            test_loader_kwargs=hparams["valid_dataloader_opts"],
        )
        accuracies[split] = brain.width_accuracies()

    model = hparams["model"]
    example = hparams["compute_features"](
        torch.zeros(1, hparams["clip_samples"])
    )
    rows = profile_widths(model, brain.widths, example)
    for row in rows:
        row["valid_accuracy"] = accuracies["valid"][row["width"]]
        if "test" in accuracies:
            row["accuracy"] = accuracies["test"][row["width"]]
    table = width_table(rows)
    print(table)
    if sb.utils.distributed.if_main_process():
        final = dict(overrides_dict(overrides), widths=brain.widths)
        folder = hparams["pretrained_folder"]
        write_model_folder(
            folder,
            hparams_file,
            final,
            model,
            hparams["label_encoder"],
            readme=model_card(hparams_file, argv, table, hparams),
        )
        with open(os.path.join(folder, "results.json"), "w") as f:
            json.dump(
                {
                    "widths": rows,
                    "training": training,
                    "command": argv,
                    "hparams_sha256": recipe_sha256,
                    "teacher_sha256": teachers_sha256,
                },
                f,
                indent=2,
            )
        print(f"Model folder written to {folder}")
    return rows


def file_sha256(path):
    """The SHA-256 of a file's bytes. ``results.json`` keeps that of the
    hyperparameter file (which version of the recipe trained the run) and
    of each teacher's weights, so that the benchmark never reuses a run
    that an older YAML trained or a since retrained teacher taught.

    Example
    -------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
    ...     _ = f.write("lr: 0.002\\n")
    ...     f.flush()
    ...     file_sha256(f.name)[:12]
    '7f507ae3168e'
    """
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def teacher_sha256(teacher_source):
    """The SHA-256 of each teacher's weights (``model.ckpt``), in the
    order of ``teacher_source``: ``None`` without a teacher, and for a
    teacher that is not a local folder (a hub id).

    Example
    -------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "model.ckpt"), "wb") as f:
    ...     _ = f.write(b"weights")
    >>> digests = teacher_sha256([folder, "speechbrain/some-hub-model"])
    >>> digests[0] == file_sha256(os.path.join(folder, "model.ckpt"))
    True
    >>> digests[1] is None, teacher_sha256(None) is None
    (True, True)
    """
    if teacher_source is None:
        return None
    if isinstance(teacher_source, (str, os.PathLike)):
        teacher_source = [teacher_source]
    return [
        file_sha256(os.path.join(source, MODEL_CHECKPOINT))
        if os.path.isdir(source)
        else None
        for source in teacher_source
    ]


def overrides_dict(overrides):
    """Parse the override string of ``sb.parse_arguments`` into a dict.

    Round-trip YAML keeps the tags of an override such as
    ``--compute_features=!ref <fbank>`` for the model folder to resolve.

    Example
    -------
    >>> overrides = overrides_dict("seed: 2\\ncompute_features: !ref <fbank>")
    >>> overrides["seed"], overrides["compute_features"].value
    (2, '<fbank>')
    """
    return dict(YAML().load(overrides) or {})


def model_card(hparams_file, argv, table, hparams):
    """A short README for the model folder."""
    command = shlex.join(["python", "recipes/GSC/train.py", *argv])
    splits = " + ".join(hparams.get("train_splits") or ["train"])
    averaged = hparams.get("avg_checkpoints", 1)
    criterion = hparams["ckpt_criterion"]
    which, how = "best", f"by the lowest `{criterion}`"
    if criterion == "last":
        which, how = "last", "not chosen"
    model = f"the {which} checkpoint"
    if averaged > 1:
        model = f"the mean of the {averaged} {which} checkpoints"
    kept = f"the model is {model}, {how} on the validation speakers"
    return f"""# Slimmable keyword-spotting supernet

Trained with speechbrain-slimmable from `{hparams_file}`, on the `{splits}`
part of `{hparams["data_folder"]}` split by speaker (data seed
{hparams["data_seed"]}); {kept}:

```bash
{command}
```

Accuracy per width of this model:

{table}

```python
from speechbrain_slimmable.inference import SlimmableKWSClassifier
kws = SlimmableKWSClassifier.from_hparams(source="<this folder>")
out_prob, score, index, label = kws.classify_file("yes.wav", width=0.5)
```

Speech Commands (if trained on it) is by Pete Warden (Google), licensed
CC BY 4.0: Warden, P. "Speech Commands: A Dataset for Limited-Vocabulary
Speech Recognition", arXiv:1804.03209, 2018.
"""


if __name__ == "__main__":
    main(sys.argv[1:])
