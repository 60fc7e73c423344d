"""Switchable normalisation: one set of statistics (and affine) per width.

The paper's switchable BatchNorm (S-BN) keeps a private BatchNorm for every
width in the width list. With ``shared_affine=True`` (the setting of every
universal, any-width model) the widths share one sliced affine transform
and keep only private running statistics, as in US-Nets; such a norm also
serves, while training, any width in (0, 1] from batch statistics, and
:meth:`SwitchableNorm.add_width` gives a new width its own statistics, to be
re-estimated by :func:`speechbrain_slimmable.recalibrate_bn`. (LayerNorms:
:mod:`speechbrain_slimmable.nnet.layer_norm`.)

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
from speechbrain.nnet.normalization import BatchNorm1d, BatchNorm2d

from speechbrain_slimmable.nnet.channels import SlicedChannels, plain_layer
from speechbrain_slimmable.nnet.width import check_width, check_width_list


class SwitchableNorm(SlicedChannels, torch.nn.Module):
    """Normalisation over dim 1 (channels-first) that switches with width.

    A plain BatchNorm's state (``weight``, ``running_mean``..., as in a
    checkpoint of SpeechBrain's own ``Xvector``) loads as the widest width;
    the narrower widths start from its first channels, ready to be
    fine-tuned or re-estimated by
    :func:`speechbrain_slimmable.recalibrate_bn`.

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
    >>> plain = torch.nn.BatchNorm1d(8)
    >>> norm.load_state_dict(plain.state_dict())
    <All keys matched successfully>
    """

    def __init__(
        self,
        num_features,
        widths,
        norm_class=torch.nn.BatchNorm1d,
        shared_affine=False,
        eps=1e-5,
        momentum=0.1,
    ):
        super().__init__()
        self.init_channels(num_features, num_features)
        self.num_features = num_features
        self.norm_class = norm_class
        self.shared_affine = shared_affine
        self.eps, self.momentum = eps, momentum
        self.norms = torch.nn.ModuleList()
        self.widths = []
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
        norm = self.norm_class(
            self.active_out(width),
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
            if width == self.width or math.isclose(width, self.width):
                return norm
        return None

    def slices(self):
        """The shared affine follows the active channels."""
        channels = (self.active_out(), 1)
        return {"weight": (channels,), "bias": (channels,)}

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
        elif norm.training:
            self.check_input(x, 1, norm.num_features)
            x = norm(x)
        else:
            # What the norm computes in eval mode, one module call fewer.
            self.check_input(x, 1, norm.num_features)
            x = F.batch_norm(
                x,
                norm.running_mean,
                norm.running_var,
                norm.weight,
                norm.bias,
                eps=self.eps,
            )
        if not self.shared_affine:
            return x
        active = self.active_tensors()
        view = (1, -1) + (1,) * (x.ndim - 2)
        return x * active["weight"].view(view) + active["bias"].view(view)

    def to_static(self):
        """Return a plain torch BatchNorm for the current width."""
        norm = self.active_norm()
        if norm is None:
            raise ValueError(
                f"width {self.width} has no running statistics (widths with "
                f"statistics: {self.widths}); call recalibrate_bn for it first"
            )
        state = norm.state_dict()
        if self.shared_affine:
            state.update(self.cut_tensors())
        static = plain_layer(
            self.norm_class,
            state,
            num_features=norm.num_features,
            eps=self.eps,
            momentum=self.momentum,
        )
        return static.train(self.training)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Read a plain BatchNorm's state as the widest width (class doc)."""
        if prefix + "running_mean" in state_dict:
            # What a per-width norm holds (statistics, and the affine unless
            # it is shared: a shared one keeps its own name) moves to each.
            plain = {
                name: state_dict.pop(prefix + name)
                for name in self.norms[0].state_dict()
                if prefix + name in state_dict
            }
            for index, norm in enumerate(self.norms):
                for name, tensor in plain.items():
                    if tensor.ndim:
                        tensor = tensor[: norm.num_features]
                    state_dict[f"{prefix}norms.{index}.{name}"] = tensor
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self):
        """Show the widths and the current width."""
        return (
            f"{self.num_features}, widths={self.widths}, width={self.width}, "
            f"shared_affine={self.shared_affine}"
        )


class SwitchableSpeechBrainNorm:
    """Gives a SpeechBrain BatchNorm a :class:`SwitchableNorm` as ``norm``.

    The SpeechBrain class keeps its ``(batch, time, ..., channels)``
    layout; ``widths`` and ``shared_affine`` are those of
    :class:`SwitchableNorm`, every other argument is SpeechBrain's.

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
    **kwargs
        Other arguments of the SpeechBrain norm (``eps``, ``momentum``...).
    """

    def __init__(
        self,
        input_shape=None,
        input_size=None,
        widths=(1.0,),
        shared_affine=False,
        **kwargs,
    ):
        super().__init__(input_shape, input_size, **kwargs)
        norm = self.norm
        self.norm = SwitchableNorm(
            norm.num_features,
            widths,
            type(norm),
            shared_affine,
            norm.eps,
            norm.momentum,
        )


class SwitchableBatchNorm1d(SwitchableSpeechBrainNorm, BatchNorm1d):
    """SpeechBrain's ``BatchNorm1d`` with one BatchNorm per width (S-BN).

    Input ``(batch, time, channels)`` as in SpeechBrain; ``self.norm`` is a
    :class:`SwitchableNorm`. Arguments: see
    :class:`SwitchableSpeechBrainNorm`.

    Example
    -------
    >>> from speechbrain_slimmable import set_width
    >>> norm = SwitchableBatchNorm1d(input_size=16, widths=[1.0, 0.25])
    >>> _ = set_width(norm, 0.25)
    >>> norm(torch.rand(2, 101, 4)).shape
    torch.Size([2, 101, 4])
    """


class SwitchableBatchNorm2d(SwitchableSpeechBrainNorm, BatchNorm2d):
    """SpeechBrain's ``BatchNorm2d`` (input ``(batch, time, freq, channels)``)
    with one BatchNorm per width. Arguments: see
    :class:`SwitchableSpeechBrainNorm`.

    Example
    -------
    >>> from speechbrain_slimmable import at_width
    >>> norm = SwitchableBatchNorm2d(input_size=16, widths=[1.0, 0.5])
    >>> with at_width(norm, 0.5):
    ...     norm(torch.rand(2, 101, 40, 8)).shape
    torch.Size([2, 101, 40, 8])
    """
