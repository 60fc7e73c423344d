"""The ``speechbrain-slimmable`` command: inspect, run, evaluate, export.

Subcommands (each takes ``--source``, a model folder or a hub id)::

    speechbrain-slimmable info --source S
    speechbrain-slimmable classify --source S [--width W] FILE...
    speechbrain-slimmable eval --source S --data DIR [--widths W ...]
                               [--onnx FILE.onnx ...] [--json]
    speechbrain-slimmable export --source S --width W --out FILE.onnx
                                 [--quantize] [--features-only]
    speechbrain-slimmable detect --source S [--width W] [--threshold T]
                                 [--onnx FILE.onnx] [--json] FILE...

A user mistake (missing file, unknown width, bad source or data folder,
corrupt checkpoint) prints one line to stderr and exits with status 1.

Authors
 * speechbrain-slimmable developers 2026
"""

import argparse
import collections
import json
import os
import sys

import torch
from tqdm import tqdm

from speechbrain_slimmable.audio import fit_to_window
from speechbrain_slimmable.dataio import list_labelled_wavs
from speechbrain_slimmable.inference import SlimmableKWSClassifier
from speechbrain_slimmable.width import check_width

PROGRAM = "speechbrain-slimmable"
USER_ERRORS = (OSError, ValueError, ImportError)
BATCH_SIZE = 64


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
    """The argument parser of the four subcommands.

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
        " or Hugging Face hub id owner/name",
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
    classify.add_argument("--width", type=float, help="default: widest")
    classify.add_argument("files", nargs="+", metavar="FILE")
    classify.set_defaults(run=run_classify)

    evaluate = commands.add_parser(
        "eval",
        parents=[common],
        help="accuracy per width on a <class>/<file>.wav folder",
    )
    evaluate.add_argument(
        "--data",
        required=True,
        help="folder of <class>/<file>.wav; files of classes the model "
        "does not know are skipped (and counted)",
    )
    evaluate.add_argument(
        "--widths", type=float, nargs="+", help="default: all widths"
    )
    evaluate.add_argument(
        "--onnx",
        nargs="+",
        default=[],
        metavar="FILE",
        help="also evaluate these exported ONNX files (e.g. int8 ones)",
    )
    evaluate.add_argument(
        "--json", action="store_true", help="print one JSON object"
    )
    evaluate.set_defaults(run=run_eval)

    export = commands.add_parser(
        "export", parents=[common], help="export one width to ONNX"
    )
    export.add_argument("--width", type=float, required=True)
    export.add_argument("--out", required=True, metavar="FILE.onnx")
    export.add_argument(
        "--quantize", action="store_true", help="int8 dynamic quantisation"
    )
    export.add_argument(
        "--features-only",
        action="store_true",
        help="graph takes features, not waveforms",
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
        metavar="FILE.onnx",
        help="run this exported file with onnxruntime instead of PyTorch",
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
    return parser


def load(args):
    """The classifier of ``--source``."""
    return SlimmableKWSClassifier.from_hparams(
        source=args.source, savedir=args.savedir
    )


def run_info(args):
    """Print the model's classes and, per width, parameters and MACs."""
    classifier = load(args)
    labels = class_labels(classifier)
    print(f"source: {args.source}")
    print(
        f"input: {classifier.hparams.sample_rate} Hz, clips of "
        f"{classifier.hparams.clip_samples} samples"
    )
    print(f"classes ({len(labels)}): {', '.join(labels)}")
    print(table(classifier.profile(), ["width", "params", "macs"]))


def run_classify(args):
    """Print ``file<TAB>label<TAB>probability`` for each file."""
    classifier = load(args)
    if args.width is not None:
        check_width(args.width, classifier.widths)
    for path in args.files:
        _, score, _, labels = classifier.classify_file(path, args.width)
        print(f"{path}\t{labels[0]}\t{score.exp().item():.3f}")


def run_eval(args):
    """Print the accuracy (%) per width and per ONNX file."""
    classifier = load(args)
    widths = args.widths or classifier.widths
    for width in widths:
        check_width(width, classifier.widths)
    sessions = onnx_sessions(args.onnx)
    encoder = classifier.hparams.label_encoder
    items = list_labelled_wavs(args.data)
    kept = [(p, encoder.lab2ind[c]) for p, c in items if c in encoder.lab2ind]
    skipped = collections.Counter(
        c for _, c in items if c not in encoder.lab2ind
    )
    if not kept:
        raise ValueError(
            f"no class folder of {args.data} is a class of the model "
            f"({', '.join(class_labels(classifier))})"
        )
    if skipped:
        print(
            f"skipping {sum(skipped.values())} files of classes the model "
            f"does not know: {', '.join(sorted(skipped))}",
            file=sys.stderr,
        )
    correct = count_correct(classifier, kept, widths, sessions)
    rows = [
        dict(row, accuracy=100 * correct[row["width"]] / len(kept))
        for row in classifier.profile()
        if row["width"] in widths
    ]
    onnx_rows = [
        {
            "file": path,
            "bytes": os.path.getsize(path),
            "accuracy": 100 * correct[path] / len(kept),
        }
        for path in sessions
    ]
    if args.json:
        result = {
            "source": args.source,
            "data": args.data,
            "files": len(kept),
            "skipped": dict(skipped),
            "widths": rows,
            "onnx": onnx_rows,
        }
        print(json.dumps(result))
        return
    print(f"{len(kept)} files of {args.data}")
    print(table(rows, ["width", "params", "macs", "accuracy"]))
    if onnx_rows:
        print(table(onnx_rows, ["file", "bytes", "accuracy"]))


def run_export(args):
    """Export one width to ONNX and say what was written."""
    classifier = load(args)
    report = classifier.export_onnx(
        args.out,
        args.width,
        include_features=not args.features_only,
        quantize=args.quantize,
    )
    kind = "int8" if report["quantized"] else "float"
    print(
        f"wrote {report['path']} ({kind}): width {report['width']}, "
        f"{report['params']:,} parameters, {report['input']} in, "
        f"max |ONNX - PyTorch| = {report['max_abs_diff']:.2g}"
    )


def run_detect(args):
    """Print each file's keyword events as they are decided, or JSON."""
    classifier = load(args)
    options = {"threshold": args.threshold, "onnx": args.onnx}
    if args.width is not None:
        from speechbrain_slimmable.width import check_width

        check_width(args.width, classifier.widths)
        options["width"] = args.width
    rows = []
    for path in args.files:
        if path == "-":
            from speechbrain_slimmable.pcm import read_pcm_chunks

            chunks = read_pcm_chunks(
                sys.stdin.buffer, classifier.hparams.sample_rate
            )
            events = classifier.detect_stream(chunks, name="stdin", **options)
        else:
            events = classifier.detect_file(path, **options)
        for event in events:
            row = {"file": path, **event.as_dict()}
            if args.json:
                rows.append(row)
            else:
                print(
                    f"{path}\t{row['label']}\t{row['start']:.2f}\t"
                    f"{row['end']:.2f}\t{row['score']:.3f}",
                    flush=True,
                )
    if args.json:
        print(json.dumps(rows))


def onnx_sessions(paths):
    """An onnxruntime session per ONNX file, checked to exist."""
    if not paths:
        return {}
    from speechbrain_slimmable.export import onnx_session

    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"ONNX file {path} does not exist")
    return {path: onnx_session(path) for path in paths}


def count_correct(classifier, items, widths, sessions):
    """Correct top-1 answers per width and per ONNX session.

    Arguments
    ---------
    classifier : SlimmableKWSClassifier
        The model.
    items : list of (str, int)
        Audio files and their class indices.
    widths : list of float
        Widths to run.
    sessions : dict
        ONNX file to onnxruntime session (waveform or features in).

    Returns
    -------
    dict
        Width or ONNX file to the number of correct answers.
    """
    from speechbrain_slimmable.export import run_onnx

    correct = collections.Counter()
    clip_samples = classifier.hparams.clip_samples
    with tqdm(total=len(items), unit="clip", file=sys.stderr) as bar:
        for start in range(0, len(items), BATCH_SIZE):
            batch = items[start : start + BATCH_SIZE]
            wavs = torch.stack(
                [
                    fit_to_window(classifier.load_audio(path), clip_samples)
                    for path, _ in batch
                ]
            )
            targets = torch.tensor([index for _, index in batch])
            for width in widths:
                _, _, index, _ = classifier.classify_batch(wavs, width=width)
                correct[width] += int((index.cpu() == targets).sum())
            for path, session in sessions.items():
                inputs = wavs
                if len(session.get_inputs()[0].shape) == 3:
                    with torch.no_grad():
                        inputs = classifier.mods.compute_features(
                            wavs.to(classifier.device)
                        )
                index = torch.from_numpy(run_onnx(session, inputs).argmax(-1))
                correct[path] += int((index == targets).sum())
            bar.update(len(batch))
    return correct


def class_labels(classifier):
    """The model's class labels in output order."""
    encoder = classifier.hparams.label_encoder
    return [str(encoder.ind2lab[i]) for i in range(len(encoder))]


def table(rows, columns):
    """Rows of dicts as a plain-text table.

    Example
    -------
    >>> print(table([{"width": 1.0, "params": 1234}], ["width", "params"]))
    width  params
    1.0     1,234
    """
    cells = [columns]
    for row in rows:
        cells.append([_cell(column, row[column]) for column in columns])
    sizes = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = []
    for line in cells:
        parts = [
            text.ljust(size) if i == 0 else text.rjust(size)
            for i, (text, size) in enumerate(zip(line, sizes))
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _cell(column, value):
    """Two decimals for accuracies, thousands separators for integers."""
    if column == "accuracy":
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
