"""Short-term plasticity (tsodyks2_synapse, tsodyks_synapse; kernels/short_term.py) against
NEST 3.10 (tests/data/nest_short_term.json, made by ``scripts/nest_reference.py --set
short_term``): the synaptic currents a never-firing iaf_psc_exp target receives, to 1e-9 pA,
through bursts and pauses; the state after the run; checkpoints, threads, and the rules."""

import json
from pathlib import Path

import numpy as np
import pytest

from distsim import FixedIndegree, FromList, Network, Simulation, Uniform
from distsim.errors import ModelError
from distsim.models.synapses import SYNAPSES

DATA = json.loads((Path(__file__).parents[1] / "data" / "nest_short_term.json").read_text())
CASES = {c["name"]: c for c in DATA["cases"]}


def simulate(case):
    net = Network(dt=DATA["dt"], seed=1)
    trains = case["spike_trains"]
    net.add_population("G", "spike_source", len(trains), {"spike_times": trains})
    net.add_population("P", "parrot_neuron", len(trains))
    net.add_population("N", case["target_model"], 1, case["target_params"])
    net.connect("G", "P", "one_to_one", weight=1.0, delay=case["parrot_delay"])
    conns = case["connections"]
    net.connect(
        "P",
        "N",
        FromList([c["source"] for c in conns], [0] * len(conns)),
        weight=[c["weight"] for c in conns],
        delay=[c["delay"] for c in conns],
        synapse={"synapse_model": case["synapse_model"], **case["syn_spec"]},
    )
    # the other model too, between two neurons of their own: one compiled plan for all cases
    other = {"tsodyks2_synapse": "tsodyks_synapse", "tsodyks_synapse": "tsodyks2_synapse"}
    net.add_population("Q", "parrot_neuron", 1)
    net.add_population("R", case["target_model"], 1)
    net.connect("Q", "R", "all_to_all", weight=1.0, delay=1.0, synapse=other[case["synapse_model"]])
    net.record_state("N", ["I_syn_ex", "I_syn_in", "V_m"], interval=DATA["dt"])
    sim = Simulation(net)
    sim.run(case["t_sim"])
    return sim


def test_reference_covers_both_models():
    assert {c["synapse_model"] for c in DATA["cases"]} == {"tsodyks2_synapse", "tsodyks_synapse"}
    assert DATA["nest_version"].startswith("3.10")


@pytest.mark.parametrize("name", sorted(CASES))
def test_currents_match_nest(name):
    case = CASES[name]
    states = simulate(case).states()
    n = len(case["record"]["times"])
    for var in ("I_syn_ex", "I_syn_in", "V_m"):
        ref = np.array(case["record"][var])
        err = np.max(np.abs(states[var][:n, 0] - ref))
        assert err < 1e-9, f"{var}: max deviation {err} from NEST"
    assert np.max(np.abs(case["record"]["I_syn_ex"] + np.array(case["record"]["I_syn_in"]))) > 1.0


@pytest.mark.parametrize("name", sorted(CASES))
def test_state_after_the_run_is_nests(name):
    """The segment's state (kernels/short_term.py) equals each NEST synapse's x, u (and y)."""
    case = CASES[name]
    sim = simulate(case)
    arr = sim.plasticity.arrays
    names = ("x", "u") if case["synapse_model"] == "tsodyks2_synapse" else ("x", "y", "u")
    state = arr.pl_state[:, : len(names)]
    segs = np.flatnonzero(arr.seg_plastic >= 0)  # plastic segments, their rows of pl_state
    sources = sim.table.row_gid[np.searchsorted(sim.table.seg_ptr, segs, side="right") - 1]
    first_parrot = sim.network.populations["P"].first_gid
    for c in case["connections"]:
        row = state[arr.seg_plastic[segs[sources == first_parrot + c["source"]][0]]]
        want = [c["state_after"][k] for k in names]
        assert np.allclose(row, want, rtol=0, atol=1e-12), (c, row)


def _network(stp):
    """Conductance-based, adaptive and Hodgkin-Huxley neurons coupled through both
    short-term rules with parameters ``stp`` (the models and rules of
    tests/mpi/networks.conductance_stp: the same compiled plan)."""
    net = Network(dt=0.1, seed=9)
    net.add_population("E", "aeif_cond_alpha", 120, {"V_m": Uniform(-70.0, -55.0), "I_e": 400.0})
    net.add_population("I", "iaf_cond_exp", 30, {"V_m": -60.0})
    net.add_population("H", "hh_psc_alpha", 10, {"I_e": 800.0})
    fac = {"synapse_model": "tsodyks2_synapse", **stp}
    dep = {"synapse_model": "tsodyks_synapse", **stp}
    net.connect("E", "E", FixedIndegree(16), weight=4.0, delay=1.5, synapse=fac)
    net.connect("E", "I", FixedIndegree(16), weight=6.0, delay=Uniform(0.5, 2.0), synapse=dep)
    net.connect("I", "E", FixedIndegree(8), weight=-3.0, delay=1.0)
    net.connect("E", "H", FixedIndegree(10), weight=30.0, delay=1.0, synapse=fac)
    net.add_poisson_input("E", rate=10000.0, weight=3.0, delay=1.0)
    net.record_spikes("E")
    net.record_spikes("I")
    return net


def test_checkpoint_and_threads_keep_the_state(tmp_path):
    """A run split by a checkpoint equals an uninterrupted one, and 2 threads give the same
    spikes; the short-term state matters (other parameters give other spikes)."""
    stp = {"U": 0.4, "tau_rec": 300.0, "tau_fac": 50.0}
    full = Simulation(_network(stp))
    full.run(150.0)
    part = Simulation(_network(stp))
    part.run(80.0)
    part.checkpoint(str(tmp_path / "ck.zarr"))
    back = Simulation.restore(str(tmp_path / "ck.zarr"))
    back.run(70.0)
    steps = np.sort(np.concatenate((part.spike_steps()[0], back.spike_steps()[0])))
    assert steps.size > 500
    assert np.array_equal(steps, np.sort(full.spike_steps()[0]))
    threads = Simulation(_network(stp), threads=2)
    threads.run(150.0)
    assert threads.digest() == full.digest()
    other = Simulation(_network({**stp, "tau_rec": 30.0}))
    other.run(150.0)
    assert other.digest() != full.digest()


def test_targets_keep_no_spike_history():
    """Short-term rules read no postsynaptic spikes: their targets archive none."""
    sim = Simulation(_network({}))
    assert not sim.plasticity.arrays.n_in.any()
    assert not sim.plasticity.remote_may_wait


@pytest.mark.parametrize(
    "spec, rule",
    [
        ({"synapse_model": "tsodyks2_synapse", "U": 1.5}, "outside \\[0, 1\\]"),
        ({"synapse_model": "tsodyks2_synapse", "tau_fac": -1.0}, "0 switches it off"),
        ({"synapse_model": "tsodyks_synapse", "tau_rec": 0.0}, "tau_rec = 0.0 ms is not positive"),
        ({"synapse_model": "tsodyks_synapse", "tau_psc": 5.0, "tau_rec": 5.0}, "divides by zero"),
    ],
)
def test_rules_give_clear_errors(spec, rule):
    net = Network(dt=0.1)
    net.add_population("E", "iaf_psc_exp", 2)
    with pytest.raises(ModelError, match=rule):
        net.connect("E", "E", "all_to_all", weight=1.0, delay=1.0, synapse=spec)


def test_defaults_are_nests():
    for case in DATA["cases"]:
        if case["syn_spec"]:
            continue
        ours = SYNAPSES[case["synapse_model"]]()
        for k in ("U", "u", "x", "y", "tau_rec", "tau_fac", "tau_psc"):
            if hasattr(ours, k):
                assert getattr(ours, k) == case["nest_defaults"][k], (case["synapse_model"], k)
