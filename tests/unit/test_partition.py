"""Decompositions and balancers: every gid exactly once, for any rank count, without MPI."""

import numpy as np
import pytest

from distsim import FixedIndegree, Network
from distsim.errors import PartitionError
from distsim.examples import brunel
from distsim.partition import BALANCERS, Decomposition, get_balancer, population
from distsim.partition.balancers import DEFAULT_RATE_HZ, EVENT_NS, PLASTIC_EVENT_NS, expected_work


@pytest.mark.parametrize("name", sorted(BALANCERS))
@pytest.mark.parametrize("n", [1, 2, 3, 7, 64])
def test_every_gid_exactly_once(name, n):
    net = brunel(order=50)
    dec = BALANCERS[name](net, n)
    assert dec.n_ranks == n and dec.n_gids == net.n_neurons
    gids = np.concatenate([dec.local_gids(r) for r in range(n)])
    assert np.array_equal(np.sort(gids), np.arange(net.n_neurons))
    for r in range(n):
        mine = dec.local_gids(r)
        assert np.array_equal(dec.local_index(mine), np.arange(mine.size))


def test_round_robin_and_block():
    net = brunel(order=50)
    assert np.array_equal(BALANCERS["round_robin"](net, 4).rank_of[:6], [0, 1, 2, 3, 0, 1])
    counts = BALANCERS["block"](net, 4).counts()
    assert counts.max() - counts.min() <= 1


def _uneven():
    net = Network()
    net.add_population("big", "iaf_psc_exp", 300)
    net.add_population("a", "iaf_psc_exp", 100)
    net.add_population("b", "iaf_psc_exp", 100)
    net.add_population("c", "iaf_psc_exp", 100)
    for p in ("a", "b", "c"):
        net.connect("big", p, FixedIndegree(10))
    net.connect("a", "big", FixedIndegree(50))
    return net


def test_balanced_equalises_expected_work():
    net = _uneven()
    dec = BALANCERS["balanced"](net, 3)
    work = expected_work(net)
    per_rank = np.bincount(dec.rank_of, weights=work, minlength=3)
    assert per_rank.max() / per_rank.mean() < 1.02
    assert BALANCERS["block"](net, 3).counts().tolist() == [200, 200, 200]


def test_balanced_counts_plastic_events_as_their_cost():
    """Plastic synapses cost PLASTIC_EVENT_NS per event: the population with plastic inputs
    gets more ranks than the one with static inputs of the same in-degree."""
    net = Network()
    net.add_population("src", "iaf_psc_alpha", 100)
    net.add_population("plastic", "iaf_psc_alpha", 100)
    net.add_population("static", "iaf_psc_alpha", 100)
    net.connect("src", "plastic", FixedIndegree(500), synapse="stdp_synapse")
    net.connect("src", "static", FixedIndegree(500))
    work = expected_work(net)
    per_event = 500 * DEFAULT_RATE_HZ  # events per model second of one target neuron
    assert work[150] - work[250] == pytest.approx(per_event * (PLASTIC_EVENT_NS - EVENT_NS))
    dec = BALANCERS["balanced"](net, 4)
    per_rank = np.bincount(dec.rank_of, weights=work, minlength=4)
    assert per_rank.max() / per_rank.mean() < 1.05
    assert np.unique(dec.rank_of[100:200]).size > np.unique(dec.rank_of[200:300]).size


def test_population_keeps_whole_populations_where_sizes_allow():
    net = Network()
    for name, size in (("A", 100), ("B", 100), ("C", 100), ("D", 100)):
        net.add_population(name, "iaf_psc_exp", size)
    dec = population(net, 2)
    assert dec.counts().tolist() == [200, 200]
    for pop in net.populations.values():
        assert np.unique(dec.rank_of[pop.first_gid : pop.first_gid + pop.size]).size == 1
    big = Network()
    big.add_population("X", "iaf_psc_exp", 1000)
    assert population(big, 4).counts().tolist() == [250, 250, 250, 250]  # split when needed


def test_invalid_decompositions_name_the_gid():
    with pytest.raises(PartitionError, match="gid 3 is assigned more than once"):
        Decomposition.from_lists([[0, 1, 3], [2, 3]], 4)
    with pytest.raises(PartitionError, match="1 gids are assigned to no rank .first: gid 2"):
        Decomposition.from_lists([[0, 1], [3]], 4)
    with pytest.raises(PartitionError, match="gid 1 is assigned to rank 5, outside 0..1"):
        Decomposition(2, np.array([0, 5]))
    with pytest.raises(PartitionError, match="balancer 'metis' is not known"):
        get_balancer("metis")
