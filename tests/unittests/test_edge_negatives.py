"""Keywords cut at the window's edge become negatives; other clips stay."""

import pytest
import torch
from speechbrain.dataio.encoder import CategoricalEncoder

from speechbrain_slimmable.edge_negatives import EdgeNegatives, energy_centre

LABELS = ["_silence_", "_unknown_", "no", "yes"]


@pytest.fixture
def encoder():
    encoder = CategoricalEncoder()
    encoder.update_from_iterable(LABELS)
    return encoder


def words(count, frames=98, start=40, length=20):
    """Log-mel clips of faint noise with a louder word at ``start``."""
    log_mel = torch.full((count, frames, 40), -12.0) + torch.rand(
        count, frames, 40, generator=torch.Generator().manual_seed(0)
    )
    log_mel[:, start : start + length] += 8.0
    return log_mel


def test_every_picked_keyword_ends_at_an_edge_as_unknown(encoder):
    torch.manual_seed(0)
    log_mel = words(64)
    targets = torch.tensor(
        [encoder.encode_label(label) for label in LABELS] * 16
    )
    cut = EdgeNegatives(share=1.0, edge_frames=5, floor=-12.0)
    out, labels = cut(log_mel, targets, encoder)
    keyword = torch.isin(targets, torch.tensor([2, 3]))
    assert (labels[keyword] == encoder.encode_label("_unknown_")).all()
    assert torch.equal(labels[~keyword], targets[~keyword])
    assert torch.equal(out[~keyword], log_mel[~keyword])
    # What is left of the word is centred within 5 frames of an edge (or
    # outside it): at most about half of the word stays in the window.
    loud = (out[keyword].mean(dim=-1) > -6.0).float()
    left = loud.sum(dim=1)
    assert (left <= 20 / 2 + 6).all() and (left > 0).any()
    near_edge = (loud[:, :6].sum(1) > 0) | (loud[:, -6:].sum(1) > 0)
    assert near_edge[left > 0].all()


def test_share_picks_about_that_share_and_zero_none(encoder):
    torch.manual_seed(1)
    targets = torch.full((2000,), encoder.encode_label("yes"))
    _, labels = EdgeNegatives(share=0.1)(
        words(2000, frames=30, start=10, length=5), targets, encoder
    )
    assert 0.07 < (labels != targets).float().mean() < 0.13
    log_mel = words(8)
    out, labels = EdgeNegatives(share=0.0)(log_mel, targets[:8], encoder)
    assert out is log_mel and torch.equal(labels, targets[:8])


def test_the_energy_centre_follows_the_word():
    assert abs(energy_centre(words(1, start=10, length=10)).item() - 14.5) < 0.5
    assert energy_centre(torch.zeros(1, 9, 2)).item() == 4.0


def test_a_share_outside_zero_to_one_fails():
    with pytest.raises(ValueError, match="share"):
        EdgeNegatives(share=1.5)


def test_a_negative_label_the_data_lacks_fails_naming_the_classes(encoder):
    cut = EdgeNegatives(share=1.0, negative_label="_other_")
    with pytest.raises(ValueError, match="'_other_' is not a class.*yes"):
        cut(words(2), torch.tensor([2, 3]), encoder)
