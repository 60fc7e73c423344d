"""The exported ONNX graph tidied: scopes, zero biases, axes, metadata.

What :func:`~speechbrain_slimmable.inference.export.onnx.export_onnx` does
to the graph torch's exporter writes before saving it.

Authors
 * speechbrain-slimmable developers 2026
"""

import ast
import json
import re

import numpy

FEATURES_MODULE = "compute_features"
NAME_SCOPES = "pkg.torch.onnx.name_scopes"


def tidy(model):
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


def without_zero_biases(model):
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


def name_time_axis(model, name):
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


def with_metadata(model, metadata):
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


def front_end_nodes(graph):
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
