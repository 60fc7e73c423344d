"""A slimmable temporal-convolution ResNet (TC-ResNet) for keyword spotting.

TC-ResNet (Choi et al., Interspeech 2019) treats the mel bins as channels
and convolves over time only. It suits slimming: every convolution is a 1-D
convolution whose channels slim cleanly, the activations stay small (one
vector per frame), and its accuracy per parameter and per MAC is among the
best of small-footprint KWS CNNs, with a latency that is low on CPUs.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch

from speechbrain_slimmable.nnet.CNN import SlimmableConv1d
from speechbrain_slimmable.nnet.linear import SlimmableLinear
from speechbrain_slimmable.nnet.normalization import SwitchableBatchNorm1d


class ConvNormAct(torch.nn.Sequential):
    """Slimmable 1-D convolution, switchable BatchNorm and optional ReLU.

    Arguments
    ---------
    in_channels, out_channels : int
        Channels at width 1.0.
    kernel_size : int
        Temporal kernel size (odd).
    widths : list of float
        The widths served by the norms.
    stride : int
        Temporal stride.
    activation : bool
        If True, end with a ReLU.
    fixed_in : bool
        Keep the input channels at full size (features).
    shared_affine : bool
        Share the norms' affine transform across widths.
    separable : bool
        Factor the convolution into a depthwise temporal convolution and a
        pointwise (1x1) one: about ``kernel_size`` times fewer parameters
        and MACs, so more channels fit in the same budget.

    Example
    -------
    >>> block = ConvNormAct(40, 16, 3, [1.0, 0.5], fixed_in=True)
    >>> block(torch.rand(2, 101, 40)).shape
    torch.Size([2, 101, 16])
    >>> block = ConvNormAct(16, 24, 9, [1.0, 0.5], stride=2, separable=True)
    >>> [type(layer).__name__ for layer in block][:2]
    ['SlimmableConv1d', 'SlimmableConv1d']
    >>> block(torch.rand(2, 101, 16)).shape
    torch.Size([2, 51, 24])
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        widths,
        stride=1,
        activation=True,
        fixed_in=False,
        shared_affine=False,
        separable=False,
    ):
        conv = dict(bias=False, padding_mode="constant", fixed_in=fixed_in)
        if separable:
            layers = [
                SlimmableConv1d(
                    in_channels,
                    kernel_size,
                    in_channels=in_channels,
                    stride=stride,
                    groups=in_channels,
                    fixed_out=fixed_in,
                    **conv,
                ),
                SlimmableConv1d(
                    out_channels, 1, in_channels=in_channels, **conv
                ),
            ]
        else:
            layers = [
                SlimmableConv1d(
                    out_channels,
                    kernel_size,
                    in_channels=in_channels,
                    stride=stride,
                    **conv,
                )
            ]
        layers += [
            SwitchableBatchNorm1d(
                input_size=out_channels,
                widths=widths,
                shared_affine=shared_affine,
            ),
        ]
        if activation:
            layers.append(torch.nn.ReLU())
        super().__init__(*layers)


class ResidualBlock(torch.nn.Module):
    """Two temporal convolutions with a (projected) shortcut.

    Arguments
    ---------
    in_channels, out_channels : int
        Channels at width 1.0.
    kernel_size : int
        Temporal kernel size (odd).
    stride : int
        Stride of the first convolution (and of the shortcut).
    widths : list of float
        The widths served by the norms.
    shared_affine : bool
        Share the norms' affine transform across widths.
    separable : bool
        Depthwise-separable temporal convolutions (see :class:`ConvNormAct`).

    Example
    -------
    >>> block = ResidualBlock(16, 24, 9, 2, [1.0, 0.5])
    >>> block(torch.rand(2, 101, 16)).shape
    torch.Size([2, 51, 24])
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        widths,
        shared_affine=False,
        separable=False,
    ):
        super().__init__()
        common = dict(widths=widths, shared_affine=shared_affine)
        self.conv1 = ConvNormAct(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            separable=separable,
            **common,
        )
        self.conv2 = ConvNormAct(
            out_channels,
            out_channels,
            kernel_size,
            activation=False,
            separable=separable,
            **common,
        )
        self.shortcut = torch.nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = ConvNormAct(
                in_channels,
                out_channels,
                1,
                stride=stride,
                activation=False,
                **common,
            )

    def forward(self, x):
        """Apply the block to ``x`` of shape ``(batch, time, channels)``."""
        return torch.relu(self.conv2(self.conv1(x)) + self.shortcut(x))


class SlimmableTCResNet(torch.nn.Module):
    """Slimmable TC-ResNet: features ``(batch, time, n_mels)`` to logits.

    Arguments
    ---------
    n_classes : int
        Number of output classes (never slims).
    n_mels : int
        Number of mel bins, the input channels (never slim).
    widths : list of float
        The widths the switchable norms serve.
    stem_channels : int
        Channels of the first convolution at width 1.0.
    block_channels : list of int
        Output channels of each residual block at width 1.0.
    block_strides : list of int
        Temporal stride of each residual block.
    kernel_size : int
        Temporal kernel size of the residual blocks.
    dropout : float
        Dropout before the classifier.
    shared_affine : bool
        Share the norms' affine transform across widths (US-Nets); needed
        to train on widths sampled outside the list.
    separable : bool
        Depthwise-separable residual blocks (see :class:`ConvNormAct`): at
        the same parameter budget they hold about three times the channels,
        which the narrow widths need most.

    Example
    -------
    >>> from speechbrain_slimmable import count_parameters, set_width
    >>> model = SlimmableTCResNet(n_classes=12, widths=[1.0, 0.5])
    >>> count_parameters(model) < 250_000
    True
    >>> _ = set_width(model, 0.5)
    >>> model(torch.rand(3, 101, 40)).shape
    torch.Size([3, 12])
    """

    def __init__(
        self,
        n_classes,
        n_mels=40,
        widths=(1.0, 0.75, 0.5, 0.25),
        stem_channels=24,
        block_channels=(32, 32, 48, 48, 64),
        block_strides=(2, 1, 2, 1, 2),
        kernel_size=9,
        dropout=0.1,
        shared_affine=False,
        separable=False,
    ):
        super().__init__()
        if len(block_channels) != len(block_strides):
            raise ValueError(
                "block_channels and block_strides must have the same length, "
                f"got {len(block_channels)} and {len(block_strides)}"
            )
        common = dict(widths=widths, shared_affine=shared_affine)
        self.stem = ConvNormAct(
            n_mels, stem_channels, 3, fixed_in=True, **common
        )
        blocks = []
        in_channels = stem_channels
        for channels, stride in zip(block_channels, block_strides):
            blocks.append(
                ResidualBlock(
                    in_channels,
                    channels,
                    kernel_size,
                    stride,
                    separable=separable,
                    **common,
                )
            )
            in_channels = channels
        self.blocks = torch.nn.Sequential(*blocks)
        self.dropout = torch.nn.Dropout(dropout)
        self.classifier = SlimmableLinear(
            n_classes, input_size=in_channels, fixed_out=True
        )

    def forward(self, features):
        """Return logits ``(batch, n_classes)`` for ``(batch, time, n_mels)``."""
        x = self.blocks(self.stem(features))
        return self.classifier(self.dropout(x.mean(dim=1)))
