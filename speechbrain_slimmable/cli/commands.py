"""The subcommands: each reads its parsed arguments and prints.

torch and SpeechBrain are imported inside each, once it runs.

Authors
 * speechbrain-slimmable developers 2026
"""

import json
import os
import sys


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
    """Print ``file<TAB>label<TAB>probability`` for each file (a folder:
    each of its ``.wav`` files, sub-folders included)."""
    classifier = load(args)
    for path in audio_files(args.files):
        _, score, _, labels = classifier.classify_file(path, args.width)
        print(f"{path}\t{labels[0]}\t{score.exp().item():.3f}")


def audio_files(paths):
    """``paths`` with each folder replaced by its ``.wav`` files, sorted.

    Example
    -------
    >>> folder = getfixture("tmp_path")
    >>> (folder / "yes").mkdir()
    >>> _ = (folder / "yes" / "a.wav").write_bytes(b"")
    >>> [os.path.relpath(p, folder) for p in audio_files([folder])]
    ['yes/a.wav']
    >>> audio_files(["x.flac"])
    ['x.flac']
    """
    files = []
    for path in map(str, paths):
        if not os.path.isdir(path):
            files.append(path)
            continue
        found = sorted(
            os.path.join(root, name)
            for root, _, names in os.walk(path)
            for name in names
            if name.lower().endswith(".wav")
        )
        if not found:
            raise FileNotFoundError(f"no .wav file in the folder {path}")
        files += found
    return files


def run_eval(args):
    """Print the accuracy (%) per width and per ONNX file."""
    from speechbrain_slimmable.dataio.folders import list_labelled_wavs
    from speechbrain_slimmable.inference.evaluation.clip_accuracy import (
        UNKNOWN_LABEL,
        accuracy,
        count_answers,
        per_class_accuracy,
        read_manifest,
        target_indices,
    )
    from speechbrain_slimmable.nnet.width import resolve_width

    classifier = load(args)
    # Every width checked (by the one resolver) before any audio is read.
    widths = [
        resolve_width(width, classifier.widths)
        for width in args.widths or classifier.widths
    ]
    if args.detection:
        return run_eval_detection(args, classifier, widths)
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
    answers = count_answers(classifier, kept, widths, sessions)
    rows = [
        dict(row, accuracy=accuracy(answers[row["width"]]))
        for row in classifier.profile()
        if row["width"] in widths
    ]
    onnx_rows = [
        {
            "file": path,
            "bytes": os.path.getsize(path),
            "accuracy": accuracy(answers[path]),
        }
        for path in sessions
    ]
    if args.per_class:
        for row in rows + onnx_rows:
            key = row["file"] if "file" in row else row["width"]
            row["per_class"] = per_class_accuracy(answers[key])
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
    for row in rows + onnx_rows if args.per_class else []:
        title = row["file"] if "file" in row else f"width {row['width']}"
        print(f"\nper class, {title}:")
        print(
            table(row["per_class"], ["class", "clips", "accuracy", "taken_for"])
        )


def run_eval_detection(args, classifier, widths):
    """Print keywords found, false alarms and the DET curve of each
    detector (each width, a cascade, or ONNX files) on a recording."""
    from speechbrain_slimmable.inference.evaluation.recording import (
        FA_POINTS,
        read_truth,
        score_recording,
    )

    if args.truth is None:
        raise ValueError(
            "eval --detection needs --truth FILE (a CSV label,start,end or "
            "a JSON list of such objects)"
        )
    words = read_truth(args.truth)
    detectors = detection_detectors(args, widths)
    rows = []
    for name, options in detectors:
        scored = score_recording(
            classifier,
            args.detection,
            words,
            threshold=args.threshold,
            **options,
        )
        rows.append({"detector": name, **scored})
    if args.json:
        result = {
            "source": args.source,
            "detection": args.detection,
            "truth": args.truth,
            "detectors": rows,
        }
        print(json.dumps(result))
        return
    print(f"{rows[0]['keywords']} keywords in {args.detection}")
    for row in rows:
        row["false_alarms_per_hour"] = round(row["false_alarms_per_hour"], 1)
        for fa in FA_POINTS:
            row[f"FRR@{fa:g}FA/h"] = f"{100 * row['frr_at'][fa]:.1f}%"
    columns = ["detector", "threshold", "found", "recall", "false_alarms"]
    columns += ["false_alarms_per_hour"]
    print(table(rows, columns + [f"FRR@{fa:g}FA/h" for fa in FA_POINTS]))
    for row in rows:
        print(f"\nDET of {row['detector']} (each threshold where it moves):")
        points, last = [], None
        for point in row["det"]:
            if (point["frr"], point["false_alarms"]) != last:
                last = (point["frr"], point["false_alarms"])
                points.append(
                    {
                        "threshold": point["threshold"],
                        "FRR": f"{100 * point['frr']:.1f}%",
                        "FA/h": round(point["fa_per_hour"], 1),
                    }
                )
        print(table(points, ["threshold", "FRR", "FA/h"]))


def detection_detectors(args, widths):
    """``(name, build_detector options)`` of each detector ``eval
    --detection`` scores: the cascade (on the ONNX files if given), else
    each ONNX file, else each width.

    Example
    -------
    >>> import argparse
    >>> args = argparse.Namespace(cascade="0.25:1.0", gate=0.2, onnx=[])
    >>> detection_detectors(args, [1.0])
    [('cascade 0.25:1.0', {'cascade': '0.25:1.0', 'gate': 0.2})]
    >>> args = argparse.Namespace(cascade=None, gate=None, onnx=["a.onnx"])
    >>> detection_detectors(args, [1.0, 0.5])
    [('a.onnx', {'onnx': 'a.onnx'})]
    """
    if args.cascade is not None:
        options = {"cascade": args.cascade, "gate": args.gate}
        if args.onnx:
            options["onnx"] = args.onnx
        name = "cascade" if args.cascade is True else f"cascade {args.cascade}"
        return [(name, options)]
    if args.onnx:
        return [(path, {"onnx": path}) for path in args.onnx]
    return [(f"width {width}", {"width": width}) for width in widths]


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
    from speechbrain_slimmable.inference.streaming.events import (
        DEFAULT_THRESHOLD,
    )
    from speechbrain_slimmable.inference.streaming.folder_settings import (
        CASCADE_KEY,
        THRESHOLD_KEY,
    )

    classifier = load(args)
    measured = CASCADE_KEY if args.cascade else THRESHOLD_KEY
    if args.threshold is None and not hasattr(classifier.hparams, measured):
        fallback = (
            "the wide width's threshold"
            if args.cascade
            else str(DEFAULT_THRESHOLD)
        )
        print(
            f"{args.source} has no {measured} (none was measured for "
            f"it): firing at {fallback}; pass --threshold",
            file=sys.stderr,
        )
    onnx = args.onnx
    if onnx and not args.cascade:
        if len(onnx) > 1:
            raise ValueError(
                "detect runs one ONNX file (two only with --cascade: the "
                f"narrow width's, then the wide width's), got {len(onnx)}"
            )
        onnx = onnx[0]
    options = {
        "threshold": args.threshold,
        "onnx": onnx,
        "score_every": args.score_every,
    }
    if args.cascade:
        options.update(cascade=args.cascade, gate=args.gate)
    if args.width is not None:
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


def run_from_recipe(args):
    """Write a model folder from a recipe run and say what it holds."""
    from speechbrain_slimmable.inference.serving.recipe_output import (
        model_folder_from_recipe,
    )

    folder = model_folder_from_recipe(
        args.hparams,
        args.checkpoint,
        args.out,
        features=args.features,
        model=args.model,
        label_encoder=args.label_encoder,
        clip_samples=args.clip_samples,
    )
    args.source, args.savedir = str(folder), None
    classifier = load(args)
    print(
        f"wrote {folder}: widths {classifier.widths}, classes "
        f"{', '.join(classifier.labels)}"
    )


def onnx_sessions(paths):
    """An onnxruntime session per ONNX file, checked to exist."""
    if not paths:
        return {}
    from speechbrain_slimmable.inference.export import onnx_session

    for path in paths:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"ONNX file {path} does not exist")
    return {path: onnx_session(path) for path in paths}


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
    if column in ("accuracy", "recall"):
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
