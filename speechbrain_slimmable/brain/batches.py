"""Augmentation and features of a batch, computed once for every width.

Authors
 * speechbrain-slimmable developers 2026
"""

import math

import speechbrain as sb
import torch


class BatchPreparationMixin:
    """What the widths of one batch share: its augmentation and features.

    Mixed into :class:`~speechbrain_slimmable.brain.SandwichBrain`; reads
    its ``hparams`` (``wav_augment``, ``mixup``, ``fea_augment``,
    ``wide_fea_augment``, ``image_augment``, ``image_features``),
    ``modules.compute_features``, ``wide_fea_augment_from`` and the width
    being trained.
    """

    def prepare_batch(self, batch, stage):
        """Augment (training only) and compute features once per batch.

        Computed once per batch and stage, then shared by every width; a
        training width at or above ``wide_fea_augment_from`` gets the
        features of ``wide_fea_augment`` when the recipe sets one.

        Returns
        -------
        features : torch.Tensor
            ``(batch, time, feats)``.
        targets : torch.Tensor
            Class indices ``(batch,)`` (class probabilities
            ``(batch, n_classes)`` after ``mixup``), replicated as
            augmentation requires.
        wavs : torch.Tensor
            The (augmented) waveforms, replicated as the targets are.
        """
        if self._prepared is None or self._prepared[:2] != (batch, stage):
            with torch.no_grad():
                prepared = self._augment_and_featurize(batch, stage)
            self._prepared = (batch, stage, prepared)
        features, wide_features, targets, wavs = self._prepared[2]
        width = self._training_width
        lowest = self.wide_fea_augment_from
        if (
            wide_features is not None
            and width is not None
            and (width > lowest or math.isclose(width, lowest))
        ):
            features = wide_features
        return features, targets, wavs

    def _augment_and_featurize(self, batch, stage):
        """Augmentation (training only), then features, of one batch.

        Returns the features, those of ``wide_fea_augment`` (``None`` when
        unset or not training), the targets and the waveforms.
        """
        batch = batch.to(self.device)
        wavs, lens = batch.sig
        targets = self.targets_of(batch)
        if getattr(batch, "is_image", None) is not None:
            clean, targets = self._features_of_mixed_batch(
                batch, stage, targets
            )
        else:
            wav_augment = getattr(self.hparams, "wav_augment", None)
            if stage == sb.Stage.TRAIN and wav_augment is not None:
                wavs, lens = wav_augment(wavs, lens)
                targets = wav_augment.replicate_labels(targets)
            mixup = getattr(self.hparams, "mixup", None)
            if stage == sb.Stage.TRAIN and mixup is not None:
                wavs, lens, targets = mixup(wavs, lens, targets)
            clean = self.modules.compute_features(wavs)
        features, wide_features = clean, None
        fea_augment = getattr(self.hparams, "fea_augment", None)
        if stage == sb.Stage.TRAIN and fea_augment is not None:
            features, _ = fea_augment(clean, lens)
            targets = fea_augment.replicate_labels(targets)
            wavs = wavs.repeat(len(targets) // len(wavs), 1)
        wide_fea_augment = getattr(self.hparams, "wide_fea_augment", None)
        if stage == sb.Stage.TRAIN and wide_fea_augment is not None:
            wide_features, _ = wide_fea_augment(clean, lens)
            if wide_features.shape[0] != features.shape[0]:
                raise ValueError(
                    "wide_fea_augment must return as many examples as "
                    f"fea_augment ({features.shape[0]}), got "
                    f"{wide_features.shape[0]}: give both the same "
                    "concat_original and repeat_augment"
                )
        return features, wide_features, targets, wavs

    def _features_of_mixed_batch(self, batch, stage, targets):
        """Features and targets of a batch of audio clips and spectrogram
        images.

        A batch with ``is_image`` (see
        :mod:`speechbrain_slimmable.dataio.spectrograms`) holds audio rows
        (``sig``) and image rows (``image_feats``: log-mel features). Audio
        rows get ``wav_augment`` and ``modules.compute_features``; image
        rows get ``edge_negatives`` (keywords cut at the window's edge and
        relabelled, :mod:`speechbrain_slimmable.edge_negatives`), then
        ``image_augment`` (log-mel augmentation, e.g.
        :mod:`speechbrain_slimmable.log_mel_augment`) and
        ``image_features`` (what turns log-mel into the model's input:
        ``compute_features`` after its front end). Rows keep their order.
        """
        is_image = torch.as_tensor(batch.is_image, device=self.device)
        image_rows = is_image.nonzero().squeeze(1)
        wav_rows = (~is_image).nonzero().squeeze(1)
        training = stage == sb.Stage.TRAIN
        if training and getattr(self.hparams, "mixup", None) is not None:
            raise ValueError(
                "mixup needs waveforms: train without it when the training "
                "set holds spectrogram images"
            )
        parts = []
        if len(wav_rows):
            wavs, lens = batch.sig
            wavs, lens = wavs[wav_rows], lens[wav_rows]
            wav_augment = getattr(self.hparams, "wav_augment", None)
            if training and wav_augment is not None:
                wavs, lens = wav_augment(wavs, lens)
                if len(wavs) != len(wav_rows):
                    raise ValueError(
                        "wav_augment must keep the batch size when images "
                        "train beside audio: concat_original: False and no "
                        "repeat_augment"
                    )
            parts.append((wav_rows, self.modules.compute_features(wavs)))
        if len(image_rows):
            image_features = getattr(self.hparams, "image_features", None)
            if image_features is None:
                raise ValueError(
                    "the batch holds spectrogram images but the hparams "
                    "have no image_features (log-mel to the model's input, "
                    "e.g. !ref <compute_features> without its front end)"
                )
            log_mel = batch.image_feats.data[image_rows]
            negatives = getattr(self.hparams, "edge_negatives", None)
            if training and negatives is not None:
                log_mel, image_targets = negatives(
                    log_mel, targets[image_rows], self.hparams.label_encoder
                )
                targets = targets.clone()
                targets[image_rows] = image_targets
            image_augment = getattr(self.hparams, "image_augment", None)
            if training and image_augment is not None:
                log_mel, _ = image_augment(
                    log_mel, torch.ones(len(log_mel), device=self.device)
                )
            parts.append((image_rows, image_features(log_mel)))
        shapes = {tuple(part.shape[1:]) for _, part in parts}
        if len(shapes) > 1:
            raise ValueError(
                f"audio and images give features of shapes {sorted(shapes)}:"
                " compute the audio's with the images' front end "
                "(speechbrain_slimmable.lobes.features."
                "SpectrogramImageFbank) and clips of the images' length"
            )
        _, first = parts[0]
        features = first.new_empty(len(is_image), *first.shape[1:])
        for rows, part in parts:
            features[rows] = part
        return features, targets

    def targets_of(self, batch):
        """Class indices ``(batch,)`` of a batch (``command_encoded``)."""
        targets = batch.command_encoded
        if isinstance(targets, sb.dataio.batch.PaddedData):
            targets = targets.data
        return targets.reshape(-1).to(self.device)

    @staticmethod
    def logits_of(predictions):
        """The ``(batch, n_classes)`` scores in ``compute_forward``'s output.

        The output itself, or its first element (SpeechBrain recipes often
        return ``(outputs, lens)``); log-probabilities work as logits.
        """
        if isinstance(predictions, (tuple, list)):
            predictions = predictions[0]
        return predictions.reshape(predictions.shape[0], -1)
