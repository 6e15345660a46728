"""Every test runs in its own fresh temporary folder: whatever a test (or a distsim command it
starts) writes to a default or relative path lands there, never in the checkout.

Tiers: tests under tests/mpi are marked ``mpi``, under tests/slurm ``slurm``; long ones
``slow``.  ``pytest`` alone runs the fast tier (neither of the three, a few minutes);
``pytest -m ""`` runs everything (CI, the README's test command), in one process: on
this 2-core machine two pytest-xdist workers made it no faster (the unit tests took 765 s on
two workers, 767 s in one; the multi-rank tests ran 2-3 times slower beside a worker)."""

from pathlib import Path

import pytest

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        part = Path(item.fspath).relative_to(_HERE).parts[0]
        if part in ("mpi", "slurm"):
            item.add_marker(getattr(pytest.mark, part))


@pytest.fixture(autouse=True)
def _in_a_fresh_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
