"""Front-end features of overlapping windows with shared STFT frames."""

import pytest
import torch
from speechbrain.lobes.features import MFCC, Fbank

from speechbrain_slimmable.features import UtteranceNormalization
from speechbrain_slimmable.inference.serving.fbank import (
    PrecomputedFbank,
    inference_front_end,
    split_front_end,
)
from speechbrain_slimmable.inference.streaming.shared_frames import (
    FrameCache,
    SharedFrameFeatures,
)

WINDOW = 16000


def front_end(n_fft):
    return torch.nn.Sequential(
        Fbank(n_mels=40, n_fft=n_fft), UtteranceNormalization()
    )


@pytest.mark.parametrize("n_fft", [400, 512])
@pytest.mark.parametrize("hop, count", [(1600, 7), (3200, 3), (160, 1)])
def test_windows_get_the_features_of_the_front_end(n_fft, hop, count):
    torch.manual_seed(0)
    span = torch.randn((count - 1) * hop + WINDOW) * 0.1
    span[3000:9000] = 0.0  # digital silence: the top_db floor matters
    features = front_end(n_fft)
    shared = SharedFrameFeatures(*split_front_end(features), WINDOW, hop)
    with torch.no_grad():
        expected = features(span.unfold(0, WINDOW, hop))
        got = shared(span, count)
    assert got.shape == expected.shape == (count, 101, 40)
    assert (got - expected).abs().max() < 1e-3


def test_only_plain_filterbanks_share_frames():
    assert split_front_end(MFCC()) is None
    assert split_front_end(Fbank(deltas=True)) is None
    fbank, after = split_front_end(front_end(512))
    assert isinstance(fbank, Fbank)
    assert isinstance(after[0], UtteranceNormalization)


@pytest.mark.parametrize("n_fft", [400, 512])
def test_precomputed_filterbank_gives_the_features_of_fbank(n_fft):
    torch.manual_seed(2)
    wavs = torch.randn(3, 12000) * 0.1
    wavs[1, 2000:7000] = 0.0
    features = front_end(n_fft)
    fast = inference_front_end(features)
    assert isinstance(fast[0], PrecomputedFbank)
    with torch.no_grad():
        assert (fast(wavs) - features(wavs)).abs().max() < 1e-3
    assert isinstance(inference_front_end(MFCC()), MFCC)


def test_hops_off_the_stft_grid_are_refused():
    with pytest.raises(ValueError, match="multiples of the STFT hop"):
        SharedFrameFeatures(*split_front_end(Fbank()), WINDOW, 1000)


def test_consecutive_spans_reuse_frames_and_match():
    torch.manual_seed(1)
    hop, counts = 1600, [1, 3, 1, 2, 5]
    audio = torch.randn((sum(counts) - 1) * hop + WINDOW) * 0.1
    features = front_end(512)
    shared = SharedFrameFeatures(*split_front_end(features), WINDOW, hop)
    cache, parts, first = FrameCache(), [], 0
    with torch.no_grad():
        for count in counts:
            span = audio[first * hop : (first + count - 1) * hop + WINDOW]
            parts.append(shared(span, count, cache))
            first += count
            # Only the frames the next windows share are kept.
            assert len(cache.frames) < 101
        expected = features(audio.unfold(0, WINDOW, hop))
    assert (torch.cat(parts) - expected).abs().max() < 1e-3
