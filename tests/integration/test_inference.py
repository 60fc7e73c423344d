"""Tests of the pretrained interface (speechbrain_slimmable.inference).

The model folder comes from a tiny training run on synthetic data (the
``model_folder`` fixture); tests on real clips read ``../shared/data`` and
skip when it is absent.
"""

import json
import shutil
import time

import numpy as np
import pytest
import soundfile
import torch
import torchaudio
from huggingface_hub import constants
from speechbrain.dataio.encoder import CategoricalEncoder
from speechbrain.inference.classifiers import EncoderClassifier
from speechbrain.utils import fetching
from speechbrain.utils.fetching import FetchConfig

from speechbrain_slimmable import count_parameters
from speechbrain_slimmable.dataio.audio import fit_to_window
from speechbrain_slimmable.inference import SlimmableKWSClassifier
from speechbrain_slimmable.lobes.models.KWT import SlimmableKWT
from speechbrain_slimmable.lobes.models.TCResNet import SlimmableTCResNet
from speechbrain_slimmable.nnet.width import Slimmable, slimmable_modules

RATE = 16000


@pytest.fixture(scope="module")
def classifier(model_folder, tmp_path_factory):
    """The model folder loaded through a savedir (symbolic links)."""
    return SlimmableKWSClassifier.from_hparams(
        source=str(model_folder), savedir=tmp_path_factory.mktemp("savedir")
    )


@pytest.fixture
def folder_copy(model_folder, tmp_path):
    """A copy of the model folder that a test may damage."""
    return shutil.copytree(model_folder, tmp_path / "model")


def chirp(seconds, rate=RATE, seed=0):
    """A deterministic glide with a little noise, as float32 numpy."""
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(seed)
    wave = 0.3 * np.sin(2 * np.pi * (300 + 400 * t) * t)
    return (wave + 0.01 * rng.standard_normal(t.shape)).astype("float32")


def labels_of(classifier):
    encoder = classifier.hparams.label_encoder
    return {encoder.ind2lab[i] for i in range(len(encoder))}


def test_loads_local_folder_without_the_hub(
    model_folder, tmp_path, monkeypatch
):
    def no_hub(**kwargs):
        raise AssertionError("a local folder reached for the hub")

    monkeypatch.setattr(fetching.huggingface_hub, "hf_hub_download", no_hub)
    savedir = tmp_path / "savedir"
    classifier = SlimmableKWSClassifier.from_hparams(
        source=model_folder, savedir=savedir
    )
    assert classifier.widths == [1.0, 0.75, 0.5, 0.25]
    assert sorted(p.name for p in savedir.iterdir()) == [
        "hyperparams.yaml",
        "label_encoder.ckpt",
        "model.ckpt",
    ]
    # Without savedir the folder is read in place.
    in_place = SlimmableKWSClassifier.from_hparams(source=str(model_folder))
    results = json.loads((model_folder / "results.json").read_text())
    expected = [
        {k: r[k] for k in ("width", "params", "macs")}
        for r in results["widths"]
    ]
    assert in_place.profile() == expected


@pytest.mark.parametrize("offline", [True, False])
def test_cached_hub_id_loads_offline(
    model_folder, tmp_path, monkeypatch, offline
):
    # A Hugging Face cache holding owner/name at one revision.
    repo = tmp_path / "hub" / "models--someone--kws"
    shutil.copytree(model_folder, repo / "snapshots" / ("0" * 40))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    # HF_HUB_OFFLINE=1, or a hub that cannot be reached: read from the
    # cache at once, without huggingface_hub's retries (over 20 s).
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", offline)
    monkeypatch.setattr(
        constants,
        "HUGGINGFACE_CO_URL_TEMPLATE",
        "http://127.0.0.1:9/{repo_id}/resolve/{revision}/{filename}",
    )
    begin = time.monotonic()
    classifier = SlimmableKWSClassifier.from_hparams(
        source="someone/kws",
        fetch_config=FetchConfig(huggingface_cache_dir=str(tmp_path / "hub")),
    )
    assert time.monotonic() - begin < 10  # loading the model included
    assert classifier.widths == [1.0, 0.75, 0.5, 0.25]


def test_encoder_classifier_is_pointed_to_the_right_class(
    model_folder, tmp_path
):
    wrong = EncoderClassifier.from_hparams(
        source=str(model_folder), savedir=tmp_path / "savedir"
    )
    with pytest.raises(TypeError, match="SlimmableKWSClassifier.from_hparams"):
        wrong.classify_batch(torch.zeros(1, RATE))


def test_savedir_of_another_model_is_not_reused(
    folder_copy, model_folder, tmp_path
):
    state = torch.load(folder_copy / "model.ckpt", weights_only=True)
    state = {
        k: v + 0.5 if v.is_floating_point() else v for k, v in state.items()
    }
    torch.save(state, folder_copy / "model.ckpt")
    savedir = tmp_path / "shared_savedir"
    SlimmableKWSClassifier.from_hparams(source=model_folder, savedir=savedir)
    other = SlimmableKWSClassifier.from_hparams(
        source=folder_copy, savedir=savedir
    )
    loaded = other.mods.model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())


def test_every_width_classifies_generated_audio(classifier, tmp_path):
    path = tmp_path / "chirp.wav"
    soundfile.write(path, chirp(1.0), RATE)
    for width in classifier.widths:
        out_prob, score, index, text_lab = classifier.classify_file(path, width)
        assert out_prob.shape == (1, len(labels_of(classifier)))
        assert torch.allclose(out_prob.exp().sum(-1), torch.ones(1))
        assert score == out_prob.max() and index == out_prob.argmax()
        assert text_lab[0] in labels_of(classifier)


def test_every_width_classifies_real_clips(classifier, real_data):
    paths = [
        min((real_data / "gsc12_dev" / word).glob("*.wav"))
        for word in ("yes", "no", "_silence_", "go")
    ]
    wavs = torch.stack(
        [fit_to_window(classifier.load_audio(p), RATE) for p in paths]
    )
    for width in classifier.widths:
        _, _, index, labels = classifier.classify_batch(wavs, width=width)
        for number, path in enumerate(paths):
            _, _, one_index, one_label = classifier.classify_file(path, width)
            assert one_label[0] in labels_of(classifier)
            assert one_index == index[number] and one_label[0] == labels[number]


def test_subnet_equals_the_interface(classifier):
    wavs = 0.1 * torch.randn(
        3, RATE, generator=torch.Generator().manual_seed(1)
    )
    rows = {row["width"]: row for row in classifier.profile()}
    for width in classifier.widths:
        out_prob, *_ = classifier.classify_batch(wavs, width=width)
        subnet = classifier.subnet(width)
        waveform_net = classifier.subnet(width, include_features=True)
        assert not any(isinstance(m, Slimmable) for m in subnet.modules())
        assert count_parameters(subnet) == rows[width]["params"]
        with torch.no_grad():
            features = classifier.mods.compute_features(wavs)
            from_features = torch.log_softmax(subnet(features), -1)
            from_waveform = torch.log_softmax(waveform_net(wavs), -1)
        assert torch.allclose(from_features, out_prob, atol=1e-5)
        assert torch.allclose(from_waveform, out_prob, atol=1e-5)


def test_classifying_at_a_width_leaves_the_model_as_it_was(classifier):
    model = classifier.mods.model
    before = {layer: layer.width for layer in slimmable_modules(model)}
    for width in classifier.widths:
        classifier.classify_batch(torch.zeros(1, RATE) + 0.01, width=width)
        assert {layer: layer.width for layer in before} == before


def test_budget_picks_the_widest_width_that_fits(classifier):
    rows = classifier.profile()
    assert [r["width"] for r in rows] == classifier.widths
    pick = classifier.select_width
    assert pick(max_params=rows[1]["params"]) == rows[1]["width"]
    assert pick(max_params=rows[1]["params"] - 1) == rows[2]["width"]
    assert pick(max_macs=rows[2]["macs"]) == rows[2]["width"]
    assert pick(max_params=10**9, max_macs=rows[3]["macs"]) == rows[3]["width"]
    assert pick(max_latency_ms=1e6) == rows[0]["width"]
    assert classifier.latency_ms(rows[3]["width"], repeats=2) > 0


def test_impossible_budget_names_the_smallest_values(classifier):
    narrowest = classifier.profile()[-1]
    with pytest.raises(ValueError, match=f"{narrowest['params']:,} parameters"):
        classifier.select_width(max_params=narrowest["params"] - 1)
    with pytest.raises(ValueError, match=f"{narrowest['macs']:,} MACs"):
        classifier.select_width(max_macs=10)
    with pytest.raises(ValueError, match=r"MACs and takes [0-9.]+ ms"):
        classifier.select_width(
            max_params=narrowest["params"], max_latency_ms=1e-6
        )
    with pytest.raises(ValueError, match="give max_params"):
        classifier.select_width()


def test_unknown_width_lists_the_accepted_ones(classifier, tmp_path):
    path = tmp_path / "chirp.wav"
    soundfile.write(path, chirp(1.0), RATE)
    accepted = r"accepted widths \[1.0, 0.75, 0.5, 0.25\]"
    with pytest.raises(ValueError, match=accepted):
        classifier.classify_file(path, width=0.3)
    with pytest.raises(ValueError, match=accepted):
        classifier.subnet(0.6)
    with pytest.raises(ValueError, match=accepted):
        classifier.export_onnx(tmp_path / "x.onnx", 0.3)


def test_other_sample_rates_are_resampled(classifier, tmp_path):
    signal = chirp(1.0)
    for rate in (8000, 44100):
        resampled = torchaudio.functional.resample(
            torch.from_numpy(signal), RATE, rate
        )
        path = tmp_path / f"clip_{rate}.wav"
        soundfile.write(path, resampled.numpy(), rate, subtype="FLOAT")
        assert classifier.load_audio(path).shape == (RATE,)
        expected = torchaudio.functional.resample(resampled, rate, RATE)
        got = classifier.classify_file(path)[0]
        assert torch.allclose(got, classifier.classify_batch(expected)[0])


def test_stereo_is_averaged(classifier, tmp_path):
    left, right = chirp(1.0, seed=1), chirp(1.0, seed=2)
    path = tmp_path / "stereo.wav"
    soundfile.write(path, np.stack([left, right], 1), RATE, subtype="FLOAT")
    mono = torch.from_numpy((left + right) / 2)
    assert torch.allclose(
        classifier.classify_file(path)[0],
        classifier.classify_batch(mono)[0],
        atol=1e-6,
    )


def test_short_clip_is_centred_in_zeros(classifier, tmp_path):
    short = chirp(0.3)
    path = tmp_path / "short.wav"
    soundfile.write(path, short, RATE, subtype="FLOAT")
    before = (RATE - len(short)) // 2
    padded = np.zeros(RATE, dtype="float32")
    padded[before : before + len(short)] = short
    expected = classifier.classify_batch(torch.from_numpy(padded))[0]
    assert torch.allclose(classifier.classify_file(path)[0], expected)


def test_long_clip_keeps_its_loudest_second(classifier, tmp_path):
    long = 1e-4 * chirp(3.0, seed=3)
    long[30000:36000] = chirp(6000 / RATE)  # the "keyword"
    path = tmp_path / "long.wav"
    soundfile.write(path, long, RATE, subtype="FLOAT")
    # The first window (searched every 10 ms) that holds the whole burst.
    expected = classifier.classify_batch(torch.from_numpy(long[20000:36000]))
    assert torch.allclose(classifier.classify_file(path)[0], expected[0])


def test_padded_batch_uses_relative_lengths(classifier):
    short, full = (
        torch.from_numpy(chirp(0.5, seed=4)),
        torch.from_numpy(chirp(1.0)),
    )
    batch = torch.zeros(2, RATE)
    batch[0, : len(short)] = short
    batch[1] = full
    out_prob = classifier.classify_batch(batch, torch.tensor([0.5, 1.0]))[0]
    assert torch.allclose(out_prob[0], classifier.classify_batch(short)[0][0])
    assert torch.allclose(out_prob[1], classifier.classify_batch(full)[0][0])


@pytest.mark.parametrize(
    "name, data, subtype, error, match",
    [
        ("empty.wav", np.zeros(0, "float32"), "PCM_16", ValueError, "is empty"),
        (
            "nan.wav",
            np.full(RATE, np.nan, "float32"),
            "FLOAT",
            ValueError,
            "NaN",
        ),
        ("text.wav", None, None, ValueError, "cannot read audio file"),
        ("missing.wav", None, None, FileNotFoundError, "does not exist"),
    ],
)
def test_bad_audio_files_are_errors_naming_them(
    classifier, tmp_path, name, data, subtype, error, match
):
    path = tmp_path / name
    if data is not None:
        soundfile.write(path, data, RATE, subtype=subtype)
    elif name == "text.wav":
        path.write_text("this is not audio\n")
    with pytest.raises(error, match=match) as raised:
        classifier.classify_file(path)
    assert name in str(raised.value)


def test_bad_waveforms_in_a_batch(classifier):
    batch = torch.zeros(2, RATE)
    batch[1, 5] = float("nan")
    with pytest.raises(ValueError, match="waveform 1 of the batch holds NaN"):
        classifier.classify_batch(batch)
    with pytest.raises(ValueError, match="waveform 0 of the batch is empty"):
        classifier.classify_batch(
            torch.zeros(2, RATE), torch.tensor([0.0, 1.0])
        )
    with pytest.raises(ValueError, match="mono waveforms"):
        classifier.classify_batch(torch.zeros(2, RATE, 2))


@pytest.mark.parametrize(
    "damage, match",
    [
        ("truncate", "cannot read checkpoint .*model.ckpt .*truncated"),
        ("empty", "cannot read checkpoint .*model.ckpt"),
        ("text", "cannot read checkpoint .*model.ckpt"),
    ],
)
def test_corrupt_checkpoint_names_the_file(folder_copy, damage, match):
    ckpt = folder_copy / "model.ckpt"
    data = ckpt.read_bytes()
    ckpt.write_bytes(
        {"truncate": data[: len(data) // 2], "empty": b"", "text": b"hello\n"}[
            damage
        ]
    )
    with pytest.raises(ValueError, match=match):
        SlimmableKWSClassifier.from_hparams(source=folder_copy)


def test_checkpoint_of_another_model_is_refused(folder_copy):
    ckpt = folder_copy / "model.ckpt"
    torch.save(SlimmableKWT(n_classes=6).state_dict(), ckpt)
    with pytest.raises(ValueError, match="model.ckpt does not match") as raised:
        SlimmableKWSClassifier.from_hparams(source=folder_copy)
    assert "missing keys stem." in str(raised.value)
    assert "unexpected keys embedding." in str(raised.value)
    # Same keys, other shapes: a supernet for 12 classes.
    torch.save(SlimmableTCResNet(n_classes=12).state_dict(), ckpt)
    with pytest.raises(ValueError, match="shapes differ for classifier"):
        SlimmableKWSClassifier.from_hparams(source=folder_copy)


def test_missing_or_foreign_files(folder_copy, tmp_path):
    (folder_copy / "model.ckpt").unlink()
    with pytest.raises(FileNotFoundError, match="model.ckpt does not exist"):
        SlimmableKWSClassifier.from_hparams(
            source=folder_copy, savedir=tmp_path / "s"
        )
    with pytest.raises(FileNotFoundError, match="not a model folder"):
        SlimmableKWSClassifier.from_hparams(source=tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        SlimmableKWSClassifier.from_hparams(source=tmp_path / "absent")


def test_label_encoder_must_fit_the_model(folder_copy, model_folder):
    shutil.copy(model_folder / "model.ckpt", folder_copy / "model.ckpt")
    (folder_copy / "label_encoder.ckpt").write_text("garbage\n")
    with pytest.raises(
        ValueError, match="cannot read label encoder .*label_encoder.ckpt"
    ):
        SlimmableKWSClassifier.from_hparams(source=folder_copy)
    encoder = CategoricalEncoder()
    encoder.update_from_iterable(["yes", "no", "up"])
    encoder.save(folder_copy / "label_encoder.ckpt")
    with pytest.raises(
        ValueError, match="3 labels but the model gives 6 outputs"
    ):
        SlimmableKWSClassifier.from_hparams(source=folder_copy)
