"""What a model folder carries for detection, chosen on validation streams.

The rules of the ``cascade`` and ``thresholds`` tables (see
:mod:`speechbrain_slimmable.inference.streaming.folder_settings` for where
they are written): the decoder's decision, the width cascade's gate and the
thresholds, each chosen on the valid streams only.

Authors
 * speechbrain-slimmable developers 2026
"""

import numpy
import torch

from speechbrain_slimmable.dataio.folders import (
    list_labelled_wavs,
    split_by_speaker,
)
from speechbrain_slimmable.inference.evaluation.detection_metrics import (
    choose_threshold,
    det_curve,
    frr_at,
)
from speechbrain_slimmable.inference.streaming.cascade import cascade_rows
from speechbrain_slimmable.inference.streaming.events import keyword_mask
from speechbrain_slimmable.inference.streaming.folder_settings import (
    write_detection_cascade,
    write_detection_decision,
    write_detection_threshold,
)

POINTS = (1.0, 5.0, 12.0)  # false alarms per hour the FRR is read at
GATES = (0.05, 0.1, 0.15, 0.2, 0.3)
DECODER_CHANGES = {
    "posterior": {"decision": "posterior"},
    "margin": {"decision": "margin"},
    "posterior, one event per word": {
        "decision": "posterior",
        "one_per_word": True,
    },
}
DECISIONS = ("posterior", "margin")  # the decoder is chosen among these


def frr_points(curve):
    """The false rejection rates at :data:`POINTS` false alarms per hour."""
    return [frr_at(curve, fa) for fa in POINTS]


def choose_gate(
    narrow, wide, truths, hours, labels, gates, tolerance, **decoding
):
    """The highest gate whose cascade misses at most ``tolerance`` (a
    fraction of the keywords) more than the wide width alone at each of
    :data:`POINTS` (else the lowest gate)."""
    keywords = keyword_mask(labels)
    goal = frr_points(det_curve(wide, truths, hours, labels, **decoding))
    for gate in sorted(gates, reverse=True):
        rows = [
            cascade_rows(n, w, keywords, gate) for n, w in zip(narrow, wide)
        ]
        curve = det_curve(rows, truths, hours, labels, **decoding)
        if all(c <= g + tolerance for c, g in zip(frr_points(curve), goal)):
            return gate
    return min(gates)


def choose_settings(valid, truths, hours, labels, cascade, args, decoding):
    """What a model folder carries, chosen on its valid streams.

    Arguments
    ---------
    valid : dict
        Width to the posteriors of each valid stream.
    truths, hours, labels :
        Their words, length, and the class labels.
    cascade : tuple of float
        The narrow and the wide width.
    args : argparse.Namespace
        ``gates``, ``tolerance`` (points) and ``target_fa``.
    decoding : dict
        ``window``, ``hop`` and ``thresholds`` of the DET curves.

    Returns
    -------
    dict
        ``decision`` (of :data:`DECISIONS`, the lower valid FRRs at the
        wide width), ``changes`` (valid FRR at :data:`POINTS` of each of
        :data:`DECODER_CHANGES`), ``gate`` (:func:`choose_gate`) and
        ``thresholds`` (per width and ``"cascade"``: the lowest with at
        most ``target_fa`` false alarms per hour) with ``chosen``, the row
        of each one's valid DET curve at that threshold.
    """
    narrow, wide = cascade
    changes = {
        name: frr_points(
            det_curve(
                valid[wide], truths, hours, labels, **{**decoding, **option}
            )
        )
        for name, option in DECODER_CHANGES.items()
    }
    decision = DECODER_CHANGES[min(DECISIONS, key=lambda n: sum(changes[n]))]
    decoding = {**decoding, "decision": decision["decision"]}
    gate = choose_gate(
        valid[narrow],
        valid[wide],
        truths,
        hours,
        labels,
        args.gates,
        args.tolerance / 100,
        **decoding,
    )
    keywords = keyword_mask(labels)
    detectors = {
        **valid,
        "cascade": [
            cascade_rows(n, w, keywords, gate)
            for n, w in zip(valid[narrow], valid[wide])
        ],
    }
    thresholds, chosen = {}, {}
    for detector, rows in detectors.items():
        curve = det_curve(rows, truths, hours, labels, **decoding)
        thresholds[detector] = choose_threshold(curve, args.target_fa)
        chosen[detector] = next(
            row for row in curve if row["threshold"] == thresholds[detector]
        )
    return {
        "decision": decision["decision"],
        "changes": changes,
        "gate": gate,
        "thresholds": thresholds,
        "chosen": chosen,
    }


def fitted_temperature(classifier, args, width, labels):
    """The softmax temperature (of a grid from 0.3 to 2) that minimises the
    cross-entropy of the valid clips at ``width``: calibrated posteriors."""
    items = list_labelled_wavs(args.data_folder)
    valid = split_by_speaker(items, seed=args.data_seed)["valid"]
    model = classifier.subnet(width, include_features=True)
    clip = classifier.hparams.clip_samples
    logits = []
    with torch.no_grad():
        for start in range(0, len(valid), 64):
            wavs = [
                classifier.load_audio(p)[:clip] for p, _ in valid[start:][:64]
            ]
            logits.append(model(torch.stack(wavs)))
    logits = torch.cat(logits)
    targets = torch.tensor([labels.index(label) for _, label in valid])
    grid = numpy.round(numpy.arange(0.3, 2.0001, 0.05), 2)
    loss = [
        torch.nn.functional.cross_entropy(logits / t, targets).item()
        for t in grid
    ]
    return float(grid[int(numpy.argmin(loss))])


def tempered(posteriors, temperature):
    """Posteriors of each stream as softmax(logits / temperature); the rows
    of digital silence (all zeros) stay zeros.

    Example
    -------
    >>> rows = numpy.array([[0.2, 0.8], [0.0, 0.0]])
    >>> tempered([rows], 0.5)[0].round(3).tolist()
    [[0.059, 0.941], [0.0, 0.0]]
    """
    out = []
    for rows in posteriors:
        logs = numpy.log(numpy.clip(rows, 1e-30, None)) / temperature
        exp = numpy.exp(logs - logs.max(axis=1, keepdims=True))
        exp /= exp.sum(axis=1, keepdims=True)
        exp[rows.sum(axis=1) == 0] = 0
        out.append(exp)
    return out


def write_settings(folder, settings, cascade, widths):
    """Write the thresholds, the cascade and the decision into a folder."""
    thresholds = settings["thresholds"]
    write_detection_threshold(folder, {w: thresholds[w] for w in widths})
    write_detection_cascade(
        folder, *cascade, settings["gate"], thresholds["cascade"]
    )
    write_detection_decision(folder, settings["decision"])
    print(f"wrote {settings} into {folder}")


def add_settings_options(parser, target_fa):
    """``--cascade``, ``--gates``, ``--tolerance`` and ``--target_fa``."""
    parser.add_argument("--cascade", default="0.25:1.0")
    parser.add_argument("--gates", type=float, nargs="+", default=GATES)
    parser.add_argument(
        "--tolerance",
        type=float,
        default=1.0,
        help="points of FRR the cascade may lose to the wide width on the "
        "valid streams",
    )
    parser.add_argument("--target_fa", type=float, default=target_fa)
