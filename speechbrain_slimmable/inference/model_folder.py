"""The path that model folders published before ``inference/`` was grouped
by concern name in their ``hyperparams.yaml``
(``speechbrain_slimmable.inference.model_folder.EncoderClassifierHint``), so
that they keep loading unchanged; the module is
:mod:`speechbrain_slimmable.inference.serving.model_folder`.

Example
-------
>>> EncoderClassifierHint.__module__
'speechbrain_slimmable.inference.serving.model_folder'
"""

from speechbrain_slimmable.inference.serving.model_folder import (
    EncoderClassifierHint,
)

__all__ = ["EncoderClassifierHint"]
