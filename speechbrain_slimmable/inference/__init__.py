"""Deployment: the pretrained interface, model folders, ONNX, detection.

``SlimmableKWSClassifier`` (a ``speechbrain.inference.Pretrained``) is the
documented entry point; ``export`` writes ONNX files, ``detection``,
``events`` and ``detector`` find keywords in long audio.

Example
-------
>>> from speechbrain_slimmable.inference import SlimmableKWSClassifier
>>> SlimmableKWSClassifier.__module__
'speechbrain_slimmable.inference.classifier'
"""

from speechbrain_slimmable.inference.classifier import SlimmableKWSClassifier

__all__ = ["SlimmableKWSClassifier"]
