"""Deployment, grouped by concern.

``serving``: ``SlimmableKWSClassifier`` (a ``speechbrain.inference.
Pretrained``, the documented entry point) and its model folders;
``export``: ONNX files of one width; ``streaming``: keywords in long audio
and live streams; ``evaluation``: clip accuracy and detection measured
against the truth.

Example
-------
>>> from speechbrain_slimmable.inference import SlimmableKWSClassifier
>>> SlimmableKWSClassifier.__module__
'speechbrain_slimmable.inference.serving.classifier'
"""

from speechbrain_slimmable.inference.serving.classifier import (
    SlimmableKWSClassifier,
)

__all__ = ["SlimmableKWSClassifier"]
