"""Slimmable fully connected layer.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch
import torch.nn.functional as F
from speechbrain.nnet.linear import Linear

from speechbrain_slimmable.nnet.channels import SlicedChannels, take_channels


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
    divisor : int
        Active channels per block are a multiple of this.

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
        divisor=1,
    ):
        super().__init__(in_features, out_features, bias=bias)
        self.init_channels(
            in_features,
            out_features,
            fixed_in,
            fixed_out,
            in_splits,
            out_splits,
            divisor,
        )

    def active_weights(self):
        """Return the weight and bias slices active at the current width."""
        weight = take_channels(
            self.weight, 0, self.active_out(), self.out_splits
        )
        weight = take_channels(weight, 1, self.active_in(), self.in_splits)
        bias = self.bias
        if bias is not None:
            bias = take_channels(bias, 0, self.active_out(), self.out_splits)
        return weight, bias

    def forward(self, x):
        """Apply the active slice to ``x`` of shape ``(..., in)``."""
        self.check_input(x, -1)
        return F.linear(x, *self.active_weights())

    def to_static(self):
        """Return a plain ``torch.nn.Linear`` holding the active weights."""
        weight, bias = self.active_weights()
        static = torch.nn.Linear(
            weight.shape[1],
            weight.shape[0],
            bias=bias is not None,
            device=weight.device,
            dtype=weight.dtype,
        )
        static.weight.data.copy_(weight.detach())
        if bias is not None:
            static.bias.data.copy_(bias.detach())
        return static


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
    divisor : int
        Active features per block are a multiple of this.
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
        divisor=1,
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
            divisor=divisor,
        )
