"""Training negatives cut from keywords: the word at the window's edge.

In a stream, the windows just before and after a keyword hold only its start
or its end. A model trained on whole words may hear another keyword in
them, and a detector smoothing its windows then fires on those. :class:`EdgeNegatives` turns a share of the keyword clips of
a training batch into such windows, in the log-mel domain: each clip is
moved so that its word's energy centre lies within ``edge_frames`` of the
first or the last frame (about half of the word is left), and is labelled
as the negative class (``_unknown_``).

Authors
 * speechbrain-slimmable developers 2026
"""

import torch

from speechbrain_slimmable.lobes.features import pixel_range
from speechbrain_slimmable.log_mel_augment import shift_frames


class EdgeNegatives(torch.nn.Module):
    """Make a share of a batch's keyword clips negatives cut at the edge.

    Arguments
    ---------
    share : float
        The probability that each keyword clip becomes a negative.
    edge_frames : int
        The word's centre lands within this many frames of the window's
        first or last frame (either side of it, uniformly).
    negative_label : str
        The class the negatives are labelled as.
    non_keywords : sequence of str
        Classes whose clips are never cut (they hold no keyword); those
        the data lacks are ignored.
    floor : float
        The log-mel value of silence, for the frames that enter (default:
        pixel 0 of the images).

    Example
    -------
    >>> from speechbrain.dataio.encoder import CategoricalEncoder
    >>> encoder = CategoricalEncoder()
    >>> encoder.update_from_iterable(["_silence_", "_unknown_", "yes"])
    >>> log_mel = torch.full((2, 20, 3), -10.0)
    >>> log_mel[:, 8:12] = 0.0  # a word in the middle
    >>> targets = torch.tensor([encoder.encode_label("yes"),
    ...                         encoder.encode_label("_silence_")])
    >>> cut = EdgeNegatives(share=1.0, edge_frames=1, floor=-10.0)
    >>> out, labels = cut(log_mel, targets, encoder)
    >>> encoder.decode_ndim(labels)
    ['_unknown_', '_silence_']
    >>> torch.equal(out[1], log_mel[1])
    True
    """

    def __init__(
        self,
        share=0.1,
        edge_frames=5,
        negative_label="_unknown_",
        non_keywords=("_unknown_", "_silence_"),
        floor=None,
    ):
        super().__init__()
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"share must be within [0, 1], got {share}")
        self.share = share
        self.edge_frames = edge_frames
        self.negative_label = negative_label
        self.non_keywords = tuple(non_keywords)
        self.floor = pixel_range()[0] if floor is None else floor

    def forward(self, log_mel, targets, label_encoder):
        """``log_mel`` ``(batch, frames, n_mels)`` and class indices
        ``targets`` ``(batch,)``, with the picked keyword clips cut and
        relabelled; ``label_encoder`` names the classes."""
        if self.share == 0:
            return log_mel, targets
        device = targets.device
        classes = label_encoder.lab2ind
        if self.negative_label not in classes:
            raise ValueError(
                f"negative_label {self.negative_label!r} is not a class of "
                f"the data ({', '.join(map(str, classes))}): name one"
            )
        non_keywords = torch.tensor(
            [classes[label] for label in self.non_keywords if label in classes],
            device=device,
        )
        keyword = ~torch.isin(targets, non_keywords)
        picked = keyword & (torch.rand(len(targets)) < self.share).to(device)
        count = int(picked.sum())
        if count == 0:
            return log_mel, targets
        frames = log_mel.shape[1]
        offsets = torch.randint(
            -self.edge_frames, self.edge_frames + 1, (count,)
        )
        at_end = torch.rand(count) < 0.5
        goal = torch.where(at_end, frames - 1 + offsets, offsets)
        centres = energy_centre(log_mel[picked]).round().long().cpu()
        log_mel = log_mel.clone()
        log_mel[picked] = shift_frames(
            log_mel[picked], goal - centres, self.floor
        )
        targets = targets.clone()
        targets[picked] = label_encoder.encode_label(self.negative_label)
        return log_mel, targets


def energy_centre(log_mel):
    """The frame each clip's energy above its median frame is centred on
    (its middle when flat), ``(batch,)``.

    Example
    -------
    >>> log_mel = torch.full((1, 10, 2), -10.0)
    >>> log_mel[0, 6] = 0.0
    >>> energy_centre(log_mel).round()
    tensor([6.])
    """
    power = log_mel.exp().sum(dim=-1)
    above = (power - power.median(dim=1, keepdim=True).values).clamp(min=0)
    frames = torch.arange(
        log_mel.shape[1], dtype=power.dtype, device=power.device
    )
    total = above.sum(dim=1)
    middle = torch.full_like(total, (log_mel.shape[1] - 1) / 2)
    centre = (above * frames).sum(dim=1) / total.clamp(min=1e-30)
    return torch.where(total > 0, centre, middle)
