"""Trained model folders as an external distillation teacher.

Transformers trained on little data gain from a strong CNN teacher (DeiT,
Touvron et al., 2021); an ensemble of trained networks can teach one like
them (Hinton et al., 2015). ``SandwichBrain`` loads one or several model
folders when the recipe sets ``teacher_source`` and distils the widest width from
them, on top of the in-place distillation of the narrower widths from the
widest.

Authors
 * speechbrain-slimmable developers 2026
"""

import math
import os

import torch
import torch.nn.functional as F

from speechbrain_slimmable.nnet.width import set_width


class ExternalTeacher:
    """Log-probabilities of trained model folders, in the student's order.

    Each teacher runs its own front end on the (augmented) waveforms, at its
    widest width, in eval mode and without gradients; on spectrogram images,
    which have no waveform, it scores the student's features instead
    (:meth:`of_features`). Several folders make
    an ensemble: its output is the log of the mean of their probabilities.

    Arguments
    ---------
    source : str or list of str
        A model folder or hub id, as for
        :meth:`speechbrain_slimmable.inference.SlimmableKWSClassifier.from_hparams`,
        or a list of them for an ensemble.
    label_encoder : speechbrain.dataio.encoder.CategoricalEncoder
        The student's fitted label encoder; every teacher must know exactly
        the same classes (in any order).
    device : str
        Where the teachers run.
    savedir : str, optional
        Where a hub model's files are linked; for a list, one folder per
        teacher below it, named by its position in ``source``.

    Example
    -------
    >>> teacher = ExternalTeacher(getfixture("tiny_model_folder"),
    ...                           getfixture("tiny_label_encoder"))
    >>> wavs = torch.rand(2, 16000) - 0.5
    >>> torch.allclose(teacher(wavs).exp().sum(-1), torch.ones(2))
    True
    >>> pair = ExternalTeacher([getfixture("tiny_model_folder")] * 2,
    ...                        getfixture("tiny_label_encoder"))
    >>> torch.allclose(pair(wavs), teacher(wavs))
    True
    """

    def __init__(self, source, label_encoder, device="cpu", savedir=None):
        single = isinstance(source, (str, os.PathLike))
        sources = [source] if single else list(source)
        if not sources:
            raise ValueError("teacher_source is an empty list: name a folder")
        if single or savedir is None:
            savedirs = [savedir] * len(sources)
        else:
            savedirs = [
                os.path.join(savedir, str(i)) for i in range(len(sources))
            ]
        self.members = [
            self._load(one, label_encoder, device, where)
            for one, where in zip(sources, savedirs)
        ]

    @staticmethod
    def _load(source, label_encoder, device, savedir):
        """Front end, widest model and class order of one model folder."""
        from speechbrain_slimmable.inference import SlimmableKWSClassifier

        classifier = SlimmableKWSClassifier.from_hparams(
            source=source, savedir=savedir, run_opts={"device": device}
        )
        theirs = classifier.hparams.label_encoder.lab2ind
        ours = label_encoder.lab2ind
        if set(theirs) != set(ours):
            raise ValueError(
                f"teacher_source {source} knows the classes "
                f"{sorted(theirs)}, the student {sorted(ours)}: a teacher "
                "must be trained on the same classes"
            )
        order = torch.tensor(
            [theirs[label_encoder.ind2lab[i]] for i in range(len(ours))],
            device=device,
        )
        model = classifier.mods.model.eval()
        set_width(model, max(classifier.widths))
        return classifier.mods.compute_features.eval(), model, order

    @torch.no_grad()
    def __call__(self, wavs):
        """Log-probabilities ``(batch, n_classes)`` for ``(batch, samples)``.

        They serve as the teacher's logits: their softmax is the mean of
        the teachers' probabilities (one teacher's own, at any
        temperature).
        """
        log_probs = torch.stack(
            [
                F.log_softmax(model(compute_features(wavs))[:, order], dim=-1)
                for compute_features, model, order in self.members
            ]
        )
        return log_probs.logsumexp(0) - math.log(len(self.members))

    def check_front_end(self, compute_features, sample_rate=16000):
        """Fail unless every teacher computes the features
        ``compute_features`` does (on one second of noise): only then can
        it score the student's features (:meth:`of_features`)."""
        probe = (
            torch.rand(
                1, sample_rate, generator=torch.Generator().manual_seed(0)
            )
            - 0.5
        )
        probe = probe.to(self.members[0][2].device)
        with torch.no_grad():
            ours = compute_features(probe)
            for theirs, _, _ in self.members:
                features = theirs(probe)
                if features.shape != ours.shape or not torch.allclose(
                    features, ours, atol=1e-4
                ):
                    raise ValueError(
                        "teacher_source computes other features than the "
                        "recipe: with spectrogram images the teacher scores "
                        "the recipe's features, so it needs the same front "
                        "end (e.g. a model of the same spectrogram recipe)"
                    )

    @torch.no_grad()
    def of_features(self, features):
        """Log-probabilities ``(batch, n_classes)`` of the teachers' models
        fed the student's ``features`` (``(batch, time, feats)``, from the
        same front end: see :meth:`check_front_end`), for batches whose
        clips have no waveform (spectrogram images)."""
        log_probs = torch.stack(
            [
                F.log_softmax(model(features)[:, order], dim=-1)
                for _, model, order in self.members
            ]
        )
        return log_probs.logsumexp(0) - math.log(len(self.members))


def soft_cross_entropy(logits, teacher_logits, temperature=1.0):
    """Cross-entropy of ``logits`` against the softmax of a teacher.

    Scaled by ``temperature ** 2`` so its gradients keep their size when the
    temperature changes (Hinton et al., 2015).

    Example
    -------
    >>> logits = torch.tensor([[2.0, 0.0]])
    >>> float(soft_cross_entropy(logits, logits)) > 0
    True
    """
    target = F.softmax(teacher_logits / temperature, dim=-1)
    log_probs = F.log_softmax(logits / temperature, dim=-1)
    return -(target * log_probs).sum(-1).mean() * temperature**2
