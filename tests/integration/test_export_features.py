"""The generic ONNX exporter on features-in graphs, for any supernet.

Every width of the trained model folder's supernet is exported once
(module fixture); a small Transformer (KWT) checks the dynamic time axis up
to its ``max_frames``.
"""

import json
import logging

import numpy as np
import onnx
import pytest
import torch

import speechbrain_slimmable
from speechbrain_slimmable import count_parameters, extract_subnet
from speechbrain_slimmable.inference import SlimmableKWSClassifier
from speechbrain_slimmable.inference.export import (
    export_onnx,
    onnx_session,
    quantize_onnx,
    run_onnx,
)
from speechbrain_slimmable.inference.export import onnx as onnx_export
from speechbrain_slimmable.lobes.models.KWT import SlimmableKWT

FEATURES_ATOL = 1e-4


@pytest.fixture(scope="module")
def classifier(model_folder):
    return SlimmableKWSClassifier.from_hparams(source=model_folder)


def features(classifier, batch, samples=16000, seed=0):
    generator = torch.Generator().manual_seed(seed)
    wavs = 0.1 * torch.randn(batch, samples, generator=generator)
    with torch.no_grad():
        return classifier.mods.compute_features(wavs)


@pytest.fixture(scope="module")
def graphs(classifier, tmp_path_factory):
    """The export report of every width, features in."""
    folder = tmp_path_factory.mktemp("onnx")
    example = features(classifier, 1)
    return {
        width: export_onnx(
            classifier.mods.model, folder / f"{width}.onnx", width, example
        )
        for width in classifier.widths
    }


def max_diff(session, subnet, inputs):
    with torch.no_grad():
        expected = subnet(inputs).numpy()
    got = run_onnx(session, inputs)
    assert got.shape == expected.shape
    return float(np.abs(got - expected).max())


def test_every_width_matches_pytorch_at_batch_1_and_4(classifier, graphs):
    for width, report in graphs.items():
        assert report["input"] == "features"
        assert report["max_abs_diff"] <= FEATURES_ATOL
        session = onnx_session(report["path"])
        subnet = classifier.subnet(width)
        for batch in (1, 4):
            inputs = features(classifier, batch, seed=batch)
            assert max_diff(session, subnet, inputs) <= FEATURES_ATOL
        # Any number of frames (TC-ResNet pools over time).
        inputs = features(classifier, 2, samples=23000)
        assert max_diff(session, subnet, inputs) <= FEATURES_ATOL


def test_weights_are_the_subnet_state_under_its_names(classifier, graphs):
    for width, report in graphs.items():
        subnet = classifier.subnet(width)
        state = {
            name: tuple(tensor.shape)
            for name, tensor in subnet.state_dict().items()
            if not name.endswith("num_batches_tracked")
        }
        model = onnx.load(report["path"])
        stored = {i.name: tuple(i.dims) for i in model.graph.initializer}
        assert stored == state
        running = sum(
            int(np.prod(s)) for n, s in state.items() if "running_" in n
        )
        total = sum(int(np.prod(s)) for s in stored.values())
        assert total == count_parameters(subnet) + running


def test_transformer_time_axis_is_dynamic_up_to_max_frames(tmp_path):
    torch.manual_seed(0)
    model = SlimmableKWT(n_classes=4, max_frames=101, widths=[1.0, 0.5]).eval()
    path = tmp_path / "kwt.onnx"
    report = export_onnx(model, path, 0.5, torch.randn(1, 101, 40))
    subnet = extract_subnet(model, 0.5).eval()
    session = onnx_session(path)
    for shape in [(1, 101, 40), (4, 101, 40), (3, 57, 40)]:
        assert max_diff(session, subnet, torch.randn(shape)) <= FEATURES_ATOL
    stored = onnx.load(path).graph.initializer
    assert sum(int(np.prod(i.dims)) for i in stored) == report["params"]
    assert report["params"] == count_parameters(subnet)


def test_named_axes_and_metadata(classifier, graphs, tmp_path):
    width = classifier.widths[1]
    model = onnx.load(graphs[width]["path"])
    (inp,) = model.graph.input
    batch, frames, feats = inp.type.tensor_type.shape.dim
    assert (inp.name, batch.dim_param, frames.dim_param) == (
        "features",
        "batch",
        "frames",
    )
    assert feats.dim_value == features(classifier, 1).shape[-1]
    meta = onnx_session(graphs[width]["path"]).get_modelmeta()
    assert meta.custom_metadata_map == {
        "width": str(width),
        "input": "features",
        "precision": "float32",
        "speechbrain_slimmable_version": speechbrain_slimmable.__version__,
    }
    # More entries: strings as they are, other values as JSON.
    path = tmp_path / "more.onnx"
    more = {"labels": ["a", "b"], "sample_rate": 8000, "note": "kws"}
    export_onnx(
        classifier.mods.model,
        path,
        width,
        features(classifier, 1),
        metadata=more,
    )
    stored = onnx_session(path).get_modelmeta().custom_metadata_map
    assert json.loads(stored["labels"]) == ["a", "b"]
    assert (stored["sample_rate"], stored["note"]) == ("8000", "kws")


def test_noise_filters_do_not_outlive_the_export(graphs, tmp_path):
    # The filters that drop torch's and onnxruntime's noise are scoped.
    quantize_onnx(next(iter(graphs.values()))["path"], tmp_path / "q.onnx")
    for name in ("torch.onnx._internal.exporter._registration", None):
        assert logging.getLogger(name).filters == []


def test_a_mismatch_raises_and_writes_nothing(tmp_path, monkeypatch):
    def wrong(session, inputs):
        return inputs.numpy() + 1.0

    monkeypatch.setattr(onnx_export, "run_onnx", wrong)
    path = tmp_path / "net.onnx"
    with pytest.raises(RuntimeError, match="differs from PyTorch by 1"):
        export_onnx(torch.nn.Identity(), path, 1.0, torch.rand(1, 3, 4))
    assert not path.exists()
