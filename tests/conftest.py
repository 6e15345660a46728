"""Every test runs in its own fresh temporary folder: whatever a test (or a distsim command it
starts) writes to a default or relative path lands there, never in the checkout.

Tiers: tests under tests/mpi are marked ``mpi``, under tests/slurm ``slurm``; long ones
``slow``.  ``pytest`` alone runs the fast tier (neither of the three, a few minutes);
``pytest -m ""`` runs everything (CI, the README's test command).  That command runs
tests/unit on two pytest-xdist workers with ``--dist loadgroup`` (a test file stays on one
worker, so its module fixtures are computed once), then tests/mpi and tests/slurm in one
process: their ranks oversubscribe the cores, and beside a second worker they ran 2-3 times
slower (MPI ranks spin while they wait), so that the whole took longer than serially."""

from pathlib import Path

import pytest

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        part = Path(item.fspath).relative_to(_HERE).parts[0]
        if part in ("mpi", "slurm"):
            item.add_marker(getattr(pytest.mark, part))
        item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


@pytest.fixture(autouse=True)
def _in_a_fresh_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
