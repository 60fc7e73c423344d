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

from speechbrain_slimmable.nnet.channels import SlicedChannels, plain_layer


class SlicedConvMixin(SlicedChannels):
    """Slicing shared by :class:`SlicedConv1d` and :class:`SlicedConv2d`."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        fixed_in=False,
        fixed_out=False,
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
        )
        if self.depthwise and fixed_in != fixed_out:
            raise ValueError("a depthwise convolution slims in and out alike")

    def active_groups(self):
        """Groups used at the current width."""
        return self.active_in() if self.depthwise else self.groups

    def slices(self):
        """Filters follow the output, their depth the input of a group."""
        out = (self.active_out(), self.out_splits)
        depth = (self.active_in() // self.active_groups(), 1)
        return {"weight": (out, depth), "bias": (out,)}

    def conv_forward(self, x, conv):
        """Run the functional ``conv`` with the active slices on ``x``."""
        active = self.active_tensors()
        weight = active["weight"]
        groups = weight.shape[0] if self.depthwise else self.groups
        self.check_input(x, 1, weight.shape[1] * groups)
        padding = self.padding
        if self.padding_mode != "zeros":
            x = F.pad(
                x, self._reversed_padding_repeated_twice, self.padding_mode
            )
            padding = 0
        return conv(
            x,
            weight,
            active.get("bias"),
            self.stride,
            padding,
            self.dilation,
            groups,
        )

    def to_static(self):
        """Return a plain torch convolution holding the active weights."""
        active = self.cut_tensors()
        return plain_layer(
            self.static_class,
            active,
            in_channels=self.active_in(),
            out_channels=active["weight"].shape[0],
            kernel_size=self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            dilation=self.dilation,
            groups=self.active_groups(),
            bias="bias" in active,
            padding_mode=self.padding_mode,
        )


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
    in_channels, out_channels, kernel_size, fixed_in, fixed_out, **kwargs :
        As for :class:`SlicedConv1d`, the kernel size an int or a tuple and
        ``kwargs`` those of ``torch.nn.Conv2d``.

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


class SlimmableConvMixin:
    """Gives a SpeechBrain convolution a sliced inner torch convolution.

    The SpeechBrain class keeps its padding and ``(batch, time, ...,
    channels)`` layout; its ``conv`` becomes an instance of
    ``sliced_class`` with the same weights.
    """

    def __init__(
        self,
        out_channels,
        kernel_size,
        fixed_in=False,
        fixed_out=False,
        **kwargs,
    ):
        if kwargs.get("weight_norm"):
            raise ValueError(
                f"{type(self).__name__} does not support weight_norm"
            )
        super().__init__(out_channels, kernel_size, **kwargs)
        conv = self.conv
        self.conv = self.sliced_class(
            conv.in_channels,
            conv.out_channels,
            conv.kernel_size,
            fixed_in=fixed_in,
            fixed_out=fixed_out,
            stride=conv.stride,
            padding=conv.padding,
            dilation=conv.dilation,
            groups=conv.groups,
            bias=conv.bias is not None,
            padding_mode=conv.padding_mode,
        )
        self.conv.load_state_dict(conv.state_dict())


class SlimmableConv1d(SlimmableConvMixin, Conv1d):
    """SpeechBrain's ``Conv1d`` (input ``(batch, time, channels)``) that slims.

    Takes every argument of ``speechbrain.nnet.CNN.Conv1d`` plus
    ``fixed_in`` and ``fixed_out`` (see :class:`SlicedConv1d`). Weight
    normalisation is not supported.

    Arguments
    ---------
    out_channels : int
        Output channels at width 1.0.
    kernel_size : int
        Kernel size.
    fixed_in, fixed_out : bool
        Keep the input or output at full size.
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

    sliced_class = SlicedConv1d


class SlimmableConv2d(SlimmableConvMixin, Conv2d):
    """SpeechBrain's ``Conv2d`` (input ``(batch, time, freq, channels)``).

    Takes every argument of ``speechbrain.nnet.CNN.Conv2d`` plus
    ``fixed_in`` and ``fixed_out`` (see :class:`SlicedConv2d`).

    Arguments
    ---------
    out_channels : int
        Output channels at width 1.0.
    kernel_size : tuple
        Kernel size (time, frequency).
    fixed_in, fixed_out : bool
        Keep the input or output at full size.
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

    sliced_class = SlicedConv2d
