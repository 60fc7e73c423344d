"""The width contract: served widths, scoped widths, prepared eval weights."""

import pytest
import torch

from speechbrain_slimmable import (
    at_width,
    extract_subnet,
    recalibrate_bn,
    served_widths,
    set_width,
)
from speechbrain_slimmable.lobes.models.KWT import SlimmableKWT
from speechbrain_slimmable.lobes.models.TCResNet import SlimmableTCResNet
from speechbrain_slimmable.nnet.width import slimmable_modules

WIDTHS = [1.0, 0.75, 0.5, 0.25]


def small_cnn(**kwargs):
    return SlimmableTCResNet(
        4, block_channels=[16, 16], block_strides=[2, 1], **kwargs
    )


def widths_of(model):
    return {layer.width for layer in slimmable_modules(model)}


def test_models_answer_which_widths_they_serve():
    assert served_widths(small_cnn(widths=[0.5, 1.0])) == [1.0, 0.5]
    assert served_widths(SlimmableKWT(4, widths=WIDTHS)) == WIDTHS
    # A universal Transformer: its LayerNorms keep no per-width state.
    assert served_widths(SlimmableKWT(4, shared_affine=True)) is None


def test_universal_batchnorm_model_serves_what_it_has_statistics_for():
    model = small_cnn(widths=[1.0, 0.5], shared_affine=True)
    set_width(model, 0.3)  # trains any width ...
    assert served_widths(model) == [1.0, 0.5]  # ... serves these in eval
    recalibrate_bn(model, 0.3, [torch.rand(2, 50, 40)])
    assert served_widths(model) == [1.0, 0.5, 0.3]


def test_at_width_switches_and_restores():
    model = small_cnn(widths=WIDTHS)
    set_width(model, 0.75)
    with at_width(model, 0.25) as inside:
        assert inside is model and widths_of(model) == {0.25}
    assert widths_of(model) == {0.75}
    with pytest.raises(RuntimeError), at_width(model, 0.5):
        raise RuntimeError("restored even so")
    assert widths_of(model) == {0.75}


def test_at_width_checks_before_switching_anything():
    model = small_cnn(widths=[1.0, 0.5])
    with pytest.raises(ValueError, match="accepted widths"):
        with at_width(model, 0.3):
            pytest.fail("a width the norms do not serve was entered")
    assert widths_of(model) == {1.0}


def test_eval_prepares_weights_once_per_width():
    torch.manual_seed(0)
    model = small_cnn(widths=WIDTHS).eval()
    conv = model.blocks[0].conv1[0].conv
    x = torch.rand(2, 50, 40)
    with torch.no_grad():
        first = model(x)
        prepared = conv.active_tensors()["weight"]
        torch.testing.assert_close(model(x), first)
        assert conv.active_tensors()["weight"] is prepared
        set_width(model, 0.5)
        assert conv.active_tensors()["weight"].shape[0] == 8
        torch.testing.assert_close(model(x), extract_subnet(model, 0.5)(x))


def scrambled_state(model):
    return {
        k: torch.rand_like(v) + 0.5 if v.is_floating_point() else v
        for k, v in model.state_dict().items()
    }


@pytest.mark.parametrize("width", [1.0, 0.5])
def test_prepared_weights_follow_load_state_dict(width):
    model = small_cnn(widths=WIDTHS).eval()
    set_width(model, width)
    x = torch.rand(2, 50, 40)
    with torch.no_grad():
        before = model(x)
        model.load_state_dict(scrambled_state(model))
        after = model(x)
    assert not torch.allclose(before, after)
    torch.testing.assert_close(after, extract_subnet(model, width)(x))


def test_prepared_weights_follow_optimizer_steps_and_train_mode():
    torch.manual_seed(0)
    model = small_cnn(widths=WIDTHS)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    x = torch.rand(4, 50, 40)
    set_width(model, 0.5)
    for _ in range(2):
        model.eval()
        with torch.no_grad():
            before = model(x)
        model.train()
        optimizer.zero_grad()
        model(x).logsumexp(-1).sum().backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            after = model(x)
            expected = extract_subnet(model, 0.5)(x)
        assert not torch.allclose(before, after)
        torch.testing.assert_close(after, expected)


def test_prepared_weights_follow_moves_and_replaced_parameters():
    torch.manual_seed(0)
    model = small_cnn(widths=WIDTHS).eval()
    set_width(model, 0.5)
    conv = model.blocks[0].conv1[0].conv
    x = torch.rand(2, 50, 40)
    with torch.no_grad():
        model(x)  # prepares float32 weights
        model.double()
        assert conv.active_tensors()["weight"].dtype == torch.float64
        torch.testing.assert_close(
            model(x.double()), extract_subnet(model, 0.5)(x.double())
        )
        before = conv.active_tensors()["weight"]
        conv.weight = torch.nn.Parameter(torch.rand_like(conv.weight))
        after = conv.active_tensors()["weight"]
        assert not torch.equal(after, before)
        assert torch.equal(after, conv.weight[:8, : after.shape[1]])


def test_training_gradients_reach_the_full_parameters():
    model = small_cnn(widths=WIDTHS).eval()
    with torch.no_grad():
        model(torch.rand(2, 50, 40))  # prepares the eval weights
    model.train()
    set_width(model, 0.5)
    model(torch.rand(2, 50, 40)).sum().backward()
    grad = model.blocks[0].conv1[0].conv.weight.grad
    assert grad[:8, :12].abs().sum() > 0 and grad[8:].abs().sum() == 0
    # With autograd on, eval mode cuts the weights afresh too.
    model.zero_grad()
    model.eval()
    model(torch.rand(2, 50, 40)).sum().backward()
    assert model.blocks[0].conv1[0].conv.weight.grad.abs().sum() > 0


def test_resolve_width_is_the_widest_or_a_checked_width():
    from speechbrain_slimmable import resolve_width

    assert resolve_width(None, [0.25, 1.0, 0.5]) == 1.0
    assert resolve_width(None) == 1.0
    assert resolve_width(0.5, [1.0, 0.5]) == 0.5
    with pytest.raises(ValueError, match="not one of the accepted widths"):
        resolve_width(0.75, [1.0, 0.5])
