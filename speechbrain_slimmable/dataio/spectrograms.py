"""Folders of spectrogram images as keyword-spotting training clips.

A spectrogram folder holds ``<label>/<speaker>_nohash_<n>.<word>.jpg``
images: 8-bit log-mel spectrograms, one row a frame, one column a mel band
(as ``gsc_v2_spectrograms``; see
:class:`~speechbrain_slimmable.lobes.features.SpectrogramImageFbank` for
the front end that computes the same features from audio). The images are
decoded once into one ``uint8`` array (a ``.npy`` file beside the
manifest) and read from it by row index; the manifest has the columns of
the WAV manifests plus ``image``, so both kinds of clip train in one run.

Authors
 * speechbrain-slimmable developers 2026
"""

import csv
import logging
import os

import numpy as np

from speechbrain_slimmable.dataio.folders import speaker_of
from speechbrain_slimmable.dataio.manifests import CSV_COLUMNS, write_csv

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
# Folders whose images belong to another class of the 12-class task.
IMAGE_FOLDER_LABELS = {
    "unknown": "_unknown_",
    "_unknown_": "_unknown_",
    "_background_noise_": "_silence_",
    "_silence_": "_silence_",
}


def word_of(path):
    """The spoken word of an image named ``<speaker>_nohash_<n>.<word>.jpg``.

    Example
    -------
    >>> word_of("unknown/004ae714_nohash_0.bed.jpg")
    'bed'
    >>> word_of("_background_noise_/51889_background.jpg") is None
    True
    """
    stem = os.path.splitext(os.path.basename(path))[0]
    if "_nohash_" not in stem or "." not in stem:
        return None
    return stem.rsplit(".", 1)[1]


def image_label(path, task):
    """The class of an image for ``task`` (``"12"``, ``"35"`` or ``"folder"``).

    ``"12"``: the keyword folders, ``unknown`` as ``_unknown_`` and
    ``_background_noise_`` as ``_silence_``; ``"35"``: the word of the file
    name (noise images have none: ``None``, left out); ``"folder"``: the
    folder's name (``_background_noise_`` is noise, no class: left out).

    Example
    -------
    >>> image_label("unknown/004ae714_nohash_0.bed.jpg", "12")
    '_unknown_'
    >>> image_label("unknown/004ae714_nohash_0.bed.jpg", "35")
    'bed'
    >>> image_label("_background_noise_/1_background.jpg", "12")
    '_silence_'
    >>> image_label("_background_noise_/1_background.jpg", "folder") is None
    True
    >>> image_label("yes/0a_nohash_0.yes.jpg", "7")
    Traceback (most recent call last):
    ...
    ValueError: task must be '12', '35' or 'folder', got '7'
    """
    folder = os.path.basename(os.path.dirname(path))
    if task == "12":
        return IMAGE_FOLDER_LABELS.get(folder, folder)
    if task == "35":
        return word_of(path)
    if task == "folder":
        return None if folder == "_background_noise_" else folder
    raise ValueError(f"task must be '12', '35' or 'folder', got {task!r}")


def list_spectrogram_images(folder, task="12"):
    """The ``(path, label)`` of every image under ``folder``, sorted.

    Arguments
    ---------
    folder : str
        A ``<label>/<file>.jpg`` folder.
    task : str
        How labels are read (see :func:`image_label`).

    Returns
    -------
    list of (str, str)
    """
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"spectrogram folder {folder} does not exist: give a folder of "
            "<label>/<file>.jpg images (e.g. ../shared/data/"
            "gsc_v2_spectrograms/speakers)"
        )
    items = []
    for label_folder in sorted(os.listdir(folder)):
        path = os.path.join(folder, label_folder)
        if not os.path.isdir(path):
            continue
        for name in sorted(os.listdir(path)):
            if name.lower().endswith(IMAGE_EXTENSIONS):
                image = os.path.join(path, name)
                label = image_label(image, task)
                if label is not None:
                    items.append((image, label))
    if not items:
        raise ValueError(
            f"no images ({', '.join(IMAGE_EXTENSIONS)}) in the class folders "
            f"of {folder}"
        )
    return items


def decode_image(path):
    """The grey levels of one image as a ``uint8`` array ``(rows, cols)``."""
    from PIL import Image

    with Image.open(path) as image:
        return np.array(image.convert("L"), dtype=np.uint8)


def prepare_spectrograms(folder, save_folder, task="12", exclude_speakers=()):
    """Decode a spectrogram folder once; write its manifest and array.

    Writes ``<save_folder>/spectrograms.csv`` (the WAV manifests' columns,
    an empty ``wav``, plus ``image``: the row of the array) and
    ``<save_folder>/spectrograms.npy`` (``uint8``, ``(images, rows,
    cols)``). Both are reused when present and made from the same list of
    images.

    Arguments
    ---------
    folder : str
        The ``<label>/<file>.jpg`` folder.
    save_folder : str
        Where the manifest and the array are written.
    task : str
        How labels are read (see :func:`image_label`).
    exclude_speakers : iterable of str
        Speakers left out (those of the validation and test clips): a
        speaker never trains on images and validates on audio.

    Returns
    -------
    (str, str)
        The manifest's and the array's paths.

    Example
    -------
    >>> import tempfile
    >>> from PIL import Image
    >>> root = tempfile.mkdtemp()
    >>> for label, name in [("yes", "aa_nohash_0.yes"), ("no", "bb_nohash_0.no")]:
    ...     os.makedirs(os.path.join(root, "images", label))
    ...     pixels = np.full((98, 40), 7, dtype=np.uint8)
    ...     Image.fromarray(pixels).save(f"{root}/images/{label}/{name}.jpg")
    >>> manifest, array = prepare_spectrograms(
    ...     f"{root}/images", f"{root}/save", exclude_speakers={"bb"})
    >>> with open(manifest) as f:
    ...     [(row["ID"], row["command"], row["image"])
    ...      for row in csv.DictReader(f)]
    [('yes/aa_nohash_0.yes', 'yes', '0')]
    >>> np.load(array).shape
    (1, 98, 40)
    """
    items = list_spectrogram_images(folder, task)
    excluded = set(exclude_speakers)
    kept = [(p, c) for p, c in items if speaker_of(p) not in excluded]
    if len(kept) < len(items):
        left_out = {speaker_of(p) for p, _ in items} & excluded
        logger.warning(
            "%s: %d images of %d validation or test speakers left out",
            folder,
            len(items) - len(kept),
            len(left_out),
        )
    os.makedirs(save_folder, exist_ok=True)
    manifest = os.path.join(save_folder, "spectrograms.csv")
    array_path = os.path.join(save_folder, "spectrograms.npy")
    rows = [
        {
            "ID": os.path.relpath(os.path.splitext(path)[0], folder),
            "duration": 1.0,
            "wav": "",
            "start": 0,
            "stop": 0,
            "command": label,
            "image": index,
        }
        for index, (path, label) in enumerate(kept)
    ]
    if _same_manifest(manifest, rows) and os.path.isfile(array_path):
        logger.info("%s: reusing %s", folder, array_path)
        return manifest, array_path
    logger.info("%s: decoding %d images once", folder, len(kept))
    images = np.stack([decode_image(path) for path, _ in kept])
    np.save(array_path, images)
    write_csv(manifest, rows, (*CSV_COLUMNS, "image"))
    return manifest, array_path


def _same_manifest(manifest, rows):
    """Whether ``manifest`` already lists exactly ``rows``."""
    if not os.path.isfile(manifest):
        return False
    with open(manifest, encoding="utf-8", newline="") as f:
        old = [(r["ID"], r["command"]) for r in csv.DictReader(f)]
    return old == [(r["ID"], r["command"]) for r in rows]
