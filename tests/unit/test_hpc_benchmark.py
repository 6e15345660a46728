"""NEST's hpc_benchmark example: the constants it derives, the fixed in-degrees and the
plastic variant's parameters (those of NEST's script, as in scripts/nest_stdp.py's case)."""

import json
from pathlib import Path

import numpy as np
import pytest

from distsim import Simulation
from distsim.examples.hpc_benchmark import (
    TAU_SYN,
    hpc_benchmark,
    lambert_w_minus1,
    psc_per_mv,
    psp_rise_time,
)


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


def test_bench_plastic_deliver_runs_on_the_kernels_state():
    """scripts/bench_plastic_deliver.py (the plastic kernel alone) still reads the engine's
    state it needs: at scale 0.02 (E rows: 80 % of their synapses plastic, E->E), its pairing
    shares cover every plastic synapse delivered and its histories fit their capacity."""
    import subprocess
    import sys

    script = Path(__file__).parents[2] / "scripts" / "bench_plastic_deliver.py"
    out = subprocess.run(
        [
            sys.executable,
            str(script),
            "--scale",
            "0.02",
            "--t-presim",
            "30",
            "--rows",
            "20",
            "--batches",
            "2",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    d = json.loads(out.stdout)
    assert len(d["ns_per_event"]) == 2 and min(d["ns_per_event"]) > 0
    assert 0.7 < d["plastic_share"] < 0.9
    assert sum(d["pairings_share"].values()) == pytest.approx(1.0, abs=1e-3)
    assert d["pairings_share"]["0"] < 1.0  # the neurons spiked: some synapses pair
    assert 0 < d["history_length"]["max"] <= d["history_length"]["capacity"]
