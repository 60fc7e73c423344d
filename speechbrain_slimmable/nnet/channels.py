"""Channel bookkeeping shared by the sliced torch layers.

A sliced layer is allocated at its widest size. At width ``w`` it uses the
first ``round_channels(n, w)`` of its ``n`` output (or input) channels. When
channels come in ``splits`` equal blocks (attention heads, concatenated
statistics, convolution groups), each block keeps its own first channels so
that the blocks stay aligned.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch

from speechbrain_slimmable.width import Slimmable, round_channels


def active_channels(channels, width, fixed=False, splits=1, divisor=1):
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
    divisor : int
        Each block keeps a multiple of this many channels.

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
    return splits * round_channels(channels // splits, width, divisor)


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


class SlicedChannels(Slimmable):
    """Mixin for torch layers whose input and output channels slim.

    The subclass calls :meth:`init_channels` in its constructor; it then
    knows its active input and output channels at the current width.

    Example
    -------
    >>> class Layer(SlicedChannels):
    ...     pass
    >>> layer = Layer()
    >>> layer.init_channels(8, 4, fixed_in=True)
    >>> layer.set_width(0.5)
    >>> layer.active_in(), layer.active_out()
    (8, 2)
    """

    def init_channels(
        self,
        in_channels,
        out_channels,
        fixed_in=False,
        fixed_out=False,
        in_splits=1,
        out_splits=1,
        divisor=1,
    ):
        """Record the allocation and how each side slims (see class doc)."""
        self.max_in, self.max_out = in_channels, out_channels
        self.fixed_in, self.fixed_out = fixed_in, fixed_out
        self.in_splits, self.out_splits = in_splits, out_splits
        self.divisor = divisor
        self.widths = None
        self.width = 1.0
        # Fail at construction, not at the first forward, on bad splits.
        self.active_in()
        self.active_out()

    def active_in(self):
        """Input channels used at the current width."""
        return active_channels(
            self.max_in,
            self.width,
            self.fixed_in,
            self.in_splits,
            self.divisor,
        )

    def active_out(self):
        """Output channels produced at the current width."""
        return active_channels(
            self.max_out,
            self.width,
            self.fixed_out,
            self.out_splits,
            self.divisor,
        )

    def check_input(self, x, dim):
        """Raise a ValueError if ``x`` has not the active input channels."""
        expected = self.active_in()
        if x.shape[dim] != expected:
            raise ValueError(
                f"{type(self).__name__} at width {self.width} expects "
                f"{expected} input channels (dim {dim}), got shape "
                f"{tuple(x.shape)}"
            )

    def extra_repr(self):
        """Show the width next to torch's own description."""
        return f"{super().extra_repr()}, width={self.width}"
