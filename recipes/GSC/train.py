#!/usr/bin/env python3
"""Train a slimmable keyword-spotting supernet on Google Speech Commands.

One supernet is trained for every width of ``widths`` with
``speechbrain_slimmable.SandwichBrain``; at the end it is tested at every
width and written as a self-contained model folder (hub layout) that
``speechbrain_slimmable.inference.SlimmableKWSClassifier`` loads.

To run it::

    python recipes/GSC/train.py hparams/tcresnet.yaml --data_folder=DIR

``DIR`` is the official dataset (with ``testing_list.txt``; add
``--download=True`` to fetch it when missing) or a ``<class>/<file>.wav``
folder, split by speaker. ``hparams/quickstart.yaml`` generates a synthetic
dataset first and needs no data at all.

Authors
 * speechbrain-slimmable developers 2026
"""

import json
import math
import os
import sys
import time

import speechbrain as sb
import torch
from hyperpyyaml import load_hyperpyyaml
from ruamel.yaml import YAML
from speechbrain.utils.distributed import run_on_main

from speechbrain_slimmable import profile_widths
from speechbrain_slimmable.audio import fit_to_window
from speechbrain_slimmable.brain import SandwichBrain
from speechbrain_slimmable.hub import write_model_folder
from speechbrain_slimmable.synthetic import make_synthetic_kws

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
    return {
        split: os.path.join(hparams["data_save_folder"], f"{split}.csv")
        for split in ("train", "valid", "test")
    }


def build_brain(hparams, run_opts, checkpointer=True):
    """Prepare the data and build the recipe's SandwichBrain.

    Returns
    -------
    brain : SandwichBrain
    datasets : dict
        ``train``, ``valid`` and ``test`` datasets.
    """
    datasets = dataio_prep(hparams, prepare_data(hparams))
    if "lr_scheduler" in hparams:
        hparams["lr_scheduler"] = per_step_scheduler(hparams, datasets["train"])
    brain = SandwichBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts=run_opts,
        checkpointer=hparams["checkpointer"] if checkpointer else None,
    )
    return brain, datasets


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


def width_table(rows):
    """Markdown table of width, parameters, MACs and test accuracy."""
    lines = [
        "| width | parameters | MACs | test accuracy (%) |",
        "| --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['width']:g} | {row['params']:,} | {row['macs']:,} | "
            f"{row['accuracy']:.2f} |"
        )
    return "\n".join(lines)


def main(argv):
    """Prepare, train, recalibrate, test and write the model folder."""
    hparams_file, run_opts, overrides = sb.parse_arguments(argv)
    sb.utils.distributed.ddp_init_group(run_opts)
    with open(hparams_file, encoding="utf-8") as fin:
        hparams = load_hyperpyyaml(fin, overrides)
    sb.create_experiment_directory(
        experiment_directory=hparams["output_folder"],
        hyperparams_to_save=hparams_file,
        overrides=overrides,
    )
    brain, datasets = build_brain(hparams, run_opts)
    start = time.perf_counter()
    brain.fit(
        brain.hparams.epoch_counter,
        datasets["train"],
        datasets["valid"],
        train_loader_kwargs=hparams["train_dataloader_opts"],
        valid_loader_kwargs=hparams["valid_dataloader_opts"],
    )
    training = {
        "seconds": round(time.perf_counter() - start, 1),
        "optimizer_steps": brain.optimizer_step,
    }

    brain.evaluate(
        datasets["test"],
        min_key=brain.criterion,
        test_loader_kwargs=hparams["valid_dataloader_opts"],
    )
    accuracies = brain.width_accuracies()

    model = hparams["model"]
    example = hparams["compute_features"](
        torch.zeros(1, hparams["clip_samples"])
    )
    rows = profile_widths(model, brain.widths, example)
    for row in rows:
        row["accuracy"] = accuracies[row["width"]]
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
            readme=model_card(hparams_file, argv, table),
        )
        with open(os.path.join(folder, "results.json"), "w") as f:
            json.dump(
                {"widths": rows, "training": training, "command": argv},
                f,
                indent=2,
            )
        print(f"Model folder written to {folder}")
    return rows


def overrides_dict(overrides):
    """Parse the override string of ``sb.parse_arguments`` into a dict."""
    return dict(YAML(typ="safe").load(overrides) or {})


def model_card(hparams_file, argv, table):
    """A short README for the model folder."""
    command = " ".join(["python recipes/GSC/train.py", *argv])
    return f"""# Slimmable keyword-spotting supernet

Trained with speechbrain-slimmable from `{hparams_file}`:

```bash
{command}
```

Test accuracy per width (test split of the data above):

{table}

Load it with `SlimmableKWSClassifier.from_hparams(source=<this folder>)`.
"""


if __name__ == "__main__":
    main(sys.argv[1:])
