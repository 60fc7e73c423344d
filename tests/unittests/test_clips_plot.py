"""``benchmarks clips --plot`` draws each recipe's accuracy per width."""

import json

import pytest

from benchmarks.clips import main


def write_run(folder, seed, accuracies):
    """A model folder's ``results.json`` as the recipe writes it."""
    folder.mkdir(parents=True)
    widths = [
        {
            "width": w,
            "params": int(200_000 * w * w),
            "valid_accuracy": a,
            "accuracy": a,
        }
        for w, a in accuracies.items()
    ]
    (folder / "hyperparams.yaml").write_text("widths: [1.0, 0.5]\n")
    command = ["recipe.yaml", f"--seed={seed}"]
    (folder / "results.json").write_text(
        json.dumps({"widths": widths, "command": command})
    )
    return folder


def test_the_plot_and_the_table_come_from_the_same_runs(tmp_path, capsys):
    pytest.importorskip("matplotlib")  # the [plot] extra
    runs = [
        f"supernet={write_run(tmp_path / f's{seed}', seed, {1.0: 96 + seed, 0.5: 94.0})}"
        for seed in (1, 2)
    ]
    runs.append(f"alone={write_run(tmp_path / 'a', 1, {0.5: 93.0})}")
    png = tmp_path / "accuracy.png"
    main(["--plot", str(png), "--title", "a title", "--runs", *runs])
    assert png.read_bytes().startswith(b"\x89PNG")
    table = capsys.readouterr().out
    assert (
        "--plot" in table and "| supernet | 1, 2 | test | 97.50 ± 0.71" in table
    )
