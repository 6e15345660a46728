"""PCM device synapses: drift and noise as in hardware.md section 4.1, reproducible."""

import json

import numpy as np
import pytest

from distsim import FixedIndegree, Network, Simulation
from distsim.comm import DryRunContext
from distsim.errors import ConfigError, NetworkError
from distsim.hardware.devices import PCM, RRAM


def _net(device, weight=0.5):
    net = Network(dt=0.1, seed=2)
    net.add_population("E", "iaf_psc_delta", 300, {"V_m": -65.0})
    net.connect("E", "E", FixedIndegree(40), weight=weight, delay=1.5, device=device)
    return net


def _by_synapse(c):
    order = np.lexsort((c["weight"], c["target"], c["source"]))
    return c["source"][order], c["target"][order], c["weight"][order]


def test_drift_follows_the_power_law_of_each_device():
    sim = Simulation(_net(PCM(prog_noise_scale=0.0, read_noise_scale=0.0)))
    w0 = sim.connections()["weight"].astype(float)
    assert np.allclose(w0, 0.5)  # no programming noise: the target weight
    state = sim.devices.states[0]
    nu = state.programmed[0][1]  # (programmed conductance, drift exponent) of each device
    assert 0.049 * 0.5 < nu.mean() < 0.1 and nu.std() > 0  # mu_nu(x = 1) = 0.049
    for age in (3600.0, 86400.0):
        sim.age_devices(age)
        w = sim.connections()["weight"][np.argsort(state.index)]
        expected = 0.5 * ((age + 20.0) / 20.0) ** -nu[np.argsort(state.index)]
        assert np.allclose(w, expected, rtol=1e-6)


def test_programming_and_read_noise_have_the_models_size():
    sim = Simulation(_net(PCM()))
    w = sim.connections()["weight"]
    # x = 1: sigma_prog = 1.055 uS of 25 uS (4.2 %), read noise 4.2 % at t0 = 20 s (about
    # 4.18 * 0.0088); the other device of the pair adds its own programming noise
    rel = w.std() / 0.5
    assert 0.045 < rel < 0.075
    sim.age_devices(3600.0)
    assert abs(sim.connections()["weight"].mean() / 0.5 - 0.78) < 0.03  # 1 h: ~(181)^-0.049


def test_compensation_restores_the_summed_weight():
    sim = Simulation(_net(PCM(drift_compensation=True)))
    ref = np.abs(sim.connections()["weight"]).sum()
    sim.age_devices(86400.0 * 30)
    assert abs(np.abs(sim.connections()["weight"]).sum() / ref - 1.0) < 1e-5


def test_device_weights_do_not_depend_on_the_partition_and_round_trip():
    net = _net(PCM(w_max=0.5))
    one = _by_synapse(Simulation(net).connections())
    parts = [Simulation(net, DryRunContext(3, r)).connections() for r in range(3)]
    three = _by_synapse({k: np.concatenate([p[k] for p in parts]) for k in parts[0]})
    assert all(np.array_equal(a, b) for a, b in zip(one, three))
    back = Network.from_dict(json.loads(json.dumps(net.to_dict())))
    assert back.projections[0].device == net.projections[0].device
    assert all(
        np.array_equal(a, b) for a, b in zip(one, _by_synapse(Simulation(back).connections()))
    )


def test_device_errors():
    with pytest.raises(NetworkError, match="device 'flash' is not known|device .* is not known"):
        _net({"device": "flash"})
    with pytest.raises(NetworkError, match="has no option 'gmax'"):
        _net({"device": "pcm", "gmax": 3.0})
    with pytest.raises(ConfigError, match="no device synapses"):
        Simulation(_net(None)).age_devices(10.0)


def test_checkpoint_keeps_the_devices_read(tmp_path):
    net = _net(PCM())
    net.add_poisson_input("E", rate=12000.0, weight=0.2)
    net.record_spikes("E")
    sim = Simulation(net)
    sim.age_devices(3600.0)
    sim.run(50.0)
    sim.checkpoint(str(tmp_path / "ck.zarr"))
    back = Simulation.restore(str(tmp_path / "ck.zarr"))
    assert np.array_equal(back.connections()["weight"], sim.connections()["weight"])
    sim.run(50.0)
    back.run(50.0)
    assert np.array_equal(back.spike_steps()[0], sim.spike_steps()[0][sim.spike_steps()[0] > 500])


def test_drift_example_changes_activity_and_compensation_restores_it():
    from distsim.examples.pcm_drift import drift_study

    drifting = drift_study(order=200, t_run=300.0)
    compensated = drift_study(order=200, t_run=300.0, compensation=True)
    # weaker weights, weaker (g = 5 times stronger) inhibition: the rate climbs with age
    rates = list(drifting.values())
    assert all(b > a for a, b in zip(rates, rates[1:])) and rates[-1] > 1.04 * rates[0]
    assert abs(compensated["1 year"] / compensated["programmed"] - 1.0) < 0.02


def test_rram_spread_follows_wan2022_and_only_measured_ages():
    sim = Simulation(_net(RRAM(w_max=1.0, read_noise_scale=0.0)))  # x = 0.5: 20 uS
    spread = {}
    for age in (0.0, 86400.0, 172800.0):
        sim.age_devices(age)
        spread[age] = np.std(sim.connections()["weight"] / 0.5)
    # sigma(x = 0.5) = 2.023 uS at 1 s and 3.909 uS at 1 day: 10 % and 20 % of 20 uS (the
    # other device, at x = 0 and clipped at 0, adds a little)
    assert 0.09 < spread[0.0] < 0.12 and 0.18 < spread[86400.0] < 0.23
    assert spread[172800.0] > spread[0.0]
    with pytest.raises(NetworkError, match="age 3600.0 s was not measured"):
        sim.age_devices(3600.0)
    back = Network.from_dict(json.loads(json.dumps(_net(RRAM()).to_dict())))
    assert isinstance(back.projections[0].device, RRAM)
