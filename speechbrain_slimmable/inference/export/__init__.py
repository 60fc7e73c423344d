"""ONNX export of one width of a supernet, and running the exported file.

``onnx`` exports the subnet at one width (waveform or features in, logits
out); ``graph`` tidies the graph torch writes; ``runtime`` runs and
quantizes the file with onnxruntime.

Example
-------
>>> from speechbrain_slimmable.inference.export import export_onnx
>>> export_onnx.__module__
'speechbrain_slimmable.inference.export.onnx'

Authors
 * speechbrain-slimmable developers 2026
"""

from speechbrain_slimmable.inference.export.onnx import (
    export_onnx,
    with_features,
)
from speechbrain_slimmable.inference.export.runtime import (
    onnx_session,
    quantize_onnx,
    run_onnx,
)

__all__ = [
    "export_onnx",
    "onnx_session",
    "quantize_onnx",
    "run_onnx",
    "with_features",
]
