"""KWS supernets: subnets equal the supernet, sizes, budgets, Xvector twin."""

from pathlib import Path

import pytest
import torch
from hyperpyyaml import load_hyperpyyaml
from speechbrain.lobes.models.Xvector import Classifier, Xvector

from speechbrain_slimmable import (
    count_parameters,
    extract_subnet,
    profile_widths,
    served_widths,
    set_width,
)
from speechbrain_slimmable.inference.serving.model_folder import (
    inference_hyperparams,
)
from speechbrain_slimmable.lobes.models.KWT import SlimmableKWT
from speechbrain_slimmable.lobes.models.TCResNet import SlimmableTCResNet
from speechbrain_slimmable.lobes.models.Xvector import (
    SlimmableClassifier,
    SlimmableXvector,
    XvectorKWS,
)
from speechbrain_slimmable.nnet.width import Slimmable

WIDTHS = [1.0, 0.75, 0.5, 0.25]
REPO = Path(__file__).resolve().parents[2]
PRETRAINED = REPO / "pretrained"


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


def recipe_model(name):
    """The model of a YAML in hparams/, as its model folder builds it."""

    def build(n_classes):
        text = inference_hyperparams(
            REPO / "recipes" / "GSC" / "hparams" / f"{name}.yaml",
            {"data_folder": "unused", "n_classes": n_classes},
        )
        return load_hyperpyyaml(text)["model"]

    return build


BUILDERS = {
    "tcresnet": lambda n: SlimmableTCResNet(n, widths=WIDTHS),
    "tcresnet-recipe": recipe_model("tcresnet"),
    "kwt": lambda n: SlimmableKWT(n, widths=WIDTHS),
    "kwt-recipe": recipe_model("kwt"),
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
    """What extract_subnet documents: every layer with state is torch.nn."""
    subnet = extract_subnet(model, 0.5)
    for module in subnet.modules():
        state = list(module.parameters(recurse=False))
        state += list(module.buffers(recurse=False))
        if state:
            assert type(module).__module__.startswith("torch.nn.modules")
        assert not isinstance(module, Slimmable)
    assert served_widths(subnet) is None


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
@pytest.mark.parametrize(
    "name", ["tcresnet", "tcresnet-recipe", "kwt", "kwt-recipe"]
)
def test_kws_models_fit_the_budget(name, n_classes):
    model = BUILDERS[name](n_classes)
    subnet = extract_subnet(model, 1.0)
    assert count_parameters(subnet) < 250_000
    assert count_parameters(model) < 250_000
    if name == "tcresnet-recipe":
        assert 195_000 <= count_parameters(subnet) <= 210_000
    elif name == "tcresnet":
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


def small_speechbrain_pair():
    xvector = dict(tdnn_channels=[16, 16, 16, 16, 32], lin_neurons=8)
    classifier = dict(input_shape=(None, None, 8), lin_neurons=8)
    return xvector, classifier


@pytest.mark.parametrize("shared_affine", [False, True])
def test_speechbrain_checkpoint_loads_as_the_widest_width(shared_affine):
    """A trained plain SpeechBrain Xvector/Classifier loads into the twins."""
    torch.manual_seed(0)
    xvector_args, classifier_args = small_speechbrain_pair()
    plain = torch.nn.ModuleDict(
        {
            "embedding_model": Xvector(**xvector_args),
            "classifier": Classifier(out_neurons=5, **classifier_args),
        }
    )
    optimizer = torch.optim.SGD(plain.parameters(), lr=0.1)
    for _ in range(5):
        features = torch.randn(8, 50, 40)
        labels = torch.randint(5, (8,))
        log_probs = plain.classifier(plain.embedding_model(features))
        loss = torch.nn.functional.nll_loss(log_probs.squeeze(1), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    slim = dict(widths=WIDTHS, shared_affine=shared_affine)
    twin = torch.nn.ModuleDict(
        {
            "embedding_model": SlimmableXvector(**slim, **xvector_args),
            "classifier": SlimmableClassifier(
                out_neurons=5, **slim, **classifier_args
            ),
        }
    )
    twin.load_state_dict(plain.state_dict())  # strict: every key matches
    plain.eval()
    twin.eval()
    features = torch.randn(3, 50, 40)
    with torch.no_grad():
        expected = plain.classifier(plain.embedding_model(features))
        got = twin.classifier(twin.embedding_model(features))
        torch.testing.assert_close(got, expected)
        # Narrower widths start from the first channels; they run as is.
        set_width(twin, 0.5)
        assert twin.classifier(twin.embedding_model(features)).shape == (
            3,
            1,
            5,
        )


def test_xvector_kws_returns_logits():
    torch.manual_seed(0)
    kws = small_xvector(5).eval()
    features = torch.randn(2, 101, 40)
    with torch.no_grad():
        logits = kws(features)
        log_probs = kws.classifier(kws.embedding_model(features)).squeeze(1)
    torch.testing.assert_close(logits.log_softmax(-1), log_probs)
    assert not torch.allclose(logits.logsumexp(-1), torch.zeros(2))


def test_xvector_lens_keep_padding_out_of_the_pooling():
    torch.manual_seed(0)
    # Frame-wise blocks (kernel 1): only the pooling could see the padding.
    xvector = SlimmableXvector(
        tdnn_channels=[16, 16, 16, 16, 32],
        tdnn_kernel_sizes=[1] * 5,
        tdnn_dilations=[1] * 5,
        lin_neurons=8,
        widths=WIDTHS,
    ).eval()
    set_width(xvector, 0.5)
    clip = torch.randn(1, 60, 40)
    padded = torch.cat([clip, torch.zeros(1, 60, 40)], dim=1)
    with torch.no_grad():
        torch.testing.assert_close(
            xvector(padded, lens=torch.tensor([0.5])), xvector(clip)
        )


@pytest.mark.parametrize("name", ["gsc12-cnn", "gsc12-kwt"])
def test_committed_model_folders_keep_loading(name):
    """Their hyperparams.yaml name module paths and constructor arguments."""
    folder = PRETRAINED / name
    with open(folder / "hyperparams.yaml") as file:
        hparams = load_hyperpyyaml(file)
    model = hparams["model"]
    state = torch.load(folder / "model.ckpt", map_location="cpu")
    model.load_state_dict(state)  # strict
    assert served_widths(model) == hparams["widths"]
    model.eval()
    with torch.no_grad():
        for width in hparams["widths"]:
            set_width(model, width)
            assert model(torch.randn(1, 101, 40)).shape == (1, 12)
