#!/usr/bin/env python3
"""A keyword-spotting recipe in the shape of SpeechBrain's GSC recipe.

Written after SpeechBrain's ``recipes/Google-speech-commands/train.py``:
its Brain augments, computes and normalises features and runs an x-vector
and a classifier in its own ``compute_forward``, scores in its own
``compute_objectives`` and keeps checkpoints by its own error rate in
``on_stage_end``; its hooks do not call ``super()``. The one change
(docs/speechbrain_recipes.md): the Brain derives from ``SandwichBrain``.

To run it::

    python train_xvector.py hparams/xvect.yaml --data_folder=DIR --output_folder=OUT

``DIR`` holds ``train.csv``, ``valid.csv``, ``test.csv`` (``ID``,
``duration``, ``wav``, ``command``), ``noise.csv`` and ``rir.csv``.

Authors
 * speechbrain-slimmable developers 2026
"""

import os
import sys

import speechbrain as sb
from hyperpyyaml import load_hyperpyyaml

from speechbrain_slimmable.brain import SandwichBrain


class CommandBrain(SandwichBrain):
    """Keyword classification: features, x-vector, classifier."""

    def compute_forward(self, batch, stage):
        """Augment (training), featurize, normalise, embed and classify."""
        batch = batch.to(self.device)
        wavs, lens = batch.sig
        if stage == sb.Stage.TRAIN:
            wavs, lens = self.hparams.wav_augment(wavs, lens)
        feats = self.modules.compute_features(wavs)
        feats = self.modules.mean_var_norm(feats, lens)
        embeddings = self.modules.embedding_model(feats, lens)
        outputs = self.modules.classifier(embeddings)
        return self.modules.softmax(outputs), lens

    def compute_objectives(self, predictions, batch, stage):
        """Negative log-likelihood of the commands; the error rate."""
        predictions, lens = predictions
        command, _ = batch.command_encoded
        if stage == sb.Stage.TRAIN:
            command = self.hparams.wav_augment.replicate_labels(command)
        loss = self.hparams.compute_cost(predictions, command, lens)
        if stage != sb.Stage.TRAIN:
            self.error_metrics.append(batch.id, predictions, command, lens)
        return loss

    def on_stage_start(self, stage, epoch=None):
        """A new error-rate tracker for every evaluation stage."""
        if stage != sb.Stage.TRAIN:
            self.error_metrics = self.hparams.error_stats()

    def on_stage_end(self, stage, stage_loss, epoch=None):
        """Log; anneal the learning rate and keep the best checkpoint."""
        stats = {"loss": stage_loss}
        if stage == sb.Stage.TRAIN:
            self.train_stats = stats
            return
        stats["ErrorRate"] = self.error_metrics.summarize("average")
        if stage == sb.Stage.VALID:
            old_lr, new_lr = self.hparams.lr_annealing(epoch)
            sb.nnet.schedulers.update_learning_rate(self.optimizer, new_lr)
            self.hparams.train_logger.log_stats(
                stats_meta={"epoch": epoch, "lr": old_lr},
                train_stats=self.train_stats,
                valid_stats=stats,
            )
            self.checkpointer.save_and_keep_only(
                meta={"ErrorRate": stats["ErrorRate"]},
                min_keys=["ErrorRate"],
            )
        else:
            self.hparams.train_logger.log_stats(
                {"Epoch loaded": self.hparams.epoch_counter.current},
                test_stats=stats,
            )


def dataio_prep(hparams):
    """The train, valid and test datasets and the fitted label encoder."""
    label_encoder = sb.dataio.encoder.CategoricalEncoder()

    @sb.utils.data_pipeline.takes("wav")
    @sb.utils.data_pipeline.provides("sig")
    def audio_pipeline(wav):
        return sb.dataio.dataio.read_audio(wav)

    @sb.utils.data_pipeline.takes("command")
    @sb.utils.data_pipeline.provides("command", "command_encoded")
    def label_pipeline(command):
        yield command
        yield label_encoder.encode_sequence_torch([command])

    datasets = [
        sb.dataio.dataset.DynamicItemDataset.from_csv(
            csv_path=hparams[f"{split}_annotation"],
            dynamic_items=[audio_pipeline, label_pipeline],
            output_keys=["id", "sig", "command_encoded"],
        )
        for split in ("train", "valid", "test")
    ]
    label_encoder.load_or_create(
        path=os.path.join(hparams["save_folder"], "label_encoder.txt"),
        from_didatasets=[datasets[0]],
        output_key="command",
    )
    return datasets


def main(argv):
    """Train every width, then test the best checkpoint."""
    hparams_file, run_opts, overrides = sb.parse_arguments(argv)
    with open(hparams_file, encoding="utf-8") as fin:
        hparams = load_hyperpyyaml(fin, overrides)
    sb.create_experiment_directory(
        experiment_directory=hparams["output_folder"],
        hyperparams_to_save=hparams_file,
        overrides=overrides,
    )
    train_data, valid_data, test_data = dataio_prep(hparams)
    brain = CommandBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts=run_opts,
        checkpointer=hparams["checkpointer"],
    )
    brain.fit(
        brain.hparams.epoch_counter,
        train_data,
        valid_data,
        train_loader_kwargs=hparams["dataloader_options"],
        valid_loader_kwargs=hparams["dataloader_options"],
    )
    brain.evaluate(
        test_data,
        min_key="ErrorRate",
        test_loader_kwargs=hparams["dataloader_options"],
    )
    return brain


if __name__ == "__main__":
    main(sys.argv[1:])
