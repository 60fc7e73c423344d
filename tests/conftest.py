"""Shared fixtures: real-data location and a tiny trained model folder."""

import importlib.util
import os
from pathlib import Path

import pytest

from speechbrain_slimmable.dataio.synthetic import DEFAULT_CLASSES

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("SLIMMABLE_DATA", REPO.parent / "shared" / "data"))


def load_recipe_module(name):
    """Import ``recipes/GSC/<name>.py`` (recipes are not a package)."""
    path = REPO / "recipes" / "GSC" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"gsc_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def real_data():
    """``../shared/data`` (or ``$SLIMMABLE_DATA``); skips when absent."""
    if not (DATA / "gsc12_dev").is_dir():
        pytest.skip(f"real Speech Commands audio not found in {DATA}")
    return DATA


@pytest.fixture(scope="session")
def synthetic_data(tmp_path_factory):
    """A small synthetic keyword dataset (6 classes, 8 speakers)."""
    from speechbrain_slimmable.dataio.synthetic import make_synthetic_kws

    return make_synthetic_kws(
        tmp_path_factory.mktemp("synthetic"), speakers=8, clips_per_speaker=3
    )


def train_quickstart(output_folder, data_folder, *extra):
    """Run the recipe on synthetic data (quickstart hparams); return rows."""
    train = load_recipe_module("train")
    return train.main(
        [
            str(REPO / "recipes" / "GSC" / "hparams" / "quickstart.yaml"),
            f"--output_folder={output_folder}",
            f"--data_folder={data_folder}",
            "--synthetic=False",
            f"--n_classes={len(DEFAULT_CLASSES)}",
            *extra,
        ]
    )


@pytest.fixture(scope="session")
def model_folder(tmp_path_factory, synthetic_data):
    """A model folder written by a 2-epoch quickstart run."""
    output = tmp_path_factory.mktemp("quickstart")
    train_quickstart(output, synthetic_data, "--number_of_epochs=2")
    return output / "pretrained"
