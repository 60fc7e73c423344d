"""The width cascade: the narrow width listens, the wide one decides.

On the committed sample stream (``samples/stream.wav``) and the published
CNN: the cascade's posteriors are those of the wide width on exactly the
windows the narrow width passes, on PyTorch and on ONNX; its settings
travel in the model folder; bad settings fail loudly.
"""

import shutil
from pathlib import Path

import numpy
import pytest

from speechbrain_slimmable import cli
from speechbrain_slimmable.inference.evaluation.detection_metrics import (
    stream_posteriors,
)
from speechbrain_slimmable.inference.streaming.cascade import cascade_rows
from speechbrain_slimmable.inference.streaming.folder_settings import (
    write_detection_cascade,
)
from speechbrain_slimmable.inference.streaming.pretrained_detector import (
    build_detector,
    cascade_scorer,
    class_labels,
    window_scorer,
)

MODEL = Path(__file__).resolve().parents[2] / "pretrained" / "gsc12-cnn"
STREAM = MODEL.parents[1] / "samples" / "stream.wav"


@pytest.fixture(scope="module")
def classifier():
    from speechbrain_slimmable.inference import SlimmableKWSClassifier

    return SlimmableKWSClassifier.from_hparams(source=MODEL)


@pytest.fixture(scope="module")
def stream(classifier):
    return classifier.load_audio(STREAM)


def posteriors(scorer, wav):
    return stream_posteriors(scorer, wav, 1.0, 0.1, 16000)


def keywords(classifier):
    return [label[0] != "_" for label in class_labels(classifier)]


def test_cascade_rescores_exactly_the_windows_that_pass_the_gate(
    classifier, stream
):
    narrow = posteriors(window_scorer(classifier, 0.25), stream)
    wide = posteriors(window_scorer(classifier, 1.0), stream)
    scorer = cascade_scorer(classifier, 0.25, 1.0, gate=0.2)
    rows = posteriors(scorer, stream)
    expected = cascade_rows(narrow, wide, keywords(classifier), 0.2)
    assert numpy.abs(rows - expected).max() < 1e-4
    assert scorer.scored == len(rows)
    assert 0 < scorer.rescored < scorer.scored  # some windows, not all
    assert not numpy.allclose(rows, wide, atol=1e-4)


def test_a_gate_every_window_passes_gives_the_wide_widths_events(classifier):
    wide = classifier.detect_file(STREAM, width=1.0, threshold=0.5)
    cascade = classifier.detect_file(
        STREAM, cascade="0.25:1.0", gate=1e-9, threshold=0.5
    )
    assert [e.label for e in cascade] == [e.label for e in wide]
    assert numpy.allclose(
        [e.start for e in cascade], [e.start for e in wide], atol=1e-6
    )


def test_cascade_on_two_onnx_files_matches_pytorch(classifier, tmp_path):
    pytest.importorskip("onnxruntime")
    files = []
    for width in (0.25, 1.0):
        files.append(tmp_path / f"w{width}.onnx")
        classifier.export_onnx(files[-1], width, include_features=False)
    options = {"cascade": "0.25:1.0", "gate": 0.2, "threshold": 0.5}
    torch_events = classifier.detect_file(STREAM, **options)
    onnx_events = classifier.detect_file(STREAM, onnx=files, **options)
    assert [e.label for e in onnx_events] == [e.label for e in torch_events]
    assert torch_events  # the sample stream holds keywords
    with pytest.raises(ValueError, match="holds width 1.0, not 0.25"):
        classifier.detect_file(STREAM, onnx=files[::-1], **options)
    with pytest.raises(ValueError, match="needs two files"):
        classifier.detect_file(STREAM, onnx=files[0], **options)
    argv = ["detect", "--source", str(MODEL), "--json", str(STREAM)]
    argv += ["--onnx", str(files[0]), "--onnx", str(files[1])]
    assert cli.main(argv + ["--cascade", "0.25:1.0", "--gate", "0.2"]) == 0
    assert cli.main(argv) == 1  # two files without --cascade
    waveform_in = tmp_path / "wave.onnx"
    classifier.export_onnx(waveform_in, 1.0)
    with pytest.raises(ValueError, match="both take waveforms"):
        classifier.detect_file(STREAM, onnx=[files[0], waveform_in], **options)


def test_the_folder_carries_the_cascade(classifier, tmp_path, capsys):
    folder = tmp_path / "model"
    shutil.copytree(MODEL, folder)
    write_detection_cascade(folder, 0.25, 1.0, gate=0.15, threshold=0.55)
    from speechbrain_slimmable.inference import SlimmableKWSClassifier

    measured = SlimmableKWSClassifier.from_hparams(source=folder)
    detector = build_detector(measured, cascade=True)
    assert detector.scorer.gate == 0.15
    assert float(detector.decoder.thresholds[2]) == 0.55
    other = build_detector(measured, cascade="0.5:1.0", gate=0.3)
    assert float(other.decoder.thresholds[2]) == pytest.approx(
        measured.hparams.detection_threshold[1.0]
    )  # another cascade: the wide width's threshold
    argv = ["detect", "--source", str(folder), "--cascade", "folder", "--json"]
    assert cli.main(argv + [str(STREAM)]) == 0
    assert '"label"' in capsys.readouterr().out


@pytest.mark.parametrize(
    "options, message",
    [
        ({"cascade": "1.0:0.25", "gate": 0.2}, "NARROW < WIDE"),
        ({"cascade": "0.3:1.0", "gate": 0.2}, "0.3"),
        ({"cascade": "0.25:1.0", "gate": 0.0}, "gate must be in"),
        ({"cascade": "0.25:1.0", "gate": 0.2, "width": 0.5}, "either a width"),
    ],
)
def test_bad_cascades_fail_loudly(classifier, options, message):
    with pytest.raises(ValueError, match=message):
        build_detector(classifier, **options)


def test_a_folder_without_a_cascade_says_so(tiny_classifier):
    with pytest.raises(ValueError, match="no detection_cascade"):
        build_detector(tiny_classifier, cascade=True)
