"""Per-width statistics of a Brain stage, logging and checkpoint criteria.

Authors
 * speechbrain-slimmable developers 2026
"""

import contextlib
import functools
import logging
import time

import speechbrain as sb
from speechbrain.utils.metric_stats import MetricStats

CRITERIA = ("mean_error", "narrowest_error", "widest_error", "last")
logger = logging.getLogger(__name__)


def readable_stats(stats):
    """Stats as the train log shows them: widths named, fixed decimals.

    Example
    -------
    >>> readable_stats({"loss": 0.5, "acc@0.5": 100.0, "loss@0.5": 0.25})
    {'loss': 0.5, 'width 0.5 accuracy (%)': '100.00', 'width 0.5 loss': '0.2500'}
    """
    view = {}
    for key, value in stats.items():
        name, _, width = key.partition("@")
        if not width:
            view[key] = value
        elif name == "acc":
            view[f"width {width} accuracy (%)"] = f"{value:.2f}"
        else:
            view[f"width {width} {name}"] = f"{value:.4f}"
    return view


def _identity(values):
    """Per-example values already computed (for ``MetricStats``)."""
    return values


class _Unscored:
    """Stands in for a recipe's metric while a width it does not score runs.

    Example
    -------
    >>> _Unscored().append(["clip"], 0.5) is None
    True
    """

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def _starting(hook):
    """A recipe's ``on_stage_start``, then the per-width start of a stage.

    After the recipe's own, so that the recalibration, which runs the
    recipe's ``compute_forward``, finds the stage set up as it expects.
    """

    @functools.wraps(hook)
    def on_stage_start(self, stage, epoch=None):
        outermost = not getattr(self, "_in_stage_hook", False)
        self._in_stage_hook = True
        try:
            result = hook(self, stage, epoch)
        finally:
            if outermost:
                self._in_stage_hook = False
        if outermost:
            self.start_width_stats(stage)
        return result

    return on_stage_start


def _ending(hook):
    """A recipe's ``on_stage_end``, then the widths' log line unless logged."""

    @functools.wraps(hook)
    def on_stage_end(self, stage, stage_loss, epoch=None):
        outermost = not getattr(self, "_in_stage_hook", False)
        if outermost:
            self._in_stage_hook, self._widths_logged = True, False
        try:
            result = hook(self, stage, stage_loss, epoch)
        finally:
            if outermost:
                self._in_stage_hook = False
        if outermost and not self._widths_logged:
            self.log_width_stats(stage, stage_loss, epoch)
        return result

    return on_stage_end


class WidthStatsMixin:
    """Loss and accuracy of every width; the best supernet is kept.

    Mixed into :class:`~speechbrain_slimmable.brain.SandwichBrain`; fills
    ``loss_stats`` and ``error_stats`` (one ``MetricStats`` per width) and
    keeps the ``avg_checkpoints`` checkpoints with the lowest
    ``ckpt_criterion`` (``CRITERIA``), or with ``last`` the most recent
    ones (``criterion`` is then None: no selection on validation).

    A recipe's own ``on_stage_start`` and ``on_stage_end`` need not call
    ``super()``: a subclass's hooks are wrapped when the class is made
    (``__init_subclass__``), so that every stage starts with fresh
    per-width statistics and recalibrated BatchNorms, and one that the
    recipe's ``on_stage_end`` ends without ``super()`` logs every width's
    loss and accuracy in a line of its own (:meth:`log_width_stats`).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = vars(cls)
        if "on_stage_start" in own:
            cls.on_stage_start = _starting(own["on_stage_start"])
        if "on_stage_end" in own:
            cls.on_stage_end = _ending(own["on_stage_end"])

    def on_stage_start(self, stage, epoch=None):
        """Start the per-width statistics (see :meth:`start_width_stats`)."""
        if not getattr(self, "_in_stage_hook", False):
            self.start_width_stats(stage)

    def start_width_stats(self, stage):
        """Reset the per-width statistics; recalibrate before evaluating."""
        self.loss_stats = {
            w: MetricStats(metric=_identity) for w in self.widths
        }
        self.error_stats = {
            w: MetricStats(metric=_identity) for w in self.widths
        }
        if stage == sb.Stage.TRAIN:
            self._epoch_started = time.perf_counter()
        else:
            self.recalibrate(self.widths)

    def epoch_timing(self, epoch):
        """Minutes of the epoch that validation ends, and of those left.

        The epoch counts from the start of its training stage; the time
        left is the mean epoch of this run (since it started or resumed)
        times the epochs left of ``epoch_counter``.

        Returns
        -------
        dict
            ``epoch time (min)`` and ``time left (min)``, for the log line
            (empty before any training stage of this run).
        """
        started = getattr(self, "_epoch_started", None)
        if started is None or epoch is None:
            return {}
        minutes = (time.perf_counter() - started) / 60
        self._epoch_started = None
        self._epoch_minutes = [*getattr(self, "_epoch_minutes", []), minutes]
        timing = {"epoch time (min)": round(minutes, 1)}
        counter = getattr(self.hparams, "epoch_counter", None)
        if counter is not None:
            mean = sum(self._epoch_minutes) / len(self._epoch_minutes)
            left = max(counter.limit - epoch, 0)
            timing["time left (min)"] = round(mean * left, 1)
        return timing

    def scored_widths(self):
        """The widths a recipe's own metrics score (see :meth:`unscored`).

        Every width with ``ckpt_criterion`` ``mean_error`` or ``last`` (so
        that a recipe's error rate is the mean over widths: each width has
        the same clips), the widest with ``widest_error``, the narrowest
        with ``narrowest_error``.
        """
        if self.criterion == "widest_error":
            return self.widths[:1]
        if self.criterion == "narrowest_error":
            return self.widths[-1:]
        return list(self.widths)

    @contextlib.contextmanager
    def unscored(self):
        """Hide the recipe's metrics from a width they do not score.

        Within the block, every ``MetricStats`` the Brain holds as an
        attribute (SpeechBrain recipes keep theirs so, e.g.
        ``self.error_metrics``, and append to it in ``compute_objectives``)
        is replaced by a stand-in that records nothing.
        """
        metrics = {
            name: value
            for name, value in vars(self).items()
            if isinstance(value, MetricStats)
        }
        for name in metrics:
            setattr(self, name, _Unscored())
        try:
            yield
        finally:
            for name, value in metrics.items():
                setattr(self, name, value)

    def stage_stats(self):
        """Per-width loss and accuracy plus the checkpoint criteria."""
        stats = {}
        errors = []
        for width in self.widths:
            loss = self.loss_stats[width].summarize("average")
            error = self.error_stats[width].summarize("average")
            stats[f"loss@{width:g}"] = round(loss, 4)
            stats[f"acc@{width:g}"] = round(100 * (1 - error), 2)
            errors.append(error)
        stats["mean_error"] = sum(errors) / len(errors)
        stats["widest_error"] = errors[0]
        stats["narrowest_error"] = errors[-1]
        return stats

    def on_stage_end(self, stage, stage_loss, epoch=None):
        """Log every width; keep the best supernet by ``ckpt_criterion``."""
        self._widths_logged = True
        if stage == sb.Stage.TRAIN:
            self.train_stats = {"loss": stage_loss}
            return
        stats = {"loss": stage_loss, **self.stage_stats()}
        self.last_stage_stats = stats
        logger = getattr(self.hparams, "train_logger", None)
        if stage == sb.Stage.VALID:
            lr_annealing = getattr(self.hparams, "lr_annealing", None)
            meta = {"epoch": epoch, **self.epoch_timing(epoch)}
            if lr_annealing is not None:
                old_lr, new_lr = lr_annealing(
                    stats[self.criterion or "mean_error"]
                )
                sb.nnet.schedulers.update_learning_rate(self.optimizer, new_lr)
                meta["lr"] = old_lr
            elif self.optimizer is not None:
                meta["lr"] = self.optimizer.param_groups[0]["lr"]
            if logger is not None:
                logger.log_stats(
                    stats_meta=meta,
                    train_stats=getattr(self, "train_stats", None),
                    valid_stats=readable_stats(stats),
                )
            if self.checkpointer is not None:
                self.checkpointer.save_and_keep_only(
                    meta={key: stats[key] for key in CRITERIA if key in stats},
                    min_keys=[self.criterion] if self.criterion else [],
                    num_to_keep=self.avg_checkpoints,
                )
        elif logger is not None:
            logger.log_stats(
                stats_meta=self._test_meta(),
                **{self._evaluated_stats(): readable_stats(stats)},
            )

    def _evaluated_stats(self):
        """The log's name for an evaluation: ``test_stats``, or
        ``valid_stats`` while ``evaluated_split`` is ``"valid"`` (a recipe
        that evaluates its chosen model on the validation split too)."""
        split = getattr(self, "evaluated_split", "test")
        if split not in ("valid", "test"):
            raise ValueError(
                f"evaluated_split must be 'valid' or 'test', got {split!r}"
            )
        return f"{split}_stats"

    def _test_meta(self):
        """The epoch of the evaluated supernet, for the test's log line."""
        if not hasattr(self.hparams, "epoch_counter"):
            return {}
        return {"Epoch loaded": self.hparams.epoch_counter.current}

    def log_width_stats(self, stage, stage_loss, epoch=None):
        """Log every width's loss and accuracy in a line of their own.

        For a recipe whose ``on_stage_end`` logs and keeps checkpoints by
        itself: the line holds the widths under the names of the package's
        own log (``width 1 loss``, ``width 1 accuracy (%)``), next to the
        recipe's line. Its metrics scored :meth:`scored_widths`.
        """
        if stage == sb.Stage.TRAIN:
            return
        stats = {"loss": stage_loss, **self.stage_stats()}
        self.last_stage_stats = stats
        widths = {key: value for key, value in stats.items() if "@" in key}
        scored = self.scored_widths()
        if not getattr(self, "_scored_widths_told", False):
            self._scored_widths_told = True
            what = (
                f"the mean over widths {self.widths}"
                if len(scored) > 1
                else f"width {scored[0]:g} only"
            )
            logger.info(
                "SandwichBrain: the recipe's own metrics score %s "
                "(ckpt_criterion: %s)",
                what,
                self.criterion or "last",
            )
        train_logger = getattr(self.hparams, "train_logger", None)
        if train_logger is None:
            return
        if stage == sb.Stage.VALID:
            train_logger.log_stats(
                stats_meta={"epoch": epoch, **self.epoch_timing(epoch)},
                valid_stats=readable_stats(widths),
            )
        else:
            train_logger.log_stats(
                stats_meta=self._test_meta(),
                **{self._evaluated_stats(): readable_stats(widths)},
            )

    def width_accuracies(self):
        """Accuracy (%) per width of the last validation or test stage."""
        return {
            width: self.last_stage_stats[f"acc@{width:g}"]
            for width in self.widths
        }
