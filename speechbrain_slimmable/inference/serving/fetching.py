"""Fetching a model folder: a local folder in place, or a hub id, checked.

A local folder never reaches for the hub (SpeechBrain's published
``hyperparams.yaml`` files point at a hub id, so a local ``source`` still
would); a hub id is looked up once with a short timeout, then read from the
cache. Checkpoints are loaded strictly (:mod:`.checkpoint`).

Authors
 * speechbrain-slimmable developers 2026
"""

import dataclasses
import os

import huggingface_hub
import torch
from huggingface_hub import constants as hub_constants
from huggingface_hub.utils import validate_repo_id
from hyperpyyaml import load_hyperpyyaml
from speechbrain.dataio.encoder import CategoricalEncoder
from speechbrain.utils.fetching import FetchConfig, FetchSource, fetch

from speechbrain_slimmable.inference.serving.checkpoint import (
    error_summary,
    load_label_encoder,
    load_state_dict_strict,
)

HUB_TIMEOUT_S = 3  # one look at the hub; huggingface_hub retries for ~25 s


def fetch_model_folder(
    source, hparams_file, savedir, overrides, local_strategy, fetch_config
):
    """Fetch a model folder, load its hyperparameters and checkpoints.

    See :meth:`~speechbrain_slimmable.inference.SlimmableKWSClassifier.from_hparams`
    for the arguments.

    Returns
    -------
    dict
        The loaded hyperparameters, their modules filled strictly.
    """
    source = checked_source(source, hparams_file)
    if fetch_config is None:
        fetch_config = FetchConfig(overwrite=os.path.isdir(str(source)))
    if isinstance(source, str) and not os.path.isdir(source):
        fetch_config = hub_fetch_config(source, hparams_file, fetch_config)
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
    return hparams


def checked_source(source, hparams_file):
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
    if isinstance(source, os.PathLike) or not is_hub_id(text):
        raise FileNotFoundError(
            f"model folder {text} does not exist (no {os.path.abspath(text)}),"
            " and it is not a hub id (those read owner/name)"
        )
    return text


def is_hub_id(text):
    """Whether ``text`` reads as a Hugging Face hub id ``owner/name``.

    Example
    -------
    >>> [is_hub_id(t) for t in ("org/kws", "kws", "a/b/c", "./kws", "~/a")]
    [True, False, False, False, False]
    """
    try:
        validate_repo_id(text)
    except ValueError:
        return False
    return text.count("/") == 1


def hub_fetch_config(repo_id, filename, fetch_config):
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
                f"({error_summary(error, limit=None)})"
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
