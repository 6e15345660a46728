"""The zarr run store: complete runs, interrupted runs (SIGKILL), attributes, errors."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import zarr

from distsim import Simulation, spike_digest
from distsim.errors import StoreError
from distsim.examples import brunel
from distsim.network import Network
from distsim.store import FORMAT_VERSION, open_run


def _net():
    net = brunel(order=150, seed=4)
    net.record_state("I", ["V_m"], interval=0.5, neurons=[1, 7, 30])
    return net


def test_store_equals_api_and_carries_the_attributes(tmp_path):
    path = tmp_path / "run.zarr"
    sim = Simulation(_net(), store=path, flush_steps=300)
    sim.run(100.0)
    sim.run(60.0)
    r = open_run(path)
    assert r.complete and r.flushed_step() == 1600
    steps, gids = r.spikes()
    assert steps.size == sim.summary()["recorded_spikes"] > 1000
    assert spike_digest(steps, gids) == sim.digest()
    api = sim.states()
    got = r.states()
    assert np.array_equal(got["gids"], api["gids"]) and np.allclose(got["times"], api["times"])
    assert np.array_equal(got["V_m"], api["V_m"].astype(np.float32))
    a = r.attrs
    assert a["format_version"] == FORMAT_VERSION and a["seed"] == 4 and a["dt"] == 0.1
    assert Network.from_dict(json.loads(a["network"])).to_dict() == _net().to_dict()
    assert a["decomposition"]["neurons_per_rank"] == [750]
    assert {"distsim", "numpy", "numba", "zarr"} <= set(a["versions"])
    assert a["runs"] == [
        {"start_step": 0, "end_step": 1000},
        {"start_step": 1000, "end_step": 1600},
    ]
    assert a["start_time"] < a["end_time"]
    assert r.ranks[0].attrs["counters"]["spikes"] == sim.summary()["spikes"]


def test_large_inputs_are_arrays_in_the_store_not_json(tmp_path):
    """Spike sources' times, explicit connection lists and per-synapse weights of more than
    1000 values are zarr arrays beside the JSON description; the network reads back equal,
    from the run store and from a checkpoint."""
    rng = np.random.default_rng(3)
    trains = [np.sort(rng.choice(np.arange(1, 2000), 40, replace=False)) * 0.1 for _ in range(300)]
    net = Network(dt=0.1, seed=2)
    net.add_population("S", "spike_source", 300, {"spike_times": trains})
    net.add_population("T", "iaf_psc_delta", 100)
    src, tgt = rng.integers(0, 300, 5000), rng.integers(0, 100, 5000)
    net.connect(
        "S",
        "T",
        {"rule": "from_list", "sources": src, "targets": tgt},
        weight=rng.uniform(0.1, 2.0, 5000),
        delay=1.0,
    )
    net.record_spikes("T")
    sim = Simulation(net, store=tmp_path / "run.zarr")
    sim.run(100.0)
    sim.checkpoint(tmp_path / "ckpt.zarr")
    r = open_run(tmp_path / "run.zarr")
    assert len(r.attrs["network"]) < 5000
    # the 12,000 times, 5,000 sources, targets and weights (the 300 counts stay inline)
    assert sorted(zarr.open_group(tmp_path / "run.zarr")["network"].array_keys()) == [
        "a0",
        "a1",
        "a2",
        "a3",
    ]
    for back in (r.network(), Simulation.restore(tmp_path / "ckpt.zarr").network):
        assert back.to_dict() == net.to_dict()
        assert all(
            np.array_equal(a, b) for a, b in zip(back.populations["S"].model.spike_times, trains)
        )
    again = Simulation(r.network())
    again.run(100.0)
    assert again.digest() == sim.digest() and sim.summary()["recorded_spikes"] > 100


def test_per_neuron_values_are_arrays_in_the_store(tmp_path):
    """A parameter given per neuron for more than 1000 neurons is a zarr array beside the
    description; the network reads back equal from the store and from a checkpoint."""
    v_m = np.random.default_rng(4).uniform(-70.0, -52.0, 1500)
    net = Network(dt=0.1, seed=2)
    net.add_population("A", "iaf_psc_alpha", 1500, {"V_m": v_m, "I_e": 300.0})
    net.record_spikes("A")
    sim = Simulation(net, store=tmp_path / "run.zarr")
    sim.run(50.0)
    sim.checkpoint(tmp_path / "ckpt.zarr")
    assert list(zarr.open_group(tmp_path / "run.zarr")["network"].array_keys()) == ["a0"]
    for back in (
        open_run(tmp_path / "run.zarr").network(),
        Simulation.restore(tmp_path / "ckpt.zarr").network,
    ):
        assert np.array_equal(back.populations["A"].model.V_m, v_m)
        assert back.to_dict() == net.to_dict()


def test_flush_by_size_keeps_memory_bounded(tmp_path):
    sim = Simulation(_net(), store=tmp_path / "run.zarr", flush_steps=10**6, flush_mb=0.1)
    sim.run(200.0)
    assert sim.recorders.arrays.rec_step.size <= 1 << 16  # the record buffer never had to grow
    ref = Simulation(_net())
    ref.run(200.0)
    assert sim.digest() == ref.digest()


def test_reader_errors(tmp_path):
    with pytest.raises(StoreError, match="no zarr group there"):
        open_run(tmp_path / "missing.zarr")
    zarr.open_group(tmp_path / "other.zarr", mode="w").attrs["format"] = "something"
    with pytest.raises(StoreError, match="format 'something' is not 'distsim-run'"):
        open_run(tmp_path / "other.zarr")


KILLED_RUN = """
import sys
from distsim import Simulation
from distsim.examples import brunel
sim = Simulation(brunel(order=150, seed=4), store=sys.argv[1], flush_steps=200)
sim.run(10**6)
"""


def test_sigkill_leaves_a_store_readable_up_to_its_last_flush(tmp_path, caplog):
    path = tmp_path / "killed.zarr"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(path)])
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if (
                    zarr.open_group(path / "ranks" / "r00000", mode="r").attrs["flushed_step"]
                    >= 2000
                ):
                    break
            except Exception:  # not created yet
                pass
            time.sleep(0.2)
        else:
            pytest.fail("the run never flushed")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    with caplog.at_level("WARNING", logger="distsim"):
        r = open_run(path)
    assert "is interrupted (the writing process ended without closing the store" in caplog.text
    assert r.attrs["status"] == "running" and r.status == "interrupted" and not r.complete
    upto = r.flushed_step()
    steps, gids = r.spikes()
    ref = Simulation(brunel(order=150, seed=4))
    ref.run(upto * 0.1)
    assert steps.size > 0 and spike_digest(steps, gids) == ref.digest()
