"""The decoder's stricter decisions: a margin over the next class, and one
event per spoken word across labels."""

import pytest

from speechbrain_slimmable.inference.streaming.events import EventDecoder

LABELS = ["_unknown_", "go", "no"]


def decode(rows, **options):
    decoder = EventDecoder(
        LABELS, threshold=0.3, smoothing=1, lookahead=0, refractory=3, **options
    )
    events = [event for row in rows for event in decoder.push(row)]
    return events + decoder.flush()


def test_margin_fires_only_a_clear_leader():
    close = [[0.1, 0.45, 0.45]] * 3  # "go" and "no" tied on one word
    clear = [[0.1, 0.8, 0.1]] * 3
    assert [e.label for e in decode(close)] == ["go"]  # posterior: fires
    assert decode(close, decision="margin") == []
    (event,) = decode(clear, decision="margin")
    assert event.label == "go" and event.score == pytest.approx(0.7)


def test_one_per_word_keeps_a_second_label_off_the_same_word():
    word = [[0.0, 0.9, 0.1]] * 2 + [[0.0, 0.2, 0.8]] * 6  # go, then "no"
    silence_then_no = [[1.0, 0.0, 0.0]] * 2 + [[0.0, 0.1, 0.9]] * 2
    assert [e.label for e in decode(word)] == ["go", "no"]
    assert [e.label for e in decode(word, one_per_word=True)] == ["go"]
    # Once every keyword has fallen below its release level, the next
    # word fires.
    both = decode(word + silence_then_no, one_per_word=True)
    assert [e.label for e in both] == ["go", "no"]


def test_an_unknown_decision_is_refused():
    with pytest.raises(ValueError, match="posterior, margin"):
        EventDecoder(LABELS, decision="ratio")
