"""A small, deterministic, SYNTHETIC keyword dataset for tests and demos.

The clips are not speech. Each class is a fixed pattern of two or three
tone glides (chirps) with their own frequency trajectories; every
synthetic "speaker" shifts the pitch and the tempo of all patterns, and
every clip gets a random onset, a small pitch jitter, a random level and
additive noise. The class is therefore learnable from the time-frequency
pattern but not from the loudness alone.

The layout is the Speech Commands one, ``<class>/<speaker>_nohash_<n>.wav``
(16 kHz, 16-bit PCM, 1 s), so the recipe and the evaluation read it like
real data; a ``README.txt`` in the folder says it is synthetic.

Authors
-------
speechbrain-slimmable contributors
"""

import json
import pathlib

import numpy as np
import soundfile as sf

DEFAULT_CLASSES = ("yes", "no", "up", "down", "left", "right")
# Frequency grid (Hz) of the pattern end points, before the speaker shift.
_LEVELS = (350.0, 520.0, 780.0, 1150.0, 1700.0, 2500.0)
_DURATIONS = (0.10, 0.15, 0.20)  # seconds per glide, before tempo shift
_OPTIONS_FILE = "synthetic.json"


def class_pattern(index):
    """Returns the glide pattern of the class with the given index.

    Patterns depend only on the class index, never on the seed of the
    clips, and two classes never share one.

    Arguments
    ---------
    index : int
        Class index (its position in the ``classes`` tuple).

    Returns
    -------
    list of (float, float, float)
        ``(start_hz, end_hz, seconds)`` for each glide, in order.

    Example
    -------
    >>> class_pattern(0) == class_pattern(0)
    True
    >>> len({tuple(class_pattern(i)) for i in range(12)})
    12
    """
    patterns = []
    signatures = set()
    draw = 0
    while len(patterns) <= index:
        rng = np.random.default_rng([7919, draw])
        draw += 1
        n_glides = 2 + int(rng.integers(2))
        glides = []
        for _ in range(n_glides):
            start, end = rng.choice(len(_LEVELS), size=2)
            duration = int(rng.integers(len(_DURATIONS)))
            glides.append((int(start), int(end), duration))
        signature = tuple((s, e) for s, e, _ in glides)
        # Reject repeats, and patterns made of one glide repeated.
        if signature in signatures or len(set(signature)) < 2:
            continue
        signatures.add(signature)
        patterns.append(
            [(_LEVELS[s], _LEVELS[e], _DURATIONS[d]) for s, e, d in glides]
        )
    return patterns[index]


def _glide(start_hz, end_hz, length, rng, sample_rate):
    """One tone glide with a harmonic and 10 ms ramps at both ends."""
    freq = np.linspace(start_hz, end_hz, length)
    phase = 2 * np.pi * np.cumsum(freq) / sample_rate
    phase += rng.uniform(0, 2 * np.pi)
    wave = np.sin(phase) + 0.4 * np.sin(2 * phase + rng.uniform(0, 6))
    ramp = int(0.01 * sample_rate)
    envelope = np.ones(length)
    envelope[:ramp] = np.linspace(0, 1, ramp)
    envelope[-ramp:] = np.linspace(1, 0, ramp)
    return wave * envelope


def _render_clip(
    pattern, rng, pitch, tempo, sample_rate, n_samples, snr_db, distractors
):
    """Renders one clip of a pattern as float samples in ``[-1, 1]``."""
    jitter = rng.uniform(0.97, 1.03)
    gap = rng.uniform(0.03, 0.07) * tempo
    glide_lengths = [int(sec * tempo * sample_rate) for _, _, sec in pattern]
    gap_length = int(gap * sample_rate)
    total = sum(glide_lengths) + gap_length * (len(pattern) - 1)
    earliest = int(0.05 * n_samples)
    latest = max(earliest + 1, n_samples - total - int(0.02 * sample_rate))
    onset = int(rng.integers(earliest, latest))
    tone = np.zeros(n_samples)
    position = onset
    for (start_hz, end_hz, _), length in zip(pattern, glide_lengths):
        scale = pitch * jitter
        tone[position : position + length] = _glide(
            start_hz * scale, end_hz * scale, length, rng, sample_rate
        )
        position += length + gap_length
    for _ in range(distractors):
        # A glide of no class, anywhere, at up to the pattern's level.
        start_hz, end_hz = rng.choice(_LEVELS, size=2) * pitch
        length = int(rng.choice(_DURATIONS) * sample_rate)
        where = int(rng.integers(0, n_samples - length))
        tone[where : where + length] += rng.uniform(0.3, 1.0) * _glide(
            start_hz, end_hz, length, rng, sample_rate
        )
    tone /= np.sqrt(np.mean(tone**2))  # unit RMS: level chosen below
    snr = rng.uniform(*snr_db)
    noise = rng.standard_normal(n_samples) * 10 ** (-snr / 20)
    clip = tone + noise
    level = 10 ** (rng.uniform(-32.0, -14.0) / 20)  # RMS in dBFS
    clip *= level / np.sqrt(np.mean(clip**2))
    return np.clip(clip, -1.0, 1.0)


def make_synthetic_kws(
    folder,
    classes=DEFAULT_CLASSES,
    speakers=10,
    clips_per_speaker=4,
    sample_rate=16000,
    seed=0,
    speaker_spread=0.15,
    snr_db=(8.0, 30.0),
    distractors=0,
):
    """Writes a synthetic keyword dataset in ``<class>/<file>.wav`` layout.

    The files are ``<class>/synth<NN>_nohash_<n>.wav`` where ``synth<NN>`` is
    the synthetic speaker, so speaker-wise splitting works as on Speech
    Commands. The same arguments always give byte-identical files. With the
    defaults (6 classes, 10 speakers, 4 clips) it writes 240 clips in well
    under a second.

    Arguments
    ---------
    folder : str or os.PathLike
        Output folder. It must be absent or empty; if it already holds a
        synthetic set made with the same arguments, nothing is rewritten.
    classes : sequence of str
        Class (folder) names; the i-th gets pattern :func:`class_pattern`
        ``(i)``.
    speakers : int
        Number of synthetic speakers.
    clips_per_speaker : int
        Clips per speaker and class.
    sample_rate : int
        Sample rate in Hz; clips last one second.
    seed : int
        Seed of the speakers' shifts and of every clip's randomness.
    speaker_spread : float
        Each speaker shifts pitch and tempo by a factor drawn from
        ``[1 - speaker_spread, 1 + speaker_spread]``. Large spreads make
        classes overlap across speakers, as words do in speech.
    snr_db : tuple of float
        Range of the signal-to-noise ratio of the clips' white noise.
    distractors : int
        Glides of no class added to every clip at random times and
        pitches, so that a class must be told from look-alike patterns.

    Returns
    -------
    pathlib.Path
        The output folder.

    Raises
    ------
    FileExistsError
        If ``folder`` is not empty and holds no synthetic set made with the
        same arguments.

    Example
    -------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "synth"
    >>> _ = make_synthetic_kws(out, classes=("a", "b"), speakers=2,
    ...                        clips_per_speaker=1)
    >>> sorted(p.relative_to(out).as_posix() for p in out.glob("*/*.wav"))
    ['a/synth00_nohash_0.wav', 'a/synth01_nohash_0.wav', \
'b/synth00_nohash_0.wav', 'b/synth01_nohash_0.wav']
    >>> sf.info(str(out / "a" / "synth00_nohash_0.wav")).frames
    16000
    """
    classes = tuple(str(c) for c in classes)
    if not classes or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be unique and non-empty: {classes}")
    if any(
        not c or "/" in c or "\\" in c or c.startswith(".") for c in classes
    ):
        raise ValueError(f"class names must be plain folder names: {classes}")
    if speakers < 1 or clips_per_speaker < 1:
        raise ValueError("speakers and clips_per_speaker must be >= 1")
    if not 0 <= speaker_spread < 1:
        raise ValueError(
            f"speaker_spread must be in [0, 1), got {speaker_spread}"
        )
    if sample_rate < 8000:
        raise ValueError(f"sample_rate must be >= 8000 Hz, got {sample_rate}")
    options = {
        "classes": list(classes),
        "speakers": int(speakers),
        "clips_per_speaker": int(clips_per_speaker),
        "sample_rate": int(sample_rate),
        "seed": int(seed),
        "speaker_spread": float(speaker_spread),
        "snr_db": [float(v) for v in snr_db],
        "distractors": int(distractors),
    }
    folder = pathlib.Path(folder)
    if folder.is_dir() and any(folder.iterdir()):
        options_path = folder / _OPTIONS_FILE
        if options_path.is_file():
            with open(options_path, encoding="utf-8") as f:
                if json.load(f) == options:
                    return folder
        raise FileExistsError(
            f"{folder} is not empty and holds no synthetic set made with "
            "these arguments: choose an empty or new folder"
        )

    n_samples = int(sample_rate)
    speaker_rng = np.random.default_rng([int(seed), 0])
    low, high = 1 - speaker_spread, 1 + speaker_spread
    pitches = speaker_rng.uniform(low, high, size=speakers)
    tempos = speaker_rng.uniform(low, high, size=speakers)
    for class_index, class_name in enumerate(classes):
        pattern = class_pattern(class_index)
        (folder / class_name).mkdir(parents=True, exist_ok=True)
        for spk in range(speakers):
            for n in range(clips_per_speaker):
                rng = np.random.default_rng([int(seed), 1, class_index, spk, n])
                clip = _render_clip(
                    pattern,
                    rng,
                    pitches[spk],
                    tempos[spk],
                    sample_rate,
                    n_samples,
                    snr_db,
                    distractors,
                )
                name = f"synth{spk:02d}_nohash_{n}.wav"
                sf.write(
                    str(folder / class_name / name),
                    clip,
                    sample_rate,
                    subtype="PCM_16",
                )
    with open(folder / "README.txt", "w", encoding="utf-8") as f:
        f.write(_readme(options))
    with open(folder / _OPTIONS_FILE, "w", encoding="utf-8") as f:
        json.dump(options, f, indent=2)
        f.write("\n")
    return folder


def _readme(options):
    """Text of the README.txt written next to the synthetic clips."""
    return (
        "SYNTHETIC KEYWORD DATA - NOT SPEECH\n"
        "====================================\n\n"
        "Generated by speechbrain_slimmable.dataio.synthetic.make_synthetic_kws.\n"
        "Each class is a fixed pattern of 2-3 tone glides; each synthetic\n"
        "speaker (synthNN) shifts pitch and tempo; each clip has a random\n"
        "onset, level and additive noise. The folder names only borrow\n"
        "keyword names: the audio contains no spoken words. Use it for\n"
        "tests and demos, never to report keyword-spotting accuracy.\n\n"
        f"Options: {json.dumps(options)}\n"
    )
