"""Where a width becomes a slice of a weight: the one slicing rule.

A sliced layer is allocated at its widest size. At width ``w`` it uses the
first ``round_channels(n, w)`` of its ``n`` output (or input) channels. When
channels come in ``splits`` equal blocks (attention heads, concatenated
statistics, convolution groups), each block keeps its own first channels so
that the blocks stay aligned.

Every slimmable layer (linear, convolution, embedding, the shared affine of
the switchable norms) is a :class:`SlicedChannels`: it names how each of its
tensors slims (:meth:`SlicedChannels.slices`) and this module alone cuts
them (:func:`take_channels`), prepares them once per width in eval mode
(:meth:`SlicedChannels.active_tensors`) and copies them into a plain torch
layer (:func:`plain_layer`).

Authors
 * speechbrain-slimmable developers 2026
"""

import torch

from speechbrain_slimmable.nnet.width import Slimmable, round_channels


def active_channels(channels, width, fixed=False, splits=1):
    """Channels active at ``width`` for a dimension allocated ``channels``.

    Arguments
    ---------
    channels : int
        Channels allocated at width 1.0.
    width : float
        The width multiplier.
    fixed : bool
        If True the dimension never slims (features in, classes out).
    splits : int
        Number of equal blocks that slim separately.

    Returns
    -------
    int

    Example
    -------
    >>> active_channels(64, 0.5)
    32
    >>> active_channels(64, 0.5, fixed=True)
    64
    >>> active_channels(6, 0.5, splits=2)
    4
    """
    if fixed:
        return channels
    if channels % splits:
        raise ValueError(
            f"{channels} channels cannot form {splits} equal blocks"
        )
    return splits * round_channels(channels // splits, width)


def take_channels(tensor, dim, active, splits=1):
    """Keep the first ``active // splits`` channels of each block of ``dim``.

    Arguments
    ---------
    tensor : torch.Tensor
        A weight, bias or statistic allocated at full size.
    dim : int
        The dimension to slice.
    active : int
        Channels to keep in total.
    splits : int
        Number of equal blocks along ``dim``.

    Returns
    -------
    torch.Tensor

    Example
    -------
    >>> take_channels(torch.arange(6), 0, 4, splits=2)
    tensor([0, 1, 3, 4])
    """
    if splits == 1:
        return tensor.narrow(dim, 0, active)
    blocks = tensor.chunk(splits, dim)
    return torch.cat([b.narrow(dim, 0, active // splits) for b in blocks], dim)


def plain_layer(layer_class, tensors, **arguments):
    """Build a plain torch layer holding copies of ``tensors``.

    Arguments
    ---------
    layer_class : type
        A torch layer class (``torch.nn.Linear``, ``torch.nn.Conv1d``...).
    tensors : dict
        Its whole state dict: name to tensor (copied, never shared).
    **arguments
        Constructor arguments of ``layer_class``; the device and dtype are
        those of ``tensors``.

    Returns
    -------
    torch.nn.Module

    Example
    -------
    >>> plain_layer(torch.nn.Linear, {"weight": torch.ones(2, 3),
    ...     "bias": torch.zeros(2)}, in_features=3, out_features=2)
    Linear(in_features=3, out_features=2, bias=True)
    """
    reference = next(iter(tensors.values()))
    layer = layer_class(
        **arguments, device=reference.device, dtype=reference.dtype
    )
    layer.load_state_dict(tensors)
    return layer


class SlicedChannels(Slimmable):
    """Mixin for torch layers whose input and output channels slim.

    The subclass calls :meth:`init_channels` in its constructor and defines
    :meth:`slices`; it then knows its active channels and tensors at the
    current width. In eval mode without autograd (``torch.no_grad`` or
    ``torch.inference_mode``) the active tensors are cut once per width and
    reused until the width changes, a parameter is updated in place (its
    version counter moves: an optimizer step, ``load_state_dict``), replaced
    (``register_parameter``) or moved (``to``, ``half``...); in training
    mode, or with autograd on, they are cut on every call so gradients
    reach the full parameters.

    Example
    -------
    >>> class Layer(SlicedChannels, torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.weight = torch.nn.Parameter(torch.rand(4, 8))
    ...         self.init_channels(8, 4, fixed_in=True)
    ...     def slices(self):
    ...         return {"weight": ((self.active_out(), 1), None)}
    >>> layer = Layer()
    >>> layer.set_width(0.5)
    >>> layer.active_in(), layer.active_out()
    (8, 2)
    >>> layer.active_tensors()["weight"].shape
    torch.Size([2, 8])
    """

    def init_channels(
        self,
        in_channels,
        out_channels,
        fixed_in=False,
        fixed_out=False,
        in_splits=1,
        out_splits=1,
    ):
        """Record the allocation and how each side slims (see class doc)."""
        self.max_in, self.max_out = in_channels, out_channels
        self.fixed_in, self.fixed_out = fixed_in, fixed_out
        self.in_splits, self.out_splits = in_splits, out_splits
        self.widths = None
        self.width = 1.0
        self._prepared = None
        # Fail at construction, not at the first forward, on bad splits.
        self.active_in()
        self.active_out()

    def active_in(self, width=None):
        """Input channels used at ``width`` (default: the current one)."""
        width = self.width if width is None else width
        return active_channels(
            self.max_in, width, self.fixed_in, self.in_splits
        )

    def active_out(self, width=None):
        """Output channels produced at ``width`` (default: the current one)."""
        width = self.width if width is None else width
        return active_channels(
            self.max_out, width, self.fixed_out, self.out_splits
        )

    def slices(self):
        """How each tensor slims at the current width.

        Returns a dict from a parameter name to one entry per dimension:
        ``None`` (kept whole) or ``(count, splits)`` (see
        :func:`take_channels`).
        """
        raise NotImplementedError

    def cut_tensors(self):
        """Slice every tensor named by :meth:`slices` (never cached)."""
        active = {}
        for name, dims in self.slices().items():
            tensor = getattr(self, name)
            if tensor is None:
                continue
            for dim, size in enumerate(dims):
                if size is not None:
                    tensor = take_channels(tensor, dim, *size)
            active[name] = tensor
        return active

    def active_tensors(self):
        """The tensors active at the current width (see class doc)."""
        if self.training or torch.is_grad_enabled():
            return self.cut_tensors()
        # In-place updates move a parameter's version counter.
        versions = [
            p._version for p in self._parameters.values() if p is not None
        ]
        prepared = self._prepared
        if prepared is not None:
            width, prepared_versions, tensors = prepared
            if width == self.width and prepared_versions == versions:
                return tensors
        tensors = {n: t.contiguous() for n, t in self.cut_tensors().items()}
        self._prepared = (self.width, versions, tensors)
        return tensors

    def register_parameter(self, name, param):
        """Register as torch does; tensors prepared before are dropped."""
        super().register_parameter(name, param)
        self._prepared = None

    def _apply(self, *args, **kwargs):
        """Move or cast as torch does (``to``, ``half``...); tensors prepared
        before are dropped."""
        self._prepared = None
        return super()._apply(*args, **kwargs)

    def check_input(self, x, dim, expected):
        """Raise a ValueError unless ``x`` has ``expected`` channels."""
        if x.shape[dim] != expected:
            raise ValueError(
                f"{type(self).__name__} at width {self.width} expects "
                f"{expected} input channels (dim {dim}), got shape "
                f"{tuple(x.shape)}"
            )

    def extra_repr(self):
        """Show the width next to torch's own description."""
        return f"{super().extra_repr()}, width={self.width}"
