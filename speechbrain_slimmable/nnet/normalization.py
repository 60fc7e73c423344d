"""Switchable normalisation: one set of statistics (and affine) per width.

The paper's switchable BatchNorm (S-BN) keeps a private BatchNorm for every
width in the width list. With ``shared_affine=True`` the widths share one
sliced affine transform and keep only private running statistics, as in
US-Nets; such a norm also serves, while training, any width in (0, 1] from
batch statistics, and :meth:`SwitchableNorm.add_width` gives a new width its
own statistics, to be re-estimated by
:func:`speechbrain_slimmable.recalibrate_bn`.

The per-width norms are plain torch BatchNorms kept in a ``ModuleList`` and
the switching module does not subclass ``_BatchNorm``: under DDP,
SpeechBrain's ``convert_sync_batchnorm`` turns each per-width norm into a
``SyncBatchNorm`` and width switching keeps working.

Authors
 * speechbrain-slimmable developers 2026
"""

import math

import torch
import torch.nn.functional as F
from speechbrain.nnet.normalization import BatchNorm1d, BatchNorm2d, LayerNorm

from speechbrain_slimmable.nnet.channels import take_channels
from speechbrain_slimmable.width import (
    Slimmable,
    check_width,
    check_width_list,
    round_channels,
)


class SwitchableNorm(Slimmable, torch.nn.Module):
    """Normalisation over dim 1 (channels-first) that switches with width.

    Arguments
    ---------
    num_features : int
        Channels at width 1.0.
    widths : list of float
        The widths served, each with its own statistics.
    norm_class : type
        ``torch.nn.BatchNorm1d`` or ``torch.nn.BatchNorm2d``.
    shared_affine : bool
        If True, all widths share one sliced affine transform (US-Nets) and
        any width in (0, 1] runs in training mode from batch statistics.
    divisor : int
        Active channels are a multiple of this (as in the layer before).
    eps, momentum : float
        As in ``torch.nn.BatchNorm1d``.

    Example
    -------
    >>> norm = SwitchableNorm(8, [1.0, 0.5])
    >>> norm.set_width(0.5)
    >>> norm(torch.rand(4, 4, 10)).shape
    torch.Size([4, 4, 10])
    >>> norm.to_static()
    BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    def __init__(
        self,
        num_features,
        widths,
        norm_class=torch.nn.BatchNorm1d,
        shared_affine=False,
        divisor=1,
        eps=1e-5,
        momentum=0.1,
    ):
        super().__init__()
        self.num_features = num_features
        self.norm_class = norm_class
        self.shared_affine = shared_affine
        self.divisor = divisor
        self.eps, self.momentum = eps, momentum
        self.norms = torch.nn.ModuleList()
        self.widths = []
        self.width = 1.0
        if shared_affine:
            self.weight = torch.nn.Parameter(torch.ones(num_features))
            self.bias = torch.nn.Parameter(torch.zeros(num_features))
        for width in check_width_list(widths):
            self._append_norm(width)

    def add_width(self, width):
        """Give ``width`` its own fresh statistics (shared affine only).

        Example
        -------
        >>> norm = SwitchableNorm(8, [1.0], shared_affine=True)
        >>> norm.add_width(0.3)
        >>> norm.add_width(0.6)
        >>> norm.widths
        [1.0, 0.6, 0.3]
        """
        check_width(width)
        if any(math.isclose(width, w) for w in self.widths):
            return
        if not self.shared_affine:
            raise ValueError(
                f"width {width} is not in the width list {self.widths}: only "
                "a norm with shared_affine=True can serve new widths"
            )
        self._append_norm(width)

    def _append_norm(self, width):
        """Append the statistics (and private affine) of ``width``."""
        channels = round_channels(self.num_features, width, self.divisor)
        norm = self.norm_class(
            channels,
            eps=self.eps,
            momentum=self.momentum,
            affine=not self.shared_affine,
        )
        # Keep widths (and their norms) from wide to narrow, as a norm built
        # with the longer list would have them, so state dicts match.
        index = sum(w > width for w in self.widths)
        self.norms.insert(index, norm.to(self._device()))
        self.widths.insert(index, float(width))

    def _device(self):
        """The device of the existing statistics (CPU when there are none)."""
        for buffer in self.buffers():
            return buffer.device
        return torch.device("cpu")

    def check_width(self, width):
        """Accept listed widths; shared-affine norms accept (0, 1] too."""
        try:
            check_width(width, None if self.shared_affine else self.widths)
        except ValueError as error:
            raise ValueError(f"{type(self).__name__}: {error}") from None

    def active_norm(self):
        """The per-width norm of the current width, or None if unlisted."""
        for width, norm in zip(self.widths, self.norms):
            if math.isclose(width, self.width):
                return norm
        return None

    def active_affine(self):
        """Return the shared affine sliced to the active channels."""
        channels = round_channels(self.num_features, self.width, self.divisor)
        weight = take_channels(self.weight, 0, channels)
        bias = take_channels(self.bias, 0, channels)
        return weight, bias

    def forward(self, x):
        """Normalise ``x`` of shape ``(batch, channels, ...)``."""
        norm = self.active_norm()
        if norm is None:
            if not self.training:
                raise ValueError(
                    f"{type(self).__name__}: width {self.width} has no "
                    f"running statistics (widths with statistics: "
                    f"{self.widths}); call recalibrate_bn for it first"
                )
            x = F.batch_norm(x, None, None, training=True, eps=self.eps)
        else:
            expected = norm.num_features
            if x.shape[1] != expected:
                raise ValueError(
                    f"{type(self).__name__} at width {self.width} expects "
                    f"{expected} channels, got shape {tuple(x.shape)}"
                )
            x = norm(x)
        if not self.shared_affine:
            return x
        weight, bias = self.active_affine()
        view = (1, -1) + (1,) * (x.ndim - 2)
        return x * weight.view(view) + bias.view(view)

    def to_static(self):
        """Return a plain torch BatchNorm for the current width."""
        norm = self.active_norm()
        if norm is None:
            raise ValueError(
                f"width {self.width} has no running statistics (widths with "
                f"statistics: {self.widths}); call recalibrate_bn for it first"
            )
        static = self.norm_class(
            norm.num_features, eps=self.eps, momentum=self.momentum
        ).to(norm.running_mean.device)
        state = {
            k: v.detach().clone()
            for k, v in norm.state_dict().items()
            if k not in ("weight", "bias")
        }
        if self.shared_affine:
            weight, bias = self.active_affine()
        else:
            weight, bias = norm.weight, norm.bias
        state["weight"] = weight.detach().clone()
        state["bias"] = bias.detach().clone()
        static.load_state_dict(state)
        return static.train(self.training)

    def extra_repr(self):
        """Show the widths and the current width."""
        return (
            f"{self.num_features}, widths={self.widths}, width={self.width}, "
            f"shared_affine={self.shared_affine}"
        )


class SwitchableBatchNorm1d(BatchNorm1d):
    """SpeechBrain's ``BatchNorm1d`` with one BatchNorm per width (S-BN).

    Input ``(batch, time, channels)`` as in SpeechBrain; ``self.norm`` is a
    :class:`SwitchableNorm`.

    Arguments
    ---------
    input_shape : tuple, optional
        Input shape at width 1.0.
    input_size : int, optional
        Channels at width 1.0.
    widths : list of float
        The widths served.
    shared_affine : bool
        Share one sliced affine transform across widths (US-Nets).
    divisor : int
        Active channels are a multiple of this.
    **kwargs
        Other arguments of SpeechBrain's ``BatchNorm1d``.

    Example
    -------
    >>> from speechbrain_slimmable import set_width
    >>> norm = SwitchableBatchNorm1d(input_size=16, widths=[1.0, 0.25])
    >>> _ = set_width(norm, 0.25)
    >>> norm(torch.rand(2, 101, 4)).shape
    torch.Size([2, 101, 4])
    """

    def __init__(
        self,
        input_shape=None,
        input_size=None,
        widths=(1.0,),
        shared_affine=False,
        divisor=1,
        eps=1e-5,
        momentum=0.1,
        **kwargs,
    ):
        super().__init__(
            input_shape, input_size, eps=eps, momentum=momentum, **kwargs
        )
        self.norm = SwitchableNorm(
            self.norm.num_features,
            widths,
            torch.nn.BatchNorm1d,
            shared_affine,
            divisor,
            eps,
            momentum,
        )


class SwitchableBatchNorm2d(BatchNorm2d):
    """SpeechBrain's ``BatchNorm2d`` (input ``(batch, time, freq, channels)``)
    with one BatchNorm per width.

    Arguments
    ---------
    input_shape : tuple, optional
        Input shape at width 1.0.
    input_size : int, optional
        Channels at width 1.0.
    widths : list of float
        The widths served.
    shared_affine : bool
        Share one sliced affine transform across widths (US-Nets).
    divisor : int
        Active channels are a multiple of this.
    eps, momentum : float
        As in ``torch.nn.BatchNorm2d``.

    Example
    -------
    >>> from speechbrain_slimmable import set_width
    >>> norm = SwitchableBatchNorm2d(input_size=16, widths=[1.0, 0.5])
    >>> _ = set_width(norm, 0.5)
    >>> norm(torch.rand(2, 101, 40, 8)).shape
    torch.Size([2, 101, 40, 8])
    """

    def __init__(
        self,
        input_shape=None,
        input_size=None,
        widths=(1.0,),
        shared_affine=False,
        divisor=1,
        eps=1e-5,
        momentum=0.1,
    ):
        super().__init__(input_shape, input_size, eps=eps, momentum=momentum)
        self.norm = SwitchableNorm(
            self.norm.num_features,
            widths,
            torch.nn.BatchNorm2d,
            shared_affine,
            divisor,
            eps,
            momentum,
        )


class SlicedLayerNorm(Slimmable, torch.nn.Module):
    """LayerNorm over the last dim with one LayerNorm per width.

    With ``widths=None`` a single affine transform is shared and sliced, so
    any width in (0, 1] is served (a LayerNorm keeps no statistics).

    Arguments
    ---------
    num_features : int
        Features at width 1.0.
    widths : list of float or None
        The widths served, each with its own LayerNorm; None shares one.
    divisor : int
        Active features are a multiple of this.
    splits : int
        Number of equal blocks that slim separately (heads).
    eps : float
        Added to the variance.

    Example
    -------
    >>> norm = SlicedLayerNorm(8, [1.0, 0.5])
    >>> norm.set_width(0.5)
    >>> norm(torch.rand(2, 5, 4)).shape
    torch.Size([2, 5, 4])
    """

    def __init__(
        self, num_features, widths=None, divisor=1, splits=1, eps=1e-5
    ):
        super().__init__()
        self.num_features = num_features
        self.divisor, self.splits, self.eps = divisor, splits, eps
        self.width = 1.0
        if widths is None:
            self.widths = None
            self.shared = torch.nn.LayerNorm(num_features, eps=eps)
        else:
            self.widths = check_width_list(widths)
            self.norms = torch.nn.ModuleList(
                torch.nn.LayerNorm(self.active_features(w), eps=eps)
                for w in self.widths
            )

    def active_features(self, width):
        """Features used at ``width``."""
        per_block = self.num_features // self.splits
        return self.splits * round_channels(per_block, width, self.divisor)

    def active_weights(self):
        """Return the weight and bias of the current width."""
        if self.widths is None:
            features = self.active_features(self.width)
            return (
                take_channels(self.shared.weight, 0, features, self.splits),
                take_channels(self.shared.bias, 0, features, self.splits),
            )
        norm = self.norms[self.widths.index(self.width)]
        return norm.weight, norm.bias

    def forward(self, x):
        """Normalise ``x`` of shape ``(..., features)``."""
        weight, bias = self.active_weights()
        if x.shape[-1] != weight.shape[0]:
            raise ValueError(
                f"{type(self).__name__} at width {self.width} expects "
                f"{weight.shape[0]} features, got shape {tuple(x.shape)}"
            )
        return F.layer_norm(x, weight.shape, weight, bias, self.eps)

    def to_static(self):
        """Return a plain ``torch.nn.LayerNorm`` for the current width."""
        weight, bias = self.active_weights()
        static = torch.nn.LayerNorm(
            weight.shape[0], eps=self.eps, device=weight.device
        )
        static.weight.data.copy_(weight.detach())
        static.bias.data.copy_(bias.detach())
        return static


class SwitchableLayerNorm(LayerNorm):
    """SpeechBrain's ``LayerNorm`` with one LayerNorm per width.

    Arguments
    ---------
    input_size : int, optional
        Features at width 1.0.
    input_shape : tuple, optional
        Input shape at width 1.0.
    widths : list of float or None
        Widths served, each with its own LayerNorm; None shares one sliced
        LayerNorm across any width.
    divisor : int
        Active features are a multiple of this.
    splits : int
        Number of equal blocks that slim separately (heads).
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
        widths=None,
        divisor=1,
        splits=1,
        eps=1e-5,
    ):
        super().__init__(input_size, input_shape, eps=eps)
        self.norm = SlicedLayerNorm(
            self.norm.normalized_shape[-1], widths, divisor, splits, eps
        )
