"""NEST's hpc_benchmark with plastic E->E synapses (stdp_pl_synapse_hom) on 1, 2, 3 and 4
ranks with every exchange backend: bit-identical spikes and bit-identical plastic weights
(every rank's (source, target, weight), gathered and sorted), weights that did change."""

import json

import pytest
from mpirun import mpiexec
from plastic_hpc import SCALE

from distsim.comm.exchange import BACKENDS
from distsim.examples.hpc_benchmark import JE_MV, NEURON, TAU_SYN, psc_per_mv


@pytest.fixture(scope="module")
def runs():
    out = {}
    for n in (1, 2, 3, 4):
        r = mpiexec(n, ["plastic_hpc.py", "block"], timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        out[n] = json.loads(r.stdout.strip().splitlines()[-1])
    return out


def test_every_backend_ran_with_plastic_weights_that_changed(runs):
    je = psc_per_mv(NEURON["tau_m"], TAU_SYN, NEURON["C_m"]) * JE_MV
    for n, d in runs.items():
        assert set(d) == set(BACKENDS), n
        for backend, r in d.items():
            assert r["synapses"] == int(9000 * SCALE) * 9000, (n, backend)
            assert r["changed"] > r["synapses"] // 2, (n, backend)
            assert r["w_min"] != r["w_max"] and je not in (r["w_min"], r["w_max"])
            assert r["spikes"] > 1000, (n, backend)


def test_identical_spikes_and_weights_for_any_ranks_and_backend(runs):
    reference = runs[1]["collective"]
    for n, d in runs.items():
        for backend, r in d.items():
            assert (r["digest"], r["spikes"]) == (reference["digest"], reference["spikes"]), (
                f"spikes: {n} ranks, {backend}"
            )
            assert r["weights"] == reference["weights"], f"weights: {n} ranks, {backend}"


def test_plastic_weights_across_links_of_very_different_delays():
    """A remote spike is delivered to plastic synapses only once the receiving rank has
    computed its targets' spikes up to the spike's time minus the delay (the async backend
    lets a rank lag by the 10 ms lookahead of the other link)."""
    out = {}
    for n in (1, 2):
        r = mpiexec(n, ["plastic_mixed_delays.py"], timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        out[n] = json.loads(r.stdout.strip().splitlines()[-1])
    reference = out[1]["collective"]
    for n, d in out.items():
        for backend, value in d.items():
            assert value == reference, f"{n} ranks, {backend}"
