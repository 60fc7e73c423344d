"""BatchNorm recalibration for a Brain: calibration clips, captured once.

Authors
 * speechbrain-slimmable developers 2026
"""

import math

import speechbrain as sb
import torch

from speechbrain_slimmable.nnet.width import at_width, check_width_list
from speechbrain_slimmable.supernet.recalibration import recalibrate_bn


class _InputCaptured(Exception):
    """Stops a forward pass once the model's input is captured."""


class CalibrationMixin:
    """Re-estimate BatchNorm statistics of a supernet on training clips.

    Mixed into :class:`~speechbrain_slimmable.brain.SandwichBrain`; reads
    its ``modules.model``, ``widths``, ``extra_widths`` and
    ``compute_forward``.
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
        self.calibration_features = []

    def calibration_batches(self):
        """The model's inputs for the calibration subset, computed once.

        Whatever :meth:`compute_forward` feeds ``modules.model`` (a
        recipe's own front end included), captured at the model's input in
        eval mode without running the model.
        """
        if self.calibration_set is None or len(self.calibration_set) == 0:
            return []
        if self.calibration_features:
            return self.calibration_features
        # A generator of its own: iterating a loader draws a seed from the
        # global one, which would shift a resumed run's random stream.
        loader = sb.dataio.dataloader.make_dataloader(
            self.calibration_set,
            batch_size=self.calibration_batch_size,
            collate_fn=sb.dataio.batch.PaddedBatch,
            generator=torch.Generator(),
        )

        def capture(module, args):
            self.calibration_features.append(args[0].detach())
            raise _InputCaptured

        modes = [(m, m.training) for m in self.modules.modules()]
        self.modules.eval()
        hook = self.modules.model.register_forward_pre_hook(capture)
        try:
            with torch.no_grad():
                for batch in loader:
                    try:
                        self.compute_forward(batch, sb.Stage.TEST)
                    except _InputCaptured:
                        pass
                    self._prepared = None
        finally:
            hook.remove()
            for module, training in modes:
                module.training = training
        return self.calibration_features

    def recalibrate(self, widths):
        """Re-estimate the BatchNorm statistics of ``widths``.

        Uses :meth:`calibration_batches`; does nothing without them.

        Arguments
        ---------
        widths : list of float
            Widths to calibrate; with ``shared_affine`` norms they may lie
            outside the width list.
        """
        batches = self.calibration_batches()
        if not batches:
            return
        with at_width(self.modules.model, self.widths[0]):
            for width in widths:
                recalibrate_bn(self.modules.model, width, batches)

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
