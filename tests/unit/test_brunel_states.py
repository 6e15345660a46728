"""Brunel (2000) model A in its four states (Fig. 8): the signatures of each state."""

import numpy as np
import pytest

from distsim import Simulation
from distsim.analysis.validation import population_statistics
from distsim.examples.brunel import STATES, brunel

pytestmark = pytest.mark.slow  # a long run (the fast tier leaves it out)


@pytest.fixture(scope="module")
def states():
    out = {}
    for state in STATES:
        sim = Simulation(brunel(order=2500, state=state, seed=2))
        sim.run(600.0)
        steps, gids = sim.spike_steps()
        st = population_statistics(steps, gids, 0, 10000, 1000, 6000, 0.1, n_sample=100)
        pop = np.bincount(steps[steps > 1000] - 1001, minlength=5000).astype(float)
        f = np.fft.rfftfreq(pop.size, d=1e-4)
        power = np.abs(np.fft.rfft(pop - pop.mean())) ** 2
        band = (f > 5) & (f < 1000)
        ms = np.add.reduceat(pop, np.arange(0, 5000, 10))  # 1 ms bins
        out[state] = {
            "rate": st["rates"].mean(),
            "cv": np.nanmean(st["cv"]),
            "corr": st["corr"].mean(),
            "sync": ms.std() / ms.mean(),
            "peak_hz": f[band][np.argmax(power[band])],
        }
    return out


def test_synchronous_regular(states):
    s = states["SR"]
    assert s["rate"] > 200 and s["cv"] < 0.1 and s["corr"] > 0.1


def test_asynchronous_irregular(states):
    s = states["AI"]
    assert 25 < s["rate"] < 50 and s["cv"] > 0.3 and s["corr"] < 0.02
    assert s["sync"] < states["SI_fast"]["sync"] < states["SI_slow"]["sync"]


def test_synchronous_irregular_fast_and_slow(states):
    fast, slow = states["SI_fast"], states["SI_slow"]
    assert fast["cv"] > 0.6 and 150 <= fast["peak_hz"] <= 220  # Brunel: ~180 Hz
    assert slow["rate"] < 15 and slow["peak_hz"] < 50 and slow["sync"] > 1.0
