"""Every test runs in its own fresh temporary folder: whatever a test (or a distsim command it
starts) writes to a default or relative path lands there, never in the checkout.

Tiers: tests under tests/mpi are marked ``mpi``, under tests/slurm ``slurm``; long ones
``slow``.  ``pytest`` alone runs the fast tier (neither of the three, a few minutes);
``pytest -m ""`` runs everything (CI, the README's test command, which runs it on two
pytest-xdist workers with ``--dist loadgroup``: a test file stays on one worker, so its
module fixtures are computed once, and the tests under mpi, and those under slurm, each run
on one worker, one after the other: one multi-rank test at a time, one Slurm cluster)."""

from pathlib import Path

import pytest

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        part = Path(item.fspath).relative_to(_HERE).parts[0]
        if part in ("mpi", "slurm"):
            item.add_marker(getattr(pytest.mark, part))
        group = part if part in ("mpi", "slurm") else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(autouse=True)
def _in_a_fresh_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
