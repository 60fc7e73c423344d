"""Argument parsing shared by the benchmark tables.

Every table prints its markdown and, with ``--out FILE``, writes it there
too; tables of training runs name each run as ``RECIPE=FOLDER``; tables of
streams name the data the recipe split.

Authors
 * speechbrain-slimmable developers 2026
"""

import argparse
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def named_source(text):
    """``RECIPE=FOLDER`` of ``--runs``: a run's model folder, checked.

    Example
    -------
    >>> named_source("a=benchmarks")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: benchmarks holds no hyperparams.yaml (a recipe's pretrained folder has both)
    """
    name, sep, folder = text.partition("=")
    if not sep or not name or not folder:
        raise argparse.ArgumentTypeError(f"expected NAME=FOLDER, got {text!r}")
    for needed in ("hyperparams.yaml", "results.json"):
        if not os.path.isfile(os.path.join(folder, needed)):
            raise argparse.ArgumentTypeError(
                f"{folder} holds no {needed} (a recipe's pretrained folder "
                "has both)"
            )
    return name, folder


def table_parser(name, description):
    """A parser for ``python -m benchmarks NAME`` with ``--out FILE``."""
    parser = argparse.ArgumentParser(
        prog=f"python -m benchmarks {name}", description=description
    )
    parser.add_argument(
        "--out", type=Path, help="also write the table to this file"
    )
    return parser


def add_results_options(parser, name):
    """``--name NAME`` and ``--results_folder DIR`` of a table that writes
    ``DIR/NAME_results.json`` and ``DIR/NAME_det.png`` (by default into
    ``benchmarks/``, where the published results are; a tried change can
    write elsewhere, e.g. ``results/ablations``).

    Example
    -------
    >>> parser = argparse.ArgumentParser()
    >>> add_results_options(parser, "cascade")
    >>> args = parser.parse_args(["--results_folder", "results/ablations"])
    >>> args.name, str(args.results_folder)
    ('cascade', 'results/ablations')
    """
    parser.add_argument(
        "--name",
        default=name,
        help="writes NAME_results.json and NAME_det.png",
    )
    parser.add_argument(
        "--results_folder",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="where NAME_results.json and NAME_det.png go (default: "
        "benchmarks/)",
    )


def results_flags(args):
    """The ``--name`` and ``--results_folder`` of a recorded command."""
    flags = f" --name {args.name}"
    if args.results_folder != Path(__file__).resolve().parent:
        flags += f" --results_folder {relative(args.results_folder)}"
    return flags


def runs_parser(name, description):
    """:func:`table_parser` with ``--runs RECIPE=FOLDER ...``.

    Example
    -------
    >>> folder = getfixture("tmp_path")
    >>> for file in ("hyperparams.yaml", "results.json"):
    ...     _ = (folder / file).write_text("")
    >>> argv = ["--runs", f"a={folder}", f"a={folder}"]
    >>> args = runs_parser("clips", "").parse_args(argv)
    >>> args.runs == [("a", str(folder))] * 2, args.out
    (True, None)
    """
    parser = table_parser(name, description)
    parser.add_argument(
        "--runs",
        nargs="+",
        type=named_source,
        required=True,
        metavar="RECIPE=FOLDER",
        help="a run's model folder under its recipe's name (several runs "
        "of one recipe: the same name)",
    )
    return parser


def add_data_options(parser):
    """``--data_folder``, ``--noise_folder``, ``--data_seed``, ``--seed``,
    ``--other_passes`` and ``--gap`` of the streams built from the
    recipe's speaker split."""
    parser.add_argument("--data_folder", required=True)
    parser.add_argument("--noise_folder", required=True)
    parser.add_argument("--data_seed", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--other_passes",
        type=int,
        default=1,
        help="times each other word (_unknown_) is placed per pass",
    )
    parser.add_argument(
        "--gap",
        type=float,
        nargs=2,
        default=(1.0, 10.0),
        metavar=("LOW", "HIGH"),
        help="seconds of noise alone between two words (uniform range)",
    )


def last_option(command, option):
    """The value of the last ``OPTION=VALUE`` of a run's recorded command
    (``None`` if it passed none).

    Example
    -------
    >>> last_option(["--seed=1", "--data_seed=3", "--seed=2"], "--seed")
    '2'
    >>> last_option(["--seed=1"], "--data_seed") is None
    True
    """
    values = [a.split("=", 1)[1] for a in command if a.startswith(option + "=")]
    return values[-1] if values else None


def seed_of(command):
    """The ``--seed=N`` a run's recorded command passed (``?`` if none),
    with its ``--data_seed=D`` when it passed one: runs of one seed on
    different speaker splits are different runs, paired with each other
    only on the same split.

    Example
    -------
    >>> seed_of(["recipes/GSC/hparams/tcresnet.yaml", "--seed=2"])
    '2'
    >>> seed_of(["tcresnet.yaml", "--seed=2", "--data_seed=1"])
    '2 (data 1)'
    """
    seed = last_option(command, "--seed") or "?"
    data_seed = last_option(command, "--data_seed")
    return seed if data_seed is None else f"{seed} (data {data_seed})"


def relative(path):
    """``path`` relative to the repository (tables hold no local paths)."""
    return os.path.relpath(os.path.abspath(path), REPO)


def write_table(text, out=None):
    """Print a table and, when ``out`` is given, write it there."""
    print(text)
    if out is not None:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text)
