"""BatchNorm recalibration for a Brain, through the recipe's own forward.

Authors
 * speechbrain-slimmable developers 2026
"""

import math

import speechbrain as sb
import torch

from speechbrain_slimmable.nnet.normalization import SwitchableNorm
from speechbrain_slimmable.nnet.width import at_width, check_width_list
from speechbrain_slimmable.supernet.recalibration import recalibrate_bn


class RecipeForward(torch.nn.Module):
    """The recipe's ``compute_forward`` on a batch, as one module.

    Holds the Brain's ``modules`` (so that switching width, modes and
    BatchNorm statistics reach every one of them) and runs them as the
    recipe does, whichever modules its ``compute_forward`` calls.

    Arguments
    ---------
    brain : speechbrain.Brain
        The Brain whose ``compute_forward`` and ``modules`` to run.
    stage : speechbrain.Stage
        The stage passed to ``compute_forward``.
    """

    def __init__(self, brain, stage=sb.Stage.TEST):
        super().__init__()
        self.recipe_modules = brain.modules
        self._brain = [brain]  # not a submodule
        self.stage = stage

    def forward(self, batch):
        """Run ``compute_forward`` on one SpeechBrain batch."""
        brain = self._brain[0]
        try:
            return brain.compute_forward(batch, self.stage)
        finally:
            brain._prepared = None


class CalibrationMixin:
    """Re-estimate BatchNorm statistics of a supernet on training clips.

    Mixed into :class:`~speechbrain_slimmable.brain.SandwichBrain`; reads
    its ``modules``, ``widths``, ``extra_widths`` and ``compute_forward``.
    The recipe's own ``compute_forward`` runs the calibration clips (in
    the test stage: no augmentation), so the statistics are those of the
    inputs the slimmable modules really get, whichever modules it calls
    and whatever front end and normalisation it applies first.
    """

    def fit(self, epoch_counter, train_set, *args, **kwargs):
        """``speechbrain.Brain.fit``; ``train_set`` also calibrates BN.

        See :meth:`use_for_calibration`; a ``DataLoader`` given as
        ``train_set`` is not used for calibration.
        """
        if isinstance(train_set, torch.utils.data.Dataset):
            loader_kwargs = kwargs.get("train_loader_kwargs") or {}
            self.use_for_calibration(
                train_set, loader_kwargs.get("batch_size", 32)
            )
        return super().fit(epoch_counter, train_set, *args, **kwargs)

    def use_for_calibration(self, dataset, batch_size=32):
        """Re-estimate BatchNorm statistics on clean clips of ``dataset``.

        A fixed random subset of ``recalibration_batches`` batches, drawn
        with a generator of its own (the global random stream, and so a
        resumed run, is untouched). :meth:`fit` calls it with its training
        set; call it yourself before ``evaluate`` without ``fit``.

        Arguments
        ---------
        dataset : torch.utils.data.Dataset
            Training clips (SpeechBrain ``DynamicItemDataset``).
        batch_size : int
            Clips per calibration batch.
        """
        count = self.hparam("recalibration_batches", 8) * batch_size
        order = torch.randperm(
            len(dataset), generator=torch.Generator().manual_seed(0)
        )
        self.calibration_set = torch.utils.data.Subset(
            dataset, order[:count].tolist()
        )
        self.calibration_batch_size = batch_size
        self.calibration_data = []

    def calibration_batches(self):
        """The batches of the calibration subset, loaded once."""
        if self.calibration_set is None or len(self.calibration_set) == 0:
            return []
        if not self.calibration_data:
            # A generator of its own: iterating a loader draws a seed from
            # the global one, which would shift a resumed run's stream.
            self.calibration_data = list(
                sb.dataio.dataloader.make_dataloader(
                    self.calibration_set,
                    batch_size=self.calibration_batch_size,
                    collate_fn=sb.dataio.batch.PaddedBatch,
                    generator=torch.Generator(),
                )
            )
        return self.calibration_data

    def recalibrate(self, widths):
        """Re-estimate the BatchNorm statistics of ``widths``.

        Uses :meth:`calibration_batches`; does nothing without them, and
        raises a RuntimeError if ``compute_forward`` left a BatchNorm of a
        width without statistics (it did not run every slimmable module).

        Arguments
        ---------
        widths : list of float
            Widths to calibrate; with ``shared_affine`` norms they may lie
            outside the width list.
        """
        batches = self.calibration_batches()
        if not batches:
            return
        forward = RecipeForward(self)
        with at_width(self.modules, self.widths[0]):
            for width in widths:
                recalibrate_bn(forward, width, batches)
                _check_reached(self.modules, width, len(batches))

    def on_evaluate_start(self, max_key=None, min_key=None):
        """Load the best supernet; add ``extra_widths`` to the evaluation.

        Widths outside the list (``extra_widths``, with ``shared_affine``
        norms) get statistics of their own, re-estimated with every width
        at the start of the stage, and are evaluated too. Once they are
        added, the best supernet is already in memory (its checkpoint
        holds no statistics for them): a later ``evaluate`` keeps it.
        """
        new = [
            width
            for width in self.extra_widths
            if not any(math.isclose(width, w) for w in self.widths)
        ]
        if self.extra_widths and not new:
            return
        super().on_evaluate_start(max_key=max_key, min_key=min_key)
        if not new:
            return
        if not self.calibration_batches():
            raise ValueError(
                f"extra_widths {new} need BatchNorm recalibration on "
                "training clips: call fit, or use_for_calibration(train_set)"
                ", before evaluate"
            )
        self.widths = check_width_list(self.widths + new)


def _check_reached(modules, width, count):
    """Raise unless every BatchNorm of ``width`` saw the calibration."""
    missed = []
    for name, module in modules.named_modules():
        norm = (
            module.active_norm() if isinstance(module, SwitchableNorm) else None
        )
        seen = getattr(norm, "num_batches_tracked", None)
        if seen is not None and int(seen) == 0:
            missed.append(name)
    if missed:
        raise RuntimeError(
            f"BatchNorm recalibration ran compute_forward on {count} "
            f"calibration batches, but at width {width:g} it never reached "
            f"the norms {missed}: compute_forward must run the slimmable "
            "modules in every stage, or set recalibration_batches: 0"
        )
