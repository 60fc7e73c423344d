"""Pytest settings for the whole repository, doctests included."""

import os
from pathlib import Path

import pytest
import torch

# The tests run tiny models: one thread each (subprocesses too) avoids the
# large slowdown of oversubscribed OpenMP threads on shared cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(1)

QUICKSTART = (
    Path(__file__).parent / "recipes" / "GSC" / "hparams" / "quickstart.yaml"
)


@pytest.fixture(scope="session")
def tiny_label_encoder():
    """A label encoder of two classes, ``_silence_`` and ``yes``."""
    from speechbrain.dataio.encoder import CategoricalEncoder

    encoder = CategoricalEncoder()
    encoder.update_from_iterable(["_silence_", "yes"])
    return encoder


@pytest.fixture(scope="session")
def tiny_model_folder(tmp_path_factory, tiny_label_encoder):
    """A model folder of an untrained 2-class TC-ResNet."""
    from speechbrain_slimmable.inference.serving.model_folder import (
        write_model_folder,
    )
    from speechbrain_slimmable.lobes.models.TCResNet import SlimmableTCResNet

    folder = tmp_path_factory.mktemp("tiny_model")
    model = SlimmableTCResNet(n_classes=2, widths=[1.0, 0.5]).eval()
    overrides = {"n_classes": 2, "widths": [1.0, 0.5]}
    write_model_folder(folder, QUICKSTART, overrides, model, tiny_label_encoder)
    return folder


@pytest.fixture(scope="session")
def tiny_classifier(tiny_model_folder):
    """A ``SlimmableKWSClassifier`` of an untrained 2-class TC-ResNet."""
    from speechbrain_slimmable.inference import SlimmableKWSClassifier

    return SlimmableKWSClassifier.from_hparams(source=tiny_model_folder)
