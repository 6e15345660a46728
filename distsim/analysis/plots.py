"""PNG plots of an analysis (matplotlib, Agg backend).

Every axis says what it shows, in which unit, with which bin width and over how many
neurons; populations get one panel each (small multiples sharing the x axis), named above
the panel, so nothing is drawn over the data; file names hold only [A-Za-z0-9._-].
"""

import os
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

# Units of recordable state variables and of synaptic weights by target model, as the
# models' docstrings give them (NEST units).
STATE_UNITS = {
    "V_m": "mV",
    "I_syn_ex": "pA",
    "I_syn_in": "pA",
    "U_m": "mV/ms",
    "u": "24-bit state units",
    "v": "24-bit state units",
}
WEIGHT_UNITS = {
    "iaf_psc_delta": "mV",
    "izhikevich": "mV",
    "iaf_psc_alpha": "pA",
    "iaf_psc_exp": "pA",
    "loihi_cuba_lif": "integer units",
}
TRACES_MAX = 10  # recorded neurons up to which states are drawn as traces (else a heat map)
POOL_ABOVE = 24  # more populations named AREA.POP than this: one panel per POP, areas pooled
WEIGHT_TRACES_MAX = 50  # sampled synapses drawn as traces
DPI = 110


def safe_names(names):
    """File stems of ``names`` with only [A-Za-z0-9._-] ("->" becomes "-to-", any other run
    of characters "_"), made distinct by a suffix -2, -3, ... where two would be equal."""
    out, seen = [], set()
    for name in names:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name.replace("->", "-to-"))[:120]
        candidate, k = stem, 1
        while candidate.lower() in seen:  # also distinct on case-insensitive file systems
            k += 1
            candidate = f"{stem}-{k}"
        seen.add(candidate.lower())
        out.append(candidate)
    return out


def _unit(label, unit):
    return f"{label} ({unit})" if unit else label


def _save(fig, out_dir, stem, paths):
    path = os.path.join(out_dir, f"{stem}.png")
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    paths[stem] = path


def _panels(n, row_height=1.15, width=7.5):
    """A figure of ``n`` panels sharing x: one column up to 12, else a grid."""
    ncols = 1 if n <= 12 else int(np.ceil(np.sqrt(n / 3.0)))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(
        nrows,
        ncols,
        sharex=True,
        squeeze=False,
        layout="constrained",
        figsize=(width * (1 if ncols == 1 else 0.45 * ncols), 1.0 + row_height * nrows),
    )
    axes = axes.ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[max(0, n - ncols) : n]:
        ax.tick_params(labelbottom=True)
    return fig, axes[:n]


def _histograms(pops, values, edges, colors, title, xlabel, ylabel, note, empty):
    """One histogram panel per population of ``values[k]`` over ``edges[k]``; ``note(k, v)``
    is the text beside the population's name, ``empty`` the text of a panel without values;
    returns the figure and its panels."""
    fig, axes = _panels(len(pops))
    for k, (ax, (name, _, _)) in enumerate(zip(axes, pops)):
        v = values[k][np.isfinite(values[k])]
        if v.size:
            ax.hist(v, edges[k], color=colors[k], alpha=0.85)
        else:
            ax.text(0.5, 0.5, empty, transform=ax.transAxes, ha="center", va="center", color="0.4")
        ax.set_title(f"{name}: {note(k, v)}", loc="left", fontsize=8)
        ax.tick_params(labelsize=8)
    fig.suptitle(title)
    fig.supxlabel(xlabel, fontsize=10)
    fig.supylabel(ylabel, fontsize=10)
    return fig, axes


def pooled_by_type(pops):
    """For many populations named AREA.POP (a model-file hierarchy): [(POP, [indices of its
    populations in every area])], in order of first appearance; None otherwise."""
    if len(pops) <= POOL_ABOVE or not all("." in name for name, _, _ in pops):
        return None
    groups = {}
    for k, (name, _, _) in enumerate(pops):
        groups.setdefault(name.rsplit(".", 1)[1], []).append(k)
    return list(groups.items())


def _pool(values, groups):
    """The values of each group's populations concatenated."""
    return [np.concatenate([values[k] for k in ks]) for _, ks in groups]


def write_plots(out_dir, pops, data, settings, dt):
    """raster.png, rates.png, cv.png, correlations.png, population_rate.png from ``data``
    (see report.analyze) with the bin widths and samples of ``settings``; their paths.
    Beyond POOL_ABOVE populations named AREA.POP, the histograms and population rates have
    one panel per POP with every area's neurons pooled (areas.png shows each area)."""
    groups = pooled_by_type(pops)
    colors = plt.cm.tab10(np.arange(len(groups or pops)) % 10)
    pop_colors = colors  # (by population type when pooled)
    if groups:
        pop_colors = np.empty((len(pops), colors.shape[1]))
        for g, (_, ks) in enumerate(groups):
            pop_colors[ks] = colors[g]
    paths = {}
    t0, t1 = settings["t_start_ms"], settings["t_start_ms"] + 1000.0 * settings["duration_s"]
    sizes = [size for _, _, size in pops]

    steps, gids, shown = data["raster"]
    n_rows = shown.size
    height = float(np.clip(1.5 + 0.012 * n_rows, 3.0, 10.0))
    fig, ax = plt.subplots(figsize=(9, height), layout="constrained")
    row = n_rows - 1 - np.searchsorted(shown, gids)  # first population on top
    first = np.array([p[1] for p in pops])
    owner = np.searchsorted(first, gids, side="right") - 1
    ms = float(np.clip(1.5 * (height - 1.0) * 72 / max(n_rows, 1), 2.0, 6.0))
    ticks, labels = [], []
    for k, (name, first_gid, size) in enumerate(pops):
        m = owner == k
        ax.plot(steps[m] * dt, row[m], "|", ms=ms, mew=1.0, color=pop_colors[k])
        rows = n_rows - 1 - np.searchsorted(shown, [first_gid, first_gid + size])
        if rows[0] > rows[1]:
            ticks.append(0.5 * (rows[0] + rows[1]))
            labels.append(name)
            ax.axhline(rows[1] + 0.5, color="0.7", lw=0.5)
    step = max(1, len(ticks) // 40)
    ax.set_yticks(ticks[::step], labels[::step], fontsize=8)
    ax.set(
        xlim=(t1 - settings["raster_ms"], t1),
        ylim=(-0.5, n_rows - 0.5),
        xlabel="time (ms)",
        ylabel="sampled neurons",
        title=f"Spikes of up to {settings['raster_neurons']} neurons per population, "
        f"last {settings['raster_ms']:g} ms",
    )
    _save(fig, out_dir, "raster", paths)

    all_pops = pops
    if groups:  # the panels below: one per population type, areas pooled
        pops = [(f"{t} ({len(ks)} areas)", 0, sum(all_pops[k][2] for k in ks)) for t, ks in groups]
        sizes = [size for _, _, size in pops]

    def per_panel(values):
        return _pool(values, groups) if groups else values

    rates, edges = data["rates"]
    values = per_panel([rates[f : f + n] for _, f, n in all_pops])
    k_quanta = settings["rate_hist_bin_hz"] / settings["rate_quantum_hz"]
    fig, _ = _histograms(
        pops,
        values,
        [edges] * len(pops),
        colors,
        f"Firing rates of all neurons, {t0:g}-{t1:g} ms (T = {settings['duration_s']:g} s)",
        f"firing rate (Hz), bins of {settings['rate_hist_bin_hz']:.3g} Hz "
        f"(= {k_quanta:.0f}/T: rates are spike counts / T)",
        "neurons per bin",
        lambda k, v: f"N = {sizes[k]:,} neurons, mean {v.mean() if v.size else 0:.3g} Hz",
        "no neurons",
    )
    _save(fig, out_dir, "rates", paths)

    cv, edges = data["cv"]
    values = per_panel([cv[f : f + n] for _, f, n in all_pops])
    fig, _ = _histograms(
        pops,
        values,
        [edges] * len(pops),
        colors,
        f"Irregularity of firing, {t0:g}-{t1:g} ms",
        f"ISI CV (std / mean of a neuron's inter-spike intervals), bins of "
        f"{settings['cv_hist_bin']:.3g}",
        "neurons per bin",
        lambda k, v: (
            f"N = {v.size:,} of {sizes[k]:,} neurons (those with >= 3 spikes)"
            + (f", mean {v.mean():.3g}" if v.size else "")
        ),
        "no neuron with >= 3 spikes",
    )
    _save(fig, out_dir, "cv", paths)

    corr = data["corr"]
    names = [name for name, _, _ in pops]
    width = settings["corr_hist_bin"]
    lo, hi = settings["corr_hist_range"]
    if groups:  # pooled pairs on the common bins of the first population of each type
        corr = {
            name: (
                np.concatenate([corr[all_pops[k][0]][0] for k in ks]),
                corr[all_pops[ks[0]][0]][1],
            )
            for name, (_, ks) in zip(names, groups)
        }
        width = {name: width[all_pops[ks[0]][0]] for name, (_, ks) in zip(names, groups)}

    def outside(v):
        n = int(np.sum((v < lo) | (v > hi)))
        return f", {n:,} beyond the axis" if n else ""

    fig, axes = _histograms(
        pops,
        [corr[n][0] for n in names],
        [corr[n][1] for n in names],
        colors,
        f"Pairwise spike count correlations, {t0:g}-{t1:g} ms (all pairs of "
        f"{settings['n_sample']} neurons drawn per population)",
        f"correlation coefficient of spike counts in {settings['corr_bin_ms']:g} ms bins",
        "pairs per bin",
        lambda k, v: (
            f"{v.size:,} pairs of neurons that fired, bins of {width[names[k]]:.2g}"
            + (f", mean {v.mean():.2g}" if v.size else "")
            + outside(v)
        ),
        "fewer than two sampled neurons fired",
    )
    axes[0].set_xlim(lo, hi)
    _save(fig, out_dir, "correlations", paths)

    counts = data["pop_counts"]
    if groups:
        counts = np.array([counts[ks].sum(axis=0) for _, ks in groups])
    bin_ms = settings["pop_rate_bin_ms"]
    t = np.minimum(t0 + np.arange(counts.shape[1] + 1) * bin_ms, t1)  # last bin may be short
    fig, axes = _panels(len(pops), row_height=1.0, width=9.0)
    for k, (ax, (name, _, size)) in enumerate(zip(axes, pops)):
        r = counts[k] / (size * np.diff(t) / 1000.0) if size else np.zeros(t.size - 1)
        ax.stairs(r, t, color=colors[k], lw=0.8)
        mean = counts[k].sum() / (size * settings["duration_s"]) if size else 0.0
        ax.set_title(f"{name}: N = {size:,}, mean {mean:.3g} Hz", loc="left", fontsize=8)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=8)
    axes[0].set_xlim(t0, t1)
    fig.suptitle(f"Population rates (spikes per neuron and second in {bin_ms:g} ms bins)")
    fig.supxlabel("time (ms)", fontsize=10)
    fig.supylabel("population rate (Hz)", fontsize=10)
    _save(fig, out_dir, "population_rate", paths)
    return paths


def write_area_plot(out_dir, areas, reference):
    """areas.png: the mean rate of every population as an image of areas (rows) by
    population types (columns), on a log colour scale, and beside it the ``reference``
    rates (e.g. the multi-area model's mean-field rates) with a scatter of the two; its
    path (``areas``, ``reference``: report.analyze's summary entries)."""
    names = list(areas)
    types = list(dict.fromkeys(t for a in areas.values() for t in a["populations"]))
    image = np.full((len(names), len(types)), np.nan)
    ref = np.full_like(image, np.nan)
    for i, area in enumerate(names):
        for j, t in enumerate(types):
            full = f"{area}.{t}"
            image[i, j] = areas[area]["populations"].get(t, np.nan)
            if reference:
                ref[i, j] = reference["rates_hz"].get(full, np.nan)
    shown = [image] + ([ref] if reference else [])
    positive = np.concatenate([a[np.isfinite(a) & (a > 0)] for a in shown])
    lo, hi = (positive.min(), positive.max()) if positive.size else (0.01, 1.0)
    norm = LogNorm(vmin=max(lo, 1e-3), vmax=max(hi, 2 * max(lo, 1e-3)))
    panels = len(shown) + (1 if reference else 0)
    fig, axes = plt.subplots(
        1, panels, figsize=(4.2 * panels, 1.6 + 0.22 * len(names)), layout="constrained"
    )
    axes = np.atleast_1d(axes)
    titles = ["simulated"] + ([reference["what"]] if reference else [])
    for ax, values, title in zip(axes, shown, titles):
        im = ax.imshow(
            np.where(values > 0, values, np.nan), norm=norm, cmap="viridis", aspect="auto"
        )
        ax.set_xticks(range(len(types)), types, fontsize=8)
        ax.set_yticks(range(len(names)), names, fontsize=7)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("population")
    axes[0].set_ylabel("area")
    fig.colorbar(im, ax=axes[: len(shown)], label="mean firing rate (Hz, log scale)")
    if reference:
        ax = axes[-1]
        m = np.isfinite(image) & np.isfinite(ref)
        x, y = np.maximum(ref[m], 1e-3), np.maximum(image[m], 1e-3)
        ax.loglog(x, y, ".", ms=4, color="C0")
        span = [min(x.min(), y.min()), max(x.max(), y.max())]
        ax.loglog(span, span, "-", color="0.5", lw=0.8)
        ax.set(
            xlabel=f"{reference['what']} (Hz)",
            ylabel="simulated (Hz)",
            title=f"{m.sum()} populations, r(log rates) = {reference['log_rate_correlation']:.2f}",
        )
        ax.title.set_fontsize(9)
    fig.suptitle(
        "Mean firing rate of each population (blank: no such population, or silent; in the "
        "scatter rates below 1e-3 Hz at 1e-3 Hz)"
    )
    paths = {}
    _save(fig, out_dir, "areas", paths)
    return paths


def _image_with_colorbar(fig, ax, image, t_edges, y_edges, label, counts=False):
    """``image`` (n_times, n_y) as a colour-mapped mesh over the edges, with a colour bar:
    ``counts`` on a log scale when they span more than two decades (zero: white), other
    values clipped to their 0.5-99.5 percentiles (the bar's arrows mark clipping)."""
    extend = "neither"
    if counts:
        positive = image[image > 0]
        log = positive.size and positive.max() > 100 * positive.min()
        norm = LogNorm(positive.min(), positive.max()) if log else None
        image = np.ma.masked_equal(image, 0)
        label += " (white: none)"
    else:
        lo, hi = np.nanpercentile(image, [0.5, 99.5]) if image.size else (0.0, 1.0)
        full = np.nanmin(image), np.nanmax(image)
        extend = ["neither", "min", "max", "both"][(full[0] < lo) + 2 * (full[1] > hi)]
        norm = matplotlib.colors.Normalize(lo, hi if hi > lo else lo + 1.0)
    if image.size > 2_000_000:  # a mesh of millions of cells is slow; the grid is regular
        mesh = ax.imshow(
            image.T,
            origin="lower",
            aspect="auto",
            interpolation="nearest",
            extent=(t_edges[0], t_edges[-1], y_edges[0], y_edges[-1]),
            norm=norm,
        )
    else:
        mesh = ax.pcolormesh(t_edges, y_edges, image.T, norm=norm, shading="flat")
    fig.colorbar(mesh, ax=ax, label=label, pad=0.01, extend=extend)


def _time_edges(times, interval):
    """Edges of the sampling intervals centred on the sample ``times`` (ms)."""
    return np.concatenate((times - interval / 2, times[-1:] + interval / 2))


def write_state_plot(out_dir, stem, rec, population, variables, units, interval):
    """STEM.png: the recorded ``variables`` of ``population`` (``rec``: run.states(k)), one
    panel per variable: traces up to TRACES_MAX neurons, else a heat map (neurons x time)
    with a colour bar; its path."""
    n = rec["gids"].size
    fig, axes = plt.subplots(
        len(variables),
        1,
        sharex=True,
        squeeze=False,
        layout="constrained",
        figsize=(9, 0.8 + 2.6 * len(variables)),
    )
    times = rec["times"]
    for ax, var in zip(axes[:, 0], variables):
        label = _unit(var, units.get(var))
        if times.size == 0:
            ax.text(0.5, 0.5, "no samples", transform=ax.transAxes, ha="center")
        elif n <= TRACES_MAX:
            for j, gid in enumerate(rec["gids"]):
                ax.plot(times, rec[var][:, j], lw=0.8, label=f"gid {gid}")
            ax.legend(
                loc="upper left",
                bbox_to_anchor=(1.01, 1.0),
                fontsize=7,
                title="neuron",
                title_fontsize=7,
                frameon=False,
            )
            ax.set_ylabel(label)
        else:
            _image_with_colorbar(
                fig, ax, rec[var], _time_edges(times, interval), np.arange(n + 1) - 0.5, label
            )
            ax.set_ylabel("recorded neuron (gid order)")
        ax.set_title(
            f"{label} of {n:,} neurons of {population}, sampled every {interval:g} ms",
            loc="left",
            fontsize=9,
        )
    axes[-1, 0].set_xlabel("time (ms)")
    paths = {}
    _save(fig, out_dir, stem, paths)
    return paths[stem]


def write_weight_plot(out_dir, stem, rec, projection, unit, interval):
    """STEM.png: the weight distribution of ``projection`` over time (one column per sample,
    colour: synapses per bin) and the sampled synapses' weights (``rec``: run.weights(k));
    its path."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6.5), sharex=True, layout="constrained")
    t, edges = rec["times"], rec["edges"]
    label = _unit("weight", unit)
    counted = rec["histogram"].sum(axis=1).astype(np.int64)
    if t.size:
        _image_with_colorbar(
            fig,
            top,
            rec["histogram"],
            _time_edges(t, interval),
            edges,
            "synapses per bin",
            counts=True,
        )
        shown = rec["weight"][:, :WEIGHT_TRACES_MAX]
        bottom.plot(t, shown, lw=0.8)
        # the image's colour bar narrows the top panel: one of the same width keeps x aligned
        fig.colorbar(plt.cm.ScalarMappable(), ax=bottom, pad=0.01).ax.set_visible(False)
    unit_text = f" {unit}" if unit else ""
    within = (
        f"{counted[0]:,} synapses within the bins"
        if np.all(counted == counted[0])
        else f"{counted[0]:,} synapses within the bins at first, {counted[-1]:,} at the end"
        if t.size
        else "no samples"
    )
    top.set(
        ylabel=label,
        title=f"Projection {projection}: weight distribution, sampled every "
        f"{interval:g} ms\nbins of {np.diff(edges).mean():.3g}"
        f"{unit_text} from {edges[0]:.4g} to {edges[-1]:.4g}{unit_text}; "
        f"{within}",
    )
    n_rec = rec["weight"].shape[1]
    targets = np.unique(rec["target"])
    bottom.set(
        xlabel="time (ms)",
        ylabel=label,
        title=f"{min(n_rec, WEIGHT_TRACES_MAX)} of the {n_rec:,} synapses onto the "
        f"{targets.size} recorded target neurons (gids "
        f"{', '.join(map(str, targets[:8]))}{', ...' if targets.size > 8 else ''})",
    )
    top.title.set_fontsize(9)
    bottom.title.set_fontsize(9)
    paths = {}
    _save(fig, out_dir, stem, paths)
    return paths[stem]


def write_recorder_plots(out_dir, run, net):
    """A plot per state recorder (state_POPULATION.png) and per weight recorder
    (weights_PROJECTION.png) of the run store ``run``; their paths by key state_K and
    weights_K."""
    states = run.attrs.get("state_recorders", [])
    weights = run.attrs.get("weight_recorders", [])
    stems = safe_names(
        [f"state_{r['population']}" for r in states]
        + [f"weights_{r['projection']}" for r in weights]
    )
    paths = {}
    for k, r in enumerate(states):
        units = {var: STATE_UNITS.get(var) for var in r["variables"]}
        paths[f"state_{k}"] = write_state_plot(
            out_dir, stems[k], run.states(k), r["population"], r["variables"], units, r["interval"]
        )
    projections = {p.name: p for p in net.projections}
    for k, r in enumerate(weights):
        target = net.populations[projections[r["projection"]].target].model.name
        paths[f"weights_{k}"] = write_weight_plot(
            out_dir,
            stems[len(states) + k],
            run.weights(k),
            r["projection"],
            WEIGHT_UNITS.get(target),
            r["interval"],
        )
    return paths
