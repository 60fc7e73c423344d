"""Pretrained interface: load a slimmable supernet and classify keywords.

Authors
 * speechbrain-slimmable developers 2026
"""

import dataclasses
import os
import statistics
import time

import huggingface_hub
import torch
from huggingface_hub import constants as hub_constants
from huggingface_hub.utils import validate_repo_id
from hyperpyyaml import load_hyperpyyaml
from speechbrain.dataio.encoder import CategoricalEncoder
from speechbrain.inference.interfaces import Pretrained
from speechbrain.utils.fetching import (
    FetchConfig,
    FetchSource,
    LocalStrategy,
    fetch,
)

from speechbrain_slimmable.dataio.audio import check_waveform, fit_to_window
from speechbrain_slimmable.dataio.audio import load_audio as read_audio
from speechbrain_slimmable.inference.export import with_features
from speechbrain_slimmable.nnet.width import (
    check_width,
    check_width_list,
    set_width,
)
from speechbrain_slimmable.supernet.extract import extract_subnet
from speechbrain_slimmable.supernet.profile import profile_widths

HUB_TIMEOUT_S = 3  # one look at the hub; huggingface_hub retries for ~25 s


class SlimmableKWSClassifier(Pretrained):
    """A keyword classifier whose size is chosen at run time.

    Loads a model folder written by ``recipes/GSC/train.py`` (see
    :mod:`speechbrain_slimmable.inference.model_folder`) from a local folder or a Hugging Face
    hub id, and classifies audio at any width the supernet serves. Each
    checkpoint is loaded with ``weights_only=True`` and every key checked: a
    corrupt file, or one of another model, is a ValueError naming the file.

    Audio: files are resampled to the model's rate and averaged to mono;
    each clip is then fitted to the model's window of ``clip_samples``
    samples: a shorter clip is zero-padded on both sides (centred), from a
    longer one the window with the most energy is kept (where a keyword most
    likely is). Empty, NaN/inf or unreadable audio is a ValueError naming
    the file (FileNotFoundError for a missing one).

    Widths: ``width=None`` means the widest; a width the model does not
    serve is a ValueError listing the accepted ones.

    Arguments
    ---------
    See ``speechbrain.inference.interfaces.Pretrained``; build it with
    :meth:`from_hparams`.

    Example
    -------
    >>> from speechbrain.dataio.encoder import CategoricalEncoder
    >>> from speechbrain_slimmable.inference.model_folder import write_model_folder
    >>> from speechbrain_slimmable.lobes.models.TCResNet import (
    ...     SlimmableTCResNet,
    ... )
    >>> folder = getfixture("tmp_path")
    >>> encoder = CategoricalEncoder()
    >>> encoder.update_from_iterable(["yes", "no"])
    >>> model = SlimmableTCResNet(n_classes=2, widths=[1.0, 0.5])
    >>> write_model_folder(folder, "hparams/quickstart.yaml",
    ...     {"n_classes": 2, "widths": [1.0, 0.5]}, model, encoder)
    >>> classifier = SlimmableKWSClassifier.from_hparams(source=folder)
    >>> classifier.widths
    [1.0, 0.5]
    >>> wavs = torch.rand(3, 12000) - 0.5  # 16 kHz, padded to 1 s
    >>> out_prob, score, index, labels = classifier.classify_batch(
    ...     wavs, width=0.5)
    >>> out_prob.shape, labels[0] in ("yes", "no")
    (torch.Size([3, 2]), True)
    >>> classifier.select_width(max_params=100_000)
    0.5
    """

    MODULES_NEEDED = ["compute_features", "model"]
    HPARAMS_NEEDED = ["sample_rate", "clip_samples", "widths", "label_encoder"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._profile = None
        encoder = self.hparams.label_encoder
        silence = torch.zeros(1, self.hparams.clip_samples, device=self.device)
        with torch.no_grad():  # on a copy: no statistics of the model move
            features = self.mods.compute_features(silence)
            outputs = self.subnet(self.widths[-1])(features).shape[-1]
        if outputs != len(encoder):
            raise ValueError(
                f"the label encoder has {len(encoder)} labels but the model "
                f"gives {outputs} outputs: label_encoder.ckpt does not "
                "belong to this model"
            )
        encoder.expect_len(outputs)

    @classmethod
    def from_hparams(
        cls,
        source,
        hparams_file="hyperparams.yaml",
        savedir=None,
        overrides=None,
        local_strategy=LocalStrategy.SYMLINK,
        fetch_config=None,
        **kwargs,
    ):
        """Fetch a model folder with SpeechBrain's fetching and load it.

        As ``Pretrained.from_hparams``, with two differences: checkpoints
        are loaded strictly (see the class), and a local folder never
        reaches for the hub. A ``source`` that is not an existing folder is
        a hub id only if it reads ``owner/name``; otherwise it is a missing
        folder (FileNotFoundError). A hub id is looked up once, with a
        timeout of a few seconds: if the hub cannot serve it, a cached copy
        is read, and without one a FileNotFoundError says what was tried
        (no waiting through huggingface_hub's retries).

        Arguments
        ---------
        source : str or os.PathLike
            A local model folder or a hub id (``owner/name``); a cached hub
            id also loads offline with ``HF_HUB_OFFLINE=1``.
        hparams_file : str
            The hyperparameter file of the folder.
        savedir : str or os.PathLike, optional
            Where to link (or copy) the files. By default none: a local
            folder is read in place, a hub id from the Hugging Face cache.
        overrides : dict, optional
            Overrides of the hyperparameters.
        local_strategy : speechbrain.utils.fetching.LocalStrategy
            How files land in ``savedir`` (symbolic link by default).
        fetch_config : speechbrain.utils.fetching.FetchConfig, optional
            By default, the links of a local folder are renewed on every
            load, so a ``savedir`` that held another model's files cannot
            serve them.
        **kwargs : dict
            Passed to the class (e.g. ``run_opts``).

        Returns
        -------
        SlimmableKWSClassifier
        """
        source = _checked_source(source, hparams_file)
        if fetch_config is None:
            fetch_config = FetchConfig(overwrite=os.path.isdir(str(source)))
        if isinstance(source, str) and not os.path.isdir(source):
            fetch_config = _hub_fetch_config(source, hparams_file, fetch_config)
        fetching = {
            "local_strategy": local_strategy,
            "fetch_config": fetch_config,
        }
        hparams_path = fetch(hparams_file, source, savedir, **fetching)
        with open(hparams_path, encoding="utf-8") as stream:
            hparams = load_hyperpyyaml(stream, overrides or {})
        hparams["savedir"] = savedir
        pretrainer = hparams["pretrainer"]
        pretrainer.set_collect_in(savedir)
        pretrainer.collect_files(default_source=source, **fetching)
        for name, loadable in pretrainer.loadables.items():
            if isinstance(loadable, torch.nn.Module):
                pretrainer.add_custom_hooks({name: load_state_dict_strict})
            elif isinstance(loadable, CategoricalEncoder):
                pretrainer.add_custom_hooks({name: load_label_encoder})
        pretrainer.load_collected()
        return cls(modules=hparams["modules"], hparams=hparams, **kwargs)

    @property
    def widths(self):
        """The widths the supernet serves, widest first."""
        return check_width_list(self.hparams.widths)

    @property
    def labels(self):
        """The class labels, in the order of the model's outputs."""
        encoder = self.hparams.label_encoder
        return [str(encoder.ind2lab[i]) for i in range(len(encoder))]

    def load_audio(self, path):
        """Read a local audio file as the model's mono waveform.

        Resampled to the model's rate; see
        :func:`speechbrain_slimmable.dataio.audio.load_audio` for the errors.
        """
        return read_audio(path, self.hparams.sample_rate)

    def classify_file(self, path, width=None):
        """Classify one audio file (any rate, mono or several channels).

        Arguments
        ---------
        path : str or os.PathLike
            A local audio file (see :meth:`load_audio`).
        width : float, optional
            The width to run (the widest by default).

        Returns
        -------
        The outputs of :meth:`classify_batch` for a batch of one.
        """
        return self.classify_batch(
            self.load_audio(path).unsqueeze(0), None, width
        )

    def classify_batch(self, wavs, wav_lens=None, width=None):
        """Classify waveforms at the model's sample rate.

        Each waveform (up to its relative length) is checked and fitted to
        the model's window (see the class), so clips of any length may be
        batched.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, samples)`` or ``(samples,)`` mono waveforms.
        wav_lens : torch.Tensor, optional
            Relative lengths ``(batch,)`` of padded waveforms (1.0: all).
        width : float, optional
            The width to run (the widest by default).

        Returns
        -------
        out_prob : torch.Tensor
            Log posterior probabilities ``(batch, n_classes)``.
        score : torch.Tensor
            The log posterior of the best class ``(batch,)``.
        index : torch.Tensor
            The index of the best class ``(batch,)``.
        text_lab : list of str
            The label of the best class.
        """
        if wavs.dim() == 1:
            wavs = wavs.unsqueeze(0)
        if wavs.dim() != 2:
            raise ValueError(
                "wavs must be mono waveforms (batch, samples), got shape "
                f"{tuple(wavs.shape)}: average the channels first"
            )
        if wav_lens is None:
            wav_lens = torch.ones(wavs.shape[0])
        clips = []
        for number, (wav, relative) in enumerate(zip(wavs, wav_lens)):
            wav = wav[: round(float(relative) * wavs.shape[1])]
            check_waveform(wav, f"waveform {number} of the batch")
            clips.append(fit_to_window(wav, self.hparams.clip_samples))
        logits = self._logits(torch.stack(clips), width)
        out_prob = torch.log_softmax(logits, dim=-1)
        score, index = torch.max(out_prob, dim=-1)
        text_lab = self.hparams.label_encoder.decode_torch(index)
        return out_prob, score, index, text_lab

    def forward(self, wavs, wav_lens=None):
        """Classify at the widest width (see :meth:`classify_batch`)."""
        return self.classify_batch(wavs, wav_lens)

    def subnet(self, width, include_features=False):
        """The standalone model at ``width`` (plain torch layers, a copy).

        Arguments
        ---------
        width : float
            One of :attr:`widths`.
        include_features : bool
            False: features ``(batch, time, n_mels)`` to logits
            ``(batch, n_classes)``, the subnet alone. True: waveforms
            ``(batch, samples)`` at the model's rate to logits, a
            ``torch.nn.Sequential`` of ``compute_features`` and the subnet.
            Neither applies the window fitting of :meth:`classify_batch`.

        Returns
        -------
        torch.nn.Module
            In eval mode.
        """
        check_width(width, self.widths)
        subnet = extract_subnet(self.mods.model, width).eval()
        if include_features:
            return with_features(self.mods.compute_features, subnet).eval()
        return subnet

    def profile(self):
        """Parameters and MACs of the subnet at every width.

        MACs are those of the model on the features of one clip (the
        feature front end, the same at every width, is not counted).

        Returns
        -------
        list of dict
            ``{"width", "params", "macs"}``, widest first.
        """
        if self._profile is None:  # counted once: weights do not change it
            clip = torch.zeros(1, self.hparams.clip_samples, device=self.device)
            with torch.no_grad():
                features = self.mods.compute_features(clip)
            model = self.mods.model
            self._profile = profile_widths(model, self.widths, features)
        return [dict(row) for row in self._profile]

    def latency_ms(self, width, repeats=5):
        """Median time in ms to classify one clip at ``width`` here.

        Measured on this machine and device, waveform to logits (features
        included), after one warm-up run.

        Arguments
        ---------
        width : float
            One of :attr:`widths`.
        repeats : int
            Timed runs.

        Returns
        -------
        float
        """
        net = self.subnet(width, include_features=True)
        clip = torch.zeros(1, self.hparams.clip_samples, device=self.device)
        times = []
        with torch.no_grad():
            for _ in range(repeats + 1):
                start = time.perf_counter()
                net(clip)
                if clip.is_cuda:
                    torch.cuda.synchronize(clip.device)
                times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times[1:])

    def select_width(self, max_params=None, max_macs=None, max_latency_ms=None):
        """The widest width that fits every given budget.

        Arguments
        ---------
        max_params : int, optional
            Most parameters of the subnet.
        max_macs : int, optional
            Most MACs for one clip (see :meth:`profile`).
        max_latency_ms : float, optional
            Most milliseconds per clip measured here (:meth:`latency_ms`).

        Returns
        -------
        float
            The width.

        Raises
        ------
        ValueError
            If no budget is given, or the narrowest width does not fit (the
            message gives its parameters, MACs and latency).
        """
        if max_params is None and max_macs is None and max_latency_ms is None:
            raise ValueError("give max_params, max_macs or max_latency_ms")
        rows = self.profile()
        for row in rows:
            fits = (max_params is None or row["params"] <= max_params) and (
                max_macs is None or row["macs"] <= max_macs
            )
            if fits and max_latency_ms is not None:
                row["latency_ms"] = self.latency_ms(row["width"])
                fits = row["latency_ms"] <= max_latency_ms
            if fits:
                return row["width"]
        narrowest = rows[-1]
        smallest = (
            f"the narrowest width {narrowest['width']} has "
            f"{narrowest['params']:,} parameters and {narrowest['macs']:,} MACs"
        )
        if max_latency_ms is not None:
            latency = narrowest.get("latency_ms")
            if latency is None:
                latency = self.latency_ms(narrowest["width"])
            smallest += f" and takes {latency:.2f} ms"
        budget = {"max_params": max_params, "max_macs": max_macs}
        budget["max_latency_ms"] = max_latency_ms
        given = ", ".join(
            f"{k}={v}" for k, v in budget.items() if v is not None
        )
        raise ValueError(f"no width fits {given}: {smallest}")

    def detect_file(self, path, width=None, threshold=None, **options):
        """Keyword events in an audio file of any length.

        Sliding windows of the model's clip, batched; see
        :mod:`speechbrain_slimmable.inference.detection`. The file is read as by
        :meth:`load_audio`.

        Arguments
        ---------
        path : str or os.PathLike
            A local audio file.
        width : float, optional
            The width to run (the widest by default).
        threshold : float or dict, optional
            By default the model folder's (see
            :func:`speechbrain_slimmable.inference.detector.default_threshold`).
        **options : dict
            ``onnx`` (run an exported file instead), ``hop`` and the
            options of :class:`~speechbrain_slimmable.inference.detection.EventDecoder`.

        Returns
        -------
        list of speechbrain_slimmable.inference.detection.Event
        """
        wav = self.load_audio(path)
        events = self.detect_stream(
            [wav], width, threshold, name=str(path), **options
        )
        return list(events)

    def detect_stream(
        self, chunks, width=None, threshold=None, sample_rate=None, **options
    ):
        """Keyword events of a live stream, each yielded once decided.

        Arguments
        ---------
        chunks : iterable
            Mono chunks of any size at the model's sample rate (float
            tensors or arrays in [-1, 1], or int16 arrays).
        width, threshold, **options
            As :meth:`detect_file`, plus ``name`` (how errors name the
            stream).
        sample_rate : int, optional
            The stream's rate, checked to be the model's if given.

        Returns
        -------
        generator of speechbrain_slimmable.inference.detection.Event
        """
        from speechbrain_slimmable.inference.detection import detect_chunks
        from speechbrain_slimmable.inference.detector import build_detector

        if sample_rate is not None and sample_rate != self.hparams.sample_rate:
            raise ValueError(
                f"{options.get('name', 'the stream')} is sampled at "
                f"{sample_rate} Hz but the model reads "
                f"{self.hparams.sample_rate} Hz: resample it first"
            )
        detector = build_detector(self, width, threshold, **options)
        return detect_chunks(detector, chunks)

    def export_onnx(self, path, width, include_features=True, quantize=False):
        """Export the subnet at ``width`` to ONNX.

        See :func:`speechbrain_slimmable.inference.export.export_onnx`; checked against
        PyTorch on one clip of noise. The graph takes waveforms at the
        model's rate (``include_features=True``) or features; it does not
        fit clips to the window: give it ``clip_samples``-long clips. Its
        ``metadata_props`` also hold what a device needs to feed it and
        read its output: ``labels`` (a JSON list, in output order),
        ``sample_rate``, ``clip_samples`` and ``n_mels`` (the features per
        frame).

        Returns
        -------
        dict
            The export report.
        """
        from speechbrain_slimmable.inference.export import export_onnx

        check_width(width, self.widths)
        generator = torch.Generator().manual_seed(0)
        clip = 0.1 * torch.randn(
            1, self.hparams.clip_samples, generator=generator
        )
        features = self.mods.compute_features
        with torch.no_grad():
            clip_features = features(clip)
        metadata = {
            "labels": self.labels,
            "sample_rate": self.hparams.sample_rate,
            "clip_samples": self.hparams.clip_samples,
            "n_mels": clip_features.shape[-1],
        }
        return export_onnx(
            self.mods.model,
            path,
            width,
            clip if include_features else clip_features,
            compute_features=features if include_features else None,
            quantize=quantize,
            metadata=metadata,
        )

    def _logits(self, wavs, width):
        """Logits of the supernet at ``width`` for fitted waveforms."""
        width = self.widths[0] if width is None else width
        check_width(width, self.widths)
        set_width(self.mods.model, width)
        with torch.no_grad():
            features = self.mods.compute_features(wavs.float().to(self.device))
            return self.mods.model(features)


def load_state_dict_strict(module, path):
    """Load a ``torch.save``-d state dict into ``module``, every key checked.

    The file is read with ``weights_only=True``. Unlike SpeechBrain's
    parameter transfer, which only warns, a file that cannot be read or
    that does not match ``module`` key for key and shape for shape is an
    error naming the file.

    Arguments
    ---------
    module : torch.nn.Module
        The module to fill.
    path : str or os.PathLike
        The checkpoint.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it is corrupt, truncated, not a state dict, or of another model.

    Example
    -------
    >>> path = getfixture("tmp_path") / "model.ckpt"
    >>> torch.save(torch.nn.Linear(2, 3).state_dict(), path)
    >>> load_state_dict_strict(torch.nn.Linear(2, 3), path)
    >>> load_state_dict_strict(torch.nn.Linear(3, 3), path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
     ...
    ValueError: checkpoint ... shapes differ for weight (checkpoint [3, 2], ...
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise FileNotFoundError(f"checkpoint {path} does not exist") from None
    except Exception as error:  # a bad file raises many kinds
        raise ValueError(
            f"cannot read checkpoint {path} (corrupt, truncated or not a "
            f"weights-only state dict): {_summary(error)}"
        ) from None
    if isinstance(state, dict):
        problems = _mismatches(module.state_dict(), state)
    else:
        problems = [f"it holds a {type(state).__name__}, not a state dict"]
    if problems:
        raise ValueError(
            f"checkpoint {path} does not match the model: "
            + "; ".join(problems)
        )
    module.load_state_dict(state)


def load_label_encoder(encoder, path):
    """Load a ``CategoricalEncoder`` file; errors name the file.

    Example
    -------
    >>> path = getfixture("tmp_path") / "label_encoder.ckpt"
    >>> _ = path.write_text("not an encoder")
    >>> load_label_encoder(CategoricalEncoder(), path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
     ...
    ValueError: cannot read label encoder ...
    """
    try:
        encoder.load(path)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"label encoder {path} does not exist"
        ) from None
    except (ValueError, SyntaxError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read label encoder {path}: {error}") from None
    if len(encoder) == 0:
        raise ValueError(f"label encoder {path} holds no label")


def _mismatches(own, state):
    """What differs between two state dicts: keys, then shapes."""
    problems = []
    missing = [key for key in own if key not in state]
    unexpected = [key for key in state if key not in own]
    if missing:
        problems.append(f"missing keys {_few(missing)}")
    if unexpected:
        problems.append(f"unexpected keys {_few(unexpected)}")
    if problems:
        return problems
    differ = [
        f"{key} (checkpoint {list(getattr(state[key], 'shape', []))}, "
        f"model {list(value.shape)})"
        for key, value in own.items()
        if getattr(state[key], "shape", None) != value.shape
    ]
    return [f"shapes differ for {_few(differ)}"] if differ else []


def _summary(error, limit=120):
    """The error's type and the first line of its message, shortened to
    ``limit`` characters (None: in full)."""
    lines = str(error).strip().splitlines()
    text = (
        f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    )
    if limit is None or len(text) <= limit:
        return text
    return text[: limit - 3] + "..."


def _few(items, shown=5):
    """``items`` joined, the first ``shown`` of them, and how many more."""
    text = ", ".join(str(item) for item in items[:shown])
    if len(items) > shown:
        text += f" and {len(items) - shown} more"
    return text


def _checked_source(source, hparams_file):
    """A local model folder (checked), a hub id or a ``FetchSource``."""
    if isinstance(source, FetchSource):
        return source
    text = os.fspath(source)
    if os.path.isdir(text):
        if not os.path.isfile(os.path.join(text, hparams_file)):
            raise FileNotFoundError(
                f"{text} is not a model folder: it has no {hparams_file}"
            )
        return text
    if os.path.exists(text):
        raise FileNotFoundError(f"{text} is not a model folder")
    if isinstance(source, os.PathLike) or not _is_hub_id(text):
        raise FileNotFoundError(
            f"model folder {text} does not exist (no {os.path.abspath(text)}),"
            " and it is not a hub id (those read owner/name)"
        )
    return text


def _is_hub_id(text):
    """Whether ``text`` reads as a Hugging Face hub id ``owner/name``.

    Example
    -------
    >>> [_is_hub_id(t) for t in ("org/kws", "kws", "a/b/c", "./kws", "~/a")]
    [True, False, False, False, False]
    """
    try:
        validate_repo_id(text)
    except ValueError:
        return False
    return text.count("/") == 1


def _hub_fetch_config(repo_id, filename, fetch_config):
    """The ``fetch_config`` to fetch ``filename`` of a hub id with.

    One request (timeout ``HUB_TIMEOUT_S``) checks that the hub serves the
    file, unless the hub is off (``HF_HUB_OFFLINE=1`` or
    ``allow_network=False``). If it does, ``fetch_config`` is returned as
    it is; if not but the file is in the Hugging Face cache, a copy that
    reads the cache only.

    Raises
    ------
    FileNotFoundError
        If neither the hub nor the cache has the file; the message names
        the local folder that was looked for first.
    """
    if hub_constants.HF_HUB_OFFLINE:
        problem = "the Hugging Face hub is off here (HF_HUB_OFFLINE=1)"
    elif not fetch_config.allow_network:
        problem = "fetch_config does not allow the network"
    else:
        url = huggingface_hub.hf_hub_url(
            repo_id, filename, revision=fetch_config.revision
        )
        try:
            huggingface_hub.get_hf_file_metadata(
                url, token=fetch_config.token, timeout=HUB_TIMEOUT_S
            )
            return fetch_config
        except Exception as error:  # network and HTTP errors of many kinds
            problem = (
                f"the Hugging Face hub does not serve {url} "
                f"({_summary(error, limit=None)})"
            )
    cached = huggingface_hub.try_to_load_from_cache(
        repo_id,
        filename,
        cache_dir=fetch_config.huggingface_cache_dir,
        revision=fetch_config.revision,
    )
    if isinstance(cached, str):
        return dataclasses.replace(fetch_config, allow_network=False)
    raise FileNotFoundError(
        f"{repo_id} is not a local folder (no {os.path.abspath(repo_id)}), so "
        f"it was read as a hub id owner/name, but {problem} and it is not "
        "in the Hugging Face cache: give the path of an existing model "
        "folder, or the id of a model on the hub that is reachable or cached"
    )
