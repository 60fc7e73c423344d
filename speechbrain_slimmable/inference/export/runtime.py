"""Running and quantizing exported ONNX files with onnxruntime.

Needs the ``onnx`` extra: ``pip install speechbrain-slimmable[onnx]``.

Authors
 * speechbrain-slimmable developers 2026
"""

import os

from speechbrain_slimmable.inference.export.graph import front_end_nodes
from speechbrain_slimmable.utils.quiet import muted

# Largest constant (elements) the int8 conversion folds into the file.
FOLDED_SIZE_LIMIT = 8192


def require_onnx():
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
    >>> import torch
    >>> from speechbrain_slimmable.inference.export import export_onnx
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
    onnx, _ = require_onnx()
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxscript import optimizer

    # Constants are folded up to a size: the front end's DFT basis stays
    # the small subgraph it is in the float file (onnxruntime folds it when
    # it loads the file), not 100k stored numbers.
    graph = optimizer.optimize(
        onnx.load(os.fspath(source)), output_size_limit=FOLDED_SIZE_LIMIT
    )
    front_end = front_end_nodes(graph.graph)
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
    _, onnxruntime = require_onnx()
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
