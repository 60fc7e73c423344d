"""The ``speechbrain-slimmable`` console script.

Nothing here imports torch: ``--help`` and ``--version`` answer at once.
"""

from speechbrain_slimmable.cli.parser import build_parser, main

__all__ = ["build_parser", "main"]
