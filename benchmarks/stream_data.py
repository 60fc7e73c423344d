"""Streams of the recipe's speaker split, scored by a model folder.

Long streams are built reproducibly (``--seed``) from the speaker-disjoint
split of the recipe (``split_by_speaker`` with ``--data_seed``, as
``recipes/GSC/prepare_gsc.py`` splits a plain folder): keywords and other
words (``_unknown_``) of one split's speakers at random places over that
split's part of the background noise (valid: the ninth tenth of each
recording, test: the last; never used in training), at varied noise levels
and SNRs. The ``detection``, ``thresholds`` and ``streams`` tables score
models on them.

Authors
 * speechbrain-slimmable developers 2026
"""

import json
import os

from speechbrain_slimmable.dataio.folders import (
    list_labelled_wavs,
    split_by_speaker,
)
from speechbrain_slimmable.dataio.kws_streams import build_streams
from speechbrain_slimmable.inference.evaluation.detection_metrics import (
    choose_threshold,
    det_curve,
    stream_posteriors,
)
from speechbrain_slimmable.inference.streaming.pretrained_detector import (
    class_labels,
    window_scorer,
)

NOISE_PARTS = {"valid": (0.8, 0.9), "test": (0.9, 1.0)}  # as prepare_gsc
HOP = 0.1
GOAL_FA = 72.0  # false alarms per hour the detection goal allows


def check_folders(*folders):
    """Fail, naming the first, if any of ``folders`` is missing."""
    for folder in folders:
        if not os.path.isdir(folder):
            raise SystemExit(f"no folder {folder}")


def check_unseen(source, split="test"):
    """Fail if the model folder's training run took in ``split``'s speakers.

    Its ``results.json`` (written by the recipe) keeps the training
    command; ``--train_splits`` with ``test`` (how models are published)
    leaves no unseen speakers for the test streams here, and one with
    ``valid`` none for the valid streams.
    """
    path = os.path.join(source, "results.json")
    if not os.path.isfile(path):
        return
    with open(path) as stream:
        command = json.load(stream).get("command", [])
    splits = [a for a in command if a.startswith("--train_splits=")]
    if splits and split in splits[-1]:
        raise SystemExit(
            f"{source} was trained with {splits[-1]}: its {split} speakers "
            "are not unseen; use a model whose training left them out"
        )


def load_classifier(source):
    """The model folder's classifier, its sample rate, window (seconds)
    and class labels in output order."""
    from speechbrain_slimmable.inference import SlimmableKWSClassifier

    classifier = SlimmableKWSClassifier.from_hparams(source=source)
    rate = classifier.hparams.sample_rate
    window = classifier.hparams.clip_samples / rate
    return classifier, rate, window, class_labels(classifier)


def split_streams(args, split, passes, sample_rate):
    """Streams of one split: (wav, words) pairs, built lazily; each other
    word (``_unknown_``) placed ``args.other_passes`` times a pass, words
    ``args.gap`` seconds apart."""
    items = [
        (path, label)
        for path, label in list_labelled_wavs(args.data_folder)
        if label != "_silence_"  # noise clips: the bed stands for them
    ]
    parts = split_by_speaker(items, seed=args.data_seed)
    words = [
        item
        for item in parts[split]
        for _ in range(args.other_passes if item[1] == "_unknown_" else 1)
    ]
    low, high = NOISE_PARTS[split]
    noise = [
        (os.path.join(args.noise_folder, name), low, high)
        for name in sorted(os.listdir(args.noise_folder))
        if name.endswith(".wav")
    ]
    seed = f"{args.seed}:{split}"
    return build_streams(
        words, noise, seed, passes, gap=tuple(args.gap), sample_rate=sample_rate
    )


def posteriors_per_width(classifier, streams, rate, window):
    """Window posteriors of each stream at each width; stream hours."""
    scorers = {w: window_scorer(classifier, w) for w in classifier.widths}
    posteriors = {w: [] for w in classifier.widths}
    truths, samples = [], 0
    for wav, words in streams:
        truths.append(words)
        samples += wav.numel()
        for width, scorer in scorers.items():
            rows = stream_posteriors(scorer, wav, window, HOP, rate)
            posteriors[width].append(rows)
    return posteriors, truths, samples / rate / 3600


def threshold_on_valid(posteriors, truths, hours, labels, window, target_fa):
    """The lowest threshold with at most ``target_fa`` false alarms per hour
    on the valid streams, and its row of their DET curve."""
    curve = det_curve(posteriors, truths, hours, labels, window=window, hop=HOP)
    threshold = choose_threshold(curve, target_fa)
    return threshold, next(r for r in curve if r["threshold"] == threshold)
