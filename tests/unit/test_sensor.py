"""The sensor example: DVS events of a moving bar, a two-layer motion detector, latency."""

import json

import numpy as np

from distsim import Simulation
from distsim.cli import main
from distsim.examples.sensor import moving_bar, response_latency, sensor


def test_scene_events_follow_threshold_and_bar_size():
    base = moving_bar(16, 16, t_sim=300.0, threshold=0.1)
    fewer = moving_bar(16, 16, t_sim=300.0, threshold=1.0)
    short = moving_bar(16, 16, t_sim=300.0, bar_rows=2)
    assert 8.0 < base.n_events / fewer.n_events < 12.0
    assert 6.0 < base.n_events / short.n_events < 10.0
    for p in range(16 * 16):  # on the dt grid, edge events are among the pixel's events
        events = np.union1d(base.on[p], base.off[p])
        assert np.allclose(events / 0.1, np.round(events / 0.1))
        assert np.isin(base.signal[p], events).all()
    assert [s[2] for s in base.sweeps] == [1, -1]


def test_motion_units_respond_to_their_direction_only_and_after_the_edge():
    scene = moving_bar(16, 16, t_sim=300.0)
    net = sensor(scene=scene)
    sim = Simulation(net)
    sim.run(300.0)
    rep = response_latency(net, scene, *sim.spikes())
    assert rep["preferred_direction_units"] >= 16 and rep["null_direction_units"] == 0
    # an event reaches an edge neuron after 1 ms and a unit after >= 1 ms more
    assert rep["responses"] > 0 and rep["latency_ms_min"] >= 2.0
    dense = Simulation(net, event_driven=False)
    dense.run(300.0)
    assert dense.summary()["digest"] == sim.summary()["digest"]


def test_neurons_away_from_the_bar_are_never_computed():
    sim = Simulation(sensor(width=32, height=32, t_sim=200.0, bar_rows=4))
    sim.run(200.0)
    lo, hi = sim.neurons.pop_slice["edge"]
    idle = np.mean(sim.neurons.arrays.last[lo:hi] <= 1)  # computed at the first step only
    assert idle > 0.5


def test_cli_runs_the_sensor_and_reports_latency(capsys):
    assert main(["run", "sensor", "--t-sim", "200", "--no-store", "--json"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["example"] == "sensor" and out["sensor"]["preferred_direction_units"] > 0
