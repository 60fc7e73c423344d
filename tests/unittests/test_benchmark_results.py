"""Detection tables write their results where ``--results_folder`` says."""

import argparse
import json

import pytest

from benchmarks.detection import write_results
from benchmarks.options import add_results_options, results_flags


def test_results_go_to_the_results_folder_named_in_the_command(tmp_path):
    pytest.importorskip("matplotlib")  # the [plot] extra
    parser = argparse.ArgumentParser()
    add_results_options(parser, "cascade")
    folder = tmp_path / "ablations"
    args = parser.parse_args(
        ["--name", "tried", "--results_folder", str(folder)]
    )
    curve = [{"threshold": 0.5, "fa_per_hour": 2.0, "frr": 0.3}]
    write_results(args, {"rows": []}, {"1.0": curve})
    assert json.loads((folder / "tried_results.json").read_text()) == {
        "rows": []
    }
    assert (folder / "tried_det.png").read_bytes().startswith(b"\x89PNG")
    assert results_flags(args).startswith(" --name tried --results_folder ")
    default = parser.parse_args([])
    assert results_flags(default) == " --name cascade"
