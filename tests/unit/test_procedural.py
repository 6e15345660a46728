"""Procedural connectivity (kernels/procedural.py, simulation/procedural.py): its draws have
the distributions they stand for, the realisation does not depend on the partition or on
the ring's length, checkpoints carry the far queue, and a procedural projection has the
statistics of a stored one of the same rule."""

import math

import numba as nb
import numpy as np
import pytest

from distsim import (
    FixedIndegree,
    FixedOutdegree,
    FixedTotalNumber,
    LogNormal,
    Network,
    Normal,
    PairwiseBernoulli,
    Simulation,
    Uniform,
)
from distsim.comm.context import DryRunContext
from distsim.distributions import draw_many
from distsim.errors import NetworkError
from distsim.kernels import procedural as kp
from distsim.modelfile import load_model_file, write_model_file
from distsim.rng import make_key
from distsim.simulation.procedural import delay_cdf, weight_spec

W_E = Normal(87.8, 8.78, low=0.0, redraw=True)
D_E = Normal(1.5, 0.75, low=0.1, redraw=True)


def _keys(n, purpose=1):
    return np.array([make_key(3, purpose, 17, g) for g in range(n)], np.uint64)


@pytest.mark.parametrize("n, p", [(10, 0.3), (1000, 0.5), (60, 0.02), (200000, 0.25)])
def test_binomial_has_the_mean_and_variance_of_its_distribution(n, p):
    draws = np.array([kp.binomial(k, 0, n, p) for k in _keys(20000)], float)
    var = n * p * (1 - p)
    assert abs(draws.mean() - n * p) < 5 * math.sqrt(var / draws.size)
    assert abs(draws.var() / var - 1) < 5 * math.sqrt(2 / draws.size)
    assert draws.min() >= 0 and draws.max() <= n


def test_binomial_histogram_matches_the_pmf():
    n, p, size = 12, 0.35, 40000
    draws = np.array([kp.binomial(k, 0, n, p) for k in _keys(size)])
    pmf = np.array([math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)])
    expected = pmf * size
    seen = np.bincount(draws, minlength=n + 1)
    keep = expected > 5
    chi2 = (((seen - expected) ** 2 / expected)[keep]).sum()
    dof = keep.sum() - 1
    assert chi2 < dof + 6 * math.sqrt(2 * dof)


def test_source_counts_are_a_multinomial_over_the_sources():
    n_src, total = 5000, 400000
    counts = kp.source_counts(9, 4, n_src, total).astype(float)
    assert counts.sum() == total
    q = 1 / n_src
    assert abs(counts.var() / (total * q * (1 - q)) - 1) < 6 * math.sqrt(2 / n_src)
    again = kp.source_counts(9, 4, n_src, total)
    assert np.array_equal(counts, again)  # a pure function of (seed, stream)


def test_block_counts_add_up_and_any_range_of_blocks_gets_the_same_counts():
    n_tgt = 5 * kp.PROC_BLOCK + 17  # six blocks, the last of 17 targets
    n_blocks = 6
    full = np.zeros(n_blocks, np.int64)
    sums = np.zeros(n_blocks)
    for g, own in ((11, -1), (12, 3), (13, n_tgt - 1)):
        for k_s in (0, 1, 300, 70000):
            kp.block_counts(5, 8, g, k_s, n_tgt, own, 0, n_blocks - 1, full)
            assert full.sum() == k_s
            for lo in range(n_blocks):
                for hi in range(lo, n_blocks):
                    part = np.zeros(n_blocks, np.int64)
                    kp.block_counts(5, 8, g, k_s, n_tgt, own, lo, hi, part)
                    assert np.array_equal(part[: hi - lo + 1], full[lo : hi + 1])
    for g in range(2000):  # the blocks' shares follow their sizes
        kp.block_counts(5, 8, g, 1000, n_tgt, -1, 0, n_blocks - 1, full)
        sums += full
    share = np.array([kp.PROC_BLOCK] * 5 + [17]) / n_tgt
    expected = 2000 * 1000 * share
    assert np.all(np.abs(sums - expected) < 6 * np.sqrt(expected) + 1)


@pytest.mark.parametrize(
    "spec",
    [
        D_E,
        Normal(0.75, 0.375, low=0.1, redraw=True),
        Normal(2.0, 1.0, low=0.1, high=3.0),  # clipped at both ends
        Normal(10.0, 5.0, low=0.1, high=14.0, redraw=True),
        Uniform(0.1, 2.35),
        1.25,
    ],
    ids=str,
)
def test_delay_tables_are_the_distribution_of_rounded_drawn_delays(spec):
    dt, size = 0.1, 200000
    k0, cdf = delay_cdf(spec, dt)
    if not hasattr(spec, "kind"):
        assert (k0, cdf.tolist()) == (int(math.floor(spec / dt + 0.5)), [1.0])
        return
    drawn = np.floor(
        draw_many(spec.kind, spec.params, _keys(size, 3), np.zeros(size, np.int64)) / dt + 0.5
    ).astype(np.int64)
    pmf = np.diff(np.r_[0.0, cdf])
    assert drawn.min() >= k0 and drawn.max() <= k0 + cdf.size - 1
    seen = np.bincount(drawn - k0, minlength=cdf.size)
    expected = pmf * size
    keep = expected > 5
    chi2 = (((seen - expected) ** 2 / expected)[keep]).sum()
    dof = max(keep.sum() - 1, 1)
    assert chi2 < dof + 6 * math.sqrt(2 * dof)
    # the guide table's search gives the first step whose cdf exceeds u
    table, guide = kp.delay_table(cdf)
    for u in np.r_[np.linspace(0, 1, 997, endpoint=False), cdf[:-1], np.nextafter(cdf[:-1], 0)]:
        got = kp.draw_delay(u, k0, 0, 0, guide.size, table, guide)
        assert got == k0 + np.searchsorted(table, u, side="right")


@pytest.mark.parametrize(
    "spec, low, high",
    [
        (W_E, 0.0, math.inf),
        (Normal(-351.2, 35.12, high=0.0, redraw=True), -math.inf, 0.0),
        (Normal(1.0, 2.0, low=0.0, high=2.5, redraw=True), 0.0, 2.5),  # inverted
        (Normal(1.0, 2.0, low=-1.0, high=4.0, redraw=True), -1.0, 4.0),  # redrawn
        (LogNormal(0.5, 0.3), 0.0, math.inf),
        (Normal(1.0, 2.0, low=0.0, high=2.5), 0.0, 2.5),  # clipped
        (Uniform(-1.0, 3.0), -1.0, 3.0),
        (87.8, 87.8, 87.8),
    ],
    ids=str,
)
def test_procedural_weights_have_their_distribution(spec, low, high):
    """The ziggurat, its redraws and the inversion of truncated normals against the
    stored synapses' draws (Box-Muller and redraws)."""
    kind, fl, largest = weight_spec(spec)
    size = 100000
    w = _weights(kind, tuple(fl), size)
    assert w.min() >= low and w.max() <= high and np.abs(w).max() <= largest
    reference = (
        draw_many(spec.kind, spec.params, _keys(size, 2), np.zeros(size, np.int64))
        if hasattr(spec, "kind")
        else np.full(size, spec)
    )
    sd = max(reference.std(), 1e-12)
    assert abs(w.mean() - reference.mean()) < 6 * sd * math.sqrt(2 / size)
    assert abs(w.std() - reference.std()) < 6 * sd * math.sqrt(1 / size) + 1e-12
    for q in (0.1, 0.5, 0.9):
        assert abs(np.quantile(w, q) - np.quantile(reference, q)) < 0.02 * sd + 1e-12


@nb.njit(cache=True)
def _weights(kind, w, size):
    out = np.empty(size)
    for m in range(size):
        out[m] = kp.draw_weight(kind, w, np.uint64(77), m)
    return out


def two_areas(ring=None, seed=11):
    """Two areas with procedural projections of every rule, stored ones beside, delays of
    ~10 ms between the areas; AE spans two blocks of targets."""
    net = Network(dt=0.1, seed=seed)
    p = {"tau_syn_ex": 0.5, "tau_syn_in": 0.5, "V_m": Normal(-58.0, 5.0)}
    for name, n in (("AE", 5000), ("AI", 200), ("BE", 300), ("BI", 80)):
        net.add_population(name, "iaf_psc_exp", n, p)
    w_i = Normal(-351.2, 35.12, high=0.0, redraw=True)
    d_i = Normal(0.75, 0.375, low=0.1, redraw=True)
    far = Normal(10.0, 5.0, low=0.1, redraw=True)
    proc = {"storage": "procedural"}
    net.connect("AE", "AE", FixedTotalNumber(150000, allow_autapses=False), W_E, D_E, **proc)
    net.connect("AE", "AI", PairwiseBernoulli(0.008), W_E, D_E, **proc)
    net.connect("AI", "AE", FixedOutdegree(300), w_i, d_i, **proc)
    net.connect("AI", "AI", FixedIndegree(20), w_i, 0.8)
    net.connect("BE", "BE", FixedTotalNumber(9000), W_E, D_E, **proc)
    net.connect("BE", "BI", FixedIndegree(30), W_E, 1.5)
    net.connect("BI", "BE", PairwiseBernoulli(0.1), w_i, d_i, **proc)
    net.connect("AE", "BE", FixedTotalNumber(6000), W_E, far, **proc)
    net.connect("BE", "AE", FixedOutdegree(60), W_E, far, **proc)
    for pop in net.populations:
        net.add_poisson_input(pop, rate=8500.0, weight=87.8, delay=1.0)
        net.record_spikes(pop)
    return net


def test_far_queue_gives_the_spikes_of_a_ring_of_every_delay():
    dense = Simulation(two_areas())
    short = Simulation(two_areas(), ring_slots=12)
    assert dense.ns > 100 and short.ns == 16  # (the stored 1.5 ms delays need 16 slots)
    dense.run(80.0)
    short.run(40.0)
    assert short.input.far_nodes[0] > 0  # input is waiting beyond the ring
    short.run(40.0)
    assert dense.counters[1] > 1000  # real activity
    assert dense.digest() == short.digest()
    assert np.array_equal(dense.neurons.st, short.neurons.st)


@pytest.mark.parametrize("save_ring, restore_ring", [(12, None), (None, 12), (12, 14)])
def test_checkpoint_keeps_the_input_in_the_far_queue(tmp_path, save_ring, restore_ring):
    whole = Simulation(two_areas())
    whole.run(60.0)
    first = Simulation(two_areas(), ring_slots=save_ring)
    first.run(30.0)
    first.checkpoint(tmp_path / "ck.zarr")
    second = Simulation.restore(tmp_path / "ck.zarr", ring_slots=restore_ring)
    second.run(30.0)
    s1, g1 = first.spike_steps()
    s2, g2 = second.spike_steps()
    from distsim import spike_digest

    assert spike_digest(np.r_[s1, s2], np.r_[g1, g2]) == whole.digest()


def _all_ranks(net, n):
    """Every rank's connections of a network built for n pretended ranks, sorted."""
    parts = [Simulation(net, DryRunContext(n, r)).connections() for r in range(n)]
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((out["delay"], out["weight"], out["target"], out["source"]))
    return {k: v[order] for k, v in out.items()}


def test_procedural_synapses_are_the_same_on_every_call_and_every_rank_count():
    net = two_areas()
    one = Simulation(net)
    first, again = one.connections(), one.connections()
    for key in first:
        assert np.array_equal(first[key], again[key])
    reference = _all_ranks(net, 1)
    for k, p in enumerate(net.projections):  # the rules that fix the number of synapses
        count = int(np.sum(reference["projection"] == k))
        if p.storage == "procedural" and isinstance(p.rule, FixedTotalNumber):
            assert count == p.rule.N
        if p.storage == "procedural" and isinstance(p.rule, FixedOutdegree):
            assert count == p.rule.outdegree * net.populations[p.source].size
    for n in (2, 3, 4):
        other = _all_ranks(net, n)
        for key in reference:
            assert np.array_equal(other[key], reference[key]), (n, key)


@pytest.mark.parametrize(
    "rule",
    [
        FixedTotalNumber(120000),
        FixedTotalNumber(120000, allow_autapses=False),
        FixedOutdegree(40),
        PairwiseBernoulli(0.01),
    ],
    ids=lambda r: f"{r.rule}-{'autapses' if r.allow_autapses else 'no-autapses'}",
)
def test_stored_and_procedural_projections_have_the_same_statistics(rule):
    """Different draws of one rule: the in- and out-degree distributions, the weights and
    the delays (in steps) agree within their sampling error."""
    n = 3000  # (one population, so autapses matter; targets in one block)
    stats = {}
    for storage in ("stored", "procedural"):
        net = Network(dt=0.1, seed=4)
        net.add_population("P", "iaf_psc_exp", n)
        net.connect("P", "P", rule, W_E, D_E, storage=storage)
        c = Simulation(net).connections()
        src, tgt = c["source"], c["target"]
        stats[storage] = {
            "total": src.size,
            "in": np.bincount(tgt, minlength=n),
            "out": np.bincount(src, minlength=n),
            "weight": c["weight"].astype(float),
            "delay": np.rint(c["delay"] / 0.1).astype(int),
            "autapses": int(np.sum(src == tgt)),
        }
    s, p = stats["stored"], stats["procedural"]
    if rule.rule != "pairwise_bernoulli":
        assert s["total"] == p["total"]
    else:
        expected = rule.p * n * n
        assert abs(p["total"] - expected) < 6 * math.sqrt(expected)
    if not rule.allow_autapses:
        assert s["autapses"] == p["autapses"] == 0
    for key in ("in", "out"):
        a, b = s[key].astype(float), p[key].astype(float)
        assert a.min() > 0 and b.min() > 0  # every neuron is reached (mean 30 to 40)
        assert abs(a.mean() - b.mean()) < 6 * math.sqrt((a.var() + b.var()) / n) + 1e-9
        if rule.rule == "fixed_outdegree" and key == "out":
            assert a.var() == b.var() == 0  # exactly the outdegree
        else:
            assert abs(b.var() / a.var() - 1) < 6 * math.sqrt(4 / n)
    ws, wp = s["weight"], p["weight"]
    assert wp.min() >= 0
    assert abs(ws.mean() - wp.mean()) < 6 * ws.std() * math.sqrt(2 / ws.size)
    assert abs(ws.std() / wp.std() - 1) < 6 * math.sqrt(1 / ws.size)
    hist_s = np.bincount(s["delay"], minlength=80)[:80].astype(float)
    hist_p = np.bincount(p["delay"], minlength=80)[:80].astype(float)
    keep = hist_s + hist_p > 10
    chi2 = ((hist_s - hist_p)[keep] ** 2 / (hist_s + hist_p)[keep]).sum()  # equal sizes
    dof = keep.sum() - 1
    if rule.rule == "pairwise_bernoulli":  # unequal sizes: compare shares instead
        fs, fp = hist_s / hist_s.sum(), hist_p / hist_p.sum()
        assert np.all(np.abs(fs - fp)[keep] < 6 * np.sqrt(fs * (1 - fs) * 2 / hist_s.sum())[keep])
    else:
        assert chi2 < dof + 6 * math.sqrt(2 * dof)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"storage": "procedual"}, ["storage 'procedual'", "did you mean 'procedural'"]),
        ({"rule": FixedIndegree(10)}, ["fixed_indegree", "storage='stored'"]),
        ({"rule": FixedTotalNumber(100, allow_multapses=False)}, ["without multapses"]),
        ({"synapse": {"synapse_model": "stdp_synapse"}}, ["plastic synapse", "storage='stored'"]),
        ({"weight": np.ones(3)}, ["a number or a distribution"]),
        ({"rule": FixedTotalNumber(2**32)}, ["2**32 - 1", "split the projection"]),
    ],
)
def test_procedural_storage_refuses_what_it_cannot_regenerate(kwargs, words):
    net = Network()
    net.add_population("A", "iaf_psc_exp", 10)
    args = {"rule": FixedTotalNumber(20), "weight": 1.0, "storage": "procedural", **kwargs}
    with pytest.raises(NetworkError) as err:
        net.connect("A", "A", args.pop("rule"), **args)
    for word in words:
        assert word in str(err.value)


def test_storage_survives_model_files_and_network_dicts(tmp_path):
    net = two_areas()
    path = tmp_path / "net.toml"
    write_model_file(net, path)
    assert 'storage = "procedural"' in path.read_text()
    for copy in (load_model_file(path), Network.from_dict(net.to_dict())):
        assert [p.storage for p in copy.projections] == [p.storage for p in net.projections]
    a, b = Simulation(net), Simulation(load_model_file(path))
    a.run(20.0)
    b.run(20.0)
    assert a.digest() == b.digest()
