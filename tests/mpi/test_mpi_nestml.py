"""NESTML models run distributed: the spike trains of networks.nestml_network are
bit-identical on 1 process, 2 ranks (blocks, collective exchange) and 2 ranks x 2 threads
(round-robin, asynchronous exchange)."""

import json
import os

import pytest
from mpirun import mpiexec
from nestml_digests import T_MS
from networks import nestml_network

from distsim import Simulation

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # more threads than cores


@pytest.fixture(scope="module")
def reference():
    sim = Simulation(nestml_network())
    sim.run(T_MS)
    return [sim.digest(), int(sim.spike_steps()[0].size)]


@pytest.mark.parametrize(
    "ranks, balancer, backend, threads",
    [(2, "block", "collective", 1), (2, "round_robin", "async", 2)],
)
def test_identical_spikes_on_ranks_and_threads(reference, ranks, balancer, backend, threads):
    assert reference[1] > 200  # both populations fire
    r = mpiexec(ranks, ["nestml_digests.py", balancer, backend, str(threads)], timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads(r.stdout.strip().splitlines()[-1]) == reference
