"""Spike-train statistics of a run store, computed with dask over its chunks.

Spikes before ``t_start`` (the transient) are left out; T is the analysed duration.

    rate        spikes / T of each neuron (Hz)
    ISI CV      std / mean of a neuron's inter-spike intervals (neurons with >= 3 spikes)
    correlation Pearson coefficients of spike counts in ``corr_bin_ms`` bins between the
                pairs of a sample of ``n_sample`` neurons per population (as in the
                microcircuit's reference analysis: 1 ms bins)
    population rate  spikes of the population per bin / (size x bin width) (Hz)
    Fano factor      variance / mean of the population's spike counts in ``fano_bin_ms`` bins

Nothing of size "all spikes" is ever held in memory: counts come from ``da.bincount``; ISIs
from gid blocks of at most ``BLOCK_SPIKES`` spikes, each selected by one pass over the store;
correlations from per-time-chunk sums over the spikes of the sampled neurons, selected in
one pass for all populations.
"""
import dask.array as da
import numpy as np

BLOCK_SPIKES = 10_000_000  # spikes per gid block when computing ISIs
CORR_CHUNK_BINS = 20_000   # time bins per accumulation step of the correlation sums


def population_index(network):
    """Per gid, the index of its population; and the populations' (name, first, size)."""
    pops = [(p.name, p.first_gid, p.size) for p in network.populations.values()]
    index = np.zeros(network.n_neurons, np.int16 if len(pops) < 2**15 else np.int32)
    for k, (_, first, size) in enumerate(pops):
        index[first:first + size] = k
    return index, pops


def spike_counts(steps, gids, n_neurons, step0):
    """Spikes per neuron after ``step0`` (dask -> numpy int64)."""
    weights = (steps > step0).astype(np.int64)
    return da.bincount(gids, weights=weights, minlength=n_neurons).compute().astype(np.int64)


def population_counts(steps, gids, pop_index, step0, step1, bin_steps):
    """(n_populations, n_bins) spike counts in bins of ``bin_steps`` over (step0, step1]."""
    n_pop = int(pop_index.max()) + 1 if pop_index.size else 0
    n_bins = max(1, -(-(step1 - step0) // bin_steps))

    def keys(s, g):
        b = (s - step0 - 1) // bin_steps
        ok = (s > step0) & (s <= step1)
        return np.where(ok, pop_index[g].astype(np.int64) * n_bins + b, n_pop * n_bins)

    k = da.map_blocks(keys, steps, gids, dtype=np.int64)
    counts = da.bincount(k, minlength=n_pop * n_bins + 1).compute()
    return counts[:n_pop * n_bins].reshape(n_pop, n_bins)


def coarsen(counts, factor):
    """Counts in bins ``factor`` times wider (a last, partial bin kept), as population_counts
    would give them for bin_steps * factor."""
    n_pop, n_bins = counts.shape
    wide = -(-n_bins // factor)
    padded = np.zeros((n_pop, wide * factor), counts.dtype)
    padded[:, :n_bins] = counts
    return padded.reshape(n_pop, wide, factor).sum(axis=2)


def select_spikes(steps, gids, chosen, step0, step1):
    """The spikes of the gids ``chosen`` in the steps (step0, step1], in memory (one pass)."""
    sel = da.isin(gids, np.asarray(chosen, np.int64)) & (steps > step0) & (steps <= step1)
    return da.compute(steps[sel], gids[sel])


def isi_cv(steps, gids, counts, step0):
    """ISI CV per neuron (NaN below 3 spikes), by blocks of gids."""
    n = counts.size
    cv = np.full(n, np.nan)
    cum = np.cumsum(counts)
    lo = 0
    while lo < n:
        base = cum[lo - 1] if lo else 0
        hi = int(np.searchsorted(cum, base + BLOCK_SPIKES, side="right"))
        hi = max(hi, lo + 1)
        sel = (gids >= lo) & (gids < hi) & (steps > step0)
        s, g = da.compute(steps[sel], gids[sel])
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
            var = np.where(ok, m2 / np.maximum(k, 1) - mean ** 2, np.nan)
            cv[lo:hi] = np.where(ok, np.sqrt(np.maximum(var, 0.0)) / mean, np.nan)
        lo = hi
    return cv


def correlations(s, g, sample, step0, step1, bin_steps):
    """Pearson coefficients of binned spike counts between all pairs of ``sample`` gids
    (neurons without variance left out), from spikes (s, g) in (step0, step1] that include
    all of the sample's (see select_spikes); returns the upper-triangle values."""
    sample = np.sort(np.asarray(sample, np.int64))
    if sample.size < 2:
        return np.zeros(0)
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
    cc = cov[np.ix_(ok, ok)] / np.sqrt(np.outer(var[ok], var[ok]))
    return cc[np.triu_indices(int(ok.sum()), k=1)]
