"""Spectrogram images: their front end, folders and log-mel augmentation."""

import csv
import math

import numpy as np
import pytest
import torch
from PIL import Image

from speechbrain_slimmable.dataio.folders import speaker_of
from speechbrain_slimmable.dataio.spectrograms import prepare_spectrograms
from speechbrain_slimmable.lobes.features import (
    PIXEL_SCALE,
    SpectrogramImageFbank,
    log_mel_from_pixels,
    mel_weights,
    pixel_range,
    pixels_from_log_mel,
)
from speechbrain_slimmable.log_mel_augment import (
    LogMelGain,
    LogMelNoise,
    LogMelShift,
)


def write_images(folder, clips):
    """Write ``{relative path: log-mel}`` as JPG images under ``folder``."""
    for name, log_mel in clips.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels_from_log_mel(log_mel).numpy()).save(
            path, quality=95
        )


def test_mel_filters_follow_tensorflows_layout():
    weights = mel_weights(40, 512, 16000, 0.0, 4000.0)
    assert weights.shape == (257, 40)
    assert float(weights[0].abs().sum()) == 0.0  # no DC weight
    # Above f_max no bin has weight; every filter covers some bin.
    assert float(weights[129:].abs().sum()) == 0.0
    assert bool((weights.sum(dim=0) > 0).all())


def test_the_front_end_is_the_inverse_of_the_image_mapping():
    torch.manual_seed(0)
    fbank = SpectrogramImageFbank()
    log_mel = fbank(torch.randn(3, 16000) * 0.05)
    assert log_mel.shape == (3, 98, 40)
    decoded = log_mel_from_pixels(pixels_from_log_mel(log_mel))
    # Quantised to 8 bits: at most half a grey level apart.
    assert float((decoded - log_mel).abs().max()) <= 0.5 / PIXEL_SCALE + 1e-4
    low, high = pixel_range()
    assert float(log_mel.min()) >= low - 1e-5
    assert float(log_mel.max()) <= high + 1e-5


def test_the_front_end_refuses_clips_shorter_than_a_frame():
    with pytest.raises(ValueError, match="shorter than one frame"):
        SpectrogramImageFbank()(torch.zeros(1, 100))


def test_prepared_images_leave_held_out_speakers_out_and_are_reused(
    tmp_path,
):
    clips = {
        f"{label}/{speaker}_nohash_0.{label}.jpg": torch.full((98, 40), -3.0)
        for label in ("yes", "no")
        for speaker in ("aaaa0001", "bbbb0002")
    }
    clips["unknown/cccc0003_nohash_0.bed.jpg"] = torch.full((98, 40), -2.0)
    clips["_background_noise_/1_background.jpg"] = torch.full((98, 40), -5.0)
    write_images(tmp_path / "images", clips)
    manifest, array = prepare_spectrograms(
        str(tmp_path / "images"),
        str(tmp_path / "save"),
        exclude_speakers={"bbbb0002"},
    )
    with open(manifest, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    labels = sorted(row["command"] for row in rows)
    assert labels == ["_silence_", "_unknown_", "no", "yes"]
    assert "bbbb0002" not in {speaker_of(row["ID"]) for row in rows}
    images = np.load(array)
    assert images.shape == (4, 98, 40) and images.dtype == np.uint8
    unknown = next(r for r in rows if r["command"] == "_unknown_")
    decoded = log_mel_from_pixels(
        torch.from_numpy(images[int(unknown["image"])])
    )
    assert float((decoded + 2.0).abs().max()) < 0.3  # JPEG noise only
    modified = (tmp_path / "save" / "spectrograms.npy").stat().st_mtime_ns
    prepare_spectrograms(
        str(tmp_path / "images"),
        str(tmp_path / "save"),
        exclude_speakers={"bbbb0002"},
    )
    assert (tmp_path / "save" / "spectrograms.npy").stat().st_mtime_ns == (
        modified
    )


def test_a_missing_or_empty_image_folder_fails_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        prepare_spectrograms(str(tmp_path / "nowhere"), str(tmp_path / "s"))
    (tmp_path / "empty" / "yes").mkdir(parents=True)
    with pytest.raises(ValueError, match="no images"):
        prepare_spectrograms(str(tmp_path / "empty"), str(tmp_path / "s"))


def test_the_shift_moves_each_clip_and_fills_with_silence():
    torch.manual_seed(0)
    log_mel = torch.arange(20.0).view(1, 20, 1).repeat(16, 1, 2)
    shifted = LogMelShift(max_frames=3, floor=-100.0)(log_mel)
    for clip in shifted:
        kept = clip[clip[:, 0] > -100.0, 0]
        # A run of consecutive frames of the original, the rest silence.
        assert len(kept) >= 17
        assert bool((kept.diff() == 1).all())


def test_noise_is_added_at_the_drawn_snr():
    torch.manual_seed(0)
    noise = torch.full((4, 98, 40), 0.0)
    clips = torch.full((8, 98, 40), math.log(10.0))
    mixed = LogMelNoise(noise, snr_low=10.0, snr_high=10.0)(clips)
    # 10 dB under a power of 10 is a power of 1: 10 + 1 in all.
    assert torch.allclose(mixed, torch.full_like(mixed, math.log(11.0)))


def test_noise_of_another_shape_fails_clearly():
    noise = LogMelNoise(torch.zeros(2, 50, 40))
    with pytest.raises(ValueError, match="noise spectrograms are"):
        noise(torch.zeros(1, 98, 40))


def test_gain_stays_within_the_image_range():
    torch.manual_seed(0)
    low, high = pixel_range()
    loud = torch.full((4, 98, 40), high - 0.1)
    out = LogMelGain(low_db=5.0, high_db=10.0)(loud)
    assert float(out.max()) <= high + 1e-6
    quiet = torch.zeros(4, 98, 40)
    out = LogMelGain(low_db=5.0, high_db=10.0)(quiet)
    assert float(out.min()) >= 5.0 * math.log(10.0) / 10.0 - 1e-5
