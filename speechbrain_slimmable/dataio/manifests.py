"""Manifests: their rows and files, and the manifest a run trains on.

The recipe's data preparation writes one CSV manifest per split
(``train``, ``valid``, ``test``) with the columns ``CSV_COLUMNS``, a row a
clip (:func:`clip_row`); the run trains on those splits joined, or on part
of their speakers.

Authors
 * speechbrain-slimmable developers 2026
"""

import csv
import os

import soundfile as sf

from speechbrain_slimmable.dataio.folders import speaker_hash, speaker_of

CSV_COLUMNS = ("ID", "duration", "wav", "start", "stop", "command")


def merge_training_splits(manifests, train_splits):
    """Train on several splits: their manifests joined as ``train``.

    ``train_splits: [train, test]`` trains a model to publish on every
    speaker but the validation ones; the joined splits are then not
    evaluated.

    Arguments
    ---------
    manifests : dict
        Split name to manifest path.
    train_splits : list of str, optional
        Splits to train on (default: ``[train]``).

    Returns
    -------
    dict
        The manifests of ``train`` and of the splits left to evaluate.
    """
    train_splits = list(train_splits or ["train"])
    unknown = sorted(set(train_splits) - set(manifests))
    if unknown or "valid" in train_splits or "train" not in train_splits:
        raise ValueError(
            f"train_splits must hold train and may add test, got "
            f"{train_splits}: valid selects the checkpoint"
        )
    if train_splits == ["train"]:
        return manifests
    joined = os.path.join(
        os.path.dirname(manifests["train"]), "+".join(train_splits) + ".csv"
    )
    join_manifests([manifests[split] for split in train_splits], joined)
    kept = {k: v for k, v in manifests.items() if k not in train_splits}
    return dict(kept, train=joined)


def join_manifests(paths, joined, columns=None):
    """Write the rows of several manifests into one.

    Arguments
    ---------
    paths : list of str
        The manifests, in order.
    joined : str
        The manifest to write.
    columns : sequence of str, optional
        Its columns (default: those of the first manifest); a row without
        one of them (a WAV clip's ``image``) gets it empty.

    Returns
    -------
    str
        ``joined``.

    Example
    -------
    >>> import tempfile
    >>> root = tempfile.mkdtemp()
    >>> a, b = os.path.join(root, "a.csv"), os.path.join(root, "b.csv")
    >>> with open(a, "w") as f:
    ...     _ = f.write("ID,duration,wav,start,stop,command\\n"
    ...                 "w,1.0,x.wav,0,16000,yes\\n")
    >>> with open(b, "w") as f:
    ...     _ = f.write("ID,duration,wav,start,stop,command,image\\n"
    ...                 "i,1.0,,0,0,no,0\\n")
    >>> path = join_manifests([a, b], os.path.join(root, "ab.csv"),
    ...                       columns=(*CSV_COLUMNS, "image"))
    >>> with open(path) as f:
    ...     [(r["ID"], r["image"]) for r in csv.DictReader(f)]
    [('w', ''), ('i', '0')]
    """
    if columns is None:
        with open(paths[0], encoding="utf-8", newline="") as f:
            columns = csv.DictReader(f).fieldnames

    def rows():
        for path in paths:
            with open(path, encoding="utf-8", newline="") as f:
                for row in csv.DictReader(f):
                    yield {column: row.get(column, "") for column in columns}

    write_csv(joined, rows(), columns)
    return joined


def keep_training_speakers(manifest, fraction, seed):
    """Train on a fraction of the training speakers (a learning curve).

    A speaker is kept when its :func:`speaker_hash`, salted apart from the
    split's own hash, is below ``fraction``: the kept speakers are drawn
    at random, a smaller fraction keeps a subset of a larger one, and the
    validation and test speakers do not change. Clips without a speaker
    (``_silence_``) are drawn one by one the same way.

    Arguments
    ---------
    manifest : str
        The training manifest (a CSV with a ``wav`` column).
    fraction : float
        The fraction of the speakers to keep, in ``(0, 1]``.
    seed : int
        The data seed of the split.

    Returns
    -------
    str
        ``manifest`` itself for a fraction of 1, else the manifest of the
        kept clips, written beside it.

    Example
    -------
    >>> import csv, tempfile
    >>> manifest = os.path.join(tempfile.mkdtemp(), "train.csv")
    >>> with open(manifest, "w", newline="") as f:
    ...     writer = csv.writer(f)
    ...     _ = writer.writerow(["ID", "wav"])
    ...     writer.writerows([[i, f"yes/s{i // 2}_nohash_{i % 2}.wav"]
    ...                       for i in range(400)])
    >>> def speakers(path):
    ...     with open(path) as f:
    ...         return {speaker_of(row["wav"]) for row in csv.DictReader(f)}
    >>> half = speakers(keep_training_speakers(manifest, 0.5, seed=0))
    >>> quarter = speakers(keep_training_speakers(manifest, 0.25, seed=0))
    >>> 80 < len(half) < 120, quarter < half
    (True, True)
    >>> keep_training_speakers(manifest, 1.0, seed=0) == manifest
    True
    >>> keep_training_speakers(manifest, 0.0, seed=0)
    Traceback (most recent call last):
    ...
    ValueError: train_speaker_fraction must be in (0, 1], got 0.0
    """
    if not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
        raise ValueError(
            f"train_speaker_fraction must be in (0, 1], got {fraction!r}"
        )
    if fraction == 1:
        return manifest
    with open(manifest, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        kept = [
            row
            for row in reader
            if speaker_hash(speaker_of(row["wav"]), f"{seed}/train") < fraction
        ]
        columns = reader.fieldnames
    if not kept:
        raise ValueError(
            f"train_speaker_fraction={fraction} keeps no training speaker "
            f"of {manifest}: raise it"
        )
    stem, extension = os.path.splitext(manifest)
    subset = f"{stem}_speakers{fraction:g}{extension}"
    with open(subset, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(kept)
    return subset


def audio_frames(path, sample_rate):
    """Returns the number of samples of a mono wav, checking it is readable.

    Raises ValueError naming ``path`` when it cannot be read, is empty, is
    not mono, or has a sample rate other than ``sample_rate``.
    """
    try:
        info = sf.info(path)
    except (RuntimeError, OSError) as err:
        raise ValueError(f"cannot read audio file {path}: {err}") from err
    if info.frames <= 0:
        raise ValueError(f"audio file {path} holds no samples")
    if info.channels != 1:
        raise ValueError(
            f"audio file {path} has {info.channels} channels: expected mono"
        )
    if sample_rate is not None and info.samplerate != sample_rate:
        raise ValueError(
            f"audio file {path} is sampled at {info.samplerate} Hz: expected "
            f"{sample_rate} Hz (resample it, or pass sample_rate)"
        )
    return info.frames, info.samplerate


def clip_row(path, label, sample_rate):
    """A manifest row for a whole clip (``start=0``, ``stop=length``)."""
    frames, rate = audio_frames(path, sample_rate)
    class_folder = os.path.basename(os.path.dirname(path))
    stem = os.path.splitext(os.path.basename(path))[0]
    return {
        "ID": f"{class_folder}/{stem}",
        "duration": round(frames / rate, 6),
        "wav": path,
        "start": 0,
        "stop": frames,
        "command": label,
    }


def write_csv(path, rows, columns=CSV_COLUMNS):
    """Writes manifest rows to ``path`` (via a temporary file)."""
    tmp_path = f"{path}.tmp"
    with open(tmp_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp_path, path)
