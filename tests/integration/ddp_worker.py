"""Train the quickstart recipe for a few steps under DDP; save each rank's
parameters to ``<output_folder>/rank<r>.pt``. Launched by torchrun from
``test_training.py``."""

import os
import sys
from pathlib import Path

import speechbrain as sb
import torch
from hyperpyyaml import load_hyperpyyaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from conftest import load_recipe_module  # noqa: E402


def main(argv):
    train = load_recipe_module("train")
    hparams_file, run_opts, overrides = sb.parse_arguments(argv)
    sb.utils.distributed.ddp_init_group(run_opts)
    with open(hparams_file, encoding="utf-8") as fin:
        hparams = load_hyperpyyaml(fin, overrides)
    brain, datasets = train.build_brain(hparams, run_opts, checkpointer=False)
    brain.fit(
        hparams["epoch_counter"],
        datasets["train"],
        train_loader_kwargs=hparams["train_dataloader_opts"],
    )
    rank = int(os.environ["RANK"])
    model = hparams["model"]
    state = {k: v for k, v in model.named_parameters()}
    torch.save(state, Path(hparams["output_folder"]) / f"rank{rank}.pt")


if __name__ == "__main__":
    main(sys.argv[1:])
