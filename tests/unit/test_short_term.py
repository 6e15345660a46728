"""Short-term plasticity (tsodyks2_synapse, tsodyks_synapse; kernels/short_term.py) against
NEST 3.10 (tests/data/nest_short_term.json, made by ``scripts/nest_reference.py --set
short_term``): the synaptic currents a never-firing iaf_psc_exp target receives, to 1e-9 pA,
through bursts and pauses; the state after the run; checkpoints, threads, and the rules."""

import json
from pathlib import Path

import numpy as np
import pytest

from distsim import FixedIndegree, FromList, Network, Simulation
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
    sources = sim.table.row_gid[
        np.searchsorted(sim.table.seg_ptr, np.flatnonzero(arr.seg_plastic >= 0), side="right") - 1
    ]
    first_parrot = sim.network.populations["P"].first_gid
    for c in case["connections"]:
        row = state[np.flatnonzero(sources == first_parrot + c["source"])[0]]
        want = [c["state_after"][k] for k in names]
        assert np.allclose(row, want, rtol=0, atol=1e-12), (c, row)


def _network(synapse):
    net = Network(dt=0.1, seed=9)
    net.add_population("E", "iaf_psc_exp", 150, {"V_m": -65.0})
    net.connect("E", "E", FixedIndegree(20), weight=60.0, delay=1.5, synapse=synapse)
    net.add_poisson_input("E", rate=12000.0, weight=30.0)
    net.record_spikes("E")
    return net


@pytest.mark.parametrize("model", ["tsodyks2_synapse", "tsodyks_synapse"])
def test_checkpoint_and_threads_keep_the_state(tmp_path, model):
    """A run split by a checkpoint equals an uninterrupted one, and 2 threads give the same
    spikes; the depression matters (the static network spikes differently)."""
    synapse = {"synapse_model": model, "U": 0.4, "tau_rec": 300.0, "tau_fac": 50.0}
    full = Simulation(_network(synapse))
    full.run(150.0)
    part = Simulation(_network(synapse))
    part.run(80.0)
    part.checkpoint(str(tmp_path / "ck.zarr"))
    back = Simulation.restore(str(tmp_path / "ck.zarr"))
    back.run(70.0)
    steps = np.sort(np.concatenate((part.spike_steps()[0], back.spike_steps()[0])))
    assert steps.size > 500
    assert np.array_equal(steps, np.sort(full.spike_steps()[0]))
    threads = Simulation(_network(synapse), threads=2)
    threads.run(150.0)
    assert threads.digest() == full.digest()
    static = Simulation(_network(None))
    static.run(150.0)
    assert static.digest() != full.digest()


def test_targets_keep_no_spike_history():
    """Short-term rules read no postsynaptic spikes: their targets archive none."""
    sim = Simulation(_network("tsodyks2_synapse"))
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
