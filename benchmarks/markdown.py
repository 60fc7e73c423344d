"""Markdown tables and the statistics written into them.

Means and spreads over seeds or speaker splits, changes paired by seed,
and the cells of a table read back.

Authors
 * speechbrain-slimmable developers 2026
"""

import statistics


def mean_spread(values):
    """``mean ± std`` (or the one value) of a list.

    Example
    -------
    >>> mean_spread([1.0, 3.0]), mean_spread([2.0])
    ('2.00 ± 1.41', '2.00')
    """
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def differences(own, base):
    """``own[seed] - base[seed]`` for each seed both hold, in ``own``'s order.

    Example
    -------
    >>> differences({"1": 91.0, "2": 90.0}, {"1": 90.0, "3": 85.0})
    [1.0]
    """
    return [own[seed] - base[seed] for seed in own if seed in base]


def signed_spread(changes):
    """``mean ± std`` of ``changes`` with its sign (``-`` if there are none).

    Example
    -------
    >>> signed_spread([1.0, 3.0]), signed_spread([]), signed_spread([-2.0])
    ('+2.00 ± 1.41', '-', '-2.00')
    """
    if not changes:
        return "-"
    change = mean_spread(changes)
    return change if change.startswith("-") else f"+{change}"


def paired_difference(own, base):
    """``mean ± std`` of the :func:`differences`, signed (``-`` if they
    share no seed).

    Example
    -------
    >>> paired_difference({"1": 91.0, "2": 90.0}, {"1": 90.0, "3": 85.0})
    '+1.00'
    """
    return signed_spread(differences(own, base))


def paired_difference_counted(own, base):
    """:func:`paired_difference`, then ``(k/n)``: ``own`` is at or above
    ``base`` at ``k`` of the ``n`` seeds both hold.

    Example
    -------
    >>> paired_difference_counted({"1": 91.0, "2": 90.0}, {"1": 90.0, "2": 91.0})
    '+0.00 ± 1.41 (1/2)'
    """
    changes = differences(own, base)
    if not changes:
        return "-"
    level = sum(change >= 0 for change in changes)
    return f"{signed_spread(changes)} ({level}/{len(changes)})"


def table_cells(line):
    """The cells of a markdown table line (``[]`` for any other line).

    Example
    -------
    >>> table_cells("| a | +1.00 ± 0.50 (2/3) |")
    ['a', '+1.00 ± 0.50 (2/3)']
    >>> table_cells("Command: `python -m benchmarks clips`")
    []
    """
    line = line.strip()
    if not line.startswith("|"):
        return []
    return [cell.strip() for cell in line.strip("|").split("|")]
