"""All-to-all STDP with one delay per segment reads its targets' newest spikes from their
views (kernels/plasticity.py, _stdp_view); with delays drawn per synapse the same rules read
the histories (_stdp_deliver).  Both must give the same bits, the same spike histories
(pruning follows the reads the views count) and the same spikes, also when a synapse pairs
with up to three spikes from the view, with four or more from the history, and for
multapses."""

import numpy as np
import pytest

from distsim import Network, Simulation
from distsim.kernels.plasticity import H_LEN


def run(model, per_synapse_delays, split):
    net = Network(dt=0.1, seed=5)
    rng = np.random.default_rng(0)
    # slow, irregular inputs and fast outputs: between two input spikes 0 to 10+ post spikes
    net.add_population(
        "in",
        "spike_source",
        120,
        {
            "spike_times": [
                np.unique(rng.integers(1, 4000, rng.integers(3, 40))) * 0.1 for _ in range(120)
            ]
        },
    )
    net.add_population("out", "iaf_psc_alpha", 12, {"I_e": list(np.linspace(360.0, 900.0, 12))})
    delay = (
        {"distribution": "uniform", "low": 1.5, "high": 1.5 + 1e-9} if per_synapse_delays else 1.5
    )
    spec = {"synapse_model": model}
    if model == "stdp_synapse":
        spec.update({"mu_plus": 0.4, "mu_minus": 0.7, "Wmax": 400.0, "alpha": 1.1})
    net.connect(
        "in",
        "out",
        {"rule": "fixed_indegree", "indegree": 150},
        weight=100.0,
        delay=delay,
        synapse=spec,
    )
    net.record_spikes("out")
    sim = Simulation(net)
    for t in split:
        sim.run(t)
    c = sim.connections("in->out")
    order = np.lexsort((c["weight"], c["target"], c["source"]))
    return (
        sim,
        c["weight"][order],
        sim.spikes("out"),
        sim.plasticity.arrays.hist[:, 0, H_LEN].copy(),
    )


@pytest.mark.parametrize("model", ["stdp_pl_synapse_hom", "stdp_synapse"])
def test_view_and_history_kernels_agree(model):
    view_sim, w_view, spikes_view, len_view = run(model, False, [150.0, 100.0, 150.0])
    _, w_hist, spikes_hist, len_hist = run(model, True, [400.0])
    assert view_sim.plasticity.arrays.seg_plastic.max() >= 0
    assert view_sim.table.seg[0, 2] > 0  # one delay
    assert w_view.tobytes() == w_hist.tobytes()
    assert np.array_equal(len_view, len_hist)  # pruned alike: the same reads were counted
    for a, b in zip(spikes_view, spikes_hist):
        assert np.array_equal(a, b)
    assert not np.all(w_view == 100.0)
    # the run exercises 0 .. 3 pairings from the view and 4 or more from the history
    times, gids = spikes_view
    c = view_sim.connections("in->out")
    first = view_sim.network.populations["in"].first_gid
    pre = view_sim.network.populations["in"].model.spike_times
    counts = set()
    for src, tgt in set(zip(c["source"].tolist(), c["target"].tolist())):
        post = times[gids == tgt] + 1.5  # seen through the delay
        counts.update(np.histogram(post, bins=np.asarray(pre[src - first]))[0].tolist())
    assert {0, 1, 2, 3}.issubset(counts) and max(counts) >= 4
