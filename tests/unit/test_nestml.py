"""Models written in NESTML (models/nestml.py, models/nestml_codegen.py): the library models
iaf_psc_exp_neuron and aeif_cond_exp_neuron of the nestml package against NEST 3.10's built-in
iaf_psc_exp and aeif_cond_exp (tests/data/nest_single_neuron.json and
nest_conductance_neurons.json, made by scripts/nest_reference.py); a model NEST lacks
(distsim/examples/data/two_compartment_adaptive.nestml) against its closed form; the cache,
model files, network descriptions, checkpoints and the errors users can cause."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_nest_reference import simulate as nest_reference_simulate

from distsim import FixedIndegree, Network, Simulation
from distsim.errors import ModelError, ModelFileError
from distsim.modelfile import load_model_file, write_model_file
from distsim.models import MODELS, equations_model, library_file, load_nestml

DATA = Path(__file__).parents[1] / "data"
EXAMPLE = (
    Path(__file__).parents[2] / "distsim" / "examples" / "data" / "two_compartment_adaptive.nestml"
)
IAF = load_nestml(library_file("iaf_psc_exp_neuron"))
# with the error control of NEST's built-in aeif models (NESTML's option): NESTML's own
# (against the solution) gives another trajectory within the solver's tolerance, 3e-3 mV here
AEIF = load_nestml(library_file("aeif_cond_exp_neuron"), step_control="derivative")
TWO = load_nestml(EXAMPLE)
# NEST's built-in names -> the NESTML library's
NAMES = {
    "t_ref": "refr_T",
    "tau_syn_ex": "tau_syn_exc",
    "tau_syn_in": "tau_syn_inh",
    "E_ex": "E_exc",
    "E_in": "E_inh",
    "I_syn_ex": "I_syn_exc",
    "I_syn_in": "I_syn_inh",
    "g_ex": "g_exc__X__exc_spikes",
    "g_in": "g_inh__X__inh_spikes",
}
SIGN = {"I_syn_in": -1.0}  # NESTML's inhibitory current is positive, NEST's negative


def cases(file, model):
    data = json.loads((DATA / file).read_text())
    return data["dt"], {c["name"]: c for c in data["cases"] if c["model"] == model}


DT_IAF, IAF_CASES = cases("nest_single_neuron.json", "iaf_psc_exp")
DT_AEIF, AEIF_CASES = cases("nest_conductance_neurons.json", "aeif_cond_exp")


def simulate(cls, case, dt, companions=(IAF, AEIF, TWO)):
    """Run a NEST reference case on the NESTML model ``cls`` (test_nest_reference.simulate):
    NEST's defaults of the built-in model (NESTML's library defaults differ, e.g. aeif's
    refractory period), then the case's parameters, by NESTML's names.  Every case has one
    neuron of each of ``companions`` (one compiled plan for the cases of all three library
    models).  Returns the traces by NEST's names, in NEST's signs, and the spike steps."""
    fields = set(cls.parameter_names())
    given = {NAMES.get(k, k): v for k, v in {**case["nest_defaults"], **case["params"]}.items()}
    others = [c.name for c in sorted(set(companions) - {cls}, key=lambda c: c.name)]
    states, spikes = nest_reference_simulate(
        case, dt, others, cls.name, {k: v for k, v in given.items() if k in fields}, NAMES
    )
    n = len(case["record"]["times"])
    recorded = [v for v in case["record"] if v != "times"]
    traces = {v: SIGN.get(v, 1.0) * states[NAMES.get(v, v)][:n, 0] for v in recorded}
    return traces, np.round(spikes / dt)


@pytest.mark.parametrize("name", ["iaf_psc_exp_spikes", "iaf_psc_exp_dc"])
def test_library_iaf_psc_exp_gives_nest_builtin_traces_and_spikes(name):
    case = IAF_CASES[name]
    traces, spikes = simulate(IAF, case, DT_IAF)
    for var, got in traces.items():
        err = np.max(np.abs(got - np.array(case["record"][var])))
        assert err < 1e-9, f"{var}: max deviation {err} from NEST's iaf_psc_exp"
    ref = np.round(np.array(case["spike_times"]) / DT_IAF)
    assert ref.size > 10 and np.array_equal(spikes, ref)


def test_singular_propagator_is_refused_with_the_parameters():
    # ODE-toolbox's propagator of V_m divides by tau_m - tau_syn_exc
    with pytest.raises(ModelError, match=r"__P__V_m__I_syn_exc is nan .*tau_syn_exc = 10.0"):
        simulate(IAF, IAF_CASES["iaf_psc_exp_singular"], DT_IAF)


@pytest.mark.parametrize("name", sorted(set(AEIF_CASES) - {"aeif_cond_exp_delta_t0"}))
def test_library_aeif_cond_exp_matches_nest_builtin_up_to_its_first_spike(name):
    """Up to its first spike, under current input alone, the NESTML model gives NEST's
    built-in trace to 1e-9 mV.  Spike input opens conductances, which NESTML propagates
    exactly at the end of each step where the built-in keeps the solver's values: the traces
    then differ by up to ~1e-5 mV.  NESTML's model tests V_m >= V_peak once per step, at its
    end (onCondition), the built-in after every step of the solver: so the first spike falls
    in the same step, later ones may fall a step or more later (each one shifts the next)."""
    case = AEIF_CASES[name]
    traces, spikes = simulate(AEIF, case, DT_AEIF)
    ref_spikes = np.round(np.array(case["spike_times"]) / DT_AEIF)
    first = int(ref_spikes[0]) - 1 if ref_spikes.size else len(case["record"]["times"])
    bound = 2e-5 if case["inputs"] else 1e-9
    for var in ("V_m", "w"):
        err = np.max(np.abs(traces[var][:first] - np.array(case["record"][var])[:first]))
        assert err < bound, f"{var}: max deviation {err} from NEST before the first spike"
    if ref_spikes.size:
        assert spikes.size and spikes[0] == ref_spikes[0]
    else:
        assert spikes.size == 0


def test_two_compartment_adaptive_threshold_follows_its_equations():
    """A model NEST's built-ins lack, integrated by RKF45: without input it rests; with a
    step of current the soma charges the dendrite and fires with growing intervals as the
    threshold adapts; its sub-threshold soma follows the closed form of the linear system."""
    net = Network(dt=0.1, seed=1)
    net.add_population("N", TWO.name, 2, {"V_s": [-70.0, -60.0], "V_d": -70.0})
    net.add_population("C0", IAF.name, 1)  # the compiled plan of the other tests
    net.add_population("C1", AEIF.name, 1)
    net.add_dc_input("N", 600.0, start=100.0, stop=400.0, neurons=[0])
    net.record_state("N", ["V_s", "V_d", "theta"], interval=0.1)
    net.record_spikes("N")
    sim = Simulation(net)
    sim.run(400.0)
    st = sim.states()
    # neuron 1 relaxes from V_s = -60: the eigen-decomposition of the 2x2 leak system
    p = dict(TWO.kernel.PARAMETERS)
    a = np.array(
        [
            [-(p["g_s"] + p["g_c"]) / p["C_s"], p["g_c"] / p["C_s"]],
            [p["g_c"] / p["C_d"], -(p["g_d"] + p["g_c"]) / p["C_d"]],
        ]
    )
    lam, vec = np.linalg.eig(a)
    coef = np.linalg.solve(vec, np.array([10.0, 0.0]))
    t = st["times"][:900] - 0.0
    closed = -70.0 + (vec @ (coef[:, None] * np.exp(np.outer(lam, t))))
    assert np.max(np.abs(st["V_s"][:900, 1] - closed[0])) < 1e-5
    assert np.max(np.abs(st["V_d"][:900, 1] - closed[1])) < 1e-5
    steps, gids = sim.spike_steps()
    fired = np.sort(steps[gids == net.populations["N"].first_gid])
    assert fired.size >= 4 and fired.min() > 1000 and np.all(gids == gids[0])
    isi = np.diff(fired)
    assert isi[-1] > isi[0]  # adaptation: the threshold climbs
    assert np.max(st["theta"][:, 0]) > p["V_th"] + p["q_theta"]


def test_generated_module_is_cached_and_needs_no_nestml(tmp_path):
    """A second process loads the cached module (no NESTML, which it cannot import here),
    and runs the model."""
    script = (
        "import sys; sys.modules['pynestml'] = None\n"
        "IAF, AEIF = 'iaf_psc_exp_neuron', 'aeif_cond_exp_neuron'\n"
        "from distsim import Network, Simulation\n"
        "from distsim.models import library_file, load_nestml\n"
        f"cls = load_nestml({str(EXAMPLE)!r})\n"
        "net = Network(dt=0.1, seed=1)\n"
        "net.add_population('N', cls.name, 1, {'I_e': 700.0})\n"
        "for k, (name, control) in enumerate(((IAF, 'solution'), (AEIF, 'derivative'))):\n"
        "    other = load_nestml(library_file(name), control)\n"
        "    net.add_population(f'C{k}', other.name, 1)  # the plan of the other tests\n"
        "net.record_spikes('N')\n"
        "sim = Simulation(net); sim.run(100.0)\n"
        "print(sim.spikes()[0].size)\n"
    )
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert int(r.stdout.split()[-1]) > 0
    assert Path(TWO.kernel.__file__).parent.name == "nestml"


def test_model_file_nestml_key_and_round_trip(tmp_path):
    (tmp_path / "net.toml").write_text(
        f'[network]\ndt = 0.1\n[defaults]\nnestml = "{EXAMPLE}"\n'
        "[populations.A]\nsize = 3\nparams = { I_e = 650.0 }\n"
        '[populations.B]\nmodel = "iaf_psc_exp"\nsize = 2\n'
        '[[projections]]\nsource = "A"\ntarget = "B"\nrule = { rule = "all_to_all" }\n'
        "weight = 20.0\ndelay = 1.0\n"
    )
    net = load_model_file(tmp_path / "net.toml")
    assert net.populations["A"].model.name == "two_compartment_adaptive"
    assert net.populations["A"].model.I_e == 650.0
    write_model_file(net, tmp_path / "out.toml")
    assert f'nestml = "{EXAMPLE}"' in (tmp_path / "out.toml").read_text()
    assert load_model_file(tmp_path / "out.toml").to_dict() == net.to_dict()
    # a network description (a checkpoint's) refuses the file once it has changed
    desc = net.to_dict()
    changed = tmp_path / "changed.nestml"
    changed.write_text(EXAMPLE.read_text().replace("4 mV", "5 mV"))
    desc["populations"][0]["nestml"]["path"] = str(changed)
    with pytest.raises(ModelError, match="has changed since the network was described"):
        Network.from_dict(desc)
    (tmp_path / "both.toml").write_text(
        '[populations.A]\nmodel = "iaf_psc_exp"\nnestml = "x.nestml"\nsize = 1\n'
    )
    with pytest.raises(ModelFileError, match="either model or nestml"):
        load_model_file(tmp_path / "both.toml")


def test_checkpoint_of_a_nestml_network_continues_bit_identically(tmp_path):
    def net():
        n = Network(dt=0.1, seed=3)
        n.add_population("E", TWO.name, 60, {"I_e": 300.0})
        n.add_population("I", IAF.name, 20)
        n.add_population("A", AEIF.name, 5, {"I_e": 500.0})
        n.connect("E", "I", FixedIndegree(10), weight=40.0, delay=1.5)
        n.connect("I", "E", FixedIndegree(5), weight=-30.0, delay=0.8)
        n.add_poisson_input("E", rate=6000.0, weight=25.0, delay=1.0)
        n.add_dc_input("I", 200.0, start=10.0)
        n.record_spikes("E")
        n.record_spikes("I")
        return n

    one = Simulation(net())
    one.run(100.0)
    first = Simulation(net(), decomposition="round_robin")
    first.run(50.0)
    first.checkpoint(tmp_path / "ck.zarr")
    second = Simulation.restore(tmp_path / "ck.zarr", decomposition="balanced", backend="async")
    second.run(50.0)
    assert np.array_equal(second.neurons.st, one.neurons.st)
    assert one.spike_steps()[0].size > 50


def test_errors_users_can_cause(tmp_path, monkeypatch):
    with pytest.raises(ModelError, match="cannot be read"):
        load_nestml(tmp_path / "missing.nestml")
    bad = tmp_path / "bad.nestml"
    bad.write_text(EXAMPLE.read_text().replace("* 1 pA * 1 s", "* pA"))
    with pytest.raises(ModelError, match=r"NESTML refuses it: line 64: Actual type different"):
        load_nestml(bad)
    three = tmp_path / "three_ports.nestml"
    three.write_text(
        EXAMPLE.read_text().replace(
            "inh_spikes <- inhibitory spike",
            "inh_spikes <- inhibitory spike\n        more <- spike",
        )
    )
    with pytest.raises(ModelError, match="routes spikes by the weight's sign"):
        load_nestml(three)
    clash = tmp_path / "clash.nestml"
    clash.write_text(
        EXAMPLE.read_text().replace("model two_compartment_adaptive:", "model iaf_psc_exp:")
    )
    with pytest.raises(ModelError, match="is a built-in model's"):
        load_nestml(clash)
    twin = tmp_path / "twin.nestml"
    shutil.copy(EXAMPLE, twin)
    with pytest.raises(ModelError, match="is loaded from .*two_compartment_adaptive.nestml"):
        load_nestml(twin)
    assert MODELS["iaf_psc_exp"].nestml is None
    with pytest.raises(ModelError, match="step_control 'exact'"):
        load_nestml(EXAMPLE, step_control="exact")
    with pytest.raises(ModelError, match="has no parameter 'tau_m'"):
        Network().add_population("N", TWO.name, 1, {"tau_m": 10.0})
    fresh = tmp_path / "fresh.nestml"
    fresh.write_text(EXAMPLE.read_text() + "\n# another text: not in the cache\n")
    monkeypatch.setitem(sys.modules, "pynestml", None)
    with pytest.raises(ModelError, match=r"pip install 'distsim\[nestml\]'"):
        load_nestml(fresh)
    assert os.path.exists(EXAMPLE)


LIF_EQUATIONS = dict(
    equations="""
        I_syn_exc' = -I_syn_exc / tau_syn_exc
        I_syn_inh' = -I_syn_inh / tau_syn_inh
        V_m' = -(V_m - E_L) / tau_m + (I_syn_exc - I_syn_inh + I_e + I_stim) / C_m
    """,
    state={"V_m": "-70 mV", "I_syn_exc": "0 pA", "I_syn_inh": "0 pA"},
    parameters={
        "C_m": "250 pF",
        "tau_m": "10 ms",
        "tau_syn_exc": "2 ms",
        "tau_syn_inh": "2 ms",
        "E_L": "-70 mV",
        "V_reset": "-70 mV",
        "V_th": "-55 mV",
        "I_e": "0 pA",
    },
    threshold="V_m >= V_th",
    reset="V_m = V_reset",
    refractory="2 ms",
    on_spike={
        "excitatory": "I_syn_exc += weight * 1 pA",
        "inhibitory": "I_syn_inh += weight * 1 pA",
    },
)


@pytest.mark.parametrize("name", ["iaf_psc_exp_spikes", "iaf_psc_exp_dc"])
def test_equations_model_of_iaf_psc_exp_gives_nest_builtin_traces(name):
    """iaf_psc_exp written as equation strings (models/equations.py) goes through NESTML's
    analysis to the same propagators: NEST's built-in trace to 1e-9 mV, the same spikes."""
    cls = equations_model("lif_from_equations", **LIF_EQUATIONS)
    case = IAF_CASES[name]
    traces, spikes = simulate(cls, case, DT_IAF, companions=())
    for var, got in traces.items():
        assert np.max(np.abs(got - np.array(case["record"][var]))) < 1e-9, var
    assert np.array_equal(spikes, np.round(np.array(case["spike_times"]) / DT_IAF))
    assert cls.nestml["path"].endswith(".nestml") and Path(cls.nestml["path"]).exists()


def test_equations_model_errors():
    with pytest.raises(ModelError, match="a model name is an identifier"):
        equations_model("my model", **LIF_EQUATIONS)
    with pytest.raises(ModelError, match="keys excitatory and inhibitory"):
        equations_model("lif_x", **{**LIF_EQUATIONS, "on_spike": {"ampa": "x"}})
    with pytest.raises(ModelError, match=r"NESTML refuses it: line \d+"):
        equations_model("lif_y", **{**LIF_EQUATIONS, "threshold": "V_m >= V_top"})
