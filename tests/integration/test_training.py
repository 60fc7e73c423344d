"""SandwichBrain and the GSC recipe: learning, distillation, resume, DDP."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import speechbrain as sb
import torch
from hyperpyyaml import load_hyperpyyaml
from speechbrain.lobes.features import Fbank
from speechbrain.processing.features import InputNormalization

from conftest import REPO, load_recipe_module, train_quickstart
from speechbrain_slimmable import set_width
from speechbrain_slimmable.augment import MixUp
from speechbrain_slimmable.brain import SandwichBrain
from speechbrain_slimmable.brain.teacher import (
    ExternalTeacher,
    soft_cross_entropy,
)
from speechbrain_slimmable.dataio.background_noise import prepare_noise_csv
from speechbrain_slimmable.dataio.folders import speaker_of
from speechbrain_slimmable.dataio.synthetic import (
    DEFAULT_CLASSES,
    make_synthetic_kws,
)
from speechbrain_slimmable.inference.serving.model_folder import (
    write_model_folder,
)
from speechbrain_slimmable.inference.serving.publishing import file_sha256
from speechbrain_slimmable.lobes.models.TCResNet import SlimmableTCResNet
from speechbrain_slimmable.nnet.linear import SlimmableLinear
from speechbrain_slimmable.nnet.width import slimmable_modules

WIDTHS = [1.0, 0.75, 0.5, 0.25]
QUICKSTART = str(REPO / "recipes" / "GSC" / "hparams" / "quickstart.yaml")


@pytest.fixture(scope="module")
def train_data(tmp_path_factory):
    return make_synthetic_kws(
        tmp_path_factory.mktemp("train_data"), speakers=10, clips_per_speaker=4
    )


def build_brain(output, data, **overrides):
    """The recipe's brain and datasets, as train.main builds them."""
    train = load_recipe_module("train")
    overrides = {
        "output_folder": str(output),
        "data_folder": str(data),
        "synthetic": False,
        "n_classes": len(DEFAULT_CLASSES),
        **overrides,
    }
    with open(QUICKSTART, encoding="utf-8") as fin:
        hparams = load_hyperpyyaml(fin, overrides)
    brain, datasets = train.build_brain(hparams, {"device": "cpu"})
    return brain, datasets, hparams


@pytest.mark.parametrize("strategy", ["all", "sandwich"])
def test_every_width_learns(tmp_path, train_data, strategy):
    brain, datasets, hparams = build_brain(
        tmp_path, train_data, strategy=strategy, number_of_epochs=5
    )
    loader = hparams["valid_dataloader_opts"]

    def evaluate(split):
        # The checkpoint the recipe keeps (lowest mean validation error).
        brain.evaluate(
            datasets[split],
            min_key=brain.criterion,
            test_loader_kwargs=dict(loader),
        )
        return dict(brain.last_stage_stats)

    before = evaluate("train")
    brain.fit(
        hparams["epoch_counter"],
        datasets["train"],
        datasets["valid"],
        train_loader_kwargs=hparams["train_dataloader_opts"],
        valid_loader_kwargs=dict(loader),
    )
    after, valid = evaluate("train"), evaluate("valid")
    chance = 100 / hparams["n_classes"]
    for width in WIDTHS:
        assert after[f"loss@{width:g}"] < before[f"loss@{width:g}"], width
        assert valid[f"acc@{width:g}"] > 1.5 * chance, (width, valid)


def tiny_model():
    return torch.nn.Sequential(
        SlimmableLinear(16, input_size=8, fixed_in=True),
        SlimmableLinear(3, input_size=16, fixed_out=True),
    )


def tiny_brain(**hparams):
    return SandwichBrain(
        modules={"model": tiny_model()},
        opt_class=lambda p: torch.optim.SGD(p, lr=0.1),
        hparams={"widths": WIDTHS, **hparams},
    )


def test_distillation_mixes_labels_and_teacher():
    torch.manual_seed(0)
    brain = tiny_brain(strategy="all", distillation=True)
    logits, teacher = torch.randn(5, 3), torch.randn(5, 3)
    targets = torch.randint(0, 3, (5,))
    hard = torch.nn.functional.cross_entropy(logits, targets)
    soft = soft_cross_entropy(logits, teacher)
    torch.testing.assert_close(
        brain.distilled(hard, logits, teacher, 0.7), 0.3 * hard + 0.7 * soft
    )


def test_fit_batch_distils_from_the_widest_and_steps_once(monkeypatch):
    torch.manual_seed(0)
    brain = tiny_brain(strategy="all", distillation=True)
    teachers = []
    original = brain.distilled

    def recording(loss, logits, teacher, weight):
        teachers.append(teacher)
        return original(loss, logits, teacher, weight)

    steps = []
    monkeypatch.setattr(brain, "distilled", recording)
    monkeypatch.setattr(brain, "optimizers_step", lambda: steps.append(1))
    features = torch.randn(4, 8)
    monkeypatch.setattr(
        brain,
        "prepare_batch",
        lambda batch, stage: (features, torch.tensor([0, 1, 2, 0]), None),
    )
    brain.step = 1
    brain.fit_batch(None)
    assert steps == [1]
    # The widest learns from the labels only; the 3 others from it.
    assert len(teachers) == len(WIDTHS) - 1
    set_width(brain.modules.model, 1.0)
    widest = brain.modules.model(features).detach()
    for teacher in teachers:
        torch.testing.assert_close(teacher, widest)


class Scale(torch.nn.Module):
    """A feature augmentation that multiplies features by ``factor``, or
    repeats the batch ``copies`` times, as an ``Augmenter`` can."""

    def __init__(self, factor, copies=1):
        super().__init__()
        self.factor, self.copies = factor, copies

    def forward(self, features, lengths):
        return self.factor * features.repeat(self.copies, 1), lengths

    def replicate_labels(self, labels):
        return labels.repeat(self.copies)


def brain_with_feature_augmentations(**hparams):
    """``tiny_model`` on identity features, with ``hparams``."""
    return SandwichBrain(
        modules={
            "compute_features": torch.nn.Identity(),
            "model": tiny_model(),
        },
        opt_class=lambda p: torch.optim.SGD(p, lr=0.1),
        hparams={"widths": WIDTHS, "strategy": "all", **hparams},
    )


def batch_of(wavs):
    """A SpeechBrain batch of ``wavs`` (rows) with class labels."""
    return sb.dataio.batch.PaddedBatch(
        [
            {"id": str(i), "sig": wav, "command_encoded": torch.tensor([i % 3])}
            for i, wav in enumerate(wavs)
        ]
    )


@pytest.mark.parametrize(
    "lowest, wide", [(0.5, [1.0, 0.75, 0.5]), (None, [1.0])]
)
def test_the_wide_widths_train_on_their_own_feature_augmentation(
    monkeypatch, lowest, wide
):
    """``wide_fea_augment`` replaces ``fea_augment`` for the training widths
    at or above ``wide_fea_augment_from`` (default: the widest only);
    validation sees clean features."""
    hparams = {"fea_augment": Scale(2.0), "wide_fea_augment": Scale(-1.0)}
    if lowest is not None:
        hparams["wide_fea_augment_from"] = lowest
    brain = brain_with_feature_augmentations(distillation=True, **hparams)
    seen = {}

    def recording(batch, stage):
        features = brain.prepare_batch(batch, stage)[0]
        seen[slimmable_modules(brain.modules.model)[0].width] = features
        return brain.modules.model(features)

    monkeypatch.setattr(brain, "compute_forward", recording)
    monkeypatch.setattr(brain, "optimizers_step", lambda: None)
    wavs = torch.rand(4, 8) + 0.5
    batch = batch_of(wavs)
    brain.step = 1
    brain.fit_batch(batch)
    for width in WIDTHS:
        factor = -1.0 if width in wide else 2.0
        torch.testing.assert_close(seen[width], factor * wavs)
    features = brain.prepare_batch(batch, sb.Stage.VALID)[0]
    torch.testing.assert_close(features, wavs)


def test_mixup_trains_every_width_on_the_mixed_clips_and_labels(monkeypatch):
    """With ``mixup`` every training width sees the same mixed batch and
    learns from the mixed labels (class probabilities); validation sees the
    clips and labels as they are."""
    brain = brain_with_feature_augmentations(
        distillation=True, mixup=MixUp(n_classes=3, alpha=1.0)
    )
    seen, losses = {}, {}

    def recording(batch, stage):
        features, targets, _ = brain.prepare_batch(batch, stage)
        width = slimmable_modules(brain.modules.model)[0].width
        seen[width] = (features, targets)
        return brain.modules.model(features)

    original = brain.compute_objectives

    def objectives(predictions, batch, stage):
        loss = original(predictions, batch, stage)
        losses[slimmable_modules(brain.modules.model)[0].width] = loss
        return loss

    monkeypatch.setattr(brain, "compute_forward", recording)
    monkeypatch.setattr(brain, "compute_objectives", objectives)
    monkeypatch.setattr(brain, "optimizers_step", lambda: None)
    torch.manual_seed(0)
    wavs = torch.eye(8)  # clip i: a one-hot waveform, so mixing shows
    batch = batch_of(wavs)
    brain.step = 1
    brain.fit_batch(batch)
    features, targets = seen[1.0]
    assert targets.shape == (8, 3)
    assert not torch.equal(features, wavs)
    for width in WIDTHS:
        assert torch.equal(seen[width][0], features), width
        assert torch.equal(seen[width][1], targets), width
        assert torch.isfinite(losses[width]), width
    # The labels mix as the clips do: class c gets the weights of its clips.
    labels = torch.arange(8) % 3
    one_hot = torch.nn.functional.one_hot(labels, 3).float()
    torch.testing.assert_close(targets, features @ one_hot)
    features, targets, _ = brain.prepare_batch(batch, sb.Stage.VALID)
    torch.testing.assert_close(features, wavs)
    assert torch.equal(targets, labels)


def test_a_wide_augmentation_of_another_batch_size_fails_clearly():
    brain = brain_with_feature_augmentations(
        fea_augment=Scale(1.0), wide_fea_augment=Scale(1.0, copies=2)
    )
    with pytest.raises(ValueError, match="as many examples as fea_augment"):
        brain.prepare_batch(batch_of(torch.rand(4, 8)), sb.Stage.TRAIN)


def test_an_ensemble_teaches_the_mean_of_its_members_probabilities(
    tmp_path, tiny_model_folder, tiny_label_encoder
):
    # A second 2-class model folder with other weights.
    torch.manual_seed(1)
    other = SlimmableTCResNet(n_classes=2, widths=[1.0, 0.5]).eval()
    overrides = {"n_classes": 2, "widths": [1.0, 0.5]}
    write_model_folder(
        tmp_path, QUICKSTART, overrides, other, tiny_label_encoder
    )
    wavs = torch.rand(3, 16000) - 0.5
    first, second = (
        ExternalTeacher(folder, tiny_label_encoder)(wavs).exp()
        for folder in (tiny_model_folder, tmp_path)
    )
    assert (first - second).abs().max() > 1e-3  # two different teachers
    ensemble = ExternalTeacher(
        [tiny_model_folder, tmp_path], tiny_label_encoder
    )
    torch.testing.assert_close(ensemble(wavs).exp(), (first + second) / 2)


def test_a_teacher_answers_in_the_students_class_order(
    tiny_model_folder, tiny_label_encoder
):
    reversed_order = sb.dataio.encoder.CategoricalEncoder()
    reversed_order.update_from_iterable(["yes", "_silence_"])
    wavs = torch.rand(2, 16000) - 0.5
    ours = ExternalTeacher(tiny_model_folder, tiny_label_encoder)(wavs)
    flipped = ExternalTeacher(tiny_model_folder, reversed_order)(wavs)
    torch.testing.assert_close(flipped, ours.flip(-1))


def test_bad_teachers_fail_clearly(tiny_model_folder):
    other_classes = sb.dataio.encoder.CategoricalEncoder()
    other_classes.update_from_iterable(["yes", "no"])
    with pytest.raises(ValueError, match="must be trained on the same classes"):
        ExternalTeacher([tiny_model_folder], other_classes)
    with pytest.raises(ValueError, match="empty list"):
        ExternalTeacher([], other_classes)


def test_an_ensemble_teacher_teaches_the_widest(
    tmp_path, train_data, model_folder, monkeypatch
):
    brain, datasets, hparams = build_brain(
        tmp_path,
        train_data,
        number_of_epochs=1,
        strategy="all",
        teacher_source=[str(model_folder), str(model_folder)],
        teacher_weight=0.3,
    )
    calls = []
    original = brain.distilled

    def recording(loss, logits, teacher, weight):
        calls.append((teacher, weight))
        return original(loss, logits, teacher, weight)

    monkeypatch.setattr(brain, "distilled", recording)
    brain.fit(
        hparams["epoch_counter"],
        datasets["train"],
        train_loader_kwargs=hparams["train_dataloader_opts"],
    )
    assert len(brain.teacher.members) == 2
    # Per step: the widest from the ensemble, the 3 others from the widest.
    widest = calls[:: len(WIDTHS)]
    assert len(calls) == len(WIDTHS) * len(widest) > 0
    for teacher, weight in widest:
        assert weight == 0.3
        # The ensemble's log-probabilities, not the widest's logits.
        torch.testing.assert_close(
            teacher.exp().sum(-1), torch.ones(len(teacher))
        )


def test_sandwich_samples_widest_narrowest_and_middle():
    torch.manual_seed(0)
    brain = tiny_brain(strategy="sandwich", num_sampled_widths=3)
    for _ in range(20):
        widths = brain.training_widths()
        assert widths[0] == 1.0 and widths[-1] == 0.25 and len(widths) == 3
        assert widths[1] in (0.75, 0.5)
    ranged = tiny_brain(
        strategy="sandwich", num_sampled_widths=4, width_range=[0.2, 1.0]
    )
    widths = ranged.training_widths()
    assert widths[0] == 1.0 and widths[-1] == 0.2
    assert all(0.2 <= w <= 1.0 for w in widths)


@pytest.mark.parametrize(
    "hparams, message",
    [
        ({"widths": [1.0, 0.5, 0.5]}, "duplicates"),
        ({"widths": [1.0, 1.5]}, "outside the accepted range"),
        ({"widths": [0.0, 0.5]}, "outside the accepted range"),
        ({"widths": [1.0], "strategy": "greedy"}, "strategy must be one of"),
        ({"widths": [1.0], "ckpt_criterion": "x"}, "ckpt_criterion"),
        ({"widths": [1.0], "avg_checkpoints": 0}, "positive integer"),
        ({"widths": [1.0], "avg_checkpoints": 2.5}, "positive integer"),
        ({"widths": [1.0], "wide_fea_augment_from": 1.5}, "from: width 1.5"),
        (
            {"widths": [1.0], "wide_fea_augment_from": "half"},
            "from: width must",
        ),
    ],
)
def test_bad_training_options_fail_clearly(hparams, message):
    with pytest.raises(ValueError, match=message):
        SandwichBrain(
            modules={"model": SlimmableLinear(3, input_size=8)},
            hparams=hparams,
        )


def final_parameters(output):
    """Parameters of the saved model folder."""
    return torch.load(Path(output) / "pretrained" / "model.ckpt")


def noise_recordings_options(folder):
    """Quickstart options that mix noise recordings in, as tcresnet.yaml.

    Two 25-second recordings, cut by the recipe's ``prepare_noise_csv``
    into 20 two-second pieces: two batches of 16 a pass (16 + 4).
    """
    recordings = folder / "recordings"
    recordings.mkdir(parents=True)
    generator = np.random.default_rng(0)
    for index in range(2):
        noise = 0.1 * generator.standard_normal(25 * 16000)
        sf.write(recordings / f"noise_{index}.wav", noise, 16000)
    csv_file = prepare_noise_csv(recordings, folder)
    return [
        "--add_noise=!new:speechbrain.augment.time_domain.AddNoise "
        f"{{csv_file: {csv_file}, snr_low: 5, snr_high: 20}}"
    ]


@pytest.mark.parametrize("noise", ["white", "recordings"])
def test_resume_continues_where_it_stopped(
    tmp_path, train_data, monkeypatch, noise
):
    extra = ["--number_of_epochs=3", "--ckpt_interval_steps=4"]
    if noise == "recordings":
        # A resumed run carries on from the noise its loader had reached.
        extra += noise_recordings_options(tmp_path / "noise")
    reference = train_quickstart(tmp_path / "reference", train_data, *extra)

    calls = []
    fit_batch = SandwichBrain.fit_batch

    def interrupted(self, batch):
        calls.append((self.hparams.epoch_counter.current, self.step))
        if len(calls) == 18:  # in epoch 2, after an intra-epoch checkpoint
            raise KeyboardInterrupt
        return fit_batch(self, batch)

    monkeypatch.setattr(SandwichBrain, "fit_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train_quickstart(tmp_path / "resumed", train_data, *extra)
    stopped_at = calls[-1]
    calls.clear()
    monkeypatch.setattr(SandwichBrain, "fit_batch", fit_batch)
    resumed_calls = []

    def recorded(self, batch):
        resumed_calls.append((self.hparams.epoch_counter.current, self.step))
        return fit_batch(self, batch)

    monkeypatch.setattr(SandwichBrain, "fit_batch", recorded)
    resumed = train_quickstart(tmp_path / "resumed", train_data, *extra)

    # It restarts from the last intra-epoch checkpoint of the same epoch.
    epoch, step = resumed_calls[0]
    assert epoch == stopped_at[0] and 1 < step <= stopped_at[1]
    assert (step - 1) % 4 == 0
    assert resumed == reference
    a = final_parameters(tmp_path / "reference")
    b = final_parameters(tmp_path / "resumed")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("criterion", ["mean_error", "last"])
def test_the_model_folder_holds_the_mean_of_the_kept_checkpoints(
    tmp_path, train_data, criterion
):
    train_quickstart(
        tmp_path,
        train_data,
        "--number_of_epochs=4",
        "--avg_checkpoints=2",
        f"--ckpt_criterion={criterion}",
    )
    checkpointer = sb.utils.checkpoints.Checkpointer(tmp_path / "save")
    if criterion == "last":
        kept = checkpointer.find_checkpoints()
        # No selection: the two most recent, epochs 4 and 3.
        epochs = [Path(c.paramfiles["counter"]).read_text() for c in kept]
        assert epochs == ["4", "3"]
    else:
        kept = checkpointer.find_checkpoints(min_key=criterion)
        # The two best by validation (the most recent may be a third).
        assert len(kept) == 2
        errors = [ckpt.meta[criterion] for ckpt in kept]
        assert errors == sorted(errors)
    states = [torch.load(ckpt.paramfiles["model"]) for ckpt in kept]
    written = final_parameters(tmp_path)
    learned = [
        k for k in written if "running_" not in k and "num_batches" not in k
    ]
    assert learned and states[0][learned[0]].ne(states[1][learned[0]]).any()
    for key in learned:
        mean = (states[0][key] + states[1][key]) / 2
        torch.testing.assert_close(written[key], mean)


def free_port():
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_ddp_two_processes_end_with_identical_weights(tmp_path, train_data):
    output = tmp_path / "ddp"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        f"--master_port={free_port()}",
        str(Path(__file__).parent / "ddp_worker.py"),
        QUICKSTART,
        f"--output_folder={output}",
        f"--data_folder={train_data}",
        "--synthetic=False",
        f"--n_classes={len(DEFAULT_CLASSES)}",
        "--number_of_epochs=1",
        "--distributed_backend=gloo",
        "--find_unused_parameters",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rank0 = torch.load(output / "rank0.pt")
    rank1 = torch.load(output / "rank1.pt")
    initial = load_hyperpyyaml(
        open(QUICKSTART),
        {
            "data_folder": "x",
            "output_folder": str(output),
            "n_classes": len(DEFAULT_CLASSES),
        },
    )["model"]
    moved = 0
    for name, value in rank0.items():
        assert torch.equal(value, rank1[name]), name
        moved += not torch.equal(value, dict(initial.named_parameters())[name])
    assert moved > len(rank0) // 2  # training really changed the weights


def test_a_fraction_of_the_training_speakers_leaves_valid_and_test_alone(
    tmp_path, train_data
):
    def speakers(dataset):
        return {speaker_of(row["wav"]) for row in dataset.data.values()}

    _, full, _ = build_brain(tmp_path / "full", train_data)
    _, half, _ = build_brain(
        tmp_path / "half", train_data, train_speaker_fraction=0.5
    )
    assert set() < speakers(half["train"]) < speakers(full["train"])
    for split in ("valid", "test"):
        assert half[split].data.keys() == full[split].data.keys()
    with pytest.raises(ValueError, match="train_speaker_fraction must be in"):
        build_brain(tmp_path / "none", train_data, train_speaker_fraction=1.5)


def test_missing_data_folder_fails_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        train_quickstart(tmp_path / "out", tmp_path / "nowhere")


def test_extra_widths_need_shared_affine_before_training(tmp_path, train_data):
    with pytest.raises(ValueError, match="set shared_affine: True"):
        build_brain(tmp_path, train_data, extra_widths=[0.6])


def test_extra_widths_are_calibrated_and_tested(tmp_path, train_data):
    rows = train_quickstart(
        tmp_path,
        train_data,
        "--number_of_epochs=1",
        "--shared_affine=True",
        "--extra_widths=[0.6]",
    )
    assert [row["width"] for row in rows] == [1.0, 0.75, 0.6, 0.5, 0.25]


def test_an_override_with_a_tag_reaches_the_model_folder(tmp_path, train_data):
    # A tagged override (here: the features without normalisation) trains
    # and is what the written model folder computes.
    train_quickstart(
        tmp_path,
        train_data,
        "--number_of_epochs=1",
        "--compute_features=!ref <fbank>",
    )
    hparams_text = (tmp_path / "pretrained" / "hyperparams.yaml").read_text()
    with open(tmp_path / "pretrained" / "hyperparams.yaml") as fin:
        hparams = load_hyperpyyaml(fin)
    assert isinstance(hparams["compute_features"], Fbank), hparams_text


def test_results_name_the_yaml_version_that_trained_them(model_folder):
    # The benchmark reuses a finished run only if its YAML is unchanged.
    results = json.loads((model_folder / "results.json").read_text())
    quickstart = REPO / "recipes" / "GSC" / "hparams" / "quickstart.yaml"
    assert results["hparams_sha256"] == file_sha256(quickstart)
    assert results["teacher_sha256"] is None  # taught by no teacher


def test_results_name_the_teacher_weights_that_taught_them(
    tmp_path, train_data, model_folder
):
    # The benchmark reuses a taught run only if its teacher is unchanged.
    train_quickstart(
        tmp_path,
        train_data,
        "--number_of_epochs=1",
        f"--teacher_source={model_folder}",
    )
    results = json.loads((tmp_path / "pretrained" / "results.json").read_text())
    weights = file_sha256(model_folder / "model.ckpt")
    assert results["teacher_sha256"] == [weights]


def test_validation_recalibrates_stale_statistics(tmp_path, train_data):
    brain, datasets, hparams = build_brain(
        tmp_path, train_data, number_of_epochs=2
    )
    loader = dict(hparams["valid_dataloader_opts"])
    brain.fit(
        hparams["epoch_counter"],
        datasets["train"],
        datasets["valid"],
        train_loader_kwargs=hparams["train_dataloader_opts"],
        valid_loader_kwargs=loader,
    )
    brain.checkpointer = None  # evaluate the weights in memory
    brain.evaluate(datasets["valid"], test_loader_kwargs=loader)
    calibrated = brain.width_accuracies()
    # Statistics far from the data, as a lagging momentum average can be.
    for module in brain.modules.model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            module.running_mean.fill_(5.0)
    brain.evaluate(datasets["valid"], test_loader_kwargs=loader)
    assert brain.width_accuracies() == calibrated


class OwnRecipeBrain(SandwichBrain):
    """A recipe's own hooks, written as SpeechBrain's GSC recipe writes them:
    its own augmentation, features, normalisation and loss."""

    noise_draws = []

    def compute_forward(self, batch, stage):
        batch = batch.to(self.device)
        wavs, lens = batch.sig
        if stage == sb.Stage.TRAIN:
            noise = 0.01 * torch.randn_like(wavs)
            self.noise_draws.append(noise)
            wavs = wavs + noise
        feats = self.modules.compute_features(wavs)
        feats = self.modules.mean_var_norm(feats, lens)
        return self.modules.model(feats).log_softmax(-1), lens

    def compute_objectives(self, predictions, batch, stage):
        outputs, _ = predictions
        return torch.nn.functional.nll_loss(outputs, self.targets_of(batch))


def test_a_recipes_own_hooks_train_every_width(tmp_path, train_data):
    _, datasets, hparams = build_brain(tmp_path, train_data)
    model = SlimmableTCResNet(len(DEFAULT_CLASSES), widths=WIDTHS)
    brain = OwnRecipeBrain(
        modules={
            "compute_features": Fbank(n_mels=40),
            "mean_var_norm": InputNormalization(),
            "model": model,
        },
        opt_class=lambda p: torch.optim.Adam(p, lr=0.003),
        hparams={"widths": WIDTHS, "strategy": "all", "distillation": True},
    )
    brain.noise_draws = []
    loader = dict(hparams["valid_dataloader_opts"])
    brain.fit(
        range(4),
        datasets["train"],
        datasets["valid"],
        train_loader_kwargs=hparams["train_dataloader_opts"],
        valid_loader_kwargs=loader,
    )
    # Every width of a batch saw the same augmentation draw.
    draws = brain.noise_draws
    for first in range(0, len(draws), len(WIDTHS)):
        for other in draws[first + 1 : first + len(WIDTHS)]:
            assert torch.equal(draws[first], other)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            assert module.num_batches_tracked > 0
    chance = 100 / len(DEFAULT_CLASSES)
    for width, accuracy in brain.width_accuracies().items():
        assert accuracy > 1.5 * chance, (width, accuracy)


def load_cnn_recipe(tmp_path, overrides=""):
    """``hparams/tcresnet.yaml`` loaded with ``overrides`` (YAML text) and
    no data (nothing is prepared or trained)."""
    recipe = REPO / "recipes" / "GSC" / "hparams" / "tcresnet.yaml"
    with open(recipe, encoding="utf-8") as fin:
        return load_hyperpyyaml(
            fin, f"data_folder: unused\noutput_folder: {tmp_path}\n{overrides}"
        )


@pytest.mark.parametrize("speed", [90, 110])
def test_the_cnn_recipe_takes_speed_perturbation_when_asked(tmp_path, speed):
    """``tcresnet.yaml`` keeps ``speed_perturb`` out of its waveform
    augmentations unless an override puts it in (tried, not kept); it
    changes a batch's length, and the model pools over time."""
    default = load_cnn_recipe(tmp_path)
    assert default["speed_perturb"] not in default["wav_augmentations"]
    hparams = load_cnn_recipe(
        tmp_path,
        f"speeds: [{speed}]\nwav_augmentations: "
        "[!ref <speed_perturb>, !ref <add_noise>, !ref <time_shift>]\n",
    )
    perturb = hparams["speed_perturb"]
    assert perturb in hparams["wav_augment"].augmentations.values()
    wavs = torch.randn(3, hparams["clip_samples"])
    resampled = perturb(wavs)
    expected = hparams["clip_samples"] * 100 / speed
    assert abs(resampled.shape[1] - expected) <= 1
    model = hparams["model"].eval()
    logits = model(hparams["compute_features"](resampled))
    assert logits.shape == (3, hparams["n_classes"])
    assert torch.isfinite(logits).all()


def test_the_cnn_recipe_takes_a_shift_per_clip_when_asked(tmp_path):
    """``tcresnet.yaml`` rolls a batch by one shift unless an override
    names ``utterance_shift`` (tried, not kept):
    then every clip of a batch moves by its own amount, within
    ``max_time_shift``."""
    hparams = load_cnn_recipe(
        tmp_path,
        "wav_augmentations: [!ref <add_noise>, !ref <utterance_shift>]\n",
    )
    shift = hparams["utterance_shift"]
    assert shift in hparams["wav_augment"].augmentations.values()
    assert (
        hparams["time_shift"]
        not in hparams["wav_augment"].augmentations.values()
    )
    clicks = torch.zeros(16, hparams["clip_samples"])
    clicks[:, hparams["clip_samples"] // 2] = 1.0
    torch.manual_seed(0)
    shifted, _ = shift(clicks, torch.ones(16))
    moves = shifted.argmax(dim=1) - hparams["clip_samples"] // 2
    assert moves.abs().max() <= hparams["max_time_shift"]
    assert len(set(moves.tolist())) > 1


def test_the_cnn_recipe_takes_notch_filters_when_asked(tmp_path):
    """``tcresnet.yaml`` keeps ``drop_freq`` (SpeechBrain's ``DropFreq``)
    out of its waveform augmentations unless an override puts it in
    (tried, not kept); a notch at a tone's
    frequency takes most of the tone away and leaves a tone far from it."""
    default = load_cnn_recipe(tmp_path)
    assert default["drop_freq"] not in default["wav_augmentations"]
    hparams = load_cnn_recipe(
        tmp_path,
        "wav_augmentations: "
        "[!ref <add_noise>, !ref <time_shift>, !ref <drop_freq>]\n",
    )
    drop_freq = hparams["drop_freq"]
    assert drop_freq in hparams["wav_augment"].augmentations.values()
    drop_freq.drop_freq_low = drop_freq.drop_freq_high = 0.125  # 1 kHz
    drop_freq.drop_freq_count_low = drop_freq.drop_freq_count_high = 1
    seconds = torch.arange(hparams["clip_samples"]) / hparams["sample_rate"]
    for hertz, kept in [(1000, False), (4000, True)]:
        tone = torch.sin(2 * torch.pi * hertz * seconds).unsqueeze(0)
        middle = slice(200, -200)  # away from the filter's edges
        ratio = drop_freq(tone)[:, middle].norm() / tone[:, middle].norm()
        # one notch keeps 0.38 of the tone at its frequency, all of one far off
        assert (ratio > 0.9) if kept else (ratio < 0.5), (hertz, ratio)


def longest_masked_stretch(masked):
    """The longest run of True in any row of a 2-D boolean tensor."""
    longest = 0
    for row in masked.tolist():
        run = 0
        for value in row:
            run = run + 1 if value else 0
            longest = max(longest, run)
    return longest


def test_the_cnn_recipe_masks_longer_when_asked(tmp_path):
    """``time_mask_frames`` and ``freq_mask_bins`` bound the recipe's
    SpecAugment masks: with 20 and 8, one mask zeroes at most that many
    frames or mel bins, and more than the defaults' 10 and 6."""
    default = load_cnn_recipe(tmp_path)
    assert default["time_mask"].drop_length_high == 10
    assert default["freq_mask"].drop_length_high == 6
    hparams = load_cnn_recipe(
        tmp_path, "time_mask_frames: 20\nfreq_mask_bins: 8\n"
    )
    torch.manual_seed(0)
    features = torch.ones(200, 101, hparams["n_mels"])
    for name, masked_axis, bound, default_bound in [
        ("time_mask", 1, 20, 10),
        ("freq_mask", 2, 8, 6),
    ]:
        mask = hparams[name]
        mask.drop_count_low = mask.drop_count_high = 1  # one mask a clip
        # a frame (or bin) is masked where it is zero along the other axis
        masked = (mask(features) == 0).all(dim=3 - masked_axis)
        assert default_bound < longest_masked_stretch(masked) <= bound, name


def test_the_cnn_recipe_masks_the_wide_widths_longer_when_asked(tmp_path):
    """``wide_fea_augment`` is off by default; the override turns on the
    recipe's ``wide_masks`` (up to 20 frames and 8 bins) for widths from
    ``wide_fea_augment_from`` (0.5) up."""
    default = load_cnn_recipe(tmp_path)
    assert default["wide_fea_augment"] is None
    hparams = load_cnn_recipe(tmp_path, "wide_fea_augment: !ref <wide_masks>\n")
    wide = hparams["wide_fea_augment"]
    assert wide is hparams["wide_masks"]
    assert hparams["wide_fea_augment_from"] == 0.5
    bounds = [m.drop_length_high for m in wide.augmentations.values()]
    assert bounds == [20, 8]
    assert wide.concat_original == hparams["fea_augment"].concat_original


def test_the_cnn_recipe_mixes_clips_when_asked(tmp_path):
    """``mixup`` is off by default; the override turns on the recipe's
    ``mix_clips`` for its classes at ``mixup_alpha``."""
    assert load_cnn_recipe(tmp_path)["mixup"] is None
    hparams = load_cnn_recipe(
        tmp_path, "mixup: !ref <mix_clips>\nmixup_alpha: 0.2\n"
    )
    mixup = hparams["mixup"]
    assert mixup is hparams["mix_clips"]
    assert (mixup.n_classes, mixup.alpha) == (hparams["n_classes"], 0.2)
