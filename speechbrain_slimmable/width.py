"""Width state of slimmable layers: rounding, validation and switching.

Width is an attribute of every slimmable module (never a global flag): a
model switches width when :func:`set_width` walks its modules and sets it on
each of them.

Authors
 * speechbrain-slimmable developers 2026
"""

import math


def round_channels(channels, width, divisor=1):
    """Number of channels a layer of ``channels`` uses at ``width``.

    Rounds ``channels * width`` to the nearest multiple of ``divisor`` (ties
    go up), keeps at least ``divisor`` channels and never exceeds the
    allocated ``channels``. A small divisor suits tiny keyword-spotting nets:
    ``make_divisible(4, 8)`` would inflate 4 channels to 8.

    Arguments
    ---------
    channels : int
        Channels allocated at width 1.0.
    width : float
        Width multiplier in (0, 1].
    divisor : int
        The channel count is a multiple of this (1 means any count).

    Returns
    -------
    int
        The active number of channels.

    Example
    -------
    >>> round_channels(64, 0.25)
    16
    >>> round_channels(4, 0.5, divisor=8)
    4
    >>> round_channels(30, 0.33, divisor=2)
    10
    """
    check_width(width)
    scaled = math.floor(channels * width / divisor + 0.5) * divisor
    return min(channels, max(divisor, scaled))


def check_width(width, widths=None):
    """Raise a ValueError unless ``width`` is one a layer can serve.

    Arguments
    ---------
    width : float
        The requested width.
    widths : list of float, optional
        The accepted widths; ``None`` accepts any width in (0, 1].

    Example
    -------
    >>> check_width(0.5, [1.0, 0.5])
    >>> check_width(0.3, [1.0, 0.5])
    Traceback (most recent call last):
     ...
    ValueError: width 0.3 is not one of the accepted widths [1.0, 0.5]
    """
    if isinstance(width, bool) or not isinstance(width, (int, float)):
        raise ValueError(f"width must be a number in (0, 1], got {width!r}")
    if widths is not None:
        if not any(math.isclose(width, w) for w in widths):
            raise ValueError(
                f"width {width} is not one of the accepted widths "
                f"{list(widths)}"
            )
    elif not 0 < width <= 1:
        raise ValueError(f"width {width} is outside the accepted range (0, 1]")


def check_width_list(widths):
    """Validate a list of widths and return it sorted from wide to narrow.

    Arguments
    ---------
    widths : list of float
        Widths in (0, 1], without duplicates.

    Returns
    -------
    list of float
        The widths in descending order.

    Example
    -------
    >>> check_width_list([0.25, 1.0, 0.5])
    [1.0, 0.5, 0.25]
    >>> check_width_list([1.0, 1.0])
    Traceback (most recent call last):
     ...
    ValueError: width list [1.0, 1.0] has duplicates
    """
    widths = list(widths)
    if not widths:
        raise ValueError("width list is empty: give at least one width")
    for width in widths:
        check_width(width)
    ordered = sorted(widths, reverse=True)
    if any(math.isclose(a, b) for a, b in zip(ordered, ordered[1:])):
        raise ValueError(f"width list {widths} has duplicates")
    return [float(w) for w in ordered]


class Slimmable:
    """Mixin for modules whose active size depends on a width multiplier.

    A subclass serves the widths in ``self.widths`` (or any width in (0, 1]
    when it is ``None``), keeps the current one in ``self.width`` and defines
    ``to_static()``, which returns a plain torch module holding copies of the
    weights active at that width (see :func:`extract_subnet`).

    Example
    -------
    >>> class Scaled(Slimmable):
    ...     def __init__(self):
    ...         self.widths, self.width = [1.0, 0.5], 1.0
    >>> layer = Scaled()
    >>> layer.set_width(0.5)
    >>> layer.width
    0.5
    """

    def check_width(self, width):
        """Raise a ValueError unless this module can serve ``width``."""
        try:
            check_width(width, self.widths)
        except ValueError as error:
            raise ValueError(f"{type(self).__name__}: {error}") from None

    def set_width(self, width):
        """Make ``width`` the active width of this module."""
        self.check_width(width)
        listed = [w for w in self.widths or () if math.isclose(w, width)]
        self.width = listed[0] if listed else float(width)


def slimmable_modules(module):
    """List the slimmable modules inside ``module`` (itself included).

    Example
    -------
    >>> import torch
    >>> slimmable_modules(torch.nn.Linear(2, 2))
    []
    """
    return [m for m in module.modules() if isinstance(m, Slimmable)]


def set_width(module, width):
    """Switch every slimmable layer of ``module`` to ``width``.

    Every layer is checked before any is switched, so a width that one layer
    cannot serve raises a ValueError and leaves the model unchanged. A module
    with no slimmable layer is left as it is.

    Arguments
    ---------
    module : torch.nn.Module
        A model containing slimmable layers.
    width : float
        The width multiplier to activate.

    Returns
    -------
    torch.nn.Module
        The same module, for chaining.

    Example
    -------
    >>> import torch
    >>> from speechbrain_slimmable.nnet.linear import SlimmableLinear
    >>> model = torch.nn.Sequential(
    ...     SlimmableLinear(8, input_size=4, fixed_in=True),
    ...     SlimmableLinear(3, input_size=8, fixed_out=True),
    ... )
    >>> _ = set_width(model, 0.5)
    >>> model[0](torch.rand(2, 4)).shape
    torch.Size([2, 4])
    >>> model(torch.rand(2, 4)).shape
    torch.Size([2, 3])
    """
    layers = slimmable_modules(module)
    for layer in layers:
        layer.check_width(width)
    for layer in layers:
        layer.set_width(width)
    return module
