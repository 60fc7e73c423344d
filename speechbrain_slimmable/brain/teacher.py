"""A trained model folder as an external distillation teacher.

Transformers trained on little data gain from a strong CNN teacher (DeiT,
Touvron et al., 2021). ``SandwichBrain`` loads one when the recipe sets
``teacher_source`` and distils the widest width from it, on top of the
in-place distillation of the narrower widths from the widest.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch
import torch.nn.functional as F

from speechbrain_slimmable.nnet.width import set_width


class ExternalTeacher:
    """Logits of a trained model folder, in the student's class order.

    The teacher runs its own front end on the (augmented) waveforms, at its
    widest width, in eval mode and without gradients.

    Arguments
    ---------
    source : str
        A model folder or hub id, as for
        :meth:`speechbrain_slimmable.inference.SlimmableKWSClassifier.from_hparams`.
    label_encoder : speechbrain.dataio.encoder.CategoricalEncoder
        The student's fitted label encoder; the teacher must know exactly
        the same classes (in any order).
    device : str
        Where the teacher runs.
    savedir : str, optional
        Where a hub model's files are linked.

    Example
    -------
    >>> teacher = ExternalTeacher(getfixture("tiny_model_folder"),
    ...                           getfixture("tiny_label_encoder"))
    >>> teacher(torch.rand(2, 16000) - 0.5).shape
    torch.Size([2, 2])
    """

    def __init__(self, source, label_encoder, device="cpu", savedir=None):
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
        self.order = torch.tensor(
            [theirs[label_encoder.ind2lab[i]] for i in range(len(ours))],
            device=device,
        )
        self.compute_features = classifier.mods.compute_features.eval()
        self.model = classifier.mods.model.eval()
        set_width(self.model, max(classifier.widths))

    @torch.no_grad()
    def __call__(self, wavs):
        """Teacher logits ``(batch, n_classes)`` for ``(batch, samples)``."""
        logits = self.model(self.compute_features(wavs))
        return logits[:, self.order]


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
