"""Checkpoint on 2 ranks, restore on 3 (other balancer and backend): the spikes of both
halves, read from the two run stores, equal an uninterrupted run in one process; also for
procedural projections whose input beyond a short ring waits in the far queue when the
checkpoint is written and in a ring of every delay after the restore."""

import numpy as np
import pytest
from mpirun import mpiexec
from networks import NETWORKS

from distsim import Simulation, spike_digest
from distsim.store import open_run


@pytest.mark.parametrize("network", ["four_populations", "two_areas_far"])
def test_checkpoint_on_2_ranks_restore_on_3(tmp_path, network):
    ck, a, b = (str(tmp_path / n) for n in ("ck.zarr", "a.zarr", "b.zarr"))
    r = mpiexec(2, ["checkpoint_run.py", "save", ck, a, network])
    assert r.returncode == 0, r.stderr[-3000:]
    r = mpiexec(3, ["checkpoint_run.py", "resume", ck, b, network])
    assert r.returncode == 0, r.stderr[-3000:]
    first, second = open_run(a), open_run(b)
    assert first.complete and second.complete
    assert first.attrs["n_ranks"] == 2 and second.attrs["n_ranks"] == 3
    s1, g1 = first.spikes()
    s2, g2 = second.spikes()
    one = Simulation(NETWORKS[network]())
    one.run(120.0)
    assert s1.max() <= 600 < s2.min()
    assert spike_digest(np.concatenate((s1, s2)), np.concatenate((g1, g2))) == one.digest()
