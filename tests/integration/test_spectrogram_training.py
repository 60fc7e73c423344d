"""The recipe on spectrogram images and WAVs together, end to end.

A tiny synthetic WAV set (trains, validates, tests) and images of other
clips of the same synthetic speakers, made through the images' front end,
train a tiny TC-ResNet of ``tcresnet_spectrograms.yaml`` for two epochs.
The real images' front end is checked against ``../shared/data`` (skipped
when absent).
"""

import csv

import numpy as np
import pytest
import soundfile as sf
import speechbrain as sb
import torch
from hyperpyyaml import load_hyperpyyaml
from PIL import Image

from benchmarks.front_end import centred, wav_of
from conftest import REPO, load_recipe_module
from speechbrain_slimmable.brain.teacher import ExternalTeacher
from speechbrain_slimmable.dataio.folders import speaker_of
from speechbrain_slimmable.dataio.spectrograms import decode_image
from speechbrain_slimmable.dataio.synthetic import (
    DEFAULT_CLASSES,
    make_synthetic_kws,
)
from speechbrain_slimmable.inference import SlimmableKWSClassifier
from speechbrain_slimmable.inference.streaming.shared_frames import (
    shared_features,
)
from speechbrain_slimmable.lobes.features import (
    SpectrogramImageFbank,
    log_mel_from_pixels,
    pixels_from_log_mel,
)
from speechbrain_slimmable.pcen import LogMelPCEN

YAML = REPO / "recipes" / "GSC" / "hparams" / "tcresnet_spectrograms.yaml"
RATE = 16000


def save_image(path, log_mel):
    """Write log-mel features as an 8-bit JPG, as the images were made."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels_from_log_mel(log_mel).numpy()).save(path, quality=90)


@pytest.fixture(scope="module")
def image_data(tmp_path_factory):
    """WAVs, images of other clips of the same speakers, and noise."""
    root = tmp_path_factory.mktemp("spectrograms")
    make_synthetic_kws(root / "wavs", speakers=8, clips_per_speaker=2)
    source = make_synthetic_kws(
        root / "source", speakers=8, clips_per_speaker=2, seed=1
    )
    fbank = SpectrogramImageFbank()
    for wav in sorted(source.glob("*/*.wav")):
        signal, _ = sf.read(wav, dtype="float32")
        log_mel = fbank(torch.from_numpy(signal).unsqueeze(0))[0]
        label = wav.parent.name
        save_image(root / "images" / label / f"{wav.stem}.{label}.jpg", log_mel)
    noise = 0.05 * torch.randn(3 * RATE, generator=torch.Generator())
    (root / "noise").mkdir()
    sf.write(root / "noise" / "noise.wav", noise.numpy(), RATE)
    for index in range(3):
        crop = noise[index * RATE : (index + 1) * RATE].unsqueeze(0)
        save_image(
            root / "images" / "_background_noise_" / f"{index}_noise.jpg",
            fbank(crop)[0],
        )
    return root


def recipe_args(output, data, *extra):
    return [
        str(YAML),
        f"--output_folder={output}",
        f"--data_folder={data / 'wavs'}",
        f"--spectrogram_folder={data / 'images'}",
        f"--noise_folder={data / 'noise'}",
        "--task=folder",
        f"--n_classes={len(DEFAULT_CLASSES)}",
        "--batch_size=16",
        "--stem_channels=8",
        "--block_channels=[8, 8, 16, 16, 16, 16]",
        "--recalibration_batches=1",
        *extra,
    ]


@pytest.fixture(scope="module")
def trained(image_data, tmp_path_factory):
    """A two-epoch run on the WAVs and images; its output folder and rows."""
    output = tmp_path_factory.mktemp("run")
    train = load_recipe_module("train")
    rows = train.main(recipe_args(output, image_data, "--number_of_epochs=2"))
    return output, rows


def read_rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_images_and_wavs_train_together_without_held_out_speakers(trained):
    output, rows = trained
    assert [row["width"] for row in rows] == [1.0, 0.75, 0.5, 0.25]
    assert all(0 <= row["valid_accuracy"] <= 100 for row in rows)
    data = output / "data"
    training = read_rows(data / "train_with_images.csv")
    images = [row for row in training if row["image"]]
    audio = [row for row in training if not row["image"]]
    assert images and audio
    held_out = {
        speaker_of(row["wav"])
        for split in ("valid", "test")
        for row in read_rows(data / f"{split}.csv")
    }
    image_speakers = {speaker_of(row["ID"]) for row in images}
    assert held_out and not image_speakers & held_out
    # Every synthetic speaker recorded images: those of the training
    # speakers stay.
    assert image_speakers == {speaker_of(row["wav"]) for row in audio}


def test_each_epoch_logs_its_time_and_the_time_left(trained):
    output, _ = trained
    log = (output / "train_log.txt").read_text(encoding="utf-8")
    epochs = [line for line in log.splitlines() if line.startswith("epoch:")]
    assert len(epochs) == 2
    assert all("epoch time (min)" in line for line in epochs)
    assert "time left (min): 0.0" in epochs[-1]
    # The chosen model is evaluated on the validation, then the test split,
    # each named as what it is.
    loaded = [
        line for line in log.splitlines() if line.startswith("Epoch loaded")
    ]
    assert "valid width 1 accuracy" in loaded[-2]
    assert "test width 1 accuracy" in loaded[-1]


def test_a_mixed_batch_featurizes_each_row_from_its_own_source(
    image_data, tmp_path
):
    train = load_recipe_module("train")
    _, _, overrides = sb.parse_arguments(recipe_args(tmp_path, image_data))
    with open(YAML, encoding="utf-8") as fin:
        hparams = load_hyperpyyaml(fin, overrides)
    brain, datasets = train.build_brain(hparams, {"device": "cpu"})
    dataset = datasets["train"]
    kinds = [dataset[i]["is_image"] for i in range(len(dataset))]
    picks = [kinds.index(True), kinds.index(False)]
    picks += [kinds.index(True, picks[0] + 1)]
    batch = sb.dataio.batch.PaddedBatch([dataset[i] for i in picks])
    features, _, _ = brain.prepare_batch(batch, sb.Stage.VALID)
    with torch.no_grad():
        image = hparams["image_features"](
            batch.image_feats.data[0].unsqueeze(0)
        )
        audio = hparams["compute_features"](batch.sig.data[1].unsqueeze(0))
    assert features.shape == (3, 98, 40)
    assert torch.allclose(features[0], image[0])
    assert torch.allclose(features[1], audio[0], atol=1e-5)
    brain.hparams.image_features = None
    brain._prepared = None
    with pytest.raises(ValueError, match="no image_features"):
        brain.prepare_batch(batch, sb.Stage.VALID)


def test_edge_negatives_relabel_training_images_only(image_data, tmp_path):
    train = load_recipe_module("train")
    args = recipe_args(tmp_path, image_data, "--edge_negative_share=1.0")
    _, _, overrides = sb.parse_arguments(args)
    with open(YAML, encoding="utf-8") as fin:
        hparams = load_hyperpyyaml(fin, overrides)
    brain, datasets = train.build_brain(hparams, {"device": "cpu"})
    # The synthetic classes have no _unknown_: "no" stands for it.
    hparams["edge_negatives"].negative_label = "no"
    dataset = datasets["train"]
    rows = [dataset[i] for i in range(len(dataset))]
    batch = sb.dataio.batch.PaddedBatch(rows)
    encoded = brain.targets_of(batch)
    no = hparams["label_encoder"].encode_label("no")
    is_image = torch.tensor([row["is_image"] for row in rows])
    _, targets, _ = brain.prepare_batch(batch, sb.Stage.TRAIN)
    assert (targets[is_image] == no).all()
    assert torch.equal(targets[~is_image], encoded[~is_image])
    brain._prepared = None
    _, targets, _ = brain.prepare_batch(batch, sb.Stage.VALID)
    assert torch.equal(targets, encoded)


def test_a_teacher_of_the_same_front_end_scores_the_recipes_features(
    trained, image_data, tmp_path, tiny_model_folder, tiny_label_encoder
):
    output, _ = trained
    folder = output / "pretrained"
    classifier = SlimmableKWSClassifier.from_hparams(source=folder)
    encoder = classifier.hparams.label_encoder
    teacher = ExternalTeacher(str(folder), encoder)
    compute_features = classifier.mods.compute_features
    teacher.check_front_end(compute_features)
    wavs = torch.rand(3, RATE, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        features = compute_features(wavs - 0.5)
    assert torch.allclose(
        teacher.of_features(features), teacher(wavs - 0.5), atol=1e-5
    )
    # A teacher of another front end (SpeechBrain's Fbank) is refused.
    other = ExternalTeacher(str(tiny_model_folder), tiny_label_encoder)
    with pytest.raises(ValueError, match="same front end"):
        other.check_front_end(compute_features)
    # And a run on the images and WAVs learns from the teacher.
    rows = load_recipe_module("train").main(
        recipe_args(
            tmp_path,
            image_data,
            "--number_of_epochs=1",
            f"--teacher_source={folder}",
        )
    )
    assert [row["width"] for row in rows] == [1.0, 0.75, 0.5, 0.25]


def test_the_model_folder_classifies_and_exports_audio(trained, image_data):
    output, _ = trained
    folder = output / "pretrained"
    classifier = SlimmableKWSClassifier.from_hparams(source=folder)
    assert isinstance(
        classifier.mods.compute_features[0], SpectrogramImageFbank
    )
    clip = next(iter(sorted((image_data / "wavs").glob("*/*.wav"))))
    _, score, _, label = classifier.classify_file(str(clip), width=0.5)
    assert label[0] in DEFAULT_CLASSES
    report = classifier.export_onnx(output / "model.onnx", 0.5)
    assert report["max_abs_diff"] < 1e-3


def test_init_from_starts_the_model_from_a_model_folder(
    trained, image_data, tmp_path
):
    output, _ = trained
    folder = output / "pretrained"
    train = load_recipe_module("train")
    _, _, overrides = sb.parse_arguments(
        recipe_args(tmp_path / "run", image_data, f"--init_from={folder}")
    )
    with open(YAML, encoding="utf-8") as fin:
        hparams = load_hyperpyyaml(fin, overrides)
    train.build_brain(hparams, {"device": "cpu"})
    train.load_initial_weights(hparams)
    saved = torch.load(folder / "model.ckpt", map_location="cpu")
    loaded = hparams["model"].state_dict()
    assert saved.keys() == loaded.keys()
    assert all(torch.equal(saved[k], loaded[k]) for k in saved)

    # The folder's classes in another order: its weights would score the
    # wrong classes, so the run refuses them.
    encoder = hparams["label_encoder"]
    first, second = list(encoder.lab2ind)[:2]
    encoder.lab2ind[first], encoder.lab2ind[second] = 1, 0
    with pytest.raises(ValueError, match="wrong classes"):
        train.load_initial_weights(hparams)


def test_the_front_end_reproduces_the_real_images(real_data):
    """``dev_pairs``: images of gsc12_dev clips, against their WAVs."""
    pairs = real_data / "gsc_v2_spectrograms" / "dev_pairs"
    if not pairs.is_dir():
        pytest.skip(f"no spectrogram images in {pairs}")
    fbank = SpectrogramImageFbank()
    correlations = []
    for image in sorted(pairs.glob("*/*.jpg"))[::50]:
        wav = wav_of(image, real_data)
        if not wav.is_file():  # a few images have no WAV in gsc12_dev
            continue
        signal, _ = sf.read(wav, dtype="float32")
        # The images' clips were padded on both sides, the WAVs at the end.
        ours = fbank(torch.from_numpy(centred(signal)).unsqueeze(0))[0]
        theirs = log_mel_from_pixels(torch.from_numpy(decode_image(image)))
        pair = torch.stack([ours.flatten(), theirs.flatten()])
        correlations.append(float(torch.corrcoef(pair)[0, 1]))
    assert len(correlations) >= 40
    assert np.median(correlations) > 0.98


def test_a_pcen_front_end_trains_and_its_folder_exports_and_detects(
    image_data, tmp_path
):
    train = load_recipe_module("train")
    args = ["--number_of_epochs=1", "--compression=pcen"]
    train.main(recipe_args(tmp_path, image_data, *args))
    classifier = SlimmableKWSClassifier.from_hparams(
        source=tmp_path / "pretrained"
    )
    assert isinstance(classifier.mods.compute_features[1], LogMelPCEN)
    report = classifier.export_onnx(tmp_path / "model.onnx", 0.25)
    assert report["max_abs_diff"] < 1e-3
    # Windows of a stream get the features of the front end on each alone:
    # PCEN runs per window, after the shared filterbank frames.
    span = 0.1 * torch.randn(RATE + 4 * 1600, generator=torch.Generator())
    shared = shared_features(classifier.mods.compute_features, RATE, 1600)
    with torch.no_grad():
        windows = shared(span, 5)
        alone = classifier.mods.compute_features(span.unfold(0, RATE, 1600))
    assert torch.allclose(windows, alone, atol=1e-4)
