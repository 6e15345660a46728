"""A real single-node Slurm for the tests in this folder (slurm/testing/localslurm.py):
installed with apt-get when missing, started once per session from a fresh directory,
stopped by its PIDs at the end; the tests skip, with the reason, where it cannot start."""

import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "slurm" / "testing"))

import localslurm  # noqa: E402


@pytest.fixture(scope="session")
def slurm():
    directory = tempfile.mkdtemp(prefix="distsim-slurm-", dir="/tmp")  # short: MUNGE socket
    cluster = localslurm.Cluster(directory)
    try:
        cluster.start()
    except localslurm.Unavailable as exc:
        shutil.rmtree(directory, ignore_errors=True)
        pytest.skip(f"Slurm is not available: {exc}")
    yield cluster
    cluster.stop()
    shutil.rmtree(directory, ignore_errors=True)
