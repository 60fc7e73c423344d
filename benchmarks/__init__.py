"""The commands that regenerate the published numbers.

``python -m benchmarks TABLE [options]`` prints one table of the results
report (``recipes/GSC/README.md``); ``--out FILE`` also writes it there.
Each table reads training runs the recipe wrote (or trains them, for
``supernet``); ``python -m benchmarks TABLE --help`` says what it needs.

Authors
 * speechbrain-slimmable developers 2026
"""
