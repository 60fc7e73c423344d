"""SandwichBrain: train one slimmable supernet for all its widths.

Authors
 * speechbrain-slimmable developers 2026
"""

import contextlib

import speechbrain as sb
import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

from speechbrain_slimmable.brain.averaging import CheckpointAveragingMixin
from speechbrain_slimmable.brain.batches import BatchPreparationMixin
from speechbrain_slimmable.brain.calibration import CalibrationMixin
from speechbrain_slimmable.brain.draws import (
    SameDraws,
    file_reading_augmentations,
)
from speechbrain_slimmable.brain.stats import CRITERIA, WidthStatsMixin
from speechbrain_slimmable.brain.teacher import (
    ExternalTeacher,
    soft_cross_entropy,
)
from speechbrain_slimmable.brain.widths import TrainingWidthsMixin
from speechbrain_slimmable.nnet.width import (
    at_width,
    check_width,
    check_width_list,
)

STRATEGIES = ("all", "sandwich")


class SandwichBrain(
    TrainingWidthsMixin,
    BatchPreparationMixin,
    CalibrationMixin,
    CheckpointAveragingMixin,
    WidthStatsMixin,
    sb.Brain,
):
    """A ``speechbrain.Brain`` that trains every width of a supernet.

    Each training batch computes augmentation and features once, then runs
    several widths of the slimmable modules, accumulates their gradients
    and takes one optimizer step. The slimmable layers may sit in any
    entry of ``modules`` (nested or not, in one entry or several): every
    one of them switches width. What the recipe provides, unless it
    overrides ``compute_forward`` and ``compute_objectives``:

    * ``modules.compute_features`` (waveforms to ``(batch, time, feats)``)
      and ``modules.model`` (features to logits ``(batch, n_classes)``);
    * batches with ``sig`` (padded waveforms, relative lengths) and
      ``command_encoded`` (class indices), as SpeechBrain's GSC recipe;
    * optional ``hparams.wav_augment`` (a ``speechbrain.augment.Augmenter``
      on waveforms), ``hparams.mixup`` (a
      :class:`~speechbrain_slimmable.augment.MixUp`, after ``wav_augment``:
      the labels become class probabilities) and ``hparams.fea_augment``
      (an ``Augmenter`` on features).

    Hyperparameters (all from YAML):

    widths : list of float, optional
        The widths to train and validate, e.g. ``[1.0, 0.75, 0.5, 0.25]``.
        Read from the model (:func:`~speechbrain_slimmable.served_widths`:
        the widths its switchable norms serve); needed only for a model
        that serves any width, and when given it must name the same ones.
    width_range : list of two floats, optional
        With ``sandwich``: sample the middle widths uniformly from this range
        instead of from ``widths`` (universal slimming; the model's norms need
        ``shared_affine: True``).
    strategy : str
        ``all`` (the paper: every width each batch) or ``sandwich`` (widest,
        narrowest and ``num_sampled_widths - 2`` random ones each batch).
    num_sampled_widths : int
        Widths per batch with ``sandwich`` (at least 2).
    distillation : bool
        In-place distillation: the widest width learns from the labels, the
        others from its detached soft output.
    distillation_weight : float
        Weight of the distillation term for the narrower widths; the labels
        get ``1 - distillation_weight``.
    distillation_temperature : float
        Softmax temperature of the distillation term.
    label_smoothing : float
        Label smoothing of the cross-entropy on the labels.
    wide_fea_augment : callable, optional
        A feature augmentation (e.g. an ``Augmenter`` with longer masks)
        used instead of ``fea_augment`` for the training widths at or above
        ``wide_fea_augment_from``: stronger regularisation for the wide
        widths only, as BigNAS regularises its largest child. It is drawn
        once per batch, like ``fea_augment``, and must return as many
        examples. With ``distillation`` the widest teaches the narrow widths
        from its own (more masked) view.
    wide_fea_augment_from : float
        The narrowest width that trains on ``wide_fea_augment`` (default
        1.0: the widest only).
    ckpt_criterion : str
        What the checkpointer minimises to keep the best supernet:
        ``mean_error`` (default: the mean validation error over ``widths``,
        so no width is sacrificed), ``narrowest_error``, ``widest_error``,
        or ``last``: the most recent checkpoint, no selection on validation
        (whose scores are then unbiased estimates). A recipe's own metrics
        (``MetricStats`` attributes filled in ``compute_objectives``, such
        as the error rate its own ``on_stage_end`` keeps checkpoints by)
        score the same: the mean over widths, or only the widest or the
        narrowest width (see :meth:`~.stats.WidthStatsMixin.scored_widths`).
    avg_checkpoints : int
        Keep this many of the best checkpoints by ``ckpt_criterion`` (the
        most recent with ``last``) and evaluate the mean of their parameters
        (default 1: the best one; see
        :class:`~.averaging.CheckpointAveragingMixin`).
    recalibration_batches : int
        Before every validation and test, the BatchNorm statistics of every
        width are re-estimated (cumulative average, as US-Nets do after
        training) on this many batches of clean training clips, a fixed
        subset drawn once. The statistics a momentum average collects
        during training lag behind weights that move fast (few steps, high
        learning rate) and mix in augmented audio; without this a width
        can lose half its validation accuracy in one epoch. 0 disables it.
    extra_widths : list of float
        Widths outside ``widths`` (norms with ``shared_affine: True``)
        calibrated and evaluated after training.
    teacher_source : str or list of str, optional
        A trained model folder (or hub id) whose widest width teaches the
        supernet's widest, or a list of them, whose mean probabilities
        teach it (see :class:`ExternalTeacher`); the recipe needs
        ``label_encoder`` in its hparams. ``teacher_weight`` (default 0.5)
        weighs its term against the labels.
    lr_scheduler : callable, optional
        Called with the optimizer after every optimizer step (e.g.
        ``speechbrain.nnet.schedulers.LinearWarmupScheduler``: warm-up,
        then linear decay to zero).

    A recipe may override ``compute_forward`` and ``compute_objectives``
    (called once per width, every width of a training batch from the same
    random state and the same noise and impulse-response files: see
    :class:`~.draws.SameDraws`) and ``on_stage_start`` and
    ``on_stage_end``, with or without ``super()`` (see
    :class:`~.stats.WidthStatsMixin`).

    Example
    -------
    >>> from speechbrain_slimmable.nnet.linear import SlimmableLinear
    >>> model = SlimmableLinear(3, input_size=8, fixed_out=True)
    >>> brain = SandwichBrain(
    ...     modules={"model": model},
    ...     opt_class=lambda p: torch.optim.SGD(p, lr=0.1),
    ...     hparams={"widths": [1.0, 0.5], "strategy": "all"},
    ... )
    >>> brain.training_widths()
    [1.0, 0.5]
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._check_slimmable_modules()
        self.widths = self._model_widths()
        self.strategy = self.hparam("strategy", "all")
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"strategy must be one of {STRATEGIES}, got {self.strategy!r}"
            )
        self.num_sampled_widths = self.hparam("num_sampled_widths", 4)
        if self.strategy == "sandwich" and self.num_sampled_widths < 2:
            raise ValueError(
                "num_sampled_widths must be at least 2 (widest and narrowest),"
                f" got {self.num_sampled_widths}"
            )
        self.width_range = self.hparam("width_range")
        if self.width_range is not None:
            low, high = check_width_list(self.width_range)[::-1]
            if self.strategy != "sandwich" or low == high:
                raise ValueError(
                    "width_range needs strategy: sandwich and two different "
                    f"widths, got {self.width_range}"
                )
            self.width_range = (low, high)
        criterion = self.hparam("ckpt_criterion", "mean_error")
        if criterion not in CRITERIA:
            raise ValueError(
                f"ckpt_criterion must be one of {CRITERIA}, got {criterion!r}"
            )
        # The key to evaluate with (min_key); None loads the most recent.
        self.criterion = None if criterion == "last" else criterion
        self.avg_checkpoints = self.hparam("avg_checkpoints", 1)
        if (
            isinstance(self.avg_checkpoints, bool)
            or not isinstance(self.avg_checkpoints, int)
            or self.avg_checkpoints < 1
        ):
            raise ValueError(
                "avg_checkpoints must be a positive integer, got "
                f"{self.avg_checkpoints!r}"
            )
        self.extra_widths = self._check_extra_widths()
        self.wide_fea_augment_from = self.hparam("wide_fea_augment_from", 1.0)
        try:
            check_width(self.wide_fea_augment_from)
        except ValueError as error:
            raise ValueError(f"wide_fea_augment_from: {error}") from None
        self.teacher = None
        self._prepared = None
        self._training_width = None
        self.calibration_set = None
        self.calibration_data = []
        self.same_draws = None

    def _wrap_distributed(self):
        """Wrap for DDP; on CPU without SpeechBrain's SyncBatchNorm.

        SpeechBrain converts every BatchNorm to ``SyncBatchNorm``, which DDP
        refuses on CPU. On CPU (gloo) each process keeps its own BatchNorm
        statistics instead, as plain DDP does; parameters stay in sync.
        """
        if not (
            self.distributed_launch and torch.device(self.device).type == "cpu"
        ):
            return super()._wrap_distributed()
        for name, module in self.modules.items():
            if any(p.requires_grad for p in module.parameters()):
                self.modules[name] = DDP(
                    module,
                    device_ids=None,
                    find_unused_parameters=self.find_unused_parameters,
                )

    def make_dataloader(
        self, dataset, stage, ckpt_prefix="dataloader-", **loader_kwargs
    ):
        """SpeechBrain's loader, drawing its seeds from its own generator.

        A torch ``DataLoader`` draws a seed from the global generator each
        time it starts an epoch. A resumed run starts one more epoch than
        the uninterrupted run did at the same point, which would shift every
        later random draw (dropout, augmentation, sampled widths). A
        generator of the loader's own keeps the global stream as it was.
        """
        loader_kwargs.setdefault("generator", torch.Generator())
        return super().make_dataloader(
            dataset, stage, ckpt_prefix=ckpt_prefix, **loader_kwargs
        )

    def hparam(self, name, default=None):
        """Return ``hparams.name`` if the recipe set it, else ``default``."""
        value = getattr(self.hparams, name, None)
        return default if value is None else value

    def compute_forward(self, batch, stage):
        """Logits of ``modules.model`` at its current width.

        The features of :meth:`prepare_batch` are computed once per batch
        and shared by every width. A recipe may override this method and
        :meth:`compute_objectives` as for any ``speechbrain.Brain``: they
        are then called once per width, and every width of a training
        batch starts from the same random state, so that each sees the
        same augmentation draws.
        """
        features, _, _ = self.prepare_batch(batch, stage)
        return self.modules.model(features)

    def compute_objectives(self, predictions, batch, stage):
        """Cross-entropy against the labels (label smoothing in training)."""
        _, targets, _ = self.prepare_batch(batch, stage)
        smoothing = self.hparam("label_smoothing", 0.0)
        return F.cross_entropy(
            self.logits_of(predictions),
            targets,
            label_smoothing=smoothing if stage == sb.Stage.TRAIN else 0.0,
        )

    def distilled(self, loss, logits, teacher_logits, weight):
        """Mix a width's label ``loss`` with distillation from a teacher.

        Returns ``(1 - weight) * loss + weight * soft_cross_entropy``, at
        ``distillation_temperature``.
        """
        temperature = self.hparam("distillation_temperature", 1.0)
        distill = soft_cross_entropy(logits, teacher_logits, temperature)
        return (1 - weight) * loss + weight * distill

    def fit_batch(self, batch):
        """Run every width of the step; one optimizer step at the end.

        The widest width learns from the labels (and ``teacher_source``,
        if set); with ``distillation`` the others learn from the labels and
        the widest's detached output. Only the last backward pass of a
        stepping batch synchronises gradients under DDP; AMP, gradient
        accumulation and gradient checks work as in
        ``speechbrain.Brain.fit_batch``.
        """
        should_step = (self.step % self.grad_accumulation_factor) == 0
        self.on_fit_batch_start(batch, should_step)
        widths = self.training_widths()
        teacher = None
        if self.teacher is not None:
            features, _, wavs = self.prepare_batch(batch, sb.Stage.TRAIN)
            if getattr(batch, "is_image", None) is not None:
                teacher = self.teacher.of_features(features)
            else:
                teacher = self.teacher(wavs)
        distill = self.hparam("distillation", False)
        if self.same_draws is None:
            found = [*vars(self.hparams).values(), *self.modules.values()]
            self.same_draws = SameDraws(
                file_reading_augmentations(found), self.device
            )
        self.same_draws.start()
        losses = {}
        for index, width in enumerate(widths):
            self._training_width = width
            last = index == len(widths) - 1
            with (
                self.no_sync(not (should_step and last)),
                self.same_draws.width(first=index == 0),
            ):
                with self.training_ctx, at_width(self.modules, width):
                    predictions = self.compute_forward(batch, sb.Stage.TRAIN)
                    loss = self.compute_objectives(
                        predictions, batch, sb.Stage.TRAIN
                    )
                    logits = self.logits_of(predictions)
                    if teacher is not None:
                        name = "teacher" if index == 0 else "distillation"
                        weight = self.hparam(f"{name}_weight", 0.5)
                        loss = self.distilled(loss, logits, teacher, weight)
                scaled_loss = self.scaler.scale(
                    loss / self.grad_accumulation_factor
                )
                self.check_loss_isfinite(scaled_loss)
                scaled_loss.backward()
            if index == 0:
                teacher = logits.detach() if distill else None
            losses[width] = loss.detach()
        self._prepared = None
        self._training_width = None
        if should_step:
            self.optimizers_step()
        self.on_fit_batch_end(batch, losses, loss, should_step)
        return torch.stack(list(losses.values())).mean().cpu()

    @torch.no_grad()
    def evaluate_batch(self, batch, stage):
        """Loss and accuracy of every width in ``widths`` on one batch."""
        targets = self.targets_of(batch)
        scored = self.scored_widths()
        losses = []
        for width in self.widths:
            with contextlib.ExitStack() as context:
                context.enter_context(at_width(self.modules, width))
                if width not in scored:
                    context.enter_context(self.unscored())
                predictions = self.compute_forward(batch, stage)
                loss = self.compute_objectives(predictions, batch, stage)
            error = self.logits_of(predictions).argmax(-1) != targets
            self.loss_stats[width].append(batch.id, loss.expand(len(targets)))
            self.error_stats[width].append(batch.id, error.float())
            losses.append(loss)
        self._prepared = None
        return torch.stack(losses).mean().detach().cpu()

    def on_fit_start(self):
        """SpeechBrain's set-up; then load ``teacher_source`` if set."""
        super().on_fit_start()
        source = self.hparam("teacher_source")
        if source is not None and self.teacher is None:
            self.teacher = ExternalTeacher(
                source, self.hparams.label_encoder, device=self.device
            )
            if getattr(self.hparams, "image_features", None) is not None:
                self.teacher.check_front_end(
                    self.modules.compute_features,
                    self.hparam("sample_rate", 16000),
                )

    def on_fit_batch_end(self, batch, outputs, loss, should_step):
        """Step ``lr_scheduler`` (if any) after each optimizer step."""
        scheduler = getattr(self.hparams, "lr_scheduler", None)
        if should_step and scheduler is not None:
            scheduler(self.optimizer)
