"""Nothing of a user's is deleted, and a store tells the truth (issue 16, points 1, 2, 5).

Every path here lies in pytest's fresh tmp_path; folders of the user are stand-ins made
with files whose survival is checked."""

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zarr

from distsim import Network, Simulation, spike_digest
from distsim.errors import OutputError, StoreError
from distsim.examples import brunel
from distsim.store import open_run
from distsim.store.ownership import ANALYSIS, CHECKPOINT, RUN_STORE, claim, kind_of, remove_owned

DISTSIM = str(Path(sys.executable).parent / "distsim")


def _user_folder(path):
    """A folder of the user's: two files and a sub-folder with a file."""
    path.mkdir(parents=True)
    (path / "README").write_text("mine")
    (path / "notes").mkdir()
    (path / "notes" / "n.txt").write_text("also mine")
    return {p: p.read_bytes() for p in path.rglob("*") if p.is_file()}


def _intact(files):
    return all(p.exists() and p.read_bytes() == data for p, data in files.items())


def _cli(*args, cwd=None):
    return subprocess.run([DISTSIM, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def _net():
    return brunel(order=60, seed=3)


def test_cli_refuses_folders_and_files_it_did_not_write(tmp_path):
    results = tmp_path / "results"
    files = _user_folder(results)
    for out in (results, results / "notes", results / "README"):
        r = _cli("run", "--order", "50", "--t-sim", "10", "--out", str(out))
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert r.stderr.startswith("distsim: error: --out") and len(r.stderr.splitlines()) == 1
    r = _cli("run", "--order", "50", "--t-sim", "10", "--out", ".", cwd=results)
    assert r.returncode == 2 and "not a distsim run store" in r.stderr
    r = _cli("run", "--order", "50", "--t-sim", "10", "--out", str(results), "--overwrite")
    assert r.returncode == 2  # --overwrite replaces distsim's own stores only
    r = _cli(
        "run", "--order", "50", "--t-sim", "10", "--checkpoint-dir", str(results), "--no-store"
    )
    assert r.returncode == 2 and "--checkpoint-dir" in r.stderr
    r = _cli("analyze", str(tmp_path / "none.zarr"), "--out", str(results))
    assert r.returncode == 2
    assert _intact(files) and sorted(os.listdir(results)) == ["README", "notes"]


def test_default_store_is_new_and_overwrite_replaces_only_distsim_files(tmp_path):
    for expected in ("brunel.zarr", "brunel-2.zarr"):
        r = _cli("run", "--order", "50", "--t-sim", "20", "--json", "-q", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["store"] == str(tmp_path / expected)
    store = tmp_path / "brunel.zarr"
    r = _cli("run", "--order", "50", "--t-sim", "20", "--out", str(store), cwd=tmp_path)
    assert r.returncode == 2 and "--overwrite" in r.stderr
    (store / "my_note.txt").write_text("kept")  # a file of the user's inside the store
    r = _cli(
        "run",
        "--order",
        "50",
        "--t-sim",
        "30",
        "--seed",
        "5",
        "--out",
        str(store),
        "--overwrite",
        "--json",
        "-q",
    )
    assert r.returncode == 0, r.stderr
    run = open_run(store)
    assert run.attrs["seed"] == 5 and run.flushed_step() == 300 and run.complete
    assert (store / "my_note.txt").read_text() == "kept"


def test_remove_owned_keeps_foreign_files_and_does_not_follow_links(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    files = _user_folder(elsewhere)
    path = tmp_path / "run.zarr"
    sim = Simulation(_net(), store=path)
    sim.run(20.0)
    os.symlink(elsewhere, path / "ranks" / "link")
    (path / "ranks" / "r00000" / "spike_step" / "c" / "mine.txt").write_text("x")
    kept = remove_owned(path, RUN_STORE)
    assert _intact(files)
    assert sorted(Path(p).name for p in kept) == ["link", "mine.txt"]
    assert not (path / "zarr.json").exists() and kind_of(path) is None
    with pytest.raises(OutputError, match="not a distsim run store"):
        remove_owned(elsewhere, RUN_STORE)


def test_claim_rules(tmp_path):
    files = _user_folder(tmp_path / "home")
    with pytest.raises(OutputError, match="2 entries that is not a distsim checkpoint"):
        claim(tmp_path / "home", CHECKPOINT)
    with pytest.raises(OutputError, match="is a file"):
        claim(tmp_path / "home" / "README", ANALYSIS)
    (tmp_path / "empty").mkdir()
    claim(tmp_path / "empty", ANALYSIS, lock=False)  # an empty folder may be used
    claim(tmp_path / "new" / "deeper", ANALYSIS, lock=False)
    assert (tmp_path / "new" / "deeper").is_dir() and _intact(files)


def test_a_second_writer_is_refused_while_a_run_goes_on(tmp_path):
    path = tmp_path / "run.zarr"
    first = Simulation(_net(), store=path)
    first.run(10.0, complete=False)
    assert open_run(path, warn=False).status == "running"  # the lock is held: a live run
    with pytest.raises(OutputError, match="being written by another run"):
        Simulation(_net(), store=path, overwrite=True)
    first.run(10.0)
    assert open_run(path).complete
    second = Simulation(_net(), store=path, overwrite=True)  # the run ended: replaceable
    second.run(5.0)
    assert open_run(path).flushed_step() == 50


def test_complete_only_at_the_end_of_the_requested_run(tmp_path):
    path = tmp_path / "run.zarr"
    sim = Simulation(_net(), store=path)
    for _ in range(3):
        sim.run(10.0, complete=False)
        assert zarr.open_group(path, mode="r").attrs["status"] == "running"
    sim.end_run("complete")
    attrs = zarr.open_group(path, mode="r").attrs
    assert attrs["status"] == "complete" and attrs["runs"] == [{"start_step": 0, "end_step": 300}]


def test_a_full_disk_marks_the_store_failed_with_the_reason(tmp_path, monkeypatch):
    from distsim.store.writer import RunWriter

    path = tmp_path / "run.zarr"
    sim = Simulation(_net(), store=path, flush_steps=100)
    sim.run(20.0)
    original = RunWriter._append

    def full(array, valid, data):
        if array.path.endswith("spike_gid"):
            raise OSError(errno.ENOSPC, "No space left on device", array.path)
        return original(array, valid, data)

    monkeypatch.setattr(RunWriter, "_append", staticmethod(full))
    with pytest.raises(OSError):
        sim.run(50.0)
    monkeypatch.undo()
    run = open_run(path, warn=False)
    assert run.status == "failed" and "the disk is full (ENOSPC)" in run.reason
    assert run.flushed_step() == 200  # what was written before is valid and says so


def _checkpointed(tmp_path):
    sim = Simulation(_net())
    sim.run(30.0)
    path = tmp_path / "ck.zarr"
    sim.checkpoint(path)
    return path


def _spikes_after(t0_ms, t_ms):
    """(steps, gids) of an uninterrupted run to ``t_ms``, after ``t0_ms``."""
    sim = Simulation(_net())
    sim.run(t_ms)
    steps, gids = sim.spike_steps()
    keep = steps > round(t0_ms / 0.1)
    return spike_digest(steps[keep], gids[keep])


def test_checkpoint_chunks_are_verified(tmp_path):
    path = _checkpointed(tmp_path)
    good = Simulation.restore(path)
    good.run(20.0)
    assert good.digest() == _spikes_after(30.0, 50.0)
    for damage in ("delete", "alter"):
        bad = tmp_path / f"{damage}.zarr"
        shutil.copytree(path, bad)
        chunk = next(
            p for p in (bad / "ranks" / "r00000" / "state" / "c").rglob("*") if p.is_file()
        )
        if damage == "delete":
            chunk.unlink()
        else:
            data = bytearray(chunk.read_bytes())
            data[len(data) // 2] ^= 0xFF
            chunk.write_bytes(bytes(data))
        with pytest.raises(StoreError, match="ranks/r00000/state"):
            Simulation.restore(bad)
    torn = tmp_path / "torn.zarr"
    shutil.copytree(path, torn)
    meta = json.loads((torn / "zarr.json").read_text())
    meta["attributes"]["complete"] = False
    (torn / "zarr.json").write_text(json.dumps(meta))
    with pytest.raises(StoreError, match="was not completed"):
        Simulation.restore(torn)
    (torn / "zarr.json").write_text("{ not json")
    with pytest.raises(StoreError, match="metadata cannot be read"):
        Simulation.restore(torn)
    with pytest.raises(OutputError, match="holds an earlier distsim checkpoint"):
        Simulation(_net()).checkpoint(path)


def test_an_interrupted_checkpoint_swap_is_recovered(tmp_path):
    ck = tmp_path / "ck"
    r = _cli(
        "run",
        "--order",
        "50",
        "--t-sim",
        "40",
        "--out",
        str(tmp_path / "s.zarr"),
        "--checkpoint-dir",
        str(ck),
        "-q",
    )
    assert r.returncode == 0, r.stderr
    # the run stopped between its two renames: checkpoint.zarr -> .old, .new not renamed
    shutil.copytree(ck / "checkpoint.zarr", ck / "checkpoint.new.zarr")
    os.rename(ck / "checkpoint.zarr", ck / "checkpoint.old.zarr")
    r = _cli("run", "--resume", str(ck), "--t-sim", "60", "--json")
    assert r.returncode == 0, r.stderr
    assert "resuming from checkpoint.new.zarr" in r.stderr
    assert sorted(p.name for p in ck.iterdir() if p.suffix == ".zarr") == ["checkpoint.zarr"]
    one = _cli("run", "--order", "50", "--t-sim", "60", "--no-store", "--json", "-q")
    assert json.loads(r.stdout)["digest"] == json.loads(one.stdout)["digest"]


def test_summary_times_add_up_and_rtf_counts_simulation_only(tmp_path):
    r = _cli("run", "--order", "100", "--t-sim", "200", "--json", "-q", cwd=tmp_path)
    s = json.loads(r.stdout)
    parts = [
        s[k] for k in ("build_s", "compile_s", "simulate_s", "store_s", "checkpoint_s", "other_s")
    ]
    assert all(p >= 0 for p in parts) and s["wall_s"] == pytest.approx(sum(parts))
    assert s["rtf"] == pytest.approx(s["simulate_s"] / 0.2)
    assert s["store_s"] > 0 and s["ended"] == "complete"


def test_resume_refuses_a_changed_setup(tmp_path):
    ck = tmp_path / "ck"
    assert (
        _cli(
            "run", "--order", "50", "--t-sim", "20", "--no-store", "--checkpoint-dir", str(ck), "-q"
        ).returncode
        == 0
    )
    same = _cli("run", "brunel", "--order", "50", "--resume", str(ck), "--t-sim", "30", "-q")
    assert same.returncode == 0, same.stderr
    for args, what in (
        (["--order", "60"], "option order 60"),
        (["microcircuit"], "model 'microcircuit'"),
        (["--out", str(tmp_path / "x.zarr")], "--out does not apply"),
    ):
        r = _cli("run", *args, "--resume", str(ck), "--t-sim", "40")
        assert r.returncode == 2 and what in r.stderr and "Traceback" not in r.stderr


def test_export_never_replaces_a_file_it_did_not_write(tmp_path):
    from distsim.store.export import export_spikes

    net = Network(dt=0.1, seed=1)
    net.add_population("A", "spike_source", 2, {"spike_times": [[1.0, 2.0], [3.0]]})
    net.record_spikes("A")
    Simulation(net, store=tmp_path / "s.zarr").run(10.0)
    mine = tmp_path / "spikes.dat"
    mine.write_text("precious")
    with pytest.raises(OutputError, match="exists"):
        export_spikes(tmp_path / "s.zarr", mine, "nest")
    with pytest.raises(OutputError, match="not a file an earlier distsim export wrote"):
        export_spikes(tmp_path / "s.zarr", mine, "nest", overwrite=True)
    assert mine.read_text() == "precious"
    out = tmp_path / "out.parquet"
    assert export_spikes(tmp_path / "s.zarr", out, "parquet") == 3
    assert export_spikes(tmp_path / "s.zarr", out, "parquet", overwrite=True) == 3
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())
    assert np.array_equal(sorted(os.listdir(tmp_path)), ["out.parquet", "s.zarr", "spikes.dat"])
