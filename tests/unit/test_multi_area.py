"""The multi-area model example (examples/multi_area.py): built from the data file as a
model-file hierarchy of areas and populations, with the data's numbers; subsets and scales;
the errors of bad options."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from distsim import Simulation
from distsim.errors import ConfigError
from distsim.examples.multi_area import (
    DATA,
    multi_area,
    multi_area_document,
    reference_rates,
)
from distsim.modelfile import load_model_file, write_model_file

D = json.loads(DATA.read_text())
DISTSIM = str(Path(sys.executable).parent / "distsim")
ORDER = D["population_order"]


def _pair(net, source, target):
    (proj,) = [p for p in net.projections if p.source == source and p.target == target]
    return proj


def test_full_model_has_the_data_files_neurons_and_synapses():
    doc = multi_area_document()  # the document only: nothing per neuron is built
    sizes = [p["size"] for a in doc["areas"].values() for p in a["populations"].values()]
    synapses = sum(p["rule"]["N"] for p in doc["projections"])
    assert len(doc["areas"]) == 32 and len(sizes) == 254
    assert sum(sizes) == D["totals"]["neurons_int_as_built"] == 4_129_924
    assert synapses == D["totals"]["stabilized_synapses_int_as_built"]
    assert len(doc["projections"]) == D["totals"]["nonzero_pairs_stabilized"]
    assert {p["storage"] for p in doc["projections"]} == {"procedural"}


@pytest.mark.parametrize("state, chi, chi_i", [("ground", 1.0, 1.0), ("metastable", 1.9, 2.0)])
def test_weights_delays_and_drive_follow_the_data(state, chi, chi_i):
    net = multi_area(state=state, scale=0.01, areas=["V2", "V1"])
    assert list(net.populations)[:3] == ["V1.23E", "V1.23I", "V1.4E"]  # the file's order
    pset = D["parameter_sets"][f"{state}_state" if state == "ground" else state]
    w_e = pset["params"]["W_E_pA"]
    means = np.array(pset["weight_mean_pA_per_pair"])
    for src, tgt in [
        ("V1.23E", "V1.23E"),
        ("V1.4E", "V1.23E"),
        ("V1.23I", "V1.4E"),
        ("V1.23E", "V2.23I"),
        ("V2.6E", "V1.4E"),
    ]:
        proj = _pair(net, src, tgt)
        i, j = ORDER.index(tgt.replace(".", "-")), ORDER.index(src.replace(".", "-"))
        assert proj.weight.mean == pytest.approx(means[i, j], rel=1e-5)
        assert proj.weight.std == pytest.approx(0.1 * abs(means[i, j]), rel=1e-5)
        assert proj.weight.redraw and (proj.weight.low == 0.0) == (means[i, j] > 0)
        assert proj.delay.mean == pytest.approx(D["delays"]["per_pair_mean_ms"][i][j], rel=1e-5)
        assert proj.delay.std == pytest.approx(0.5 * proj.delay.mean)
        assert proj.delay.low == 0.1 and proj.delay.redraw
        assert proj.rule.N == int(D["connectivity"]["stabilized_K_prime"]["synapses"][i][j] * 0.01)
    assert _pair(net, "V1.4E", "V1.23E").weight.mean == pytest.approx(2 * w_e, rel=1e-5)
    assert _pair(net, "V2.6E", "V1.4E").weight.mean == pytest.approx(chi * w_e, rel=1e-5)
    assert _pair(net, "V1.23E", "V2.23I").weight.mean == pytest.approx(chi * chi_i * w_e, rel=1e-5)
    for stim in net.poisson_inputs:
        assert stim.rate == pytest.approx(
            10.0 * pset["K_ext"][ORDER.index(stim.target.replace(".", "-"))]
        )
    sizes = [net.populations[p].size for p in net.populations]
    full = [D["neurons"]["N_float"][ORDER.index(p.replace(".", "-"))] for p in net.populations]
    assert sizes == [int(n * 0.01) for n in full]


def test_subset_drops_the_input_of_areas_left_out():
    net = multi_area(scale=0.01, areas=["V1"])
    assert {p.source.split(".")[0] for p in net.projections} == {"V1"}
    assert all(p.target.startswith("V1.") for p in net.projections)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"areas": ["V1", "V7"]}, ["area 'V7'", "V1, V2"]),
        ({"areas": ["V1", "V1"]}, ["each once"]),
        ({"scale": 1e-5}, ["without neurons", "scale >="]),
        ({"scale": 1.5}, ["0 < scale <= 1"]),
        ({"state": "asleep"}, ["ground, metastable"]),
    ],
)
def test_bad_options_are_refused_with_the_fix(kwargs, words):
    with pytest.raises(ConfigError) as err:
        multi_area_document(**kwargs)
    for word in words:
        assert word in str(err.value)


def test_model_file_round_trip_and_stored_storage_give_the_same_network(tmp_path):
    net = multi_area(scale=0.005, areas=["V1"])
    write_model_file(net, tmp_path / "ma.toml")
    again = load_model_file(tmp_path / "ma.toml")
    assert again.to_dict() == net.to_dict()
    stored = multi_area(scale=0.005, areas=["V1"], storage="stored")
    assert {p.storage for p in stored.projections} == {"stored"}
    a, b = Simulation(net), Simulation(again)
    a.run(30.0)
    b.run(30.0)
    assert a.digest() == b.digest() and a.summary()["spikes"] > 0


def test_reference_rates_are_the_mean_field_ground_state():
    ref = reference_rates("ground")
    assert len(ref) == 254 and reference_rates("metastable") is None
    mf = D["reference_rates"]["meanfield_ground_state_computed_here"]
    assert ref["V1.23E"] == mf["rates_Hz_per_population"][0]
    assert all(math.isfinite(v) and v >= 0 for v in ref.values())


def test_cli_runs_a_subset_and_refuses_an_unknown_area(tmp_path):
    ok = subprocess.run(
        [
            DISTSIM,
            "run",
            "multi_area",
            "--areas",
            "V1",
            "--state",
            "metastable",  # (brunel's --state takes other values)
            "--scale",
            "0.005",
            "--t-sim",
            "20",
            "--out",
            str(tmp_path / "run.zarr"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ok.returncode == 0, ok.stderr[-2000:]
    bad = subprocess.run(
        [DISTSIM, "run", "multi_area", "--areas", "V1,XX", "--t-sim", "1"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert bad.returncode == 2 and "area 'XX'" in bad.stderr and "Traceback" not in bad.stderr
    bad = subprocess.run(
        [DISTSIM, "run", "multi_area", "--state", "AI", "--t-sim", "1"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert bad.returncode == 2 and "--state 'AI' is not one of ground, metastable" in bad.stderr


def test_analyze_draws_areas_by_populations_beside_the_mean_field(tmp_path):
    """A run of every area (tiny scale) analysed: per-area rates, the mean-field rates of the
    ground state beside them, areas.png, and the per-population plots pooled by type."""
    store = tmp_path / "ma.zarr"
    run = subprocess.run(
        [
            DISTSIM,
            "run",
            "multi_area",
            "--scale",
            "0.003",
            "--t-sim",
            "40",
            "--out",
            str(store),
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    from distsim.analysis import analyze

    summary = analyze(store, out_dir=tmp_path / "an", n_sample=20, raster_neurons=5)
    assert len(summary["areas"]) == 32 and set(summary["areas"]["TH"]["populations"]) == {
        "23E",
        "23I",
        "5E",
        "5I",
        "6E",
        "6I",
    }
    v1 = summary["areas"]["V1"]
    pops = summary["populations"]
    expected = (
        sum(
            pops[f"V1.{p}"]["population_rate_hz"] * pops[f"V1.{p}"]["size"]
            for p in v1["populations"]
        )
        / v1["neurons"]
    )
    assert v1["rate_hz"] == pytest.approx(expected)
    ref = summary["reference"]
    assert ref["rates_hz"] == reference_rates("ground") and -1 <= ref["log_rate_correlation"] <= 1
    assert {"areas", "rates", "raster"} <= set(summary["plots"])
    assert (tmp_path / "an" / "areas.png").stat().st_size > 10_000
