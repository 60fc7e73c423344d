"""Per-utterance normalisation of features, part of the model's front end.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch


class UtteranceNormalization(torch.nn.Module):
    """Normalise each utterance's features to zero mean and unit variance.

    Statistics are taken over time, per feature (mel bin), for every clip
    on its own, so the model does not see the recording level or the
    microphone's colouring. Unlike SpeechBrain's ``InputNormalization``
    (which loops over the batch and keeps running statistics) it has no
    state and exports to ONNX as a few element-wise operations, so the
    exported front end normalises exactly as training did.

    Arguments
    ---------
    eps : float
        Added to the standard deviation.

    Example
    -------
    >>> norm = UtteranceNormalization()
    >>> feats = torch.rand(2, 101, 40) * 5 + 3
    >>> out = norm(feats)
    >>> out.shape
    torch.Size([2, 101, 40])
    >>> bool(out.mean(dim=1).abs().max() < 1e-5)
    True
    """

    def __init__(self, eps=1e-5):
        super().__init__()
        self.eps = eps

    def forward(self, features):
        """Normalise ``features`` of shape ``(batch, time, feats)``."""
        mean = features.mean(dim=1, keepdim=True)
        std = features.std(dim=1, keepdim=True)
        return (features - mean) / (std + self.eps)
