"""``analyze``: statistics per population, a JSON summary and PNG plots next to the store."""

import inspect
import json
import logging
import math
import os
import time

import dask
import dask.array as da
import numpy as np

from distsim.errors import ConfigError, StoreError
from distsim.store import open_run
from distsim.store.ownership import ANALYSIS, ANALYSIS_FORMAT, check_target, claim

from . import statistics as stats
from .cluster import dask_client

log = logging.getLogger(__name__)
BASE_CELLS = 2**25  # population x time bins (int64) counted at once for both bin widths


def _describe(values):
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"n": 0, "mean": None, "std": None, "median": None}
    return {
        "n": int(v.size),
        "mean": float(v.mean()),
        "std": float(v.std()),
        "median": float(np.median(v)),
    }


def _time_bin(name, ms, dt):
    """A time bin of ``ms`` as a whole number (>= 1) of steps of ``dt``; warns when rounded."""
    steps = max(1, int(round(ms / dt)))
    if abs(steps * dt - ms) > 1e-9 * ms:
        log.warning(
            "analyze: %s = %g ms is not a whole number of steps (dt = %g ms); using %g ms",
            name,
            ms,
            dt,
            steps * dt,
        )
    return steps


def _check_settings(values):
    """Raise ConfigError for an option of analyze out of range (name, rule, value, fix)."""
    defaults = inspect.signature(analyze).parameters
    for name, value in values.items():
        counts = name in ("n_sample", "raster_neurons")
        low = 2 if name == "n_sample" else 1
        if isinstance(value, bool):
            ok = False
        elif counts:
            ok = isinstance(value, (int, np.integer)) and value >= low
        else:
            ok = (value is None and defaults[name].default is None) or (
                isinstance(value, (int, float, np.number)) and math.isfinite(value) and value > 0
            )
        if not ok:
            default = defaults[name].default
            raise ConfigError(
                f"analyze: {name} = {value!r} is not "
                f"{f'an integer >= {low}' if counts else 'a positive, finite number'}; use "
                + (
                    f"e.g. {name}={default!r}"
                    if default is not None
                    else "one, or leave it out to have it chosen from the data"
                )
            )


def analyze(
    store,
    out_dir=None,
    scheduler=None,
    t_start_ms=0.0,
    plots=True,
    n_sample=200,
    corr_bin_ms=1.0,
    fano_bin_ms=10.0,
    pop_rate_bin_ms=5.0,
    rate_hist_bin_hz=None,
    cv_hist_bin=None,
    raster_neurons=50,
    raster_ms=1000.0,
    seed=0,
    overwrite=False,
):
    """Analyse the run store ``store``; write ``summary.json`` and PNGs to ``out_dir``
    (default: STORE.analysis next to it: a new path or an empty folder, or with
    ``overwrite`` an earlier analysis, whose files are replaced; store/ownership.py) and
    return the summary.

    Spikes after ``t_start_ms`` count.  Correlations (of spike counts in ``corr_bin_ms``
    bins) use ``n_sample`` neurons drawn per population (``seed``), the raster the spikes of
    ``raster_neurons`` of them in the last ``raster_ms``; population rates are counted in
    ``pop_rate_bin_ms`` bins, Fano factors in ``fano_bin_ms`` bins (all in ms, rounded to
    whole steps).  Histogram bins: ``rate_hist_bin_hz`` (Hz, rounded to a whole number of
    the rate quantum 1/T; default chosen from the rates) and ``cv_hist_bin`` (default chosen
    from the CVs).  ``summary["settings"]`` holds the values used.  Recorded states and
    weights get plots of their own (state_POP.png, weights_PROJECTION.png).

    The dask work runs where ``scheduler`` says: None (a local cluster in this process), the
    address of a running scheduler, or a ``Cluster`` (cluster.py: a scheduler file, local
    worker processes, Slurm jobs); the results do not depend on it."""
    _check_settings(
        {
            "n_sample": n_sample,
            "raster_neurons": raster_neurons,
            "raster_ms": raster_ms,
            "corr_bin_ms": corr_bin_ms,
            "fano_bin_ms": fano_bin_ms,
            "pop_rate_bin_ms": pop_rate_bin_ms,
            "rate_hist_bin_hz": rate_hist_bin_hz,
            "cv_hist_bin": cv_hist_bin,
        }
    )
    t0 = time.perf_counter()
    run = open_run(store)
    out_dir = out_dir or str(store).rstrip("/") + ".analysis"
    check_target(out_dir, ANALYSIS, overwrite, "analyze --out")
    net = run.network()
    dt = run.dt
    step0 = int(round(t_start_ms / dt))
    step1 = run.flushed_step()
    if step1 <= step0:
        raise StoreError(
            f"analyze: the store holds {step1 * dt:g} ms, not more than "
            f"t_start = {t_start_ms:g} ms; use a smaller --t-start"
        )
    duration_s = (step1 - step0) * dt / 1000.0
    pop_index, pops = stats.population_index(net)
    rate_bin = _time_bin("pop_rate_bin_ms", pop_rate_bin_ms, dt)
    fano_bin = _time_bin("fano_bin_ms", fano_bin_ms, dt)
    corr_bin = _time_bin("corr_bin_ms", corr_bin_ms, dt)
    raster_steps = min(step1 - step0, _time_bin("raster_ms", raster_ms, dt))
    with dask_client(scheduler):
        steps, gids = run.spikes_dask()
        counts = stats.spike_counts(steps, gids, net.n_neurons, step0)
        rates = counts / duration_s
        cv = stats.isi_cv(steps, gids, counts, step0)
        base = math.gcd(rate_bin, fano_bin)
        if len(pops) * (step1 - step0) // base <= BASE_CELLS:  # one pass for both widths
            base_counts = stats.population_counts(steps, gids, pop_index, step0, step1, base)
            pop_counts = stats.coarsen(base_counts, rate_bin // base)
            fano_counts = stats.coarsen(base_counts, fano_bin // base)
        else:  # their common bin is too fine to hold: one pass each
            pop_counts = stats.population_counts(steps, gids, pop_index, step0, step1, rate_bin)
            fano_counts = stats.population_counts(steps, gids, pop_index, step0, step1, fano_bin)
        # whole Fano bins only: a short last bin would inflate the variance
        fano_counts = fano_counts[:, : (step1 - step0) // fano_bin]
        rng = np.random.default_rng(seed)
        drawn = {
            name: first + rng.choice(size, min(size, max(n_sample, raster_neurons)), replace=False)
            for name, first, size in pops
        }
        samples = {name: np.sort(d[:n_sample]) for name, d in drawn.items()}
        shown = np.sort(np.concatenate([d[:raster_neurons] for d in drawn.values()]))
        s, g = stats.select_spikes(steps, gids, np.concatenate(list(drawn.values())), step0, step1)
        corr = {  # on the workers, from the sampled neurons' spikes (one pass for all)
            name: dask.delayed(stats.correlations)(s, g, sample, step0, step1, corr_bin)
            for name, sample in samples.items()
        }
        keep = da.isin(g, shown) & (s > step1 - raster_steps)
        corr, raster = dask.compute(corr, (s[keep], g[keep]))
    rate_edges, rate_width = stats.quantised_edges(rates, 1.0 / duration_s, width=rate_hist_bin_hz)
    if rate_hist_bin_hz is not None and abs(rate_width - rate_hist_bin_hz) > 1e-9 * rate_width:
        log.warning(
            "analyze: rate_hist_bin_hz = %g Hz is not a whole number of the rate "
            "quantum 1/T = %g Hz (T = %g s); using %g Hz",
            rate_hist_bin_hz,
            1.0 / duration_s,
            duration_s,
            rate_width,
        )
    cv_edges, cv_width = stats.plain_edges(cv, cv_hist_bin)
    corr_range = stats.correlation_range(np.concatenate([c[0] for c in corr.values()]))
    corr_edges = {name: stats.correlation_edges(*c, *corr_range) for name, c in corr.items()}
    settings = {
        "t_start_ms": t_start_ms,
        "duration_s": duration_s,
        "seed": seed,
        "n_sample": n_sample,
        "raster_neurons": raster_neurons,
        "raster_ms": raster_steps * dt,
        "corr_bin_ms": corr_bin * dt,
        "fano_bin_ms": fano_bin * dt,
        "pop_rate_bin_ms": rate_bin * dt,
        "rate_quantum_hz": 1.0 / duration_s,
        "rate_hist_bin_hz": rate_width,
        "cv_hist_bin": cv_width,
        "corr_hist_range": [float(x) for x in corr_range],
        "corr_hist_bin": {name: e[1] for name, e in corr_edges.items()},
    }
    summary = {
        "store": str(store),
        "status": run.status,
        "complete": run.complete,
        "t_start_ms": t_start_ms,
        "t_end_ms": step1 * dt,
        "duration_s": duration_s,
        "spikes": int(counts.sum()),
        "settings": settings,
        "populations": {},
    }
    for k, (name, first, size) in enumerate(pops):
        sl = slice(first, first + size)
        fc = fano_counts[k]
        summary["populations"][name] = {
            "size": size,
            "sampled": int(samples[name].size),
            "rate_hz": _describe(rates[sl]),
            "isi_cv": _describe(cv[sl]),
            "correlation": _describe(corr[name][0]),
            "fano_factor": float(fc.var() / fc.mean()) if fc.size and fc.mean() > 0 else None,
            "population_rate_hz": float(pop_counts[k].sum() / (size * duration_s)) if size else 0.0,
        }
    areas = _area_rates(pops, rates)
    if areas:
        summary["areas"] = areas
        reference = _reference_rates(run, summary["populations"])
        if reference:
            summary["reference"] = reference
    summary["analysis_s"] = time.perf_counter() - t0
    claim(out_dir, ANALYSIS, overwrite, "analyze --out", lock=False)
    summary["out_dir"] = os.path.abspath(out_dir)
    if plots:
        from .plots import write_plots, write_recorder_plots

        data = {
            "rates": (rates, rate_edges),
            "cv": (cv, cv_edges),
            "corr": {name: (c[0], corr_edges[name][0]) for name, c in corr.items()},
            "pop_counts": pop_counts,
            "raster": (*raster, shown),
        }
        summary["plots"] = write_plots(out_dir, pops, data, settings, dt)
        if areas:
            from .plots import write_area_plot

            summary["plots"].update(write_area_plot(out_dir, areas, summary.get("reference")))
        summary["plots"].update(write_recorder_plots(out_dir, run, net))
    summary["format"] = ANALYSIS_FORMAT
    summary["files"] = sorted(os.path.basename(p) for p in summary.get("plots", {}).values())
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return summary


def _area_rates(pops, rates):
    """{area: {"rate_hz": its neurons' mean rate, "populations": {POP: mean rate}}} when
    every population is named AREA.POP (a model file's hierarchy), else None."""
    if not pops or not all("." in name for name, _, _ in pops):
        return None
    areas = {}
    for name, first, size in pops:
        area, pop = name.rsplit(".", 1)
        entry = areas.setdefault(area, {"rate_hz": 0.0, "neurons": 0, "populations": {}})
        total = float(rates[first : first + size].sum())
        entry["populations"][pop] = total / size if size else 0.0
        entry["rate_hz"] += total
        entry["neurons"] += size
    for entry in areas.values():
        entry["rate_hz"] /= max(entry["neurons"], 1)
    return areas


def _reference_rates(run, populations):
    """The data file's mean-field rates of the multi-area model beside the simulated ones,
    for a ``distsim run multi_area`` of every area in the ground state (the prediction is
    of the whole model; none exists for the metastable state), else None."""
    source = run.source or {}
    options = source.get("options") or {}
    if source.get("example") != "multi_area" or options.get("areas"):
        return None
    from ..examples.multi_area import reference_rates

    ref = reference_rates(options.get("state") or "ground")
    if ref is None or set(ref) != set(populations):
        return None
    names = sorted(ref)
    ours = np.array([populations[n]["population_rate_hz"] for n in names])
    theirs = np.array([ref[n] for n in names])
    corr = np.corrcoef(np.log10(ours + 1e-3), np.log10(theirs + 1e-3))[0, 1]
    return {
        "what": "mean-field (Siegert) rates, ground state",
        "source": "multi_area_model.json: reference_rates.meanfield_ground_state_computed_here",
        "rates_hz": ref,
        "log_rate_correlation": float(corr),
        "median_ratio": float(np.median((ours + 1e-3) / (theirs + 1e-3))),
    }


def format_table(summary):
    """The per-population table ``distsim analyze`` prints."""
    head = (
        f"{'population':<12} {'N':>8} {'rate Hz':>9} {'sd':>7} {'ISI CV':>7} "
        f"{'corr':>8} {'Fano':>7}"
    )
    lines = [head, "-" * len(head)]

    def f(x, fmt):
        return format(x, fmt) if x is not None else "-"

    for name, p in summary["populations"].items():
        lines.append(
            f"{name:<12} {p['size']:>8} {f(p['rate_hz']['mean'], '9.3f')} "
            f"{f(p['rate_hz']['std'], '7.3f')} {f(p['isi_cv']['mean'], '7.3f')} "
            f"{f(p['correlation']['mean'], '8.4f')} {f(p['fano_factor'], '7.2f')}"
        )
    return "\n".join(lines)
