"""Slimmable fully connected layer.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch
import torch.nn.functional as F
from speechbrain.nnet.linear import Linear

from speechbrain_slimmable.nnet.channels import SlicedChannels, plain_layer


class SlicedLinear(SlicedChannels, torch.nn.Linear):
    """A ``torch.nn.Linear`` that uses ``weight[:out, :in]`` at its width.

    Arguments
    ---------
    in_features : int
        Input features at width 1.0.
    out_features : int
        Output features at width 1.0.
    bias : bool
        If True, learn an additive bias.
    fixed_in, fixed_out : bool
        Keep the input (first layer) or output (classifier) at full size.
    in_splits, out_splits : int
        Number of equal blocks that slim separately (e.g. attention heads).

    Example
    -------
    >>> layer = SlicedLinear(8, 6, out_splits=2)
    >>> layer.set_width(0.5)
    >>> layer(torch.rand(3, 4)).shape
    torch.Size([3, 4])
    >>> layer.to_static()
    Linear(in_features=4, out_features=4, bias=True)
    """

    def __init__(
        self,
        in_features,
        out_features,
        bias=True,
        fixed_in=False,
        fixed_out=False,
        in_splits=1,
        out_splits=1,
    ):
        super().__init__(in_features, out_features, bias=bias)
        self.init_channels(
            in_features,
            out_features,
            fixed_in,
            fixed_out,
            in_splits,
            out_splits,
        )

    def slices(self):
        """Rows follow the output, columns the input channels."""
        out = (self.active_out(), self.out_splits)
        return {
            "weight": (out, (self.active_in(), self.in_splits)),
            "bias": (out,),
        }

    def forward(self, x):
        """Apply the active slice to ``x`` of shape ``(..., in)``."""
        active = self.active_tensors()
        weight = active["weight"]
        self.check_input(x, -1, weight.shape[1])
        return F.linear(x, weight, active.get("bias"))

    def to_static(self):
        """Return a plain ``torch.nn.Linear`` holding the active weights."""
        active = self.cut_tensors()
        out_features, in_features = active["weight"].shape
        return plain_layer(
            torch.nn.Linear,
            active,
            in_features=in_features,
            out_features=out_features,
            bias="bias" in active,
        )


class SlimmableLinear(Linear):
    """SpeechBrain's ``Linear`` whose input and output features slim.

    Takes the arguments of ``speechbrain.nnet.linear.Linear`` and the slimming
    arguments of :class:`SlicedLinear`; ``self.w`` is a :class:`SlicedLinear`.

    Arguments
    ---------
    n_neurons : int
        Output features at width 1.0.
    input_shape : tuple, optional
        Shape of the input at width 1.0.
    input_size : int, optional
        Input features at width 1.0.
    bias : bool
        If True, learn an additive bias.
    fixed_in, fixed_out : bool
        Keep the input or output at full size.
    in_splits, out_splits : int
        Number of equal blocks that slim separately.
    **kwargs
        Other arguments of SpeechBrain's ``Linear`` (``max_norm``,
        ``combine_dims``).

    Example
    -------
    >>> from speechbrain_slimmable import set_width
    >>> lin = SlimmableLinear(n_neurons=12, input_size=40, fixed_in=True)
    >>> _ = set_width(lin, 0.25)
    >>> lin(torch.rand(2, 101, 40)).shape
    torch.Size([2, 101, 3])
    """

    def __init__(
        self,
        n_neurons,
        input_shape=None,
        input_size=None,
        bias=True,
        fixed_in=False,
        fixed_out=False,
        in_splits=1,
        out_splits=1,
        **kwargs,
    ):
        super().__init__(
            n_neurons,
            input_shape=input_shape,
            input_size=input_size,
            bias=bias,
            **kwargs,
        )
        self.w = SlicedLinear(
            self.w.in_features,
            n_neurons,
            bias=bias,
            fixed_in=fixed_in,
            fixed_out=fixed_out,
            in_splits=in_splits,
            out_splits=out_splits,
        )
