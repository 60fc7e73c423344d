"""Silence one known, harmless log message while a block runs.

Authors
 * speechbrain-slimmable developers 2026
"""

import contextlib
import logging


@contextlib.contextmanager
def muted(logger_name, prefix):
    """Drop the records of one logger whose message starts with ``prefix``.

    Only while the block runs; ``"root"`` names the root logger.

    Arguments
    ---------
    logger_name : str
        The logger, e.g. ``"speechbrain.utils.train_logger"``.
    prefix : str
        The start of the messages to drop.

    Example
    -------
    >>> import logging
    >>> with muted("demo", "noisy"):
    ...     logging.getLogger("demo").warning("noisy message")
    >>> logging.getLogger("demo").filters
    []
    """
    logger = logging.getLogger(None if logger_name == "root" else logger_name)

    def keep(record):
        return not str(record.msg).startswith(prefix)

    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)
