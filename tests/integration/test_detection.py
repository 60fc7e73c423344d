"""Keyword detection in long audio and streams (issue 11).

Delay bound checked here: an event is yielded by the chunk that brings the
stream past ``event.end + (smoothing - 1 + lookahead) * hop`` seconds (with
the defaults, 9 windows and 3, 1.1 s), so with 0.1 s chunks at most 1.2 s
after the end of the event's window.
"""

import csv
import io
import json
import wave
from pathlib import Path

import numpy
import pytest
import soundfile
import torch

from speechbrain_slimmable import cli
from speechbrain_slimmable.dataio.folders import (
    list_labelled_wavs,
    split_by_speaker,
)
from speechbrain_slimmable.dataio.kws_streams import Word
from speechbrain_slimmable.inference.evaluation.detection_metrics import (
    false_alarm_kinds,
    keywords_by_snr,
    match_events,
)
from speechbrain_slimmable.inference.streaming.events import (
    DEFAULT_SMOOTHING,
    DEFAULT_THRESHOLD,
    Event,
    EventDecoder,
)
from speechbrain_slimmable.inference.streaming.pretrained_detector import (
    window_scorer,
)
from speechbrain_slimmable.inference.streaming.sliding_windows import (
    SlidingWindowDetector,
    detect_chunks,
)

MODEL = Path(__file__).resolve().parents[2] / "pretrained" / "gsc12-cnn"
RATE = 16000


@pytest.fixture(scope="module")
def classifier():
    from speechbrain_slimmable.inference import SlimmableKWSClassifier

    return SlimmableKWSClassifier.from_hparams(source=MODEL)


@pytest.fixture(scope="module")
def two_keywords(real_data, classifier, tmp_path_factory):
    """10 s of noise with "yes" at 2 s and "stop" at 6 s (test speakers).

    Clips come from the recipe's test speakers; the first ones the model
    labels right are taken (this checks placement, not accuracy).
    """
    items = list_labelled_wavs(real_data / "gsc12_dev")
    test = split_by_speaker(items, seed=0)["test"]
    clips = {}
    for label in ("yes", "stop"):
        for path, _ in (item for item in test if item[1] == label):
            _, score, _, labels = classifier.classify_file(path)
            if labels[0] == label and score.exp() > 0.9:
                clips[label] = classifier.load_audio(path)
                break
    noise = classifier.load_audio(
        real_data / "background_noise" / "doing_the_dishes.wav"
    )
    audio = noise[-10 * RATE :] * 0.1
    for label, start in (("yes", 2), ("stop", 6)):
        clip = clips[label][:RATE]
        audio[start * RATE : start * RATE + clip.numel()] += clip
    path = tmp_path_factory.mktemp("two") / "two_keywords.wav"
    soundfile.write(path, audio.numpy(), RATE)
    return path, audio


def chunked(audio, size):
    return [audio[i : i + size] for i in range(0, audio.numel(), size)]


def same_events(first, second):
    assert [(e.label, e.start) for e in first] == [
        (e.label, e.start) for e in second
    ]
    for a, b in zip(first, second):
        assert abs(a.score - b.score) < 1e-3


def test_two_keywords_at_the_right_times(classifier, two_keywords):
    events = classifier.detect_file(two_keywords[0])
    assert [e.label for e in events] == ["yes", "stop"]
    for event, start in zip(events, (2.0, 6.0)):
        overlap = min(event.end, start + 1) - max(event.start, start)
        assert overlap >= 0.3, event
        assert 0.5 < event.score <= 1.0


@pytest.mark.parametrize("size", [777, 16001, 48000, 10 * RATE])
def test_stream_gives_the_file_events(classifier, two_keywords, size):
    path, audio = two_keywords
    from_file = classifier.detect_file(path, threshold=0.5)
    stream = classifier.detect_stream(chunked(audio, size), threshold=0.5)
    assert from_file  # the comparison is not vacuous
    same_events(from_file, list(stream))


@pytest.mark.parametrize("score_every", [0.3, 0.5, 1.0])
def test_scoring_less_often_gives_the_same_events(
    classifier, two_keywords, score_every
):
    path, audio = two_keywords
    from_file = classifier.detect_file(path, threshold=0.5)
    stream = classifier.detect_stream(
        chunked(audio, RATE // 10), threshold=0.5, score_every=score_every
    )
    assert from_file
    same_events(from_file, list(stream))


def test_score_every_below_the_hop_is_refused(classifier):
    with pytest.raises(ValueError, match="at least the hop"):
        classifier.detect_stream([torch.zeros(RATE)], score_every=0.05)


def test_one_sample_chunks(classifier, two_keywords):
    audio = two_keywords[1][int(1.5 * RATE) : int(4 * RATE)]
    whole = list(classifier.detect_stream([audio], width=0.5, threshold=0.5))
    one_by_one = classifier.detect_stream(
        audio.split(1), width=0.5, threshold=0.5
    )
    assert whole
    same_events(whole, list(one_by_one))


@pytest.mark.parametrize("score_every", [None, 0.5])
def test_events_come_with_bounded_delay(classifier, two_keywords, score_every):
    audio, chunk = two_keywords[1], RATE // 10
    fed, arrivals = 0, []
    from speechbrain_slimmable.inference.streaming.pretrained_detector import (
        build_detector,
    )

    detector = build_detector(
        classifier, threshold=0.5, score_every=score_every
    )
    lookahead = detector.decoder.lookahead  # the defaults
    for piece in chunked(audio, chunk):
        fed += piece.numel()
        arrivals += [(event, fed / RATE) for event in detector.push(piece)]
    assert len(arrivals) == 2  # both decided before the stream ended
    waiting = 0.0 if score_every is None else score_every - 0.1
    bound = (DEFAULT_SMOOTHING - 1 + lookahead) * 0.1 + chunk / RATE + waiting
    for event, seconds in arrivals:
        assert seconds <= event.end + bound + 1e-6


def test_stream_ending_mid_chunk_is_flushed(classifier, two_keywords):
    audio = two_keywords[1][: int(6.95 * RATE)]  # "stop" cut at its end
    chunks = chunked(audio, 1234)  # the last chunk is partial
    assert chunks[-1].numel() != 1234
    from speechbrain_slimmable.inference.streaming.pretrained_detector import (
        build_detector,
    )

    # A posterior of 0.5 (the folder's decision may be the margin).
    detector = build_detector(classifier, threshold=0.5, decision="posterior")
    events = [e for c in chunks for e in detector.push(c)]
    late = detector.flush()
    assert [e.label for e in events + late] == ["yes", "stop"]
    last_start = (detector.windows - 1) * detector.hop
    assert last_start + detector.window >= audio.numel()  # every sample read


def test_unknown_and_silence_are_never_reported():
    labels = ["_silence_", "_unknown_", "yes"]
    rows = [[0.0, 1.0, 0.0]] * 30 + [[1.0, 0.0, 0.0]] * 30
    decoder = EventDecoder(labels, threshold=0.1)
    events = [e for row in rows for e in decoder.push(row)]
    assert events + decoder.flush() == []
    with pytest.raises(ValueError, match="must be in"):
        EventDecoder(labels, threshold={"yes": 1.1})


def test_one_event_per_word_however_long():
    decoder = EventDecoder(["_silence_", "yes"], threshold=0.5)
    rows = [[0.0, 1.0]] * 100 + [[1.0, 0.0]] * 20 + [[0.0, 1.0]] * 20
    events = [e for row in rows for e in decoder.push(row)]
    assert [e.start for e in events + decoder.flush()] == [0.0, 12.0]


def test_memory_stays_flat_on_an_hour():
    cheap = lambda w: numpy.tile([1.0, 0.0], (len(w), 1))  # noqa: E731
    decoder = EventDecoder(["_silence_", "yes"])
    detector = SlidingWindowDetector(cheap, decoder, RATE, name="hour")
    largest = 0
    for _ in range(360):  # an hour in 10 s chunks (+ one odd sample each)
        assert detector.push(torch.zeros(10 * RATE + 1)) == []
        largest = max(largest, detector.buffered)
    assert detector.flush() == []
    assert largest < detector.window
    assert len(decoder._recent) <= decoder._recent.maxlen == DEFAULT_SMOOTHING
    assert detector.windows == 1 + (360 * (10 * RATE + 1) - RATE) // 1600 + 1


@pytest.mark.parametrize("hop", [1600, 1000])
def test_shared_frames_give_the_posteriors_of_single_windows(
    classifier, two_keywords, hop
):
    audio = two_keywords[1][: 4 * RATE]
    scorer = window_scorer(classifier, 0.5)
    count = 1 + (audio.numel() - RATE) // hop
    one_by_one = scorer(audio.unfold(0, RATE, hop))
    shared = scorer.score_span(audio, count, hop, {})
    assert shared.shape == one_by_one.shape == (count, 12)
    assert numpy.abs(shared - one_by_one).max() < 1e-4


@pytest.mark.parametrize(
    "width, include_features", [(0.25, True), (0.5, False)]
)
def test_onnx_gives_the_pytorch_events(
    classifier, two_keywords, tmp_path, width, include_features
):
    """Waveform-in files run their own front end on every window;
    features-in files run behind the shared-frame front end."""
    pytest.importorskip("onnxruntime")
    path = tmp_path / f"w{width}.onnx"
    classifier.export_onnx(path, width, include_features=include_features)
    torch_events = classifier.detect_file(
        two_keywords[0], width=width, threshold=0.3
    )
    onnx_events = classifier.detect_file(
        two_keywords[0], onnx=path, threshold=0.3
    )
    assert torch_events
    same_events(torch_events, onnx_events)


def test_cli_json_and_stdin(classifier, two_keywords, capsys, monkeypatch):
    path, audio = two_keywords
    argv = ["detect", "--source", str(MODEL), "--threshold", "0.5", "--json"]
    assert cli.main(argv + [str(path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["label"] for r in rows] == ["yes", "stop"]
    for row in rows:
        assert set(row) == {"file", "label", "start", "end", "score"}
        assert row["file"] == str(path)
        assert isinstance(row["start"], float) and row["end"] > row["start"]
    pcm = (audio.clamp(-1, 1) * 32767).short().numpy().astype("<i2")
    monkeypatch.setattr("sys.stdin", _Stdin(pcm.tobytes()))
    assert cli.main(argv + ["--score-every", "0.5", "-"]) == 0
    piped = json.loads(capsys.readouterr().out)
    assert [(r["file"], r["label"]) for r in piped] == [
        ("-", "yes"),
        ("-", "stop"),
    ]
    for a, b in zip(rows, piped):
        assert abs(a["start"] - b["start"]) <= 0.1


def test_cli_text_output(classifier, two_keywords, capsys):
    argv = ["detect", "--source", str(MODEL), str(two_keywords[0])]
    assert cli.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[1] for line in lines] == ["yes", "stop"]


def _wav_bytes(channels, rate, samples=1600):
    stream = io.BytesIO()
    with wave.open(stream, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * channels * samples)
    return stream.getvalue()


class _Stdin:
    def __init__(self, data):
        self.buffer = io.BytesIO(data)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "stdin is empty"),
        (b"\0\0\0", "stdin ends inside a 16-bit sample at byte 3"),
        (_wav_bytes(2, RATE), "stdin has 2 channels"),
        (_wav_bytes(1, 8000), "stdin is sampled at 8000 Hz"),
    ],
)
def test_cli_bad_stdin(classifier, capsys, monkeypatch, data, message):
    monkeypatch.setattr("sys.stdin", _Stdin(data))
    assert cli.main(["detect", "--source", str(MODEL), "-"]) == 1
    assert message in capsys.readouterr().err


def test_cli_reads_a_wav_header_on_stdin(classifier, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", _Stdin(_wav_bytes(1, RATE, 3 * RATE)))
    assert cli.main(["detect", "--source", str(MODEL), "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_bad_files_name_themselves(classifier, tmp_path, capsys):
    nan = tmp_path / "nan.wav"
    soundfile.write(nan, numpy.full(RATE, numpy.nan), RATE, subtype="FLOAT")
    empty = tmp_path / "empty.wav"
    soundfile.write(empty, numpy.zeros(0), RATE)
    missing = tmp_path / "missing.wav"
    for path in (nan, empty, missing):
        assert cli.main(["detect", "--source", str(MODEL), str(path)]) == 1
        assert str(path) in capsys.readouterr().err


def test_bad_stream_chunks_name_the_position(classifier):
    good = torch.zeros(RATE)
    nan = torch.full((100,), float("nan"))
    with pytest.raises(ValueError, match=r"chunk 2 \(from sample 32000"):
        list(classifier.detect_stream([good, good, nan]))
    with pytest.raises(ValueError, match="expected mono"):
        list(classifier.detect_stream([torch.zeros(2, RATE)]))
    with pytest.raises(ValueError, match="8000 Hz"):
        classifier.detect_stream([good], sample_rate=8000)
    with pytest.raises(ValueError, match="stream is empty"):
        list(classifier.detect_stream([torch.zeros(0)]))


def test_default_threshold_from_the_model_folder(tmp_path, classifier):
    from speechbrain_slimmable.inference import SlimmableKWSClassifier
    from speechbrain_slimmable.inference.streaming.folder_settings import (
        default_threshold,
        write_detection_threshold,
    )

    assert 0 < default_threshold(classifier) <= 1
    for name in ("hyperparams.yaml", "model.ckpt", "label_encoder.ckpt"):
        (tmp_path / name).write_bytes((MODEL / name).read_bytes())
    write_detection_threshold(tmp_path, {1.0: 0.61, 0.25: 0.42})
    loaded = SlimmableKWSClassifier.from_hparams(source=tmp_path)
    assert default_threshold(loaded) == 0.61
    assert default_threshold(loaded, 0.25) == 0.42
    assert default_threshold(loaded, 0.5) == DEFAULT_THRESHOLD  # fallback


def test_chunks_given_to_a_detector_directly():
    scorer = lambda w: numpy.tile([0.0, 1.0], (len(w), 1))  # noqa: E731
    decoder = EventDecoder(["_silence_", "yes"], window=1.0, hop=0.5)
    detector = SlidingWindowDetector(scorer, decoder, 4)
    events = list(detect_chunks(detector, [numpy.full(5, 9, "int16")] * 2))
    assert [e.label for e in events] == ["yes"]


def test_digital_silence_fires_nothing_a_quiet_room_does():
    always_yes = lambda w: numpy.tile([0.0, 1.0], (len(w), 1))  # noqa: E731
    decoder = EventDecoder(["_silence_", "yes"], window=1.0, hop=0.5)
    detector = SlidingWindowDetector(always_yes, decoder, 4)
    # One step of 16-bit audio (2 ** -15) is the least a window must reach.
    assert detector.push(torch.full((8,), 2.0**-16)) + detector.flush() == []
    decoder = EventDecoder(["_silence_", "yes"], window=1.0, hop=0.5)
    detector = SlidingWindowDetector(always_yes, decoder, 4)
    quiet = torch.full((8,), 2.0**-15)
    assert [e.label for e in detector.push(quiet) + detector.flush()] == ["yes"]


def test_an_event_on_a_word_late_in_its_clip_finds_it():
    word = Word("yes", 2.0, 3.0, snr=10.0, centre=2.8)
    # The window centred on the word, 0.7 s after the clip starts: found.
    assert match_events([Event("yes", 2.7, 3.7, 0.9)], [word]) == (1, 0)
    # A window 1 s away from the word: a miss and a false alarm.
    assert match_events([Event("yes", 3.4, 4.4, 0.9)], [word]) == (0, 1)
    # Its own window is the one centred on it (index 23 at 0.1 s hops).
    rows = numpy.array([[1.0, 0.0]] * 60)
    rows[23] = [0.0, 1.0]
    (band,) = keywords_by_snr(
        [rows],
        [[word]],
        ["_silence_", "yes"],
        0.99,
        [0, 20],
        window=1.0,
        hop=0.1,
    )
    assert band["own_window_right"] == 1.0


def test_false_alarms_are_sorted_by_what_they_fired_on():
    words = [
        Word("yes", 2.0, 3.0, centre=2.5),
        Word("no", 6.0, 7.0, centre=6.5),
        Word("_unknown_", 10.0, 11.0, centre=10.5),
    ]
    events = [
        Event("yes", 2.0, 3.0, 0.9),  # finds "yes"
        Event("yes", 2.3, 3.3, 0.8),  # a second event on it
        Event("go", 6.1, 7.1, 0.7),  # "no" heard as "go"
        Event("up", 10.2, 11.2, 0.6),  # on a word outside the keywords
        Event("off", 14.0, 15.0, 0.6),  # on noise alone
    ]
    kinds = false_alarm_kinds(events, words)
    assert kinds == {
        "other keyword": 1,
        "repeat": 1,
        "other word": 1,
        "noise": 1,
    }
    assert sum(kinds.values()) == match_events(events, words)[1]


def test_a_folder_without_thresholds_says_so(tiny_model_folder, capsys):
    stream = Path(__file__).resolve().parents[2] / "samples" / "stream.wav"
    argv = ["detect", "--source", str(tiny_model_folder), str(stream)]
    assert cli.main(argv) == 0
    assert "has no detection_threshold" in capsys.readouterr().err
    assert cli.main(argv[:3] + ["--threshold", "0.9", str(stream)]) == 0
    assert "detection_threshold" not in capsys.readouterr().err


def test_the_published_folders_carry_their_detection_settings():
    from speechbrain_slimmable.inference.streaming.folder_settings import (
        CASCADE_KEY,
        DECISION_KEY,
        THRESHOLD_KEY,
    )

    for name in ("gsc12-cnn", "gsc12-kwt", "gsc12-cnn-full", "gsc12-kwt-full"):
        text = (MODEL.parent / name / "hyperparams.yaml").read_text()
        for key in (THRESHOLD_KEY, CASCADE_KEY, DECISION_KEY):
            assert f"\n{key}:" in text, (name, key)


def test_eval_scores_detection_against_a_truth_file(capsys):
    samples = MODEL.parents[1] / "samples"
    argv = ["eval", "--source", str(MODEL), "--widths", "1.0", "0.25"]
    argv += ["--detection", str(samples / "stream.wav")]
    assert cli.main(argv + ["--truth", str(samples / "stream.csv")]) == 0
    assert (
        cli.main(argv + ["--truth", str(samples / "stream.csv"), "--json"]) == 0
    )
    text, result = capsys.readouterr().out.split("\n{")
    rows = json.loads("{" + result)["detectors"]
    assert [row["detector"] for row in rows] == ["width 1.0", "width 0.25"]
    assert all(row["keywords"] == 4 and row["found"] >= 3 for row in rows)
    assert all(0 <= row["frr_at"]["12.0"] <= 0.25 for row in rows)
    assert "false_alarms_per_hour" in text and "DET of width 0.25" in text
    assert cli.main(argv) == 1  # no --truth
    assert "needs --truth" in capsys.readouterr().err


def test_eval_scores_a_cascade_against_a_json_truth(capsys, tmp_path):
    samples = MODEL.parents[1] / "samples"
    with open(samples / "stream.csv") as stream:
        words = list(csv.DictReader(stream))
    truth = tmp_path / "truth.json"
    truth.write_text(json.dumps(words))
    argv = ["eval", "--source", str(MODEL), "--detection"]
    argv += [str(samples / "stream.wav"), "--truth", str(truth), "--json"]
    assert cli.main(argv + ["--cascade", "0.25:1.0", "--gate", "0.1"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["detectors"]
    assert row["detector"] == "cascade 0.25:1.0"
    assert row["keywords"] == 4 and row["found"] >= 3
    assert cli.main(argv + ["--cascade", "0.5:1.0"]) == 1  # no gate measured
    assert "no gate measured" in capsys.readouterr().err


def test_classify_reads_a_folder(capsys):
    samples = MODEL.parents[1] / "samples"
    assert cli.main(["classify", "--source", str(MODEL), str(samples)]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 7  # six clips in word folders, and stream.wav
    clips = [(Path(path).parent.name, label) for path, label, _ in rows]
    assert [c for c in clips if c[0] != "samples"] == [
        (word, word) for word in ("go", "left", "no", "stop", "up", "yes")
    ]


def test_image_front_end_shares_its_frames_across_windows():
    from speechbrain_slimmable.inference import SlimmableKWSClassifier

    full = SlimmableKWSClassifier.from_hparams(
        source=MODEL.parent / "gsc12-cnn-full"
    )
    scorer = window_scorer(full, 0.5)
    span = full.load_audio(MODEL.parents[1] / "samples" / "stream.wav")
    span = span[: 16000 + 7 * 1600]
    alone = scorer(span.unfold(0, 16000, 1600))
    shared = scorer.score_span(span, 8, 1600, {})
    assert scorer.front_end.shared[1600] is not None  # frames were shared
    assert abs(shared - alone).max() < 1e-4
