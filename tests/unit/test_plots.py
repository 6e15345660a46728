"""Plots of an analysis: bins that fit quantised values, settings in labels and summary.json,
safe file names, plots of recorded states and weights."""

import json
import os
import re

import matplotlib.text
import numpy as np
import pytest

from distsim import FixedIndegree, Network, Simulation
from distsim.analysis import analyze, plots
from distsim.analysis import statistics as stats
from distsim.errors import ConfigError

SAFE = re.compile(r"[A-Za-z0-9._-]+")


def test_rate_histogram_edges_lie_on_half_quanta():
    duration = 0.9  # s: rates are k / 0.9 Hz
    counts = np.array([0, 1, 2, 3, 7, 8, 9, 40, 41, 89])
    rates = counts / duration
    edges, width = stats.quantised_edges(rates, 1.0 / duration)
    k = edges * duration + 0.5  # edge j sits half a quantum below count k_j
    assert np.allclose(k, np.rint(k), atol=1e-9) and np.all(np.diff(np.rint(k)) == 5)
    assert width == pytest.approx(5 / duration)  # 90 counts in at most 40 bins: 5 quanta
    held = np.histogram(rates, edges)[0]  # each rate is half a quantum from any edge
    assert np.array_equal(held, np.bincount(counts // 5, minlength=held.size))
    edges, width = stats.quantised_edges(rates, 1.0 / duration, width=2.4)  # ~2.16 quanta
    assert width == pytest.approx(2 / duration) and edges[0] * duration == pytest.approx(-0.5)


def test_correlation_steps_are_the_change_of_one_coincidence():
    """Moving one spike of neuron 1 into a bin where neuron 0 fires keeps both neurons'
    means and variances and adds one coincidence: the coefficient moves by one step."""
    s0 = np.array([3, 11, 25, 40, 52, 66])
    s1 = np.array([5, 18, 33, 47, 58, 70, 77])
    after = np.where(s1 == 18, 25, s1)  # 18: neuron 0 silent there; 25: it fires
    got = []
    for s1_ in (s1, after):
        s = np.concatenate((s0, s1_))
        g = np.repeat([0, 1], [s0.size, s1_.size])
        got.append(stats.correlations(s, g, [0, 1], 0, 80, 1))
    (c0, step0), (c1, step1) = got
    assert c1[0] - c0[0] == pytest.approx(step0[0], rel=1e-12) and step1 == pytest.approx(step0)
    edges, _ = stats.correlation_edges(
        np.concatenate((c0, c1)), np.concatenate((step0, step1)), -1.0, 1.0
    )
    phase = (edges - c0[0]) / step0[0]  # edges half-way between grid values
    assert np.allclose(phase - np.floor(phase), 0.5)


def test_file_names_are_safe_and_distinct():
    names = plots.safe_names(
        [
            "weights_E->E",
            "weights_V1:L23E->L4E",
            "weights_V1_L23E->L4E",
            "state_a b",
            "state_a/b",
            "weights_EE",
        ]
    )
    assert all(SAFE.fullmatch(n) for n in names) and len({n.lower() for n in names}) == 6
    assert names[0] == "weights_E-to-E" and names[-1] == "weights_EE"


def _recorded_network():
    net = Network(dt=0.1, seed=4)
    net.add_population("V1:E", "iaf_psc_delta", 60, {"V_m": -65.0})
    net.add_population("V1:I", "iaf_psc_delta", 15, {"V_m": -65.0})
    net.connect(
        "V1:E",
        "V1:E",
        FixedIndegree(10),
        weight=1.0,
        delay=1.5,
        synapse={"synapse_model": "stdp_synapse", "lambda": 0.05, "Wmax": 3.0},
    )
    net.connect("V1:E", "V1:I", FixedIndegree(10), weight=1.0, delay=1.5)
    for pop in ("V1:E", "V1:I"):
        net.add_poisson_input(pop, rate=15000.0, weight=0.15)
        net.record_spikes(pop)
    net.record_state("V1:E", ["V_m"], 1.0, neurons=range(20))  # a heat map
    net.record_state("V1:I", ["V_m"], 0.5, neurons=[0, 1])  # traces
    net.record_weights("V1:E->V1:E", interval=20.0, neurons=[3, 7])
    return net


def test_analysis_plots_states_and_weights_with_its_settings(tmp_path, monkeypatch):
    Simulation(_recorded_network(), store=str(tmp_path / "run.zarr")).run(200.0)
    texts = {}
    save = plots._save

    def keep_texts(fig, out_dir, stem, paths):
        texts[stem] = " | ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
        save(fig, out_dir, stem, paths)

    monkeypatch.setattr(plots, "_save", keep_texts)
    out = tmp_path / "analysis"
    s = analyze(
        tmp_path / "run.zarr",
        out_dir=out,
        t_start_ms=20.0,
        n_sample=30,
        raster_neurons=10,
        raster_ms=100.0,
        corr_bin_ms=2.0,
        fano_bin_ms=20.0,
        pop_rate_bin_ms=10.0,
        rate_hist_bin_hz=12.0,
        cv_hist_bin=0.1,
    )
    settings = json.loads((out / "summary.json").read_text())["settings"]
    assert settings == s["settings"]
    assert {
        k: settings[k]
        for k in (
            "n_sample",
            "raster_neurons",
            "raster_ms",
            "corr_bin_ms",
            "fano_bin_ms",
            "pop_rate_bin_ms",
            "cv_hist_bin",
        )
    } == {
        "n_sample": 30,
        "raster_neurons": 10,
        "raster_ms": 100.0,
        "corr_bin_ms": 2.0,
        "fano_bin_ms": 20.0,
        "pop_rate_bin_ms": 10.0,
        "cv_hist_bin": 0.1,
    }
    assert settings["rate_hist_bin_hz"] == pytest.approx(2 / 0.18)  # 12 Hz -> 2 quanta of 1/T
    assert "bins of 11.1 Hz" in texts["rates"] and "N = 60 neurons" in texts["rates"]
    assert "2 ms bins" in texts["correlations"] and "30 neurons" in texts["correlations"]
    assert "10 ms bins" in texts["population_rate"] and "bins of 0.1" in texts["cv"]
    assert "up to 10 neurons per population, last 100 ms" in texts["raster"]
    files = s["files"]
    assert sorted(os.listdir(out)) == sorted(files + ["summary.json"])  # all listed
    assert all(SAFE.fullmatch(f) for f in files)
    assert {"state_V1_E.png", "state_V1_I.png", "weights_V1_E-to-V1_E.png"} <= set(files)
    assert "V_m (mV)" in texts["state_V1_E"] and "V_m (mV)" in texts["state_V1_I"]
    assert "gid 60" in texts["state_V1_I"] and "gid 0" not in texts["state_V1_E"]
    assert "synapses per bin" in texts["weights_V1_E-to-V1_E"]  # the colour bar's label
    assert "weight (mV)" in texts["weights_V1_E-to-V1_E"]
    analyze(tmp_path / "run.zarr", out_dir=out, plots=False, overwrite=True)
    assert os.listdir(out) == ["summary.json"]  # the earlier plots went with the analysis


@pytest.mark.parametrize(
    "option, value, fix",
    [
        ("n_sample", 1, "n_sample=200"),
        ("corr_bin_ms", 0.0, "corr_bin_ms=1.0"),
        ("rate_hist_bin_hz", -2.0, "leave it out"),
        ("raster_neurons", 2.5, "raster_neurons=50"),
    ],
)
def test_analyze_refuses_settings_out_of_range(tmp_path, option, value, fix):
    with pytest.raises(ConfigError, match=f"analyze: {option} = .* is not .*; use .*{fix}"):
        analyze(tmp_path / "none.zarr", **{option: value})
