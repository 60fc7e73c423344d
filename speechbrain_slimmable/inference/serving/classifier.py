"""Pretrained interface: load a slimmable supernet and classify keywords.

Loading (:mod:`.fetching`, :mod:`.checkpoint`) and width selection
(:mod:`.budget`) live in their own modules; this one holds the interface.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch
from speechbrain.inference.interfaces import Pretrained
from speechbrain.utils.fetching import LocalStrategy

from speechbrain_slimmable.dataio.audio import check_waveform, fit_to_window
from speechbrain_slimmable.dataio.audio import load_audio as read_audio
from speechbrain_slimmable.inference.export import with_features
from speechbrain_slimmable.inference.serving.budget import WidthBudgetMixin
from speechbrain_slimmable.inference.serving.fbank import inference_front_end
from speechbrain_slimmable.inference.serving.fetching import fetch_model_folder
from speechbrain_slimmable.nnet.width import (
    at_width,
    check_width_list,
    resolve_width,
    served_widths,
)
from speechbrain_slimmable.supernet.extract import extract_subnet


class SlimmableKWSClassifier(WidthBudgetMixin, Pretrained):
    """A keyword classifier whose size is chosen at run time.

    Loads a model folder written by ``recipes/GSC/train.py`` (see
    :mod:`speechbrain_slimmable.inference.serving.model_folder`) from a local folder or a Hugging Face
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
    >>> from speechbrain_slimmable.inference.serving.model_folder import write_model_folder
    >>> from speechbrain_slimmable.lobes.models.TCResNet import (
    ...     SlimmableTCResNet,
    ... )
    >>> folder = getfixture("tmp_path")
    >>> encoder = CategoricalEncoder()
    >>> encoder.update_from_iterable(["yes", "no"])
    >>> model = SlimmableTCResNet(n_classes=2, widths=[1.0, 0.5])
    >>> write_model_folder(folder, "recipes/GSC/hparams/quickstart.yaml",
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
        # The front end of every waveform this interface scores: the
        # model folder's, its filterbank computed once (as in the subnets
        # and ONNX files it exports).
        self.front_end = inference_front_end(self.mods.compute_features)
        self.front_end.to(self.device).eval()
        encoder = self.hparams.label_encoder
        silence = torch.zeros(1, self.hparams.clip_samples, device=self.device)
        with torch.no_grad():  # on a copy: no statistics of the model move
            features = self.front_end(silence)
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
        hparams = fetch_model_folder(
            source,
            hparams_file,
            savedir,
            overrides,
            local_strategy,
            fetch_config,
        )
        return cls(modules=hparams["modules"], hparams=hparams, **kwargs)

    @property
    def widths(self):
        """The widths the supernet serves, widest first.

        Asked of the model (:func:`~speechbrain_slimmable.served_widths`:
        the widths its switchable norms hold state for); a universal model,
        which runs at any width, lists the widths its folder names.
        """
        served = served_widths(self.mods.model)
        return check_width_list(
            self.hparams.widths if served is None else served
        )

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
        width = resolve_width(width, self.widths)  # before reading audio
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
        width = resolve_width(width, self.widths)
        subnet = extract_subnet(self.mods.model, width).eval()
        if include_features:
            return with_features(self.mods.compute_features, subnet).eval()
        return subnet

    def detect_file(self, path, width=None, threshold=None, **options):
        """Keyword events in an audio file of any length.

        Sliding windows of the model's clip, batched; see
        :mod:`speechbrain_slimmable.inference.streaming.sliding_windows`. The file is read as by
        :meth:`load_audio`.

        Arguments
        ---------
        path : str or os.PathLike
            A local audio file.
        width : float, optional
            The width to run (the widest by default).
        threshold : float or dict, optional
            By default the model folder's (see
            :func:`speechbrain_slimmable.inference.streaming.folder_settings.default_threshold`).
        **options : dict
            ``onnx`` (run an exported file instead), ``hop``,
            ``score_every`` (seconds between scoring calls: see
            :class:`~speechbrain_slimmable.inference.streaming.sliding_windows.SlidingWindowDetector`)
            and the options of :class:`~speechbrain_slimmable.inference.streaming.events.EventDecoder`.

        Returns
        -------
        list of speechbrain_slimmable.inference.streaming.events.Event
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
        generator of speechbrain_slimmable.inference.streaming.events.Event
        """
        from speechbrain_slimmable.inference.streaming.pretrained_detector import (
            build_detector,
        )
        from speechbrain_slimmable.inference.streaming.sliding_windows import (
            detect_chunks,
        )

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

        width = resolve_width(width, self.widths)
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
        width = resolve_width(width, self.widths)
        with torch.no_grad(), at_width(self.mods.model, width) as model:
            return model(self.front_end(wavs.float().to(self.device)))
