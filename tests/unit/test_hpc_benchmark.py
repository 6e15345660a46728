"""NEST's hpc_benchmark example: the constants it derives and the fixed in-degrees."""
import numpy as np
import pytest

from distsim import Simulation
from distsim.examples.hpc_benchmark import (TAU_SYN, hpc_benchmark, lambert_w_minus1,
                                            psc_per_mv, psp_rise_time)


def test_lambert_w_minus1():
    for x in (-0.3, -0.1, -1e-3):
        w = lambert_w_minus1(x)
        assert w <= -1 and w * np.exp(w) == pytest.approx(x, rel=1e-12)


def test_tau_syn_gives_the_benchmark_rise_time_and_weight():
    assert psp_rise_time(10.0, TAU_SYN) == pytest.approx(1.700759, abs=1e-6)
    assert 0.14 * psc_per_mv(10.0, TAU_SYN, 250.0) == pytest.approx(45.61, abs=0.01)


def test_in_degrees_do_not_depend_on_scale():
    net = hpc_benchmark(scale=0.02)
    assert (net.populations["E"].size, net.populations["I"].size) == (180, 45)
    c = Simulation(net).connections()
    indeg = np.bincount(c["target"], minlength=225)
    assert np.all(indeg == 11250)
    assert np.all(c["source"] != c["target"])  # no autapses
