"""Analysis of a run store (exact statistics of known spike trains), plots, CLI, export."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from distsim import Network, Simulation
from distsim.analysis import analyze
from distsim.store.export import export_spikes


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Known trains: A regular (CV 0), B with given ISIs, C two identical trains (corr 1)."""
    rng = np.random.default_rng(3)
    regular = [list(np.arange(10.0, 1000.0, 10.0) + k) for k in range(4)]  # 100 Hz-ish
    irregular = [list(np.round(np.cumsum(rng.exponential(20.0, 40)) + 1.0, 1)) for _ in range(3)]
    irregular = [[t for t in sorted(set(ts)) if t <= 1000.0] for ts in irregular]
    twin = list(np.round(np.sort(rng.choice(np.arange(1, 10000), 60, replace=False)) * 0.1, 1))
    net = Network(dt=0.1, seed=1)
    net.add_population("A", "spike_source", 4, {"spike_times": regular})
    net.add_population("B", "spike_source", 3, {"spike_times": irregular})
    net.add_population("C", "spike_source", 2, {"spike_times": [twin, twin]})
    for p in "ABC":
        net.record_spikes(p)
    path = tmp_path_factory.mktemp("an") / "known.zarr"
    sim = Simulation(net, store=path)
    sim.run(1000.0)
    return path, regular, irregular


def test_statistics_of_known_trains(store, tmp_path):
    path, regular, irregular = store
    s = analyze(path, out_dir=tmp_path / "analysis", plots=False, fano_bin_ms=30.0)
    a, b, c = (s["populations"][p] for p in "ABC")
    assert a["rate_hz"]["mean"] == pytest.approx(np.mean([len(t) for t in regular]) / 1.0)
    assert a["isi_cv"]["mean"] == pytest.approx(0.0, abs=1e-12)
    cvs = [np.std(np.diff(t)) / np.mean(np.diff(t)) for t in irregular]
    assert b["isi_cv"]["mean"] == pytest.approx(np.mean(cvs), rel=1e-9)
    assert c["correlation"]["mean"] == pytest.approx(1.0)
    steps = np.round(np.concatenate(regular) / 0.1).astype(int)
    counts = np.bincount((steps - 1) // 300, minlength=34)[:33]  # (0, 30] ... (960, 990] ms
    assert a["fano_factor"] == pytest.approx(counts.var() / counts.mean(), rel=1e-6)
    assert s["complete"] and s["spikes"] == sum(len(t) for t in regular + irregular) + 120


def test_bins_without_a_fine_common_bin_count_in_two_passes(store, tmp_path, monkeypatch):
    from distsim.analysis import report

    options = {"plots": False, "pop_rate_bin_ms": 7.0, "fano_bin_ms": 30.0}
    one = analyze(store[0], out_dir=tmp_path / "one", **options)
    monkeypatch.setattr(report, "BASE_CELLS", 0)  # 0.1 ms common bins are too many
    two = analyze(store[0], out_dir=tmp_path / "two", **options)
    assert one["populations"] == two["populations"]


def test_plots_summary_and_distributed_scheduler(store, tmp_path):
    from distributed import LocalCluster

    path = store[0]
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        s = analyze(path, out_dir=tmp_path, scheduler=cluster.scheduler_address)
    for name in ("raster", "rates", "cv", "correlations", "population_rate"):
        png = Path(s["plots"][name])
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert json.loads((tmp_path / "summary.json").read_text())["spikes"] == s["spikes"]
    local = analyze(path, out_dir=tmp_path / "local", plots=False)
    assert local["populations"] == s["populations"]


def test_cli_analyze_prints_a_table(store, tmp_path):
    distsim = str(Path(sys.executable).parent / "distsim")
    options = {
        "--sample": "3",
        "--raster-neurons": "2",
        "--raster-ms": "200",
        "--corr-bin": "2",
        "--fano-bin": "20",
        "--pop-rate-bin": "10",
        "--rate-hist-bin": "3",
        "--cv-hist-bin": "0.2",
    }
    r = subprocess.run(
        [
            distsim,
            "analyze",
            str(store[0]),
            "--no-plots",
            "--out",
            str(tmp_path / "out"),
            *(w for kv in options.items() for w in kv),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "population" in r.stdout and "ISI CV" in r.stdout
    assert sum(line.split()[0] in "ABC" for line in r.stdout.splitlines() if line.strip()) == 3
    settings = json.loads((tmp_path / "out" / "summary.json").read_text())["settings"]
    assert [
        settings[k]
        for k in (
            "n_sample",
            "raster_neurons",
            "raster_ms",
            "corr_bin_ms",
            "fano_bin_ms",
            "pop_rate_bin_ms",
            "rate_hist_bin_hz",
            "cv_hist_bin",
        )
    ] == [3, 2, 200.0, 2.0, 20.0, 10.0, 3.0, 0.2]
    r = subprocess.run(
        [distsim, "analyze", str(store[0]), "--sample", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 2
    assert "--sample: 1 is out of range; use a finite 2 <= neurons" in r.stderr


def test_export_nest_ascii_and_parquet(store, tmp_path):
    path = store[0]
    from distsim.store import open_run

    steps, gids = open_run(path).spikes()
    n = export_spikes(path, tmp_path / "spikes.dat", "nest")
    lines = (tmp_path / "spikes.dat").read_text().splitlines()
    assert lines[2] == "sender\ttime_ms" and n == steps.size == len(lines) - 3
    sender, t = np.loadtxt(tmp_path / "spikes.dat", skiprows=3, unpack=True)
    order = np.lexsort((sender, t))
    assert np.array_equal(sender[order].astype(int) - 1, gids)
    assert np.allclose(t[order], steps * 0.1)
    export_spikes(path, tmp_path / "spikes.parquet", "parquet")
    table = pq.read_table(tmp_path / "spikes.parquet").to_pydict()
    order = np.lexsort((table["gid"], table["step"]))
    assert np.array_equal(np.asarray(table["step"])[order], steps)
    assert np.array_equal(np.asarray(table["gid"])[order], gids)
