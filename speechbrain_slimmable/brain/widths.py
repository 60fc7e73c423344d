"""Which widths a supernet trains, and the checks of the width options.

Authors
 * speechbrain-slimmable developers 2026
"""

import math

import torch

from speechbrain_slimmable.nnet.normalization import SwitchableNorm
from speechbrain_slimmable.nnet.width import (
    check_width_list,
    served_widths,
    slimmable_modules,
)


class TrainingWidthsMixin:
    """The widths of the model (one source of widths) and of each step.

    Mixed into :class:`~speechbrain_slimmable.brain.SandwichBrain`; reads
    its ``modules``, ``strategy``, ``num_sampled_widths`` and
    ``width_range``.
    """

    def _model_widths(self):
        """The widths the model serves, widest first: one source of widths.

        ``hparams.widths`` chooses them only for a model that serves any
        width (no per-width norms) and must otherwise agree with it.
        """
        served = served_widths(self.modules)
        listed = self.hparam("widths")
        if served is None:
            if listed is None:
                raise ValueError(
                    "the model serves any width: set widths to the widths "
                    "to train"
                )
            return check_width_list(listed)
        if listed is not None:
            listed = check_width_list(listed)
            same = len(listed) == len(served) and all(
                math.isclose(a, b) for a, b in zip(listed, served)
            )
            if not same:
                raise ValueError(
                    f"widths {listed} are not the widths the model's norms "
                    f"serve, {served}: give the model's norms the same "
                    "widths (e.g. widths: !ref <widths>)"
                )
        return served

    def _check_slimmable_modules(self):
        """Fail before training unless ``modules`` hold slimmable layers."""
        if not slimmable_modules(self.modules):
            raise ValueError(
                "SandwichBrain found no slimmable layer in modules "
                f"{list(self.modules)}: build the model from the slimmable "
                "lobes (e.g. speechbrain_slimmable.lobes.models.Xvector."
                "SlimmableXvector and SlimmableClassifier)"
            )

    def _check_extra_widths(self):
        """``extra_widths`` not in ``widths``, checked before training."""
        extra = self.hparam("extra_widths", [])
        extra = [
            width
            for width in (check_width_list(extra) if extra else [])
            if not any(math.isclose(width, w) for w in self.widths)
        ]
        fixed = [
            m
            for m in self.modules.modules()
            if isinstance(m, SwitchableNorm) and not m.shared_affine
        ]
        if extra and fixed:
            raise ValueError(
                f"extra_widths {extra} are not in widths {self.widths}, and "
                "the model's norms keep statistics for listed widths only: "
                "set shared_affine: True to serve other widths, or add them "
                "to widths"
            )
        if extra and not self.hparam("recalibration_batches", 8):
            raise ValueError(
                f"extra_widths {extra} need BatchNorm recalibration: set "
                "recalibration_batches to a positive number"
            )
        return extra

    def training_widths(self):
        """The widths of one training step, widest first."""
        if self.strategy == "all" or (
            len(self.widths) == 1 and self.width_range is None
        ):
            return list(self.widths)
        high = self.width_range[1] if self.width_range else self.widths[0]
        low = self.width_range[0] if self.width_range else self.widths[-1]
        count = self.num_sampled_widths - 2
        if self.width_range:
            draws = torch.rand(count) * (high - low) + low
            middle = sorted(draws.tolist(), reverse=True)
        else:
            candidates = self.widths[1:-1]
            picks = torch.randperm(len(candidates))[:count].sort().values
            middle = [candidates[i] for i in picks.tolist()]
        return [high, *middle, low]
