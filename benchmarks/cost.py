"""What training costs: one supernet step against the separate models' steps.

Times the recipe's ``SandwichBrain`` on batches of its own training split
(with its augmentation and features) for 4, 8 and 16 widths, against one
step of a model of each width alone.

Authors
 * speechbrain-slimmable developers 2026
"""

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.supernet_runs import FAMILIES, REPO


def prepared_data(args, folder):
    """The recipe's manifests, noise pieces and label encoder in ``folder``.

    The recipe itself prepares them (a run of no epochs, which also tests
    the untrained model and writes it), so that the timed steps read the
    data, the noise and the labels the recipe trains on.
    """
    command = [
        sys.executable,
        "recipes/GSC/train.py",
        FAMILIES["cnn"],
        f"--data_folder={args.data_folder}",
        f"--noise_folder={args.noise_folder}",
        f"--task={args.task}",
        f"--output_folder={folder}",
        "--number_of_epochs=0",
    ]
    subprocess.run(command, cwd=REPO, check=True, capture_output=True)


def training_batches(hparams, batch_size, count):
    """The first ``count`` batches of the prepared training manifest, as
    the recipe's data pipeline gives them (``sig`` fitted to the clip's
    window, ``command_encoded``)."""
    import speechbrain as sb

    from speechbrain_slimmable.dataio.audio import fit_to_window

    encoder = hparams["label_encoder"]
    encoder.load(Path(hparams["save_folder"]) / "label_encoder.txt")
    encoder.expect_len(hparams["n_classes"])
    manifest = Path(hparams["data_save_folder"]) / "train.csv"
    dataset = sb.dataio.dataset.DynamicItemDataset.from_csv(str(manifest))

    @sb.utils.data_pipeline.takes("wav", "start", "stop", "command")
    @sb.utils.data_pipeline.provides("sig", "command_encoded")
    def pipeline(wav, start, stop, command):
        sig = sb.dataio.dataio.read_audio(
            {"file": wav, "start": int(start), "stop": int(stop)}
        )
        yield fit_to_window(sig, hparams["clip_samples"])
        yield encoder.encode_label_torch(command)

    sb.dataio.dataset.add_dynamic_item([dataset], pipeline)
    sb.dataio.dataset.set_output_keys(
        [dataset], ["id", "sig", "command_encoded"]
    )
    items = [dataset[i] for i in range(batch_size * count)]
    return [
        sb.dataio.batch.PaddedBatch(items[i : i + batch_size])
        for i in range(0, len(items), batch_size)
    ]


def step_seconds(folder, widths, strategy, args, steps=12):
    """Median seconds of one training step of the recipe's SandwichBrain,
    and of the augmentation and features computed once within it, on the
    data prepared in ``folder``."""
    import speechbrain as sb
    from hyperpyyaml import load_hyperpyyaml

    from speechbrain_slimmable.brain import SandwichBrain

    overrides = {
        "data_folder": args.data_folder,
        "noise_folder": args.noise_folder,
        "task": args.task,
        "output_folder": folder,
        "widths": widths,
        "strategy": strategy,
        "num_sampled_widths": 4,
        "distillation": True,
        "lr_scheduler": None,  # its step counts are the recipe's business
    }
    with open(REPO / FAMILIES["cnn"]) as fin:
        hparams = load_hyperpyyaml(fin, overrides)
    brain = SandwichBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts={"device": "cpu"},
    )
    brain.on_fit_start()
    brain.modules.train()
    batch_size = hparams["train_dataloader_opts"]["batch_size"]
    steps_s, prepare_s = [], []
    for batch in training_batches(hparams, batch_size, steps + 2):
        start = time.perf_counter()
        # Computed once, then reused by every width of fit_batch.
        brain.prepare_batch(batch, sb.Stage.TRAIN)
        prepared = time.perf_counter()
        brain.fit_batch(batch)
        steps_s.append(time.perf_counter() - start)
        prepare_s.append(prepared - start)
    return statistics.median(steps_s[2:]), statistics.median(prepare_s[2:])


def cost_scaling(args):
    """Stage 4: one supernet step against one step of each separate model.

    Each step includes its augmentation and features. ``all`` runs every
    width on them, computed once per batch where the separate models
    compute them once each: that is its saving, and ``model only`` leaves
    them out of both sides. ``sandwich`` also samples 4 widths per step.
    """
    torch.set_num_threads(1)
    rows = []
    single = {}
    with tempfile.TemporaryDirectory() as folder:
        prepared_data(args, folder)
        for count in (4, 8, 16):
            widths = [
                round(1.0 - i * 0.75 / (count - 1), 4) for i in range(count)
            ]
            for width in widths:
                if width not in single:
                    single[width] = step_seconds(folder, [width], "all", args)
            separate = sum(single[w][0] for w in widths)
            separate_prepare = sum(single[w][1] for w in widths)
            row = {
                "widths": count,
                "separate_steps_s": round(separate, 4),
                "separate_prepare_s": round(separate_prepare, 4),
            }
            for strategy in ("all", "sandwich"):
                seconds, prepare = step_seconds(folder, widths, strategy, args)
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
