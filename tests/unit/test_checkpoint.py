"""Checkpoint and restore: T in one go equals T/2, checkpoint, restore (other balancer), T/2."""

import sys
from pathlib import Path

import numpy as np
import pytest

from distsim import Simulation, spike_digest
from distsim.errors import StoreError

sys.path.insert(0, str(Path(__file__).parents[1] / "mpi"))
from networks import four_populations  # noqa: E402


def _spikes(sim):
    return sim.spike_steps()


def test_restore_continues_bit_identically(tmp_path):
    one = Simulation(four_populations())
    one.run(120.0)
    first = Simulation(four_populations(), decomposition="round_robin")
    first.run(60.0)
    first.checkpoint(tmp_path / "ck.zarr")
    second = Simulation.restore(tmp_path / "ck.zarr", decomposition="balanced", backend="async")
    assert second.step == 600
    second.run(60.0)
    s1, g1 = _spikes(first)
    s2, g2 = _spikes(second)
    assert s2.size and s2.min() > 600  # the restored run records only its own spikes
    both = spike_digest(np.concatenate((s1, s2)), np.concatenate((g1, g2)))
    assert both == one.digest()
    assert np.array_equal(second.neurons.st, one.neurons.st) and np.array_equal(
        second.neurons.refr, one.neurons.refr
    )


def test_restore_of_something_else_fails_clearly(tmp_path):
    with pytest.raises(StoreError, match="no zarr group there"):
        Simulation.restore(tmp_path / "nothing.zarr")
    sim = Simulation(four_populations(), store=tmp_path / "run.zarr")
    sim.run(1.0)
    with pytest.raises(StoreError, match="format 'distsim-run' is not 'distsim-checkpoint'"):
        Simulation.restore(tmp_path / "run.zarr")
