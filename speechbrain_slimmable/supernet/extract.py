"""Standalone subnets: cut a plain model out of a supernet at one width.

Authors
 * speechbrain-slimmable developers 2026
"""

import copy

from speechbrain_slimmable.nnet.width import Slimmable, set_width


def extract_subnet(module, width):
    """Return a standalone copy of ``module`` at ``width``.

    Every layer that holds parameters or buffers in the copy is a plain
    ``torch.nn`` layer (``Linear``, ``Conv1d``, ``BatchNorm1d``,
    ``LayerNorm``, ``Embedding``) sized for ``width`` and holding copies of
    the weights active at it (switchable norms resolved to the one for
    ``width``), so its parameter count is the real one at that width and it
    keeps no reference to the supernet. The containers around those layers
    keep their classes and hold no state of their own: the model's class
    (its ``forward``), SpeechBrain's wrappers (``Conv1d`` padding,
    ``BatchNorm1d`` transposes; the package's ``Slimmable*`` subclasses of
    them only add a constructor) and the attention's head split. No module
    of the copy slims any more. The supernet itself is left at its current
    width.

    Arguments
    ---------
    module : torch.nn.Module
        A supernet (or any module; one without slimmable layers is copied).
    width : float
        The width to cut.

    Returns
    -------
    torch.nn.Module
        The subnet, in the same train/eval mode as ``module``.

    Example
    -------
    >>> import torch
    >>> from speechbrain_slimmable.nnet.linear import SlimmableLinear
    >>> net = torch.nn.Sequential(
    ...     SlimmableLinear(16, input_size=4, fixed_in=True),
    ...     torch.nn.ReLU(),
    ...     SlimmableLinear(3, input_size=16, fixed_out=True),
    ... )
    >>> sub = extract_subnet(net, 0.25)
    >>> sum(p.numel() for p in sub.parameters())
    35
    >>> x = torch.rand(2, 4)
    >>> _ = set_width(net, 0.25)
    >>> torch.allclose(sub(x), net(x))
    True
    """
    subnet = copy.deepcopy(module)
    set_width(subnet, width)
    if isinstance(subnet, Slimmable):
        return subnet.to_static()
    _replace_slimmable_children(subnet)
    return subnet


def _replace_slimmable_children(module):
    """Replace, depth first, each slimmable child by its static twin."""
    for name, child in module.named_children():
        if isinstance(child, Slimmable):
            static = child.to_static()
            for parameter, original in zip(
                static.parameters(), child.parameters()
            ):
                parameter.requires_grad_(original.requires_grad)
            setattr(module, name, static)
        else:
            _replace_slimmable_children(child)
