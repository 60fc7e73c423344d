"""Re-estimate BatchNorm running statistics for a width (US-Nets).

Authors
 * speechbrain-slimmable developers 2026
"""

import itertools

import torch

from speechbrain_slimmable.nnet.normalization import SwitchableNorm
from speechbrain_slimmable.nnet.width import set_width


@torch.no_grad()
def recalibrate_bn(model, width, batches):
    """Re-estimate the running statistics of ``model`` at ``width``.

    Resets the statistics of the width's BatchNorms and recomputes them as a
    cumulative average (``momentum=None``) over ``batches``, with every
    other parameter untouched. A switchable norm with shared affine that
    does not list ``width`` first gains statistics for it, so any width in
    (0, 1] can be served after training.

    Arguments
    ---------
    model : torch.nn.Module
        The supernet.
    width : float
        The width to calibrate; the model is left at this width.
    batches : iterable
        Inputs for ``model`` (tensors, or tuples unpacked as arguments).

    Returns
    -------
    int
        The number of batches used.

    Example
    -------
    >>> from speechbrain_slimmable.nnet.normalization import (
    ...     SwitchableBatchNorm1d)
    >>> norm = SwitchableBatchNorm1d(input_size=8, widths=[1.0],
    ...                              shared_affine=True)
    >>> batches = [torch.full((4, 10, 6), float(i)) for i in range(5)]
    >>> recalibrate_bn(norm, 0.75, batches)
    5
    >>> norm.norm.active_norm().running_mean  # mean of 0, 1, 2, 3, 4
    tensor([2., 2., 2., 2., 2., 2.])
    """
    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        raise ValueError("recalibrate_bn needs at least one batch")
    for module in model.modules():
        if isinstance(module, SwitchableNorm) and module.shared_affine:
            module.add_width(width)
    set_width(model, width)
    # Per-width norms of the other widths keep their statistics.
    idle = {
        id(norm)
        for module in model.modules()
        if isinstance(module, SwitchableNorm)
        for norm in module.norms
        if norm is not module.active_norm()
    }
    norms = [
        m
        for m in model.modules()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
        and id(m) not in idle
    ]
    saved = [(norm, norm.momentum) for norm in norms]
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None
        norm.train()
    count = 0
    try:
        for batch in itertools.chain([first], batches):
            if isinstance(batch, (tuple, list)):
                model(*batch)
            else:
                model(batch)
            count += 1
    finally:
        for norm, momentum in saved:
            norm.momentum = momentum
        for module, training in modes:
            module.training = training
    return count
