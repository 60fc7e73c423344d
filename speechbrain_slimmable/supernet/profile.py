"""Parameters and multiply-accumulates (MACs) of a supernet per width.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch
from torch.utils.flop_counter import FlopCounterMode

from speechbrain_slimmable.supernet.extract import extract_subnet


def count_parameters(module):
    """Number of parameters of ``module``.

    Example
    -------
    >>> count_parameters(torch.nn.Linear(4, 3))
    15
    """
    return sum(p.numel() for p in module.parameters())


@torch.no_grad()
def count_macs(module, example_input):
    """Multiply-accumulates of one forward pass of ``module``.

    Counted by ``torch.utils.flop_counter`` (matrix products and
    convolutions, attention included) on ``example_input`` with batch 1:
    each MAC is two FLOPs.

    Example
    -------
    >>> count_macs(torch.nn.Linear(4, 3), torch.rand(1, 4))
    12
    """
    was_training = module.training
    module.eval()
    counter = FlopCounterMode(display=False)
    try:
        with counter:
            module(example_input)
    finally:
        module.train(was_training)
    return counter.get_total_flops() // 2


def profile_widths(model, widths, example_input):
    """Parameters and MACs of the subnet at each width.

    Arguments
    ---------
    model : torch.nn.Module
        The supernet.
    widths : list of float
        Widths to profile.
    example_input : torch.Tensor
        One input with batch size 1 (e.g. features of a 1-second clip).

    Returns
    -------
    list of dict
        One ``{"width", "params", "macs"}`` per width, in the given order.

    Example
    -------
    >>> from speechbrain_slimmable.nnet.linear import SlimmableLinear
    >>> net = SlimmableLinear(8, input_size=4, fixed_in=True)
    >>> profile_widths(net, [1.0, 0.5], torch.rand(1, 4))
    [{'width': 1.0, 'params': 40, 'macs': 32}, {'width': 0.5, 'params': 20, 'macs': 16}]
    """
    rows = []
    for width in widths:
        subnet = extract_subnet(model, width)
        rows.append(
            {
                "width": width,
                "params": count_parameters(subnet),
                "macs": count_macs(subnet, example_input),
            }
        )
    return rows
