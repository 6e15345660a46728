"""distsim analyze --cluster slurm on the real Slurm of conftest.py: dask-jobqueue's
SLURMCluster submits the workers as Slurm jobs, the summary equals the local one, and the
jobs are gone at the end."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from distsim import Simulation
from distsim.analysis import analyze
from distsim.examples.brunel import brunel

DISTSIM = str(Path(sys.executable).parent / "distsim")


def test_analyze_with_slurm_workers_gives_the_local_summary(slurm, tmp_path):
    pytest.importorskip("dask_jobqueue", reason="--cluster slurm needs dask-jobqueue")
    store = tmp_path / "brunel.zarr"
    Simulation(brunel(order=50), store=store).run(300.0)
    local = analyze(store, out_dir=tmp_path / "local", plots=False)
    r = subprocess.run(
        [
            DISTSIM,
            "analyze",
            str(store),
            "--out",
            str(tmp_path / "slurm"),
            "--no-plots",
            "--cluster",
            "slurm",
            "--cluster-workers",
            "2",
            "--cluster-memory",
            "400MB",  # the test node has 1000 MB
            "--cluster-timeout",
            "120",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=slurm.env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "2 Slurm job(s) submitted for dask workers" in r.stderr
    remote = json.loads((tmp_path / "slurm" / "summary.json").read_text())
    volatile = ("analysis_s", "out_dir")
    assert {k: v for k, v in remote.items() if k not in volatile} == {
        k: v for k, v in local.items() if k not in volatile
    }
    logs = sorted(tmp_path.glob("slurm-*.out"))  # the worker jobs' output, in the cwd
    assert len(logs) == 2 and all("Registered to:" in p.read_text() for p in logs)
    jobs = [p.name[len("slurm-") : -len(".out")] for p in logs]
    for job in jobs:  # cancelled by distsim at the end
        (record,) = slurm.wait(job, timeout=60)
        assert record["JobState"] in ("CANCELLED", "COMPLETED"), record
