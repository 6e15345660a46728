"""Spike trains are bit-identical for 1, 2, 3 and 4 ranks, every balancer and every exchange
backend (collective, async, routed hop by hop over a grid of ranks; each pair on some of the
rank counts: networks.combinations_of), for Brunel, a
four-population network with delays from 0.1 to 5 ms, and two areas with procedural
projections (with a short ring and the far queue, block and round-robin balancers; with a
ring of every delay as its reference)."""

import json

import pytest
from mpirun import mpiexec
from networks import NETWORKS, PARTIAL, combinations_of


@pytest.fixture(scope="module")
def digests():
    out = {}
    for n in (1, 2, 3, 4):
        r = mpiexec(n, ["digests.py"], timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        out[n] = json.loads(r.stdout.strip().splitlines()[-1])
    return out


def test_every_combination_ran(digests):
    """Each rank count ran its pairs, and together they ran every pair."""
    from distsim.comm.exchange import BACKENDS
    from distsim.partition import BALANCERS

    ran = set()
    for n, d in digests.items():
        assert set(d) == {f"{net}/{b}/{e}" for net in NETWORKS for b, e in combinations_of(net, n)}
        ran |= set(d)
    for net in set(NETWORKS) - set(PARTIAL):
        assert {f"{net}/{b}/{e}" for b in BALANCERS for e in BACKENDS} <= ran, net


@pytest.mark.parametrize("network", sorted(NETWORKS))
def test_identical_spikes_for_any_ranks_balancer_backend(digests, network):
    reference = digests[1][f"{network}/block/collective"]
    assert reference[1] > 1000  # a run with real activity
    for n, d in digests.items():
        for key, value in d.items():
            if key.startswith(network + "/"):
                assert value == reference, f"{n} ranks, {key}"


def test_far_queue_gives_the_spikes_of_a_ring_of_every_delay(digests):
    dense = digests[1]["two_areas/block/collective"]
    for n, d in digests.items():
        assert d["two_areas/block/collective"] == dense, f"{n} ranks"
        for key, value in d.items():
            if key.startswith("two_areas_far/"):
                assert value == dense, f"{n} ranks, {key}"
