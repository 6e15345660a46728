"""The classic STDP window, from distsim runs of NEST's window cases (tests/data/
nest_stdp.json), and the errors of plastic synapses."""

import math

import numpy as np
import pytest
from test_stdp_nest import CASES, build

from distsim import Network, Simulation
from distsim.errors import ModelError, NetworkError


@pytest.mark.parametrize(
    "name, d", [("stdp_window_additive_d1", 1.0), ("stdp_window_multiplicative_d5", 5.0)]
)
def test_classic_window(name, d):
    """One pairing per synapse, post - pre = delta: potentiation for delta > -d (the synapse
    sees the post spike d late), depression for delta < -d, none at -d, decaying on
    tau_plus = tau_minus = 20 ms away from -d."""
    case = CASES[name]
    net, order = build(case)
    sim = Simulation(net)
    sim.run(case["t_sim"])
    w = np.empty(len(order))
    for proj in net.projections:
        if proj.synapse is not None:
            c = sim.connections(proj.name)
            w[c["source"]] = c["weight"]
    delta = np.array(case["window"]["delta_t"])
    dw = w - np.array([s["weight"] for s in case["synapses"]])
    assert np.allclose(dw, case["window"]["dw"], rtol=1e-9, atol=1e-12)
    after, before = delta > -d + 1e-9, delta < -d - 1e-9
    assert (dw[after] > 0).all() and (dw[before] < 0).all()
    assert np.all(dw[np.abs(delta + d) < 1e-9] == 0.0)
    if name.endswith("additive_d1"):  # lambda Wmax exp(-|delta + d| / 20)
        assert np.allclose(dw[after], math.e ** (-(delta[after] + d) / 20.0), rtol=1e-9)
        assert np.allclose(dw[before], -(math.e ** ((delta[before] + d) / 20.0)), rtol=1e-4)
    order_after = np.argsort(delta[after])
    assert np.all(np.diff(dw[after][order_after]) < 0)  # decays with the lag


def test_plastic_synapse_errors():
    net = Network()
    net.add_population("a", "iaf_psc_delta", 2)
    net.add_population("l", "loihi_cuba_lif", 2)
    with pytest.raises(ModelError, match="stdp_synapse has no parameter 'tau'"):
        net.connect("a", "a", "all_to_all", synapse={"synapse_model": "stdp_synapse", "tau": 3})
    with pytest.raises(ModelError, match="needs a target model with tau_minus"):
        net.connect("a", "l", "all_to_all", synapse="stdp_synapse")
    with pytest.raises(ModelError, match="must have the sign of Wmax = 100.0"):
        net.connect("a", "a", "all_to_all", weight=-1.0, synapse="stdp_synapse")
    with pytest.raises(NetworkError, match="receptor_type 1 exists on parrot_neuron targets"):
        net.connect("a", "a", "all_to_all", synapse="stdp_synapse", receptor_type=1)


@pytest.mark.parametrize("ranks_after", [1, 3])
def test_checkpoint_restores_plastic_state_exactly(tmp_path, ranks_after):
    """Weights, traces and histories survive a checkpoint onto another partition: the
    continued run equals an uninterrupted one, spike for spike and weight for weight."""
    from distsim import FixedIndegree
    from distsim.comm import DryRunContext

    def make():
        net = Network(dt=0.1, seed=4)
        net.add_population("E", "iaf_psc_delta", 150, {"V_m": -65.0, "tau_minus": 25.0})
        net.connect(
            "E",
            "E",
            FixedIndegree(20),
            weight=1.0,
            delay=1.5,
            synapse={
                "synapse_model": "stdp_synapse",
                "lambda": 0.05,
                "Wmax": 3.0,
                "mu_plus": 0.0,
                "mu_minus": 0.0,
            },
        )
        net.add_poisson_input("E", rate=15000.0, weight=0.15)
        net.record_spikes("E")
        return net

    full = Simulation(make())
    full.run(120.0)
    part = Simulation(make())
    part.run(70.0)
    part.checkpoint(str(tmp_path / "ck.zarr"))
    if ranks_after == 1:
        back = Simulation.restore(str(tmp_path / "ck.zarr"))
        back.run(50.0)
        got = back.connections()
        steps = np.concatenate((part.spike_steps()[0], back.spike_steps()[0]))
        assert np.array_equal(np.sort(steps), np.sort(full.spike_steps()[0]))
    else:  # the state lands on 3 pretended ranks: every weight exactly once
        parts = [
            Simulation.restore(str(tmp_path / "ck.zarr"), DryRunContext(3, r)).connections()
            for r in range(3)
        ]
        got = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        full = part
    want = full.connections()

    def key(c):
        return np.lexsort((c["weight"], c["target"], c["source"], c["projection"]))

    assert np.array_equal(got["weight"][key(got)], want["weight"][key(want)])
    assert not np.allclose(want["weight"], np.round(want["weight"], 1))  # weights did change


def test_every_plastic_model_round_trips():
    """Each plastic model survives to_spec -> synapse_from_spec, and its kernel row carries
    its weight rule first and its pairing scheme last."""
    from distsim.kernels.plasticity import C_PAIRING, N_RULE_PAR
    from distsim.models.synapses import SYNAPSES, synapse_from_spec

    assert {
        "stdp_nn_symm_synapse",
        "stdp_nn_pre_centered_synapse",
        "stdp_nn_restr_synapse",
        "stdp_triplet_nn_synapse",
    } <= set(SYNAPSES)
    for name, cls in SYNAPSES.items():
        obj = synapse_from_spec(name, "test")
        assert type(obj) is cls and synapse_from_spec(obj.to_spec(), "test") == obj
        row = obj.rule_row()
        assert row.shape == (N_RULE_PAR,) and row[0] == cls.kind and row[C_PAIRING] == cls.pairing
    with pytest.raises(ModelError, match="stdp_nn_restr_synapse has no parameter 'Kplus'"):
        synapse_from_spec({"synapse_model": "stdp_nn_restr_synapse", "Kplus": 1.0}, "test")


def test_rules_with_per_synapse_state_after_other_plastic_projections():
    """Per-synapse state (dopamine eligibility, pre-centred K+) is allocated for every
    plastic projection when any rule needs it, not only when the first one does: a
    dopamine and a pre-centred projection after a plain STDP one run and learn."""
    from distsim import FixedIndegree, Network, Simulation

    net = Network(dt=0.1, seed=4)
    net.add_population("P", "parrot_neuron", 20)
    net.add_population(
        "S",
        "spike_source",
        20,
        {"spike_times": [[float(5 + 7 * i + 3 * k) for k in range(25)] for i in range(20)]},
    )
    net.add_population("dopa", "spike_source", 1, {"spike_times": [[30.0, 90.0, 150.0]]})
    net.add_population("T", "iaf_psc_alpha", 10, {"I_e": 370.0})
    net.connect("S", "P", FixedIndegree(1), weight=1.0, delay=1.0)
    stdp = {"synapse_model": "stdp_synapse", "lambda": 0.05, "Wmax": 200.0}
    net.connect("P", "T", FixedIndegree(5), weight=50.0, delay=1.0, synapse=stdp)
    net.connect(
        "P",
        "T",
        FixedIndegree(5),
        weight=50.0,
        delay=1.0,
        synapse={"synapse_model": "stdp_dopamine_synapse", "vt": "dopa", "Wmax": 200.0},
    )
    net.connect(
        "P",
        "T",
        FixedIndegree(5),
        weight=50.0,
        delay=1.0,
        synapse={"synapse_model": "stdp_nn_pre_centered_synapse", "lambda": 0.05, "Wmax": 200.0},
    )
    sim = Simulation(net)
    sim.run(200.0)
    for name in ("P->T", "P->T#2", "P->T#3"):
        w = sim.connections(name)["weight"]
        assert w.size == 50 and np.all(np.isfinite(w)) and np.any(w != 50.0), name
