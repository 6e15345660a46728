"""Spike-train statistics of a run store, computed with dask over its chunks.

Spikes before ``t_start`` (the transient) are left out; T is the analysed duration.

    rate        spikes / T of each neuron (Hz)
    ISI CV      std / mean of a neuron's inter-spike intervals (neurons with >= 3 spikes)
    correlation Pearson coefficients of spike counts in ``corr_bin_ms`` bins between the
                pairs of a sample of ``n_sample`` neurons per population (as in the
                microcircuit's reference analysis: 1 ms bins)
    population rate  spikes of the population per bin / (size x bin width) (Hz)
    Fano factor      variance / mean of the population's spike counts in ``fano_bin_ms`` bins

Rates and correlations are quantised: a neuron with k spikes in T s has the rate k / T, a
step of 1/T Hz; a pair's correlation coefficient (S / n - m_i m_j) / (s_i s_j), with S the
integer sum of the products of its n bin counts, moves in steps of 1 / (n s_i s_j).
Histograms of such values show a comb (bins holding one or two grid values in turn) unless
their bins are whole numbers of steps with edges between grid values: ``quantised_edges``.

Nothing of size "all spikes" is ever held in memory: counts come from ``da.bincount``; ISIs
from gid blocks of at most ``BLOCK_SPIKES`` spikes, each selected by one pass over the store;
correlations from per-time-chunk sums over the spikes of the sampled neurons, selected in
one pass for all populations.  All of it runs on the dask workers, which read the store's
chunks themselves; the client receives per-neuron and per-bin results, correlation
coefficients and the raster's spikes.
"""

import dask
import dask.array as da
import numpy as np

BLOCK_SPIKES = 10_000_000  # spikes per gid block when computing ISIs
CORR_CHUNK_BINS = 20_000  # time bins per accumulation step of the correlation sums


def population_index(network):
    """Per gid, the index of its population; and the populations' (name, first, size)."""
    pops = [(p.name, p.first_gid, p.size) for p in network.populations.values()]
    index = np.zeros(network.n_neurons, np.int16 if len(pops) < 2**15 else np.int32)
    for k, (_, first, size) in enumerate(pops):
        index[first : first + size] = k
    return index, pops


def spike_counts(steps, gids, n_neurons, step0):
    """Spikes per neuron after ``step0`` (dask -> numpy int64)."""
    weights = (steps > step0).astype(np.int64)
    return da.bincount(gids, weights=weights, minlength=n_neurons).compute().astype(np.int64)


def population_counts(steps, gids, pop_index, step0, step1, bin_steps):
    """(n_populations, n_bins) spike counts in bins of ``bin_steps`` over (step0, step1]."""
    n_pop = int(pop_index.max()) + 1 if pop_index.size else 0
    n_bins = max(1, -(-(step1 - step0) // bin_steps))
    # pop_index as one task of the graph: each worker fetches it once, not once per chunk
    k = da.map_blocks(
        _bin_keys,
        steps,
        gids,
        dask.delayed(pop_index),
        step0,
        step1,
        bin_steps,
        n_bins,
        n_pop,
        dtype=np.int64,
        meta=np.zeros(0, np.int64),
    )
    counts = da.bincount(k, minlength=n_pop * n_bins + 1).compute()
    return counts[: n_pop * n_bins].reshape(n_pop, n_bins)


def _bin_keys(s, g, pop_index, step0, step1, bin_steps, n_bins, n_pop):
    """Per spike, population x n_bins + bin; n_pop x n_bins outside (step0, step1]."""
    b = (s - step0 - 1) // bin_steps
    ok = (s > step0) & (s <= step1)
    return np.where(ok, pop_index[g].astype(np.int64) * n_bins + b, n_pop * n_bins)


def coarsen(counts, factor):
    """Counts in bins ``factor`` times wider (a last, partial bin kept), as population_counts
    would give them for bin_steps * factor."""
    n_pop, n_bins = counts.shape
    wide = -(-n_bins // factor)
    padded = np.zeros((n_pop, wide * factor), counts.dtype)
    padded[:, :n_bins] = counts
    return padded.reshape(n_pop, wide, factor).sum(axis=2)


def select_spikes(steps, gids, chosen, step0, step1):
    """The spikes of the gids ``chosen`` in the steps (step0, step1], lazily (dask)."""
    sel = da.isin(gids, np.asarray(chosen, np.int64)) & (steps > step0) & (steps <= step1)
    return steps[sel], gids[sel]


def isi_cv(steps, gids, counts, step0):
    """ISI CV per neuron (NaN below 3 spikes), by blocks of gids, each on a worker."""
    n = counts.size
    cv = np.full(n, np.nan)
    cum = np.cumsum(counts)
    lo = 0
    while lo < n:
        base = cum[lo - 1] if lo else 0
        hi = int(np.searchsorted(cum, base + BLOCK_SPIKES, side="right"))
        hi = max(hi, lo + 1)
        sel = (gids >= lo) & (gids < hi) & (steps > step0)
        cv[lo:hi] = dask.delayed(_block_cv)(steps[sel], gids[sel], lo, hi).compute()
        lo = hi
    return cv


def _block_cv(s, g, lo, hi):
    """ISI CV of the gids lo..hi-1 from all their spikes (s, g), in any order."""
    cv = np.full(hi - lo, np.nan)
    order = np.lexsort((s, g))
    s, g = s[order], g[order]
    if s.size > 1:
        same = g[1:] == g[:-1]
        isi = (s[1:] - s[:-1])[same].astype(np.float64)
        owner = g[1:][same] - lo
        k = np.bincount(owner, minlength=hi - lo)
        m1 = np.bincount(owner, weights=isi, minlength=hi - lo)
        m2 = np.bincount(owner, weights=isi * isi, minlength=hi - lo)
        ok = k >= 2
        mean = np.where(ok, m1 / np.maximum(k, 1), np.nan)
        var = np.where(ok, m2 / np.maximum(k, 1) - mean**2, np.nan)
        cv = np.where(ok, np.sqrt(np.maximum(var, 0.0)) / mean, np.nan)
    return cv


def correlations(s, g, sample, step0, step1, bin_steps):
    """Pearson coefficients of binned spike counts between all pairs of ``sample`` gids
    (neurons without variance left out), from spikes (s, g) in (step0, step1] that include
    all of the sample's (see select_spikes); returns the upper-triangle values and, pair by
    pair, the step 1 / (n s_i s_j) in which each value is quantised (see module)."""
    sample = np.sort(np.asarray(sample, np.int64))
    if sample.size < 2:
        return np.zeros(0), np.zeros(0)
    mine = np.isin(g, sample)
    s, g = s[mine], g[mine]
    n_bins = max(1, (step1 - step0) // bin_steps)
    row = np.searchsorted(sample, g)
    b = (s - step0 - 1) // bin_steps
    keep = b < n_bins
    row, b = row[keep], b[keep]
    m = sample.size
    sx = np.zeros(m)
    sxx = np.zeros((m, m))
    order = np.argsort(b, kind="stable")
    row, b = row[order], b[order]
    for start in range(0, n_bins, CORR_CHUNK_BINS):
        lo, hi = np.searchsorted(b, [start, start + CORR_CHUNK_BINS])
        x = np.zeros((m, min(CORR_CHUNK_BINS, n_bins - start)))
        np.add.at(x, (row[lo:hi], b[lo:hi] - start), 1.0)
        sx += x.sum(axis=1)
        sxx += x @ x.T
    mean = sx / n_bins
    cov = sxx / n_bins - np.outer(mean, mean)
    var = np.diag(cov).copy()
    ok = var > 0
    scale = np.sqrt(np.outer(var[ok], var[ok]))
    upper = np.triu_indices(int(ok.sum()), k=1)
    return (cov[np.ix_(ok, ok)] / scale)[upper], (1.0 / (n_bins * scale))[upper]


def nice(x):
    """The smallest of ..., 0.1, 0.2, 0.5, 1, 2, 5, 10, ... that is >= ``x`` (> 0)."""
    decade = 10.0 ** np.floor(np.log10(x))
    return next(m * decade for m in (1.0, 2.0, 5.0, 10.0) if m * decade >= x * (1 - 1e-12))


def quantised_edges(values, quantum, phase=0.0, width=None, max_bins=40):
    """Histogram edges for ``values`` that lie on the grid (phase + j) quantum (j integer):
    bins of k whole quanta, edges on half-quanta (phase + j - 1/2) quantum with j a multiple
    of k, so that every bin holds exactly k grid values and no comb appears.  k is ``width``
    / quantum rounded (at least 1), or by default the smallest of 1, 2, 5, 10, 20, ... that
    gives at most ``max_bins`` bins.  Returns (edges, k quantum)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    j = np.rint(v / quantum - phase) if v.size else np.zeros(1)
    lo, hi = j.min(), j.max()
    if width is None:
        k = int(nice(max(1.0, (hi - lo + 1) / max_bins)))
    else:
        k = max(1, int(round(width / quantum)))
    start, stop = np.floor(lo / k) * k, (np.floor(hi / k) + 1) * k
    return (phase + np.arange(start, stop + 1, k) - 0.5) * quantum, k * quantum


def plain_edges(values, width=None, max_bins=40):
    """Histogram edges at multiples of ``width`` (default: the smallest of ..., 0.01, 0.02,
    0.05, 0.1, ... giving at most ``max_bins`` bins) covering the finite ``values``; returns
    (edges, width)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    lo, hi = (v.min(), v.max()) if v.size else (0.0, 1.0)
    width = width or nice((hi - lo if hi > lo else max(abs(hi), 1.0)) / max_bins)
    start, stop = np.floor(lo / width), np.floor(hi / width) + 1
    return np.arange(start, stop + 1) * width, width


def correlation_range(cc):
    """The range a histogram of the correlation coefficients ``cc`` shows: their central
    99 % and 0, widened by 5 %, within [-1, 1] (sparse trains have a few pairs far out)."""
    lo, hi = np.percentile(cc, [0.5, 99.5]) if cc.size else (0.0, 0.0)
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    pad = 0.05 * (hi - lo) or 0.05
    return max(-1.0, lo - pad), min(1.0, hi + pad)


def correlation_edges(cc, steps, lo, hi, max_bins=40, spread=1.1):
    """Histogram edges for the correlation coefficients ``cc`` in [lo, hi] with
    quantisation ``steps`` (see correlations): on the pairs' common grid when 90 % of their
    steps lie within a factor ``spread`` of each other (the grid's phase is the circular
    mean of the pairs'), else at multiples of a width giving ``max_bins`` bins over [lo,
    hi].  Returns (edges, bin width)."""
    shown = (cc >= lo) & (cc <= hi)
    if shown.any() and np.percentile(steps[shown], 95) <= spread * np.percentile(steps[shown], 5):
        cc, steps = cc[shown], steps[shown]
        quantum = float(np.median(steps))
        angle = 2 * np.pi * (cc / steps)
        phase = np.angle(np.mean(np.exp(1j * angle))) / (2 * np.pi)
        return quantised_edges(cc, quantum, phase, max_bins=max_bins)
    return plain_edges(cc[shown], nice((hi - lo) / max_bins))
