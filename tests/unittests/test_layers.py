"""Width switching of every slimmable layer type."""

import pytest
import torch

from speechbrain_slimmable import extract_subnet, set_width
from speechbrain_slimmable.nnet.attention import (
    SlicedEmbedding,
    SlimmableFeedForward,
    SlimmableMultiheadSelfAttention,
)
from speechbrain_slimmable.nnet.CNN import SlimmableConv1d, SlimmableConv2d
from speechbrain_slimmable.nnet.layer_norm import SwitchableLayerNorm
from speechbrain_slimmable.nnet.linear import SlimmableLinear
from speechbrain_slimmable.nnet.normalization import (
    SwitchableBatchNorm1d,
    SwitchableBatchNorm2d,
)
from speechbrain_slimmable.nnet.width import round_channels

WIDTHS = [1.0, 0.75, 0.5, 0.25]


def n_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("width", WIDTHS)
def test_linear_switches_and_slices(width):
    layer = SlimmableLinear(32, input_size=16)
    set_width(layer, width)
    active_in, active_out = round_channels(16, width), round_channels(32, width)
    out = layer(torch.rand(2, 5, active_in))
    assert out.shape == (2, 5, active_out)
    static = extract_subnet(layer, width)
    assert n_params(static) == active_out * active_in + active_out


def test_linear_uses_leading_weights():
    layer = SlimmableLinear(8, input_size=6)
    set_width(layer, 0.5)
    x = torch.rand(3, 3)
    expected = x @ layer.w.weight[:4, :3].T + layer.w.bias[:4]
    torch.testing.assert_close(layer(x), expected)


def test_fixed_in_and_out_never_slim():
    first = SlimmableLinear(16, input_size=40, fixed_in=True)
    last = SlimmableLinear(12, input_size=16, fixed_out=True)
    model = torch.nn.Sequential(first, last)
    for width in WIDTHS:
        set_width(model, width)
        assert model(torch.rand(2, 40)).shape == (2, 12)


def test_splits_keep_blocks_aligned():
    layer = SlimmableLinear(4, input_size=8, in_splits=2)
    set_width(layer, 0.5)
    x = torch.rand(2, 4)
    weight = layer.w.weight[:2][:, [0, 1, 4, 5]]
    torch.testing.assert_close(layer(x), x @ weight.T + layer.w.bias[:2])


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("groups", [1, 2, "depthwise"])
def test_conv1d_widths_and_groups(width, groups):
    groups = 16 if groups == "depthwise" else groups
    conv = SlimmableConv1d(16, 3, in_channels=16, groups=groups)
    set_width(conv, width)
    channels = round_channels(16 // (1 if groups == 16 else groups), width)
    channels *= 1 if groups == 16 else groups
    out = conv(torch.rand(2, 20, channels))
    assert out.shape == (2, 20, channels)
    static = extract_subnet(conv, width)
    conv.eval()
    x = torch.rand(2, 20, channels)
    torch.testing.assert_close(static(x), conv(x))


@pytest.mark.parametrize("width", WIDTHS)
def test_conv2d_switches(width):
    conv = SlimmableConv2d(16, (3, 3), input_shape=(1, 10, 8, 1), fixed_in=True)
    set_width(conv, width)
    out = conv(torch.rand(2, 10, 8, 1))
    assert out.shape == (2, 10, 8, round_channels(16, width))
    depthwise = SlimmableConv2d(16, (3, 3), in_channels=16, groups=16)
    set_width(depthwise, width)
    channels = round_channels(16, width)
    assert depthwise(torch.rand(2, 10, 8, channels)).shape[-1] == channels


def test_wrong_input_channels_fail_clearly():
    conv = SlimmableConv1d(16, 3, in_channels=16)
    set_width(conv, 0.5)
    with pytest.raises(ValueError, match="expects 8 input channels"):
        conv(torch.rand(2, 20, 16))


@pytest.mark.parametrize(
    "norm_class, shape",
    [
        (SwitchableBatchNorm1d, (4, 7, -1)),
        (SwitchableBatchNorm2d, (4, 5, 3, -1)),
    ],
)
def test_switchable_batchnorm_keeps_statistics_per_width(norm_class, shape):
    norm = norm_class(input_size=16, widths=WIDTHS)
    for width, offset in zip(WIDTHS, [1.0, 2.0, 3.0, 4.0]):
        set_width(norm, width)
        channels = round_channels(16, width)
        size = [channels if s == -1 else s for s in shape]
        norm(torch.randn(*size) + offset)
    means = [bn.running_mean.mean().item() for bn in norm.norm.norms]
    # Each width saw its own offset: 0.1 * offset after one step.
    assert means == pytest.approx([0.1, 0.2, 0.3, 0.4], abs=0.05)
    assert [bn.num_features for bn in norm.norm.norms] == [16, 12, 8, 4]


def test_switchable_norm_is_not_a_batchnorm_subclass():
    """DDP's convert_sync_batchnorm must not replace the switching module."""
    norm = SwitchableBatchNorm1d(input_size=8, widths=WIDTHS)
    converted = torch.nn.SyncBatchNorm.convert_sync_batchnorm(norm)
    assert type(converted.norm).__name__ == "SwitchableNorm"
    assert all(
        isinstance(bn, torch.nn.SyncBatchNorm) for bn in converted.norm.norms
    )
    set_width(converted, 0.25)
    assert converted.norm.active_norm() is converted.norm.norms[3]


def test_unknown_width_names_accepted_widths():
    norm = SwitchableBatchNorm1d(input_size=8, widths=[1.0, 0.5])
    with pytest.raises(ValueError, match=r"0\.3.*\[1\.0, 0\.5\]"):
        set_width(norm, 0.3)
    for bad in [0.0, 1.5, -0.5, "half", None]:
        with pytest.raises(ValueError):
            set_width(SlimmableLinear(4, input_size=4), bad)


def test_bad_width_leaves_model_unchanged():
    model = torch.nn.Sequential(
        SlimmableLinear(8, input_size=4, fixed_in=True),
        SwitchableBatchNorm1d(input_size=8, widths=[1.0, 0.5]),
    )
    set_width(model, 0.5)
    with pytest.raises(ValueError):
        set_width(model, 0.75)
    assert model[0].w.width == 0.5


def test_shared_affine_norm_trains_any_width_but_needs_statistics():
    norm = SwitchableBatchNorm1d(
        input_size=8, widths=[1.0, 0.5], shared_affine=True
    )
    set_width(norm, 0.375)
    assert norm(torch.rand(4, 5, 3)).shape == (4, 5, 3)
    norm.eval()
    with pytest.raises(ValueError, match="recalibrate_bn"):
        norm(torch.rand(4, 5, 3))


@pytest.mark.parametrize("shared_affine", [False, True])
def test_layernorm_per_width_or_shared(shared_affine):
    norm = SwitchableLayerNorm(16, widths=WIDTHS, shared_affine=shared_affine)
    for width in WIDTHS:
        set_width(norm, width)
        channels = round_channels(16, width)
        assert norm(torch.rand(2, 3, channels)).shape == (2, 3, channels)
    if shared_affine:
        set_width(norm, 0.6)  # any width: a LayerNorm keeps no statistics
    else:
        assert len(norm.norm.norms) == 4
        with pytest.raises(ValueError):
            set_width(norm, 0.6)


@pytest.mark.parametrize("width", WIDTHS)
def test_attention_shrinks_head_dim_keeps_heads(width):
    attention = SlimmableMultiheadSelfAttention(d_model=32, nhead=2)
    set_width(attention, width)
    d_model = round_channels(32, width)
    x = torch.rand(2, 6, d_model)
    assert attention(x).shape == x.shape
    head_dim = round_channels(16, width)
    assert attention.query.active_out() == 2 * head_dim
    static = extract_subnet(attention, width)
    assert static.query.out_features == 2 * head_dim
    torch.testing.assert_close(static(x), attention(x))


def test_attention_matches_formula():
    torch.manual_seed(0)
    attention = SlimmableMultiheadSelfAttention(d_model=8, nhead=1)
    set_width(attention, 0.5)
    x = torch.rand(1, 5, 4)
    q = x @ attention.query.weight[:4, :4].T + attention.query.bias[:4]
    k = x @ attention.key.weight[:4, :4].T + attention.key.bias[:4]
    v = x @ attention.value.weight[:4, :4].T + attention.value.bias[:4]
    context = torch.softmax(q @ k.transpose(1, 2) / 2.0, -1) @ v
    expected = context @ attention.out.weight[:4, :4].T + attention.out.bias[:4]
    torch.testing.assert_close(attention(x), expected)


def test_feedforward_and_embedding_slim():
    ffn = SlimmableFeedForward(64, input_size=32)
    set_width(ffn, 0.25)
    assert ffn(torch.rand(2, 3, 8)).shape == (2, 3, 8)
    assert extract_subnet(ffn, 0.25).ffn[0].weight.shape == (16, 8)
    emb = SlicedEmbedding(4, 16)
    set_width(emb, 0.5)
    assert emb(torch.tensor([0, 3])).shape == (2, 8)


def test_gradients_flow_at_every_width():
    model = torch.nn.Sequential(
        SlimmableConv1d(16, 3, in_channels=8, fixed_in=True),
        SwitchableBatchNorm1d(input_size=16, widths=WIDTHS),
        SlimmableLinear(4, input_size=16, fixed_out=True),
    )
    for width in WIDTHS:
        model.zero_grad()
        set_width(model, width)
        model(torch.rand(3, 10, 8)).sum().backward()
        channels = round_channels(16, width)
        grad = model[0].conv.weight.grad
        assert grad[:channels].abs().sum() > 0
        assert grad[channels:].abs().sum() == 0


def test_set_width_without_slimmable_layers_is_a_noop():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.ReLU())
    before = [p.clone() for p in model.parameters()]
    assert set_width(model, 0.5) is model
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    x = torch.rand(2, 4)
    torch.testing.assert_close(extract_subnet(model, 0.5)(x), model(x))


def test_rounding_suits_tiny_nets():
    assert round_channels(4, 0.5) == 2
    assert round_channels(3, 1.0) == 3
    assert round_channels(4, 0.5, divisor=8) == 4  # never above allocation
    assert round_channels(10, 0.01) == 1
    assert round_channels(24, 0.75, divisor=4) == 16 + 4
    assert round_channels(30, 0.5, divisor=4) == 16
