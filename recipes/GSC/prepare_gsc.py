"""Data preparation for Google Speech Commands (GSC) keyword spotting.

Writes SpeechBrain CSV manifests ``train.csv``, ``valid.csv`` and
``test.csv`` with the columns ``ID, duration, wav, start, stop, command``.
``start`` and ``stop`` are sample indices into ``wav``, so a ``_silence_``
row can be a one-second crop of a long background-noise recording; for
every other row ``start=0`` and ``stop`` is the clip's length. Read a row's
audio with ``speechbrain.dataio.dataio.read_audio({"file": wav, "start":
int(start), "stop": int(stop)})``.

Two layouts are read (chosen automatically):

- **official** (``testing_list.txt`` is present): one folder per word, the
  official ``validation_list.txt`` / ``testing_list.txt`` (every other clip
  is training data) and ``_background_noise_/``. Only files present on disk
  are listed, so a partial copy works. Task ``"12"``: the ten keywords
  ``yes no up down left right on off stop go``, plus ``_unknown_`` (clips
  of all other words, drawn at random) and ``_silence_`` (random one-second
  crops of the background noise), each sized at ``percentage_unknown`` /
  ``percentage_silence`` percent of the split's keyword count, rounded up,
  as in the usual Speech Commands setup. Task ``"35"``: every word folder is
  a class (35 words in v0.02, 30 in v0.01), no unknown or silence class.
- **folder** (no ``testing_list.txt``): a plain ``<class>/<file>.wav``
  folder such as a local development subset; the folder names are the
  classes and the clips are split by speaker (see
  :func:`speechbrain_slimmable.dataio.folders.split_by_speaker`).

Silence crops of each split come from their own part of every noise
recording (the first 80 % of each file for train, the next 10 % for valid,
the last 10 % for test), so no noise sample is shared between splits.

Author
------
speechbrain-slimmable contributors
"""

import csv
import json
import logging
import math
import os
import random
import tarfile
import urllib.parse
import urllib.request

import soundfile as sf

from speechbrain_slimmable.dataio.folders import (
    DEFAULT_SPLIT_FRACTIONS,
    SPLIT_NAMES,
    list_labelled_wavs,
    split_by_speaker,
)

logger = logging.getLogger(__name__)
# Fewer valid or test clips a class than this draw a warning.
MIN_CLIPS_PER_CLASS = 10

GSC_URL = "http://download.tensorflow.org/data/speech_commands_{version}.tar.gz"
GSC_VERSIONS = ("v0.01", "v0.02")
KEYWORDS_12 = (
    "yes",
    "no",
    "up",
    "down",
    "left",
    "right",
    "on",
    "off",
    "stop",
    "go",
)
UNKNOWN_LABEL = "_unknown_"
SILENCE_LABEL = "_silence_"
LABELS_12 = KEYWORDS_12 + (UNKNOWN_LABEL, SILENCE_LABEL)
WORDS_35 = KEYWORDS_12 + (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "bed",
    "bird",
    "cat",
    "dog",
    "happy",
    "house",
    "marvin",
    "sheila",
    "tree",
    "wow",
    "backward",
    "forward",
    "follow",
    "learn",
    "visual",
)
NOISE_FOLDER = "_background_noise_"
TASKS = ("12", "35", "folder")
CSV_COLUMNS = ("ID", "duration", "wav", "start", "stop", "command")
OPTIONS_FILE = "prepare_gsc_options.json"
_FORMAT_VERSION = 1


def prepare_gsc(
    data_folder,
    save_folder,
    task="12",
    noise_folder=None,
    percentage_unknown=10.0,
    percentage_silence=10.0,
    split_fractions=DEFAULT_SPLIT_FRACTIONS,
    seed=0,
    sample_rate=16000,
    download=False,
    version="v0.02",
    url=None,
):
    """Prepares the train / valid / test manifests of Speech Commands.

    Preparation is skipped when the three manifests already exist in
    ``save_folder`` and were made with the same options (stored in
    ``prepare_gsc_options.json``).

    Arguments
    ---------
    data_folder : str or os.PathLike
        The dataset: the official layout (with ``testing_list.txt``) or a
        plain ``<class>/<file>.wav`` folder (see the module docstring).
    save_folder : str or os.PathLike
        Where ``train.csv``, ``valid.csv`` and ``test.csv`` are written.
    task : str
        ``"12"`` or ``"35"`` (official layout; see the module docstring) or
        ``"folder"`` (a plain folder, whatever its classes). ``"12"`` on a
        plain folder checks it holds exactly the 12 labels; ``"35"`` on a
        plain folder checks its classes are Speech Commands words.
    noise_folder : str or os.PathLike, optional
        Background-noise recordings for ``_silence_`` (official layout,
        task ``"12"``). Defaults to ``<data_folder>/_background_noise_``.
    percentage_unknown : float
        ``_unknown_`` clips per split, in percent of its keyword clips
        (official layout, task ``"12"``).
    percentage_silence : float
        ``_silence_`` crops per split, in percent of its keyword clips
        (official layout, task ``"12"``).
    split_fractions : tuple of float
        Speaker fractions of train / valid / test (plain folder only; the
        official layout uses the official lists).
    seed : int
        Data seed: salt of the speaker split and seed of the unknown /
        silence draws. Keep it fixed (do not tie it to the training seed)
        so that models trained with different seeds are compared on the
        same data.
    sample_rate : int or None
        Expected sample rate; a file with another rate is an error. None
        skips the check.
    download : bool
        If True and ``data_folder`` lacks the dataset, download and extract
        it first (see :func:`download_gsc`).
    version : str
        Dataset version to download, ``"v0.01"`` or ``"v0.02"``.
    url : str, optional
        Where to download from (default: the official tarball of
        ``version``); a ``file://`` URL or local path works too.

    Returns
    -------
    dict
        ``{"train": path, "valid": path, "test": path}`` of the manifests.

    Raises
    ------
    FileNotFoundError
        If ``data_folder`` (or the noise folder needed for ``_silence_``)
        does not exist.
    ValueError
        For an unknown task, an empty class folder, an unreadable or
        mismatched audio file, classes not fitting the task, or an empty
        split.

    Example
    -------
    >>> import tempfile, pathlib
    >>> from speechbrain_slimmable.dataio.synthetic import make_synthetic_kws
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> data = make_synthetic_kws(tmp / "data", classes=("a", "b"),
    ...                           speakers=5, clips_per_speaker=1)
    >>> paths = prepare_gsc(data, tmp / "save", task="folder")
    >>> sorted(paths)
    ['test', 'train', 'valid']
    >>> open(paths["train"]).readline().strip()
    'ID,duration,wav,start,stop,command'
    """
    task = str(task)
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    data_folder = os.path.abspath(os.fspath(data_folder))
    save_folder = os.path.abspath(os.fspath(save_folder))
    if download:
        download_gsc(data_folder, version=version, url=url)
    if not os.path.isdir(data_folder):
        raise FileNotFoundError(
            f"data folder {data_folder} does not exist: put Speech Commands "
            "there (the official layout, or a <class>/<file>.wav folder), or "
            f"pass download=True to fetch {url or _default_url(version)}"
        )
    official = os.path.isfile(os.path.join(data_folder, "testing_list.txt"))
    if noise_folder is None:
        noise_folder = os.path.join(data_folder, NOISE_FOLDER)
    noise_folder = os.path.abspath(os.fspath(noise_folder))

    options = {
        "format": _FORMAT_VERSION,
        "data_folder": data_folder,
        "layout": "official" if official else "folder",
        "task": task,
        "noise_folder": noise_folder,
        "percentage_unknown": float(percentage_unknown),
        "percentage_silence": float(percentage_silence),
        "split_fractions": [float(f) for f in split_fractions],
        "seed": int(seed),
        "sample_rate": sample_rate,
    }
    paths = {s: os.path.join(save_folder, f"{s}.csv") for s in SPLIT_NAMES}
    if _skip(paths, os.path.join(save_folder, OPTIONS_FILE), options):
        logger.info("Manifests in %s are up to date: skipping", save_folder)
        return paths

    if official:
        rows = _official_rows(
            data_folder,
            task,
            noise_folder,
            percentage_unknown,
            percentage_silence,
            seed,
            sample_rate,
        )
    else:
        rows = _folder_rows(
            data_folder, task, split_fractions, seed, sample_rate
        )
    for split in SPLIT_NAMES:
        if not rows[split] and (official or _fraction(split_fractions, split)):
            raise ValueError(
                f"the {split} split of {data_folder} is empty: the dataset "
                "has too few files or speakers for a train/valid/test split"
            )

    os.makedirs(save_folder, exist_ok=True)
    options_path = os.path.join(save_folder, OPTIONS_FILE)
    if os.path.exists(options_path):
        os.remove(options_path)  # the manifests below are being replaced
    for split in SPLIT_NAMES:
        _write_csv(paths[split], rows[split])
        logger.info("Wrote %d rows to %s", len(rows[split]), paths[split])
    with open(options_path, "w", encoding="utf-8") as f:
        json.dump(options, f, indent=2)
        f.write("\n")
    return paths


def download_gsc(data_folder, version="v0.02", url=None, keep_archive=False):
    """Downloads and extracts Speech Commands unless it is already there.

    The dataset counts as present when ``data_folder`` holds
    ``testing_list.txt`` and ``validation_list.txt``. Otherwise the tarball
    is fetched with :func:`speechbrain.utils.data_utils.download_file` into
    ``data_folder`` and extracted there.

    Arguments
    ---------
    data_folder : str or os.PathLike
        Destination; must be absent, empty, or hold only the tarball.
    version : str
        ``"v0.01"`` or ``"v0.02"``.
    url : str, optional
        Source of the tarball; default the official URL of ``version``.
        A ``file://`` URL or a local path to a ``.tar.gz`` works too.
    keep_archive : bool
        Keep the tarball after extraction (default: delete it).

    Returns
    -------
    str
        The absolute ``data_folder``.

    Raises
    ------
    ConnectionError
        If the tarball cannot be fetched (e.g. offline); the message says
        which URL to fetch by hand and where to extract it.
    ValueError
        If ``data_folder`` holds something else, or the archive is not a
        Speech Commands tarball.

    Example
    -------
    >>> import tempfile
    >>> download_gsc(tempfile.mkdtemp(), url="http://127.0.0.1:9/x.tar.gz")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ConnectionError: Could not download Speech Commands v0.02 from ...
    """
    if version not in GSC_VERSIONS:
        raise ValueError(f"version must be one of {GSC_VERSIONS}: {version}")
    data_folder = os.path.abspath(os.fspath(data_folder))
    if _has_official_lists(data_folder):
        return data_folder
    url = os.fspath(url) if url is not None else _default_url(version)
    archive_name = os.path.basename(urllib.parse.urlparse(url).path)
    if not archive_name.endswith((".tar.gz", ".tgz", ".tar")):
        archive_name = f"speech_commands_{version}.tar.gz"
    archive = os.path.join(data_folder, archive_name)
    if os.path.isdir(data_folder):
        other = [e for e in os.listdir(data_folder) if e != archive_name]
        if other:
            raise ValueError(
                f"data folder {data_folder} is not empty and holds no "
                "Speech Commands lists (testing_list.txt): will not extract "
                "into it; choose an empty folder or remove its contents"
            )
    os.makedirs(data_folder, exist_ok=True)

    from speechbrain.utils.data_utils import download_file

    try:
        download_file(_download_source(url), archive)
    except OSError as err:  # URLError, refused or unknown host, missing file
        if os.path.exists(archive):
            os.remove(archive)
        raise ConnectionError(
            f"Could not download Speech Commands {version} from {url} "
            f"({err}). Without internet access, download {url} on another "
            f"machine and extract it into {data_folder} (it must hold "
            "testing_list.txt, validation_list.txt, _background_noise_/ and "
            "one folder per word), or extract a copy of the tarball (a local "
            "path or file:// URL) with: python recipes/GSC/prepare_gsc.py "
            f"{data_folder} SAVE_FOLDER --download --url TARBALL (in Python: "
            "prepare_gsc(..., download=True, url=TARBALL))."
        ) from err

    try:
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(data_folder, filter="data")
            else:  # Python without extraction filters
                tar.extractall(data_folder)
    except (tarfile.TarError, EOFError, OSError) as err:
        raise ValueError(
            f"{archive} (from {url}) is not a readable tar archive ({err}); "
            "remove it and download again"
        ) from err
    if not _has_official_lists(data_folder):
        raise ValueError(
            f"the archive from {url} has no testing_list.txt and "
            f"validation_list.txt at its top level: not Speech Commands "
            f"(extracted into {data_folder})"
        )
    if not keep_archive:
        os.remove(archive)
    return data_folder


def prepare_noise_csv(noise_folder, save_folder, sample_rate=16000):
    """Cuts the training part of the background noise for ``AddNoise``.

    SpeechBrain's ``AddNoise`` reads whole files listed in a CSV (``ID,
    duration, wav, wav_format, wav_opts``) for every batch, so the long
    recordings are cut into two-second files (reading a minute of audio per
    example would dominate training time; pieces longer than the one-second
    clips let ``AddNoise`` pick a random offset). Only the first 80 % of each
    recording, the part training ``_silence_`` is cropped from, is used, so
    the noise of valid and test silence never reaches training.

    Arguments
    ---------
    noise_folder : str or os.PathLike
        The background-noise recordings (e.g. ``_background_noise_``).
    save_folder : str or os.PathLike
        Where ``noise.csv`` and the two-second files (``noise/``) go.
    sample_rate : int
        Expected sample rate of the recordings.

    Returns
    -------
    str
        The path of ``noise.csv``.
    """
    csv_path = os.path.join(save_folder, "noise.csv")
    if os.path.isfile(csv_path):
        return csv_path
    crop_folder = os.path.join(save_folder, "noise")
    piece = 2  # seconds
    os.makedirs(crop_folder, exist_ok=True)
    rows = []
    for path, frames, rate in _noise_files(noise_folder, sample_rate):
        train_part = int(frames * DEFAULT_SPLIT_FRACTIONS[0])
        audio, _ = sf.read(path, start=0, stop=train_part, dtype="int16")
        stem = os.path.splitext(os.path.basename(path))[0]
        for index in range(train_part // (piece * rate)):
            crop = os.path.join(crop_folder, f"{stem}_{index:03d}.wav")
            chunk = audio[index * piece * rate : (index + 1) * piece * rate]
            sf.write(crop, chunk, rate, subtype="PCM_16")
            rows.append(
                {
                    "ID": f"{stem}_{index:03d}",
                    "duration": float(piece),
                    "wav": crop,
                    "wav_format": "wav",
                    "wav_opts": "",
                }
            )
    _write_csv(csv_path, rows, columns=tuple(rows[0]))
    return csv_path


def _default_url(version):
    """The official tarball URL of a dataset version."""
    return GSC_URL.format(version=version)


def _download_source(url):
    """Turns ``url`` into a source that ``download_file`` accepts.

    ``download_file`` copies a source whose text lacks ``"http"`` as a local
    path and fetches any other with ``urllib``; ``file://`` URLs become
    local paths (or stay URLs if the path itself contains ``"http"``).
    """
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        path = urllib.request.url2pathname(parsed.path)
    elif parsed.scheme in ("http", "https", "ftp"):
        return url
    else:
        path = os.path.abspath(url)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file: {path}")
    if "http" in path:
        return "file://" + urllib.request.pathname2url(path)
    return path


def _has_official_lists(folder):
    """True if ``folder`` holds both official split lists."""
    return all(
        os.path.isfile(os.path.join(folder, name))
        for name in ("testing_list.txt", "validation_list.txt")
    )


def _fraction(split_fractions, split):
    """The fraction of ``split`` in ``split_fractions``."""
    return float(split_fractions[SPLIT_NAMES.index(split)])


def _skip(paths, options_path, options):
    """True if all manifests exist and were made with ``options``."""
    if not all(os.path.isfile(p) for p in paths.values()):
        return False
    if not os.path.isfile(options_path):
        return False
    try:
        with open(options_path, encoding="utf-8") as f:
            return json.load(f) == options
    except (OSError, ValueError):
        return False


def _audio_frames(path, sample_rate):
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


def _clip_row(path, label, sample_rate):
    """A manifest row for a whole clip (``start=0``, ``stop=length``)."""
    frames, rate = _audio_frames(path, sample_rate)
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


def _read_list(data_folder, name):
    """Reads an official split list as a set of ``word/file.wav`` paths."""
    path = os.path.join(data_folder, name)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{path} is missing: the official layout needs both "
            "testing_list.txt and validation_list.txt"
        )
    with open(path, encoding="utf-8") as f:
        return {line.strip() for line in f if line.strip()}


def _official_rows(
    data_folder,
    task,
    noise_folder,
    percentage_unknown,
    percentage_silence,
    seed,
    sample_rate,
):
    """Rows of each split for the official layout."""
    if task == "folder":
        raise ValueError(
            f"{data_folder} has the official Speech Commands layout: use "
            "task '12' or '35' (task 'folder' is for <class>/<file>.wav "
            "folders)"
        )
    valid_list = _read_list(data_folder, "validation_list.txt")
    test_list = _read_list(data_folder, "testing_list.txt")
    items = list_labelled_wavs(data_folder, exclude=(NOISE_FOLDER,))
    words = sorted({word for _, word in items})
    by_split = {split: [] for split in SPLIT_NAMES}
    for path, word in items:
        relative = f"{word}/{os.path.basename(path)}"
        if relative in test_list:
            by_split["test"].append((path, word))
        elif relative in valid_list:
            by_split["valid"].append((path, word))
        else:
            by_split["train"].append((path, word))
    logger.info(
        "%s: %d words, %d clips (train/valid/test %s)",
        data_folder,
        len(words),
        len(items),
        "/".join(str(len(by_split[s])) for s in SPLIT_NAMES),
    )
    if task == "35":
        return {
            split: [_clip_row(p, w, sample_rate) for p, w in by_split[split]]
            for split in SPLIT_NAMES
        }

    missing = [k for k in KEYWORDS_12 if k not in words]
    if missing:
        raise ValueError(
            f"{data_folder} lacks the keyword folders {missing} needed for "
            "the 12-class task"
        )
    noise_files = []
    if percentage_silence > 0:
        noise_files = _noise_files(noise_folder, sample_rate)
    rows = {}
    for split in SPLIT_NAMES:
        rng = random.Random(f"{seed}:{split}")
        keywords = [(p, w) for p, w in by_split[split] if w in KEYWORDS_12]
        others = [(p, w) for p, w in by_split[split] if w not in KEYWORDS_12]
        n_unknown = math.ceil(len(keywords) * percentage_unknown / 100)
        if n_unknown > len(others):
            logger.warning(
                "%s split: %d unknown clips wanted, %d available",
                split,
                n_unknown,
                len(others),
            )
            n_unknown = len(others)
        unknown = rng.sample(others, n_unknown)
        unknown.sort()
        rows[split] = [_clip_row(p, w, sample_rate) for p, w in keywords]
        rows[split] += [
            _clip_row(p, UNKNOWN_LABEL, sample_rate) for p, _ in unknown
        ]
        n_silence = math.ceil(len(keywords) * percentage_silence / 100)
        rows[split] += _silence_rows(
            noise_files, n_silence, split, DEFAULT_SPLIT_FRACTIONS, rng
        )
    return rows


def _noise_files(noise_folder, sample_rate):
    """Lists ``(path, frames, rate)`` of the background-noise recordings."""
    if not os.path.isdir(noise_folder):
        raise FileNotFoundError(
            f"background-noise folder {noise_folder} does not exist: the "
            "12-class task crops _silence_ clips from it (pass noise_folder, "
            "or percentage_silence=0)"
        )
    names = sorted(
        n
        for n in os.listdir(noise_folder)
        if n.lower().endswith(".wav") and not n.startswith(".")
    )
    if not names:
        raise ValueError(f"background-noise folder {noise_folder} has no wav")
    files = []
    for name in names:
        path = os.path.join(noise_folder, name)
        frames, rate = _audio_frames(path, sample_rate)
        files.append((path, frames, rate))
    return files


def _silence_rows(noise_files, count, split, fractions, rng):
    """Draws ``count`` one-second crops from this split's part of the noise.

    Each recording is cut in three consecutive parts sized by ``fractions``
    (train, valid, test); crops of ``split`` lie inside its part.
    """
    if count == 0:
        return []
    index = SPLIT_NAMES.index(split)
    candidates = []
    for path, frames, rate in noise_files:
        low = int(frames * sum(fractions[:index]))
        high = int(frames * sum(fractions[: index + 1]))
        if high - low >= rate:
            candidates.append((path, low, high, rate))
    if not candidates:
        raise ValueError(
            f"no background-noise recording is long enough to crop one-second "
            f"{split} silence clips from its {fractions[index]:.0%} part"
        )
    rows = []
    for i in range(count):
        path, low, high, rate = rng.choice(candidates)
        start = rng.randint(low, high - rate)
        stem = os.path.splitext(os.path.basename(path))[0]
        rows.append(
            {
                "ID": f"{SILENCE_LABEL}/{split}_{i:05d}_{stem}",
                "duration": 1.0,
                "wav": path,
                "start": start,
                "stop": start + rate,
                "command": SILENCE_LABEL,
            }
        )
    return rows


def _folder_rows(data_folder, task, split_fractions, seed, sample_rate):
    """Rows of each split for a plain ``<class>/<file>.wav`` folder."""
    items = list_labelled_wavs(data_folder)
    classes = sorted({c for _, c in items})
    if task == "12" and set(classes) != set(LABELS_12):
        raise ValueError(
            f"task '12' needs exactly the classes {sorted(LABELS_12)} in "
            f"{data_folder}; missing {sorted(set(LABELS_12) - set(classes))}"
            f", unexpected {sorted(set(classes) - set(LABELS_12))} (use task "
            "'folder' for other class sets)"
        )
    if task == "35" and not set(classes) <= set(WORDS_35):
        raise ValueError(
            f"task '35' needs Speech Commands words as classes; {data_folder}"
            f" has {sorted(set(classes) - set(WORDS_35))} (use task 'folder')"
        )
    parts = split_by_speaker(items, fractions=split_fractions, seed=seed)
    logger.info(
        "%s: %d classes, %d clips split by speaker (train/valid/test %s)",
        data_folder,
        len(classes),
        len(items),
        "/".join(str(len(parts[s])) for s in SPLIT_NAMES),
    )
    for split in ("valid", "test"):
        if 0 < len(parts[split]) < MIN_CLIPS_PER_CLASS * len(classes):
            logger.warning(
                "the %s split of %s has %d clips for %d classes (under %d a "
                "class): too few to choose a checkpoint or to measure "
                "accuracy; record more speakers (the split is by speaker)",
                split,
                data_folder,
                len(parts[split]),
                len(classes),
                MIN_CLIPS_PER_CLASS,
            )
    return {
        split: [_clip_row(p, c, sample_rate) for p, c in parts[split]]
        for split in SPLIT_NAMES
    }


def _write_csv(path, rows, columns=CSV_COLUMNS):
    """Writes manifest rows to ``path`` (via a temporary file)."""
    tmp_path = f"{path}.tmp"
    with open(tmp_path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp_path, path)


def _main():
    """Command line: ``python prepare_gsc.py DATA SAVE [--task 12]
    [--download [--url URL]]``."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_folder")
    parser.add_argument("save_folder")
    parser.add_argument("--task", default="12", choices=TASKS)
    parser.add_argument("--noise_folder", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--download", action="store_true")
    parser.add_argument("--version", default="v0.02", choices=GSC_VERSIONS)
    parser.add_argument(
        "--url", default=None, help="tarball to download: URL or local path"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    paths = prepare_gsc(
        args.data_folder,
        args.save_folder,
        task=args.task,
        noise_folder=args.noise_folder,
        seed=args.seed,
        download=args.download,
        version=args.version,
        url=args.url,
    )
    for split, path in paths.items():
        print(f"{split}: {path}")


if __name__ == "__main__":
    _main()
