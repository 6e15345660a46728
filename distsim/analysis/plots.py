"""PNG plots of an analysis (matplotlib, Agg backend)."""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def write_plots(out_dir, pops, rates, cv, corr, pop_counts, bin_ms, t0_ms, raster, dt):
    """raster.png, rates.png, cv.png, correlations.png, population_rate.png; their paths."""
    colors = plt.cm.tab10(np.arange(len(pops)) % 10)
    paths = {}

    def save(fig, name):
        path = os.path.join(out_dir, name)
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        paths[name[:-4]] = path

    steps, gids, chosen = raster
    fig, ax = plt.subplots(figsize=(9, 5))
    row = np.searchsorted(chosen, gids)
    first = np.array([p[1] for p in pops])
    owner = np.searchsorted(first, gids, side="right") - 1
    for k, (name, _, _) in enumerate(pops):
        m = owner == k
        ax.plot(steps[m] * dt, row[m], "|", ms=3, color=colors[k], label=name)
    ax.set(xlabel="time (ms)", ylabel="sampled neuron", title="Raster (last second, sample)")
    ax.legend(loc="upper right", fontsize=7, markerscale=3)
    save(fig, "raster.png")

    for values, name, xlabel in ((rates, "rates.png", "firing rate (Hz)"),
                                 (cv, "cv.png", "ISI CV")):
        fig, ax = plt.subplots(figsize=(7, 4))
        for k, (pname, first_gid, size) in enumerate(pops):
            v = values[first_gid:first_gid + size]
            v = v[np.isfinite(v)]
            if v.size:
                ax.hist(v, bins=50, histtype="step", color=colors[k], label=pname, density=True)
        ax.set(xlabel=xlabel, ylabel="density", title=f"Distribution of {xlabel} per population")
        ax.legend(fontsize=7)
        save(fig, name)

    fig, ax = plt.subplots(figsize=(7, 4))
    for k, (pname, _, _) in enumerate(pops):
        if corr[pname].size:
            ax.hist(corr[pname], bins=50, histtype="step", color=colors[k], label=pname,
                    density=True)
    ax.set(xlabel="spike count correlation", ylabel="density",
           title="Pairwise correlations (sampled neurons)")
    ax.legend(fontsize=7)
    save(fig, "correlations.png")

    fig, ax = plt.subplots(figsize=(9, 4))
    t = t0_ms + (np.arange(pop_counts.shape[1]) + 0.5) * bin_ms
    for k, (pname, _, size) in enumerate(pops):
        if size:
            ax.plot(t, pop_counts[k] / (size * bin_ms / 1000.0), color=colors[k], lw=0.8,
                    label=pname)
    ax.set(xlabel="time (ms)", ylabel="population rate (Hz)", title="Population rates")
    ax.legend(fontsize=7)
    save(fig, "population_rate.png")
    return paths


def write_weight_plots(out_dir, name, rec):
    """weights_NAME.png: the weight histogram over time (one column per sample) and the
    sampled synapses' weights over time (``rec``: run.weights(k)); its path."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    t, edges = rec["times"], rec["edges"]
    if t.size:
        extent = (t[0], t[-1] if t.size > 1 else t[0] + 1.0, edges[0], edges[-1])
        top.imshow(rec["histogram"].T, origin="lower", aspect="auto", extent=extent,
                   cmap="viridis", interpolation="nearest")
        bottom.plot(t, rec["weight"][:, :50], lw=0.8)
    top.set(ylabel="weight", title=f"Projection {name}: weight distribution over time")
    bottom.set(xlabel="time (ms)", ylabel="weight", title="sampled synapses")
    path = os.path.join(out_dir, f"weights_{name.replace('>', '').replace('/', '_')}.png")
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path
