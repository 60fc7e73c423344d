"""Slimmable keyword-spotting networks for SpeechBrain.

One supernet is trained once; models of several widths are cut from it.

The public names are imported on first use, so that the command line
answers ``--help`` and ``--version`` without loading torch.

Example
-------
>>> import speechbrain_slimmable
>>> speechbrain_slimmable.__version__
'0.1.0'
>>> speechbrain_slimmable.set_width.__module__
'speechbrain_slimmable.nnet.width'
"""

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "SandwichBrain": "speechbrain_slimmable.brain",
    "at_width": "speechbrain_slimmable.nnet.width",
    "count_macs": "speechbrain_slimmable.supernet.profile",
    "count_parameters": "speechbrain_slimmable.supernet.profile",
    "extract_subnet": "speechbrain_slimmable.supernet.extract",
    "profile_widths": "speechbrain_slimmable.supernet.profile",
    "recalibrate_bn": "speechbrain_slimmable.supernet.recalibration",
    "resolve_width": "speechbrain_slimmable.nnet.width",
    "round_channels": "speechbrain_slimmable.nnet.width",
    "served_widths": "speechbrain_slimmable.nnet.width",
    "set_width": "speechbrain_slimmable.nnet.width",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name):
    """Import a public name from its module on first use (PEP 562)."""
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)


def __dir__():
    """The module's names, the lazily imported ones included."""
    return sorted(set(globals()) | set(__all__))
