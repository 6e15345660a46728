"""`distsim run --checkpoint-dir`: a SIGTERM (as Slurm sends before the time limit) leaves a
checkpoint and a store marked stopped; `--resume` continues to the same spikes as one go."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import zarr

DISTSIM = str(Path(sys.executable).parent / "distsim")


def _run(*args):
    r = subprocess.run(
        [DISTSIM, "run", "--order", "200", "--json", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_sigterm_checkpoints_and_resume_gives_the_uninterrupted_spikes(tmp_path):
    ck, store = tmp_path / "ck", tmp_path / "run.zarr"
    proc = subprocess.Popen(
        [
            DISTSIM,
            "run",
            "--order",
            "200",
            "--t-sim",
            "1000000",
            "--json",
            "--store",
            str(store),
            "--checkpoint-dir",
            str(ck),
            "--checkpoint-every",
            "1h",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if zarr.open_group(store / "ranks" / "r00000", mode="r").attrs["flushed_step"] > 0:
                break
        except Exception:
            pass
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    stopped = json.loads(out.strip().splitlines()[-1])
    assert stopped["stopped"] is True
    assert zarr.open_group(store, mode="r").attrs["status"] == "stopped"
    step = zarr.open_group(ck / "checkpoint.zarr", mode="r").attrs["step"]
    t_end = step * 0.1 + 150.0
    resumed = _run("--resume", str(ck), "--t-sim", f"{t_end:.1f}")
    assert zarr.open_group(store, mode="r").attrs["status"] == "complete"
    one = _run("--no-store", "--t-sim", f"{t_end:.1f}")
    assert (
        resumed["digest"] == one["digest"] and resumed["recorded_spikes"] == one["recorded_spikes"]
    )


def test_resume_needs_a_checkpoint_dir(tmp_path):
    r = subprocess.run(
        [DISTSIM, "run", "--resume", str(tmp_path), "--t-sim", "10"], capture_output=True, text=True
    )
    assert (
        r.returncode == 2
        and "no run.json of a distsim checkpoint folder there" in r.stderr
        and "Traceback" not in r.stderr
    )
