"""The detection settings of a model folder, chosen on its valid streams.

On ``--valid_passes`` passes of the valid streams (see
:mod:`benchmarks.stream_data`), the rules of the ``cascade`` table
(:func:`benchmarks.detection_settings.choose_settings`) on the model that ``detect``
will run (e.g. a published model, trained on the training and test speakers
but never the valid ones), so that none of its widths inherits the false
alarm rate of another training run: the decoder's decision, the gate of the
cascade ``--cascade``, and the lowest threshold of each width and of the
cascade whose false alarms per hour stay at most ``--target_fa``. They are
written into the folder's ``hyperparams.yaml`` (``detection_decision``,
``detection_threshold``, ``detection_cascade``), where ``detect`` reads
them.

Usage (about 5 minutes on one thread)::

    python -m benchmarks thresholds pretrained/gsc12-cnn \\
        --data_folder ../shared/data/gsc12_dev \\
        --noise_folder ../shared/data/background_noise \\
        --other_passes 6 --gap 1.5 4

Authors
 * speechbrain-slimmable developers 2026
"""

import torch

from benchmarks.detection_settings import (
    add_settings_options,
    choose_settings,
    write_settings,
)
from benchmarks.options import (
    add_data_options,
    relative,
    table_parser,
    write_table,
)
from benchmarks.stream_data import (
    HOP,
    check_folders,
    check_unseen,
    load_classifier,
    posteriors_per_width,
    split_streams,
)
from speechbrain_slimmable.inference.evaluation.detection_metrics import (
    MARGIN_THRESHOLDS,
)
from speechbrain_slimmable.inference.streaming.cascade import (
    parse_cascade,
)


def thresholds_on_valid(args):
    """Choose what the model in ``args.apply_thresholds`` carries on its
    own valid streams (:func:`benchmarks.detection_settings.
    choose_settings`), write it into its folder; its table."""
    folder = args.apply_thresholds
    check_folders(folder, args.data_folder, args.noise_folder)
    check_unseen(folder, "valid")
    torch.set_num_threads(1)
    classifier, rate, window, labels = load_classifier(folder)
    streams = split_streams(args, "valid", args.valid_passes, rate)
    posteriors, truths, hours = posteriors_per_width(
        classifier, streams, rate, window
    )
    cascade = parse_cascade(args.cascade)
    decoding = {"window": window, "hop": HOP, "thresholds": MARGIN_THRESHOLDS}
    settings = choose_settings(
        posteriors, truths, hours, labels, cascade, args, decoding
    )
    lines = []
    for detector, threshold in settings["thresholds"].items():
        chosen = settings["chosen"][detector]
        name = detector if detector == "cascade" else f"width {detector}"
        lines.append(
            f"| {name} | {threshold:.2f} | "
            f"{100 * (1 - chosen['frr']):.1f} % | "
            f"{chosen['fa_per_hour']:.1f} |"
        )
    write_settings(folder, settings, cascade, classifier.widths)
    command = (
        f"python -m benchmarks thresholds {relative(folder)} --data_folder "
        f"{relative(args.data_folder)} --noise_folder "
        f"{relative(args.noise_folder)} --seed {args.seed} --data_seed "
        f"{args.data_seed} --other_passes {args.other_passes} --gap "
        f"{args.gap[0]:g} {args.gap[1]:g} --valid_passes "
        f"{args.valid_passes} --target_fa {args.target_fa:g} --cascade "
        f"{args.cascade} --tolerance {args.tolerance:g}"
    )
    return "\n".join(
        [
            f"Command: `{command}`",
            "",
            f"What `{relative(folder)}` now carries, chosen on its own "
            f"{hours:.2f} h of valid streams ({chosen['keywords']} keywords): "
            f"the decision `{settings['decision']}`, the cascade "
            f"{args.cascade} with gate {settings['gate']:g}, and the lowest "
            f"threshold of each with at most {args.target_fa:g} false alarms "
            "per hour; what they give there.",
            "",
            "| detector | threshold | found | FA/h |",
            "| --- | --- | --- | --- |",
            *lines,
            "",
        ]
    )


def main(argv=None):
    """Choose, write and print the thresholds of a model folder."""
    parser = table_parser("thresholds", __doc__.splitlines()[0])
    parser.add_argument("apply_thresholds", metavar="FOLDER")
    add_data_options(parser)
    parser.add_argument("--valid_passes", type=int, default=2)
    add_settings_options(parser, 12.0)
    args = parser.parse_args(argv)
    write_table(thresholds_on_valid(args), args.out)
