"""Training augmentations SpeechBrain lacks: a time shift drawn for every
utterance of a batch, and mixup.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch


class RandomShiftPerUtterance(torch.nn.Module):
    """Roll each waveform of a batch in time by its own random shift.

    SpeechBrain's ``RandomShift`` draws one shift for the whole batch, so
    every clip of a batch moves by the same amount; this draws one per
    utterance, uniformly in ``[min_shift, max_shift]`` samples, from
    torch's global generator (seeded and checkpointed by the recipe). A
    positive shift delays the signal; what leaves one end comes back at
    the other, as in ``torch.roll``. Relative lengths move with the shift,
    as ``RandomShift`` moves them, clamped to ``[0, 1]``.

    Arguments
    ---------
    min_shift : int
        The smallest shift in samples (negative: earlier).
    max_shift : int
        The largest shift in samples.

    Example
    -------
    >>> _ = torch.manual_seed(0)
    >>> shift = RandomShiftPerUtterance(min_shift=-2, max_shift=2)
    >>> waveforms = torch.arange(8.0).repeat(3, 1)
    >>> shifted, lengths = shift(waveforms, torch.ones(3))
    >>> shifted.shape, lengths.shape
    (torch.Size([3, 8]), torch.Size([3]))
    >>> bool((shifted.sort(dim=1).values == waveforms).all())
    True
    """

    def __init__(self, min_shift, max_shift):
        super().__init__()
        if min_shift > max_shift:
            raise ValueError(
                f"min_shift ({min_shift}) must not exceed max_shift ({max_shift})"
            )
        self.min_shift = int(min_shift)
        self.max_shift = int(max_shift)

    def forward(self, waveforms, lengths):
        """Shift every waveform of ``waveforms`` (``[batch, time]`` or
        ``[batch, time, channels]``); returns them with their new relative
        ``lengths`` (``[batch]``)."""
        batch, time = waveforms.shape[:2]
        shifts = torch.randint(
            self.min_shift,
            self.max_shift + 1,
            (batch,),
            device=waveforms.device,
        )
        positions = torch.arange(time, device=waveforms.device)
        sources = (positions.unsqueeze(0) - shifts.unsqueeze(1)) % time
        if waveforms.dim() == 3:
            sources = sources.unsqueeze(2).expand_as(waveforms)
        shifted = torch.gather(waveforms, 1, sources)
        lengths = torch.clamp(
            lengths + shifts.to(lengths.dtype) / time, 0.0, 1.0
        )
        return shifted, lengths


class MixUp(torch.nn.Module):
    """Mix every clip of a batch with another clip of it, and their labels.

    mixup (Zhang et al., 2018, "mixup: Beyond Empirical Risk
    Minimization"): clip ``i`` becomes ``w * x[i] + (1 - w) * x[j]``, with
    ``j`` a random permutation of the batch and ``w`` drawn for every clip
    from ``Beta(alpha, alpha)``, folded to ``w >= 0.5`` so that the clip's
    own class keeps the larger share; its target becomes the same mixture
    of the two one-hot labels. The waveforms are mixed, so features,
    feature augmentation and an external teacher all see the mixture.
    Draws come from torch's global generator (seeded and checkpointed by
    the recipe).

    Arguments
    ---------
    n_classes : int
        The number of classes of the one-hot targets.
    alpha : float
        Concentration of the Beta distribution (> 0); small values mix
        little, 1 mixes uniformly.

    Example
    -------
    >>> _ = torch.manual_seed(0)
    >>> mixup = MixUp(n_classes=3, alpha=0.4)
    >>> waveforms = torch.randn(4, 16000)
    >>> mixed, lengths, targets = mixup(
    ...     waveforms, torch.ones(4), torch.tensor([0, 1, 2, 0])
    ... )
    >>> mixed.shape, lengths.shape, targets.shape
    (torch.Size([4, 16000]), torch.Size([4]), torch.Size([4, 3]))
    >>> bool(torch.allclose(targets.sum(dim=1), torch.ones(4)))
    True
    >>> bool((targets.max(dim=1).values >= 0.5).all())
    True
    """

    def __init__(self, n_classes, alpha=0.4):
        super().__init__()
        if alpha <= 0:
            raise ValueError(f"alpha must be positive, got {alpha}")
        if n_classes < 2:
            raise ValueError(f"n_classes must be at least 2, got {n_classes}")
        self.n_classes = int(n_classes)
        self.alpha = float(alpha)

    def forward(self, waveforms, lengths, targets):
        """Mix ``waveforms`` (``[batch, time, ...]``) in pairs.

        Returns the mixed waveforms, their relative ``lengths`` (the longer
        of each pair) and the targets as class probabilities
        ``[batch, n_classes]`` (from class indices ``[batch]``).
        """
        if targets.dim() != 1:
            raise ValueError(
                "MixUp takes class indices of shape [batch], got shape "
                f"{tuple(targets.shape)}"
            )
        batch = waveforms.shape[0]
        concentration = torch.full((batch,), self.alpha)
        weights = torch.distributions.Beta(concentration, concentration)
        weights = weights.sample().to(waveforms.device)
        weights = torch.maximum(weights, 1 - weights).to(waveforms.dtype)
        partners = torch.randperm(batch, device=waveforms.device)

        def mix(values):
            """Each row of ``values`` weighted with its partner's row."""
            own = weights.view((batch,) + (1,) * (values.dim() - 1))
            return own * values + (1 - own) * values[partners]

        one_hot = torch.nn.functional.one_hot(targets, self.n_classes)
        probabilities = mix(one_hot.to(waveforms.dtype))
        return (
            mix(waveforms),
            torch.maximum(lengths, lengths[partners]),
            probabilities,
        )
