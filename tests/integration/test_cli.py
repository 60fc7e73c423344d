"""The ``speechbrain-slimmable`` command: its four subcommands in a
subprocess, and user mistakes (one line on stderr, exit status 1)."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from speechbrain_slimmable.cli import main
from speechbrain_slimmable.dataio import list_labelled_wavs


def run_cli(*args):
    """Run the command in a fresh interpreter; returns the finished process.

    One intra-op thread: far faster on a small, busy machine.
    """
    command = [sys.executable, "-m", "speechbrain_slimmable.cli", *args]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )


def results(model_folder):
    """Per-width rows of the model folder's results.json."""
    return json.loads((model_folder / "results.json").read_text())["widths"]


@pytest.fixture(scope="module")
def data(synthetic_data, tmp_path_factory):
    """Two clips of each synthetic class, and a class the model lacks."""
    folder = tmp_path_factory.mktemp("data")
    for path, class_name in list_labelled_wavs(synthetic_data)[::12]:
        (folder / class_name).mkdir(exist_ok=True)
        shutil.copy(path, folder / class_name)
    (folder / "_unknown_").mkdir()
    shutil.copy(path, folder / "_unknown_" / "other.wav")
    return folder


def test_info(model_folder):
    done = run_cli("info", "--source", str(model_folder))
    assert done.returncode == 0, done.stderr
    assert "classes (6): down, left, no, right, up, yes" in done.stdout
    lines = done.stdout.splitlines()
    for row in results(model_folder):
        assert any(
            line.split()
            == [str(row["width"]), f"{row['params']:,}", f"{row['macs']:,}"]
            for line in lines
        )


def test_classify_and_a_user_mistake(model_folder, data, tmp_path):
    files = [str(p) for p in sorted(data.glob("yes/*.wav"))]
    missing = tmp_path / "missing.wav"
    done = run_cli(
        "classify",
        "--source",
        str(model_folder),
        "--width",
        "0.5",
        *files,
        str(missing),
    )
    lines = done.stdout.splitlines()
    assert len(lines) == len(files) == 2
    for line, path in zip(lines, files):
        name, label, probability = line.split("\t")
        assert name == path
        assert label in {"down", "left", "no", "right", "up", "yes"}
        assert 0 < float(probability) <= 1
    # The missing file: one line on stderr, no traceback, status 1.
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"speechbrain-slimmable classify: error: audio file {missing} does not exist"
    ]


def test_eval_json(model_folder, data):
    done = run_cli(
        "eval", "--source", str(model_folder), "--data", str(data), "--json"
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["files"] == 12
    assert result["skipped"] == {"_unknown_": 1}
    assert "skipping 1 files" in done.stderr
    assert result["onnx"] == []
    expected = results(model_folder)
    assert [r["width"] for r in result["widths"]] == [
        r["width"] for r in expected
    ]
    for row, reference in zip(result["widths"], expected):
        assert (row["params"], row["macs"]) == (
            reference["params"],
            reference["macs"],
        )
        assert 0 <= row["accuracy"] <= 100
        assert row["accuracy"] * 12 / 100 == pytest.approx(
            round(row["accuracy"] * 12 / 100)
        )


def test_export_int8_then_eval_it(model_folder, data, tmp_path, capsys):
    out = tmp_path / "w025.int8.onnx"
    done = run_cli(
        "export",
        "--source",
        str(model_folder),
        "--width",
        "0.25",
        "--out",
        str(out),
        "--quantize",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out} (int8): width 0.25, ")
    assert "waveform in" in done.stdout
    assert out.is_file()
    # In-process from here on: the ONNX file is evaluated next to width 0.25.
    argv = ["eval", "--source", str(model_folder), "--data", str(data)]
    argv += ["--widths", "0.25", "--onnx", str(out), "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    (row,) = result["onnx"]
    assert row["file"] == str(out) and row["bytes"] == out.stat().st_size
    assert 0 <= row["accuracy"] <= 100
    assert [r["width"] for r in result["widths"]] == [0.25]


def corrupt_copy(model_folder, tmp_path):
    folder = shutil.copytree(model_folder, tmp_path / "corrupt")
    ckpt = folder / "model.ckpt"
    ckpt.write_bytes(ckpt.read_bytes()[:1000])
    return folder


@pytest.mark.parametrize(
    "argv, message",
    [
        (["classify", "--width", "0.3", "x.wav"], "accepted widths"),
        (["eval", "--widths", "0.3", "--data", "DATA"], "accepted widths"),
        (["export", "--width", "0.3", "--out", "x.onnx"], "accepted widths"),
        (["export", "--width", "0.5", "--out", "MISSING/x.onnx"], "no folder"),
        (["eval", "--data", "MISSING"], "data folder .* does not exist"),
        (["eval", "--data", "TMP"], "has no class sub-folders"),
        (["eval", "--data", "DATA", "--onnx", "MISSING"], "ONNX file"),
        (["info", "--source", "MISSING"], "model folder .* does not exist"),
        (
            ["info", "--source", "CORRUPT"],
            "cannot read checkpoint .*model.ckpt",
        ),
    ],
)
def test_user_mistakes_are_one_line(
    model_folder, data, tmp_path, capsys, argv, message
):
    if "--source" not in argv:
        argv = [*argv, "--source", str(model_folder)]
    if "TMP" in argv:
        (tmp_path / "README.txt").write_text("no classes here\n")
    names = {
        "DATA": str(data),
        "MISSING": str(tmp_path / "missing"),
        "TMP": str(tmp_path),
    }
    if "CORRUPT" in argv:
        names["CORRUPT"] = str(corrupt_copy(model_folder, tmp_path))
    for name, value in names.items():
        argv = [arg.replace(name, value) for arg in argv]
    assert main(argv) == 1
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(f"speechbrain-slimmable {argv[0]}: error: ")
    assert re.search(message, line), line
    assert "Traceback" not in captured.err
