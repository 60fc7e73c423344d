"""Slimmable 1-D and 2-D convolutions (plain, grouped and depthwise).

Each SpeechBrain convolution keeps its own padding and ``(batch, time,
channels)`` layout; only its inner torch convolution is replaced by a sliced
one. A depthwise convolution (``groups == in == out``) keeps one group per
active channel; other grouped convolutions keep their number of groups and
slim every group alike.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch
import torch.nn.functional as F
from speechbrain.nnet.CNN import Conv1d, Conv2d

from speechbrain_slimmable.nnet.channels import SlicedChannels, take_channels


class SlicedConvMixin(SlicedChannels):
    """Slicing shared by :class:`SlicedConv1d` and :class:`SlicedConv2d`."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        fixed_in=False,
        fixed_out=False,
        divisor=1,
        **kwargs,
    ):
        super().__init__(in_channels, out_channels, kernel_size, **kwargs)
        # Depthwise convolutions slim their groups with their channels.
        self.depthwise = (
            self.groups == self.in_channels == self.out_channels
            and self.groups > 1
        )
        splits = 1 if self.depthwise else self.groups
        self.init_channels(
            self.in_channels,
            self.out_channels,
            fixed_in,
            fixed_out,
            in_splits=splits,
            out_splits=splits,
            divisor=divisor,
        )
        if self.depthwise and fixed_in != fixed_out:
            raise ValueError("a depthwise convolution slims in and out alike")

    def active_groups(self):
        """Groups used at the current width."""
        return self.active_in() if self.depthwise else self.groups

    def active_weights(self):
        """Return the weight and bias slices active at the current width."""
        out = self.active_out()
        splits = self.out_splits
        weight = take_channels(self.weight, 0, out, splits)
        weight = weight.narrow(1, 0, self.active_in() // self.active_groups())
        bias = self.bias
        if bias is not None:
            bias = take_channels(bias, 0, out, splits)
        return weight, bias

    def conv_forward(self, x, conv):
        """Run the functional ``conv`` with the active slices on ``x``."""
        self.check_input(x, 1)
        padding = self.padding
        if self.padding_mode != "zeros":
            x = F.pad(
                x, self._reversed_padding_repeated_twice, self.padding_mode
            )
            padding = 0
        weight, bias = self.active_weights()
        return conv(
            x,
            weight,
            bias,
            self.stride,
            padding,
            self.dilation,
            self.active_groups(),
        )

    def to_static(self):
        """Return a plain torch convolution holding the active weights."""
        weight, bias = self.active_weights()
        static = self.static_class(
            self.active_in(),
            weight.shape[0],
            self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.active_groups(),
            bias=bias is not None,
            padding_mode=self.padding_mode,
            device=weight.device,
            dtype=weight.dtype,
        )
        static.weight.data.copy_(weight.detach())
        if bias is not None:
            static.bias.data.copy_(bias.detach())
        return static


class SlicedConv1d(SlicedConvMixin, torch.nn.Conv1d):
    """A ``torch.nn.Conv1d`` (input ``(batch, channels, time)``) that slims.

    Arguments
    ---------
    in_channels, out_channels : int
        Channels at width 1.0.
    kernel_size : int
        Kernel size.
    fixed_in, fixed_out : bool
        Keep the input or output at full size.
    divisor : int
        Active channels (per group) are a multiple of this.
    **kwargs
        Other arguments of ``torch.nn.Conv1d``.

    Example
    -------
    >>> conv = SlicedConv1d(8, 8, 3, groups=8)
    >>> conv.set_width(0.5)
    >>> conv(torch.rand(2, 4, 20)).shape
    torch.Size([2, 4, 18])
    >>> conv.to_static()
    Conv1d(4, 4, kernel_size=(3,), stride=(1,), groups=4)
    """

    static_class = torch.nn.Conv1d

    def forward(self, x):
        """Convolve ``x`` of shape ``(batch, channels, time)``."""
        return self.conv_forward(x, F.conv1d)


class SlicedConv2d(SlicedConvMixin, torch.nn.Conv2d):
    """A ``torch.nn.Conv2d`` (input ``(batch, channels, H, W)``) that slims.

    Arguments
    ---------
    in_channels, out_channels : int
        Channels at width 1.0.
    kernel_size : int or tuple
        Kernel size.
    fixed_in, fixed_out : bool
        Keep the input or output at full size.
    divisor : int
        Active channels (per group) are a multiple of this.
    **kwargs
        Other arguments of ``torch.nn.Conv2d``.

    Example
    -------
    >>> conv = SlicedConv2d(1, 16, 3, fixed_in=True)
    >>> conv.set_width(0.25)
    >>> conv(torch.rand(2, 1, 10, 10)).shape
    torch.Size([2, 4, 8, 8])
    """

    static_class = torch.nn.Conv2d

    def forward(self, x):
        """Convolve ``x`` of shape ``(batch, channels, H, W)``."""
        return self.conv_forward(x, F.conv2d)


def _sliced_copy(conv, sliced_class, fixed_in, fixed_out, divisor):
    """Build a sliced twin of the torch convolution ``conv``, same weights."""
    sliced = sliced_class(
        conv.in_channels,
        conv.out_channels,
        conv.kernel_size,
        fixed_in=fixed_in,
        fixed_out=fixed_out,
        divisor=divisor,
        stride=conv.stride,
        padding=conv.padding,
        dilation=conv.dilation,
        groups=conv.groups,
        bias=conv.bias is not None,
        padding_mode=conv.padding_mode,
    )
    sliced.load_state_dict(conv.state_dict())
    return sliced


class SlimmableConv1d(Conv1d):
    """SpeechBrain's ``Conv1d`` (input ``(batch, time, channels)``) that slims.

    Takes every argument of ``speechbrain.nnet.CNN.Conv1d`` plus
    ``fixed_in``, ``fixed_out`` and ``divisor`` (see :class:`SlicedConv1d`).
    Weight normalisation is not supported.

    Arguments
    ---------
    out_channels : int
        Output channels at width 1.0.
    kernel_size : int
        Kernel size.
    fixed_in, fixed_out : bool
        Keep the input or output at full size.
    divisor : int
        Active channels are a multiple of this.
    **kwargs
        Arguments of SpeechBrain's ``Conv1d`` (``input_shape`` or
        ``in_channels``, ``stride``, ``padding``, ``groups``...).

    Example
    -------
    >>> from speechbrain_slimmable import set_width
    >>> conv = SlimmableConv1d(64, 3, in_channels=40, fixed_in=True)
    >>> _ = set_width(conv, 0.5)
    >>> conv(torch.rand(2, 101, 40)).shape
    torch.Size([2, 101, 32])
    """

    def __init__(
        self,
        out_channels,
        kernel_size,
        fixed_in=False,
        fixed_out=False,
        divisor=1,
        **kwargs,
    ):
        if kwargs.get("weight_norm"):
            raise ValueError("SlimmableConv1d does not support weight_norm")
        super().__init__(out_channels, kernel_size, **kwargs)
        self.conv = _sliced_copy(
            self.conv, SlicedConv1d, fixed_in, fixed_out, divisor
        )


class SlimmableConv2d(Conv2d):
    """SpeechBrain's ``Conv2d`` (input ``(batch, time, freq, channels)``).

    Takes every argument of ``speechbrain.nnet.CNN.Conv2d`` plus
    ``fixed_in``, ``fixed_out`` and ``divisor`` (see :class:`SlicedConv2d`).

    Arguments
    ---------
    out_channels : int
        Output channels at width 1.0.
    kernel_size : tuple
        Kernel size (time, frequency).
    fixed_in, fixed_out : bool
        Keep the input or output at full size.
    divisor : int
        Active channels are a multiple of this.
    **kwargs
        Arguments of SpeechBrain's ``Conv2d``.

    Example
    -------
    >>> from speechbrain_slimmable import set_width
    >>> conv = SlimmableConv2d(16, (3, 3), input_shape=(2, 101, 40, 16),
    ...                        groups=16)
    >>> _ = set_width(conv, 0.5)
    >>> conv(torch.rand(2, 101, 40, 8)).shape
    torch.Size([2, 101, 40, 8])
    """

    def __init__(
        self,
        out_channels,
        kernel_size,
        fixed_in=False,
        fixed_out=False,
        divisor=1,
        **kwargs,
    ):
        if kwargs.get("weight_norm"):
            raise ValueError("SlimmableConv2d does not support weight_norm")
        super().__init__(out_channels, kernel_size, **kwargs)
        self.conv = _sliced_copy(
            self.conv, SlicedConv2d, fixed_in, fixed_out, divisor
        )
