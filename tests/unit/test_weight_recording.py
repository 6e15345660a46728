"""Weights of plastic synapses sampled to the run store, read back, and plotted."""

import numpy as np
import pytest

from distsim import FixedIndegree, Network, Simulation
from distsim.errors import NetworkError
from distsim.store import open_run


def _net():
    net = Network(dt=0.1, seed=4)
    net.add_population("E", "iaf_psc_delta", 120, {"V_m": -65.0})
    net.connect(
        "E",
        "E",
        FixedIndegree(15),
        weight=1.0,
        delay=1.5,
        name="EE",
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
    net.record_weights("EE", interval=20.0, neurons=[3, 7], bins=np.linspace(0, 3, 7))
    return net


def test_weights_and_histograms_reach_the_store(tmp_path):
    sim = Simulation(_net(), store=str(tmp_path / "run.zarr"), flush_steps=500)
    sim.run(200.0)
    rec = open_run(str(tmp_path / "run.zarr")).weights(0)
    assert np.allclose(rec["times"], np.arange(20.0, 201.0, 20.0))
    c = sim.connections("EE")
    onto = np.isin(c["target"], [3, 7])
    assert np.array_equal(np.sort(rec["target"]), np.sort(c["target"][onto]))
    assert rec["weight"].shape == (10, 30)
    final = c["weight"][onto][np.lexsort((c["source"][onto], c["target"][onto]))]
    assert np.allclose(rec["weight"][-1], final, rtol=1e-6)  # float32 in the store
    assert rec["histogram"].shape == (10, 6) and (rec["histogram"].sum(1) == 120 * 15).all()
    assert rec["histogram"][0].tolist() != rec["histogram"][-1].tolist()  # weights moved


def test_analyze_plots_the_weights(tmp_path):
    from distsim.analysis import analyze

    sim = Simulation(_net(), store=str(tmp_path / "run.zarr"))
    sim.run(100.0)
    summary = analyze(str(tmp_path / "run.zarr"))
    assert summary["plots"]["weights_0"].endswith("weights_EE.png")


def test_weight_recorder_errors():
    net = _net()
    with pytest.raises(NetworkError, match="no plastic projection of that name"):
        net.record_weights("E->E")
    with pytest.raises(NetworkError, match="increasing edges"):
        net.record_weights("EE", bins=[1.0, 0.5])
