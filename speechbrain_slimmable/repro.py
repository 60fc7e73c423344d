"""Checkpointing of Python's random state, for exact resumption.

SpeechBrain's ``SaveableGenerator`` saves torch's generators; its
augmentation also draws from Python's ``random`` module (``Augmenter``'s
``augment_prob``), whose state this module saves alongside.

Authors
 * speechbrain-slimmable developers 2026
"""

import json
import random

from speechbrain.utils.checkpoints import (
    mark_as_loader,
    mark_as_saver,
    register_checkpoint_hooks,
)


@register_checkpoint_hooks
class PythonRandomState:
    """A checkpointer recoverable holding the state of ``random``.

    Example
    -------
    >>> from speechbrain.utils.checkpoints import Checkpointer
    >>> state = PythonRandomState()
    >>> checkpointer = Checkpointer(
    ...     getfixture("tmpdir"), recoverables={"python_rng": state})
    >>> _ = checkpointer.save_checkpoint()
    >>> first = random.random()
    >>> _ = checkpointer.recover_if_possible()
    >>> random.random() == first
    True
    """

    @mark_as_saver
    def save(self, path):
        """Write the state of ``random`` to ``path`` (JSON)."""
        version, internal, gauss = random.getstate()
        with open(path, "w", encoding="utf-8") as f:
            json.dump([version, list(internal), gauss], f)

    @mark_as_loader
    def load(self, path, end_of_epoch=False):
        """Restore the state of ``random`` from ``path``."""
        del end_of_epoch
        with open(path, encoding="utf-8") as f:
            version, internal, gauss = json.load(f)
        random.setstate((version, tuple(internal), gauss))
