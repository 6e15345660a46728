"""Threads inside ranks: spike trains are bit-identical for ranks x threads 1x1, 1x2, 2x2 and
3x2 (blocks with the collective exchange, round-robin with the asynchronous one) on the
test networks of thread_digests.py (windows of steps, drawn delays, procedural projections
and the far queue); a checkpoint written on 2 ranks x 1 thread continues on 1 rank x 2
threads."""

import json
import os

import numpy as np
import pytest
from digests import T_MS
from mpirun import mpiexec
from networks import NETWORKS, OPTIONS
from thread_digests import THREAD_NETWORKS

from distsim import Simulation, spike_digest
from distsim.store import open_run

# threads that wait at the end of each step sleep instead of spinning: the tests run more
# threads than the machine has cores
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@pytest.fixture(scope="module")
def reference():
    out = {}
    for name in THREAD_NETWORKS:
        sim = Simulation(NETWORKS[name](), **OPTIONS.get(name, {}))
        sim.run(T_MS)
        out[name] = [sim.digest(), int(sim.spike_steps()[0].size)]
    return out


@pytest.mark.parametrize("ranks", [1, 2, 3])
def test_identical_spikes_for_ranks_x_2_threads(reference, ranks):
    r = mpiexec(ranks, ["thread_digests.py", "2"], timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert len(got) == 2 * len(THREAD_NETWORKS)
    for key, value in got.items():
        assert value == reference[key.split("/")[0]], f"{ranks} ranks x 2 threads, {key}"


def test_checkpoint_of_2_ranks_x_1_thread_continues_on_1_rank_x_2_threads(tmp_path):
    ck, a, b = (str(tmp_path / n) for n in ("ck.zarr", "a.zarr", "b.zarr"))
    r = mpiexec(2, ["checkpoint_run.py", "save", ck, a])
    assert r.returncode == 0, r.stderr[-3000:]
    r = mpiexec(1, ["checkpoint_run.py", "resume", ck, b, "four_populations", "2"])
    assert r.returncode == 0, r.stderr[-3000:]
    (s1, g1), (s2, g2) = open_run(a).spikes(), open_run(b).spikes()
    one = Simulation(NETWORKS["four_populations"]())
    one.run(120.0)
    assert s2.size > 0
    assert spike_digest(np.concatenate((s1, s2)), np.concatenate((g1, g2))) == one.digest()
