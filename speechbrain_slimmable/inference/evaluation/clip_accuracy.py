"""Evaluation data of ``eval``: manifests, labels, clips, counts.

Authors
 * speechbrain-slimmable developers 2026
"""

import collections
import csv
import os
import sys

BATCH_SIZE = 64
UNKNOWN_LABEL = "_unknown_"


def read_manifest(path):
    """The clips a manifest CSV lists, with their classes.

    Reads the columns ``wav`` (a path; a relative one is relative to the
    manifest's folder) and ``command`` (the class), and ``start`` /
    ``stop`` (sample indices into the file) where present, as in the
    manifests of ``recipes/GSC/prepare_gsc.py``.

    Arguments
    ---------
    path : str
        The CSV file.

    Returns
    -------
    list of ((str, int or None, int or None), str)
        ``((wav, start, stop), class)`` per row.

    Example
    -------
    >>> path = getfixture("tmp_path") / "test.csv"
    >>> _ = path.write_text("ID,wav,start,stop,command\\n"
    ...                     "a,/d/yes/a.wav,0,16000,yes\\n")
    >>> read_manifest(path)
    [(('/d/yes/a.wav', 0, 16000), 'yes')]
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"manifest {path} does not exist")
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        missing = {"wav", "command"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(
                f"manifest {path} has no column {', '.join(sorted(missing))}:"
                " expected a CSV with the columns wav and command (and "
                "optionally start, stop), as recipes/GSC/prepare_gsc.py "
                "writes"
            )
        rows = list(reader)
    if not rows:
        raise ValueError(f"manifest {path} lists no clip")
    folder = os.path.dirname(os.fspath(path))
    return [
        (
            (
                os.path.join(folder, row["wav"]),
                _sample_index(row, "start", path, number),
                _sample_index(row, "stop", path, number),
            ),
            row["command"],
        )
        for number, row in enumerate(rows, start=2)  # line 1: the header
    ]


def target_indices(clips, labels):
    """The model's output index for the class of each clip.

    A class the model lacks is scored as ``_unknown_`` when the model has
    that class (Speech Commands' definition: every other word is unknown),
    and skipped otherwise.

    Arguments
    ---------
    clips : list of (object, str)
        Clips and their class names.
    labels : list of str
        The model's classes, in output order.

    Returns
    -------
    kept : list of (object, int)
        The clips scored, with the index of their target class.
    mapped : collections.Counter
        Clips scored as ``_unknown_``, per class.
    skipped : collections.Counter
        Clips not scored, per class.

    Example
    -------
    >>> clips = [("a.wav", "yes"), ("b.wav", "cat"), ("c.wav", "cat")]
    >>> target_indices(clips, ["_unknown_", "yes"])
    ([('a.wav', 1), ('b.wav', 0), ('c.wav', 0)], Counter({'cat': 2}), Counter())
    >>> target_indices(clips, ["no", "yes"])[2]
    Counter({'cat': 2})
    """
    index = {label: number for number, label in enumerate(labels)}
    unknown = index.get(UNKNOWN_LABEL)
    kept, mapped, skipped = [], collections.Counter(), collections.Counter()
    for clip, name in clips:
        if name in index:
            kept.append((clip, index[name]))
        elif unknown is not None:
            kept.append((clip, unknown))
            mapped[name] += 1
        else:
            skipped[name] += 1
    return kept, mapped, skipped


def read_clip(classifier, clip):
    """The waveform of a clip at the model's rate, fitted to its window.

    Arguments
    ---------
    classifier : SlimmableKWSClassifier
        The model.
    clip : (str, int or None, int or None)
        An audio file and the part to read, ``start`` to ``stop`` in
        samples at the file's own rate (None: from the start, to the end).

    Returns
    -------
    torch.Tensor
        ``(clip_samples,)``.
    """
    import soundfile

    from speechbrain_slimmable.dataio.audio import check_waveform, fit_to_window

    path, start, stop = clip
    wav = classifier.load_audio(path)
    if start is not None or stop is not None:
        scale = classifier.hparams.sample_rate / soundfile.info(path).samplerate
        first = round((start or 0) * scale)
        last = len(wav) if stop is None else round(stop * scale)
        wav = wav[first:last]
        check_waveform(wav, f"{path} from sample {start} to {stop}")
    return fit_to_window(wav, classifier.hparams.clip_samples)


def count_answers(classifier, items, widths, sessions):
    """The model's answers per width and per ONNX session.

    Arguments
    ---------
    classifier : SlimmableKWSClassifier
        The model.
    items : list of ((str, int or None, int or None), int)
        Clips (see :func:`read_clip`) and their class indices.
    widths : list of float
        Widths to run.
    sessions : dict
        ONNX file to onnxruntime session (waveform or features in).

    Returns
    -------
    dict
        Width or ONNX file to a ``collections.Counter`` of
        ``(class, answer)`` label pairs: how often a clip of ``class`` got
        ``answer`` (see :func:`accuracy` and :func:`per_class_accuracy`).
    """
    import torch
    from tqdm import tqdm

    from speechbrain_slimmable.inference.export import run_onnx

    labels = classifier.labels
    answers = collections.defaultdict(collections.Counter)
    with tqdm(total=len(items), unit="clip", file=sys.stderr) as bar:
        for start in range(0, len(items), BATCH_SIZE):
            batch = items[start : start + BATCH_SIZE]
            wavs = torch.stack([read_clip(classifier, c) for c, _ in batch])
            targets = [labels[index] for _, index in batch]
            for width in widths:
                _, _, index, _ = classifier.classify_batch(wavs, width=width)
                given = [labels[i] for i in index.cpu().tolist()]
                answers[width].update(zip(targets, given))
            for path, session in sessions.items():
                inputs = wavs
                if len(session.get_inputs()[0].shape) == 3:
                    with torch.no_grad():
                        inputs = classifier.mods.compute_features(
                            wavs.to(classifier.device)
                        )
                index = run_onnx(session, inputs).argmax(-1).tolist()
                answers[path].update(zip(targets, (labels[i] for i in index)))
            bar.update(len(batch))
    return dict(answers)


def accuracy(answers):
    """The accuracy (%) of ``(class, answer)`` counts.

    Example
    -------
    >>> accuracy(collections.Counter({("no", "no"): 3, ("no", "yes"): 1}))
    75.0
    """
    right = sum(n for (target, given), n in answers.items() if target == given)
    return 100 * right / sum(answers.values())


def per_class_accuracy(answers):
    """Clips, accuracy (%) and the most frequent wrong answer per class.

    Arguments
    ---------
    answers : collections.Counter
        ``(class, answer)`` label pairs to how often (:func:`count_answers`;
        the counts of several models or splits may be added).

    Returns
    -------
    list of dict
        Per class, by name: ``class``, ``clips``, ``accuracy`` and
        ``taken_for``, the wrong answer given most often (ties: the first
        by name; ``""`` when every clip was answered right).

    Example
    -------
    >>> answers = collections.Counter(
    ...     {("no", "no"): 3, ("no", "go"): 1, ("yes", "yes"): 2}
    ... )
    >>> for row in per_class_accuracy(answers):
    ...     print(row)
    {'class': 'no', 'clips': 4, 'accuracy': 75.0, 'taken_for': 'go'}
    {'class': 'yes', 'clips': 2, 'accuracy': 100.0, 'taken_for': ''}
    """
    rows = []
    for name in sorted({target for (target, _), n in answers.items() if n}):
        own = {g: n for (t, g), n in answers.items() if t == name and n}
        wrong = sorted((-n, g) for g, n in own.items() if g != name)
        rows.append(
            {
                "class": name,
                "clips": sum(own.values()),
                "accuracy": 100 * own.get(name, 0) / sum(own.values()),
                "taken_for": wrong[0][1] if wrong else "",
            }
        )
    return rows


def _sample_index(row, column, path, line):
    """A manifest row's sample index in ``column``; None when empty."""
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(
            f"manifest {path}, line {line}: {column} must be a sample index "
            f"(an integer), got {text!r}"
        ) from None
