"""The model folder (hub layout) that the pretrained interface loads.

A folder holds ``hyperparams.yaml`` (features, model and widths, with every
reference resolved, so it does not depend on the training YAML or on any
hub id), ``model.ckpt`` (the supernet's state dict), ``label_encoder.ckpt``
and, when written by the recipe, ``README.md`` and ``results.json``.

SpeechBrain's ``EncoderClassifier`` loads such a folder without complaint
and would then fail on a module it expects (``mean_var_norm``); the folder
names that module as an :class:`EncoderClassifierHint`, which fails with a
pointer to the right class instead.

Authors
 * speechbrain-slimmable developers 2026
"""

import io
import os
import re

import torch
from hyperpyyaml import resolve_references
from ruamel.yaml import YAML

INFERENCE_KEYS = ("sample_rate", "clip_samples", "widths", "n_mels")
# The supernet's weights; the pretrainer's loadable ``model`` reads this.
MODEL_CHECKPOINT = "model.ckpt"
MODULE_KEYS = ("compute_features", "model")
LOADING_YAML = """
label_encoder: !new:speechbrain.dataio.encoder.CategoricalEncoder

modules:
    compute_features: !ref <compute_features>
    model: !ref <model>
    mean_var_norm: !new:speechbrain_slimmable.inference.serving.model_folder.EncoderClassifierHint

pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        model: !ref <model>
        label_encoder: !ref <label_encoder>
"""


class EncoderClassifierHint(torch.nn.Module):
    """Stands in for ``EncoderClassifier``'s ``mean_var_norm`` and says why.

    Only SpeechBrain's ``EncoderClassifier`` calls it (after computing the
    features); the slimmable classifier never does.

    Example
    -------
    >>> EncoderClassifierHint()(torch.zeros(1, 101, 40))
    Traceback (most recent call last):
    ...
    TypeError: This model folder holds a slimmable keyword spotter, which SpeechBrain's EncoderClassifier cannot run. Load it with: from speechbrain_slimmable.inference import SlimmableKWSClassifier; SlimmableKWSClassifier.from_hparams(source=...)
    """

    def forward(self, *args, **kwargs):
        """Raise a ``TypeError`` naming the interface to use."""
        raise TypeError(
            "This model folder holds a slimmable keyword spotter, which "
            "SpeechBrain's EncoderClassifier cannot run. Load it with: "
            "from speechbrain_slimmable.inference import "
            "SlimmableKWSClassifier; "
            "SlimmableKWSClassifier.from_hparams(source=...)"
        )


def inference_hyperparams(hparams_file, overrides=None):
    """Return the inference ``hyperparams.yaml`` text for a training YAML.

    Keeps ``sample_rate``, ``clip_samples``, ``widths``, ``n_mels``,
    ``compute_features`` and ``model`` with their references resolved, and
    adds the label encoder, ``modules`` and a ``pretrainer`` without
    paths, so its files are read from the folder (or hub id) given as
    ``source``.

    Arguments
    ---------
    hparams_file : str
        The training YAML.
    overrides : dict, optional
        Overrides used for training (e.g. ``n_classes`` or the final
        ``widths``).

    Returns
    -------
    str
    """
    with open(hparams_file, encoding="utf-8") as stream:
        resolved = resolve_references(stream, overrides or {})
    # Comments and blank lines of the training YAML would land in odd
    # places: drop them.
    text = re.sub(r"(?m)^\s*(#.*)?\n", "", resolved.getvalue())
    yaml = YAML()
    tree = yaml.load(text)
    missing = [key for key in MODULE_KEYS if key not in tree]
    if missing:
        raise ValueError(f"{hparams_file} does not define {missing}")
    keep = {k: tree[k] for k in INFERENCE_KEYS + MODULE_KEYS if k in tree}
    out = io.StringIO()
    out.write("# Inference hyperparameters written by speechbrain-slimmable.\n")
    yaml.dump(keep, out)
    return out.getvalue() + LOADING_YAML


def write_model_folder(
    folder, hparams_file, overrides, model, label_encoder, readme=None
):
    """Write a self-contained model folder for the pretrained interface.

    Arguments
    ---------
    folder : str
        Where to write (created if needed).
    hparams_file : str
        The training YAML.
    overrides : dict
        Overrides used for training; ``widths`` must list every width the
        model serves (trained and recalibrated).
    model : torch.nn.Module
        The trained supernet.
    label_encoder : speechbrain.dataio.encoder.CategoricalEncoder
        The fitted label encoder.
    readme : str, optional
        A model card written as ``README.md``.
    """
    os.makedirs(folder, exist_ok=True)
    text = inference_hyperparams(hparams_file, overrides)
    with open(os.path.join(folder, "hyperparams.yaml"), "w") as f:
        f.write(text)
    torch.save(model.state_dict(), os.path.join(folder, MODEL_CHECKPOINT))
    label_encoder.save(os.path.join(folder, "label_encoder.ckpt"))
    if readme is not None:
        with open(os.path.join(folder, "README.md"), "w") as f:
            f.write(readme)
