"""A time shift drawn for every utterance of a batch, for training.

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
