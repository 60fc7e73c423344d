"""The ``speechbrain-slimmable`` command: inspect, run, evaluate, export.

Subcommands (each takes ``--source``, a model folder or a hub id)::

    speechbrain-slimmable info --source S
    speechbrain-slimmable classify --source S [--width W] FILE...
    speechbrain-slimmable eval --source S (--data DIR | --manifest CSV)
                               [--widths W ...] [--onnx FILE.onnx ...]
                               [--json]
    speechbrain-slimmable export --source S --width W --out FILE.onnx
                                 [--quantize] [--features-only]
    speechbrain-slimmable detect --source S [--width W] [--threshold T]
                                 [--onnx FILE.onnx] [--json] FILE...

A user mistake (missing file, unknown width, bad source or data folder,
corrupt checkpoint) prints one line to stderr and exits with status 1.
torch and SpeechBrain are imported by the subcommands, so ``--help`` and
``--version`` answer at once.

Authors
 * speechbrain-slimmable developers 2026
"""

import argparse
import collections
import csv
import json
import os
import sys

from speechbrain_slimmable import __version__

PROGRAM = "speechbrain-slimmable"
USER_ERRORS = (OSError, ValueError, ImportError)
BATCH_SIZE = 64
UNKNOWN_LABEL = "_unknown_"


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
        help="accuracy per width on labelled clips",
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
    from speechbrain_slimmable.inference import SlimmableKWSClassifier

    return SlimmableKWSClassifier.from_hparams(
        source=args.source, savedir=args.savedir
    )


def run_info(args):
    """Print the model's classes and, per width, parameters and MACs."""
    classifier = load(args)
    labels = classifier.labels
    print(f"source: {args.source}")
    print(
        f"input: {classifier.hparams.sample_rate} Hz, clips of "
        f"{classifier.hparams.clip_samples} samples"
    )
    print(f"classes ({len(labels)}): {', '.join(labels)}")
    print(table(classifier.profile(), ["width", "params", "macs"]))


def run_classify(args):
    """Print ``file<TAB>label<TAB>probability`` for each file."""
    from speechbrain_slimmable.nnet.width import check_width

    classifier = load(args)
    if args.width is not None:
        check_width(args.width, classifier.widths)
    for path in args.files:
        _, score, _, labels = classifier.classify_file(path, args.width)
        print(f"{path}\t{labels[0]}\t{score.exp().item():.3f}")


def run_eval(args):
    """Print the accuracy (%) per width and per ONNX file."""
    from speechbrain_slimmable.dataio.folders import list_labelled_wavs
    from speechbrain_slimmable.nnet.width import check_width

    classifier = load(args)
    widths = args.widths or classifier.widths
    for width in widths:
        check_width(width, classifier.widths)
    sessions = onnx_sessions(args.onnx)
    if args.manifest:
        clips = read_manifest(args.manifest)
    else:
        clips = [((p, None, None), c) for p, c in list_labelled_wavs(args.data)]
    kept, mapped, skipped = target_indices(clips, classifier.labels)
    if not kept:
        raise ValueError(
            f"no class of {args.manifest or args.data} is a class of the "
            f"model ({', '.join(classifier.labels)})"
        )
    if mapped:
        print(
            f"scoring {sum(mapped.values())} files of classes the model "
            f"does not know as {UNKNOWN_LABEL}: {', '.join(sorted(mapped))}",
            file=sys.stderr,
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
            "manifest": args.manifest,
            "files": len(kept),
            "mapped_to_unknown": dict(mapped),
            "skipped": dict(skipped),
            "widths": rows,
            "onnx": onnx_rows,
        }
        print(json.dumps(result))
        return
    print(f"{len(kept)} files of {args.manifest or args.data}")
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
    summary = (
        f"width {report['width']}, {report['params']:,} parameters, "
        f"{report['input']} in"
    )
    if report["quantized"]:
        same = "same" if report["int8_same_top1"] else "another"
        print(
            f"wrote {report['path']} (int8): {summary}; on a test clip the "
            f"int8 file's max |logit - PyTorch| = "
            f"{report['int8_max_abs_diff']:.2g}, {same} top-1 class (the "
            f"float graph before quantisation: {report['max_abs_diff']:.2g})"
        )
    else:
        print(
            f"wrote {report['path']} (float): {summary}; on a test clip "
            f"max |logit - PyTorch| = {report['max_abs_diff']:.2g}"
        )


def run_detect(args):
    """Print each file's keyword events as they are decided, or JSON."""
    classifier = load(args)
    options = {"threshold": args.threshold, "onnx": args.onnx}
    if args.width is not None:
        from speechbrain_slimmable.nnet.width import check_width

        check_width(args.width, classifier.widths)
        options["width"] = args.width
    rows = []
    for path in args.files:
        if path == "-":
            from speechbrain_slimmable.dataio.pcm import read_pcm_chunks

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
    from speechbrain_slimmable.inference.export import onnx_session

    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"ONNX file {path} does not exist")
    return {path: onnx_session(path) for path in paths}


def read_manifest(path):
    """The clips a manifest CSV lists, with their classes.

    Reads the columns ``wav`` (a path; a relative one is relative to the
    manifest's folder) and ``command`` (the class), and ``start`` /
    ``stop`` (sample indices into the file) where present, as in the
    manifests of ``recipes/GSC/prepare_gsc.py``.

    Arguments
    ---------
    path : str
        The CSV file.

    Returns
    -------
    list of ((str, int or None, int or None), str)
        ``((wav, start, stop), class)`` per row.

    Example
    -------
    >>> path = getfixture("tmp_path") / "test.csv"
    >>> _ = path.write_text("ID,wav,start,stop,command\\n"
    ...                     "a,/d/yes/a.wav,0,16000,yes\\n")
    >>> read_manifest(path)
    [(('/d/yes/a.wav', 0, 16000), 'yes')]
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"manifest {path} does not exist")
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        missing = {"wav", "command"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(
                f"manifest {path} has no column {', '.join(sorted(missing))}:"
                " expected a CSV with the columns wav and command (and "
                "optionally start, stop), as recipes/GSC/prepare_gsc.py "
                "writes"
            )
        rows = list(reader)
    if not rows:
        raise ValueError(f"manifest {path} lists no clip")
    folder = os.path.dirname(os.fspath(path))
    return [
        (
            (
                os.path.join(folder, row["wav"]),
                _sample_index(row, "start", path, number),
                _sample_index(row, "stop", path, number),
            ),
            row["command"],
        )
        for number, row in enumerate(rows, start=2)  # line 1: the header
    ]


def target_indices(clips, labels):
    """The model's output index for the class of each clip.

    A class the model lacks is scored as ``_unknown_`` when the model has
    that class (Speech Commands' definition: every other word is unknown),
    and skipped otherwise.

    Arguments
    ---------
    clips : list of (object, str)
        Clips and their class names.
    labels : list of str
        The model's classes, in output order.

    Returns
    -------
    kept : list of (object, int)
        The clips scored, with the index of their target class.
    mapped : collections.Counter
        Clips scored as ``_unknown_``, per class.
    skipped : collections.Counter
        Clips not scored, per class.

    Example
    -------
    >>> clips = [("a.wav", "yes"), ("b.wav", "cat"), ("c.wav", "cat")]
    >>> target_indices(clips, ["_unknown_", "yes"])
    ([('a.wav', 1), ('b.wav', 0), ('c.wav', 0)], Counter({'cat': 2}), Counter())
    >>> target_indices(clips, ["no", "yes"])[2]
    Counter({'cat': 2})
    """
    index = {label: number for number, label in enumerate(labels)}
    unknown = index.get(UNKNOWN_LABEL)
    kept, mapped, skipped = [], collections.Counter(), collections.Counter()
    for clip, name in clips:
        if name in index:
            kept.append((clip, index[name]))
        elif unknown is not None:
            kept.append((clip, unknown))
            mapped[name] += 1
        else:
            skipped[name] += 1
    return kept, mapped, skipped


def read_clip(classifier, clip):
    """The waveform of a clip at the model's rate, fitted to its window.

    Arguments
    ---------
    classifier : SlimmableKWSClassifier
        The model.
    clip : (str, int or None, int or None)
        An audio file and the part to read, ``start`` to ``stop`` in
        samples at the file's own rate (None: from the start, to the end).

    Returns
    -------
    torch.Tensor
        ``(clip_samples,)``.
    """
    import soundfile

    from speechbrain_slimmable.dataio.audio import check_waveform, fit_to_window

    path, start, stop = clip
    wav = classifier.load_audio(path)
    if start is not None or stop is not None:
        scale = classifier.hparams.sample_rate / soundfile.info(path).samplerate
        first = round((start or 0) * scale)
        last = len(wav) if stop is None else round(stop * scale)
        wav = wav[first:last]
        check_waveform(wav, f"{path} from sample {start} to {stop}")
    return fit_to_window(wav, classifier.hparams.clip_samples)


def count_correct(classifier, items, widths, sessions):
    """Correct top-1 answers per width and per ONNX session.

    Arguments
    ---------
    classifier : SlimmableKWSClassifier
        The model.
    items : list of ((str, int or None, int or None), int)
        Clips (see :func:`read_clip`) and their class indices.
    widths : list of float
        Widths to run.
    sessions : dict
        ONNX file to onnxruntime session (waveform or features in).

    Returns
    -------
    dict
        Width or ONNX file to the number of correct answers.
    """
    import torch
    from tqdm import tqdm

    from speechbrain_slimmable.inference.export import run_onnx

    correct = collections.Counter()
    with tqdm(total=len(items), unit="clip", file=sys.stderr) as bar:
        for start in range(0, len(items), BATCH_SIZE):
            batch = items[start : start + BATCH_SIZE]
            wavs = torch.stack([read_clip(classifier, c) for c, _ in batch])
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


def _sample_index(row, column, path, line):
    """A manifest row's sample index in ``column``; None when empty."""
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(
            f"manifest {path}, line {line}: {column} must be a sample index "
            f"(an integer), got {text!r}"
        ) from None


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
