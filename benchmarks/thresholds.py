"""The detection thresholds of a model folder, chosen on its valid streams.

The lowest threshold of each width whose false alarms per hour stay at most
``--target_fa`` on ``--valid_passes`` passes of the valid streams (see
:mod:`benchmarks.stream_data`), the rule of the ``detection`` table, on the
model that ``detect`` will run (e.g. a published model, trained on the
training and test speakers but never the valid ones), so that none of its
widths inherits the false alarm rate of another training run. The
thresholds are written into the folder's ``hyperparams.yaml``
(``detection_threshold``), where ``detect`` reads them.

Usage (about 3 minutes on one thread)::

    python -m benchmarks thresholds pretrained/gsc12-cnn \\
        --data_folder ../shared/data/gsc12_dev \\
        --noise_folder ../shared/data/background_noise \\
        --valid_passes 3 --target_fa 60

Authors
 * speechbrain-slimmable developers 2026
"""

import torch

from benchmarks.options import (
    add_data_options,
    relative,
    table_parser,
    write_table,
)
from benchmarks.stream_data import (
    check_folders,
    check_unseen,
    load_classifier,
    posteriors_per_width,
    split_streams,
    threshold_on_valid,
)
from speechbrain_slimmable.inference.streaming.pretrained_detector import (
    write_detection_threshold,
)


def thresholds_on_valid(args):
    """Choose the thresholds of the model in ``args.apply_thresholds`` on
    its own valid streams, write them into its folder; their table."""
    folder = args.apply_thresholds
    check_folders(folder, args.data_folder, args.noise_folder)
    check_unseen(folder, "valid")
    torch.set_num_threads(1)
    classifier, rate, window, labels = load_classifier(folder)
    streams = split_streams(args, "valid", args.valid_passes, rate)
    posteriors, truths, hours = posteriors_per_width(
        classifier, streams, rate, window
    )
    thresholds, lines = {}, []
    for width in classifier.widths:
        thresholds[width], chosen = threshold_on_valid(
            posteriors[width], truths, hours, labels, window, args.target_fa
        )
        lines.append(
            f"| {width} | {thresholds[width]:.2f} | "
            f"{100 * (1 - chosen['frr']):.1f} % | "
            f"{chosen['fa_per_hour']:.1f} |"
        )
    write_detection_threshold(folder, thresholds)
    command = (
        f"python -m benchmarks thresholds {relative(folder)} --data_folder "
        f"{relative(args.data_folder)} --noise_folder "
        f"{relative(args.noise_folder)} --seed {args.seed} --data_seed "
        f"{args.data_seed} --valid_passes {args.valid_passes} --target_fa "
        f"{args.target_fa:g}"
    )
    return "\n".join(
        [
            f"Command: `{command}`",
            "",
            f"The thresholds written into `{relative(folder)}`, chosen on its "
            f"own {hours:.2f} h of valid streams ({chosen['keywords']} "
            f"keywords; the lowest with at most {args.target_fa:g} false "
            "alarms per hour), and what they give there.",
            "",
            "| width | threshold | found | FA/h |",
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
    parser.add_argument("--valid_passes", type=int, default=3)
    parser.add_argument("--target_fa", type=float, default=60.0)
    args = parser.parse_args(argv)
    write_table(thresholds_on_valid(args), args.out)
