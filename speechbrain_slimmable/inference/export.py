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
import json
import os
import re
import tempfile

import numpy
import torch

from speechbrain_slimmable import __version__
from speechbrain_slimmable.inference.fbank import inference_front_end
from speechbrain_slimmable.supernet.extract import extract_subnet
from speechbrain_slimmable.supernet.profile import count_parameters
from speechbrain_slimmable.utils.quiet import muted

FEATURES_MODULE = "compute_features"
NAME_SCOPES = "pkg.torch.onnx.name_scopes"
TIME_AXES = {"waveform": "samples", "features": "frames"}
# Largest constant (elements) the int8 conversion folds into the file.
FOLDED_SIZE_LIMIT = 8192


def with_features(compute_features, model, for_onnx=False):
    """Chain a feature front end and a model: waveform in, logits out.

    Arguments
    ---------
    compute_features : torch.nn.Module
        Waveforms ``(batch, samples)`` to features ``(batch, time, feats)``
        (e.g. ``speechbrain.lobes.features.Fbank``). It is copied, with
        SpeechBrain's ``Fbank`` made a
        :class:`~speechbrain_slimmable.inference.fbank.PrecomputedFbank`
        (the same features, its filterbank computed once).
    model : torch.nn.Module
        Features to logits ``(batch, n_classes)``.
    for_onnx : bool
        The chain is for an ONNX graph: the ``Fbank``'s power spectrum is
        a convolution, the faster in onnxruntime (see
        :func:`~speechbrain_slimmable.inference.fbank.inference_front_end`).

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
                (
                    FEATURES_MODULE,
                    inference_front_end(compute_features, for_onnx=for_onnx),
                ),
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
    metadata=None,
):
    """Export the subnet of ``model`` at ``width`` to an ONNX file.

    The graph takes features ``(batch, frames, feats)`` (input
    ``features``) or, when ``compute_features`` is given, waveforms
    ``(batch, samples)`` (input ``waveform``, the front end included in the
    graph); it returns ``logits`` ``(batch, n_classes)``. The batch axis is
    dynamic and named ``batch``; the time axis is dynamic where the model
    allows it (a TC-ResNet takes any length; a KWT any length up to its
    ``max_frames``), then named ``samples`` or ``frames``, and fixed to the
    example's length otherwise.

    The file's ``metadata_props`` hold ``width``, ``input``
    (``"waveform"`` or ``"features"``), ``precision`` (``"float32"`` or
    ``"int8"``, see :func:`quantize_onnx`), ``speechbrain_slimmable_version``
    and the entries of
    ``metadata``; onnxruntime reads them as
    ``session.get_modelmeta().custom_metadata_map``.

    The float file stores the subnet's parameters and BatchNorm running
    statistics under their PyTorch names (prefixed ``model.`` when the
    front end is included) and no other tensor of the model: their sizes
    add up to ``count_parameters(subnet)`` plus the running statistics
    (graph optimisation is left to onnxruntime, so no tensor is merged or
    renamed). The front end adds its own buffers (``compute_features.*``:
    SpeechBrain's ``Fbank`` its DFT basis and filterbank, computing its
    power spectrum as a convolution, see
    :class:`~speechbrain_slimmable.inference.fbank.ConvolutionalPowerSpectrum`).

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
        :func:`quantize_onnx`); the float graph is still checked first,
        then the int8 file is run on the example too.
    atol : float, optional
        Largest accepted difference on the logits; by default 1e-4 for
        features in and 1e-3 for waveforms in (a front end other than
        SpeechBrain's ``Fbank`` keeps its STFT, which onnxruntime computes
        with a DFT differing from torch's by about 1e-3 on log-mel values at
        ``n_fft=400``).
    metadata : dict, optional
        More ``metadata_props`` entries, e.g. ``labels`` or
        ``sample_rate``; a value that is not a string is written as JSON.

    Returns
    -------
    dict
        ``path``, ``width``, ``params`` (of the subnet), ``input``
        (``"features"`` or ``"waveform"``), ``max_abs_diff`` (the float
        graph against PyTorch on the example) and ``quantized``; for an
        int8 file also ``int8_max_abs_diff`` (the written int8 file against
        PyTorch on the example) and ``int8_same_top1`` (whether its top-1
        class equals PyTorch's on the example).

    Example
    -------
    >>> from speechbrain_slimmable.nnet.linear import SlimmableLinear
    >>> net = torch.nn.Sequential(
    ...     SlimmableLinear(16, input_size=8, fixed_in=True),
    ...     SlimmableLinear(3, input_size=16, fixed_out=True),
    ... )
    >>> path = getfixture("tmp_path") / "net.onnx"
    >>> report = export_onnx(net, path, 0.25, torch.rand(1, 5, 8),
    ...     metadata={"labels": ["yes", "no", "up"]})
    >>> report["params"], report["max_abs_diff"] < 1e-4
    (51, True)
    >>> session = onnx_session(path)
    >>> run_onnx(session, torch.rand(4, 7, 8)).shape
    (4, 7, 3)
    >>> meta = session.get_modelmeta().custom_metadata_map
    >>> meta["width"], meta["input"], meta["labels"]
    ('0.25', 'features', '["yes", "no", "up"]')
    >>> import onnx
    >>> [d.dim_param for d in onnx.load(path).graph.input[0].type
    ...     .tensor_type.shape.dim][:2]
    ['batch', 'frames']
    """
    onnx, _ = _require_onnx()
    subnet = extract_subnet(model, width).cpu().eval()
    net, name = subnet, "features"
    if compute_features is not None:
        net = with_features(compute_features, subnet, for_onnx=True)
        net = net.cpu().eval()
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
    metadata = {
        "width": width,
        "input": name,
        "precision": "float32",
        "speechbrain_slimmable_version": __version__,
        **(metadata or {}),
    }
    with tempfile.TemporaryDirectory() as tmp:
        float_path = os.path.join(tmp, "float.onnx") if quantize else path
        # torch lists the torchvision ops it skips, on every export.
        skipped_ops = muted(
            "torch.onnx._internal.exporter._registration",
            "torchvision is not installed",
        )
        with torch.no_grad(), skipped_ops:
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
        graph = _without_zero_biases(_tidy(onnx.load(float_path)))
        _name_time_axis(graph, TIME_AXES[name])
        onnx.save(_with_metadata(graph, metadata), float_path)
        onnx.checker.check_model(float_path)
        output = run_onnx(onnx_session(float_path), example_input)
        max_abs_diff = float(abs(output - expected).max())
        if not max_abs_diff <= atol:
            os.remove(float_path)
            raise RuntimeError(
                f"the ONNX graph of width {width} differs from PyTorch by "
                f"{max_abs_diff:.3g} (tolerance {atol:g}): not written"
            )
        report = {
            "path": path,
            "width": width,
            "params": count_parameters(subnet),
            "input": name,
            "max_abs_diff": max_abs_diff,
            "quantized": bool(quantize),
        }
        if quantize:
            quantize_onnx(float_path, path)
            output = run_onnx(onnx_session(path), example_input)
            report["int8_max_abs_diff"] = float(abs(output - expected).max())
            same = output.argmax(-1) == expected.argmax(-1)
            report["int8_same_top1"] = bool(same.all())
    return report


def quantize_onnx(source, path):
    """Write an int8 copy of an exported float graph.

    Uses onnxruntime's dynamic quantisation (int8 weights, activations
    quantised on the fly) after onnxscript's graph optimiser. The feature
    front end, if the graph has one, stays in float: quantising the power
    spectrum to 8 bits would wreck the log-mel features. What this costs in
    accuracy is for the evaluation to measure (``speechbrain-slimmable eval
    --onnx``). The copy keeps the file's ``metadata_props``, with
    ``precision`` set to ``"int8"``.

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
    >>> session = onnx_session(folder / "q.onnx")
    >>> run_onnx(session, torch.rand(2, 5, 8)).shape
    (2, 5, 3)
    >>> session.get_modelmeta().custom_metadata_map["precision"]
    'int8'
    """
    onnx, _ = _require_onnx()
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxscript import optimizer

    # Constants are folded up to a size: the front end's DFT basis stays
    # the small subgraph it is in the float file (onnxruntime folds it when
    # it loads the file), not 100k stored numbers.
    graph = optimizer.optimize(
        onnx.load(os.fspath(source)), output_size_limit=FOLDED_SIZE_LIMIT
    )
    front_end = _front_end_nodes(graph.graph)
    # onnxruntime's hint to run its pre-processing (graph optimisation,
    # shape inference) first: the graph was just optimised.
    with muted("root", "Please consider to run pre-processing"):
        quantize_dynamic(
            graph,
            os.fspath(path),
            weight_type=QuantType.QInt8,
            nodes_to_exclude=front_end,
        )
    quantized = onnx.load(os.fspath(path))
    for entry in quantized.metadata_props:
        if entry.key == "precision":
            entry.value = "int8"
    onnx.save(quantized, os.fspath(path))


def onnx_session(path, threads=None):
    """An onnxruntime CPU session for an ONNX file.

    Warnings of onnxruntime's graph optimiser (e.g. on ``CastLike`` nodes it
    cannot fold) are not printed.

    Arguments
    ---------
    path : str or os.PathLike
        The ONNX file.
    threads : int, optional
        Threads of the session (default: onnxruntime's, one per core); 1
        for latencies comparable with PyTorch on one thread.
    """
    _, onnxruntime = _require_onnx()
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
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


def _without_zero_biases(model):
    """Drop the zero biases the exporter gives a convolution without one.

    ``torch.onnx`` writes ``conv1d(x, w, bias=None)`` as a ``Conv`` whose
    bias is ``Expand(CastLike(0.0, x), shape)``, computed on every call
    (onnxruntime does not fold it: it depends on ``x``), which also keeps
    onnxruntime from fusing the ``BatchNormalization`` after it into the
    convolution. ``Conv``'s bias is optional: without it the values are the
    same and the nodes that only computed it are removed.
    """
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    producers = _producers(graph)

    def is_zero_scalar(name):
        node = producers.get(name)
        while node is not None and node.op_type in ("Cast", "CastLike"):
            node = producers.get(node.input[0])
        if node is None or node.op_type != "Constant":
            return False
        value = helper.get_attribute_value(node.attribute[0])
        if isinstance(value, TensorProto):
            value = numpy_helper.to_array(value)
        return numpy.size(value) == 1 and not numpy.any(value)

    for node in graph.node:
        if node.op_type == "Conv" and len(node.input) == 3:
            bias = producers.get(node.input[2])
            if bias is not None and bias.op_type == "Expand":
                if is_zero_scalar(bias.input[0]):
                    del node.input[2]
    # Remove what no longer feeds anything, until nothing changes.
    while True:
        used = {name for node in graph.node for name in node.input}
        used |= {output.name for output in graph.output}
        dead = [
            node
            for node in graph.node
            if not any(out in used for out in node.output)
        ]
        if not dead:
            return model
        for node in dead:
            graph.node.remove(node)


def _name_time_axis(model, name):
    """Name the input's dynamic time axis ``name`` in every shape.

    The exporter calls it ``s<n>`` and writes the shapes that depend on it
    as expressions such as ``((s81//320)) + 1``: the symbol is renamed in
    each of them.
    """
    time_axis = model.graph.input[0].type.tensor_type.shape.dim[1]
    if not time_axis.dim_param:  # a fixed length
        return
    symbol = re.compile(rf"\b{re.escape(time_axis.dim_param)}\b")
    for value in (
        *model.graph.input,
        *model.graph.output,
        *model.graph.value_info,
    ):
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param:
                dim.dim_param = symbol.sub(name, dim.dim_param)


def _with_metadata(model, metadata):
    """``model`` with ``metadata_props`` replaced by ``metadata``.

    Strings are written as they are, other values as JSON.
    """
    del model.metadata_props[:]
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key = key
        entry.value = value if isinstance(value, str) else json.dumps(value)
    return model


def _in_front_end(node):
    """Whether ``node`` belongs to the feature front end (by its name)."""
    module = node.name.split("/")[0]
    return module.split(".")[0] == FEATURES_MODULE and "/" in node.name


def _front_end_nodes(graph):
    """Names of the front end's nodes: those named after it, and every node
    they depend on (the graph optimiser names the nodes it makes anew,
    e.g. a ``Pad`` fused into the ``Conv`` of the power spectrum)."""
    producers = _producers(graph)
    found = {}
    pending = [node for node in graph.node if _in_front_end(node)]
    while pending:
        node = pending.pop()
        if node.name not in found:
            found[node.name] = node
            pending += [producers[i] for i in node.input if i in producers]
    return list(found)


def _producers(graph):
    """Each value name of an ONNX graph to the node that outputs it."""
    return {out: node for node in graph.node for out in node.output}


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
