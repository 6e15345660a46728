"""stdp_triplet_nn_synapse (Pfister & Gerstner 2006, minimal nearest-spike interaction).
NEST 3.10 has no such model, so it is checked against ``paper_rule`` below: the paper's
equations stepped event by event in plain Python, written independently of the kernels.
``paper_rule`` itself is first checked in its all-to-all mode against NEST's
stdp_triplet_synapse cases (tests/data/nest_stdp.json).  Weights after every presynaptic
spike, to 1e-9."""

import copy
import math

import numpy as np
import pytest
from test_stdp_nest import CASES, build, weights

from distsim import Simulation

TRIPLET = sorted(n for n, c in CASES.items() if c["synapse_model"] == "stdp_triplet_synapse")


def paper_rule(
    pre,
    post,
    w,
    d,
    tau_plus,
    tau_x,
    tau_minus,
    tau_y,
    a2p,
    a3p,
    a2m,
    a3m,
    wmax,
    nearest,
    clipped=None,
):
    """Pfister & Gerstner (2006), eqs. 1-4: traces r1 (tau_plus), r2 (tau_x) of the
    presynaptic and o1 (tau_minus), o2 (tau_y) of the postsynaptic spikes decay
    exponentially; at a spike of their neuron they grow by 1 (all-to-all) or are set to 1
    (nearest-spike).  At a postsynaptic spike w += r1 (A2+ + A3+ o2), at a presynaptic one
    w -= o1 (A2- + A3- r2), with the traces taken before the jumps of that instant; |w|
    stays in [0, |Wmax|] and w has the sign of Wmax.

    The synapse sees a postsynaptic spike d late (NEST's dendritic delay): the events are
    the presynaptic spikes at t and the postsynaptic ones at t_post + d.  Events at the
    same instant all update w (the postsynaptic one first) before any trace jumps, so a
    pre and a post spike that meet do not pair.  Returns w after each presynaptic spike;
    counts the updates clipped at |Wmax| and at 0 in ``clipped`` (a list of two)."""
    events = sorted([(t + d, 0) for t in post] + [(t, 1) for t in pre])
    r1 = r2 = o1 = o2 = 0.0
    now = 0.0
    sign = math.copysign(1.0, wmax)
    a = abs(w)
    out = []
    k = 0
    while k < len(events):
        t = events[k][0]
        kinds = set()
        while k < len(events) and abs(events[k][0] - t) < 1e-9:
            kinds.add(events[k][1])
            k += 1
        r1 *= math.exp(-(t - now) / tau_plus)
        r2 *= math.exp(-(t - now) / tau_x)
        o1 *= math.exp(-(t - now) / tau_minus)
        o2 *= math.exp(-(t - now) / tau_y)
        now = t
        if 0 in kinds:  # potentiation at the postsynaptic spike
            a = a + r1 * (a2p + a3p * o2)
            if a >= abs(wmax) and clipped is not None:
                clipped[0] += 1
            a = min(abs(wmax), a)
        if 1 in kinds:  # depression at the presynaptic spike
            a = a - o1 * (a2m + a3m * r2)
            if a <= 0.0 and clipped is not None:
                clipped[1] += 1
            a = max(0.0, a)
            out.append(sign * a)
        if 0 in kinds:
            o1, o2 = (1.0, 1.0) if nearest else (o1 + 1.0, o2 + 1.0)
        if 1 in kinds:
            r1, r2 = (1.0, 1.0) if nearest else (r1 + 1.0, r2 + 1.0)
    return out


def rule_of(case, k, nearest, clipped=None):
    s = case["synapses"][k]
    p = {**case["copy_model_params"], **s.get("params", {})}
    post = case["post"]["params"][s["post"]]
    return paper_rule(
        case["pre"]["spike_times"][s["pre"]],
        case["post"]["spike_times"][s["post"]],
        s["weight"],
        s["delay"],
        p["tau_plus"],
        p["tau_plus_triplet"],
        post["tau_minus"],
        post["tau_minus_triplet"],
        p["Aplus"],
        p["Aplus_triplet"],
        p["Aminus"],
        p["Aminus_triplet"],
        p["Wmax"],
        nearest,
        clipped,
    )


@pytest.mark.parametrize("name", TRIPLET)
def test_paper_rule_all_to_all_equals_nests_triplet(name):
    case = CASES[name]
    wr = case["weight_recorder"]
    for k, s in enumerate(case["synapses"]):
        got = rule_of(case, k, nearest=False)
        times = [t for t, j in zip(wr["times"], wr["synapse"]) if j == k]
        nest = [
            w
            for _, w in sorted(
                (t, w) for t, w, j in zip(wr["times"], wr["weights"], wr["synapse"]) if j == k
            )
        ]
        assert times == sorted(times) == case["pre"]["spike_times"][s["pre"]]
        assert np.allclose(got, nest, rtol=1e-9, atol=1e-9)
        assert abs(got[-1] - s["final"]["weight"]) <= 1e-9


def bursty_case():
    """Dense trains (pre 30 Hz with doublets, post 40 Hz with bursts) so that several spikes
    of one neuron often fall between two of the other: where nearest-spike and all-to-all
    differ most.  Two delays, an inhibitory synapse, clipping at both bounds."""
    rng = np.random.default_rng(7)

    def train(rate, burst):
        s = set(np.round(rng.uniform(20, 1980, rng.poisson(rate * 1.96)) * 10).astype(int))
        s |= {x + int(rng.integers(20, 60)) for x in list(s)[::burst]}
        return [round(x * 0.1, 1) for x in sorted(s) if x < 19900]

    case = copy.deepcopy(CASES["stdp_triplet_hippocampal"])
    case.update(name="bursty", t_sim=2000.0, weight_recorder=None)
    case["pre"]["spike_times"] = [train(30.0, 4) for _ in range(3)]
    case["post"]["spike_times"] = [train(40.0, 3) for _ in range(2)]
    case["copy_model_params"].update(
        Aplus=0.02, Aplus_triplet=0.02, Aminus=0.01, Aminus_triplet=0.005
    )
    for k, s in enumerate(case["synapses"]):
        s["delay"] = [1.0, 2.5][k % 2]
    return case


CASES_NN = {**{n: CASES[n] for n in TRIPLET}, "bursty": bursty_case()}


@pytest.mark.parametrize("name", sorted(CASES_NN))
def test_triplet_nn_equals_paper_rule(name):
    case = copy.deepcopy(CASES_NN[name])
    case["synapse_model"] = "stdp_triplet_nn_synapse"
    net, order = build(case)
    sim = Simulation(net)
    clipped = [0, 0]
    want = {k: rule_of(case, k, True, clipped) for k in range(len(case["synapses"]))}
    a2a = {k: rule_of(case, k, nearest=False) for k in range(len(case["synapses"]))}
    events = sorted(
        (t, k, i)
        for k, s in enumerate(case["synapses"])
        for i, t in enumerate(case["pre"]["spike_times"][s["pre"]])
    )
    checked = 0
    for t in sorted({e[0] for e in events}):
        sim.run(round(t / 0.1) * 0.1 - sim.t)
        now = weights(sim, case, order)
        for _, k, i in (e for e in events if e[0] == t):
            assert abs(now[k] - want[k][i]) <= 1e-9 * max(1.0, abs(want[k][i])), (name, t, k)
            checked += 1
    assert checked == len(events)
    # the test can tell the two interactions apart: they differ well above 1e-9
    worst = max(max(abs(x - y) for x, y in zip(want[k], a2a[k])) for k in want)
    assert worst > 1e-4, worst
    if name == "bursty":  # both bounds are reached
        assert min(clipped) > 0, clipped
