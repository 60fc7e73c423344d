"""Per-width statistics of a Brain stage, logging and checkpoint criteria.

Authors
 * speechbrain-slimmable developers 2026
"""

import speechbrain as sb
from speechbrain.utils.metric_stats import MetricStats

CRITERIA = ("mean_error", "narrowest_error", "widest_error", "last")


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


class WidthStatsMixin:
    """Loss and accuracy of every width; the best supernet is kept.

    Mixed into :class:`~speechbrain_slimmable.brain.SandwichBrain`; fills
    ``loss_stats`` and ``error_stats`` (one ``MetricStats`` per width) and
    keeps the ``avg_checkpoints`` checkpoints with the lowest
    ``ckpt_criterion`` (``CRITERIA``), or with ``last`` the most recent
    ones (``criterion`` is then None: no selection on validation).
    """

    def on_stage_start(self, stage, epoch=None):
        """Reset the per-width statistics; recalibrate before evaluating."""
        self.loss_stats = {
            w: MetricStats(metric=_identity) for w in self.widths
        }
        self.error_stats = {
            w: MetricStats(metric=_identity) for w in self.widths
        }
        if stage != sb.Stage.TRAIN:
            self.recalibrate(self.widths)

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
        if stage == sb.Stage.TRAIN:
            self.train_stats = {"loss": stage_loss}
            return
        stats = {"loss": stage_loss, **self.stage_stats()}
        self.last_stage_stats = stats
        logger = getattr(self.hparams, "train_logger", None)
        if stage == sb.Stage.VALID:
            lr_annealing = getattr(self.hparams, "lr_annealing", None)
            meta = {"epoch": epoch}
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
                stats_meta={"Epoch loaded": self.hparams.epoch_counter.current}
                if hasattr(self.hparams, "epoch_counter")
                else {},
                test_stats=readable_stats(stats),
            )

    def width_accuracies(self):
        """Accuracy (%) per width of the last validation or test stage."""
        return {
            width: self.last_stage_stats[f"acc@{width:g}"]
            for width in self.widths
        }
