"""The context checks of checks.py under MPIContext, on 2 and 3 ranks."""

import pytest
from mpirun import mpiexec


@pytest.mark.parametrize("n", [2, 3])
def test_mpi_context_build_and_routing(n):
    r = mpiexec(n, ["run_checks.py"])
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().splitlines()[-1] == f"OK {n}"
