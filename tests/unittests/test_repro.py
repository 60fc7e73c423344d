"""Tests of exact resumption: where AddNoise stands in its noise recordings."""

import pytest
import soundfile as sf
import torch
from speechbrain.augment.time_domain import AddNoise
from speechbrain.utils.checkpoints import Checkpointer

from speechbrain_slimmable.repro import (
    NoiseLoaderPosition,
    checkpoint_noise_positions,
)


@pytest.fixture
def noise_csv(tmp_path):
    """Seven distinct one-second noise recordings and their CSV."""
    generator = torch.Generator().manual_seed(0)
    rows = ["ID,duration,wav,wav_format,wav_opts"]
    for index in range(7):
        noise = torch.randn(16000, generator=generator) / 10
        path = tmp_path / f"noise{index}.wav"
        sf.write(path, noise.numpy(), 16000)
        rows.append(f"noise{index},1.0,{path},wav,")
    path = tmp_path / "noise.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def noisy_batches(add_noise, batch_sizes, seed):
    """AddNoise applied to constant batches of these sizes, seeded."""
    torch.manual_seed(seed)
    return [
        add_noise(torch.full((size, 800), 0.1), torch.ones(size))
        for size in batch_sizes
    ]


def run(noise_csv, save_folder):
    """A fresh AddNoise and a checkpointer holding its position."""
    add_noise = AddNoise(noise_csv, snr_low=0, snr_high=10)
    recoverables = {"noise_position": NoiseLoaderPosition(add_noise)}
    return add_noise, Checkpointer(save_folder, recoverables)


# Batches of 3 over 7 recordings: 3 loader batches a pass, the last of 1,
# so batches of other sizes join and cut loader batches, as the recipe's
# smaller last batch of an epoch does.
@pytest.mark.parametrize("used_before", [0, 1, 2, 4])
def test_a_resumed_run_draws_the_noise_of_the_uninterrupted_one(
    noise_csv, tmp_path, used_before
):
    before, after = [3, 3, 2, 3, 5][:used_before], [3, 1, 3, 3, 4, 3]
    add_noise, checkpointer = run(noise_csv, tmp_path / "save")
    noisy_batches(add_noise, before, seed=1)
    checkpointer.save_checkpoint()
    uninterrupted = noisy_batches(add_noise, after, seed=2)

    resumed_noise, resumed_checkpointer = run(noise_csv, tmp_path / "save")
    resumed_checkpointer.recover_if_possible()
    resumed = noisy_batches(resumed_noise, after, seed=2)
    assert all(torch.equal(a, b) for a, b in zip(resumed, uninterrupted))

    # Without the position, the noise starts again and differs.
    restarted = noisy_batches(run(noise_csv, tmp_path / "x")[0], after, 2)
    if used_before:
        assert not all(
            torch.equal(a, b) for a, b in zip(restarted, uninterrupted)
        )


def test_loading_keeps_torch_random_state(noise_csv, tmp_path):
    add_noise, checkpointer = run(noise_csv, tmp_path / "save")
    noisy_batches(add_noise, [3], seed=1)
    checkpointer.save_checkpoint()
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    run(noise_csv, tmp_path / "save")[1].recover_if_possible()
    assert torch.equal(torch.rand(3), expected)


def test_white_noise_has_no_position_to_keep(tmp_path):
    add_noise = AddNoise(snr_low=0, snr_high=10)
    checkpointer = Checkpointer(
        tmp_path, {"noise_position": NoiseLoaderPosition(add_noise)}
    )
    add_noise(torch.full((2, 800), 0.1), torch.ones(2))
    checkpointer.save_checkpoint()
    checkpointer.recover_if_possible()
    assert not hasattr(add_noise, "data_loader")


def test_the_recipe_resumes_a_checkpoint_saved_without_the_position(
    noise_csv, tmp_path
):
    model = torch.nn.Linear(2, 2)
    Checkpointer(tmp_path, {"model": model}).save_checkpoint()

    add_noise = AddNoise(noise_csv)
    hparams = {
        "add_noise": add_noise,
        "checkpointer": Checkpointer(tmp_path, {"model": model}),
    }
    checkpoint_noise_positions(hparams)
    assert list(hparams["checkpointer"].recoverables) == [
        "model",
        "add_noise_position",
    ]
    with pytest.warns(UserWarning, match="add_noise_position"):
        assert hparams["checkpointer"].recover_if_possible() is not None
    assert not hasattr(add_noise, "data_loader")
