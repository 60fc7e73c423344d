"""Keyword detection in long streams: DET per width, thresholds, speed.

On streams of the recipe's **test** speakers (:mod:`benchmarks.stream_data`),
per width:

1. the detection error trade-off (false rejection rate against false alarms
   per hour, swept over the threshold), drawn in ``detection_det.png``, and
   the false rejection rate at 1 and at 10 false alarms per hour;
2. the default threshold, chosen on streams of the **valid** speakers and
   valid noise part (the lowest whose false alarms per hour stay at most
   ``--target_fa``), and the detection rate and false alarms it gives on
   the test streams, also per band of the keywords' SNR, beside the share
   of keywords classified right in their own window (the bound of any
   threshold), and its false alarms by what they fired on (a keyword of
   another label, a keyword found already, another word, noise);
3. the real-time factor (seconds of compute per second of audio, one
   thread) of the live loop, fed 0.1 s chunks, in PyTorch, with the model
   in onnxruntime (a features-in export; the front end computes each STFT
   frame once for all the windows that share it, in PyTorch) and with a
   waveform-in export (its front end runs on every window); and of the
   first two scoring the windows of ``--score_every`` seconds at once
   (the same events, decided up to ``score_every - hop`` seconds later).

Usage (about 3 minutes on 2 CPU cores with the passes below), on a model
trained on the training speakers only::

    python -m benchmarks detection --source results/cnn/1/pretrained \\
        --data_folder ../shared/data/gsc12_dev \\
        --noise_folder ../shared/data/background_noise \\
        --test_passes 2 --valid_passes 3 --rtf_seconds 60 --target_fa 60

A model folder whose training took in the test speakers (``results.json``
naming ``--train_splits=[train,test]``, as published models are trained)
is refused: evaluate the train-only model of the same recipe instead (and
choose a published model's thresholds with ``thresholds``).

Writes ``benchmarks/detection_results.json`` and
``benchmarks/detection_det.png`` (``--name NAME``: ``NAME_results.json``
and ``NAME_det.png``; ``--results_folder DIR``: into DIR) only when every
step succeeded, and with
``--write_threshold`` the thresholds into the model folder's
``hyperparams.yaml``.

Authors
 * speechbrain-slimmable developers 2026
"""

import importlib.util
import json
import os
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.options import (
    add_data_options,
    add_results_options,
    relative,
    results_flags,
    table_parser,
    write_table,
)
from benchmarks.stream_data import (
    GOAL_FA,
    HOP,
    check_folders,
    check_unseen,
    load_classifier,
    posteriors_per_width,
    split_streams,
    threshold_on_valid,
)
from speechbrain_slimmable.inference.evaluation.detection_metrics import (
    FALSE_ALARM_KINDS,
    det_curve,
    false_alarms_by_kind,
    frr_at,
    keywords_by_snr,
)
from speechbrain_slimmable.inference.export import onnx_session
from speechbrain_slimmable.inference.streaming.events import NEVER_REPORTED
from speechbrain_slimmable.inference.streaming.folder_settings import (
    write_detection_threshold,
)
from speechbrain_slimmable.inference.streaming.pretrained_detector import (
    build_detector,
)
from speechbrain_slimmable.inference.streaming.sliding_windows import (
    detect_chunks,
)

REQUIRED = ("matplotlib", "onnx", "onnxruntime", "onnxscript")
SNR_BANDS = [0, 5, 10, 15, 20]  # dB, over build_streams' default range


def check_requirements(args):
    """Fail before any work if a package or a folder is missing."""
    missing = [m for m in REQUIRED if importlib.util.find_spec(m) is None]
    if missing:
        raise SystemExit(f"missing packages: {', '.join(missing)}")
    check_folders(args.source, args.data_folder, args.noise_folder)


def real_time_factor(
    classifier,
    wav,
    onnx=None,
    width=None,
    chunk=0.1,
    score_every=None,
    **options,
):
    """Seconds of compute per second of audio of the live loop; ``options``
    go to ``build_detector`` (e.g. ``cascade`` and ``gate``)."""
    detector = build_detector(
        classifier,
        width,
        onnx=onnx,
        hop=HOP,
        score_every=score_every,
        **options,
    )
    size = round(chunk * classifier.hparams.sample_rate)
    chunks = [wav[i : i + size] for i in range(0, wav.numel(), size)]
    start = time.process_time()
    events = list(detect_chunks(detector, chunks))
    seconds = time.process_time() - start
    return seconds / (wav.numel() / classifier.hparams.sample_rate), events


def plot(curves, path):
    """The DET curves: false rejection rate against false alarms per hour."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(6, 4.5))
    for width, curve in curves.items():
        points = sorted((r["fa_per_hour"], 100 * r["frr"]) for r in curve)
        name = f"width {width}" if str(width)[0].isdigit() else str(width)
        axes.plot(*zip(*points), marker=".", label=name)
    axes.set_xscale("symlog", linthresh=1)
    axes.set_xlabel("false alarms per hour")
    axes.set_ylabel("false rejection rate (%)")
    axes.set_title("Keyword detection on long test streams (unseen speakers)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    pyplot.close(figure)


def write_results(args, summary, curves):
    """Write ``summary`` and the DET ``curves`` (see :func:`plot`) as
    ``NAME_results.json`` and ``NAME_det.png`` in ``args.results_folder``
    (see :func:`benchmarks.options.add_results_options`)."""
    folder = Path(args.results_folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:  # all or nothing
        plot(curves, os.path.join(tmp, "det.png"))
        os.replace(
            os.path.join(tmp, "det.png"), folder / f"{args.name}_det.png"
        )
    with open(folder / f"{args.name}_results.json", "w") as stream:
        json.dump(summary, stream, indent=1)
        stream.write("\n")


def snr_lines(rows, first_column):
    """The table of keywords by SNR band: ``rows`` of (name, the
    :func:`keywords_by_snr` list of a detector), as markdown lines."""
    bands = rows[0][1]
    counts = ", ".join(
        f"{band['snr']} dB: {band['keywords']}" for band in bands
    )
    lines = [
        "",
        "By signal-to-noise ratio of the keyword (keywords per band: "
        f"{counts}): detected at the chosen threshold / classified right "
        "in its own window (the window centred on it; no "
        "threshold can detect much more than this).",
        "",
        f"| {first_column} | "
        + " | ".join(f"{band['snr']} dB" for band in bands)
        + " |",
        "| --- | " + "--- | " * len(bands),
    ]
    for name, by_snr in rows:
        cells = " | ".join(
            f"{100 * band['detected']:.1f} / "
            f"{100 * band['own_window_right']:.1f} %"
            for band in by_snr
        )
        lines.append(f"| {name} | {cells} |")
    return lines


def markdown(rows, hours, curves, every):
    """The summary table; ``curves`` (width to DET curve) give the rate of
    keywords found at the goal's 72 false alarms per hour; ``every`` is the
    ``score_every`` of the batched real-time factors."""
    lines = [
        f"Test streams: {hours['test']:.2f} h, {rows[0]['keywords']} "
        f"keywords; thresholds chosen on {hours['valid']:.2f} h of valid "
        "streams. 'found @ 72 FA/h': the best rate at most 72 false alarms "
        "per hour (any threshold); 'detected': at the chosen threshold. "
        "Real-time factors (one thread, 0.1-s chunks): PyTorch; the model "
        "in onnxruntime behind the shared-frame front end (a "
        "`--features-only` file); a waveform-in file, which runs its own "
        "front end on every window; the first two again, scoring the "
        f"windows of {every:g} s at once (`--score-every {every:g}`: the "
        f"same events, each decided up to {every - HOP:.1f} s later).",
        "",
        "| width | FRR @ 1 FA/h | FRR @ 10 FA/h | found @ 72 FA/h | "
        "threshold | detected | FA/h | RTF PyTorch | RTF onnxruntime | "
        "RTF onnxruntime, waveform in | "
        f"RTF PyTorch, every {every:g} s | "
        f"RTF onnxruntime, every {every:g} s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | "
        "--- | --- |",
    ]
    for r in rows:
        found = 1 - frr_at(curves[str(r["width"])], GOAL_FA)
        lines.append(
            f"| {r['width']} | {100 * r['frr_at_1']:.1f} % | "
            f"{100 * r['frr_at_10']:.1f} % | {100 * found:.1f} % | "
            f"{r['threshold']:.3g} | "
            f"{100 * r['detection_rate']:.1f} % | {r['fa_per_hour']:.1f} | "
            f"{r['rtf_pytorch']:.4f} | {r['rtf_onnx']:.4f} | "
            f"{r['rtf_onnx_waveform_in']:.4f} | "
            f"{r['rtf_pytorch_batched']:.4f} | {r['rtf_onnx_batched']:.4f} |"
        )
    lines += snr_lines([(r["width"], r["by_snr"]) for r in rows], "width")
    lines += [
        "",
        "False alarms at the chosen threshold, per hour, by what they fired "
        "on: the speech of a keyword of another label (a confusion, which "
        "also misses that keyword), a keyword found already, a word outside "
        "the keywords, noise alone (no word centred within 0.5 s).",
        "",
        "| width | " + " | ".join(FALSE_ALARM_KINDS) + " |",
        "| --- | " + "--- | " * len(FALSE_ALARM_KINDS),
    ]
    for r in rows:
        cells = " | ".join(
            f"{r['false_alarms'][kind] / hours['test']:.1f}"
            for kind in FALSE_ALARM_KINDS
        )
        lines.append(f"| {r['width']} | {cells} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    """Score the streams, print the table, write the results and plot."""
    parser = table_parser("detection", __doc__.splitlines()[0])
    parser.add_argument("--source", required=True)
    add_data_options(parser)
    parser.add_argument("--test_passes", type=int, default=4)
    parser.add_argument("--valid_passes", type=int, default=2)
    parser.add_argument("--target_fa", type=float, default=10.0)
    parser.add_argument("--rtf_seconds", type=float, default=120.0)
    add_results_options(parser, "detection")
    parser.add_argument(
        "--score_every",
        type=float,
        default=0.5,
        help="seconds of audio scored at once in the batched real-time factors",
    )
    parser.add_argument(
        "--write_threshold",
        nargs="?",
        const="",
        metavar="FOLDER",
        help="write the chosen thresholds into the model folder, or into "
        "FOLDER (e.g. the published model trained by the same recipe on "
        "more speakers, which cannot be evaluated here)",
    )
    args = parser.parse_args(argv)
    check_requirements(args)
    check_unseen(args.source)
    torch.set_num_threads(1)
    classifier, rate, window, labels = load_classifier(args.source)
    decoding = {"window": window, "hop": HOP}
    hours, results = {}, {}
    for split, passes in (
        ("valid", args.valid_passes),
        ("test", args.test_passes),
    ):
        streams = split_streams(args, split, passes, rate)
        results[split] = posteriors_per_width(classifier, streams, rate, window)
        hours[split] = results[split][2]
        print(f"{split}: {hours[split]:.2f} h of streams scored", flush=True)
    rows, curves, thresholds = [], {}, {}
    first_test_stream = next(iter(split_streams(args, "test", 1, rate)))[0]
    rtf_wav = first_test_stream[: round(args.rtf_seconds * rate)]
    with tempfile.TemporaryDirectory() as tmp:
        for width in classifier.widths:
            thresholds[width], _ = threshold_on_valid(
                results["valid"][0][width],
                results["valid"][1],
                hours["valid"],
                labels,
                window,
                args.target_fa,
            )
            curve = det_curve(
                results["test"][0][width],
                results["test"][1],
                hours["test"],
                labels,
                **decoding,
            )
            curves[width] = curve
            chosen = det_curve(
                results["test"][0][width],
                results["test"][1],
                hours["test"],
                labels,
                [thresholds[width]],
                **decoding,
            )[0]
            by_snr = keywords_by_snr(
                results["test"][0][width],
                results["test"][1],
                labels,
                thresholds[width],
                SNR_BANDS,
                **decoding,
            )
            false_alarms = false_alarms_by_kind(
                results["test"][0][width],
                results["test"][1],
                labels,
                thresholds[width],
                **decoding,
            )
            onnx_path = os.path.join(tmp, f"w{width}.onnx")
            classifier.export_onnx(onnx_path, width, include_features=False)
            waveform_path = os.path.join(tmp, f"w{width}-waveform.onnx")
            classifier.export_onnx(waveform_path, width)
            rtf_torch, torch_events = real_time_factor(
                classifier, rtf_wav, width=width
            )
            rtf_onnx, onnx_events = real_time_factor(
                classifier,
                rtf_wav,
                onnx=onnx_session(onnx_path, threads=1),
                width=width,
            )
            rtf_waveform, _ = real_time_factor(
                classifier,
                rtf_wav,
                onnx=onnx_session(waveform_path, threads=1),
                width=width,
            )
            rtf_torch_batched, _ = real_time_factor(
                classifier, rtf_wav, width=width, score_every=args.score_every
            )
            rtf_onnx_batched, batched_events = real_time_factor(
                classifier,
                rtf_wav,
                onnx=onnx_session(onnx_path, threads=1),
                width=width,
                score_every=args.score_every,
            )
            rows.append(
                {
                    "width": width,
                    "frr_at_1": frr_at(curve, 1.0),
                    "frr_at_10": frr_at(curve, 10.0),
                    "threshold": thresholds[width],
                    "detection_rate": 1 - chosen["frr"],
                    "fa_per_hour": chosen["fa_per_hour"],
                    "keywords": chosen["keywords"],
                    "by_snr": by_snr,
                    "false_alarms": false_alarms,
                    "rtf_pytorch": rtf_torch,
                    "rtf_onnx": rtf_onnx,
                    "rtf_onnx_waveform_in": rtf_waveform,
                    "rtf_pytorch_batched": rtf_torch_batched,
                    "rtf_onnx_batched": rtf_onnx_batched,
                    "onnx_same_events": [e.label for e in torch_events]
                    == [e.label for e in onnx_events]
                    == [e.label for e in batched_events],
                }
            )
            print(rows[-1], flush=True)
    table = markdown(
        rows, hours, {str(w): c for w, c in curves.items()}, args.score_every
    )
    summary = {
        "source": relative(args.source),
        "command": "python -m benchmarks detection --source "
        f"{relative(args.source)} --data_folder "
        f"{relative(args.data_folder)} --noise_folder "
        f"{relative(args.noise_folder)} --seed {args.seed} --data_seed "
        f"{args.data_seed} --test_passes {args.test_passes} "
        f"--valid_passes {args.valid_passes} --target_fa {args.target_fa} "
        f"--rtf_seconds {args.rtf_seconds:g} --score_every {args.score_every:g}"
        + results_flags(args)
        + (
            ""
            if args.write_threshold is None
            else f" --write_threshold {args.write_threshold}".rstrip()
        ),
        "hours": hours,
        "hop": HOP,
        "score_every": args.score_every,
        "never_reported": list(NEVER_REPORTED),
        "rows": rows,
        "det": {str(w): c for w, c in curves.items()},
    }
    write_results(args, summary, curves)
    write_table(table, args.out)
    if args.write_threshold is not None:
        folder = args.write_threshold or args.source
        write_detection_threshold(folder, thresholds)
        print(f"wrote thresholds {thresholds} into {folder}")
