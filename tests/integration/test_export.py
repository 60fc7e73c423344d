"""ONNX export through the pretrained interface: waveform in, logits out.

Every width of the model folder is exported once (module fixture) and
compared with PyTorch. The features-in graphs of the generic exporter are
tested in ``test_export_features.py``.
"""

import collections
import json
import os
import re

import numpy as np
import onnx
import pytest
import torch

import speechbrain_slimmable
from speechbrain_slimmable import count_parameters
from speechbrain_slimmable.dataio.audio import fit_to_window
from speechbrain_slimmable.dataio.folders import list_labelled_wavs
from speechbrain_slimmable.inference import SlimmableKWSClassifier
from speechbrain_slimmable.inference.export import (
    onnx_session,
    quantize_onnx,
    run_onnx,
)

RATE = 16000
WAVEFORM_ATOL = 1e-3  # export_onnx's default for waveforms in


@pytest.fixture(scope="module")
def classifier(model_folder):
    return SlimmableKWSClassifier.from_hparams(source=model_folder)


@pytest.fixture(scope="module")
def graphs(classifier, tmp_path_factory):
    """The export report of every width."""
    folder = tmp_path_factory.mktemp("onnx")
    return {
        width: classifier.export_onnx(folder / f"width_{width}.onnx", width)
        for width in classifier.widths
    }


def noise(batch, samples=RATE, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return 0.1 * torch.randn(batch, samples, generator=generator)


def test_every_width_matches_pytorch_at_batch_1_and_4(classifier, graphs):
    for width, report in graphs.items():
        assert report["input"] == "waveform" and not report["quantized"]
        assert report["max_abs_diff"] <= WAVEFORM_ATOL
        session = onnx_session(report["path"])
        net = classifier.subnet(width, include_features=True)
        for batch in (1, 4):
            wavs = noise(batch, seed=batch)
            with torch.no_grad():
                expected = net(wavs).numpy()
            got = run_onnx(session, wavs)
            assert got.shape == expected.shape
            assert np.abs(got - expected).max() <= WAVEFORM_ATOL


def test_time_axis_is_dynamic(classifier, graphs):
    width = classifier.widths[-1]
    session = onnx_session(graphs[width]["path"])
    wavs = noise(2, samples=24000)
    with torch.no_grad():
        expected = classifier.subnet(width, include_features=True)(wavs)
    assert np.abs(run_onnx(session, wavs) - expected.numpy()).max() <= 1e-3


def test_top1_agrees_on_real_clips(classifier, graphs, real_data):
    # Every 120th clip: two or three of each class.
    paths = list_labelled_wavs(real_data / "gsc12_dev")[::120]
    wavs = torch.stack(
        [fit_to_window(classifier.load_audio(p), RATE) for p, _ in paths]
    )
    for width, report in graphs.items():
        _, _, index, _ = classifier.classify_batch(wavs, width=width)
        got = run_onnx(onnx_session(report["path"]), wavs).argmax(-1)
        assert got.tolist() == index.tolist()


def test_graph_inputs_outputs_and_axes(graphs):
    model = onnx.load(next(iter(graphs.values()))["path"])
    onnx.checker.check_model(model)
    (inp,), (out,) = model.graph.input, model.graph.output
    assert (inp.name, out.name) == ("waveform", "logits")
    batch, time = inp.type.tensor_type.shape.dim
    assert (batch.dim_param, time.dim_param) == ("batch", "samples")
    assert out.type.tensor_type.shape.dim[0].dim_param == "batch"
    # Inner shapes name the same axes (no exporter symbol such as s81).
    inner = {
        dim.dim_param
        for value in model.graph.value_info
        for dim in value.type.tensor_type.shape.dim
    }
    assert "((samples//160)) + 1" in inner
    assert not any(re.search(r"\bs[0-9]+\b", name) for name in inner)


def test_metadata_says_how_to_feed_the_graph(classifier, graphs):
    for width, report in graphs.items():
        meta = onnx_session(report["path"]).get_modelmeta()
        stored = meta.custom_metadata_map
        with torch.no_grad():
            features = classifier.mods.compute_features(noise(1))
        assert stored == {
            "labels": json.dumps(classifier.labels),
            "width": str(width),
            "sample_rate": "16000",
            "clip_samples": str(classifier.hparams.clip_samples),
            "input": "waveform",
            "n_mels": str(features.shape[-1]),
            "precision": "float32",
            "speechbrain_slimmable_version": speechbrain_slimmable.__version__,
        }
        # The labels are in output order: they name the graph's top-1.
        labels = json.loads(stored["labels"])
        wavs = noise(3, seed=3)
        got = run_onnx(onnx_session(report["path"]), wavs).argmax(-1)
        _, _, _, text = classifier.classify_batch(wavs, width=width)
        assert [labels[i] for i in got] == text


def test_weights_add_up_to_the_subnet(classifier, graphs):
    for width, report in graphs.items():
        subnet = classifier.subnet(width)
        stats = {
            f"model.{name}": tensor.shape
            for name, tensor in subnet.state_dict().items()
            if not name.endswith("num_batches_tracked")
        }
        model = onnx.load(report["path"])
        stored = {i.name: tuple(i.dims) for i in model.graph.initializer}
        weights = {k: v for k, v in stored.items() if k.startswith("model.")}
        assert weights == {k: tuple(v) for k, v in stats.items()}
        running = sum(
            int(np.prod(v)) for k, v in weights.items() if "running_" in k
        )
        total = sum(int(np.prod(v)) for v in weights.values())
        assert total == count_parameters(subnet) + running
        assert report["params"] == count_parameters(subnet)
        # The rest are the front end's constants (window, filterbank).
        others = set(stored) - set(weights)
        assert all(k.startswith("compute_features.") for k in others)


def test_convolutions_compute_no_bias_per_call(graphs):
    # The exporter's zero bias of a convolution without one is dropped: a
    # bias is a stored weight, or there is none.
    for report in graphs.values():
        model = onnx.load(report["path"])
        stored = {i.name for i in model.graph.initializer}
        convs = [n for n in model.graph.node if n.op_type == "Conv"]
        assert convs
        computed = [
            list(n.input)
            for n in convs
            if len(n.input) == 3 and n.input[2] not in stored
        ]
        assert not computed, computed


def test_int8_keeps_the_front_end_in_float(classifier, graphs, tmp_path):
    report = graphs[classifier.widths[0]]
    path = tmp_path / "int8.onnx"
    quantize_onnx(report["path"], path)
    ops = collections.Counter(n.op_type for n in onnx.load(path).graph.node)
    # In float: the power spectrum (a convolution) and the mel filterbank;
    # every convolution of the model is int8.
    assert ops["Conv"] == 1 and ops["MatMul"] == 1
    assert ops["ConvInteger"] > 1
    assert os.path.getsize(path) < 0.5 * os.path.getsize(report["path"])
    session = onnx_session(path)
    got = run_onnx(session, noise(4))
    assert got.shape == (4, len(classifier.hparams.label_encoder))
    stored = session.get_modelmeta().custom_metadata_map
    assert stored["precision"] == "int8"
    assert stored["labels"] == json.dumps(classifier.labels)


def test_int8_report_is_the_int8_file(classifier, tmp_path):
    width = classifier.widths[-1]
    path = tmp_path / "int8.onnx"
    report = classifier.export_onnx(path, width, quantize=True)
    assert report["quantized"] and report["path"] == str(path)
    assert report["max_abs_diff"] <= WAVEFORM_ATOL  # the float graph
    # The int8 file, on the same clip of noise as the export's check.
    generator = torch.Generator().manual_seed(0)
    clip = 0.1 * torch.randn(1, RATE, generator=generator)
    with torch.no_grad():
        expected = classifier.subnet(width, include_features=True)(clip)
    got = run_onnx(onnx_session(path), clip)
    diff = float(np.abs(got - expected.numpy()).max())
    assert report["int8_max_abs_diff"] == pytest.approx(diff, rel=1e-3)
    same = got.argmax(-1) == expected.numpy().argmax(-1)
    assert report["int8_same_top1"] == bool(same.all())
