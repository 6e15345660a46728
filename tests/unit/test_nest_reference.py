"""Single neurons against NEST 3.10 (tests/data/nest_single_neuron.json, made by
scripts/nest_reference.py): membrane traces to 1e-9 mV and identical spike times."""

import json
from pathlib import Path

import numpy as np
import pytest

from distsim import Network, Simulation

DATA = json.loads((Path(__file__).parents[1] / "data" / "nest_single_neuron.json").read_text())
CASES = {c["name"]: c for c in DATA["cases"]}


def simulate(case, dt, companions=(), model=None, params=None, rename=None):
    """States and spike times of the case's neuron; ``companions``: models of one unconnected
    neuron each beside it (so that cases of several models share one compiled plan).
    ``model``, ``params`` and ``rename`` (the model's name of a recorded variable) run the
    case on another model than the reference's."""
    rename = rename or {}
    net = Network(dt=dt, seed=1)
    net.add_population("N", model or case["model"], 1, case["params"] if params is None else params)
    for k, model in enumerate(companions):
        net.add_population(f"C{k}", model, 1)
    for k, inp in enumerate(case["inputs"]):
        net.add_population(f"S{k}", "spike_source", 1, {"spike_times": [inp["spike_times"]]})
        net.connect(f"S{k}", "N", "all_to_all", weight=inp["weight"], delay=inp["delay"])
    for dc in case["dc"]:
        net.add_dc_input(
            "N", dc["amplitude"], start=dc["start"], stop=dc["stop"], delay=dc["delay"]
        )
    variables = [rename.get(v, v) for v in case["record"] if v != "times"]
    net.record_state("N", variables, interval=dt)
    net.record_spikes("N")
    sim = Simulation(net)
    sim.run(case["t_sim"])
    return sim.states(), sim.spikes()[0]


def test_reference_covers_every_neuron_model():
    assert {c["model"] for c in DATA["cases"]} == {
        "iaf_psc_delta",
        "iaf_psc_exp",
        "iaf_psc_alpha",
        "izhikevich",
    }
    assert DATA["nest_version"].startswith("3.10")


@pytest.mark.parametrize("name", sorted(CASES))
def test_trace_and_spikes_match_nest(name):
    case = CASES[name]
    states, spikes = simulate(case, DATA["dt"])
    ref_t = np.array(case["record"]["times"])
    n = ref_t.size
    assert np.allclose(states["times"][:n], ref_t, rtol=0, atol=1e-9)
    for var, ref in case["record"].items():
        if var == "times":
            continue
        got = states[var][:n, 0]
        err = np.max(np.abs(got - np.array(ref)))
        assert err < 1e-9, f"{var}: max deviation {err} from NEST"
    ref_spikes = np.array(case["spike_times"])
    assert len(ref_spikes) > 0
    assert np.array_equal(np.round(spikes / DATA["dt"]), np.round(ref_spikes / DATA["dt"]))


def izhikevich_published(v, u, a, b, c, d, i_e, h, inputs, steps, consistent):
    """Izhikevich (2003), written from the paper: dv/dt = 0.04 v^2 + 5 v + 140 - u + I,
    du/dt = a (b v - u); v >= 30 mV: v <- c, u <- u + d.  ``inputs[k]`` is the synaptic input
    arriving in step k: a jump of v (forward Euler) or, in the paper's own scheme (two half
    steps of v, then u from the new v), part of the current I as in the paper's code."""
    trace, spikes = [], []
    for k in range(1, steps + 1):
        jump = inputs.get(k, 0.0)
        if consistent:
            dv = 0.04 * v * v + 5.0 * v + 140.0 - u + i_e
            du = a * (b * v - u)
            v, u = v + h * dv + jump, u + h * du
        else:
            for _ in range(2):
                v += h / 2.0 * (0.04 * v * v + 5.0 * v + 140.0 - u + i_e + jump)
            u += h * a * (b * v - u)
        if v >= 30.0:
            spikes.append(k)
            v, u = c, u + d
        trace.append(v)
    return np.array(trace), spikes


@pytest.mark.parametrize("consistent", [True, False])
def test_izhikevich_against_published_equations(consistent):
    dt = 0.1
    net = Network(dt=dt)
    params = {
        "a": 0.02,
        "b": 0.2,
        "c": -50.0,
        "d": 2.0,
        "I_e": 10.0,
        "V_m": -70.0,
        "U_m": -14.0,
        "consistent_integration": consistent,
    }
    net.add_population("N", "izhikevich", 1, params)
    net.add_population("S", "spike_source", 1, {"spike_times": [[20.0, 20.1, 55.0]]})
    net.connect("S", "N", "all_to_all", weight=4.0, delay=1.0)
    net.record_state("N", ["V_m"], interval=dt)
    net.record_spikes("N")
    sim = Simulation(net)
    sim.run(200.0)
    trace, spikes = izhikevich_published(
        -70.0,
        -14.0,
        0.02,
        0.2,
        -50.0,
        2.0,
        10.0,
        dt,
        {210: 4.0, 211: 4.0, 560: 4.0},
        2000,
        consistent,
    )
    assert len(spikes) > 3
    assert np.max(np.abs(sim.states()["V_m"][:, 0] - trace)) < 1e-9
    assert list(np.round(sim.spikes()[0] / dt).astype(int)) == spikes
