"""Evaluate the mean of several kept checkpoints instead of the best one.

Authors
 * speechbrain-slimmable developers 2026
"""

import speechbrain as sb

from speechbrain_slimmable.nnet.width import slimmable_modules


class CheckpointAveragingMixin:
    """Load the mean of the ``avg_checkpoints`` best checkpoints to evaluate.

    SpeechBrain's ``average_checkpoints``, as its Transformer ASR recipes
    use it: the checkpointer keeps the ``avg_checkpoints`` best checkpoints
    by the criterion, or the most recent ones with ``ckpt_criterion: last``
    (see :class:`~.stats.WidthStatsMixin`), and
    ``evaluate`` loads the mean of their model parameters. BatchNorm
    statistics are averaged too; the recalibration before each evaluation
    stage re-estimates them for the averaged weights. With
    ``avg_checkpoints`` 1 (the default) this is ``Brain``'s own loading of
    the best checkpoint.

    Every entry of ``modules`` that holds slimmable layers is averaged
    (``model``, or e.g. a recipe's ``embedding_model`` and ``classifier``).
    Mixed into :class:`~speechbrain_slimmable.brain.SandwichBrain`; reads
    its ``checkpointer``, ``modules`` and ``avg_checkpoints``.

    Example
    -------
    >>> import torch
    >>> from speechbrain.utils.checkpoints import Checkpointer
    >>> from speechbrain_slimmable.brain import SandwichBrain
    >>> from speechbrain_slimmable.nnet.linear import SlimmableLinear
    >>> model = SlimmableLinear(1, input_size=1, bias=False)
    >>> checkpointer = Checkpointer(getfixture("tmp_path"), {"net": model})
    >>> brain = SandwichBrain(
    ...     modules={"model": model},
    ...     hparams={"widths": [1.0], "avg_checkpoints": 2},
    ...     checkpointer=checkpointer,
    ... )
    >>> for weight, error in [(1.0, 0.3), (3.0, 0.1), (5.0, 0.2)]:
    ...     _ = model.w.weight.data.fill_(weight)
    ...     _ = checkpointer.save_checkpoint(meta={"mean_error": error})
    >>> brain.on_evaluate_start(min_key="mean_error")
    >>> model.w.weight.item()  # the mean of 3.0 and 5.0, the two best
    4.0
    """

    def on_evaluate_start(self, max_key=None, min_key=None):
        """Load the best checkpoint, or the mean of the best ones."""
        best = []
        if self.avg_checkpoints > 1 and self.checkpointer is not None:
            best = self.checkpointer.find_checkpoints(
                max_key=max_key,
                min_key=min_key,
                max_num_checkpoints=self.avg_checkpoints,
            )
        if not best:
            super().on_evaluate_start(max_key=max_key, min_key=min_key)
            return
        for name, module in self._averaged_recoverables():
            state = sb.utils.checkpoints.average_checkpoints(best, name)
            module.load_state_dict(state)

    def _averaged_recoverables(self):
        """The checkpointer's names of the slimmable entries of ``modules``."""
        recoverables = self.checkpointer.recoverables
        averaged = []
        for key, entry in self.modules.items():
            entry = getattr(entry, "module", entry)  # DDP's wrapped module
            if not slimmable_modules(entry):
                continue
            names = [n for n, r in recoverables.items() if r is entry]
            if not names:
                raise ValueError(
                    f"avg_checkpoints > 1 averages modules.{key}, which is "
                    "not among the checkpointer's recoverables "
                    f"{list(recoverables)}"
                )
            averaged.append((names[0], entry))
        return averaged
