"""Tests of the data helpers and of the synthetic keyword generator."""

import hashlib

import numpy as np
import pytest
import soundfile as sf

from speechbrain_slimmable.dataio.folders import (
    list_labelled_wavs,
    speaker_hash,
    speaker_of,
    split_by_speaker,
)
from speechbrain_slimmable.dataio.synthetic import (
    class_pattern,
    make_synthetic_kws,
)


def _touch_wavs(root, names):
    """Creates empty files ``root/<name>`` (listing does not read them)."""
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def _digests(folder):
    """SHA-1 of every file under ``folder``, keyed by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha1(
            p.read_bytes()
        ).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize(
    "name, speaker",
    [
        ("yes/0a7c2a8d_nohash_0.wav", "0a7c2a8d"),
        ("/data/no/0a7c2a8d_nohash_12.wav", "0a7c2a8d"),
        ("_unknown_/backward_0c540988_nohash_0.wav", "0c540988"),
        ("_unknown_/bed_0ea0e2f4_nohash_1.wav", "0ea0e2f4"),
        ("_silence_/1024.wav", "1024"),
        ("weird-name.wav", "weird-name"),
    ],
)
def test_speaker_of(name, speaker):
    assert speaker_of(name) == speaker


def test_list_labelled_wavs(tmp_path):
    _touch_wavs(
        tmp_path,
        ["yes/b_nohash_0.wav", "yes/a_nohash_0.WAV", "no/c_nohash_0.wav"],
    )
    (tmp_path / "README.md").touch()  # top-level files are not classes
    (tmp_path / "yes" / "notes.txt").touch()  # non-wav files are skipped
    (tmp_path / "_background_noise_").mkdir()  # excluded by default
    (tmp_path / "_background_noise_" / "n.wav").touch()
    items = list_labelled_wavs(tmp_path)
    names = [(p.split("/")[-1], c) for p, c in items]
    assert names == [
        ("c_nohash_0.wav", "no"),
        ("a_nohash_0.WAV", "yes"),
        ("b_nohash_0.wav", "yes"),
    ]
    assert all(p.startswith(str(tmp_path)) for p, _ in items)


def test_list_labelled_wavs_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        list_labelled_wavs(tmp_path / "missing")
    (tmp_path / "README.md").touch()
    with pytest.raises(ValueError, match="no class sub-folders"):
        list_labelled_wavs(tmp_path)
    _touch_wavs(tmp_path, ["yes/a_nohash_0.wav"])
    (tmp_path / "no").mkdir()
    with pytest.raises(ValueError, match=r"class folder .*no holds no \.wav"):
        list_labelled_wavs(tmp_path)


def _items(n_speakers, clips=3):
    return [
        (f"/d/{c}/spk{s:03d}_nohash_{n}.wav", c)
        for c in ("yes", "no")
        for s in range(n_speakers)
        for n in range(clips)
    ]


def test_split_by_speaker_disjoint_and_stable():
    items = _items(200)
    parts = split_by_speaker(items, seed=3)
    everything = [item for part in parts.values() for item in part]
    assert sorted(everything) == sorted(items)
    speakers = {k: {speaker_of(p) for p, _ in v} for k, v in parts.items()}
    assert not speakers["train"] & speakers["valid"]
    assert not speakers["train"] & speakers["test"]
    assert not speakers["valid"] & speakers["test"]
    # Roughly 80/10/10 of the 200 speakers.
    assert 140 <= len(speakers["train"]) <= 180
    assert 8 <= len(speakers["valid"]) <= 35
    assert 8 <= len(speakers["test"]) <= 35
    # Same input, same output; and a speaker's part does not depend on
    # which other speakers or files are present.
    assert split_by_speaker(items, seed=3) == parts
    half = split_by_speaker(items[::2][:150], seed=3)
    for name, part in half.items():
        assert {speaker_of(p) for p, _ in part} <= speakers[name]
    # The seed changes the split; paths alone work as items too.
    assert split_by_speaker(items, seed=4) != parts
    plain = split_by_speaker([p for p, _ in items], seed=3)
    assert plain["test"] == [p for p, _ in parts["test"]]


def test_split_by_speaker_small_sets_fill_every_part():
    for seed in range(20):
        parts = split_by_speaker(_items(3, clips=1), seed=seed)
        assert all(len(parts[k]) == 2 for k in parts)
    parts = split_by_speaker(_items(5), fractions=(0.5, 0.5, 0.0))
    assert parts["test"] == []
    assert parts["train"] and parts["valid"]


def test_split_by_speaker_bad_fractions():
    with pytest.raises(ValueError, match="sum to 1"):
        split_by_speaker(_items(5), fractions=(0.8, 0.1, 0.2))
    with pytest.raises(ValueError, match="3 numbers"):
        split_by_speaker(_items(5), fractions=(0.9, 0.1))


def test_speaker_hash_range():
    values = [speaker_hash(f"s{i}") for i in range(1000)]
    assert all(0.0 <= v < 1.0 for v in values)
    assert 0.4 < np.mean(values) < 0.6


def test_synthetic_layout(tmp_path):
    classes = ("yes", "no", "up")
    out = make_synthetic_kws(
        tmp_path / "s", classes=classes, speakers=3, clips_per_speaker=2
    )
    items = list_labelled_wavs(out)
    assert sorted({c for _, c in items}) == sorted(classes)
    assert len(items) == 3 * 3 * 2
    assert {speaker_of(p) for p, _ in items} == {
        "synth00",
        "synth01",
        "synth02",
    }
    info = sf.info(items[0][0])
    assert (info.samplerate, info.frames, info.channels) == (16000, 16000, 1)
    assert info.subtype == "PCM_16"
    assert "SYNTHETIC" in (out / "README.txt").read_text()
    audio, _ = sf.read(items[0][0])
    assert np.abs(audio).max() > 0.01


def test_synthetic_is_deterministic(tmp_path):
    kwargs = {"classes": ("a", "b"), "speakers": 2, "clips_per_speaker": 2}
    first = _digests(make_synthetic_kws(tmp_path / "1", seed=5, **kwargs))
    second = _digests(make_synthetic_kws(tmp_path / "2", seed=5, **kwargs))
    other = _digests(make_synthetic_kws(tmp_path / "3", seed=6, **kwargs))
    assert first == second
    wavs = [k for k in first if k.endswith(".wav")]
    assert all(first[k] != other[k] for k in wavs)
    # Patterns belong to the class index, not to the seed.
    assert class_pattern(1) == class_pattern(1)
    assert len({tuple(class_pattern(i)) for i in range(35)}) == 35


def test_synthetic_existing_folder(tmp_path):
    kwargs = {"classes": ("a",), "speakers": 1, "clips_per_speaker": 1}
    out = make_synthetic_kws(tmp_path / "s", **kwargs)
    before = _digests(out)
    assert make_synthetic_kws(out, **kwargs) == out  # same options: reused
    assert _digests(out) == before
    with pytest.raises(FileExistsError, match="not empty"):
        make_synthetic_kws(out, classes=("a", "b"), speakers=1)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.txt").touch()
    with pytest.raises(FileExistsError):
        make_synthetic_kws(tmp_path / "other", **kwargs)


def test_synthetic_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unique"):
        make_synthetic_kws(tmp_path / "a", classes=("a", "a"))
    with pytest.raises(ValueError, match="folder names"):
        make_synthetic_kws(tmp_path / "b", classes=("a/b",))
    with pytest.raises(ValueError, match=">= 1"):
        make_synthetic_kws(tmp_path / "c", speakers=0)


def _band_features(audio):
    """Peak log energy in 24 log-spaced bands (200-4000 Hz), level-free."""
    frames = np.lib.stride_tricks.sliding_window_view(audio, 512)[::256]
    power = np.abs(np.fft.rfft(frames * np.hanning(512))) ** 2
    freqs = np.fft.rfftfreq(512, 1 / 16000)
    edges = np.geomspace(200, 4000, 25)
    bands = (freqs >= edges[:-1, None]) & (freqs < edges[1:, None])
    log_bands = np.log(power @ bands.T.astype(float) + 1e-10)
    peak = log_bands.max(axis=0)
    return peak - peak.max()


def _held_out_speaker_accuracy(features, labels, speakers):
    """Nearest-class-mean accuracy, each speaker held out in turn."""
    features = (features - features.mean(0)) / (features.std(0) + 1e-9)
    correct = []
    for speaker in np.unique(speakers):
        train = speakers != speaker
        means = np.stack(
            [features[train & (labels == k)].mean(0) for k in np.unique(labels)]
        )
        test = features[~train]
        pred = ((test[:, None] - means) ** 2).sum(-1).argmin(1)
        correct.extend(pred == labels[~train])
    return float(np.mean(correct))


def test_synthetic_is_learnable_but_not_by_energy(tmp_path):
    out = make_synthetic_kws(tmp_path / "s", speakers=6, clips_per_speaker=3)
    items = list_labelled_wavs(out)
    classes = sorted({c for _, c in items})
    labels = np.array([classes.index(c) for _, c in items])
    speakers = np.array([speaker_of(p) for p, _ in items])
    audio = [sf.read(p)[0] for p, _ in items]
    energy = np.array(
        [[np.sqrt(np.mean(a**2)), np.abs(a).max()] for a in audio]
    )
    bands = np.array([_band_features(a) for a in audio])
    chance = 1 / len(classes)
    assert _held_out_speaker_accuracy(energy, labels, speakers) < chance + 0.2
    assert _held_out_speaker_accuracy(bands, labels, speakers) > 0.6


def test_stream_words_carry_the_snr_they_were_mixed_at(tmp_path):
    from speechbrain_slimmable.dataio.kws_streams import build_streams

    rate = 800
    tone = 0.3 * np.sin(np.arange(rate) * 0.7)
    sf.write(tmp_path / "yes.wav", tone, rate)
    sf.write(tmp_path / "quiet.wav", np.zeros(rate), rate)
    noise = np.random.default_rng(0).normal(0, 0.05, 20 * rate)
    sf.write(tmp_path / "noise.wav", noise, rate)

    def streams(clip):
        return list(
            build_streams(
                [(tmp_path / clip, "yes")] * 6,
                [(tmp_path / "noise.wav", 0.0, 1.0)],
                seed=3,
                stream_seconds=8,
                gap=(1.0, 2.0),
                snr=(0.0, 20.0),
                sample_rate=rate,
            )
        )

    # The same draws with a silent clip leave the noise bed alone.
    for (mixed, words), (bed, _) in zip(
        streams("yes.wav"), streams("quiet.wav")
    ):
        for word in words:
            span = slice(round(word.start * rate), round(word.end * rate))
            speech = (mixed[span] - bed[span]).pow(2).mean().sqrt()
            floor = bed[span].pow(2).mean().sqrt()
            snr = 20 * np.log10(float(speech / floor))
            assert 0.0 <= word.snr <= 20.0
            assert abs(snr - word.snr) < 0.01


def test_streams_too_short_for_a_clip_fail_loudly(tmp_path):
    from speechbrain_slimmable.dataio.kws_streams import build_streams

    rate = 800
    sf.write(tmp_path / "yes.wav", np.full(rate, 0.3), rate)
    sf.write(tmp_path / "noise.wav", np.full(4 * rate, 0.01), rate)
    streams = build_streams(
        [(tmp_path / "yes.wav", "yes")],
        [(tmp_path / "noise.wav", 0.0, 1.0)],
        stream_seconds=2,
        gap=(1.5, 1.9),
        sample_rate=rate,
    )
    with pytest.raises(ValueError, match="stream_seconds=2 cannot hold"):
        list(streams)


def test_stream_words_are_centred_on_their_speech(tmp_path):
    from speechbrain_slimmable.dataio.kws_streams import build_streams

    rate = 800
    late = np.zeros(rate)
    late[600:700] = 0.5  # the word sits at 0.75 s of its 1 s clip
    sf.write(tmp_path / "yes.wav", late, rate)
    sf.write(tmp_path / "noise.wav", np.full(20 * rate, 0.01), rate)
    (_, words), *_ = build_streams(
        [(tmp_path / "yes.wav", "yes")] * 3,
        [(tmp_path / "noise.wav", 0.0, 1.0)],
        stream_seconds=10,
        gap=(1.0, 2.0),
        sample_rate=rate,
    )
    for word in words:
        assert word.centre - word.start == pytest.approx(0.81, abs=0.01)
