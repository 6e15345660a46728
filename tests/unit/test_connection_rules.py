"""Statistics of every connection rule, and of drawn weights and delays."""

import numpy as np
import pytest

from distsim import (
    AllToAll,
    FixedIndegree,
    FixedOutdegree,
    FixedTotalNumber,
    LogNormal,
    Network,
    Normal,
    OneToOne,
    PairwiseBernoulli,
    Simulation,
    Uniform,
)


def _net(n_src=300, n_tgt=200, seed=3):
    net = Network(dt=0.1, seed=seed)
    net.add_population("A", "iaf_psc_delta", n_src)
    net.add_population("B", "iaf_psc_delta", n_tgt)
    return net


def _conns(net, name=None):
    return Simulation(net).connections(name)


def test_fixed_indegree_exact_and_uniform():
    net = _net()
    net.connect("A", "B", FixedIndegree(50), weight=1.0, delay=1.0)
    c = _conns(net)
    indeg = np.bincount(c["target"] - 300, minlength=200)
    assert np.all(indeg == 50)
    # sources uniform: each source gets Binomial(200*50, 1/300) synapses
    outdeg = np.bincount(c["source"], minlength=300)
    mean = 200 * 50 / 300
    assert abs(outdeg.mean() - mean) < 1e-9
    chi2 = ((outdeg - mean) ** 2 / mean).sum()
    assert chi2 < 299 + 4 * np.sqrt(2 * 299)


def test_fixed_indegree_without_autapses_and_multapses():
    net = _net()
    net.connect("A", "A", FixedIndegree(299, allow_autapses=False, allow_multapses=False))
    c = _conns(net)
    assert np.all(c["source"] != c["target"])
    pairs = c["source"] * 1000 + c["target"]
    assert np.unique(pairs).size == pairs.size == 300 * 299


def test_fixed_indegree_multapses_occur_when_allowed():
    net = _net(n_src=20, n_tgt=10)
    net.connect("A", "B", FixedIndegree(20))
    c = _conns(net)
    pairs = c["source"] * 1000 + c["target"]
    assert np.unique(pairs).size < pairs.size


def test_fixed_outdegree_exact():
    net = _net()
    net.connect("A", "B", FixedOutdegree(40, allow_multapses=False))
    c = _conns(net)
    assert np.all(np.bincount(c["source"], minlength=300) == 40)
    pairs = c["source"] * 1000 + c["target"]
    assert np.unique(pairs).size == pairs.size
    indeg = np.bincount(c["target"] - 300, minlength=200)
    mean = 300 * 40 / 200
    assert abs(indeg.mean() - mean) < 1e-9
    assert ((indeg - mean) ** 2 / mean).sum() < 199 + 4 * np.sqrt(2 * 199)


def test_pairwise_bernoulli_count_within_4_sigma():
    p = 0.1
    net = _net()
    net.connect("A", "B", PairwiseBernoulli(p))
    c = _conns(net)
    n_pairs = 300 * 200
    assert abs(c["source"].size - n_pairs * p) < 4 * np.sqrt(n_pairs * p * (1 - p))
    pairs = c["source"] * 1000 + c["target"]
    assert np.unique(pairs).size == pairs.size  # never multapses


def test_pairwise_bernoulli_autapses_and_extremes():
    net = _net()
    net.connect("A", "A", PairwiseBernoulli(1.0, allow_autapses=False), name="full")
    net.connect("A", "B", PairwiseBernoulli(0.0), name="none")
    assert _conns(net, "full")["source"].size == 300 * 299
    assert _conns(net, "none")["source"].size == 0


def test_fixed_total_number_exact():
    net = _net()
    net.connect("A", "B", FixedTotalNumber(5000), name="multi")
    net.connect(
        "A",
        "A",
        FixedTotalNumber(20000, allow_autapses=False, allow_multapses=False),
        name="unique",
    )
    assert _conns(net, "multi")["source"].size == 5000
    c = _conns(net, "unique")
    assert c["source"].size == 20000
    assert np.all(c["source"] != c["target"])
    assert np.unique(c["source"] * 1000 + c["target"]).size == 20000
    # targets of the multapse-allowed rule: multinomial with equal probabilities
    indeg = np.bincount(_conns(net, "multi")["target"] - 300, minlength=200)
    mean = 5000 / 200
    assert ((indeg - mean) ** 2 / mean).sum() < 199 + 4 * np.sqrt(2 * 199)


def test_one_to_one_and_all_to_all():
    net = _net(n_src=50, n_tgt=50)
    net.connect("A", "B", OneToOne(), name="o2o")
    net.connect("A", "A", AllToAll(allow_autapses=False), name="a2a")
    c = _conns(net, "o2o")
    assert np.array_equal(np.sort(c["target"] - c["source"]), np.full(50, 50))
    c = _conns(net, "a2a")
    assert c["source"].size == 50 * 49 and np.all(c["source"] != c["target"])


@pytest.mark.parametrize(
    "dist, mean, var",
    [
        (Normal(2.0, 0.5), 2.0, 0.25),
        (Uniform(1.0, 3.0), 2.0, 4.0 / 12.0),
        (
            LogNormal(0.5, 0.25),
            np.exp(0.5 + 0.25**2 / 2),
            (np.exp(0.25**2) - 1) * np.exp(2 * 0.5 + 0.25**2),
        ),
    ],
)
def test_drawn_weight_moments(dist, mean, var):
    net = _net()
    net.connect("A", "B", FixedIndegree(100), weight=dist, delay=1.0)
    w = _conns(net)["weight"]
    n = w.size
    assert abs(w.mean() - mean) < 4 * np.sqrt(var / n)
    assert abs(w.var() - var) < 4 * var * np.sqrt(2.0 / (n - 1)) * 1.5


def test_normal_clipping_and_drawn_delays_on_grid():
    net = _net()
    net.connect(
        "A",
        "B",
        FixedIndegree(100),
        weight=Normal(0.0, 1.0, low=-0.5, high=0.5),
        delay=Uniform(0.1, 5.0),
    )
    c = _conns(net)
    assert c["weight"].min() >= -0.5 and c["weight"].max() <= 0.5
    assert np.mean(c["weight"] == 0.5) > 0.25  # clipped mass P(x > 0.5) ~ 0.31
    steps = c["delay"] / 0.1
    assert np.allclose(steps, np.round(steps)) and steps.min() >= 1 and steps.max() <= 50
    assert np.unique(np.round(steps)).size == 50


def test_connectivity_depends_on_seed_only():
    def conns(seed):
        net = _net(seed=seed)
        net.connect("A", "B", FixedIndegree(30), weight=Normal(1.0, 0.1), delay=1.0)
        c = _conns(net)
        order = np.lexsort((c["source"], c["target"]))
        return c["source"][order], c["target"][order], c["weight"][order]

    a, b, c = conns(1), conns(1), conns(2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_from_list_synapses_values_and_serialisation():
    import json

    from distsim import FromList

    net = _net(n_src=5, n_tgt=4)
    src, tgt = [0, 1, 4, 4, 0, 2], [3, 0, 1, 3, 2, 3]
    weights, delays = [1.0, -2.0, 3.0, 4.0, 5.0, 6.5], [1.0, 1.5, 2.0, 1.0, 0.3, 9.9]
    net.connect("A", "B", FromList(src, tgt), weight=weights, delay=delays)
    expected = sorted(zip(src, tgt, weights, delays))
    for n in (net, Network.from_dict(json.loads(json.dumps(net.to_dict())))):
        c = _conns(n)
        got = sorted(
            zip(
                c["source"].tolist(),
                (c["target"] - 5).tolist(),
                c["weight"].tolist(),
                np.round(c["delay"], 6).tolist(),
            )
        )
        assert got == expected
    # the union over two ranks' parts is the list, each synapse once
    from distsim.comm import DryRunContext

    parts = [Simulation(net, DryRunContext(2, r)).connections() for r in range(2)]
    assert sum(p["source"].size for p in parts) == len(src)


def test_from_list_errors_name_the_problem():
    from distsim import FromList
    from distsim.errors import ConnectionRuleError, NetworkError

    net = _net(n_src=5, n_tgt=4)
    with pytest.raises(ConnectionRuleError, match="target index 4, outside population 'B'"):
        net.connect("A", "B", FromList([0, 1], [0, 4]))
    with pytest.raises(ConnectionRuleError, match="2 sources but 1 targets"):
        FromList([0, 1], [0])
    with pytest.raises(NetworkError, match="3 values .* for 2 listed synapses"):
        net.connect("A", "B", FromList([0, 1], [0, 1]), weight=[1.0, 2.0, 3.0])
    with pytest.raises(NetworkError, match="needs the from_list rule"):
        net.connect("A", "B", FixedIndegree(2), weight=[1.0, 2.0])
    with pytest.raises(Exception, match="shorter than one step"):
        net.connect("A", "B", FromList([0, 1], [0, 1]), delay=[1.0, 0.01])


def test_long_drawn_delays_widen_the_delay_type_and_match_across_partitions():
    """Delays beyond 255 steps are stored as uint16 (the projection is placed again when a
    drawn delay does not fit uint8); every partition holds the same synapses."""
    from distsim.comm import DryRunContext

    def net():
        n = _net()
        n.connect(
            "A", "B", FixedTotalNumber(4000), weight=Normal(1.0, 0.5), delay=Uniform(0.1, 40.0)
        )
        n.connect("B", "A", FixedIndegree(20), weight=-1.0, delay=Normal(2.0, 1.0, low=0.1))
        return n

    def rows(sims):
        c = [s.connections() for s in sims]
        a = np.concatenate(
            [
                np.stack([x["source"], x["target"], x["weight"], np.round(x["delay"] / 0.1)], 1)
                for x in c
            ]
        )
        return a[np.lexsort(a.T[::-1])]

    one = Simulation(net())
    assert one.table.syn_delay.dtype == np.uint16 and one.table.max_delay > 255
    split = [Simulation(net(), DryRunContext(3, r)) for r in range(3)]
    assert np.array_equal(rows([one]), rows(split))
    assert rows([one])[:, 3].max() == one.table.max_delay


def _relay(n):
    """A (n neurons, driven to spike at about 4.7 ms) -> B (n) one to one, by two
    projections of 10 mV each (one fixed weight and delay, one drawn): B spikes 1 ms after A
    only when both arrive."""
    net = Network(dt=0.1, seed=5)
    net.add_population("A", "iaf_psc_delta", n, {"I_e": 1000.0})
    net.add_population("B", "iaf_psc_delta", n)
    net.connect("A", "B", OneToOne(), weight=10.0, delay=1.0)
    net.connect("A", "B", OneToOne(), weight=Normal(10.0, 0.001), delay=Uniform(0.96, 1.04))
    net.record_spikes("A")
    net.record_spikes("B")
    return net


@pytest.mark.parametrize("threads", [1, 2])
def test_targets_stored_relative_to_their_population_reach_beyond_uint16(threads):
    """One rank of 80,000 neurons whose target population has 40,000 stores uint16 targets,
    offsets from the population's first local neuron (connectivity.SEG_BASE): the synapses
    reach B's neurons up to local index 79,999, on one rank and one or two threads as on
    two ranks; a target population of 70,000 neurons on a rank needs uint32, of 46,667 not."""
    from distsim.comm import DryRunContext
    from distsim.connectivity import rank_target_dtypes
    from partition.balancers import block

    sim = Simulation(_relay(40_000), threads=threads)
    assert sim.table.syn_target.dtype == np.uint16 and sim.n_local == 80_000
    sim.run(8.0)
    t_a, g_a = sim.spikes("A")
    t_b, g_b = sim.spikes("B")
    assert g_a.size == g_b.size == 40_000
    assert np.array_equal(g_b, g_a + 40_000) and np.allclose(t_b, t_a + 1.0)
    c = sim.connections()
    assert np.array_equal(np.sort(c["target"] - c["source"]), np.full(80_000, 40_000))
    split = [Simulation(_relay(40_000), DryRunContext(2, r)).connections() for r in range(2)]
    assert sorted(zip(c["source"], c["target"])) == sorted(
        (s, t) for x in split for s, t in zip(x["source"], x["target"])
    )
    big = _relay(70_000)
    assert rank_target_dtypes(big, block(big, 1)) == [np.uint32]
    assert rank_target_dtypes(big, block(big, 2)) == [np.uint16, np.uint32]  # (B on rank 1)
    assert rank_target_dtypes(big, block(big, 3)) == [np.uint16] * 3
