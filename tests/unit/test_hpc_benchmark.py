"""NEST's hpc_benchmark example: the constants it derives, the fixed in-degrees and the
plastic variant's parameters (those of NEST's script, as in scripts/nest_stdp.py's case)."""
import json
from pathlib import Path

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


def test_plastic_variant_has_nest_parameters():
    cases = json.loads((Path(__file__).parents[1] / "data" / "nest_stdp.json").read_text())
    nest = next(c for c in cases["cases"] if c["name"] == "stdp_pl_hpc_benchmark")
    net = hpc_benchmark(scale=0.02, plastic=True)
    proj = {p.name: p for p in net.projections}
    assert [name for name, p in proj.items() if p.synapse is not None] == ["E->E"]
    spec = proj["E->E"].synapse.to_spec()
    assert spec == {"synapse_model": "stdp_pl_synapse_hom", **nest["copy_model_params"]}
    assert proj["E->E"].weight == nest["synapses"][0]["weight"] == proj["E->I"].weight
    assert proj["E->E"].delay == nest["synapses"][0]["delay"]
    for pop in net.populations.values():
        assert pop.model.values()["tau_minus"] == nest["post"]["params"][0]["tau_minus"]
    assert all(p.synapse is None for p in hpc_benchmark(scale=0.02).projections)
