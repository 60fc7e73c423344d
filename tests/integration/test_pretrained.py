"""The committed supernets still classify real speech at every width."""

import json
import random
from pathlib import Path

import pytest
import torch
from speechbrain.inference.classifiers import EncoderClassifier

from speechbrain_slimmable.dataio.folders import (
    list_labelled_wavs,
    split_by_speaker,
)
from speechbrain_slimmable.inference import SlimmableKWSClassifier

PRETRAINED = Path(__file__).resolve().parents[2] / "pretrained"
# 48 clips give a standard error of about 7 points: each width must come
# within 20 points of the accuracy its model card reports on the whole valid
# split, and stay far above chance (8.3 % for 12 classes).
MARGIN = 20.0
CHANCE = 100 / 12
PUBLISHED = ["gsc12-cnn", "gsc12-kwt", "gsc12-cnn-full", "gsc12-kwt-full"]


@pytest.fixture(scope="module")
def test_clips(real_data):
    """48 clips of speakers the models were never trained on (the recipe's
    valid part, which only chose their checkpoints; data seed 0)."""
    clips = split_by_speaker(list_labelled_wavs(real_data / "gsc12_dev"))
    return random.Random(0).sample(clips["valid"], 48)


@pytest.mark.parametrize("name", PUBLISHED)
def test_committed_folder_points_encoder_classifier_here(name):
    wrong = EncoderClassifier.from_hparams(source=str(PRETRAINED / name))
    with pytest.raises(TypeError, match="SlimmableKWSClassifier"):
        wrong.classify_batch(torch.zeros(1, 16000))


@pytest.mark.parametrize("name", PUBLISHED)
def test_committed_model_accuracy_per_width(name, test_clips):
    folder = PRETRAINED / name
    if not (folder / "model.ckpt").is_file():
        pytest.skip(f"{folder} has no trained model")
    classifier = SlimmableKWSClassifier.from_hparams(source=str(folder))
    assert classifier.widths == [1.0, 0.75, 0.5, 0.25]
    reported = json.loads((folder / "results.json").read_text())["widths"]
    for width, card in zip(classifier.widths, reported):
        # A card without validation accuracy (a model trained on the
        # training speakers only) reports its test split, unseen too.
        card_accuracy = card.get("valid_accuracy", card.get("accuracy"))
        floor = max(3 * CHANCE, card_accuracy - MARGIN)
        correct = 0
        for path, label in test_clips:
            _, _, _, predicted = classifier.classify_file(path, width=width)
            correct += predicted[0] == label
        accuracy = 100 * correct / len(test_clips)
        assert accuracy > floor, (name, width, accuracy, card)
