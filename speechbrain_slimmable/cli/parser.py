"""The ``speechbrain-slimmable`` command: inspect, run, evaluate, export.

Subcommands (each takes ``--source``, a model folder or a hub id)::

    speechbrain-slimmable info --source S
    speechbrain-slimmable classify --source S [--width W] FILE...
    speechbrain-slimmable eval --source S (--data DIR | --manifest CSV)
                               [--widths W ...] [--onnx FILE.onnx ...]
                               [--per-class] [--json]
    speechbrain-slimmable eval --source S --detection AUDIO --truth FILE
                               [--widths W ... | --onnx FILE.onnx ...]
                               [--cascade NARROW:WIDE|folder] [--gate G]
                               [--threshold T] [--json]
    speechbrain-slimmable export --source S --width W --out FILE.onnx
                                 [--quantize] [--features-only]
    speechbrain-slimmable detect --source S [--width W] [--threshold T]
                                 [--onnx FILE.onnx [--onnx FILE.onnx]]
                                 [--score-every SECONDS]
                                 [--cascade NARROW:WIDE|folder] [--gate G]
                                 [--json] FILE...
    speechbrain-slimmable from-recipe --hparams YAML --checkpoint CKPT
                                      --out FOLDER [--features KEY ...]
                                      [--model KEY ...]

A user mistake (missing file, unknown width, bad source or data folder,
corrupt checkpoint) prints one line to stderr and exits with status 1.
torch and SpeechBrain are imported by the subcommands, so ``--help`` and
``--version`` answer at once.

Authors
 * speechbrain-slimmable developers 2026
"""

import argparse
import sys

from speechbrain_slimmable import __version__
from speechbrain_slimmable.cli.commands import (
    run_classify,
    run_detect,
    run_eval,
    run_export,
    run_from_recipe,
    run_info,
)

PROGRAM = "speechbrain-slimmable"
USER_ERRORS = (OSError, ValueError, ImportError)


def main(argv=None):
    """Run the command line; returns the exit status.

    Arguments
    ---------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0, or 1 after a user mistake (one line on stderr).

    Example
    -------
    >>> main(["info", "--source", "/no/such/model"])
    1
    """
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except USER_ERRORS as error:
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"{PROGRAM} {args.command}: error: {message}", file=sys.stderr)
        return 1
    return 0


def build_parser():
    """The argument parser of the subcommands.

    Example
    -------
    >>> args = build_parser().parse_args(
    ...     ["classify", "--source", "model", "--width", "0.5", "a.wav"])
    >>> args.width, args.files
    (0.5, ['a.wav'])
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--source",
        required=True,
        help="model folder (hyperparams.yaml, model.ckpt, label_encoder.ckpt)"
        " or Hugging Face hub id owner/name (from the hub, or its cache "
        "when the hub cannot be reached)",
    )
    common.add_argument(
        "--savedir",
        default=None,
        help="where to link the model files (default: none; a folder is "
        "read in place, a hub id from the Hugging Face cache)",
    )
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Slimmable keyword spotting: one supernet, many widths.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    info = commands.add_parser(
        "info", parents=[common], help="widths, parameters and MACs"
    )
    info.set_defaults(run=run_info)

    classify = commands.add_parser(
        "classify",
        parents=[common],
        help="label and posterior probability of each audio file",
    )
    classify.add_argument(
        "--width",
        type=float,
        help="width to run, one of the model's (see info); default: widest",
    )
    classify.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="audio files (WAV, FLAC, OGG; any rate, resampled to the "
        "model's; a clip longer than the model's window is cut to its "
        "loudest part)",
    )
    classify.set_defaults(run=run_classify)

    evaluate = commands.add_parser(
        "eval",
        parents=[common],
        help="accuracy per width on labelled clips, or detection on a "
        "labelled recording",
        description="Accuracy per width on labelled clips. A clip of a "
        "class the model does not know counts as _unknown_ when the model "
        "has that class (as in Speech Commands), and is skipped otherwise; "
        "both are counted.",
    )
    clips = evaluate.add_mutually_exclusive_group(required=True)
    clips.add_argument(
        "--data", help="folder of <class>/<file>.wav, every file scored"
    )
    clips.add_argument(
        "--manifest",
        metavar="CSV",
        help="score the clips a manifest lists (columns wav, command and "
        "optionally start, stop in samples), e.g. the recipe's test split "
        "results/<model>/<seed>/data/test.csv",
    )
    clips.add_argument(
        "--detection",
        metavar="AUDIO",
        help="instead of clips, detect keywords in this recording and score "
        "them against --truth: keywords found and false alarms per hour",
    )
    evaluate.add_argument(
        "--truth",
        metavar="CSV",
        help="with --detection: the recording's words, a CSV with the columns "
        "label, start, end (seconds), or a .json list of such objects",
    )
    evaluate.add_argument(
        "--threshold",
        type=float,
        help="with --detection: posterior to fire at (default: the model "
        "folder's)",
    )
    add_cascade_options(evaluate, "with --detection: ")
    evaluate.add_argument(
        "--widths",
        type=float,
        nargs="+",
        help="widths to score, each one of the model's; default: all",
    )
    evaluate.add_argument(
        "--onnx",
        nargs="+",
        default=[],
        metavar="FILE",
        help="also evaluate these exported ONNX files (e.g. int8 ones)",
    )
    evaluate.add_argument(
        "--per-class",
        action="store_true",
        help="also the accuracy per class at each width (and ONNX file), "
        "with the wrong answer each class is given most often",
    )
    evaluate.add_argument(
        "--json", action="store_true", help="print one JSON object"
    )
    evaluate.set_defaults(run=run_eval)

    export = commands.add_parser(
        "export", parents=[common], help="export one width to ONNX"
    )
    export.add_argument(
        "--width",
        type=float,
        required=True,
        help="width to export, one of the model's (see info)",
    )
    export.add_argument(
        "--out",
        required=True,
        metavar="FILE.onnx",
        help="ONNX file to write (its folder must exist)",
    )
    export.add_argument(
        "--quantize",
        action="store_true",
        help="write int8 weights (dynamic quantisation; the feature front "
        "end stays float)",
    )
    export.add_argument(
        "--features-only",
        action="store_true",
        help="graph takes log-mel features (batch, frames, n_mels), not "
        "waveforms",
    )
    export.set_defaults(run=run_export)

    detect = commands.add_parser(
        "detect",
        parents=[common],
        help="keyword events (label, start, end, score) in long audio",
    )
    detect.add_argument("--width", type=float, help="default: widest")
    detect.add_argument(
        "--threshold",
        type=float,
        help="posterior to fire at (default: the model folder's)",
    )
    detect.add_argument(
        "--onnx",
        action="append",
        metavar="FILE.onnx",
        help="run this exported file with onnxruntime instead of PyTorch "
        "(with --cascade, twice: the narrow width's file, then the wide "
        "width's)",
    )
    add_cascade_options(detect)
    detect.add_argument(
        "--score-every",
        type=float,
        metavar="SECONDS",
        help="score the windows of this much audio at once (default: each "
        "0.1-s hop); less compute per second, events up to that much later",
    )
    detect.add_argument(
        "--json", action="store_true", help="print one JSON list of events"
    )
    detect.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="audio files; - reads raw 16-bit little-endian mono PCM at the "
        "model's rate from stdin (e.g. arecord -t raw -f S16_LE -r 16000)",
    )
    detect.set_defaults(run=run_detect)

    from_recipe = commands.add_parser(
        "from-recipe",
        help="a model folder from a SandwichBrain recipe's output",
        description="Write the model folder that every other subcommand "
        "reads (--source) from a recipe run: its saved hyperparameters "
        "and one of its checkpoints.",
    )
    from_recipe.add_argument(
        "--hparams",
        required=True,
        metavar="YAML",
        help="the run's <output_folder>/hyperparams.yaml (overrides applied)",
    )
    from_recipe.add_argument(
        "--checkpoint",
        required=True,
        metavar="CKPT",
        help="one checkpoint folder of the run, <output_folder>/save/CKPT+...",
    )
    from_recipe.add_argument(
        "--out", required=True, metavar="FOLDER", help="model folder to write"
    )
    from_recipe.add_argument(
        "--features",
        nargs="+",
        metavar="KEY",
        help="YAML keys chained into the front end (default: "
        "compute_features, then mean_var_norm if in modules)",
    )
    from_recipe.add_argument(
        "--model",
        nargs="+",
        metavar="KEY",
        help="YAML keys chained into the model (default: model, else the "
        "entries of modules holding slimmable layers, in order)",
    )
    from_recipe.add_argument(
        "--label-encoder",
        metavar="FILE",
        help="the run's label encoder (default: label_encoder.txt beside "
        "the checkpoint)",
    )
    from_recipe.add_argument(
        "--clip-samples",
        type=int,
        help="samples of one clip (default: the YAML's clip_samples, or one "
        "second at its sample_rate)",
    )
    from_recipe.set_defaults(run=run_from_recipe)
    return parser


def cascade_choice(text):
    """``--cascade``'s value: ``"folder"`` (True: the folder's cascade) or
    ``NARROW:WIDE``.

    Example
    -------
    >>> cascade_choice("folder"), cascade_choice("0.25:1.0")
    (True, '0.25:1.0')
    >>> cascade_choice("wide")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected 'folder' or NARROW:WIDE (e.g. 0.25:1.0), got 'wide'
    """
    if text == "folder":
        return True
    if ":" not in text:
        raise argparse.ArgumentTypeError(
            f"expected 'folder' or NARROW:WIDE (e.g. 0.25:1.0), got {text!r}"
        )
    return text


def add_cascade_options(command, prefix=""):
    """``--cascade NARROW:WIDE|folder`` and ``--gate G`` of a subcommand."""
    command.add_argument(
        "--cascade",
        type=cascade_choice,
        metavar="NARROW:WIDE",
        help=prefix + "a width cascade: the narrow width scores every window, "
        "the wide one re-scores the windows where a keyword reaches the "
        "gate, and decides (e.g. 0.25:1.0; 'folder': the cascade the model "
        "folder measured)",
    )
    command.add_argument(
        "--gate",
        type=float,
        help="with --cascade: narrow posterior of a keyword at which a "
        "window is re-scored (default: the model folder's)",
    )
