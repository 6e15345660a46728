"""Errors a user can cause: typed, naming the object, the rule, the value and the fix."""
import subprocess
import sys

import pytest

from distsim import FixedIndegree, Network, Normal, PairwiseBernoulli, Simulation
from distsim.errors import (ConfigError, ConnectionRuleError, DelayError, ModelError,
                            NetworkError)


@pytest.fixture
def net():
    n = Network(dt=0.1, seed=1)
    n.add_population("E", "iaf_psc_exp", 10)
    return n


def test_unknown_model(net):
    with pytest.raises(ModelError, match=r"Population 'X'.*'iaf_psc_foo' is not known.*iaf_psc_exp"):
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


def test_negative_size(net):
    with pytest.raises(NetworkError, match=r"Population 'X': size -3 is not a non-negative integer"):
        net.add_population("X", "iaf_psc_exp", -3)


def test_delay_shorter_than_dt(net):
    with pytest.raises(DelayError, match=r"Projection 'E->E': delay 0.04 ms is shorter than one "
                                          r"step \(dt = 0.1 ms\); use a delay >= 0.1 ms"):
        net.connect("E", "E", FixedIndegree(2), delay=0.04)
    with pytest.raises(DelayError, match=r"can draw delays below one step.*low >= 0.1"):
        net.connect("E", "E", FixedIndegree(2), delay=Normal(1.5, 0.5))


def test_unknown_population(net):
    with pytest.raises(NetworkError, match=r"Projection 'E->Q': population 'Q' does not exist; "
                                           r"populations: E"):
        net.connect("E", "Q", FixedIndegree(2))


def test_probability_outside_unit_interval(net):
    with pytest.raises(ConnectionRuleError, match=r"probability p = 1.5 is outside \[0, 1\]"):
        net.connect("E", "E", PairwiseBernoulli(1.5))
    with pytest.raises(ConnectionRuleError, match=r"p = -0.1 is outside"):
        net.connect("E", "E", {"rule": "pairwise_bernoulli", "p": -0.1})


def test_indegree_larger_than_source_without_multapses(net):
    with pytest.raises(ConnectionRuleError, match=r"fixed_indegree 11 is larger than the 10 "
                                                  r"available sources of 'E' without multapses"):
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
    with pytest.raises(ModelError, match=r"Population 'S': spike time 1.05 ms of neuron 0 is not "
                                         r"a positive multiple"):
        n.add_population("S", "spike_source", 1, {"spike_times": [[1.05]]})


def test_cli_error_is_one_line_without_traceback():
    r = subprocess.run([sys.executable, "-m", "distsim.cli", "run", "--dt", "0.1", "--t-sim", "0.05",
                        "--order", "10"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("distsim: error: distsim run: --t-sim 0.05 ms is not a")
