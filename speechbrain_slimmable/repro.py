"""Checkpointing of what a resumed run needs to continue exactly.

SpeechBrain's ``SaveableGenerator`` saves torch's generators; its
augmentation also draws from Python's ``random`` module (``Augmenter``'s
``augment_prob``) and from the noise recordings ``AddNoise`` reads in turn,
whose states this module saves alongside, with the seconds trained so far.

Authors
 * speechbrain-slimmable developers 2026
"""

import json
import random
import time

import torch
from speechbrain.augment.time_domain import AddNoise, Resample
from speechbrain.dataio.dataloader import make_dataloader
from speechbrain.dataio.legacy import ExtendedCSVDataset
from speechbrain.utils.checkpoints import (
    mark_as_loader,
    mark_as_saver,
    register_checkpoint_hooks,
)


@register_checkpoint_hooks
class PythonRandomState:
    """A checkpointer recoverable holding the state of ``random``.

    Example
    -------
    >>> from speechbrain.utils.checkpoints import Checkpointer
    >>> state = PythonRandomState()
    >>> checkpointer = Checkpointer(
    ...     getfixture("tmpdir"), recoverables={"python_rng": state})
    >>> _ = checkpointer.save_checkpoint()
    >>> first = random.random()
    >>> _ = checkpointer.recover_if_possible()
    >>> random.random() == first
    True
    """

    @mark_as_saver
    def save(self, path):
        """Write the state of ``random`` to ``path`` (JSON)."""
        version, internal, gauss = random.getstate()
        with open(path, "w", encoding="utf-8") as f:
            json.dump([version, list(internal), gauss], f)

    @mark_as_loader
    def load(self, path, end_of_epoch=False):
        """Restore the state of ``random`` from ``path``."""
        del end_of_epoch
        with open(path, encoding="utf-8") as f:
            version, internal, gauss = json.load(f)
        random.setstate((version, tuple(internal), gauss))


@register_checkpoint_hooks
class NoiseLoaderPosition:
    """A checkpointer recoverable holding where ``AddNoise`` stands in its noise.

    SpeechBrain's ``AddNoise`` reads its noise recordings (``csv_file``)
    through a loader it builds on first use, with the batch size of that
    first batch, and goes through them in the same shuffled order every
    pass. It saves nothing, so a resumed run would start the recordings
    again and mix in other noise than the uninterrupted run. This saves the
    loader's batch size and how many of its batches the current pass has
    used; loading builds the loader as ``AddNoise`` builds it and skips
    those batches with ``SaveableDataLoader``'s own fast-forward. White
    noise (no ``csv_file``) has no loader and nothing to save.

    Arguments
    ---------
    add_noise : speechbrain.augment.time_domain.AddNoise
        The augmentation whose position is checkpointed.

    Example
    -------
    >>> import soundfile as sf
    >>> from speechbrain.augment.time_domain import AddNoise
    >>> from speechbrain.utils.checkpoints import Checkpointer
    >>> folder = getfixture("tmp_path")
    >>> rows = ["ID,duration,wav,wav_format,wav_opts"]
    >>> for index in range(3):
    ...     path = folder / f"noise{index}.wav"
    ...     sf.write(path, torch.randn(16000).numpy() / 10, 16000)
    ...     rows.append(f"noise{index},1.0,{path},wav,")
    >>> _ = (folder / "noise.csv").write_text("\\n".join(rows) + "\\n")
    >>> def recipe():
    ...     add_noise = AddNoise(str(folder / "noise.csv"), snr_high=10)
    ...     position = NoiseLoaderPosition(add_noise)
    ...     return add_noise, Checkpointer(folder / "save", {"noise": position})
    >>> clean, lengths = torch.full((1, 800), 0.1), torch.ones(1)
    >>> add_noise, checkpointer = recipe()
    >>> _ = add_noise(clean, lengths)
    >>> _ = checkpointer.save_checkpoint()
    >>> _ = torch.manual_seed(0)
    >>> uninterrupted = add_noise(clean, lengths)
    >>> add_noise, checkpointer = recipe()  # a new run, resumed
    >>> _ = checkpointer.recover_if_possible()
    >>> _ = torch.manual_seed(0)
    >>> torch.equal(add_noise(clean, lengths), uninterrupted)
    True
    """

    def __init__(self, add_noise):
        self.add_noise = add_noise

    @mark_as_saver
    def save(self, path):
        """Write the loader's batch size and position (JSON)."""
        loader = getattr(self.add_noise, "data_loader", None)
        state = None
        if loader is not None:
            # SaveableDataLoader keeps its latest iterator: the current pass.
            iterator = loader._speechbrain_iterator
            used = 0 if iterator is None else iterator._num_yielded
            state = {"batch_size": loader.batch_size, "batches_used": used}
        with open(path, "w", encoding="utf-8") as f:
            json.dump(state, f)

    @mark_as_loader
    def load(self, path, end_of_epoch=False):
        """Rebuild the loader at the saved position (the noise spans epochs)."""
        del end_of_epoch
        with open(path, encoding="utf-8") as f:
            state = json.load(f)
        if state is None:
            # Saved before the first noise: AddNoise builds its loader anew.
            vars(self.add_noise).pop("data_loader", None)
            vars(self.add_noise).pop("noise_data", None)
            return
        loader = self._build_loader(state["batch_size"])
        loader._speechbrain_recovery_skip_to = state["batches_used"]
        self.add_noise.data_loader = loader
        # A new iterator draws its base seed from torch's generator, which
        # the checkpoint has just restored: keep it as restored.
        with torch.random.fork_rng(devices=[]):
            self.add_noise.noise_data = iter(loader)

    def _build_loader(self, batch_size):
        """The loader (and resampler) ``AddNoise`` builds on first use."""
        add_noise = self.add_noise
        if add_noise.noise_sample_rate != add_noise.clean_sample_rate:
            add_noise.resampler = Resample(
                add_noise.noise_sample_rate, add_noise.clean_sample_rate
            )
        dataset = ExtendedCSVDataset(
            csvpath=add_noise.csv_file,
            output_keys=add_noise.csv_keys,
            sorting="original"
            if add_noise.sorting == "random"
            else add_noise.sorting,
            replacements=add_noise.replacements,
        )
        return make_dataloader(
            dataset,
            batch_size=batch_size,
            num_workers=add_noise.num_workers,
            shuffle=add_noise.sorting == "random",
        )


def checkpoint_noise_positions(hparams):
    """Checkpoint where each ``AddNoise`` of ``hparams`` stands in its noise.

    So that a resumed run mixes in the noise recordings an uninterrupted
    run would. Optional on load: a checkpoint saved before this existed
    still resumes (SpeechBrain warns, and the noise starts again).

    Arguments
    ---------
    hparams : dict
        The loaded YAML, with its ``checkpointer``.
    """
    for name, value in hparams.items():
        if isinstance(value, AddNoise):
            hparams["checkpointer"].add_recoverable(
                f"{name}_position",
                NoiseLoaderPosition(value),
                optional_load=True,
            )


@register_checkpoint_hooks
class TrainingClock:
    """Seconds of training, summed over the runs that resume each other.

    Checkpointed with the model, so a resumed run reports the time of the
    whole training, and a finished run started again reports the time it
    took, not the seconds of the restart.

    Example
    -------
    >>> from speechbrain.utils.checkpoints import Checkpointer
    >>> folder = getfixture("tmp_path")
    >>> clock = TrainingClock()
    >>> _ = Checkpointer(folder, {"clock": clock}).save_checkpoint()
    >>> resumed = TrainingClock()
    >>> _ = Checkpointer(folder, {"clock": resumed}).recover_if_possible()
    >>> resumed.before > 0
    True
    """

    def __init__(self):
        self.before = 0.0
        self.start = time.perf_counter()

    def elapsed(self):
        """Seconds of training so far."""
        return self.before + time.perf_counter() - self.start

    @mark_as_saver
    def save(self, path):
        """Write the seconds so far."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(str(self.elapsed()))

    @mark_as_loader
    def load(self, path, end_of_epoch=False):
        """Continue from the seconds of the checkpoint."""
        del end_of_epoch
        with open(path, encoding="utf-8") as f:
            self.before = float(f.read())
        self.start = time.perf_counter()
