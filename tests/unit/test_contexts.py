"""The context checks of tests/mpi/checks.py with LocalContext and DryRunContext (any N)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "mpi"))
from checks import check_context  # noqa: E402

from distsim import Simulation  # noqa: E402
from distsim.comm import DryRunContext, LocalContext  # noqa: E402
from distsim.errors import ConfigError  # noqa: E402
from distsim.examples import brunel  # noqa: E402


def test_local_context():
    assert check_context(LocalContext())


@pytest.mark.parametrize("size", [2, 3, 5])
def test_dry_run_context_every_rank(size):
    for rank in range(size):
        assert check_context(DryRunContext(size, rank))


def test_dry_run_context_cannot_run():
    sim = Simulation(brunel(order=10), DryRunContext(2, 1))
    with pytest.raises(ConfigError, match="dry-run context only pretends to be rank 1 of 2"):
        sim.run(1.0)
