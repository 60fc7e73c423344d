"""Tests of the Speech Commands preparation (recipes/GSC/prepare_gsc.py).

Tests on real audio read ``../shared/data`` next to the repository (or the
folder named by the ``SLIMMABLE_DATA`` environment variable) and are skipped
when it is absent.
"""

import csv
import importlib.util
import math
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from speechbrain_slimmable.dataio import background_noise, folders, manifests
from speechbrain_slimmable.dataio import gsc_official as official
from speechbrain_slimmable.dataio.folders import speaker_of
from speechbrain_slimmable.dataio.synthetic import make_synthetic_kws

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("SLIMMABLE_DATA", REPO.parent / "shared" / "data"))


def _load_recipe_module():
    path = REPO / "recipes" / "GSC" / "prepare_gsc.py"
    spec = importlib.util.spec_from_file_location("prepare_gsc", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


prep = _load_recipe_module()


def _data(name):
    folder = DATA / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    return folder


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames) == manifests.CSV_COLUMNS
        return list(reader)


def _read_all(paths):
    return {split: _read(path) for split, path in paths.items()}


def _relative(row):
    return "/".join(Path(row["wav"]).parts[-2:])


def _check_rows(rows):
    ids = [r["ID"] for split in rows.values() for r in split]
    assert len(ids) == len(set(ids))
    for split in rows.values():
        for row in split:
            assert Path(row["wav"]).is_file()
            start, stop = int(row["start"]), int(row["stop"])
            assert 0 <= start < stop
            duration = float(row["duration"])
            assert math.isclose(duration, (stop - start) / 16000, abs_tol=1e-6)


def _lists(folder):
    return {
        name: set((folder / f"{name}_list.txt").read_text().split())
        for name in ("validation", "testing")
    }


def test_official_12_on_v001_sample(tmp_path):
    data = _data("gsc_v001_sample")
    noise = _data("background_noise")
    paths = prep.prepare_gsc(data, tmp_path, task="12", noise_folder=noise)
    assert paths == {s: str(tmp_path / f"{s}.csv") for s in folders.SPLIT_NAMES}
    rows = _read_all(paths)
    _check_rows(rows)
    lists = _lists(data)
    files = {s: {_relative(r) for r in rows[s]} for s in rows}
    files = {s: {f for f in v if "_noise" not in f} for s, v in files.items()}
    assert files["test"] <= lists["testing"]
    assert files["valid"] <= lists["validation"]
    assert not files["train"] & (lists["testing"] | lists["validation"])
    assert {r["command"] for r in rows["train"]} == set(official.LABELS_12)
    for split_rows in rows.values():
        commands = [r["command"] for r in split_rows]
        n_keywords = sum(c in official.KEYWORDS_12 for c in commands)
        expected = math.ceil(n_keywords / 10)
        assert commands.count(background_noise.SILENCE_LABEL) == expected
        assert commands.count(official.UNKNOWN_LABEL) == expected
        for row in split_rows:
            word = Path(row["wav"]).parent.name
            if row["command"] == official.UNKNOWN_LABEL:
                assert word not in official.KEYWORDS_12
            elif row["command"] == background_noise.SILENCE_LABEL:
                assert Path(row["wav"]).parent == noise
                assert int(row["stop"]) - int(row["start"]) == 16000
            else:
                assert row["command"] == word
                assert row["start"] == "0"
                assert int(row["stop"]) == sf.info(row["wav"]).frames
    # Silence crops of different splits never overlap (own part of a file).
    crops = {
        split: [
            (r["wav"], int(r["start"]), int(r["stop"]))
            for r in rows[split]
            if r["command"] == background_noise.SILENCE_LABEL
        ]
        for split in rows
    }
    for wav, start, stop in crops["test"] + crops["valid"]:
        for other_wav, other_start, other_stop in crops["train"]:
            assert (
                wav != other_wav or stop <= other_start or start >= other_stop
            )


def test_official_35_on_v001_sample(tmp_path):
    data = _data("gsc_v001_sample")
    rows = _read_all(prep.prepare_gsc(data, tmp_path, task="35"))
    _check_rows(rows)
    words = sorted(p.name for p in data.iterdir() if p.is_dir())
    assert len(words) == 30  # v0.01 has 30 of the 35 words
    assert sorted({r["command"] for r in rows["train"]}) == words
    n_files = sum(1 for _ in data.glob("*/*.wav"))
    assert sum(len(r) for r in rows.values()) == n_files
    lists = _lists(data)
    assert {_relative(r) for r in rows["test"]} <= lists["testing"]
    assert {_relative(r) for r in rows["valid"]} <= lists["validation"]
    assert len(rows["test"]) > 0 and len(rows["valid"]) > 0


def test_folder_layout_on_gsc12_dev(tmp_path):
    data = _data("gsc12_dev")
    paths = prep.prepare_gsc(data, tmp_path, task="12")
    rows = _read_all(paths)
    _check_rows(rows)
    assert sum(len(r) for r in rows.values()) == sum(
        1 for _ in data.glob("*/*.wav")
    )
    for split in rows:
        assert {r["command"] for r in rows[split]} == set(official.LABELS_12)
    speakers = {
        split: {speaker_of(r["wav"]) for r in split_rows}
        for split, split_rows in rows.items()
    }
    assert not speakers["train"] & speakers["valid"]
    assert not speakers["train"] & speakers["test"]
    assert not speakers["valid"] & speakers["test"]
    n_train = len(rows["train"]) / sum(len(r) for r in rows.values())
    assert 0.7 < n_train < 0.9
    # The same folder as a plain 'folder' task gives the same manifests.
    other = prep.prepare_gsc(data, tmp_path / "folder", task="folder")
    assert _read_all(other) == rows


def _official_standin(root, n_speakers=3):
    """A tiny synthetic folder in the official layout (word folders, split
    lists, background noise), clearly not real audio."""
    words = official.KEYWORDS_12 + ("bed", "cat")
    make_synthetic_kws(
        root, classes=words, speakers=n_speakers, clips_per_speaker=1
    )
    (root / "synthetic.json").unlink()
    test = [f"{w}/synth00_nohash_0.wav" for w in words]
    valid = [f"{w}/synth01_nohash_0.wav" for w in words]
    (root / "testing_list.txt").write_text("\n".join(test) + "\n")
    (root / "validation_list.txt").write_text("\n".join(valid) + "\n")
    noise = root / official.NOISE_FOLDER
    noise.mkdir()
    rng = np.random.default_rng(0)
    sf.write(noise / "white.wav", 0.1 * rng.standard_normal(16000 * 12), 16000)
    return root


def _standin_archive(tmp_path):
    """A tarball of the official-layout stand-in, as the official one."""
    source = _official_standin(tmp_path / "source")
    archive = tmp_path / "speech_commands_v0.02.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for entry in sorted(source.iterdir()):
            tar.add(entry, arcname=entry.name)
    return archive


def test_download_from_local_standin(tmp_path):
    archive = _standin_archive(tmp_path)
    data = tmp_path / "data"
    assert official.download_gsc(data, url=archive.as_uri()) == str(data)
    assert (data / "testing_list.txt").is_file()
    assert (data / "yes" / "synth02_nohash_0.wav").is_file()
    assert not (data / archive.name).exists()  # archive removed
    # Already there: nothing is fetched (the URL is not even read).
    assert official.download_gsc(data, url="http://127.0.0.1:9/x.tar.gz")
    # prepare_gsc(download=True) downloads, then prepares.
    paths = prep.prepare_gsc(
        tmp_path / "data2",
        tmp_path / "save",
        download=True,
        url=str(archive),
    )
    rows = _read_all(paths)
    _check_rows(rows)
    assert {r["command"] for r in rows["test"]} == set(official.LABELS_12)
    assert len(rows["train"]) == 10 + 1 + 1  # 10 keywords, 1 unknown, 1 sil


def test_download_offline_fails_fast_and_clearly(tmp_path):
    data = tmp_path / "data"
    url = "http://127.0.0.1:9/x.tar.gz"
    begin = time.monotonic()
    with pytest.raises(ConnectionError) as err:
        official.download_gsc(data, url=url)
    assert time.monotonic() - begin < 10
    message = str(err.value)
    assert url in message and str(data) in message
    assert "testing_list.txt" in message
    assert not any(data.iterdir())  # no partial archive left behind
    # The command it suggests for a copy of the tarball (it works: below).
    assert (
        f"python recipes/GSC/prepare_gsc.py {data} SAVE_FOLDER --download "
        "--url TARBALL" in message
    )
    with pytest.raises(ConnectionError, match="missing.tar.gz"):
        official.download_gsc(data, url=str(tmp_path / "missing.tar.gz"))


def test_download_hint_works_as_typed(tmp_path):
    archive = _standin_archive(tmp_path)
    data, save = tmp_path / "data", tmp_path / "save"
    done = subprocess.run(
        [
            sys.executable,
            "recipes/GSC/prepare_gsc.py",
            str(data),
            str(save),
            "--download",
            "--url",
            str(archive),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (data / "testing_list.txt").is_file()
    assert f"test: {save / 'test.csv'}" in done.stdout
    assert {r["command"] for r in _read(save / "test.csv")} == set(
        official.LABELS_12
    )


def test_download_refuses_foreign_folder_and_bad_archive(tmp_path):
    make_synthetic_kws(tmp_path / "plain", classes=("a",), speakers=1)
    with pytest.raises(ValueError, match="not empty"):
        official.download_gsc(
            tmp_path / "plain", url="http://127.0.0.1:9/x.tgz"
        )
    bad = tmp_path / "bad.tar.gz"
    bad.write_text("not a tarball")
    with pytest.raises(ValueError, match="not a readable tar"):
        official.download_gsc(tmp_path / "d1", url=str(bad))
    empty = tmp_path / "empty.tar.gz"
    with tarfile.open(empty, "w:gz"):
        pass
    with pytest.raises(ValueError, match="not Speech Commands"):
        official.download_gsc(tmp_path / "d2", url=str(empty))


def test_skip_when_options_match(tmp_path):
    data = make_synthetic_kws(
        tmp_path / "data", speakers=5, clips_per_speaker=1
    )
    save = tmp_path / "save"
    paths = prep.prepare_gsc(data, save, task="folder")
    train = Path(paths["train"])
    original = train.read_text()
    train.write_text("marker")
    prep.prepare_gsc(data, save, task="folder")  # same options: skipped
    assert train.read_text() == "marker"
    prep.prepare_gsc(data, save, task="folder", seed=7)  # options changed
    assert train.read_text().startswith("ID,duration,wav,start,stop,command")
    prep.prepare_gsc(data, save, task="folder")
    assert train.read_text() == original
    Path(paths["valid"]).unlink()  # a missing manifest is rebuilt
    prep.prepare_gsc(data, save, task="folder")
    assert Path(paths["valid"]).is_file()


def test_bad_inputs(tmp_path):
    save = tmp_path / "save"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        prep.prepare_gsc(tmp_path / "missing", save)
    with pytest.raises(ValueError, match="task must be one of"):
        prep.prepare_gsc(tmp_path, save, task="20")

    data = make_synthetic_kws(
        tmp_path / "data", speakers=5, clips_per_speaker=1
    )
    with pytest.raises(ValueError, match="task '12' needs exactly"):
        prep.prepare_gsc(data, save, task="12")
    other = make_synthetic_kws(
        tmp_path / "other", classes=("yes", "zzz"), speakers=5
    )
    with pytest.raises(ValueError, match=r"task '35' needs.*zzz"):
        prep.prepare_gsc(other, save, task="35")


def test_bad_audio_and_empty_class(tmp_path):
    save = tmp_path / "save"
    data = make_synthetic_kws(
        tmp_path / "data", speakers=5, clips_per_speaker=1
    )
    (data / "empty").mkdir()
    with pytest.raises(ValueError, match=r"class folder .*empty holds no"):
        prep.prepare_gsc(data, save, task="folder")
    (data / "empty").rmdir()
    fake = data / "yes" / "synth09_nohash_0.wav"
    fake.write_text("this is text, not audio")
    with pytest.raises(ValueError, match=f"cannot read audio file {fake}"):
        prep.prepare_gsc(data, save, task="folder")
    fake.unlink()
    sf.write(data / "no" / "synth09_nohash_0.wav", np.zeros(8000), 8000)
    with pytest.raises(ValueError, match="8000 Hz: expected 16000 Hz"):
        prep.prepare_gsc(data, save, task="folder")
    assert not save.exists()  # nothing written on failure


def test_official_layout_errors(tmp_path):
    data = _official_standin(tmp_path / "data")
    save = tmp_path / "save"
    with pytest.raises(ValueError, match="task 'folder' is for"):
        prep.prepare_gsc(data, save, task="folder")
    noise = data / official.NOISE_FOLDER
    (noise / "white.wav").rename(tmp_path / "white.wav")
    noise.rmdir()
    with pytest.raises(FileNotFoundError, match="background-noise folder"):
        prep.prepare_gsc(data, save, task="12")
    # Without silence, no noise folder is needed.
    rows = _read_all(prep.prepare_gsc(data, save, percentage_silence=0))
    assert background_noise.SILENCE_LABEL not in {
        r["command"] for r in rows["train"]
    }
    (data / "validation_list.txt").unlink()
    with pytest.raises(FileNotFoundError, match="validation_list.txt"):
        prep.prepare_gsc(data, tmp_path / "save2", task="35")


def test_too_few_speakers(tmp_path):
    data = make_synthetic_kws(
        tmp_path / "data", speakers=2, clips_per_speaker=1
    )
    with pytest.raises(ValueError, match="split of .* is empty"):
        prep.prepare_gsc(data, tmp_path / "save", task="folder")


def test_a_split_too_small_to_measure_is_warned_about(tmp_path, caplog):
    # 8 speakers and 6 classes: one speaker's 6 clips in valid, too few.
    data = make_synthetic_kws(
        tmp_path / "data", speakers=8, clips_per_speaker=1
    )
    with caplog.at_level("WARNING"):
        prep.prepare_gsc(data, tmp_path / "save", task="folder")
    assert "too few to choose a checkpoint" in caplog.text
