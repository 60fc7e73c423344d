"""ONNX export of the subnet of a supernet at one width.

What is exported is the standalone subnet of :func:`extract_subnet`, so the
graph holds only the weights active at that width (nothing is sliced out of
larger tensors at run time). The graph is written by torch's dynamo exporter
(``torch.onnx.export(..., dynamo=True)``, which needs ``onnxscript``): the
older TorchScript exporter fails on the complex STFT of SpeechBrain's
``Fbank``. Needs the ``onnx`` extra: ``pip install
speechbrain-slimmable[onnx]``.

Authors
 * speechbrain-slimmable developers 2026
"""

import ast
import collections
import copy
import os
import tempfile

import torch

from speechbrain_slimmable.extract import extract_subnet
from speechbrain_slimmable.profile import count_parameters

FEATURES_MODULE = "compute_features"
NAME_SCOPES = "pkg.torch.onnx.name_scopes"


def with_features(compute_features, model):
    """Chain a feature front end and a model: waveform in, logits out.

    Arguments
    ---------
    compute_features : torch.nn.Module
        Waveforms ``(batch, samples)`` to features ``(batch, time, feats)``
        (e.g. ``speechbrain.lobes.features.Fbank``). It is copied.
    model : torch.nn.Module
        Features to logits ``(batch, n_classes)``.

    Returns
    -------
    torch.nn.Sequential
        With children ``compute_features`` and ``model``.

    Example
    -------
    >>> from speechbrain.lobes.features import Fbank
    >>> net = with_features(Fbank(n_mels=40), torch.nn.Linear(40, 3))
    >>> net(torch.rand(2, 16000)).shape  # a logit per frame here
    torch.Size([2, 101, 3])
    """
    return torch.nn.Sequential(
        collections.OrderedDict(
            [
                (FEATURES_MODULE, copy.deepcopy(compute_features)),
                ("model", model),
            ]
        )
    )


def export_onnx(
    model,
    path,
    width,
    example_input,
    compute_features=None,
    quantize=False,
    atol=None,
):
    """Export the subnet of ``model`` at ``width`` to an ONNX file.

    The graph takes features ``(batch, time, feats)`` (input ``features``)
    or, when ``compute_features`` is given, waveforms ``(batch, samples)``
    (input ``waveform``, the front end included in the graph); it returns
    ``logits`` ``(batch, n_classes)``. The batch axis is dynamic; the time
    axis is dynamic where the model allows it (a TC-ResNet takes any
    length; a KWT any length up to its ``max_frames``) and fixed to the
    example's length otherwise.

    The float file stores the subnet's parameters and BatchNorm running
    statistics under their PyTorch names (prefixed ``model.`` when the
    front end is included) and no other tensor of the model: their sizes
    add up to ``count_parameters(subnet)`` plus the running statistics
    (graph optimisation is left to onnxruntime, so no tensor is merged or
    renamed). The front end adds its own buffers (``compute_features.*``:
    window, filterbank).

    After export the file is checked with ``onnx.checker`` and run with
    onnxruntime on ``example_input``: a larger difference from PyTorch than
    ``atol`` raises a RuntimeError and removes the file.

    Arguments
    ---------
    model : torch.nn.Module
        A supernet (features to logits).
    path : str or os.PathLike
        The ``.onnx`` file to write.
    width : float
        The width to cut.
    example_input : torch.Tensor
        One input with batch 1: features, or a waveform when
        ``compute_features`` is given.
    compute_features : torch.nn.Module, optional
        The feature front end to include (waveform in).
    quantize : bool
        Write an int8 file instead (onnxruntime dynamic quantisation, see
        :func:`quantize_onnx`); the float graph is still checked first.
    atol : float, optional
        Largest accepted difference on the logits; by default 1e-4 for
        features in and 1e-3 for waveforms in (the ONNX STFT differs from
        torch's by about 1e-3 on log-mel values).

    Returns
    -------
    dict
        ``path``, ``width``, ``params`` (of the subnet), ``input``
        (``"features"`` or ``"waveform"``), ``max_abs_diff`` (float graph
        against PyTorch on the example) and ``quantized``.

    Example
    -------
    >>> from speechbrain_slimmable.nnet.linear import SlimmableLinear
    >>> net = torch.nn.Sequential(
    ...     SlimmableLinear(16, input_size=8, fixed_in=True),
    ...     SlimmableLinear(3, input_size=16, fixed_out=True),
    ... )
    >>> path = getfixture("tmp_path") / "net.onnx"
    >>> report = export_onnx(net, path, 0.25, torch.rand(1, 5, 8))
    >>> report["params"], report["max_abs_diff"] < 1e-4
    (51, True)
    >>> run_onnx(onnx_session(path), torch.rand(4, 7, 8)).shape
    (4, 7, 3)
    """
    onnx, _ = _require_onnx()
    subnet = extract_subnet(model, width).cpu().eval()
    net, name = subnet, "features"
    if compute_features is not None:
        net = with_features(compute_features, subnet).cpu().eval()
        name = "waveform"
    example_input = example_input.cpu()
    if atol is None:
        atol = 1e-4 if compute_features is None else 1e-3
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path}: no folder {folder}")
    # A batch of two avoids torch.export specialising the batch axis to 1.
    traced_input = torch.cat([example_input, example_input])
    dynamic = {0: torch.export.Dim("batch"), 1: torch.export.Dim.AUTO}
    with tempfile.TemporaryDirectory() as tmp:
        float_path = os.path.join(tmp, "float.onnx") if quantize else path
        with torch.no_grad():
            torch.onnx.export(
                net,
                (traced_input,),
                float_path,
                input_names=[name],
                output_names=["logits"],
                dynamic_shapes=(dynamic,),
                dynamo=True,
                external_data=False,
                optimize=False,
                verbose=False,
            )
            expected = net(example_input).numpy()
        onnx.save(_tidy(onnx.load(float_path)), float_path)
        onnx.checker.check_model(float_path)
        output = run_onnx(onnx_session(float_path), example_input)
        max_abs_diff = float(abs(output - expected).max())
        if not max_abs_diff <= atol:
            os.remove(float_path)
            raise RuntimeError(
                f"the ONNX graph of width {width} differs from PyTorch by "
                f"{max_abs_diff:.3g} (tolerance {atol:g}): not written"
            )
        if quantize:
            quantize_onnx(float_path, path)
    return {
        "path": path,
        "width": width,
        "params": count_parameters(subnet),
        "input": name,
        "max_abs_diff": max_abs_diff,
        "quantized": bool(quantize),
    }


def quantize_onnx(source, path):
    """Write an int8 copy of an exported float graph.

    Uses onnxruntime's dynamic quantisation (int8 weights, activations
    quantised on the fly) after onnxscript's graph optimiser. The feature
    front end, if the graph has one, stays in float: quantising the power
    spectrum to 8 bits would wreck the log-mel features. What this costs in
    accuracy is for the evaluation to measure (``speechbrain-slimmable eval
    --onnx``).

    Arguments
    ---------
    source : str or os.PathLike
        A float ``.onnx`` file written by :func:`export_onnx`.
    path : str or os.PathLike
        The int8 file to write.

    Example
    -------
    >>> net = torch.nn.Linear(8, 3)
    >>> folder = getfixture("tmp_path")
    >>> _ = export_onnx(net, folder / "f.onnx", 1.0, torch.rand(1, 5, 8))
    >>> quantize_onnx(folder / "f.onnx", folder / "q.onnx")
    >>> run_onnx(onnx_session(folder / "q.onnx"), torch.rand(2, 5, 8)).shape
    (2, 5, 3)
    """
    onnx, _ = _require_onnx()
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxscript import optimizer

    graph = optimizer.optimize(onnx.load(os.fspath(source)))
    front_end = [node.name for node in graph.graph.node if _in_front_end(node)]
    quantize_dynamic(
        graph,
        os.fspath(path),
        weight_type=QuantType.QInt8,
        nodes_to_exclude=front_end,
    )


def onnx_session(path):
    """An onnxruntime CPU session for an ONNX file.

    Warnings of onnxruntime's graph optimiser (e.g. on ``CastLike`` nodes it
    cannot fold) are not printed.
    """
    _, onnxruntime = _require_onnx()
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(
        os.fspath(path), options, providers=["CPUExecutionProvider"]
    )


def run_onnx(session, inputs):
    """Run an onnxruntime session on a tensor; returns a numpy array."""
    name = session.get_inputs()[0].name
    return session.run(None, {name: inputs.detach().cpu().numpy()})[0]


def _tidy(model):
    """Drop the exporter's metadata, keep each node's module in its name.

    The metadata (stack traces naming local files, module classes) makes
    up most of a small model's file; the module path of each node is kept
    as a prefix of its name, e.g. ``model.stem.0.conv/node_Conv_3``.
    """
    for node in model.graph.node:
        for entry in node.metadata_props:
            if entry.key == NAME_SCOPES:
                scopes = ast.literal_eval(entry.value)  # ['', module, ...]
                if len(scopes) > 2 and scopes[0] == "":
                    node.name = f"{scopes[-2]}/{node.name}"
    for item in (
        *model.graph.node,
        *model.graph.input,
        *model.graph.output,
        *model.graph.value_info,
        *model.graph.initializer,
    ):
        del item.metadata_props[:]
    return model


def _in_front_end(node):
    """Whether ``node`` belongs to the feature front end (by its name)."""
    module = node.name.split("/")[0]
    return module.split(".")[0] == FEATURES_MODULE and "/" in node.name


def _require_onnx():
    """Import onnx and onnxruntime, or say which extra installs them."""
    try:
        import onnx
        import onnxruntime
        import onnxscript  # noqa: F401 (torch's dynamo exporter needs it)
    except ImportError as error:
        raise ImportError(
            f"ONNX export needs {error.name}: pip install "
            "speechbrain-slimmable[onnx]"
        ) from None
    return onnx, onnxruntime
