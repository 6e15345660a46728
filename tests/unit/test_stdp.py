"""Plastic synapses against a direct transcription of NEST's update rules (sums over spike
pairs instead of the engine's traces and histories), and the classic STDP window."""
import math

import numpy as np
import pytest

from distsim import FromList, Network, Simulation
from distsim.errors import ConfigError, ModelError


def reference(kind, p, pre, post, d, w, tau_minus=20.0, tau_minus_triplet=110.0):
    """Weight of one synapse after each presynaptic spike (NEST's semantics, models/synapses)."""
    t_last, out = 0.0, []
    for t in pre:
        for tp in post:
            if t_last - d < tp <= t - d:
                kp = sum(math.exp(-(tp + d - s) / p["tau_plus"]) for s in pre if s <= t_last)
                if kind == "stdp_synapse":
                    norm = w / p["Wmax"] + p["lambda"] * (1 - w / p["Wmax"]) ** p["mu_plus"] * kp
                    w = min(norm, 1.0) * p["Wmax"]
                elif kind == "stdp_pl_synapse_hom":
                    w = w + p["lambda"] * w ** p["mu"] * kp
                else:
                    ky = sum(math.exp(-(tp - s) / tau_minus_triplet) for s in post if s < tp)
                    w = min(w + kp * (p["Aplus"] + p["Aplus_triplet"] * ky), p["Wmax"])
        km = sum(math.exp(-(t - d - s) / tau_minus) for s in post if s < t - d)
        if kind == "stdp_synapse":
            norm = w / p["Wmax"] - p["alpha"] * p["lambda"] * (w / p["Wmax"]) ** p["mu_minus"] * km
            w = max(norm, 0.0) * p["Wmax"]
        elif kind == "stdp_pl_synapse_hom":
            w = max(w - p["lambda"] * p["alpha"] * w * km, 0.0)
        else:
            kx = sum(math.exp(-(t - s) / p["tau_plus_triplet"]) for s in pre if s < t)
            w = max(w - km * (p["Aminus"] + p["Aminus_triplet"] * kx), 0.0)
        t_last = t
        out.append(w)
    return out


CASES = {
    "stdp_synapse": {"tau_plus": 15.0, "lambda": 0.05, "alpha": 1.1, "mu_plus": 0.0,
                     "mu_minus": 0.0, "Wmax": 6.0},
    "stdp_synapse_mult": {"tau_plus": 20.0, "lambda": 0.08, "alpha": 0.9, "mu_plus": 1.0,
                          "mu_minus": 1.0, "Wmax": 4.0},
    "stdp_pl_synapse_hom": {"tau_plus": 20.0, "lambda": 0.02, "alpha": 0.6, "mu": 0.4},
    "stdp_triplet_synapse": {"tau_plus": 16.8, "tau_plus_triplet": 101.0, "Aplus": 0.05,
                             "Aminus": 0.07, "Aplus_triplet": 0.06, "Aminus_triplet": 0.002,
                             "Wmax": 8.0},
}


def _network(model, params, pre, post, delays, w0=1.5):
    """Sources -> one post neuron that fires exactly when its drive arrives (weight 100 mV);
    the plastic synapses (w <= Wmax, far below threshold spacing) do not make it fire."""
    net = Network(dt=0.1, seed=1)
    net.add_population("pre", "spike_source", len(pre), {"spike_times": pre})
    net.add_population("drive", "spike_source", 1, {"spike_times": [post]})
    net.add_population("post", "iaf_psc_delta", 1,
                       {"C_m": 1.0, "tau_m": 1.0, "V_th": -55.0, "E_L": -70.0, "V_m": -70.0,
                        "V_reset": -70.0, "t_ref": 0.0, "tau_minus": 20.0})
    net.connect("drive", "post", "all_to_all", weight=100.0, delay=0.1)
    n = len(pre)
    net.connect("pre", "post", FromList(np.arange(n), np.zeros(n, int)), weight=[w0] * n,
                delay=delays, synapse={"synapse_model": model, **params})
    net.record_spikes("post")
    return net


@pytest.mark.parametrize("case", sorted(CASES))
def test_weights_follow_nests_rules(case):
    model = case.replace("_mult", "")
    rng = np.random.default_rng(len(case))
    pre = [np.unique(rng.uniform(0.5, 800.0, 25).round(1)) for _ in range(4)]
    post_drive = np.unique(rng.uniform(0.5, 800.0, 20).round(1))
    delays = [1.0, 1.0, 2.5, 0.1]
    sim = Simulation(_network(model, CASES[case], pre, post_drive, delays))
    sim.run(850.0)
    post = sim.spikes("post")[0]
    assert np.allclose(post, post_drive + 0.1)  # the post neuron fires where it is driven
    c = sim.connections("pre->post")
    for k in range(4):
        want = reference(model, CASES[case], pre[k], post, delays[k], 1.5)[-1]
        got = c["weight"][c["source"] == k][0]
        assert abs(got - want) <= 1e-12 * max(1.0, abs(want)), (k, got, want)
    assert np.ptp(c["weight"]) > 0.01  # the synapses learned different weights


def test_classic_window():
    """One pairing: potentiation for pre before post, depression after, both decaying
    with |dt| on tau_plus and tau_minus (additive stdp_synapse); the synapse sees the post
    spike one delay (1 ms) late."""
    params = {"tau_plus": 20.0, "lambda": 0.01, "alpha": 1.0, "mu_plus": 0.0, "mu_minus": 0.0,
              "Wmax": 100.0}
    lags = [-40.0, -20.0, -5.0, 5.0, 20.0, 40.0]  # post - pre (ms)
    pre = [[100.0, 300.0]] * len(lags)  # the second pre spike applies the facilitation
    change = {}
    for k, lag in enumerate(lags):
        sim = Simulation(_network("stdp_synapse", params, [pre[k]], [100.0 + lag - 0.1],
                                  [1.0], w0=5.0))
        sim.run(400.0)
        assert sim.spikes("post")[0].size == 1  # the pairing's post spike only
        change[lag] = sim.connections("pre->post")["weight"][0] - 5.0
    for lag in (5.0, 20.0, 40.0):
        assert change[lag] == pytest.approx(100 * 0.01 * math.exp(-(lag + 1.0) / 20.0), rel=1e-9)
        assert change[-lag] == pytest.approx(-100 * 0.01 * math.exp(-(lag - 1.0) / 20.0), rel=1e-9)
    assert change[5.0] > change[20.0] > change[40.0] > 0 > change[-40.0] > change[-20.0] > change[-5.0]


def test_plastic_synapse_errors():
    net = Network()
    net.add_population("a", "iaf_psc_delta", 2)
    net.add_population("l", "loihi_cuba_lif", 2)
    with pytest.raises(ModelError, match="stdp_synapse has no parameter 'tau'"):
        net.connect("a", "a", "all_to_all", synapse={"synapse_model": "stdp_synapse", "tau": 3})
    with pytest.raises(ModelError, match="needs a target model with tau_minus"):
        net.connect("a", "l", "all_to_all", synapse="stdp_synapse")
    with pytest.raises(ModelError, match="weights must be >= 0"):
        net.connect("a", "a", "all_to_all", weight=-1.0, synapse="stdp_synapse")
    net.connect("a", "a", "all_to_all", synapse="stdp_synapse")
    with pytest.raises(ConfigError, match="plastic synapses"):
        Simulation(net).checkpoint("/tmp/never.zarr")
