"""Strict loading of a model folder's checkpoints.

SpeechBrain's parameter transfer only warns on mismatched keys; here a file
that cannot be read, or that does not match its module key for key and
shape for shape, is an error naming the file, so that a wrong supernet
cannot load quietly.

Authors
 * speechbrain-slimmable developers 2026
"""

import torch


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
            f"weights-only state dict): {error_summary(error)}"
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
    >>> from speechbrain.dataio.encoder import CategoricalEncoder
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


def error_summary(error, limit=120):
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
