"""The width contract: which widths a model serves, and switching them.

Width is an attribute of every slimmable module (never a global flag): a
model switches width when :func:`set_width` walks its modules and sets it on
each of them, and it answers itself which widths it serves
(:func:`served_widths`). :func:`at_width` runs a block at one width and
restores the previous one. How a width becomes channels is
:func:`round_channels`; how channels become slices of a weight is
:mod:`speechbrain_slimmable.nnet.channels`.

Authors
 * speechbrain-slimmable developers 2026
"""

import contextlib
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


def resolve_width(width, widths=None):
    """The width to run: ``width`` checked, or the widest when ``None``.

    The one place where "no width" means the widest one and a requested
    width is checked, for every caller that runs a model at a width.

    Arguments
    ---------
    width : float or None
        The requested width; ``None`` for the widest.
    widths : list of float, optional
        The accepted widths (e.g. :func:`served_widths`); ``None`` accepts
        any width in (0, 1], whose widest is 1.0.

    Returns
    -------
    float

    Example
    -------
    >>> resolve_width(None, [0.5, 1.0]), resolve_width(0.5, [1.0, 0.5])
    (1.0, 0.5)
    >>> resolve_width(0.3, [1.0, 0.5])
    Traceback (most recent call last):
     ...
    ValueError: width 0.3 is not one of the accepted widths [1.0, 0.5]
    """
    if width is None:
        return 1.0 if widths is None else max(widths)
    check_width(width, widths)
    return width


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
    weights active at that width (see :func:`extract_subnet`). A subclass
    may accept more widths in :meth:`check_width` than it serves in eval
    mode (a shared-affine BatchNorm trains any width but keeps statistics
    for ``self.widths`` only).

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
    >>> from torch import nn, rand
    >>> from speechbrain_slimmable.nnet.linear import SlimmableLinear
    >>> first = SlimmableLinear(8, input_size=4, fixed_in=True)
    >>> last = SlimmableLinear(3, input_size=8, fixed_out=True)
    >>> model = nn.Sequential(first, last)
    >>> _ = set_width(model, 0.5)
    >>> first(rand(2, 4)).shape
    torch.Size([2, 4])
    >>> model(rand(2, 4)).shape
    torch.Size([2, 3])
    """
    layers = slimmable_modules(module)
    for layer in layers:
        layer.check_width(width)
    for layer in layers:
        layer.set_width(width)
    return module


def served_widths(module):
    """The widths at which ``module`` runs in eval mode, widest first.

    Asks the model itself (its switchable norms), never a config file:
    the widths every slimmable layer serves. ``None`` means any width in
    (0, 1] (a universal model whose norms keep no per-width state, or a
    model of sliced layers only). A universal BatchNorm model
    (``shared_affine=True``) trains any width but serves the widths it has
    statistics for; :func:`speechbrain_slimmable.recalibrate_bn` adds one.

    Arguments
    ---------
    module : torch.nn.Module
        A model containing slimmable layers.

    Returns
    -------
    list of float or None

    Example
    -------
    >>> import torch
    >>> from speechbrain_slimmable.nnet.linear import SlimmableLinear
    >>> from speechbrain_slimmable.nnet.normalization import (
    ...     SwitchableBatchNorm1d)
    >>> model = torch.nn.Sequential(
    ...     SlimmableLinear(8, input_size=4, fixed_in=True),
    ...     SwitchableBatchNorm1d(input_size=8, widths=[0.5, 1.0]),
    ... )
    >>> served_widths(model)
    [1.0, 0.5]
    >>> served_widths(model[0]) is None
    True
    """
    served = None
    for layer in slimmable_modules(module):
        if layer.widths is None:
            continue
        if served is None:
            served = list(layer.widths)
        else:
            served = [
                w
                for w in served
                if any(math.isclose(w, other) for other in layer.widths)
            ]
    return None if served is None else sorted(served, reverse=True)


@contextlib.contextmanager
def at_width(module, width):
    """Run a block with ``module`` at ``width``, then restore its widths.

    The width is checked once, by :func:`set_width`, before any layer
    switches; on leaving (normally or by an exception) every slimmable
    layer gets back the width it had.

    Arguments
    ---------
    module : torch.nn.Module
        A model containing slimmable layers.
    width : float
        The width to run at.

    Yields
    ------
    torch.nn.Module
        The same module, at ``width``.

    Example
    -------
    >>> import torch
    >>> from speechbrain_slimmable.nnet.linear import SlimmableLinear
    >>> model = SlimmableLinear(8, input_size=4, fixed_in=True)
    >>> with at_width(model, 0.5):
    ...     model(torch.rand(2, 4)).shape
    torch.Size([2, 4])
    >>> model(torch.rand(2, 4)).shape
    torch.Size([2, 8])
    """
    previous = [(layer, layer.width) for layer in slimmable_modules(module)]
    set_width(module, width)
    try:
        yield module
    finally:
        for layer, layer_width in previous:
            layer.width = layer_width
