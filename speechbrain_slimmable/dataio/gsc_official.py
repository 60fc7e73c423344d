"""The official Speech Commands layout: its words, download and split lists.

The archive holds one folder per word, ``validation_list.txt`` and
``testing_list.txt`` (every other clip is training data) and
``_background_noise_/``.

Authors
 * speechbrain-slimmable developers 2026
"""

import logging
import math
import os
import random
import tarfile
import urllib.parse
import urllib.request

from speechbrain_slimmable.dataio.background_noise import (
    SILENCE_LABEL,
    noise_files,
    silence_rows,
)
from speechbrain_slimmable.dataio.folders import (
    DEFAULT_SPLIT_FRACTIONS,
    SPLIT_NAMES,
    list_labelled_wavs,
)
from speechbrain_slimmable.dataio.manifests import clip_row

logger = logging.getLogger(__name__)

KEYWORDS_12 = tuple("yes no up down left right on off stop go".split())
UNKNOWN_LABEL = "_unknown_"
LABELS_12 = KEYWORDS_12 + (UNKNOWN_LABEL, SILENCE_LABEL)
WORDS_35 = KEYWORDS_12 + tuple(
    "zero one two three four five six seven eight nine bed bird cat dog "
    "happy house marvin sheila tree wow backward forward follow learn "
    "visual".split()
)
NOISE_FOLDER = "_background_noise_"

GSC_URL = "http://download.tensorflow.org/data/speech_commands_{version}.tar.gz"
GSC_VERSIONS = ("v0.01", "v0.02")


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
    if has_official_lists(data_folder):
        return data_folder
    url = os.fspath(url) if url is not None else default_url(version)
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
    if not has_official_lists(data_folder):
        raise ValueError(
            f"the archive from {url} has no testing_list.txt and "
            f"validation_list.txt at its top level: not Speech Commands "
            f"(extracted into {data_folder})"
        )
    if not keep_archive:
        os.remove(archive)
    return data_folder


def default_url(version):
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


def has_official_lists(folder):
    """True if ``folder`` holds both official split lists."""
    return all(
        os.path.isfile(os.path.join(folder, name))
        for name in ("testing_list.txt", "validation_list.txt")
    )


def read_list(data_folder, name):
    """Reads an official split list as a set of ``word/file.wav`` paths."""
    path = os.path.join(data_folder, name)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"{path} is missing: the official layout needs both "
            "testing_list.txt and validation_list.txt"
        )
    with open(path, encoding="utf-8") as f:
        return {line.strip() for line in f if line.strip()}


def official_rows(
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
    valid_list = read_list(data_folder, "validation_list.txt")
    test_list = read_list(data_folder, "testing_list.txt")
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
            split: [clip_row(p, w, sample_rate) for p, w in by_split[split]]
            for split in SPLIT_NAMES
        }

    missing = [k for k in KEYWORDS_12 if k not in words]
    if missing:
        raise ValueError(
            f"{data_folder} lacks the keyword folders {missing} needed for "
            "the 12-class task"
        )
    noise = []
    if percentage_silence > 0:
        noise = noise_files(noise_folder, sample_rate)
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
        rows[split] = [clip_row(p, w, sample_rate) for p, w in keywords]
        rows[split] += [
            clip_row(p, UNKNOWN_LABEL, sample_rate) for p, _ in unknown
        ]
        n_silence = math.ceil(len(keywords) * percentage_silence / 100)
        rows[split] += silence_rows(
            noise, n_silence, split, DEFAULT_SPLIT_FRACTIONS, rng
        )
    return rows
