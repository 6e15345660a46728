#!/usr/bin/env python3
"""Potjans & Diesmann (2014) cortical microcircuit in NEST: reference statistics for distsim.

Run with the separate NEST virtualenv (NEST is *not* a distsim dependency).  The two
references in tests/data::

    # scale 0.1, Poisson drive, 500 ms warm-up + 5 s, 5 seeds (1.7 MB; 25 s a seed)
    /work/nestenv/bin/python scripts/nest_microcircuit.py --seeds 1 2 3 4 5 \
        --threads 2 --t-sim 5000 --out tests/data/nest_microcircuit.json

    # full scale, DC drive, 100 ms warm-up + 1 s, 5 seeds (3-7 min and 15.1 GB a seed;
    # 4 threads: with 2, NEST refuses more than 2^27 connections per thread)
    OMP_WAIT_POLICY=PASSIVE /work/nestenv/bin/python scripts/nest_microcircuit.py \
        --scale 1 --background dc --t-presim 100 --t-sim 1000 --seeds 55 56 57 58 59 \
        --threads 4 --out tests/data/nest_microcircuit_full_dc.json

(``OMP_WAIT_POLICY=PASSIVE``: with more threads than free cores, spinning OpenMP barriers
make NEST 5-10x slower.)  scripts/microcircuit_validity.py runs distsim over the same seeds
against the full-scale file.

Each seed is built and simulated in its own subprocess (``--worker``), which
prints exactly one JSON line (the last line of its stdout) with the full
per-neuron statistics of that seed.  The parent collects the lines, computes
the between-seed Kolmogorov-Smirnov distances on the full samples, and writes
``--out`` (default: print to stdout only).  ``--jsonl FILE`` additionally keeps
the raw worker lines (not needed for the reference file).

What is written (``tests/data/nest_microcircuit*.json``)
---------------------------------------------------------
Both files have the same layout.  Sizes: rates and CVs are stored in full (at full scale over
1 s the rates are whole numbers of Hz, about 3 bytes a neuron), correlations as quantiles
plus a 3,000-pair subsample; the full-scale file of 5 seeds takes 3.7 MB.

* ``params``: every number used to build the network (see below).
* ``seeds[k].populations[pop]``:
  - ``n``: number of neurons; ``n_spikes``; ``mean_rate_hz`` (all neurons,
    silent ones included, exact, not rounded);
  - ``rates``: firing rate of EVERY neuron of the population in the recording
    window, spike count / (t_sim / 1000 s), rounded to 1e-3 Hz, in node-id order;
  - ``cv``: ISI coefficient of variation std(ISI) / mean(ISI) (numpy ``std``,
    ddof = 0, as elephant's ``cv``) of every neuron with >= 3 spikes in the
    recording window, rounded to 1e-4;
  - ``corr``: Pearson correlation coefficients of the spike counts in 1 ms bins
    ((t_presim + m, t_presim + m + 1] ms, m = 0 .. t_sim / 1 ms - 1) of all pairs of
    a sample of ``corr_n_neurons`` <= 200 neurons.  The sample is drawn
    uniformly without replacement from the neurons of the population with at
    least one spike in the recording window (silent neurons have an undefined
    coefficient and are dropped), with ``numpy.random.default_rng([seed, pop
    index])``.  There are 200 * 199 / 2 = 19,900 pairs per population per seed,
    too many to store (~6 MB in total), so ``corr`` holds the 201 quantiles at
    probabilities k / 200, k = 0..200 (0 %, 0.5 %, ..., 100 %; numpy's default
    'linear' method; the first/last are the min/max), rounded to 1e-4 --
    see ``storage``.  ``corr_n`` is the number of pairs, ``corr_mean`` their mean.
    ``rates`` and ``cv`` are stored in full.
* ``between_seed_ks[pop][stat]``: two-sample KS distances sup |F_a - F_b| of
  all 10 seed pairs (order (1,2), (1,3), ..., (4,5)), computed from the FULL
  unrounded samples (also for ``corr``) with this script's own ``ks_2samp_d``
  (scipy is not installed in the NEST venv).  ``between_seed_ks_range`` gives
  [min, max] per population and statistic.
* ``build_s``: wall time of Create + Connect + ``nest.Prepare()``
  (``Cleanup`` follows, as in the example);
  ``presim_s``: wall time of the warm-up ``Simulate(t_presim)``;
  ``sim_s``: wall time of the recorded ``Simulate(t_sim)``;
  ``peak_rss_bytes``: peak resident memory of the seed's process (``ru_maxrss``).

Model and parameter sources
---------------------------
Everything follows NEST's PyNEST example ``examples/Potjans_2014``
(``network_params.py``, ``sim_params.py``, ``helpers.py``, ``network.py`` of
NEST 3.x; identical to the PD14 repository ``network_params.py``), here
reimplemented; only the seeds, the simulated time, the thread count and the
recording (all neurons, after the warm-up) differ from ``sim_params.py``:

* populations L23E, L23I, L4E, L4I, L5E, L5I, L6E, L6I with full-scale sizes
  ``N_FULL``; ``N_scaling = K_scaling = --scale`` (default 0.1); scaled size
  ``round(N_full * N_scaling)`` (numpy round-half-even: 1065 -> 106, 14395 -> 1440);
* connection probabilities ``CONN_PROBS`` (rows = target, columns = source);
  full-scale synapse numbers (``helpers.num_synapses_from_conn_probs``)
  ``K_full = log(1 - p) / log(1 - 1 / (N_t N_s))`` (NOT rounded, as in the
  example) and scaled numbers ``num_synapses = round(K_full * N_scaling *
  K_scaling)``, i.e. N_scaled * (K_full / N_full_t) * K_scaling; rule
  ``fixed_total_number``, autapses and multapses allowed (NEST's defaults);
* ``iaf_psc_exp``: C_m 250 pF, tau_m 10 ms, tau_syn_ex = tau_syn_in 0.5 ms,
  t_ref 2 ms, E_L -65 mV, V_th -50 mV, V_reset -65 mV (C_m and tau_m equal
  NEST's defaults; the example does not set them, we set them explicitly);
  V_m(0) ~ normal(``V0_MEAN``[pop], ``V0_STD``[pop]) ("optimized" V0_type);
* weights: PSP 0.15 mV; g = -4 for inhibitory sources; L4E -> L23E doubled;
  PSC = PSP * PSC_over_PSP with ``helpers.postsynaptic_potential_to_current``:
  sub = 1 / (tau_syn - tau_m), pre = tau_m tau_syn / C_m * sub,
  frac = (tau_m / tau_syn)^sub, PSC_over_PSP = 1 / (pre (frac^tau_m - frac^tau_syn));
  drawn per synapse as ``nest.math.redraw(normal(w, |0.1 w|), 0, inf)``
  (excitatory) / ``(-inf, 0)`` (inhibitory);
* K_scaling != 1 (``helpers.adjust_weights_and_input_to_synapse_scaling``):
  all weights (recurrent and external) divided by sqrt(K_scaling) and a DC
  current I_e = 0.001 tau_syn (1 - sqrt(K_scaling)) * (sum_s PSC_ts
  (K_full_ts / N_full_t) rate_full_s + PSC_ext K_ext_t bg_rate) pA with the
  unscaled PSCs and the full-scale mean rates ``FULL_MEAN_RATES``;
* delays: redraw(normal(d, 0.5 d), min = 0.5 dt, max = inf), d = 1.5 ms for
  E and 0.75 ms for I sources (the example's ``min = resolution - 0.5 *
  resolution``: NEST rounds delays to the 0.1 ms grid, so the smallest delay
  is dt);
* background: one ``poisson_generator`` per population with rate
  bg_rate * round(K_ext * K_scaling) (bg_rate = 8 Hz, ``K_EXT``), connected
  ``all_to_all`` (independent trains per target) with the scaled external
  weight and delay 1.5 ms; no thalamic input, no DC stimulus; with ``--background dc``
  instead its mean, I_e = 0.001 tau_syn bg_rate K_ext_t PSC_ext pA (unscaled PSC_ext, full
  K_ext: the example's ``poisson_input = False``, ``helpers.dc_input_compensating_poisson``);
* dt = 0.1 ms, t_presim = ``--t-presim`` (default 500 ms; discarded, spikes recorded only
  after it),
  ``nest.rng_seed = seed``; one ``spike_recorder`` per population.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

import nest_seeds

GENERATOR = "scripts/nest_microcircuit.py"

POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
N_FULL = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
CONN_PROBS = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
]
K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
FULL_MEAN_RATES = [0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829]
V0_MEAN = [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]
V0_STD = [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]

SCALE = 0.1  # N_scaling = K_scaling of the reference (--scale)
PSP_EXC_MEAN = 0.15  # mV
G = -4.0
WEIGHT_REL_STD = 0.1
DELAY_EXC_MEAN = 1.5  # ms
DELAY_INH_MEAN = 0.75  # ms
DELAY_REL_STD = 0.5
BG_RATE = 8.0  # Hz
DELAY_POISSON = 1.5  # ms
DT = 0.1
T_PRESIM = 500.0
NEURON_MODEL = "iaf_psc_exp"
NEURON_PARAMS = {
    "C_m": 250.0,
    "tau_m": 10.0,
    "tau_syn_ex": 0.5,
    "tau_syn_in": 0.5,
    "t_ref": 2.0,
    "E_L": -65.0,
    "V_th": -50.0,
    "V_reset": -65.0,
}
TAU_SYN = 0.5

CORR_NEURONS = 200
CORR_BIN_MS = 1.0
CV_MIN_SPIKES = 3
N_QUANTILES = 200  # quantiles at k / N_QUANTILES, k = 0..N_QUANTILES
CORR_SAMPLE_PAIRS = 3000  # pairs kept per population and seed (uniform random subsample)


def derived_params(scale=SCALE, poisson_input=True) -> dict:
    """All derived network parameters, exactly as the PyNEST example computes them
    (``network.py`` ``__derive_parameters``) for N_scaling = K_scaling = ``scale``, with the
    Poisson background or (``poisson_input=False``) the DC that replaces it."""
    import numpy as np

    n_full = np.asarray(N_FULL, dtype=float)
    p = np.asarray(CONN_PROBS, dtype=float)
    n_pops = len(POPS)

    prod = np.outer(n_full, n_full)
    k_full = np.log(1.0 - p) / np.log((prod - 1.0) / prod)  # full-scale synapse numbers
    num_neurons = np.round(n_full * scale).astype(int)
    num_synapses = np.round(k_full * scale * scale).astype(int)
    ext_indegrees = np.round(np.asarray(K_EXT) * scale).astype(int)

    c_m, tau_m = NEURON_PARAMS["C_m"], NEURON_PARAMS["tau_m"]
    sub = 1.0 / (TAU_SYN - tau_m)
    pre = tau_m * TAU_SYN / c_m * sub
    frac = (tau_m / TAU_SYN) ** sub
    psc_over_psp = 1.0 / (pre * (frac**tau_m - frac**TAU_SYN))

    psp = np.zeros((n_pops, n_pops))
    psp[:, 0::2] = PSP_EXC_MEAN
    psp[:, 1::2] = PSP_EXC_MEAN * G
    psp[0, 2] = 2.0 * PSP_EXC_MEAN  # L4E -> L23E
    psc_full = psp * psc_over_psp
    psc_ext_full = PSP_EXC_MEAN * psc_over_psp

    # helpers.dc_input_compensating_poisson (full K_ext, unscaled PSC_ext) without Poisson input
    dc = (
        np.zeros(n_pops)
        if poisson_input
        else BG_RATE * np.asarray(K_EXT) * psc_ext_full * TAU_SYN * 0.001
    )
    sq = np.sqrt(scale)
    if scale != 1:  # helpers.adjust_weights_and_input_to_synapse_scaling
        weight_matrix_mean = psc_full / sq
        weight_ext = psc_ext_full / sq
        indegree_full = k_full / n_full[:, None]
        input_rec = np.sum(psc_full * indegree_full * np.asarray(FULL_MEAN_RATES), axis=1)
        dc = dc + 0.001 * TAU_SYN * (1.0 - sq) * input_rec
        if poisson_input:
            input_ext = psc_ext_full * np.asarray(K_EXT) * BG_RATE
            dc = dc + 0.001 * TAU_SYN * (1.0 - sq) * input_ext
    else:
        weight_matrix_mean = psc_full
        weight_ext = psc_ext_full

    delay = np.zeros((n_pops, n_pops))
    delay[:, 0::2] = DELAY_EXC_MEAN
    delay[:, 1::2] = DELAY_INH_MEAN

    # the brief's variant (round the full-scale numbers first) for comparison
    alt = np.round(np.round(k_full) * scale * scale).astype(int)

    return {
        "num_neurons": num_neurons,
        "k_full": k_full,
        "num_synapses": num_synapses,
        "num_synapses_if_full_rounded_first": alt,
        "ext_indegrees": ext_indegrees,
        "psc_over_psp": psc_over_psp,
        "psp_matrix_mean": psp,
        "weight_matrix_mean": weight_matrix_mean,
        "weight_ext": weight_ext,
        "dc_amp": dc,
        "delay_matrix_mean": delay,
        "poisson_rates": BG_RATE * ext_indegrees,
    }


def params_dict(scale=SCALE, poisson_input=True, t_presim=T_PRESIM) -> dict:
    import numpy as np

    d = derived_params(scale, poisson_input)
    n = d["num_neurons"]
    return {
        "source": "NEST PyNEST example Potjans_2014 (network_params.py, sim_params.py, helpers.py, "
        "network.py, NEST 3.x) = PD14 repository network_params.py",
        "populations": POPS,
        "full_num_neurons": N_FULL,
        "N_scaling": scale,
        "K_scaling": scale,
        "num_neurons": n.tolist(),
        "num_neurons_total": int(n.sum()),
        "conn_probs": CONN_PROBS,
        "conn_matrix_orientation": "[target][source]",
        "full_num_synapses": np.round(d["k_full"], 3).tolist(),
        "full_num_synapses_formula": "log(1-p)/log((N_t N_s - 1)/(N_t N_s)), not rounded",
        "num_synapses": d["num_synapses"].tolist(),
        "num_synapses_formula": "round(full_num_synapses * N_scaling * K_scaling)",
        "num_synapses_total": int(d["num_synapses"].sum()),
        "num_synapses_if_full_rounded_first_differs": bool(
            np.any(d["num_synapses_if_full_rounded_first"] != d["num_synapses"])
        ),
        "indegree_matrix": np.round(d["num_synapses"] / n[:, None], 4).tolist(),
        "indegree_matrix_note": "num_synapses / num_neurons[target] (mean in-degree of the scaled net)",
        "conn_rule": "fixed_total_number",
        "allow_autapses": True,
        "allow_multapses": True,
        "neuron_model": NEURON_MODEL,
        "neuron_params": dict(NEURON_PARAMS),
        "V0_type": "optimized",
        "V0_mean": V0_MEAN,
        "V0_std": V0_STD,
        "PSP_exc_mean_mV": PSP_EXC_MEAN,
        "g": G,
        "PSP_matrix_mean_mV": d["psp_matrix_mean"].tolist(),
        "PSC_over_PSP": float(d["psc_over_psp"]),
        "weight_matrix_mean_pA": d["weight_matrix_mean"].tolist(),
        "weight_matrix_mean_note": "PSP * PSC_over_PSP / sqrt(K_scaling)",
        "weight_rel_std": WEIGHT_REL_STD,
        "weight_distribution": "redraw(normal(w, |w| * weight_rel_std)) within [0, inf) for "
        "excitatory and (-inf, 0] for inhibitory sources",
        "delay_matrix_mean_ms": d["delay_matrix_mean"].tolist(),
        "delay_rel_std": DELAY_REL_STD,
        "delay_distribution": "redraw(normal(d, d * delay_rel_std)) within [0.5 dt, inf), "
        "then rounded by NEST to the dt grid (minimum dt)",
        "delay_exc_mean_ms": DELAY_EXC_MEAN,
        "delay_inh_mean_ms": DELAY_INH_MEAN,
        "bg_rate_hz": BG_RATE,
        "K_ext": K_EXT,
        "ext_indegrees": d["ext_indegrees"].tolist(),
        "poisson_rates_hz": d["poisson_rates"].tolist(),
        "poisson_connection": "one poisson_generator per population, all_to_all",
        "weight_ext_pA": float(d["weight_ext"]),
        "delay_poisson_ms": DELAY_POISSON,
        "full_mean_rates_hz": FULL_MEAN_RATES,
        "dc_amp_pA": d["dc_amp"].tolist(),
        "background": "poisson" if poisson_input else "dc",
        "dc_amp_note": "I_e of every neuron: the DC replacing the Poisson input (dc "
        "background), plus the compensation for K_scaling < 1 "
        "(recurrent + Poisson input), helpers.adjust_weights_and_input_to_synapse_scaling",
        "thalamic_input": False,
        "dc_stimulus": False,
        "dt_ms": DT,
        "t_presim_ms": t_presim,
        "rng": "nest.rng_seed = seed (NEST default rng_type)",
        "analysis": {
            "rate": "spike count in (t_presim, t_presim + t_sim] / (t_sim / 1000)",
            "cv_min_spikes": CV_MIN_SPIKES,
            "cv": "std(ISI) / mean(ISI), ddof = 0",
            "corr_neurons": CORR_NEURONS,
            "corr_bin_ms": CORR_BIN_MS,
            "corr_sample": "uniform without replacement among neurons with >= 1 spike, "
            "numpy.random.default_rng([seed, pop_index])",
            "corr": "numpy.corrcoef of binned spike counts, all pairs i < j",
            "ks": "two-sample KS statistic sup_x |F_a(x) - F_b(x)| on the full unrounded samples",
        },
    }


# --------------------------------------------------------------------------- analysis


def ks_2samp_d(a, b) -> float:
    """Two-sample Kolmogorov-Smirnov statistic D = sup_x |F_a(x) - F_b(x)|."""
    import numpy as np

    a = np.sort(np.asarray(a, dtype=float))
    b = np.sort(np.asarray(b, dtype=float))
    if a.size == 0 or b.size == 0:
        return float("nan")
    x = np.concatenate([a, b])
    fa = np.searchsorted(a, x, side="right") / a.size
    fb = np.searchsorted(b, x, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


def population_stats(times, senders, first_id, n, t0, t_sim, rng):
    """Per-neuron rates, ISI CVs and pairwise count correlations of one population."""
    import numpy as np

    idx = senders - first_id
    order = np.lexsort((times, idx))
    idx, times = idx[order], times[order]
    counts = np.bincount(idx, minlength=n)
    rates = counts / (t_sim / 1000.0)

    bounds = np.concatenate([[0], np.cumsum(counts)])
    cvs = []
    for i in np.nonzero(counts >= CV_MIN_SPIKES)[0]:
        isi = np.diff(times[bounds[i] : bounds[i + 1]])
        cvs.append(float(np.std(isi) / np.mean(isi)))

    active = np.nonzero(counts > 0)[0]
    k = min(CORR_NEURONS, active.size)
    sample = np.sort(rng.choice(active, size=k, replace=False)) if k > 0 else active[:0]
    # bins (t0 + m * bin, t0 + (m + 1) * bin], m = 0 .. n_bins - 1, on the integer step grid
    # (NEST stamps a spike with the end of the step in which it occurred)
    n_bins = int(round(t_sim / CORR_BIN_MS))
    steps_per_bin = int(round(CORR_BIN_MS / DT))
    step0 = int(round(t0 / DT))
    binned = np.zeros((k, n_bins))
    for row, i in enumerate(sample):
        steps = np.rint(times[bounds[i] : bounds[i + 1]] / DT).astype(np.int64)
        b = (steps - step0 - 1) // steps_per_bin
        np.add.at(binned[row], b, 1.0)
    if k >= 2:
        # guard against zero variance (cannot happen for sampled neurons, all have a spike)
        ok = binned.std(axis=1) > 0
        cc = np.corrcoef(binned[ok])
        iu = np.triu_indices(int(ok.sum()), k=1)
        corr = cc[iu]
    else:
        corr = np.zeros(0)
    return rates, np.asarray(cvs), corr, int(k)


def population_record(times, senders, first_id, n, t_presim, t_sim, seed, pop_index) -> dict:
    """Full statistics of population ``pop_index``'s spikes (times in ms on the dt grid,
    senders numbered from ``first_id``) in (t_presim, t_presim + t_sim]: ``run_one``'s
    ``populations[pop]``; also used for distsim's spikes (scripts/microcircuit_validity.py)."""
    import numpy as np

    steps = np.rint(times / DT)
    keep = (steps > round(t_presim / DT)) & (steps <= round((t_presim + t_sim) / DT))
    times, senders = times[keep], senders[keep]
    rng = np.random.default_rng([seed, pop_index])
    rates, cvs, corr, k = population_stats(times, senders, first_id, n, t_presim, t_sim, rng)
    return {
        "n": n,
        "n_spikes": int(times.size),
        "mean_rate_hz": float(times.size / (n * t_sim / 1000.0)),
        "rates": rates.tolist(),
        "cv": cvs.tolist(),
        "corr_n_neurons": k,
        "corr": corr.tolist(),
    }


def run_one(
    seed: int, threads: int, t_sim: float, scale=SCALE, poisson_input=True, t_presim=T_PRESIM
) -> dict:
    """Build and simulate one network in this process; return the full per-seed record."""
    import nest
    import numpy as np

    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:  # pragma: no cover - older NEST
        nest.set_verbosity("M_ERROR")
    d = derived_params(scale, poisson_input)
    nest.ResetKernel()
    nest.set(resolution=DT, rng_seed=seed, local_num_threads=threads, print_time=False)

    t_start = time.perf_counter()
    pops = []
    for i in range(len(POPS)):
        pop = nest.Create(NEURON_MODEL, int(d["num_neurons"][i]))
        pop.set(dict(NEURON_PARAMS, I_e=float(d["dc_amp"][i])))
        pop.set(V_m=nest.random.normal(mean=V0_MEAN[i], std=V0_STD[i]))
        pops.append(pop)
    recorders = nest.Create("spike_recorder", len(POPS), params={"start": t_presim})
    if poisson_input:
        poisson = nest.Create("poisson_generator", len(POPS))
        for i in range(len(POPS)):
            poisson[i].set(rate=float(d["poisson_rates"][i]))

    for i, target in enumerate(pops):
        for j, source in enumerate(pops):
            n_syn = int(d["num_synapses"][i][j])
            w = float(d["weight_matrix_mean"][i][j])
            w_min, w_max = (-np.inf, 0.0) if w < 0 else (0.0, np.inf)
            dmean = float(d["delay_matrix_mean"][i][j])
            syn = {
                "synapse_model": "static_synapse",
                "weight": nest.math.redraw(
                    nest.random.normal(mean=w, std=abs(w * WEIGHT_REL_STD)), min=w_min, max=w_max
                ),
                "delay": nest.math.redraw(
                    nest.random.normal(mean=dmean, std=dmean * DELAY_REL_STD),
                    min=DT - 0.5 * DT,
                    max=np.inf,
                ),
            }
            nest.Connect(
                source,
                target,
                {
                    "rule": "fixed_total_number",
                    "N": n_syn,
                    "allow_autapses": True,
                    "allow_multapses": True,
                },
                syn,
            )
    for i, target in enumerate(pops):
        if poisson_input:
            nest.Connect(
                poisson[i],
                target,
                {"rule": "all_to_all"},
                {
                    "synapse_model": "static_synapse",
                    "weight": float(d["weight_ext"]),
                    "delay": DELAY_POISSON,
                },
            )
        nest.Connect(target, recorders[i])
    nest.Prepare()
    nest.Cleanup()
    build_s = time.perf_counter() - t_start

    t_start = time.perf_counter()
    if t_presim > 0:
        nest.Simulate(t_presim)
    presim_s = time.perf_counter() - t_start
    t_start = time.perf_counter()
    nest.Simulate(t_sim)
    sim_s = time.perf_counter() - t_start

    n_conn = int(nest.GetKernelStatus("num_connections"))
    n_expected = int(d["num_synapses"].sum()) + (2 if poisson_input else 1) * int(
        d["num_neurons"].sum()
    )
    if n_conn != n_expected:
        raise RuntimeError(f"unexpected number of connections {n_conn} != {n_expected}")

    out = {
        "seed": seed,
        "build_s": build_s,
        "presim_s": presim_s,
        "sim_s": sim_s,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "num_connections": n_conn,
        "populations": {},
    }
    for i, name in enumerate(POPS):
        ev = recorders[i].get("events")
        out["populations"][name] = population_record(
            np.asarray(ev["times"], dtype=float),
            np.asarray(ev["senders"], dtype=np.int64),
            int(pops[i][0].global_id),
            len(pops[i]),
            t_presim,
            t_sim,
            seed,
            i,
        )
    return out


# --------------------------------------------------------------------------- output


def _fmt(obj, indent=0):
    """JSON with lists of numbers kept on one line (small, diff-friendly file)."""
    pad = " " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad} {json.dumps(k)}: {_fmt(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if (
        isinstance(obj, list)
        and any(isinstance(v, (dict, list)) for v in obj)
        and not all(
            isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v) for v in obj
        )
    ):
        items = [f"{pad} {_fmt(v, indent + 1)}" for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj, separators=(", ", ": "))


def _round_list(values, ndigits):
    out = []
    for v in values:
        r = round(float(v), ndigits)
        out.append(int(r) if r == int(r) else r)
    return out


def stored_population(p: dict, seed: int, pop_index: int) -> dict:
    """The stored record of one population of one seed (see "What is written") from its
    full statistics ``p`` (``run_one``'s ``populations[pop]``)."""
    import numpy as np

    corr = np.asarray(p["corr"], dtype=float)
    rng = np.random.default_rng([seed, pop_index, 7])
    pick = (
        np.sort(rng.choice(corr.size, min(CORR_SAMPLE_PAIRS, corr.size), replace=False))
        if corr.size
        else np.zeros(0, int)
    )
    probs = np.arange(N_QUANTILES + 1) / N_QUANTILES
    return {
        "n": p["n"],
        "n_spikes": p["n_spikes"],
        "mean_rate_hz": round(p["mean_rate_hz"], 6),
        "rates": _round_list(p["rates"], 3),
        "n_cv": len(p["cv"]),
        "cv": _round_list(p["cv"], 4),
        "corr_n_neurons": p["corr_n_neurons"],
        "corr_n": int(corr.size),
        "corr_mean": round(float(corr.mean()), 6) if corr.size else None,
        "corr": _round_list(np.quantile(corr, probs), 4) if corr.size else [],
        "corr_sample": _round_list(corr[pick], 5),
    }


def assemble(
    runs: list[dict],
    t_sim: float,
    threads: int,
    nest_version: str,
    scale=SCALE,
    poisson_input=True,
    t_presim=T_PRESIM,
) -> dict:
    import numpy as np

    probs = np.arange(N_QUANTILES + 1) / N_QUANTILES
    ks = {}
    ks_range = {}
    for name in POPS:
        ks[name] = {}
        ks_range[name] = {}
        for stat in ("rates", "cv", "corr"):
            vals = []
            for a in range(len(runs)):
                for b in range(a + 1, len(runs)):
                    vals.append(
                        round(
                            ks_2samp_d(
                                runs[a]["populations"][name][stat],
                                runs[b]["populations"][name][stat],
                            ),
                            4,
                        )
                    )
            ks[name][stat] = vals
            ks_range[name][stat] = [min(vals), max(vals)] if vals else []

    seeds = [
        {
            "seed": r["seed"],
            "build_s": round(r["build_s"], 3),
            "presim_s": round(r["presim_s"], 3),
            "sim_s": round(r["sim_s"], 3),
            "peak_rss_bytes": r["peak_rss_bytes"],
            "num_connections": r["num_connections"],
            "populations": {
                name: stored_population(r["populations"][name], r["seed"], k)
                for k, name in enumerate(POPS)
            },
        }
        for r in runs
    ]

    sample_ks = {}
    for name in POPS:
        s = [seed["populations"][name]["corr_sample"] for seed in seeds]
        sample_ks[name] = [
            round(ks_2samp_d(s[a], s[b]), 4) for a in range(len(s)) for b in range(a + 1, len(s))
        ]

    return {
        "generator": GENERATOR,
        "nest_version": nest_version,
        "scale": scale,
        "t_presim_ms": t_presim,
        "t_sim_ms": t_sim,
        "dt": DT,
        "threads": threads,
        "storage": {
            "rates": "all neurons, rounded to 1e-3 Hz, node-id order",
            "cv": "all neurons with >= 3 spikes, rounded to 1e-4, node-id order",
            "corr": f"{N_QUANTILES + 1} quantiles at probabilities k/{N_QUANTILES}, k = 0..{N_QUANTILES} "
            "(numpy.quantile, method 'linear'; first = min, last = max) of all pair "
            "coefficients, rounded to 1e-4; the full sample (corr_n pairs) is too large",
            "corr_quantile_probs": [round(float(x), 4) for x in probs],
            "corr_sample": f"a uniform random subsample of {CORR_SAMPLE_PAIRS} pair coefficients "
            "(numpy default_rng([seed, population index, 7])), rounded to 1e-5; "
            "between_seed_ks_corr_sample holds the KS distances of these "
            "subsamples between seeds, for comparisons made on subsamples",
        },
        "params": params_dict(scale, poisson_input, t_presim),
        "seeds": seeds,
        "between_seed_ks_pairs": [
            [runs[a]["seed"], runs[b]["seed"]]
            for a in range(len(runs))
            for b in range(a + 1, len(runs))
        ],
        "between_seed_ks": ks,
        "between_seed_ks_range": ks_range,
        "between_seed_ks_corr_sample": sample_ks,
    }


def main(argv=None):
    def options(ap):
        ap.add_argument(
            "--jsonl", default=None, help="also append the raw worker lines to this file"
        )
        ap.add_argument("--scale", type=float, default=SCALE, help="N_scaling = K_scaling")
        ap.add_argument(
            "--background",
            choices=["poisson", "dc"],
            default="poisson",
            help="Poisson background or the DC replacing it (poisson_input=False)",
        )
        ap.add_argument(
            "--t-presim",
            type=float,
            default=T_PRESIM,
            help="warm-up (ms) before the recorded --t-sim",
        )

    args = nest_seeds.parse(
        "Potjans & Diesmann (2014) microcircuit reference run in NEST",
        [1, 2, 3, 4, 5],
        2,
        5000.0,
        argv,
        extra=options,
    )
    config = {
        "scale": args.scale,
        "poisson_input": args.background == "poisson",
        "t_presim": args.t_presim,
    }
    if args.worker:
        return nest_seeds.worker(run_one, args, **config)
    runs = []
    extra_argv = [
        "--scale",
        repr(args.scale),
        "--background",
        args.background,
        "--t-presim",
        repr(args.t_presim),
    ]
    for line in nest_seeds.seed_lines(__file__, args, extra_argv):
        if args.jsonl:
            with open(args.jsonl, "a") as fh:
                fh.write(line + "\n")
        r = json.loads(line)
        runs.append(r)
        rates = " ".join(f"{name}={p['mean_rate_hz']:.3f}" for name, p in r["populations"].items())
        print(
            f"seed {r['seed']}: build {r['build_s']:.1f} s, presim {r['presim_s']:.1f} s, "
            f"sim {r['sim_s']:.1f} s; {rates}",
            file=sys.stderr,
            flush=True,
        )

    import nest  # only for the version string (prints NEST's banner to stdout)

    result = assemble(runs, args.t_sim, args.threads, nest.__version__, **config)
    text = _fmt(result) + "\n"
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as fh:
            fh.write(text)
        print(f"wrote {args.out} ({len(text.encode())} bytes)", file=sys.stderr)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
