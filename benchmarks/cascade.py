"""Detection you can leave running: each width and a width cascade.

On long streams of the recipe's valid and test speakers with many other
words (:mod:`benchmarks.stream_data`; ``--other_passes`` places each
``_unknown_`` clip that many times a pass, ``--gap`` sets the seconds
between words), per width and for the cascade ``--cascade NARROW:WIDE``
(:mod:`speechbrain_slimmable.inference.streaming.cascade`):

1. the false rejection rate at 1, 5 and 12 false alarms per hour on the
   test streams (the DET curves drawn in ``NAME_det.png``);
2. the threshold chosen on the valid streams (the lowest with at most
   ``--target_fa`` false alarms per hour) and the keywords found and false
   alarms per hour it gives on the test streams;
3. the cascade's gate, chosen on the valid streams: the highest of
   ``--gates`` (the fewest windows scored again) whose valid FRR at 1, 5
   and 12 FA/h are each at most ``--tolerance`` points above the wide
   width's; its share of windows scored again on the test streams;
4. compute per second of audio: the model's MACs (10 windows a second;
   the front end, the same for all, not counted) and measured seconds of
   compute per second of audio (one thread, 0.1-s chunks: PyTorch with
   each window scored as soon as its audio is in, PyTorch with
   ``score_every`` 0.5 s, and onnxruntime with ``score_every`` 0.5 s, the
   model exported features-in behind the shared-frame front end);
5. the decoder's options one at a time at the wide width
   (``decision="margin"``, ``one_per_word``, and the chosen decision on
   posteriors calibrated by a temperature fitted on the valid clips): FRR
   at 1, 5 and 12 FA/h on the valid and test streams.

Usage (about 20 minutes on one thread), on a model trained on the
training speakers only::

    python -m benchmarks cascade --source pretrained/gsc12-cnn-full \\
        --data_folder ../shared/data/gsc12_dev \\
        --noise_folder ../shared/data/background_noise \\
        --other_passes 6 --gap 1.5 4 --cascade 0.25:1.0 --name cascade_cnn

``--write`` puts the thresholds and the cascade (widths, gate, threshold)
into the model folder's ``hyperparams.yaml``, where ``detect`` reads them.
Writes ``benchmarks/NAME_results.json`` and ``benchmarks/NAME_det.png``
(``--results_folder DIR``: into DIR, e.g. ``results/ablations`` for a
tried change).

Authors
 * speechbrain-slimmable developers 2026
"""

import os
import tempfile

import numpy
import torch

from benchmarks.detection import (
    SNR_BANDS,
    check_requirements,
    real_time_factor,
    snr_lines,
    write_results,
)
from benchmarks.detection_settings import (
    DECODER_CHANGES,
    POINTS,
    add_settings_options,
    choose_settings,
    fitted_temperature,
    frr_points,
    tempered,
    write_settings,
)
from benchmarks.options import (
    add_data_options,
    add_results_options,
    relative,
    results_flags,
    table_parser,
    write_table,
)
from benchmarks.stream_data import (
    HOP,
    check_unseen,
    load_classifier,
    posteriors_per_width,
    split_streams,
)
from speechbrain_slimmable.inference.evaluation.detection_metrics import (
    MARGIN_THRESHOLDS,
    det_curve,
    keywords_by_snr,
)
from speechbrain_slimmable.inference.export import onnx_session
from speechbrain_slimmable.inference.streaming.cascade import (
    cascade_rows,
    parse_cascade,
    passes_gate,
)
from speechbrain_slimmable.inference.streaming.events import (
    NEVER_REPORTED,
    keyword_mask,
)

SCORE_EVERY = 0.5  # seconds of audio scored at once, the second timing


def markdown(rows, changes, hours, others, target_fa, decision):
    """The tables: per width and the cascade, then the decoder changes."""
    points = " | ".join(f"FRR @ {fa:g} FA/h" for fa in POINTS)
    lines = [
        f"Test streams: {hours['test']:.2f} h, {rows[0]['keywords']} "
        f"keywords, {others:.0f} other words per half hour; thresholds "
        f"(at most {target_fa:g} FA/h) and the gate chosen on "
        f"{hours['valid']:.2f} h of valid streams, decision "
        f"`{decision}`. Compute per second of "
        "audio: the model's MACs (the front end not counted) and measured "
        "seconds of compute (one thread, fed 0.1-s chunks; features computed "
        "once per frame when scoring every 0.5 s).",
        "",
        f"| detector | {points} | threshold | found | FA/h | "
        "windows at the wide width | MMACs / s | compute s / s | "
        f"compute s / s, every {SCORE_EVERY:g} s | "
        f"compute s / s, onnxruntime, every {SCORE_EVERY:g} s |",
        "| --- | " + "--- | " * (len(POINTS) + 8),
    ]
    for r in rows:
        frr = " | ".join(f"{100 * v:.1f} %" for v in r["frr"])
        lines.append(
            f"| {r['detector']} | {frr} | {r['threshold']:.3g} | "
            f"{100 * r['found']:.1f} % | {r['fa_per_hour']:.1f} | "
            f"{100 * r['rescored']:.1f} % | {r['macs_per_second'] / 1e6:.1f} "
            f"| {r['seconds_per_second']:.4f} | "
            f"{r['seconds_per_second_batched']:.4f} | "
            f"{r['seconds_per_second_onnx_batched']:.4f} |"
        )
    lines += snr_lines([(r["detector"], r["by_snr"]) for r in rows], "detector")
    lines += [
        "",
        "The decoder's options one at a time at the wide width (FRR at "
        f"{', '.join(f'{fa:g}' for fa in POINTS)} FA/h); the decision with "
        "the lower valid FRRs is used above.",
        "",
        "| decoder | valid | test |",
        "| --- | --- | --- |",
    ]
    for name, change in changes.items():
        cells = [
            " / ".join(f"{100 * v:.1f}" for v in change[split])
            for split in ("valid", "test")
        ]
        lines.append(f"| {name} | {cells[0]} % | {cells[1]} % |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    """Score the streams, print the tables, write the results."""
    parser = table_parser("cascade", __doc__.splitlines()[0])
    parser.add_argument("--source", required=True)
    add_data_options(parser)
    parser.add_argument("--test_passes", type=int, default=2)
    parser.add_argument("--valid_passes", type=int, default=2)
    add_settings_options(parser, 12.0)
    parser.add_argument("--rtf_seconds", type=float, default=120.0)
    add_results_options(parser, "cascade")
    parser.add_argument(
        "--write",
        nargs="?",
        const="",
        metavar="FOLDER",
        help="write the thresholds and the cascade into the model folder, "
        "or into FOLDER",
    )
    args = parser.parse_args(argv)
    check_requirements(args)
    check_unseen(args.source)
    torch.set_num_threads(1)
    narrow, wide = parse_cascade(args.cascade)
    classifier, rate, window, labels = load_classifier(args.source)
    decoding = {"window": window, "hop": HOP, "thresholds": MARGIN_THRESHOLDS}
    post, truths, hours = {}, {}, {}
    for split, passes in (
        ("valid", args.valid_passes),
        ("test", args.test_passes),
    ):
        streams = split_streams(args, split, passes, rate)
        post[split], truths[split], hours[split] = posteriors_per_width(
            classifier, streams, rate, window
        )
        print(f"{split}: {hours[split]:.2f} h of streams scored", flush=True)
    keywords = keyword_mask(labels)
    settings = choose_settings(
        post["valid"],
        truths["valid"],
        hours["valid"],
        labels,
        (narrow, wide),
        args,
        decoding,
    )
    gate, thresholds = settings["gate"], settings["thresholds"]
    decoding["decision"] = settings["decision"]
    post["test"]["cascade"] = [
        cascade_rows(n, w, keywords, gate)
        for n, w in zip(post["test"][narrow], post["test"][wide])
    ]
    changes = {
        name: {
            "valid": settings["changes"][name],
            "test": frr_points(
                det_curve(
                    post["test"][wide],
                    truths["test"],
                    hours["test"],
                    labels,
                    **{**decoding, **option},
                )
            ),
        }
        for name, option in DECODER_CHANGES.items()
    }
    temperature = fitted_temperature(classifier, args, wide, labels)
    name = f"{decoding['decision']}, temperature {temperature:g} (valid clips)"
    changes[name] = {
        split: frr_points(
            det_curve(
                tempered(post[split][wide], temperature),
                truths[split],
                hours[split],
                labels,
                **decoding,
            )
        )
        for split in ("valid", "test")
    }
    macs = {row["width"]: row["macs"] for row in classifier.profile()}
    test_rows = numpy.concatenate(post["test"][narrow])
    share = float(passes_gate(test_rows, keywords, gate).mean())
    wav = next(iter(split_streams(args, "test", 1, rate)))[0]
    wav = wav[: round(args.rtf_seconds * rate)]
    rows, curves = [], {}
    tmp = tempfile.TemporaryDirectory()
    onnx_files = {}
    for width in classifier.widths:  # features in: frames shared
        path = os.path.join(tmp.name, f"w{width}.onnx")
        classifier.export_onnx(path, width, include_features=False)
        onnx_files[width] = onnx_session(path, threads=1)
    for detector in [*classifier.widths, "cascade"]:
        curves[detector] = det_curve(
            post["test"][detector],
            truths["test"],
            hours["test"],
            labels,
            **decoding,
        )
        chosen = next(
            r
            for r in curves[detector]
            if r["threshold"] == thresholds[detector]
        )
        if detector == "cascade":
            name = f"cascade {narrow}:{wide}, gate {gate:g}"
            options = {"cascade": (narrow, wide), "gate": gate}
            options["decision"] = decoding["decision"]
            rate_of_wide = share
            detector_macs = 10 * (macs[narrow] + share * macs[wide])
        else:
            name = f"width {detector}"
            options = {"width": detector, "decision": decoding["decision"]}
            rate_of_wide = float(detector == wide)
            detector_macs = 10 * macs[detector]
        seconds, _ = real_time_factor(classifier, wav, **options)
        batched, _ = real_time_factor(
            classifier, wav, score_every=SCORE_EVERY, **options
        )
        if detector == "cascade":
            onnx = [onnx_files[narrow], onnx_files[wide]]
            onnx_options = {**options}
        else:
            onnx = onnx_files[detector]
            onnx_options = {"decision": decoding["decision"]}
        onnx_batched, _ = real_time_factor(
            classifier,
            wav,
            onnx=onnx,
            score_every=SCORE_EVERY,
            **onnx_options,
        )
        rows.append(
            {
                "detector": name,
                "frr": frr_points(curves[detector]),
                "threshold": thresholds[detector],
                "found": 1 - chosen["frr"],
                "fa_per_hour": chosen["fa_per_hour"],
                "keywords": chosen["keywords"],
                "rescored": rate_of_wide,
                "macs_per_second": detector_macs,
                "seconds_per_second": seconds,
                "seconds_per_second_batched": batched,
                "seconds_per_second_onnx_batched": onnx_batched,
                "by_snr": keywords_by_snr(
                    post["test"][detector],
                    truths["test"],
                    labels,
                    thresholds[detector],
                    SNR_BANDS,
                    **{k: v for k, v in decoding.items() if k != "thresholds"},
                ),
            }
        )
        print(rows[-1], flush=True)
    tmp.cleanup()
    others = sum(
        w.label in NEVER_REPORTED for words in truths["test"] for w in words
    ) / (2 * hours["test"])
    table = markdown(
        rows, changes, hours, others, args.target_fa, decoding["decision"]
    )
    command = (
        f"python -m benchmarks cascade --source {relative(args.source)} "
        f"--data_folder {relative(args.data_folder)} --noise_folder "
        f"{relative(args.noise_folder)} --seed {args.seed} --data_seed "
        f"{args.data_seed} --other_passes {args.other_passes} --gap "
        f"{args.gap[0]:g} {args.gap[1]:g} --test_passes {args.test_passes} "
        f"--valid_passes {args.valid_passes} --target_fa {args.target_fa:g} "
        f"--cascade {args.cascade} --tolerance {args.tolerance:g} "
        f"--rtf_seconds {args.rtf_seconds:g}{results_flags(args)}"
        + ("" if args.write is None else f" --write {args.write}".rstrip())
    )
    summary = {
        "command": command,
        "hours": hours,
        "gate": gate,
        "decision": decoding["decision"],
        "thresholds": {str(k): v for k, v in thresholds.items()},
        "rows": rows,
        "decoder_changes": changes,
        "det": {str(k): v for k, v in curves.items()},
    }
    write_results(args, summary, {str(k): v for k, v in curves.items()})
    write_table(table, args.out)
    if args.write is not None:
        write_settings(
            args.write or args.source,
            settings,
            (narrow, wide),
            classifier.widths,
        )
