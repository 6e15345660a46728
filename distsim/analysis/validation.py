"""Validation against reference simulators: the microcircuit statistics of the PD14
maintainers' recipe and Kolmogorov-Smirnov distances between their distributions.

Definitions (shared with scripts/nest_microcircuit.py): spikes in (t0, t1]; rate = spikes /
(t1 - t0) per neuron; ISI CV = std (ddof 0) / mean of the ISIs of neurons with >= 3 spikes;
correlations = Pearson coefficients of spike counts in 1 ms bins (t0 + m, t0 + m + 1]
between all pairs of ``n_sample`` neurons drawn among those that spiked.
"""

import numpy as np


def ks_distance(a, b):
    """Two-sample Kolmogorov-Smirnov statistic sup |F_a - F_b|."""
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    if a.size == 0 or b.size == 0:
        return np.nan
    x = np.concatenate((a, b))
    return float(
        np.max(
            np.abs(
                np.searchsorted(a, x, side="right") / a.size
                - np.searchsorted(b, x, side="right") / b.size
            )
        )
    )


def population_statistics(steps, gids, first, size, step0, step1, dt, n_sample=200, seed=0):
    """Rates, ISI CVs and pairwise correlations of one population (see module doc)."""
    keep = (gids >= first) & (gids < first + size) & (steps > step0) & (steps <= step1)
    s, g = steps[keep], gids[keep] - first
    duration = (step1 - step0) * dt / 1000.0
    counts = np.bincount(g, minlength=size)
    rates = counts / duration
    order = np.lexsort((s, g))
    s, g = s[order], g[order]
    same = g[1:] == g[:-1]
    isi = (s[1:] - s[:-1])[same].astype(float)
    owner = g[1:][same]
    n = np.bincount(owner, minlength=size)
    m1 = np.bincount(owner, weights=isi, minlength=size)
    m2 = np.bincount(owner, weights=isi * isi, minlength=size)
    ok = n >= 2
    mean = m1[ok] / n[ok]
    cv = np.sqrt(np.maximum(m2[ok] / n[ok] - mean**2, 0.0)) / mean
    active = np.flatnonzero(counts > 0)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(active, min(n_sample, active.size), replace=False))
    bin_steps = int(round(1.0 / dt))
    n_bins = (step1 - step0) // bin_steps
    sel = np.isin(g, sample)
    x = np.zeros((sample.size, n_bins))
    np.add.at(
        x,
        (
            np.searchsorted(sample, g[sel]),
            np.minimum((s[sel] - step0 - 1) // bin_steps, n_bins - 1),
        ),
        1.0,
    )
    cc = np.corrcoef(x)
    corr = cc[np.triu_indices(sample.size, k=1)]
    return {"rates": rates, "cv": cv, "corr": corr[np.isfinite(corr)]}
