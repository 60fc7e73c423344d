"""The same augmentation draws for every width of a training batch.

Authors
 * speechbrain-slimmable developers 2026
"""

import contextlib
import random

import torch
from speechbrain.augment.time_domain import AddNoise, AddReverb

# The method through which each SpeechBrain augmentation reads its files.
FILE_READS = {AddNoise: "_load_noise_batch", AddReverb: "_load_rir"}


def file_reading_augmentations(objects):
    """The ``AddNoise`` and ``AddReverb`` that read files, among ``objects``.

    Arguments
    ---------
    objects : iterable
        Modules (searched with their submodules) and lists of modules, as
        a recipe's ``hparams`` and ``modules`` hold them; others are skipped.

    Returns
    -------
    list of torch.nn.Module
        Each augmentation once, in the order found.

    Example
    -------
    >>> from speechbrain.augment.augmenter import Augmenter
    >>> noise = AddNoise(csv_file="noise.csv")
    >>> augment = Augmenter(augmentations=[noise, AddNoise()])
    >>> file_reading_augmentations([augment, [noise], 3]) == [noise]
    True
    """
    found = {}
    for value in objects:
        values = value if isinstance(value, (list, tuple)) else [value]
        for module in values:
            if not isinstance(module, torch.nn.Module):
                continue
            for candidate in module.modules():
                if (
                    isinstance(candidate, tuple(FILE_READS))
                    and candidate.csv_file is not None
                ):
                    found.setdefault(id(candidate), candidate)
    return list(found.values())


class SameDraws:
    """Make each width of a training batch draw what the first width drew.

    A recipe's own ``compute_forward`` augments each time it runs: once a
    width. Every width starts from the random state of the batch's start
    (torch's, the current CUDA device's, and Python's ``random``, which
    ``Augmenter``'s ``augment_prob`` draws from), and only the first width
    reads the noise and impulse-response files of ``AddNoise`` and
    ``AddReverb``: the others get the same recordings, so each file loader
    moves on once a batch, as in a plain ``Brain``.

    After the last width, torch's state is the one the last width left
    (dropout draws its own masks at each width) and Python's the one the
    first width left.

    Arguments
    ---------
    augmentations : list of torch.nn.Module
        ``AddNoise`` and ``AddReverb`` reading files (see
        :func:`file_reading_augmentations`).
    device : str or torch.device
        The device the batch runs on; a CUDA device's generator is reset too.

    Example
    -------
    >>> import soundfile as sf
    >>> folder = getfixture("tmp_path")
    >>> rows = ["ID,duration,wav,wav_format,wav_opts"]
    >>> for index in range(4):
    ...     path = folder / f"noise{index}.wav"
    ...     sf.write(path, torch.randn(1600).numpy() / 10, 16000)
    ...     rows.append(f"noise{index},0.1,{path},wav,")
    >>> _ = (folder / "noise.csv").write_text("\\n".join(rows) + "\\n")
    >>> add_noise = AddNoise(str(folder / "noise.csv"))
    >>> draws = SameDraws([add_noise], "cpu")
    >>> clean, lengths = torch.full((1, 800), 0.1), torch.ones(1)
    >>> draws.start()
    >>> noisy = []
    >>> for first in (True, False, False):
    ...     with draws.width(first):
    ...         noisy.append(add_noise(clean, lengths))
    >>> all(torch.equal(noisy[0], other) for other in noisy[1:])
    True
    >>> with draws.width(True):  # the next batch: the next recording
    ...     torch.equal(add_noise(clean, lengths), noisy[0])
    False
    """

    def __init__(self, augmentations, device):
        self.augmentations = augmentations
        self.cuda = torch.device(device).type == "cuda"
        self.reads = []
        self.states = None
        self.python_after_first = None

    def start(self):
        """Remember the random state of the batch's start."""
        cuda = torch.cuda.get_rng_state() if self.cuda else None
        self.states = (torch.get_rng_state(), cuda, random.getstate())
        self.reads = []

    @contextlib.contextmanager
    def width(self, first):
        """Run one width from the batch's random state (see the class).

        Arguments
        ---------
        first : bool
            The batch's first width reads the files; the others replay what
            it read.
        """
        cpu, cuda, python = self.states
        torch.set_rng_state(cpu)
        if cuda is not None:
            torch.cuda.set_rng_state(cuda)
        random.setstate(python)
        replayed = iter(self.reads)
        for augmentation in self.augmentations:
            read = getattr(augmentation, FILE_READS[type(augmentation)])
            if first:
                reader = self._recording(read, augmentation)
            else:
                reader = self._replaying(replayed, augmentation)
            setattr(augmentation, FILE_READS[type(augmentation)], reader)
        try:
            yield
        finally:
            for augmentation in self.augmentations:
                delattr(augmentation, FILE_READS[type(augmentation)])
            if first:
                self.python_after_first = random.getstate()
            else:
                random.setstate(self.python_after_first)

    def _recording(self, read, augmentation):
        """``read``, keeping what it returned and the random state after."""

        def recording(*args, **kwargs):
            value = read(*args, **kwargs)
            state = torch.get_rng_state()
            self.reads.append((augmentation, _cloned(value), state))
            return value

        return recording

    @staticmethod
    def _replaying(replayed, augmentation):
        """A reader returning the first width's reads in turn."""

        def replaying(*args, **kwargs):
            reader, value, state = next(replayed, (None, None, None))
            if reader is not augmentation:
                raise RuntimeError(
                    f"a width read files through {augmentation} where the "
                    "batch's first width did not: the widths of a batch "
                    "must run the same augmentations"
                )
            torch.set_rng_state(state)
            return _cloned(value)

        return replaying


def _cloned(value):
    """A copy of a tensor or tuple of tensors (readers' callers edit them)."""
    if isinstance(value, tuple):
        return tuple(item.clone() for item in value)
    return value.clone()
