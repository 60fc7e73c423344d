#!/usr/bin/env python3
"""Train a slimmable keyword-spotting supernet on Google Speech Commands.

One supernet is trained for every width of ``widths`` with
``speechbrain_slimmable.SandwichBrain``; at the end it is tested at every
width and written as a self-contained model folder (hub layout) that
``speechbrain_slimmable.inference.SlimmableKWSClassifier`` loads.

To run it::

    python recipes/GSC/train.py recipes/GSC/hparams/tcresnet.yaml \
        --data_folder=DIR

``DIR`` is the official dataset (with ``testing_list.txt``; add
``--download=True`` to fetch it when missing) or a ``<class>/<file>.wav``
folder, split by speaker. ``hparams/quickstart.yaml`` generates a
synthetic dataset first and needs no data at all.

Authors
 * speechbrain-slimmable developers 2026
"""

import csv
import math
import os
import sys

import numpy as np
import speechbrain as sb
import torch
from hyperpyyaml import load_hyperpyyaml
from speechbrain.utils.distributed import run_on_main
from speechbrain.utils.parameter_transfer import Pretrainer

from speechbrain_slimmable import profile_widths
from speechbrain_slimmable.brain import SandwichBrain
from speechbrain_slimmable.dataio.audio import fit_to_window
from speechbrain_slimmable.dataio.background_noise import prepare_noise_csv
from speechbrain_slimmable.dataio.folders import speaker_of
from speechbrain_slimmable.dataio.manifests import (
    CSV_COLUMNS,
    join_manifests,
    keep_training_speakers,
    merge_training_splits,
)
from speechbrain_slimmable.dataio.spectrograms import prepare_spectrograms
from speechbrain_slimmable.dataio.synthetic import make_synthetic_kws
from speechbrain_slimmable.inference.serving.publishing import (
    file_sha256,
    publish_run,
    teacher_sha256,
)
from speechbrain_slimmable.lobes.features import log_mel_from_pixels
from speechbrain_slimmable.repro import (
    TrainingClock,
    checkpoint_noise_positions,
)
from speechbrain_slimmable.utils.quiet import muted

sys.path.append(os.path.dirname(os.path.abspath(__file__)))
from prepare_gsc import prepare_gsc  # noqa: E402


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
        if split == "images":
            continue
        datasets[split] = sb.dataio.dataset.DynamicItemDataset.from_csv(
            csv_path=path,
            dynamic_items=[audio_pipeline, label_pipeline],
            output_keys=["id", "sig", "command_encoded"],
        )
    if "images" in manifests:
        datasets["train"] = image_dataset(manifests, audio_pipeline)
        datasets["train"].add_dynamic_item(label_pipeline)
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


def image_dataset(manifests, audio_pipeline):
    """The training set of audio and image rows (``is_image`` tells).

    Image rows carry ``image_feats`` (log-mel features of the image) and a
    one-sample ``sig``; audio rows the clip as ``sig`` and a one-frame
    ``image_feats``: every row of a batch has both, and SandwichBrain
    featurizes each row from its own source.
    """
    images = np.load(manifests["images"], mmap_mode="r")
    no_image = torch.zeros(1, images.shape[2])

    @sb.utils.data_pipeline.takes("wav", "start", "stop", "image")
    @sb.utils.data_pipeline.provides("sig", "image_feats", "is_image")
    def clip_pipeline(wav, start, stop, image):
        if image == "":
            yield audio_pipeline(wav, start, stop)
            yield no_image
            yield False
        else:
            yield torch.zeros(1)
            yield log_mel_from_pixels(
                torch.from_numpy(np.array(images[int(image)]))
            )
            yield True

    return sb.dataio.dataset.DynamicItemDataset.from_csv(
        csv_path=manifests["train"],
        dynamic_items=[clip_pipeline],
        output_keys=["id", "sig", "image_feats", "is_image", "command_encoded"],
    )


def add_spectrograms(hparams, manifests):
    """Train on ``spectrogram_folder``'s images too (``train_wavs``: and
    the WAVs): the joined training manifest, and the images' array as
    ``images``. Speakers of the other splits are left out of the images.
    """
    folder = hparams.get("spectrogram_folder")
    if not folder:
        return manifests
    held_out = set()
    for split, path in manifests.items():
        if split != "train":
            with open(path, encoding="utf-8", newline="") as f:
                held_out |= {speaker_of(r["wav"]) for r in csv.DictReader(f)}
    save = hparams["data_save_folder"]
    run_on_main(
        prepare_spectrograms,
        args=[folder, save, hparams["task"], sorted(held_out)],
    )
    image_manifest = os.path.join(save, "spectrograms.csv")
    sources = [manifests["train"]] if hparams.get("train_wavs", True) else []
    joined = os.path.join(save, "train_with_images.csv")
    run_on_main(
        join_manifests,
        args=[[*sources, image_manifest], joined, (*CSV_COLUMNS, "image")],
    )
    images = os.path.join(save, "spectrograms.npy")
    return dict(manifests, train=joined, images=images)


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
            "train without noise augmentation (see hparams/quickstart.yaml)"
        )
    manifests = {
        split: os.path.join(hparams["data_save_folder"], f"{split}.csv")
        for split in ("train", "valid", "test")
    }
    manifests = merge_training_splits(manifests, hparams.get("train_splits"))
    fraction = hparams.get("train_speaker_fraction", 1.0)
    manifests = dict(
        manifests,
        train=keep_training_speakers(
            manifests["train"], fraction, hparams["data_seed"]
        ),
    )
    return add_spectrograms(hparams, manifests)


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


def load_initial_weights(hparams):
    """Start the model from the weights of a model folder (``init_from``).

    ``init_from`` is a local folder or a hub id written by this recipe (its
    ``model.ckpt`` and ``label_encoder.ckpt``), e.g. a published supernet
    to fine-tune. The folder's classes must be this run's, in the same
    order. A resumed run's own checkpoint replaces these weights.
    """
    source = hparams.get("init_from")
    if source is None:
        return
    folder_encoder = sb.dataio.encoder.CategoricalEncoder()
    pretrainer = Pretrainer(
        collect_in=os.path.join(hparams["save_folder"], "init_from"),
        loadables={
            "model": hparams["model"],
            "label_encoder": folder_encoder,
        },
        paths={
            "model": f"{source}/model.ckpt",
            "label_encoder": f"{source}/label_encoder.ckpt",
        },
    )
    run_on_main(pretrainer.collect_files)
    pretrainer.load_collected()
    ours = hparams["label_encoder"].lab2ind
    if folder_encoder.lab2ind != ours:
        raise ValueError(
            f"init_from={source} has the classes {folder_encoder.lab2ind}, "
            f"this run {ours}: its weights would score the wrong classes"
        )


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
    load_initial_weights(hparams)
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
        brain.evaluated_split = split  # the train log names the split
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
    if sb.utils.distributed.if_main_process():
        folder = hparams["pretrained_folder"]
        record = {
            "training": training,
            "hparams_sha256": recipe_sha256,
            "teacher_sha256": teachers_sha256,
        }
        command = (hparams_file, overrides, argv)
        print(publish_run(folder, command, hparams, model, rows, record))
        print(f"Model folder written to {folder}")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
