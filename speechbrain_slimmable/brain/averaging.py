"""Evaluate the mean of several kept checkpoints instead of the best one.

Authors
 * speechbrain-slimmable developers 2026
"""

import speechbrain as sb


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

    Mixed into :class:`~speechbrain_slimmable.brain.SandwichBrain`; reads
    its ``checkpointer``, ``modules.model`` and ``avg_checkpoints``.

    Example
    -------
    >>> import torch
    >>> from speechbrain.utils.checkpoints import Checkpointer
    >>> from speechbrain_slimmable.brain import SandwichBrain
    >>> model = torch.nn.Linear(1, 1, bias=False)
    >>> checkpointer = Checkpointer(getfixture("tmp_path"), {"net": model})
    >>> brain = SandwichBrain(
    ...     modules={"model": model},
    ...     hparams={"widths": [1.0], "avg_checkpoints": 2},
    ...     checkpointer=checkpointer,
    ... )
    >>> for weight, error in [(1.0, 0.3), (3.0, 0.1), (5.0, 0.2)]:
    ...     _ = model.weight.data.fill_(weight)
    ...     _ = checkpointer.save_checkpoint(meta={"mean_error": error})
    >>> brain.on_evaluate_start(min_key="mean_error")
    >>> model.weight.item()  # the mean of 3.0 and 5.0, the two best
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
        state = sb.utils.checkpoints.average_checkpoints(
            best, self._model_recoverable()
        )
        self.modules.model.load_state_dict(state)

    def _model_recoverable(self):
        """The checkpointer's name for ``modules.model``."""
        for name, recoverable in self.checkpointer.recoverables.items():
            if recoverable is self.modules.model:
                return name
        raise ValueError(
            "avg_checkpoints > 1 averages modules.model, which is not among "
            f"the checkpointer's recoverables {list(self.checkpointer.recoverables)}"
        )
