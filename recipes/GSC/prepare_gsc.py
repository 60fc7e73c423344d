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

import json
import logging
import os

from speechbrain_slimmable.dataio.folders import (
    DEFAULT_SPLIT_FRACTIONS,
    SPLIT_NAMES,
    list_labelled_wavs,
    split_by_speaker,
)
from speechbrain_slimmable.dataio.gsc_official import (
    GSC_VERSIONS,
    LABELS_12,
    NOISE_FOLDER,
    WORDS_35,
    default_url,
    download_gsc,
    official_rows,
)
from speechbrain_slimmable.dataio.manifests import (
    clip_row,
    write_csv,
)

logger = logging.getLogger(__name__)
# Fewer valid or test clips a class than this draw a warning.
MIN_CLIPS_PER_CLASS = 10

TASKS = ("12", "35", "folder")
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
            f"pass download=True to fetch {url or default_url(version)}"
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
        rows = official_rows(
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
        write_csv(paths[split], rows[split])
        logger.info("Wrote %d rows to %s", len(rows[split]), paths[split])
    with open(options_path, "w", encoding="utf-8") as f:
        json.dump(options, f, indent=2)
        f.write("\n")
    return paths


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
        split: [clip_row(p, c, sample_rate) for p, c in parts[split]]
        for split in SPLIT_NAMES
    }


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
