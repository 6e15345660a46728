"""``analyze``: statistics per population, a JSON summary and PNG plots next to the store."""
import json
import math
import os
import time
from contextlib import contextmanager

import numpy as np

from distsim.store import open_run
from distsim.store.ownership import ANALYSIS, ANALYSIS_FORMAT, check_target, claim

from . import statistics as stats


@contextmanager
def dask_client(scheduler):
    """A dask.distributed client: at ``scheduler`` (an address) or a local cluster of one
    worker with two threads in this process (no worker processes to spawn, so it also works
    from scripts without a ``__main__`` guard)."""
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def _describe(values):
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"n": 0, "mean": None, "std": None, "median": None}
    return {"n": int(v.size), "mean": float(v.mean()), "std": float(v.std()),
            "median": float(np.median(v))}


def analyze(store, out_dir=None, scheduler=None, t_start_ms=0.0, plots=True, n_sample=200,
            corr_bin_ms=1.0, fano_bin_ms=10.0, rate_bin_ms=5.0, seed=0, overwrite=False):
    """Analyse the run store ``store``; write ``summary.json`` and PNGs to ``out_dir``
    (default: STORE.analysis next to it: a new path or an empty folder, or with
    ``overwrite`` an earlier analysis, whose files are replaced; store/ownership.py) and
    return the summary."""
    t0 = time.perf_counter()
    run = open_run(store)
    out_dir = out_dir or str(store).rstrip("/") + ".analysis"
    check_target(out_dir, ANALYSIS, overwrite, "analyze --out")
    net = run.network()
    dt = run.dt
    step0 = int(round(t_start_ms / dt))
    step1 = run.flushed_step()
    if step1 <= step0:
        from distsim.errors import StoreError
        raise StoreError(f"analyze: the store holds {step1 * dt:g} ms, not more than "
                         f"t_start = {t_start_ms:g} ms; use a smaller --t-start")
    duration_s = (step1 - step0) * dt / 1000.0
    pop_index, pops = stats.population_index(net)
    with dask_client(scheduler):
        steps, gids = run.spikes_dask()
        counts = stats.spike_counts(steps, gids, net.n_neurons, step0)
        rates = counts / duration_s
        cv = stats.isi_cv(steps, gids, counts, step0)
        rate_bin = max(1, int(round(rate_bin_ms / dt)))
        fano_bin = max(1, int(round(fano_bin_ms / dt)))
        base = math.gcd(rate_bin, fano_bin)  # one pass for both bin widths
        base_counts = stats.population_counts(steps, gids, pop_index, step0, step1, base)
        pop_counts = stats.coarsen(base_counts, rate_bin // base)
        fano_counts = stats.coarsen(base_counts, fano_bin // base)
        rng = np.random.default_rng(seed)
        samples = {name: first + np.sort(rng.choice(size, min(size, n_sample), replace=False))
                   for name, first, size in pops}
        s, g = stats.select_spikes(steps, gids, np.concatenate(list(samples.values())),
                                   step0, step1)
    corr_bin = max(1, int(round(corr_bin_ms / dt)))
    corr = {name: stats.correlations(s, g, sample, step0, step1, corr_bin)
            for name, sample in samples.items()}
    raster = _raster_spikes(s, g, samples, max(step0, step1 - int(1000 / dt)))
    summary = {"store": str(store), "status": run.status, "complete": run.complete,
               "t_start_ms": t_start_ms, "t_end_ms": step1 * dt, "duration_s": duration_s,
               "spikes": int(counts.sum()), "populations": {}}
    for k, (name, first, size) in enumerate(pops):
        sl = slice(first, first + size)
        fc = fano_counts[k]
        summary["populations"][name] = {
            "size": size,
            "rate_hz": _describe(rates[sl]),
            "isi_cv": _describe(cv[sl]),
            "correlation": _describe(corr[name]),
            "fano_factor": float(fc.var() / fc.mean()) if fc.mean() > 0 else None,
            "population_rate_hz": float(pop_counts[k].sum() / (size * duration_s)) if size else 0.0,
        }
    summary["analysis_s"] = time.perf_counter() - t0
    claim(out_dir, ANALYSIS, overwrite, "analyze --out", lock=False)
    summary["out_dir"] = os.path.abspath(out_dir)
    if plots:
        from .plots import write_plots
        summary["plots"] = write_plots(out_dir, pops, rates, cv, corr, pop_counts,
                                       rate_bin * dt, step0 * dt, raster, dt)
        from .plots import write_weight_plots
        for k, wr in enumerate(run.attrs.get("weight_recorders", [])):
            summary["plots"][f"weights_{k}"] = write_weight_plots(out_dir, wr["projection"],
                                                                  run.weights(k))
    summary["format"] = ANALYSIS_FORMAT
    summary["files"] = sorted(os.path.basename(p) for p in summary.get("plots", {}).values())
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return summary


def _raster_spikes(s, g, samples, lo):
    """Of the sampled neurons' spikes (s, g), those of the first 50 per population after
    step ``lo``."""
    chosen = np.sort(np.concatenate([sample[:50] for sample in samples.values()]))
    keep = np.isin(g, chosen) & (s > lo)
    return s[keep], g[keep], chosen


def format_table(summary):
    """The per-population table ``distsim analyze`` prints."""
    head = (f"{'population':<12} {'N':>8} {'rate Hz':>9} {'sd':>7} {'ISI CV':>7} "
            f"{'corr':>8} {'Fano':>7}")
    lines = [head, "-" * len(head)]

    def f(x, fmt):
        return format(x, fmt) if x is not None else "-"

    for name, p in summary["populations"].items():
        lines.append(f"{name:<12} {p['size']:>8} {f(p['rate_hz']['mean'], '9.3f')} "
                     f"{f(p['rate_hz']['std'], '7.3f')} {f(p['isi_cv']['mean'], '7.3f')} "
                     f"{f(p['correlation']['mean'], '8.4f')} {f(p['fano_factor'], '7.2f')}")
    return "\n".join(lines)
