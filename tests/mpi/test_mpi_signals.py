"""Signals on several ranks (issue 16, point 3): Ctrl-C and SIGTERM with a checkpoint folder
write a checkpoint and exit cleanly; without one the store is marked interrupted; a killed
launcher takes its ranks down cleanly; a rank killed by a signal is named with its signal;
no MPICH shared memory is left behind.  Everything is written inside tmp_path."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import zarr

from distsim.store import open_run

DISTSIM = str(Path(sys.executable).parent / "distsim")
LONG = ["run", "--order", "200", "--t-sim", "10000000", "--ranks", "2", "--json"]


def _shm():
    return {p for p in os.listdir("/dev/shm") if p.startswith("mpich_shm_")}


def _mapped():
    """The /dev/shm segments some live process maps."""
    names = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/maps") as f:
                names.update(
                    line.split("/dev/shm/")[1].split()[0] for line in f if "/dev/shm/" in line
                )
        except OSError:  # gone, or not ours to read
            pass
    return names


def _leaked(before, wait=10.0):
    """The MPI shared-memory segments made since ``before`` that no live process maps (other
    tests' jobs may run beside this one: their segments are theirs), after up to ``wait`` s
    for a job that is ending to remove its own."""
    deadline = time.time() + wait
    while True:
        leaked = _shm() - before - _mapped()
        if not leaked or time.time() > deadline:
            return leaked
        time.sleep(0.2)


def _start(tmp_path, *args):
    """A long run on 2 ranks through the launcher, once it has flushed to its store."""
    store = tmp_path / "run.zarr"
    proc = subprocess.Popen(
        [DISTSIM, *LONG, "--out", str(store), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            steps = [
                zarr.open_group(store / "ranks" / f"r0000{r}", mode="r").attrs["flushed_step"]
                for r in range(2)
            ]
            if min(steps) > 0:
                return proc, store
        except Exception:  # not created yet
            pass
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("the run never flushed")


def _rank_pids(launcher_pid):
    """The pids of the ranks below a launcher (its grandchildren's children)."""
    out = subprocess.run(["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True).stdout
    rows = [line.split(None, 2) for line in out.splitlines()[1:]]
    children = {}
    for pid, ppid, args in rows:
        children.setdefault(int(ppid), []).append((int(pid), args))
    todo, ranks = [launcher_pid], []
    while todo:
        for pid, args in children.get(todo.pop(), []):
            todo.append(pid)
            if "distsim.cli" in args and "mpiexec" not in args:
                ranks.append(pid)
    return sorted(ranks)


def test_ctrl_c_with_a_checkpoint_folder_checkpoints_on_both_ranks_and_resumes(tmp_path):
    before = _shm()
    ck = tmp_path / "ck"
    proc, store = _start(tmp_path, "--checkpoint-dir", str(ck))
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and "Traceback" not in err, err[-2000:]
    summary = json.loads(out)  # stdout holds the summary only (hydra's remarks go to stderr)
    assert summary["ended"] == "stopped" and summary["ranks_total"] == 2
    run = open_run(store, warn=False)
    assert run.status == "stopped" and run.reason.startswith("SIGINT")
    assert zarr.open_group(ck / "checkpoint.zarr", mode="r").attrs["complete"] is True
    assert not _leaked(before)
    t_end = summary["t_model_ms"] + 50.0
    r = subprocess.run(
        [DISTSIM, "run", "--resume", str(ck), "--t-sim", f"{t_end:g}", "--json", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    one = subprocess.run(
        [DISTSIM, "run", "--order", "200", "--t-sim", f"{t_end:g}", "--json", "--no-store", "-q"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert json.loads(r.stdout)["digest"] == json.loads(one.stdout)["digest"]


def test_sigterm_without_a_checkpoint_folder_marks_the_store_interrupted(tmp_path):
    proc, store = _start(tmp_path)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM and "Traceback" not in err, err[-2000:]
    run = open_run(store, warn=False)
    assert run.status == "interrupted" and run.reason.startswith("SIGTERM")
    assert run.flushed_step() * run.dt == json.loads(out)["t_model_ms"]


def test_a_killed_launcher_takes_its_ranks_down_cleanly(tmp_path):
    before = _shm()
    proc, store = _start(tmp_path)
    ranks = _rank_pids(proc.pid)
    assert len(ranks) == 2
    proc.kill()  # SIGKILL: the launcher cannot forward anything
    proc.wait()
    deadline = time.time() + 60
    while time.time() < deadline and any(os.path.exists(f"/proc/{p}") for p in ranks):
        time.sleep(0.2)
    assert not any(os.path.exists(f"/proc/{p}") for p in ranks)
    run = open_run(store, warn=False)
    assert run.status == "interrupted" and run.reason.startswith("SIGTERM")
    assert not _leaked(before)


def test_a_rank_killed_by_a_signal_is_named_and_the_store_says_so(tmp_path):
    before = _shm()
    proc, store = _start(tmp_path)
    victim = _rank_pids(proc.pid)[1]
    os.kill(victim, signal.SIGKILL)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and out.strip() == ""
    line = err.strip().splitlines()[-1]
    assert line.startswith("distsim: error: rank ") and "killed by signal 9 (SIGKILL)" in line
    assert f"(pid {victim} " in line
    run = open_run(store, warn=False)
    assert run.status == "failed" and "killed by signal 9" in run.reason
    assert not _leaked(before)
