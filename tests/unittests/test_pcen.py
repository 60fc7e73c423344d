"""PCEN of log-mel features against its recursive definition."""

import pytest
import torch

from speechbrain_slimmable.pcen import LogMelPCEN, mel_compression


def pcen_by_recursion(log_mel, s=0.025, alpha=0.98, delta=2.0, r=0.5):
    """PCEN frame by frame, the smoother started at the first frame."""
    power = log_mel.exp()
    smoothed = power[:, 0]
    frames = []
    for t in range(power.shape[1]):
        smoothed = (1 - s) * smoothed + s * power[:, t]
        gain = power[:, t] / (1e-6 + smoothed) ** alpha
        frames.append((gain + delta) ** r - delta**r)
    return torch.stack(frames, dim=1)


@pytest.mark.parametrize("frames", [1, 98, 151])
def test_pcen_equals_its_recursion_at_any_length(frames):
    generator = torch.Generator().manual_seed(0)
    log_mel = torch.randn(2, frames, 40, generator=generator) * 2 - 5
    got = LogMelPCEN()(log_mel)
    expected = pcen_by_recursion(log_mel)
    assert torch.allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_stationary_noise_is_divided_out_and_onsets_stand_out():
    steady = torch.full((1, 98, 40), -6.0)
    onset = steady.clone()
    onset[:, 50:60] += 3.0  # a word 13 dB above the steady noise
    pcen = LogMelPCEN()
    out_steady, out_onset = pcen(steady), pcen(onset)
    assert torch.allclose(out_steady, out_steady[:, :1], atol=1e-3)
    assert out_onset[:, 50:60].min() > 3 * out_steady.max()


def test_bad_settings_fail_naming_what_is_accepted():
    with pytest.raises(ValueError, match="smoothing must be in"):
        LogMelPCEN(smoothing=0.0)
    with pytest.raises(ValueError, match="one of log, pcen"):
        mel_compression("PCEN ")
