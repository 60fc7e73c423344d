"""What a recipe's run publishes: its model folder, card and results.

``publish_run`` writes the model folder that
``SlimmableKWSClassifier`` loads, a model card (``README.md``) with the
command that trained it and its accuracy per width, and ``results.json``
(the same rows, the training time and steps, the command, and the
SHA-256 of the YAML and of each teacher's weights, which say which
version of the recipe trained the run).

Authors
 * speechbrain-slimmable developers 2026
"""

import hashlib
import json
import os
import shlex

from ruamel.yaml import YAML

from speechbrain_slimmable.inference.serving.model_folder import (
    MODEL_CHECKPOINT,
    write_model_folder,
)


def publish_run(folder, command, hparams, model, rows, record):
    """Write a run's model folder, model card and ``results.json``.

    Arguments
    ---------
    folder : str
        Where to write (created if needed).
    command : tuple
        The YAML, the overrides as ``speechbrain.parse_arguments`` returns
        them, and the recipe's arguments (``argv``).
    hparams : dict
        The loaded YAML of the run.
    model : torch.nn.Module
        The trained supernet.
    rows : list of dict
        One row per width, from ``profile_widths``, with its
        ``valid_accuracy`` and, when evaluated, its test ``accuracy``.
    record : dict
        What else ``results.json`` keeps (``training``, the digests).

    Returns
    -------
    str
        The width table of the model card (markdown).
    """
    hparams_file, overrides, argv = command
    table = width_table(rows)
    write_model_folder(
        folder,
        hparams_file,
        dict(overrides_dict(overrides), widths=[row["width"] for row in rows]),
        model,
        hparams["label_encoder"],
        readme=model_card(hparams_file, argv, table, hparams),
    )
    results = dict(widths=rows, command=argv, **record)
    with open(os.path.join(folder, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    return table


def width_table(rows):
    """Markdown table of width, parameters, MACs and accuracies.

    Example
    -------
    >>> print(width_table([{"width": 1.0, "params": 1000, "macs": 2000,
    ...                     "valid_accuracy": 90.0}]))
    | width | parameters | MACs | valid accuracy (%) | test accuracy (%) |
    | --- | --- | --- | --- | --- |
    | 1 | 1,000 | 2,000 | 90.00 | (trained on) |
    """
    lines = [
        "| width | parameters | MACs | valid accuracy (%) |"
        " test accuracy (%) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        test = row.get("accuracy")
        test = "(trained on)" if test is None else f"{test:.2f}"
        lines.append(
            f"| {row['width']:g} | {row['params']:,} | {row['macs']:,} | "
            f"{row['valid_accuracy']:.2f} | {test} |"
        )
    return "\n".join(lines)


def model_card(hparams_file, argv, table, hparams):
    """A short README for the model folder."""
    command = shlex.join(["python", "recipes/GSC/train.py", *argv])
    splits = " + ".join(hparams.get("train_splits") or ["train"])
    averaged = hparams.get("avg_checkpoints", 1)
    criterion = hparams["ckpt_criterion"]
    which, how = "best", f"by the lowest `{criterion}`"
    if criterion == "last":
        which, how = "last", "not chosen"
    model = f"the {which} checkpoint"
    if averaged > 1:
        model = f"the mean of the {averaged} {which} checkpoints"
    kept = f"the model is {model}, {how} on the validation speakers"
    images = hparams.get("spectrogram_folder")
    also = f"the images of `{images}` and " if images else ""
    return f"""# Slimmable keyword-spotting supernet

Trained with speechbrain-slimmable from `{hparams_file}`, on {also}the
`{splits}` part of `{hparams["data_folder"]}` split by speaker (data seed
{hparams["data_seed"]}); {kept}:

```bash
{command}
```

Accuracy per width of this model:

{table}

```python
from speechbrain_slimmable.inference import SlimmableKWSClassifier
kws = SlimmableKWSClassifier.from_hparams(source="<this folder>")
out_prob, score, index, label = kws.classify_file("yes.wav", width=0.5)
```

Speech Commands (if trained on it) is by Pete Warden (Google), licensed
CC BY 4.0: Warden, P. "Speech Commands: A Dataset for Limited-Vocabulary
Speech Recognition", arXiv:1804.03209, 2018.{IMAGES_CREDIT if images else ""}
"""


# Where the spectrogram images of Speech Commands come from, for the card of
# a model trained on them.
IMAGES_CREDIT = """ The spectrogram images were
computed from it for Silicon Labs' MLTK keyword-spotting tutorial and
published in the GitHub repository thegtagamer/PICO-tinyML-benchmark
(folder MLTK_keyworkSpotting/dataset, commit 0ad315ab)."""


def file_sha256(path):
    """The SHA-256 of a file's bytes. ``results.json`` keeps that of the
    hyperparameter file (which version of the recipe trained the run) and
    of each teacher's weights, so that the benchmark never reuses a run
    that an older YAML trained or a since retrained teacher taught.

    Example
    -------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
    ...     _ = f.write("lr: 0.002\\n")
    ...     f.flush()
    ...     file_sha256(f.name)[:12]
    '7f507ae3168e'
    """
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def teacher_sha256(teacher_source):
    """The SHA-256 of each teacher's weights (``model.ckpt``), in the
    order of ``teacher_source``: ``None`` without a teacher, and for a
    teacher that is not a local folder (a hub id).

    Example
    -------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "model.ckpt"), "wb") as f:
    ...     _ = f.write(b"weights")
    >>> digests = teacher_sha256([folder, "speechbrain/some-hub-model"])
    >>> digests[0] == file_sha256(os.path.join(folder, "model.ckpt"))
    True
    >>> digests[1] is None, teacher_sha256(None) is None
    (True, True)
    """
    if teacher_source is None:
        return None
    if isinstance(teacher_source, (str, os.PathLike)):
        teacher_source = [teacher_source]
    return [
        file_sha256(os.path.join(source, MODEL_CHECKPOINT))
        if os.path.isdir(source)
        else None
        for source in teacher_source
    ]


def overrides_dict(overrides):
    """Parse the override string of ``sb.parse_arguments`` into a dict.

    Round-trip YAML keeps the tags of an override such as
    ``--compute_features=!ref <fbank>`` for the model folder to resolve.

    Example
    -------
    >>> overrides = overrides_dict("seed: 2\\ncompute_features: !ref <fbank>")
    >>> overrides["seed"], overrides["compute_features"].value
    (2, '<fbank>')
    """
    return dict(YAML().load(overrides) or {})
