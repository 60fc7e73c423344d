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

import collections
import os
import tempfile

import torch

from speechbrain_slimmable import __version__
from speechbrain_slimmable.inference.export.graph import (
    FEATURES_MODULE,
    name_time_axis,
    tidy,
    with_metadata,
    without_zero_biases,
)
from speechbrain_slimmable.inference.export.runtime import (
    onnx_session,
    quantize_onnx,
    require_onnx,
    run_onnx,
)
from speechbrain_slimmable.inference.serving.fbank import inference_front_end
from speechbrain_slimmable.supernet.extract import extract_subnet
from speechbrain_slimmable.supernet.profile import count_parameters
from speechbrain_slimmable.utils.quiet import muted

TIME_AXES = {"waveform": "samples", "features": "frames"}


def with_features(compute_features, model, for_onnx=False):
    """Chain a feature front end and a model: waveform in, logits out.

    Arguments
    ---------
    compute_features : torch.nn.Module
        Waveforms ``(batch, samples)`` to features ``(batch, time, feats)``
        (e.g. ``speechbrain.lobes.features.Fbank``). It is copied, with
        SpeechBrain's ``Fbank`` made a
        :class:`~speechbrain_slimmable.inference.serving.fbank.PrecomputedFbank`
        (the same features, its filterbank computed once).
    model : torch.nn.Module
        Features to logits ``(batch, n_classes)``.
    for_onnx : bool
        The chain is for an ONNX graph: the ``Fbank``'s power spectrum is
        a convolution, the faster in onnxruntime (see
        :func:`~speechbrain_slimmable.inference.serving.fbank.inference_front_end`).

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
    :class:`~speechbrain_slimmable.inference.serving.fbank.ConvolutionalPowerSpectrum`).

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
    onnx, _ = require_onnx()
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
        graph = without_zero_biases(tidy(onnx.load(float_path)))
        name_time_axis(graph, TIME_AXES[name])
        onnx.save(with_metadata(graph, metadata), float_path)
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
