"""Every model round-trips through its serialised form; networks round-trip too."""

import json

import numpy as np
import pytest

from distsim import FixedIndegree, Network, Normal, Simulation, Uniform
from distsim.errors import ModelError, NetworkError
from distsim.models import MODELS


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_round_trip(name):
    cls = MODELS[name]
    if name == "spike_source":
        model = cls.from_params({"spike_times": [[1.0, 2.5], []]})
    else:
        params = {p: getattr(cls(), p) for p in cls.parameter_names()}
        first = cls.parameter_names()[0]
        params[first] = Normal(float(params[first]), 1.0)
        model = cls.from_params(params)
    again = cls.from_params(json.loads(json.dumps(model.to_dict())))
    assert again == model
    # the equations of a built-in model; a NESTML model's are its file (named in its doc)
    assert cls.__doc__ and ("math::" in cls.__doc__ or name == "spike_source" or cls.nestml)


def test_network_round_trip_gives_identical_spikes():
    net = Network(dt=0.1, seed=7)
    net.add_population("E", "iaf_psc_alpha", 40, {"V_m": Uniform(-70.0, -55.0)})
    net.add_population("I", "izhikevich", 10, {"a": Normal(0.02, 0.002)})
    net.connect("E", "I", FixedIndegree(5), weight=Normal(2.0, 0.2), delay=Uniform(0.5, 2.0))
    net.connect("I", "E", {"rule": "pairwise_bernoulli", "p": 0.3}, weight=-50.0, delay=1.0)
    net.add_poisson_input("E", rate=15000.0, weight=40.0)
    net.add_dc_input("I", 5.0)
    net.record_spikes("E")
    net.record_spikes("I")
    again = Network.from_dict(json.loads(json.dumps(net.to_dict())))
    assert again.to_dict() == net.to_dict()
    a, b = Simulation(net), Simulation(again)
    a.run(100.0)
    b.run(100.0)
    assert a.summary()["recorded_spikes"] > 0
    assert a.digest() == b.digest()


def test_one_value_per_neuron_equals_populations_of_one_neuron():
    """Parameters and initial states may be given per neuron (a sequence or an array, as
    NEST's Create(params={"V_m": [...]})): the same spikes as one population per neuron;
    they round-trip through the description; a wrong length or a non-number is refused."""
    v_m, i_e = [-60.0, -55.0, -58.0, -70.0], np.array([400.0, 380.0, 0.0, 390.0])
    per_neuron = Network(seed=3)
    per_neuron.add_population("A", "iaf_psc_alpha", 4, {"V_m": v_m, "I_e": i_e})
    per_neuron.record_spikes("A")
    separate = Network(seed=3)
    for k in range(4):
        separate.add_population(f"A{k}", "iaf_psc_alpha", 1, {"V_m": v_m[k], "I_e": i_e[k]})
        separate.record_spikes(f"A{k}")
    a, b = Simulation(per_neuron), Simulation(separate)
    a.run(200.0)
    b.run(200.0)
    assert a.summary()["recorded_spikes"] > 10 and a.digest() == b.digest()
    again = Network.from_dict(json.loads(json.dumps(per_neuron.to_dict())))
    assert again.to_dict() == per_neuron.to_dict()
    assert again.populations["A"].model.V_m.tolist() == v_m
    with pytest.raises(NetworkError, match="V_m has 2 values for 4 neurons; give one value"):
        Network().add_population("B", "iaf_psc_alpha", 4, {"V_m": [1.0, 2.0]})
    with pytest.raises(
        ModelError, match="iaf_psc_alpha.I_e: list of 2 values is not one number per neuron"
    ):
        Network().add_population("B", "iaf_psc_alpha", 2, {"I_e": [1.0, "x"]})
    bad = Network()
    bad.add_population("B", "iaf_psc_alpha", 2, {"tau_m": [10.0, -1.0]})
    with pytest.raises(ModelError, match="tau_m = -1.0 violates tau_m > 0"):
        Simulation(bad)  # checked per neuron at the build, as drawn values


@pytest.mark.parametrize("model", ["iaf_psc_delta", "iaf_psc_exp", "iaf_psc_alpha"])
def test_no_leak_tau_m_inf_integrates_exactly(model):
    """tau_m = inf: C_m dV/dt = I_e + I_syn, lowered with the propagators' limits.  A constant
    current ramps V linearly; one input spike (weight w, arriving at t_a = 2.0 ms) adds w
    (delta), w tau_s/C (1 - exp(-s/tau_s)) (exp) or w e/C (tau_s (1 - exp(-s/tau_s))
    - s exp(-s/tau_s)) (alpha), s = t - t_a, and nothing ever leaks away."""
    import numpy as np

    c_m, i_e, w, tau_s, t_a = 200.0, 50.0, 30.0, 3.0, 2.0
    net = Network(dt=0.1, seed=1)
    params = {
        "tau_m": np.inf,
        "C_m": c_m,
        "I_e": i_e,
        "E_L": -60.0,
        "V_m": -60.0,
        "V_th": np.inf,
        "V_reset": -70.0,
    }
    if model != "iaf_psc_delta":
        params.update(tau_syn_ex=tau_s, tau_syn_in=tau_s)
    net.add_population("in", "spike_source", 1, {"spike_times": [[t_a - 0.1]]})
    net.add_population("n", model, 1, params)
    net.connect("in", "n", "all_to_all", weight=w, delay=0.1)
    net.record_state("n", "V_m", interval=0.1)
    sim = Simulation(net)
    sim.run(20.0)
    rec = sim.states()
    t, v = rec["times"], rec["V_m"][:, 0]
    s = np.clip(t - t_a, 0.0, None)
    syn = {
        "iaf_psc_delta": np.where(t >= t_a, w, 0.0),
        "iaf_psc_exp": w * tau_s / c_m * -np.expm1(-s / tau_s),
        "iaf_psc_alpha": w * np.e / c_m * (tau_s * -np.expm1(-s / tau_s) - s * np.exp(-s / tau_s)),
    }[model]
    np.testing.assert_allclose(v, -60.0 + i_e * t / c_m + syn, rtol=0, atol=1e-9)
    assert v[-1] > -60.0 + i_e * 20.0 / c_m + 0.9 * syn[-1]  # no leak: the input stays


def test_no_leak_neuron_is_never_event_driven():
    """Without a leak there is no resting potential to relax to in closed form."""
    import numpy as np

    from distsim.models import IafPscDelta

    assert IafPscDelta(tau_m=10.0, I_e=-5.0).rests_below_threshold()
    assert not IafPscDelta(tau_m=np.inf, I_e=-5.0).rests_below_threshold()
    assert not IafPscDelta(tau_m=np.inf, I_e=0.0).rests_below_threshold()


UPDATE_PARAMETERS = [
    "lo",
    "hi",
    "pbase",
    "pstride",
    "par",
    "st",
    "refr",
    "h",
    "ex_line",
    "in_line",
    "cur_line",
    "spiked",
    "nspk",
]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_registered_model_has_its_kernel(name):
    """The registry drives the step kernels (kernels/compose.py): each model's module must
    define its numba ``update`` with the common arguments (an event-driven one also
    ``update_events`` and ``catch_up``), and ids must be unique."""
    import importlib
    import inspect

    cls = MODELS[name]
    module = importlib.import_module(cls.__module__)
    assert len({c.model_id for c in MODELS.values()}) == len(MODELS)
    if cls.is_source_only:
        assert not hasattr(module, "update")
        return
    update = getattr(module, "update", None)
    assert update is not None and hasattr(update, "py_func"), f"{name}: no numba update"
    assert list(inspect.signature(update.py_func).parameters) == UPDATE_PARAMETERS
    if cls.event_driven:
        assert hasattr(module.update_events, "py_func") and hasattr(module.catch_up, "py_func")


def test_a_network_compiles_only_its_own_models():
    from distsim.examples import brunel

    text = Simulation(brunel(order=20)).kernel_plan().source()
    assert "iaf_psc_delta import update" in text
    assert "iaf_psc_exp" not in text and "plasticity" not in text and "izhikevich" not in text
