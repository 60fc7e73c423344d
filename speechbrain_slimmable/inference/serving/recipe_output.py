"""A model folder from any SandwichBrain recipe's output.

A recipe run leaves its hyperparameters (``<output>/hyperparams.yaml``,
overrides applied) and checkpoints (``<output>/save/CKPT+...``). A model
folder (see :mod:`~speechbrain_slimmable.inference.serving.model_folder`) needs a
front end ``compute_features`` (waveforms to features) and a ``model``
(features to scores): this module composes them from the recipe's own
modules, loads the checkpoint's weights and writes the folder that
``SlimmableKWSClassifier.from_hparams`` and the ``eval``, ``export`` and
``detect`` commands read.

Authors
 * speechbrain-slimmable developers 2026
"""

import copy
import io
import os
import tempfile
from pathlib import Path

import speechbrain as sb
import torch
from hyperpyyaml import load_hyperpyyaml, resolve_references
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.tag import Tag
from speechbrain.processing.features import InputNormalization

from speechbrain_slimmable.inference.serving.model_folder import (
    write_model_folder,
)
from speechbrain_slimmable.nnet.width import slimmable_modules

CHECKPOINT_META = "CKPT.yaml"


def default_module_keys(hparams):
    """The recipe's front end and model, as a model folder chains them.

    The front end is ``compute_features``, then ``mean_var_norm`` when the
    recipe's ``modules`` hold one (SpeechBrain's recipes normalise
    features so). The model is ``model`` when the recipe defines one (the
    package's recipe), else every entry of ``modules`` holding slimmable
    layers, in the order of ``modules`` (e.g. ``embedding_model``, then
    ``classifier``).

    Arguments
    ---------
    hparams : dict
        The recipe's loaded hyperparameters.

    Returns
    -------
    features : list of str
    model : list of str

    Example
    -------
    >>> from speechbrain_slimmable.nnet.linear import SlimmableLinear
    >>> hparams = {"modules": {
    ...     "compute_features": torch.nn.Identity(),
    ...     "embedding_model": SlimmableLinear(4, input_size=2),
    ...     "classifier": SlimmableLinear(2, input_size=4),
    ...     "mean_var_norm": torch.nn.Identity()}}
    >>> default_module_keys(hparams)
    (['compute_features', 'mean_var_norm'], ['embedding_model', 'classifier'])
    """
    modules = hparams.get("modules", {})
    features = ["compute_features"]
    if "mean_var_norm" in modules:
        features.append("mean_var_norm")
    if "model" in hparams:
        return features, ["model"]
    model = [
        key for key, module in modules.items() if slimmable_modules(module)
    ]
    return features, model


def model_folder_from_recipe(
    hparams_file,
    checkpoint,
    folder,
    features=None,
    model=None,
    label_encoder=None,
    clip_samples=None,
):
    """Write a model folder from a recipe's hyperparameters and checkpoint.

    The folder's front end chains the ``features`` modules and its model
    the ``model`` modules (flattened to ``(batch, n_classes)``; a
    classifier's log-probabilities serve as scores), built from the
    recipe's YAML as it trained them, with the weights of ``checkpoint``.
    The front end is rebuilt from the YAML alone, so it must hold no
    trained state.

    Arguments
    ---------
    hparams_file : str or os.PathLike
        The hyperparameters the recipe saved in its output folder (its
        ``hyperparams.yaml``, with the run's overrides applied); it must
        define ``widths``.
    checkpoint : str or os.PathLike
        One checkpoint folder of the run (``save/CKPT+...``).
    folder : str or os.PathLike
        Where to write the model folder.
    features : list of str, optional
        Keys of the YAML chained into the front end (default: see
        :func:`default_module_keys`).
    model : list of str, optional
        Keys of the YAML chained into the model (default: see
        :func:`default_module_keys`).
    label_encoder : str or os.PathLike, optional
        The run's label encoder (default: ``label_encoder.txt`` beside the
        checkpoint, where SpeechBrain's recipes write it).
    clip_samples : int, optional
        The samples of one clip (default: the YAML's ``clip_samples``, or
        one second at ``sample_rate``).

    Returns
    -------
    pathlib.Path
        The model folder.
    """
    checkpoint = _checkpoint_folder(checkpoint)
    hparams_file = Path(hparams_file)
    with open(hparams_file, encoding="utf-8") as stream:
        try:
            hparams = load_hyperpyyaml(stream)
        except ValueError as error:
            raise ValueError(
                f"{hparams_file} cannot be loaded alone ({error}): pass the "
                "hyperparams.yaml the recipe saved in its output folder"
            ) from None
    if "widths" not in hparams:
        raise ValueError(
            f"{hparams_file} defines no widths: it is not a SandwichBrain "
            "recipe's"
        )
    default_features, default_model = default_module_keys(hparams)
    features = list(features or default_features)
    model = list(model or default_model)
    for key in features + model:
        if not isinstance(hparams.get(key), torch.nn.Module):
            raise ValueError(
                f"{hparams_file} has no module {key!r}; its modules are "
                f"{list(hparams.get('modules', {}))}"
            )
    _check_stateless(hparams, features)
    _load_checkpoint(hparams, checkpoint, model)
    network = _chained([hparams[key] for key in model], flatten=True)
    encoder = sb.dataio.encoder.CategoricalEncoder()
    encoder_path = label_encoder or checkpoint.parent / "label_encoder.txt"
    if not os.path.isfile(encoder_path):
        raise FileNotFoundError(
            f"no label encoder at {encoder_path}: pass the run's "
            "label_encoder.txt"
        )
    encoder.load(encoder_path)
    sample_rate = hparams.get("sample_rate", 16000)
    clip_samples = clip_samples or hparams.get("clip_samples", sample_rate)
    text = _folder_yaml(
        hparams_file, features, model, sample_rate, clip_samples
    )
    with tempfile.TemporaryDirectory() as scratch:
        composed = os.path.join(scratch, "hyperparams.yaml")
        with open(composed, "w", encoding="utf-8") as f:
            f.write(text)
        write_model_folder(
            folder,
            composed,
            {},
            network,
            encoder,
            readme=f"# Slimmable keyword spotter\n\nConverted from the "
            f"recipe run of `{hparams_file}`, checkpoint "
            f"`{checkpoint.name}`, by `speechbrain-slimmable from-recipe`."
            f"\nFront end: {' -> '.join(features)}; model: "
            f"{' -> '.join(model)}; widths: {hparams['widths']}.\n",
        )
    return Path(folder)


def _checkpoint_folder(checkpoint):
    """``checkpoint`` as a path, or a ValueError naming the checkpoints."""
    checkpoint = Path(checkpoint)
    if (checkpoint / CHECKPOINT_META).is_file():
        return checkpoint
    inside = sorted(
        p.parent.name for p in checkpoint.glob(f"*/{CHECKPOINT_META}")
    )
    hint = f"; it holds {inside}" if inside else ""
    raise ValueError(
        f"{checkpoint} is not a checkpoint folder (no {CHECKPOINT_META}): "
        f"pass one CKPT+... folder of the run's save folder{hint}"
    )


def _check_stateless(hparams, features):
    """Refuse a front end whose trained state a model folder would lose."""
    for key in features:
        for module in hparams[key].modules():
            if (
                isinstance(module, InputNormalization)
                and module.norm_type != "sentence"
            ):
                raise ValueError(
                    f"{key} normalises with statistics gathered in training"
                    f" (norm_type: {module.norm_type}), which a model "
                    "folder's front end does not keep: train with "
                    "norm_type: sentence"
                )
            if any(p.requires_grad for p in module.parameters(recurse=False)):
                raise ValueError(
                    f"{key} has trained parameters ({type(module).__name__})"
                    ", which a model folder's front end does not keep: "
                    "name it in the model's keys instead"
                )


def _load_checkpoint(hparams, checkpoint, model):
    """Load the checkpoint into the recipe's recoverables."""
    recipe = hparams.get("checkpointer")
    if recipe is None:
        raise ValueError("the recipe's YAML defines no checkpointer")
    for key in model:
        if not any(r is hparams[key] for r in recipe.recoverables.values()):
            raise ValueError(
                f"{key} is not among the checkpointer's recoverables "
                f"{list(recipe.recoverables)}: its weights are not saved"
            )
    checkpointer = sb.utils.checkpoints.Checkpointer(
        checkpoint.parent, recoverables=recipe.recoverables
    )
    found = [
        c
        for c in checkpointer.list_checkpoints()
        if Path(c.path).resolve() == checkpoint.resolve()
    ]
    if not found:
        raise ValueError(
            f"{checkpoint} is not a checkpoint SpeechBrain lists (its name "
            "must start with CKPT)"
        )
    checkpointer.load_checkpoint(found[0])


def _chained(modules, flatten=False):
    """One module, or a ``Sequential`` of several (then flattened)."""
    if len(modules) == 1:
        return modules[0]
    tail = [torch.nn.Flatten()] if flatten else []
    return torch.nn.Sequential(*modules, *tail)


def _folder_yaml(hparams_file, features, model, sample_rate, clip_samples):
    """The YAML of the folder's front end and model, references resolved."""
    with open(hparams_file, encoding="utf-8") as stream:
        resolved = resolve_references(stream)
    yaml = YAML()
    tree = yaml.load(resolved.getvalue())

    def chained(keys, flatten):
        nodes = [copy.deepcopy(tree[key]) for key in keys]
        if len(nodes) == 1:
            return nodes[0]
        if flatten:
            end = CommentedMap()
            end.yaml_set_ctag(Tag(suffix="!new:torch.nn.Flatten"))
            nodes.append(end)
        sequence = CommentedSeq(nodes)
        sequence.yaml_set_ctag(Tag(suffix="!new:torch.nn.Sequential"))
        return sequence

    composed = {
        "sample_rate": sample_rate,
        "clip_samples": clip_samples,
        "widths": copy.deepcopy(tree["widths"]),
        "compute_features": chained(features, flatten=False),
        "model": chained(model, flatten=True),
    }
    if "n_mels" in tree:
        composed["n_mels"] = tree["n_mels"]
    out = io.StringIO()
    yaml.dump(composed, out)
    return out.getvalue()
