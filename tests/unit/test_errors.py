"""Errors a user can cause: typed, naming the object, the rule, the value and the fix."""

import subprocess
import sys

import pytest

from distsim import FixedIndegree, Network, Normal, PairwiseBernoulli, Simulation
from distsim.errors import (
    ConfigError,
    ConnectionRuleError,
    DelayError,
    DistsimError,
    ModelError,
    NetworkError,
)


@pytest.fixture
def net():
    n = Network(dt=0.1, seed=1)
    n.add_population("E", "iaf_psc_exp", 10)
    return n


def test_unknown_model(net):
    with pytest.raises(
        ModelError, match=r"Population 'X'.*'iaf_psc_foo' is not known.*iaf_psc_exp"
    ):
        net.add_population("X", "iaf_psc_foo", 5)


def test_unknown_parameter(net):
    with pytest.raises(ModelError, match=r"Population 'X'.*no parameter 'tau_mem'.*tau_m"):
        net.add_population("X", "iaf_psc_delta", 5, {"tau_mem": 10.0})


def test_invalid_parameter_value(net):
    with pytest.raises(ModelError, match=r"C_m = -1.0 violates C_m > 0"):
        net.add_population("X", "iaf_psc_alpha", 5, {"C_m": -1.0})
    with pytest.raises(ModelError, match=r"V_reset = -50.0 mV is not below V_th = -55.0"):
        net.add_population("Y", "iaf_psc_delta", 5, {"V_reset": -50.0})


def test_invalid_drawn_parameter_caught_at_build(net):
    net.add_population("X", "iaf_psc_exp", 50, {"tau_m": Normal(1.0, 5.0)})
    with pytest.raises(ModelError, match=r"tau_m = .* violates tau_m > 0"):
        Simulation(net)


@pytest.mark.parametrize("size", [-3, 0, 2.0, True, "10", float("nan")])
def test_size_is_a_positive_integer(net, size):
    with pytest.raises(NetworkError, match=r"Population 'X': size .* is not a positive integer"):
        net.add_population("X", "iaf_psc_exp", size)


def test_size_beyond_the_network_bound_is_refused_before_anything_is_allocated(net):
    from distsim.network import MAX_NEURONS

    with pytest.raises(
        NetworkError,
        match=r"makes the network 1,099,511,627,786 neurons, more "
        r"than the 1,099,511,627,776",
    ):
        net.add_population("X", "iaf_psc_exp", MAX_NEURONS)
    net.add_population("Y", "iaf_psc_exp", MAX_NEURONS - 10)  # a description only
    assert net.n_neurons == MAX_NEURONS


def test_delay_shorter_than_dt(net):
    with pytest.raises(
        DelayError,
        match=r"Projection 'E->E': delay 0.04 ms is shorter than one "
        r"step \(dt = 0.1 ms\); use a delay >= 0.1 ms",
    ):
        net.connect("E", "E", FixedIndegree(2), delay=0.04)
    with pytest.raises(DelayError, match=r"can draw delays below one step.*low >= 0.1"):
        net.connect("E", "E", FixedIndegree(2), delay=Normal(1.5, 0.5))


def test_unknown_population(net):
    with pytest.raises(
        NetworkError,
        match=r"Projection 'E->Q': population 'Q' does not exist; "
        r"populations: E",
    ):
        net.connect("E", "Q", FixedIndegree(2))


def test_probability_outside_unit_interval(net):
    with pytest.raises(ConnectionRuleError, match=r"probability p = 1.5 is outside \[0, 1\]"):
        net.connect("E", "E", PairwiseBernoulli(1.5))
    with pytest.raises(ConnectionRuleError, match=r"p = -0.1 is outside"):
        net.connect("E", "E", {"rule": "pairwise_bernoulli", "p": -0.1})


def test_indegree_larger_than_source_without_multapses(net):
    with pytest.raises(
        ConnectionRuleError,
        match=r"fixed_indegree 11 is larger than the 10 "
        r"available sources of 'E' without multapses",
    ):
        net.connect("E", "E", FixedIndegree(11, allow_multapses=False))
    with pytest.raises(ConnectionRuleError, match=r"fixed_indegree 10 is larger than the 9"):
        net.connect("E", "E", FixedIndegree(10, allow_multapses=False, allow_autapses=False))


def test_unknown_rule_and_option(net):
    with pytest.raises(ConnectionRuleError, match=r"rule 'fixed_in' is not known"):
        net.connect("E", "E", {"rule": "fixed_in", "indegree": 2})
    with pytest.raises(ConnectionRuleError, match=r"has no option 'indegre'"):
        net.connect("E", "E", {"rule": "fixed_indegree", "indegre": 2})


def test_run_duration_off_grid(net):
    sim = Simulation(net)
    with pytest.raises(ConfigError, match=r"0.05 ms is not a non-negative multiple of dt"):
        sim.run(0.05)


def test_spike_source_off_grid():
    n = Network(dt=0.1)
    with pytest.raises(
        ModelError,
        match=r"Population 'S': spike time 1.05 ms of neuron 0 is not "
        r"a positive multiple",
    ):
        n.add_population("S", "spike_source", 1, {"spike_times": [[1.05]]})


def test_cli_error_is_one_line_without_traceback():
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "distsim.cli",
            "run",
            "--dt",
            "0.1",
            "--t-sim",
            "0.05",
            "--order",
            "10",
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("distsim: error: distsim run: --t-sim 0.05 ms is not a")


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda n: n.connect("E", "E", FixedIndegree(2), weight=NAN),
            r"Projection 'E->E': weight: value nan is not a finite number",
        ),
        (
            lambda n: n.connect("E", "E", FixedIndegree(2), weight=INF),
            r"weight: value inf is not a finite number",
        ),
        (
            lambda n: n.connect("E", "E", FixedIndegree(2), delay=INF),
            r"delay: value inf is not a finite number",
        ),
        (
            lambda n: n.connect(
                "E",
                "E",
                FixedIndegree(2),
                weight={"distribution": "normal", "mean": NAN, "std": 1.0},
            ),
            r"weight: Normal: mean: value nan is not a finite number",
        ),
        (
            lambda n: n.connect("E", "E", FixedIndegree(2), weight=Normal(1.0, INF)),
            r"Normal: std: value inf is not a finite number",
        ),
        (
            lambda n: n.connect(
                "E",
                "E",
                FixedIndegree(2),
                weight=1.0,
                synapse={"synapse_model": "stdp_synapse", "alpha": NAN},
            ),
            r"stdp_synapse alpha: value nan is not a finite number",
        ),
        (
            lambda n: n.connect(
                "E", "E", FixedIndegree(2), device={"device": "pcm", "drift_scale": INF}
            ),
            r"device option drift_scale: value inf is not a finite number",
        ),
        (
            lambda n: n.connect(
                "E", "E", FixedIndegree(2), device={"device": "pcm", "g_max": "25"}
            ),
            r"device option g_max: value '25' is not a number",
        ),
        (
            lambda n: n.add_population("X", "iaf_psc_exp", 2, {"C_m": NAN}),
            r"Population 'X': iaf_psc_exp.C_m: value nan is not a finite number",
        ),
        (
            lambda n: n.add_population("X", "iaf_psc_exp", 2, {"V_m": -INF}),
            r"iaf_psc_exp.V_m: value -inf is not a finite number",
        ),
        (
            lambda n: n.add_population("X", "iaf_psc_exp", 2, {"tau_m": -INF}),
            r"iaf_psc_exp.tau_m: value -inf is not a finite number; give a finite number \(or inf",
        ),
        (
            lambda n: n.add_population("X", "iaf_psc_exp", 2, {"I_e": [1.0, INF]}),
            r"iaf_psc_exp.I_e: value inf at index 1 is not a finite number",
        ),
        (
            lambda n: n.add_population("X", "iaf_psc_exp", 2, {"I_e": ["1", "2"]}),
            r"iaf_psc_exp.I_e: list of 2 values is not one number per neuron",
        ),
        (
            lambda n: n.add_population("S", "spike_source", 1, {"spike_times": [[NAN]]}),
            r"spike_times of neuron 0: value nan at index 0 is not a finite number",
        ),
        (
            lambda n: n.add_poisson_input("E", rate=INF),
            r"PoissonInput 'poisson->E#0': rate \(Hz\): value inf is not a finite number",
        ),
        (
            lambda n: n.add_poisson_input("E", rate=10.0, delay="1.5"),
            r"delay \(ms\): value '1.5' is not a number",
        ),
        (lambda n: n.add_dc_input("E", amplitude=NAN), r"amplitude \(pA\): value nan is not"),
        (lambda n: n.add_dc_input("E", amplitude=1.0, start=NAN), r"start \(ms\): value nan"),
        (lambda n: n.record_state("E", ["V_m"], interval=NAN), r"interval \(ms\): value nan"),
        (
            lambda n: n.record_spikes("E", neurons=[0.5]),
            r"neurons \[0.5\] is not a list of neuron "
            r"indices",
        ),
        (
            lambda n: n.add_poisson_input("E", 10.0, neurons=[]),
            r"neurons \[\] is not a list of neuron indices; give integers 0..9, or leave neurons out",
        ),
        (
            lambda n: n.connect("E", "E", FixedIndegree(2, allow_autapses="no")),
            r"fixed_indegree allow_autapses 'no' is not true or false",
        ),
        (
            lambda n: n.connect("E", "E", FixedIndegree(2**70)),
            r"fixed_indegree indegree 1180591620717411303424 is not a non-negative integer \(int64\)",
        ),
        (
            lambda n: n.connect("E", "E", FixedIndegree(2), delay=1e300),
            r"delay 1e\+300 ms is 1e\+301 steps of dt = 0.1 ms, more than the engine counts",
        ),
        (
            lambda n: n.connect(
                "E", "E", "all_to_all", synapse={"synapse_model": "stdp_synapse", "Wmax": 0.0}
            ),
            r"stdp_synapse Wmax = 0 leaves no weight range",
        ),
        (
            lambda n: n.connect(
                "E",
                "E",
                "all_to_all",
                synapse={
                    "synapse_model": "stdp_dopamine_synapse",
                    "vt": "E",
                    "Wmin": 5.0,
                    "Wmax": 1.0,
                },
            ),
            r"stdp_dopamine_synapse Wmin = 5.0 is above Wmax = 1.0",
        ),
        (
            lambda n: (
                n.add_population("P", "parrot_neuron", 2, {"tau_minus": [20.0, 30.0]})
                and n.connect("E", "P", "all_to_all", synapse="stdp_synapse")
            ),
            r"Projection 'E->P': the target population 'P' of a stdp_synapse needs tau_minus and "
            r"tau_minus_triplet as positive numbers \(ms\), the same for every neuron; got "
            r"tau_minus = \[20.0, 30.0\], tau_minus_triplet = 110.0",
        ),
        (
            lambda n: (
                n.connect(
                    "E",
                    "E",
                    "all_to_all",
                    weight=Normal(1.0, 0.1, low=0.0),
                    synapse="stdp_pl_synapse_hom",
                    name="p",
                )
                and n.record_weights("p")
            ),
            r"WeightRecorder 'p': the initial weights have no upper bound to derive histogram bins "
            r"from; give bins",
        ),
        (
            lambda n: (
                n.connect("E", "E", "all_to_all", synapse="stdp_synapse", name="p")
                and n.record_weights("p", neurons=None)
            ),
            r"WeightRecorder 'p': neurons is not given",
        ),
    ],
)
def test_nan_inf_and_wrong_types_are_refused_where_they_are_given(net, call, message):
    with pytest.raises(DistsimError, match=message) as err:
        call(net)
    assert isinstance(err.value, ValueError) and "\n" not in str(err.value)


def test_infinities_that_mean_something_are_kept(net):
    net.add_population("X", "iaf_psc_delta", 2, {"tau_m": INF, "V_th": INF, "V_min": -INF})
    net.add_poisson_input("E", rate=10.0, stop=INF)
    net.connect("E", "E", FixedIndegree(2), delay=Normal(1.5, 0.5, low=0.1, high=INF))
    assert net.populations["X"].model.tau_m == INF


def test_dt_and_seed_are_checked_whenever_they_are_set(net):
    for value in (NAN, INF, 0.0, "0.1"):
        with pytest.raises(NetworkError, match=r"Network: dt = .* is not a positive finite"):
            Network(dt=value)
    for value in (-1, 2**64, 1.5):
        with pytest.raises(
            NetworkError, match=r"Network: seed .* is not an integer in \[0, 2\*\*63\)"
        ):
            net.seed = value  # as a command line's --seed does
    net.seed = 7
    assert net.seed == 7


@pytest.mark.parametrize(
    "call, suggestion",
    [
        (lambda n: n.add_population("X", "iaf_psc_exp", 2, {"tau_mem": 1.0}), "tau_m"),
        (lambda n: n.add_population("X", "iaf_psc_exq", 2), "iaf_psc_exp"),
        (lambda n: n.connect("E", "E", {"rule": "fixed_indegre", "indegree": 2}), "fixed_indegree"),
        (lambda n: n.connect("E", "E", {"rule": "fixed_indegree", "indgree": 2}), "indegree"),
        (
            lambda n: n.connect(
                "E", "E", "all_to_all", weight={"distribution": "norml", "mean": 1.0}
            ),
            "normal",
        ),
        (
            lambda n: n.connect(
                "E", "E", "all_to_all", weight={"distribution": "normal", "mena": 1.0}
            ),
            "mean",
        ),
        (
            lambda n: n.connect(
                "E", "E", "all_to_all", synapse={"synapse_model": "stdp_synapse", "Wmx": 1.0}
            ),
            "Wmax",
        ),
        (lambda n: n.connect("E", "E", "all_to_all", synapse="stdp_synapze"), "stdp_synapse"),
        (lambda n: n.connect("E", "EE", "all_to_all"), "E"),
        (lambda n: n.record_state("E", ["V_n"]), "V_m"),
    ],
)
def test_unknown_names_come_with_a_suggestion(net, call, suggestion):
    with pytest.raises(DistsimError, match=rf"; did you mean '{suggestion}'\?"):
        call(net)
