"""KWS supernets: subnets equal the supernet, sizes, budgets, Xvector twin."""

import pytest
import torch
from speechbrain.lobes.models.Xvector import Classifier, Xvector

from speechbrain_slimmable import (
    count_parameters,
    extract_subnet,
    profile_widths,
    set_width,
)
from speechbrain_slimmable.lobes.models.KWT import SlimmableKWT
from speechbrain_slimmable.lobes.models.TCResNet import SlimmableTCResNet
from speechbrain_slimmable.lobes.models.Xvector import (
    SlimmableClassifier,
    SlimmableXvector,
    XvectorKWS,
)
from speechbrain_slimmable.width import Slimmable

WIDTHS = [1.0, 0.75, 0.5, 0.25]


def small_xvector(n_classes, widths=WIDTHS):
    return XvectorKWS(
        SlimmableXvector(
            tdnn_channels=[64, 64, 64, 64, 128], lin_neurons=32, widths=widths
        ),
        SlimmableClassifier(
            input_shape=(None, None, 32),
            lin_neurons=32,
            out_neurons=n_classes,
            widths=widths,
        ),
    )


BUILDERS = {
    "tcresnet": lambda n: SlimmableTCResNet(n, widths=WIDTHS),
    "kwt": lambda n: SlimmableKWT(n, widths=WIDTHS),
    "xvector": small_xvector,
}


@pytest.fixture(params=sorted(BUILDERS), scope="module")
def trained_model(request):
    torch.manual_seed(0)
    model = BUILDERS[request.param](12)
    # Give every norm non-trivial statistics so subnets are really tested.
    model.train()
    with torch.no_grad():
        for width in WIDTHS:
            set_width(model, width)
            for _ in range(3):
                model(torch.randn(4, 101, 40) * 2 + 1)
    return model


@pytest.fixture
def model(trained_model):
    return trained_model.eval()


@pytest.mark.parametrize("width", WIDTHS)
def test_subnet_equals_supernet(model, width):
    x = torch.randn(3, 101, 40)
    subnet = extract_subnet(model, width)
    set_width(model, width)
    with torch.no_grad():
        expected, got = model(x), subnet(x)
    assert got.shape == (3, 12)
    assert (expected - got).abs().max() <= 1e-5
    assert not any(isinstance(m, Slimmable) for m in subnet.modules())
    supernet_storage = {p.data_ptr() for p in model.parameters()}
    assert not supernet_storage & {p.data_ptr() for p in subnet.parameters()}


def test_subnet_is_made_of_plain_torch_layers(model):
    subnet = extract_subnet(model, 0.5)
    for module in subnet.modules():
        if list(module.parameters(recurse=False)):
            assert type(module).__module__.startswith("torch.nn")


def test_parameter_counts_decrease_and_match(model):
    rows = profile_widths(model, WIDTHS, torch.rand(1, 101, 40))
    params = [row["params"] for row in rows]
    macs = [row["macs"] for row in rows]
    assert params == sorted(params, reverse=True) and len(set(params)) == 4
    assert macs == sorted(macs, reverse=True) and len(set(macs)) == 4
    for width, count in zip(WIDTHS, params):
        subnet = extract_subnet(model, width)
        assert count == count_parameters(subnet)
    # The supernet holds one BatchNorm per width, the subnet just one.
    assert count_parameters(model) > params[0]


@pytest.mark.parametrize("n_classes", [12, 35])
@pytest.mark.parametrize("name", ["tcresnet", "kwt"])
def test_kws_models_fit_the_budget(name, n_classes):
    model = BUILDERS[name](n_classes)
    subnet = extract_subnet(model, 1.0)
    assert count_parameters(subnet) < 250_000
    assert count_parameters(model) < 250_000
    if name == "tcresnet":
        assert count_parameters(subnet) <= 199_000
    else:
        assert 67_000 <= count_parameters(subnet) <= 120_000


@pytest.mark.parametrize("width", WIDTHS)
def test_gradients_reach_every_parameter_of_the_width(model, width):
    model.train()
    set_width(model, width)
    model.zero_grad()
    model(torch.randn(2, 101, 40)).logsumexp(-1).sum().backward()
    subnet = extract_subnet(model, width)
    with_grad = sum(
        int((p.grad != 0).sum())
        for p in model.parameters()
        if p.grad is not None
    )
    # Almost every active weight receives a gradient (a few may be zero).
    assert with_grad >= 0.9 * count_parameters(subnet)


def test_xvector_twin_matches_speechbrain_shapes():
    ours = SlimmableXvector(widths=[1.0])
    theirs = Xvector()
    assert sorted(p.shape for p in ours.parameters()) == sorted(
        p.shape for p in theirs.parameters()
    )
    ours = SlimmableClassifier(input_shape=(None, None, 512), out_neurons=12)
    theirs = Classifier(input_shape=(None, None, 512), out_neurons=12)
    subnet = extract_subnet(ours, 1.0)
    assert sorted(p.shape for p in subnet.parameters()) == sorted(
        p.shape for p in theirs.parameters()
    )


def test_kwt_refuses_too_long_input():
    model = SlimmableKWT(12, max_frames=50)
    with pytest.raises(ValueError, match="at most 50 frames"):
        model(torch.rand(1, 51, 40))
