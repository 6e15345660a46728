"""stdp_dopamine_synapse whose volume transmitter is simulated neurons (dopamine_neurons.py)
on 1, 2 and 4 ranks, every exchange backend, two balancers: bit-identical spikes, weights
(with c and n) and dopamine arrivals on every rank that holds them; the weights changed.  A
checkpoint written on 2 ranks and restored on 3 continues exactly as the uninterrupted run."""

import json

import pytest
from mpirun import mpiexec

from distsim.comm.exchange import BACKENDS


@pytest.fixture(scope="module")
def runs():
    out = {}
    for n in (1, 2, 4):
        r = mpiexec(n, ["dopamine_neurons.py", "run"], timeout=300)
        assert r.returncode == 0, r.stderr[-3000:]
        out[n] = json.loads(r.stdout.strip().splitlines()[-1])
    return out


def test_identical_on_any_ranks_backend_and_balancer(runs):
    reference = runs[1]["block/collective"]
    assert reference["spikes"] > 50 and reference["synapses"] == 36 * 14
    assert reference["changed"] > 0.8 * reference["synapses"]
    assert sorted(reference["arrivals"]) == ["0", "1", "2"]
    for n, d in runs.items():
        assert set(d) == {f"{b}/{x}" for b in ("block", "round_robin") for x in BACKENDS}, n
        for config, r in d.items():
            assert r == reference, f"{n} ranks, {config}"  # incl. one set of arrivals each


def test_checkpoint_on_2_ranks_restored_on_3(tmp_path, runs):
    ckpt = str(tmp_path / "ckpt.zarr")
    r = mpiexec(2, ["dopamine_neurons.py", "save", ckpt], timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    r = mpiexec(3, ["dopamine_neurons.py", "resume", ckpt], timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    resumed = json.loads(r.stdout.strip().splitlines()[-1])["resumed"]
    assert resumed == runs[1]["block/collective"]
