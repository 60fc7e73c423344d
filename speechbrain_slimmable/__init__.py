"""Slimmable keyword-spotting networks for SpeechBrain.

One supernet is trained once; models of several widths are cut from it.
"""

from speechbrain_slimmable.extract import extract_subnet
from speechbrain_slimmable.profile import (
    count_macs,
    count_parameters,
    profile_widths,
)
from speechbrain_slimmable.recalibration import recalibrate_bn
from speechbrain_slimmable.width import round_channels, set_width

__all__ = [
    "count_macs",
    "count_parameters",
    "extract_subnet",
    "profile_widths",
    "recalibrate_bn",
    "round_channels",
    "set_width",
]
