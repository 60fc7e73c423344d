"""Helpers to read keyword-spotting data laid out as ``<class>/<file>.wav``.

These helpers are shared by the Speech Commands recipe
(``recipes/GSC/prepare_gsc.py``) and by the command-line evaluation, so that
both read a labelled folder and split it by speaker the same way.

Speech Commands file names carry the speaker: keyword files are
``<speaker>_nohash_<n>.wav``, files gathered under ``_unknown_`` are
``<word>_<speaker>_nohash_<n>.wav`` and ``_silence_`` clips are ``<n>.wav``
(no speaker). Splitting by speaker, never by file, keeps the repetitions of
one person out of the evaluation parts.

Authors
-------
speechbrain-slimmable contributors
"""

import hashlib
import os

DEFAULT_SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
SPLIT_NAMES = ("train", "valid", "test")


def list_labelled_wavs(folder, exclude=("_background_noise_",)):
    """Lists the ``.wav`` files of a ``<class>/<file>.wav`` folder.

    Every sub-folder of ``folder`` is a class and holds that class's clips;
    files directly inside ``folder`` (a README, a LICENSE) and hidden entries
    are ignored. Only one level is read: ``<class>/<file>.wav``.

    Arguments
    ---------
    folder : str or os.PathLike
        The data folder.
    exclude : tuple of str
        Sub-folder names that are not classes (by default the background
        noise folder of Speech Commands).

    Returns
    -------
    list of (str, str)
        ``(path, class_name)`` pairs sorted by class, then file name. The
        paths are absolute.

    Raises
    ------
    FileNotFoundError
        If ``folder`` does not exist.
    ValueError
        If ``folder`` has no class sub-folder, or a class sub-folder holds no
        ``.wav`` file.

    Example
    -------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ["yes/a_nohash_0.wav", "no/b_nohash_0.wav"]:
    ...     (root / name).parent.mkdir(exist_ok=True)
    ...     (root / name).touch()
    >>> [(os.path.basename(p), c) for p, c in list_labelled_wavs(root)]
    [('b_nohash_0.wav', 'no'), ('a_nohash_0.wav', 'yes')]
    """
    folder = os.path.abspath(os.fspath(folder))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"data folder {folder} does not exist")
    class_names = sorted(
        entry.name
        for entry in os.scandir(folder)
        if entry.is_dir()
        and not entry.name.startswith(".")
        and entry.name not in exclude
    )
    if not class_names:
        raise ValueError(
            f"data folder {folder} has no class sub-folders: expected the "
            "layout <class>/<file>.wav"
        )
    items = []
    for class_name in class_names:
        class_folder = os.path.join(folder, class_name)
        wavs = sorted(
            entry.name
            for entry in os.scandir(class_folder)
            if entry.is_file()
            and not entry.name.startswith(".")
            and entry.name.lower().endswith(".wav")
        )
        if not wavs:
            raise ValueError(
                f"class folder {class_folder} holds no .wav file: remove it "
                "or add its audio"
            )
        items.extend((os.path.join(class_folder, w), class_name) for w in wavs)
    return items


def speaker_of(path):
    """Returns the speaker id encoded in a Speech Commands file name.

    The speaker is the ``_``-separated token just before ``_nohash_``.
    A name without ``_nohash_`` (such as a ``_silence_`` clip ``1024.wav``)
    has no speaker: its stem is returned, so each such clip is a group of
    its own.

    Arguments
    ---------
    path : str or os.PathLike
        Path or file name of a clip.

    Returns
    -------
    str
        The speaker id, or the file stem when the name carries none.

    Example
    -------
    >>> speaker_of("yes/0a7c2a8d_nohash_0.wav")
    '0a7c2a8d'
    >>> speaker_of("_unknown_/backward_0c540988_nohash_0.wav")
    '0c540988'
    >>> speaker_of("_silence_/1024.wav")
    '1024'
    """
    stem = os.path.splitext(os.path.basename(os.fspath(path)))[0]
    if "_nohash_" not in stem:
        return stem
    return stem.split("_nohash_")[0].rsplit("_", 1)[-1]


def _check_fractions(fractions):
    """Validates split fractions: three non-negative numbers summing to 1."""
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != len(SPLIT_NAMES):
        raise ValueError(
            f"fractions must give {len(SPLIT_NAMES)} numbers for "
            f"{'/'.join(SPLIT_NAMES)}, got {fractions}"
        )
    if any(f < 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-6:
        raise ValueError(
            f"fractions must be non-negative and sum to 1, got {fractions}"
        )
    return fractions


def speaker_hash(speaker, seed=0):
    """Maps a speaker id to a number in ``[0, 1)``, stably across runs.

    The number is the SHA-1 of ``"<seed>:<speaker>"``, so it depends only on
    the speaker id and the seed, never on which other files are present.

    Arguments
    ---------
    speaker : str
        The speaker id.
    seed : int
        Salt of the hash. The seed matters: the unsalted hash of the
        official Speech Commands convention put every speaker of the
        official test set in the same part, so re-splitting such a subset
        with it would put everything in one split.

    Returns
    -------
    float
        A number in ``[0, 1)``.

    Example
    -------
    >>> h = speaker_hash("0a7c2a8d")
    >>> 0.0 <= h < 1.0 and h == speaker_hash("0a7c2a8d")
    True
    >>> h == speaker_hash("0a7c2a8d", seed=1)
    False
    """
    digest = hashlib.sha1(f"{seed}:{speaker}".encode()).hexdigest()
    return int(digest[:15], 16) / float(16**15)


def split_by_speaker(items, fractions=DEFAULT_SPLIT_FRACTIONS, seed=0):
    """Splits clips into train / valid / test so no speaker is in two parts.

    Each speaker (see :func:`speaker_of`) goes to the part whose slice of
    ``[0, 1)`` holds its :func:`speaker_hash`: the parts are
    ``[0, f_train)``, ``[f_train, f_train + f_valid)`` and the rest. The
    assignment of a speaker therefore does not change when files or other
    speakers are added or removed.

    Only for very small sets, where the hash leaves a part with a non-zero
    fraction empty, the speaker whose hash is nearest that part's slice is
    moved into it (taken from a part holding more than one speaker), so a
    tiny dataset still gets a usable validation and test part.

    Arguments
    ---------
    items : iterable
        Clips, each either a path or a tuple whose first element is a path
        (such as the ``(path, class_name)`` pairs of
        :func:`list_labelled_wavs`).
    fractions : tuple of float
        Fractions of the speakers for train, valid and test (sum 1).
    seed : int
        Salt of the speaker hash.

    Returns
    -------
    dict
        ``{"train": [...], "valid": [...], "test": [...]}`` holding the
        input items, in input order.

    Example
    -------
    >>> items = [(f"yes/s{i}_nohash_{j}.wav", "yes")
    ...          for i in range(20) for j in range(2)]
    >>> parts = split_by_speaker(items)
    >>> sum(len(p) for p in parts.values())
    40
    >>> spk = {k: {speaker_of(p) for p, _ in v} for k, v in parts.items()}
    >>> spk["train"] & spk["valid"], spk["train"] & spk["test"]
    (set(), set())
    """
    fractions = _check_fractions(fractions)
    items = list(items)
    bounds = []
    low = 0.0
    for fraction in fractions:
        bounds.append((low, low + fraction))
        low += fraction

    def speaker_of_item(item):
        path = item if isinstance(item, (str, os.PathLike)) else item[0]
        return speaker_of(path)

    speakers = sorted({speaker_of_item(item) for item in items})
    values = {s: speaker_hash(s, seed) for s in speakers}
    assignment = {}
    for speaker, value in values.items():
        index = len(fractions) - 1
        for i, (_, high) in enumerate(bounds):
            if value < high:
                index = i
                break
        assignment[speaker] = index

    # Tiny sets only: give every part with a non-zero fraction a speaker.
    for index, fraction in enumerate(fractions):
        members = [s for s in speakers if assignment[s] == index]
        if fraction == 0 or members:
            continue
        sizes = [0] * len(fractions)
        for s in speakers:
            sizes[assignment[s]] += 1
        donors = [s for s in speakers if sizes[assignment[s]] > 1]
        if not donors:
            continue
        low, high = bounds[index]
        nearest = min(
            donors,
            key=lambda s: (max(low - values[s], values[s] - high, 0.0), s),
        )
        assignment[nearest] = index

    parts = {name: [] for name in SPLIT_NAMES}
    for item in items:
        parts[SPLIT_NAMES[assignment[speaker_of_item(item)]]].append(item)
    return parts
