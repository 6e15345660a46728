"""`distsim run` with checkpoints on 2 ranks, resumed with `--ranks 3` and another balancer:
the digest of the whole store equals that of one uninterrupted run."""

import json
import subprocess
import sys
from pathlib import Path

from mpirun import mpiexec

DISTSIM = str(Path(sys.executable).parent / "distsim")


def test_resume_on_another_rank_count(tmp_path):
    ck, store = str(tmp_path / "ck"), str(tmp_path / "run.zarr")
    r = mpiexec(
        2,
        [
            DISTSIM,
            "run",
            "--order",
            "200",
            "--t-sim",
            "200",
            "--store",
            store,
            "--checkpoint-dir",
            ck,
            "--checkpoint-every",
            "0.5s",
            "--json",
        ],
    )
    assert r.returncode == 0, r.stderr[-2000:]
    r = subprocess.run(
        [
            DISTSIM,
            "run",
            "--resume",
            ck,
            "--t-sim",
            "400",
            "--ranks",
            "3",
            "--oversubscribe",
            "--balancer",
            "round_robin",
            "--backend",
            "async",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    resumed = json.loads(r.stdout.strip().splitlines()[-1])
    assert resumed["ranks_total"] == 3
    one = subprocess.run(
        [DISTSIM, "run", "--order", "200", "--t-sim", "400", "--no-store", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    one = json.loads(one.stdout.strip().splitlines()[-1])
    assert resumed["digest"] == one["digest"]
