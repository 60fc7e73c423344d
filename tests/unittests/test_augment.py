"""Tests of the per-utterance time shift and of mixup."""

import pytest
import torch

from speechbrain_slimmable.augment import MixUp, RandomShiftPerUtterance


def _impulses(batch, time, at):
    """A batch of silent waveforms, each with one click at sample ``at``."""
    waveforms = torch.zeros(batch, time)
    waveforms[:, at] = 1.0
    return waveforms


def test_every_utterance_draws_its_own_shift_within_the_bounds():
    torch.manual_seed(0)
    shift = RandomShiftPerUtterance(min_shift=-30, max_shift=30)
    waveforms = _impulses(batch=64, time=200, at=100)
    shifted, _ = shift(waveforms, torch.ones(64))
    moves = shifted.argmax(dim=1) - 100
    assert moves.abs().max() <= 30
    assert len(set(moves.tolist())) > 10  # not one shift for the batch
    # Each row is its own waveform rolled: nothing is lost or mixed.
    for row, move in zip(shifted, moves.tolist()):
        assert torch.equal(row, torch.roll(waveforms[0], move))


def test_lengths_move_with_the_shift_and_stay_relative():
    torch.manual_seed(1)
    shift = RandomShiftPerUtterance(min_shift=-40, max_shift=40)
    waveforms = _impulses(batch=32, time=100, at=50)
    lengths = torch.full((32,), 0.8)
    shifted, new_lengths = shift(waveforms, lengths)
    moves = (shifted.argmax(dim=1) - 50).to(lengths.dtype)
    expected = torch.clamp(lengths + moves / 100, 0.0, 1.0)
    assert torch.allclose(new_lengths, expected)


def test_multichannel_waveforms_shift_every_channel_alike():
    torch.manual_seed(2)
    shift = RandomShiftPerUtterance(min_shift=-5, max_shift=5)
    mono = torch.randn(4, 40)
    stereo = torch.stack([mono, 2 * mono], dim=2)
    shifted, _ = shift(stereo, torch.ones(4))
    assert torch.equal(shifted[..., 1], 2 * shifted[..., 0])


def test_shift_without_range_leaves_the_batch_alone():
    shift = RandomShiftPerUtterance(min_shift=0, max_shift=0)
    waveforms = torch.randn(3, 50)
    lengths = torch.tensor([0.5, 0.9, 1.0])
    shifted, new_lengths = shift(waveforms, lengths)
    assert torch.equal(shifted, waveforms)
    assert torch.equal(new_lengths, lengths)


def test_an_empty_range_is_refused():
    with pytest.raises(ValueError, match="min_shift"):
        RandomShiftPerUtterance(min_shift=10, max_shift=-10)


def test_mixup_mixes_each_clip_with_a_partner_and_its_label_alike():
    """Clip ``i`` of an identity batch is its own one-hot waveform: after
    mixup its samples are the weights of the two clips mixed, which must
    be its target's class probabilities."""
    torch.manual_seed(0)
    batch = 64
    mixup = MixUp(n_classes=batch, alpha=0.4)
    mixed, _, targets = mixup(
        torch.eye(batch), torch.ones(batch), torch.arange(batch)
    )
    torch.testing.assert_close(targets, mixed)
    torch.testing.assert_close(targets.sum(dim=1), torch.ones(batch))
    own = targets.diagonal()
    assert (own >= 0.5).all()  # each clip keeps the larger share
    assert (own < 0.9).sum() > 5  # and some are really mixed
    assert ((targets > 0).sum(dim=1) <= 2).all()  # with one partner at most


def test_mixup_keeps_the_longer_length_of_a_pair():
    torch.manual_seed(1)
    mixup = MixUp(n_classes=4, alpha=1.0)
    lengths = torch.tensor([0.25, 0.5, 0.75, 1.0])
    _, new_lengths, targets = mixup(torch.eye(4), lengths, torch.arange(4))
    partners = targets.masked_fill(torch.eye(4, dtype=torch.bool), 0).argmax(1)
    own_partner = targets.diagonal() == 1  # the permutation left it in place
    expected = torch.where(
        own_partner, lengths, torch.maximum(lengths, lengths[partners])
    )
    torch.testing.assert_close(new_lengths, expected)


@pytest.mark.parametrize(
    "arguments, message",
    [({"n_classes": 3, "alpha": 0}, "alpha"), ({"n_classes": 1}, "n_classes")],
)
def test_bad_mixup_settings_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        MixUp(**arguments)


def test_mixup_refuses_targets_that_are_not_class_indices():
    mixup = MixUp(n_classes=3)
    with pytest.raises(ValueError, match="class indices"):
        mixup(torch.randn(2, 8), torch.ones(2), torch.eye(3)[:2])
