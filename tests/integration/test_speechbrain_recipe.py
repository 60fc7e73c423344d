"""A recipe in SpeechBrain's style trains every width with SandwichBrain.

The recipe (``speechbrain_style/``) keeps several modules in ``modules``,
augments with noise and reverberation read from files in its own
``compute_forward``, normalises with ``InputNormalization`` and writes its
own ``compute_objectives``, ``on_stage_start`` and ``on_stage_end``, none
calling ``super()``.
"""

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import speechbrain as sb
import torch

from speechbrain_slimmable.brain import SandwichBrain
from speechbrain_slimmable.cli.parser import main as cli_main
from speechbrain_slimmable.dataio.folders import speaker_of
from speechbrain_slimmable.dataio.synthetic import (
    DEFAULT_CLASSES,
    make_synthetic_kws,
)
from speechbrain_slimmable.inference import SlimmableKWSClassifier
from speechbrain_slimmable.inference.serving.recipe_output import (
    model_folder_from_recipe,
)
from speechbrain_slimmable.nnet.linear import SlimmableLinear
from speechbrain_slimmable.nnet.normalization import SwitchableBatchNorm1d

RECIPE = Path(__file__).parent / "speechbrain_style"
WIDTHS = [1.0, 0.75, 0.5, 0.25]


def load_recipe():
    """Import the recipe's ``train_xvector.py`` (recipes are not a package)."""
    spec = importlib.util.spec_from_file_location(
        "speechbrain_style_train", RECIPE / "train_xvector.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_csv(path, header, rows):
    """A SpeechBrain CSV manifest."""
    lines = [",".join(header)] + [",".join(map(str, row)) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def recipe_data(tmp_path_factory):
    """Synthetic clips split by speaker, noise recordings and impulse
    responses, as the recipe's CSV files name them."""
    folder = tmp_path_factory.mktemp("speechbrain_style_data")
    clips = make_synthetic_kws(
        folder / "clips", speakers=10, clips_per_speaker=3
    )
    splits = {"train": [], "valid": [], "test": []}
    for wav in sorted(Path(clips).glob("*/*.wav")):
        number = int(speaker_of(wav).removeprefix("synth"))
        split = "valid" if number == 8 else "test" if number == 9 else "train"
        row = (f"{wav.parent.name}_{wav.stem}", 1.0, wav, wav.parent.name)
        splits[split].append(row)
    for split, rows in splits.items():
        write_csv(
            folder / f"{split}.csv", ("ID", "duration", "wav", "command"), rows
        )
    generator = np.random.default_rng(0)
    files = {"noise": [], "rir": []}
    for index in range(3):
        noise = folder / f"noise{index}.wav"
        sf.write(noise, 0.1 * generator.standard_normal(32000), 16000)
        files["noise"].append((f"noise{index}", 2.0, noise, "wav", ""))
        decay = np.exp(-np.arange(1600) / (200.0 * (index + 1)))
        response = decay * generator.standard_normal(1600)
        response[0] = 1.0
        rir = folder / f"rir{index}.wav"
        sf.write(rir, response / np.abs(response).max(), 16000)
        files["rir"].append((f"rir{index}", 0.1, rir, "wav", ""))
    header = ("ID", "duration", "wav", "wav_format", "wav_opts")
    for name, rows in files.items():
        write_csv(folder / f"{name}.csv", header, rows)
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory, recipe_data):
    """The recipe trained briefly; what its front end saw, per width."""
    output = tmp_path_factory.mktemp("speechbrain_style_run")
    train = load_recipe()
    seen = []
    fit_batch = SandwichBrain.fit_batch

    def recording(brain, batch):
        # The augmented waveforms each width of the batch computes
        # features from.
        hook = brain.modules.compute_features.register_forward_pre_hook(
            lambda module, args: seen[-1].append(args[0].clone())
        )
        seen.append([])
        try:
            return fit_batch(brain, batch)
        finally:
            hook.remove()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(train.CommandBrain, "fit_batch", recording)
        brain = train.main(
            [
                str(RECIPE / "hparams" / "xvect.yaml"),
                f"--data_folder={recipe_data}",
                f"--output_folder={output}",
                "--number_of_epochs=4",
            ]
        )
    return brain, output, seen


def logged_widths(line):
    """``{width: accuracy}`` of a train-log line."""
    found = re.findall(r"width ([\d.]+) accuracy \(%\): ([\d.]+)", line)
    return {float(width): float(accuracy) for width, accuracy in found}


def test_every_width_learns_in_a_speechbrain_style_recipe(trained):
    brain, output, _ = trained
    chance = 100 / len(DEFAULT_CLASSES)
    accuracies = brain.width_accuracies()  # of the test stage
    assert list(accuracies) == WIDTHS
    for width, accuracy in accuracies.items():
        assert accuracy > 1.5 * chance, (width, accuracies)
    for module in brain.modules.modules():
        if isinstance(module, torch.nn.BatchNorm1d):
            assert module.num_batches_tracked > 0


def test_every_width_is_logged_beside_the_recipes_own_line(trained):
    brain, output, _ = trained
    lines = (output / "train_log.txt").read_text().splitlines()
    own = [line for line in lines if "ErrorRate" in line]
    widths = [line for line in lines if "width 1 accuracy (%)" in line]
    # Four validations and the test, each: the recipe's line, then ours.
    assert len(own) == len(widths) == 5, lines
    for line in widths:
        assert "width 0.25 loss" in line
        assert list(logged_widths(line)) == WIDTHS
    # The recipe's error rate scores every width (ckpt_criterion
    # mean_error): the mean of the widths' errors (logged to 3 digits).
    for own_line, width_line in zip(own, widths):
        error = float(re.search(r"ErrorRate: ([\d.e-]+)", own_line)[1])
        mean = np.mean(list(logged_widths(width_line).values()))
        assert abs(100 * (1 - error) - mean) < 0.06, (own_line, width_line)


def test_every_width_of_a_batch_sees_the_same_augmented_audio(trained):
    _, _, seen = trained
    assert len(seen) > 10
    for widths in seen:
        assert len(widths) == len(WIDTHS)
        for other in widths[1:]:
            assert torch.equal(widths[0], other)
    # The noise and reverberation really differ from one batch to the next.
    first, second = seen[0][0], seen[1][0]
    assert first.shape != second.shape or not torch.equal(first, second)


def test_the_recipes_metric_scores_the_width_ckpt_criterion_names(
    trained, recipe_data, tmp_path
):
    brain, _, _ = trained
    train = load_recipe()
    splits = ("train", "valid", "test")
    _, valid, _ = train.dataio_prep(
        {
            **{f"{s}_annotation": recipe_data / f"{s}.csv" for s in splits},
            "save_folder": brain.hparams.save_folder,
        }
    )
    log = sb.utils.train_logger.FileTrainLogger(tmp_path / "log.txt")
    narrowest = train.CommandBrain(
        modules=dict(brain.modules.items()),
        hparams=dict(
            vars(brain.hparams),
            ckpt_criterion="narrowest_error",
            train_logger=log,
        ),
        run_opts={"device": "cpu"},
    )
    narrowest.evaluate(valid, test_loader_kwargs={"batch_size": 8})
    error = 1 - narrowest.width_accuracies()[0.25] / 100
    assert abs(narrowest.error_metrics.summarize("average") - error) < 1e-4


class TwoModuleBrain(SandwichBrain):
    """Features to an encoder, then a head only when training."""

    def compute_forward(self, batch, stage):
        hidden = self.modules.encoder(batch)
        if stage == sb.Stage.TRAIN:
            hidden = self.modules.head(hidden)
        return hidden

    def compute_objectives(self, predictions, batch, stage):
        return predictions.pow(2).mean()


def test_recalibration_refuses_a_forward_that_skips_slimmable_modules():
    encoder = torch.nn.Sequential(
        SlimmableLinear(8, input_size=4, fixed_in=True),
        SwitchableBatchNorm1d(input_size=8, widths=WIDTHS),
    )
    head = torch.nn.Sequential(
        SlimmableLinear(8, input_size=8),
        SwitchableBatchNorm1d(input_size=8, widths=WIDTHS),
    )
    brain = TwoModuleBrain(
        modules={"encoder": encoder, "head": head},
        hparams={"widths": WIDTHS},
    )
    brain.calibration_data = [torch.randn(6, 4) for _ in range(2)]
    brain.calibration_set = brain.calibration_data
    with pytest.raises(RuntimeError, match=r"never reached the norms \['head"):
        brain.recalibrate(WIDTHS)


def test_modules_without_slimmable_layers_fail_clearly():
    with pytest.raises(ValueError, match="no slimmable layer in modules"):
        SandwichBrain(
            modules={"embedding_model": torch.nn.Linear(2, 2)},
            hparams={"widths": WIDTHS},
        )
    with pytest.raises(ValueError, match="give the model's norms the same"):
        SandwichBrain(
            modules={
                "classifier": SwitchableBatchNorm1d(
                    input_size=4, widths=[1.0, 0.5]
                )
            },
            hparams={"widths": WIDTHS},
        )


def test_a_recipe_run_becomes_a_model_folder_for_every_command(
    trained, recipe_data, tmp_path, capsys
):
    brain, output, _ = trained
    # The checkpoint the recipe's evaluate loaded (its best ErrorRate).
    best = brain.checkpointer.find_checkpoint(min_key="ErrorRate").path
    folder = tmp_path / "folder"
    status = cli_main(
        [
            "from-recipe",
            f"--hparams={output / 'hyperparams.yaml'}",
            f"--checkpoint={best}",
            f"--out={folder}",
        ]
    )
    assert status == 0, capsys.readouterr().err
    assert "widths [1.0, 0.75, 0.5, 0.25]" in capsys.readouterr().out
    classifier = SlimmableKWSClassifier.from_hparams(source=str(folder))
    assert classifier.widths == WIDTHS
    assert classifier.labels == brain_labels(output)

    # Every width scores the test clips as the recipe's test stage did.
    manifest = recipe_data / "test.csv"
    clips = len(manifest.read_text().splitlines()) - 1
    assert (
        cli_main(
            ["eval", f"--source={folder}", "--json"]
            + [f"--manifest={manifest}"]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)["widths"]
    for row in rows:
        recipe = brain.width_accuracies()[row["width"]]
        assert abs(row["accuracy"] - recipe) <= 100 / clips + 1e-6, row

    onnx = tmp_path / "half.onnx"
    args = [f"--source={folder}", "--width=0.5"]
    assert cli_main(["export", *args, f"--out={onnx}"]) == 0
    assert onnx.is_file()
    clip = manifest.read_text().splitlines()[1].split(",")[2]
    assert cli_main(["detect", *args, "--json", clip]) == 0
    assert isinstance(
        json.loads(capsys.readouterr().out.splitlines()[-1]), list
    )


def brain_labels(output):
    """The labels of a run, in the order of its label encoder."""
    encoder = sb.dataio.encoder.CategoricalEncoder()
    encoder.load(output / "save" / "label_encoder.txt")
    return [encoder.ind2lab[i] for i in range(len(encoder))]


def test_the_packages_own_recipe_run_converts_too(model_folder, tmp_path):
    output = model_folder.parent
    checkpoint = next((output / "save").glob("CKPT+*"))
    folder = model_folder_from_recipe(
        output / "hyperparams.yaml", checkpoint, tmp_path / "folder"
    )
    published = SlimmableKWSClassifier.from_hparams(source=str(model_folder))
    converted = SlimmableKWSClassifier.from_hparams(source=str(folder))
    assert converted.widths == published.widths
    assert converted.labels == published.labels


def test_from_recipe_names_what_is_wrong(trained, tmp_path, capsys):
    _, output, _ = trained
    hparams = f"--hparams={output / 'hyperparams.yaml'}"
    out = f"--out={tmp_path / 'folder'}"
    save = output / "save"
    assert cli_main(["from-recipe", hparams, f"--checkpoint={save}", out]) == 1
    error = capsys.readouterr().err
    assert "not a checkpoint folder" in error and "CKPT+" in error
    checkpoint = f"--checkpoint={next(save.glob('CKPT+*'))}"
    assert (
        cli_main(
            ["from-recipe", hparams, checkpoint, out, "--model", "softmax"]
        )
        == 1
    )
    assert "not among the checkpointer's recoverables" in (
        capsys.readouterr().err
    )


class CallingSuper(TwoModuleBrain):
    """A recipe whose stage hooks call ``super()``, as some do."""

    def on_stage_start(self, stage, epoch=None):
        super().on_stage_start(stage, epoch)
        self.started = stage

    def on_stage_end(self, stage, stage_loss, epoch=None):
        super().on_stage_end(stage, stage_loss, epoch)


class Nested(CallingSuper):
    """A recipe deriving from another, without ``super()`` this time."""

    def on_stage_start(self, stage, epoch=None):
        self.started = stage

    def on_stage_end(self, stage, stage_loss, epoch=None):
        self.ended = stage


@pytest.mark.parametrize("recipe", [TwoModuleBrain, CallingSuper, Nested])
def test_a_stage_starts_and_ends_once_with_or_without_super(
    recipe, monkeypatch
):
    encoder = torch.nn.Sequential(
        SlimmableLinear(8, input_size=4, fixed_in=True),
        SwitchableBatchNorm1d(input_size=8, widths=WIDTHS),
    )
    brain = recipe(modules={"encoder": encoder}, hparams={"widths": WIDTHS})
    calibrated, logged = [], []
    monkeypatch.setattr(brain, "recalibrate", calibrated.append)
    monkeypatch.setattr(
        brain, "log_width_stats", lambda *args: logged.append(args[0])
    )
    brain.on_stage_start(sb.Stage.TEST)
    assert calibrated == [WIDTHS] and list(brain.loss_stats) == WIDTHS
    for width in WIDTHS:
        brain.loss_stats[width].append(["a"], torch.tensor([1.0]))
        brain.error_stats[width].append(["a"], torch.tensor([0.0]))
    brain.on_stage_end(sb.Stage.TEST, 1.0)
    # The package's own end logs every width; a recipe's own end gets a
    # line of them after its own.
    assert logged == ([sb.Stage.TEST] if recipe is Nested else [])
