"""Switchable LayerNorm: per-width LayerNorms, or one sliced LayerNorm.

A LayerNorm keeps no statistics: each width of the width list gets its own
affine transform, or, with ``shared_affine=True`` (the setting of every
universal, any-width model), one sliced affine serves any width at once.
The Transformer's twin of :mod:`speechbrain_slimmable.nnet.normalization`.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch
import torch.nn.functional as F
from speechbrain.nnet.normalization import LayerNorm

from speechbrain_slimmable.nnet.channels import SlicedChannels, plain_layer
from speechbrain_slimmable.nnet.width import check_width_list


class SlicedLayerNorm(SlicedChannels, torch.nn.Module):
    """LayerNorm over the last dim with one LayerNorm per width.

    With ``shared_affine=True`` one affine transform is shared and sliced,
    so any width in (0, 1] is served (a LayerNorm keeps no statistics).

    Arguments
    ---------
    num_features : int
        Features at width 1.0.
    widths : list of float
        The widths served, each with its own LayerNorm (unless shared).
    shared_affine : bool
        Share one sliced LayerNorm across any width.
    eps : float
        Added to the variance.

    Example
    -------
    >>> norm = SlicedLayerNorm(8, [1.0, 0.5])
    >>> norm.set_width(0.5)
    >>> norm(torch.rand(2, 5, 4)).shape
    torch.Size([2, 5, 4])
    >>> norm.to_static().normalized_shape
    (4,)
    """

    def __init__(
        self, num_features, widths=(1.0,), shared_affine=False, eps=1e-5
    ):
        super().__init__()
        self.init_channels(num_features, num_features)
        self.num_features = num_features
        self.shared_affine, self.eps = shared_affine, eps
        if shared_affine:
            self.weight = torch.nn.Parameter(torch.ones(num_features))
            self.bias = torch.nn.Parameter(torch.zeros(num_features))
        else:
            self.widths = check_width_list(widths)
            self.norms = torch.nn.ModuleList(
                torch.nn.LayerNorm(self.active_out(w), eps=eps)
                for w in self.widths
            )

    def slices(self):
        """The shared affine follows the active features."""
        features = (self.active_out(), 1)
        return {"weight": (features,), "bias": (features,)}

    def active_affine(self):
        """Return the weight and bias of the current width."""
        if self.shared_affine:
            active = self.active_tensors()
            return active["weight"], active["bias"]
        for width, norm in zip(self.widths, self.norms):
            if width == self.width:
                return norm.weight, norm.bias
        raise ValueError(
            f"{type(self).__name__} has no LayerNorm for width {self.width} "
            f"(widths: {self.widths})"
        )

    def forward(self, x):
        """Normalise ``x`` of shape ``(..., features)``."""
        weight, bias = self.active_affine()
        self.check_input(x, -1, weight.shape[0])
        return F.layer_norm(x, weight.shape, weight, bias, self.eps)

    def to_static(self):
        """Return a plain ``torch.nn.LayerNorm`` for the current width."""
        if self.shared_affine:
            state = self.cut_tensors()
        else:
            state = self.norms[self.widths.index(self.width)].state_dict()
        return plain_layer(
            torch.nn.LayerNorm,
            state,
            normalized_shape=state["weight"].shape[0],
            eps=self.eps,
        )


class SwitchableLayerNorm(LayerNorm):
    """SpeechBrain's ``LayerNorm`` with one LayerNorm per width.

    Arguments
    ---------
    input_size : int, optional
        Features at width 1.0.
    input_shape : tuple, optional
        Input shape at width 1.0.
    widths : list of float
        Widths served, each with its own LayerNorm.
    shared_affine : bool
        Share one sliced LayerNorm across any width in (0, 1] instead.
    eps : float
        Added to the variance.

    Example
    -------
    >>> from speechbrain_slimmable import set_width
    >>> norm = SwitchableLayerNorm(64, widths=[1.0, 0.5])
    >>> _ = set_width(norm, 0.5)
    >>> norm(torch.rand(2, 10, 32)).shape
    torch.Size([2, 10, 32])
    """

    def __init__(
        self,
        input_size=None,
        input_shape=None,
        widths=(1.0,),
        shared_affine=False,
        eps=1e-5,
    ):
        super().__init__(input_size, input_shape, eps=eps)
        self.norm = SlicedLayerNorm(
            self.norm.normalized_shape[-1], widths, shared_affine, eps
        )
