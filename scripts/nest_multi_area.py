#!/usr/bin/env python3
"""Multi-area model of macaque visual cortex (Schmidt et al. 2018), a subset of its areas at
full in-degree, in NEST 3.10: reference statistics for distsim (issue 18, point 4).

Run with the separate NEST virtualenv (NEST is *not* a distsim dependency), always with
passive OpenMP waiting (NEST's threads spin otherwise when other processes hold a core)::

    OMP_WAIT_POLICY=PASSIVE /work/nestenv/bin/python scripts/nest_multi_area.py \\
        --areas V1,V2 --scale 0.25 --state ground --seeds 1 2 3 --threads 4 \\
        --out tests/data/nest_multi_area_V1V2_scale0.25.json

(the reference of issue 18, not made yet: 265 M synapses, ~14.5 GB, see "Cost" below) and
the small one kept in the repository (17,744 neurons, 53 M synapses, 3.0 GB, 4 minutes)::

    OMP_WAIT_POLICY=PASSIVE /work/nestenv/bin/python scripts/nest_multi_area.py \\
        --areas V1,V2 --scale 0.05 --state ground --seeds 1 2 3 --threads 4 \\
        --out tests/data/nest_multi_area_V1V2_scale0.05.json

Each seed is built and simulated in its own subprocess (``--worker``, see
scripts/nest_seeds.py): a fresh kernel, its own timings and peak memory.  The parent collects
the workers' JSON lines, computes the Kolmogorov-Smirnov distances between seeds on the full
per-neuron samples and writes ``--out``.  ``--dry-run`` prints the derived network (sizes,
synapse numbers, the per-thread connection count) without NEST and without building it.

The network: exactly what ``--data`` (default /work/shared/data/multi_area_model.json)
describes, restricted to ``--areas``
----------------------------------------------------------------------------------------
Indices i (target) and j (source) run over the file's ``population_order`` ("AREA-POP")
restricted to the simulated areas, in the file's order of areas (``--areas`` may list them in
any order); the file's matrices are [target][source].

* Neurons: ``iaf_psc_exp`` with ``neuron_model.params`` (C_m 250 pF, tau_m 10 ms,
  tau_syn_ex = tau_syn_in 0.5 ms, E_L -65 mV, V_th -50 mV, V_reset -65 mV, t_ref 2 ms),
  I_e = 0 pA for every neuron (``neuron_model.I_e_pA``; the repository adds a DC only when
  K_scaling != 1, which is never the case here).  N_i = int(N_float_i * scale)
  (the repository's ``N_scaling``: N_vec *= N_scaling, then ``int`` at nest.Create); at
  scale 1 the file's ``N_int_as_built_in_NEST`` (N_float is rounded to 6 significant digits,
  which makes int(N_float) one too large for FST-6E and TH-5E).  Initial V_m per neuron
  ~ normal(-150 mV, 50 mV), unbounded (``neuron_model.initial_V_m``; about 2.3 % of the
  neurons start above threshold and fire in the first step).
* Synapse numbers: S_ij = int(synapses_ij * scale) with ``synapses`` =
  ``connectivity.stabilized_K_prime.synapses`` (both states), i.e. the full-scale in-degree
  K_ij = synapses_ij / N_float_i kept (K_scaling = 1) and the synapse number scaled with the
  target population (the repository's syn_matrix *= K_scaling * N_scaling).  The repository
  scales the unrounded float K'_ij * N_float_i, the file holds its truncation, so S_ij can be
  one synapse below the repository's number for a pair (at most 1 per pair).
* Connection rule: ``fixed_total_number`` with N = S_ij per (target pop, source pop) pair,
  autapses and multapses allowed (NEST's defaults, which the repository keeps);
  ``static_synapse``.  Pairs with S_ij = 0 are not connected.
* Weights (pA), derived from ``parameter_sets[state].params`` exactly as the repository's
  Model.py does (and checked against the file's ``weight_mean_pA_per_pair``, which is
  rounded to 6 digits; the derived, unrounded values are used):
      PSC_over_PSP = 1 / (tau_m tau_s / (C_m (tau_s - tau_m))
                     ((tau_m/tau_s)^(-tau_m/(tau_m-tau_s)) - (tau_m/tau_s)^(-tau_s/(tau_m-tau_s))))
                   = 585.38996 pA/mV
      W_E = PSP_e * PSC_over_PSP = 87.808494 (PSP_e 0.15 mV), W_I = g W_E = -965.89343 (g -11);
      same area:  E source W_E, I source W_I, 4E -> 23E  PSP_e_23_4 * PSC_over_PSP = 175.61699;
      other area: chi * W_E onto E targets, chi * chi_I * W_E onto I targets (sources are
                  23E/5E/6E only; an I source would get chi (chi_I) W_I but has 0 synapses);
      ground_state chi = chi_I = 1; metastable chi = 1.9, chi_I = 2 (166.83614 / 333.67228).
  Each synapse draws nest.math.redraw(normal(w, 0.1 |w|), min, max): [0, inf) for E sources
  and for every inter-area pair, (-inf, 0] for intra-area I sources (the repository's
  w_min/w_max; both ends inclusive as NEST's redraw).
* Delays (ms): mean 1.5 (E source) / 0.75 (I source) within an area, distance_mm / 3.5 mm/ms
  between areas (``distances_mm``, median white-matter distance, symmetric; V1-V2 17.8645 mm
  -> 5.10414 ms); each synapse draws nest.math.redraw(normal(d, 0.5 d), min = dt = 0.1,
  max = inf) (the repository's ``min=dt``, not 0.5 dt as the microcircuit example) and
  NEST rounds it to the 0.1 ms grid, so the smallest delay is 1 step.
* External input: one ``poisson_generator`` per population with rate rate_ext * K_ext_i
  (rate_ext 10 Hz, K_ext_i a float, not rounded), connected ``all_to_all`` (NEST draws an
  independent train for every target) with weight W_ext = PSP_ext * PSC_over_PSP = 87.808494
  pA and delay 1 ms (NEST's default, which the repository does not change; set explicitly
  here).  K_ext_i = ``connectivity.unstabilized_data.K_ext_without_boost_factors``_i
  x fac_nu_ext_5E (1.125) for 5E, x fac_nu_ext_6E (1.41666667) for 6E, and x fac_nu_ext_TH
  (1.2) for TH-23E and TH-5E (both factors for TH-5E), as Model.py does; the external
  in-degree is a full-scale in-degree and is not scaled (K_scaling = 1).  Checked against the
  set's ``K_ext``.
* Areas that are not simulated: their cortico-cortical synapses are DROPPED (not replaced by
  anything).  Careful: in the repository, replace_non_simulated_areas = None is the
  default, but with it the Simulation class refuses a subset of areas ("Please define a
  valid method to replace non-simulated areas"); its options replace the missing areas by
  Poisson sources (hom_poisson_stat, het_poisson_stat) or currents (het_current_nonstat).
  Dropping is the choice of this reference; the dropped share of each population's
  recurrent in-degree is written to ``params.dropped_cc_indegree``.  With K_scaling = 1 the
  repository would also ask for a ``fullscale_rates`` file for any N_scaling != 1, but uses
  it only to rescale weights and add a DC by (1 - sqrt(K_scaling)) = 0, i.e. not at all.
* Simulation: dt 0.1 ms, ``nest.rng_seed = seed``, ``local_num_threads = --threads`` (the
  realisation depends on seed AND thread count); ``--t-presim`` ms (default 500) simulated
  and discarded, then ``--t-sim`` ms recorded by one spike_recorder per population
  (start = t_presim); build order as the repository's (per area: populations, recorder,
  Poisson generator, intra-area connections; then the inter-area connections).

What is written
---------------
Units: Hz, ms, pA, mV, s, bytes.  Per seed, per population AREA-POP:

* ``n``, ``n_spikes``, ``mean_rate_hz`` (spikes / (n t_sim), all neurons, silent included),
  ``silent_fraction`` (neurons without a spike in the window);
* ``rates``: the distribution of the single-neuron rates (spike count in
  (t_presim, t_presim + t_sim] / (t_sim / 1000 s)) as its 201 quantiles at probabilities
  k / 200, k = 0..200 (numpy.quantile, 'linear'; first = min, last = max), rounded to 1e-3 Hz;
* ``cv``: the same 201 quantiles of the ISI coefficients of variation std(ISI) / mean(ISI)
  (ddof 0) of the neurons with >= 3 spikes in the window (``n_cv`` of them; ``cv_mean``),
  rounded to 1e-4; empty if no neuron has 3 spikes;
  (a KS distance against a 201-quantile summary is exact to within 1/200 = 0.005)
* per seed: ``build_s`` (Create + Connect + nest.Prepare), ``presim_s``, ``sim_s`` (the
  recorded Simulate only) and ``rtf`` = sim_s / (t_sim / 1 s); ``rss_before_build_bytes``,
  ``rss_after_build_bytes`` (ru_maxrss after Prepare, where NEST finishes its connection
  tables) and ``peak_rss_bytes`` (ru_maxrss after the run, whole process);
  ``num_connections`` (checked: synapses + one Poisson and one recorder connection per
  neuron); ``synaptic_events`` = sum over populations of spikes x mean out-degree into the
  simulated network (recurrent only) and ``syn_events_per_s`` = synaptic_events / sim_s.

Between seeds (the method of nest_microcircuit.py): ``between_seed_ks[pop][rates|cv]`` the
two-sample KS distances sup |F_a - F_b| of every seed pair (order in
``between_seed_ks_pairs``), from the full unrounded per-neuron samples, and
``between_seed_ks_range`` [min, max] (null / [] where a seed has no CV sample);
``mean_rate_spread_hz[pop]`` = [min, max] of the seeds' mean rates.  ``params`` holds every
number the network was built from.

Cost (measured here: 2 cores shared with other jobs, load ~2-3; NEST 3.10, 4 threads,
OMP_WAIT_POLICY=PASSIVE; whole-process ru_maxrss)
-----------------------------------------------------------------------------------
V1+V2, ground state; recurrent synapses = 2,988 x neurons (full in-degree):

    scale  neurons  synapses   peak RSS   build (s)  sim s per model s
    0.01    3,540    10.6 M    0.68 GB      5.1        5.3  (t_sim 200 ms)
    0.02    7,091    21.2 M    1.26 GB      8.8        5.9  (t_sim 200 ms)
    0.05   17,744    53.0 M    2.99 GB     32.5-47.9  14.3-28.8  (t_sim 1000 ms; 4 runs,
                                                       the slow ones at load 4-5)
    0.25   88,747   265.1 M   ~14.5 GB   ~150-250    ~70-150 (extrapolated, not run here)

Peak RSS = 0.107 GB + 54.4 B per synapse (the three runs lie on that line within 1 %); the
peak is reached at nest.Prepare() (rss_after_build = peak_rss).  Build and simulation time
grow about linearly with the synapse number at fixed in-degree (plus cache effects; NEST's
full-scale microcircuit, 0.3 G synapses, took 108-116 s to build and RTF 70-77 here).

NEST supports at most 134,217,726 connections per thread and synapse model; --threads must
keep (synapses + 2 N) / threads below it (checked before building): V1+V2 at scale 0.25 has
132.6 M per thread with 2 threads (too close), so it needs 3 or more; use 4.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import resource
import sys
import time

import nest_seeds
from nest_microcircuit import _fmt, _round_list, ks_2samp_d

GENERATOR = "scripts/nest_multi_area.py"
DATA = "/work/shared/data/multi_area_model.json"
POP_ORDER = ["23E", "23I", "4E", "4I", "5E", "5I", "6E", "6I"]
STATES = {"ground": "ground_state", "metastable": "metastable"}
N_QUANTILES = 200
CV_MIN_SPIKES = 3
RTOL_FILE = 1e-5  # the file's floats have 6 significant digits (products of two: < 1e-5)
NEST_MAX_CONN_PER_THREAD = 134217726  # "per virtual process and synapse model", NEST 3.10
POISSON_DELAY = 1.0  # ms, NEST's default delay of static_synapse


# --------------------------------------------------------------------------- the network


def psc_over_psp(c_m, tau_m, tau_s):
    """PSC amplitude (pA) of iaf_psc_exp that gives a PSP of 1 mV (Model.py's formula)."""
    return (
        c_m**-1
        * tau_m
        * tau_s
        / (tau_s - tau_m)
        * (
            (tau_m / tau_s) ** (-tau_m / (tau_m - tau_s))
            - (tau_m / tau_s) ** (-tau_s / (tau_m - tau_s))
        )
    ) ** -1


def _check(name, derived, stored, rtol=RTOL_FILE):
    """Raise unless the derived values equal the file's (rounded) ones; return the max
    relative difference."""
    import numpy as np

    derived = np.asarray(derived, dtype=float)
    stored = np.asarray(stored, dtype=float)
    scale = np.maximum(np.abs(stored), 1e-12)
    diff = np.abs(derived - stored) / scale
    mask = np.abs(stored) > 0
    worst = float(diff[mask].max()) if mask.any() else 0.0
    if worst > rtol or np.any((np.abs(stored) == 0) & (np.abs(derived) > 0)):
        raise ValueError(
            f"{name}: derived values differ from the file's by up to {worst:.2e} "
            f"(relative; allowed {rtol:g}); the file or the formula changed"
        )
    return worst


def load_data(path):
    with open(path, "rb") as fh:
        raw = fh.read()
    return json.loads(raw), hashlib.sha256(raw).hexdigest()


def derive(data, areas, scale, state) -> dict:
    """Every number the NEST network is built from, for ``areas`` (names), ``scale`` and
    ``state`` ('ground' | 'metastable'), following the file's formulas (see the docstring)."""
    import numpy as np

    all_areas = data["areas"]
    unknown = [a for a in areas if a not in all_areas]
    if unknown or not areas:
        raise ValueError(
            f"--areas {','.join(areas)}: unknown area(s) {unknown}; valid: {','.join(all_areas)}"
        )
    if len(set(areas)) != len(areas):
        raise ValueError(f"--areas {','.join(areas)}: an area is listed twice")
    if not (0.0 < scale <= 1.0):
        raise ValueError(f"--scale {scale}: must be in (0, 1] (N_scaling; K_scaling is 1)")
    areas = [a for a in all_areas if a in areas]  # the file's order
    pset = data["parameter_sets"][STATES[state]]
    p = pset["params"]
    if p["connectivity"] != "stabilized_K_prime" or p["lognormal_weights"]:
        raise ValueError(
            f"parameter set {STATES[state]}: expected stabilized_K_prime and "
            "normal weights, the script implements only those"
        )
    if p["K_scaling"] != 1.0 or p["N_scaling"] != 1.0:
        raise ValueError(f"parameter set {STATES[state]}: expected full-scale parameters")

    order = data["population_order"]
    idx = [k for k, name in enumerate(order) if name.split("-")[0] in areas]
    names = [order[k] for k in idx]
    pop_area = [n.split("-")[0] for n in names]
    pop_type = [n.split("-")[1] for n in names]
    all_area = np.array([n.split("-")[0] for n in order])
    all_type = [n.split("-")[1] for n in order]

    # neurons
    n_float = np.asarray(data["neurons"]["N_float"], dtype=float)
    n_int = np.asarray(data["neurons"]["N_int_as_built_in_NEST"], dtype=np.int64)
    if scale == 1.0:
        n_all = n_int
    else:
        n_all = np.floor(n_float * scale).astype(np.int64)
    # N_float has 6 significant digits: is int(N_float * scale) certain for the simulated pops?
    ambiguous = []
    for k in idx:
        half_ulp = 0.5 * 10.0 ** (math.floor(math.log10(n_float[k])) - 5)
        if scale != 1.0 and math.floor((n_float[k] - half_ulp) * scale) != math.floor(
            (n_float[k] + half_ulp) * scale
        ):
            ambiguous.append(order[k])
    n = n_all[idx]
    if np.any(n < 1):
        raise ValueError(
            f"--scale {scale}: population(s) "
            f"{[names[i] for i in np.nonzero(n < 1)[0]]} would have no neuron"
        )

    # synapses (stabilized K' x N_float, truncated, as in the file), scaled with N
    syn_full = np.asarray(data["connectivity"]["stabilized_K_prime"]["synapses"], dtype=np.int64)
    sub = syn_full[np.ix_(idx, idx)]
    syn = np.floor(sub * scale).astype(np.int64) if scale != 1.0 else sub.copy()

    # weights
    nm = data["neuron_model"]["params"]
    if nm["tau_syn_ex"] != nm["tau_syn_in"]:
        raise ValueError("neuron_model: tau_syn_ex != tau_syn_in; the weights below assume equal")
    r = psc_over_psp(nm["C_m"], nm["tau_m"], nm["tau_syn_ex"])
    w_e = p["PSP_e_mV"] * r
    w_i = p["g"] * p["PSP_e_mV"] * r
    w_23_4 = p["PSP_e_23_4_mV"] * r
    w_ext = p["PSP_ext_mV"] * r
    chi, chi_i = p["cc_weights_factor_chi"], p["cc_weights_I_factor_chi_I"]
    n_all_pops = len(order)
    w_all = np.empty((n_all_pops, n_all_pops))
    for i in range(n_all_pops):
        for j in range(n_all_pops):
            w = w_e if "E" in all_type[j] else w_i
            if all_area[i] == all_area[j]:
                if all_type[i] == "23E" and all_type[j] == "4E":
                    w = w_23_4
            else:
                w *= chi
                if "I" in all_type[i]:
                    w *= chi_i
            w_all[i, j] = w
    checks = {
        "PSC_per_mV_PSP_pA": _check("PSC_per_mV_PSP_pA", r, p["PSC_per_mV_PSP_pA"]),
        "W_E_pA": _check("W_E_pA", w_e, p["W_E_pA"]),
        "W_I_pA": _check("W_I_pA", w_i, p["W_I_pA"]),
        "W_4E_to_23E_pA": _check("W_4E_to_23E_pA", w_23_4, p["W_4E_to_23E_pA"]),
        "W_ext_pA": _check("W_ext_pA", w_ext, data["external_input"]["W_ext_pA"]),
        "weight_mean_pA_per_pair": _check(
            "weight_mean_pA_per_pair", w_all, pset["weight_mean_pA_per_pair"]
        ),
    }
    w_mean = w_all[np.ix_(idx, idx)]
    # sign rule of the repository's connect(): [0, inf) for E sources and all inter-area pairs
    same_area = np.equal.outer(np.array(pop_area), np.array(pop_area))
    inh_source = np.array(["I" in t for t in pop_type])
    w_negative = same_area & inh_source[None, :]
    bad = (syn > 0) & ~same_area & inh_source[None, :]
    if bad.any():
        raise ValueError(
            "connectivity: an inhibitory population projects to another area; "
            "the repository's sign rule ([0, inf) between areas) cannot hold"
        )
    if np.any((syn > 0) & ((w_mean < 0) != w_negative)):
        raise ValueError("weights: the sign of a mean weight contradicts its redraw bounds")

    # external in-degree
    k_ext_all = np.asarray(
        data["connectivity"]["unstabilized_data"]["K_ext_without_boost_factors"], dtype=float
    ).copy()
    for k, name in enumerate(order):
        a, t = name.split("-")
        if t == "5E":
            k_ext_all[k] *= p["fac_nu_ext_5E"]
        if t == "6E":
            k_ext_all[k] *= p["fac_nu_ext_6E"]
        if a == "TH" and t in ("23E", "5E"):
            k_ext_all[k] *= p["fac_nu_ext_TH"]
    checks["K_ext"] = _check("K_ext", k_ext_all, pset["K_ext"])
    k_ext = k_ext_all[idx]
    rate_ext = p["rate_ext_Hz"]
    if rate_ext != data["external_input"]["rate_ext_Hz"]:
        raise ValueError("rate_ext_Hz of the parameter set and of external_input differ")

    # delays
    dist = np.asarray(data["distances_mm"]["matrix"], dtype=float)
    a_index = {a: k for k, a in enumerate(all_areas)}
    speed = p["interarea_speed_mm_per_ms"]
    d_all = np.empty((n_all_pops, n_all_pops))
    for i in range(n_all_pops):
        for j in range(n_all_pops):
            if all_area[i] == all_area[j]:
                d_all[i, j] = p["delay_e_ms"] if "E" in all_type[j] else p["delay_i_ms"]
            else:
                d_all[i, j] = dist[a_index[all_area[i]], a_index[all_area[j]]] / speed
    checks["per_pair_mean_delay_ms"] = _check(
        "per_pair_mean_ms", d_all, data["delays"]["per_pair_mean_ms"]
    )
    d_mean = d_all[np.ix_(idx, idx)]
    dt = float(data["simulation"]["dt_ms"])

    # dropped inter-area input (full-scale in-degrees from areas that are not simulated)
    k_full = syn_full / n_float[:, None]
    sim_cols = np.zeros(n_all_pops, dtype=bool)
    sim_cols[idx] = True
    dropped = {}
    for i, k in enumerate(idx):
        total = k_full[k].sum()
        lost = k_full[k, ~sim_cols].sum()
        dropped[names[i]] = {
            "indegree_total": round(float(total), 2),
            "indegree_dropped": round(float(lost), 2),
            "fraction_dropped": round(float(lost / total), 4),
        }

    return {
        "areas": areas,
        "names": names,
        "pop_area": pop_area,
        "pop_type": pop_type,
        "n": n,
        "syn": syn,
        "syn_full": sub,
        "w_mean": w_mean,
        "w_rel_sd": p["PSC_rel_sd"],
        "w_negative": w_negative,
        "d_mean": d_mean,
        "d_rel_sd": p["delay_rel"],
        "dt": dt,
        "k_ext": k_ext,
        "rate_ext": rate_ext,
        "w_ext": w_ext,
        "psc_over_psp": r,
        "chi": chi,
        "chi_I": chi_i,
        "w_e": w_e,
        "w_i": w_i,
        "w_23_4": w_23_4,
        "neuron_params": dict(nm),
        "I_e": float(data["neuron_model"]["I_e_pA"]),
        "v0_mean": data["neuron_model"]["initial_V_m"]["mean_mV"],
        "v0_sd": data["neuron_model"]["initial_V_m"]["sd_mV"],
        "checks": checks,
        "ambiguous_sizes": ambiguous,
        "dropped": dropped,
        "param_set": STATES[state],
        "set_params": p,
    }


def connections_per_thread(d, threads):
    """Static-synapse connections NEST stores per thread (targets are spread round-robin)."""
    return (int(d["syn"].sum()) + 2 * int(d["n"].sum())) / threads


def params_dict(d, scale, state, t_presim, data_path, data_sha) -> dict:
    import numpy as np

    n = d["n"]
    return {
        "source": "multi-area model of Schmidt et al. 2018 as described by "
        "multi_area_model.json (INM-6/multi-area-model, data pipeline at commit "
        "355d940); network rules in the docstring of scripts/nest_multi_area.py",
        "data_file": os.path.abspath(data_path),
        "data_sha256": data_sha,
        "areas": d["areas"],
        "state": state,
        "parameter_set": d["param_set"],
        "N_scaling": scale,
        "K_scaling": 1.0,
        "populations": d["names"],
        "num_neurons": n.tolist(),
        "num_neurons_total": int(n.sum()),
        "num_neurons_formula": "int(N_float * scale) (scale 1: N_int_as_built_in_NEST)",
        "sizes_ambiguous_from_6_digit_N_float": d["ambiguous_sizes"],
        "num_synapses": d["syn"].tolist(),
        "num_synapses_formula": "int(stabilized_K_prime.synapses * scale), [target][source]",
        "num_synapses_total": int(d["syn"].sum()),
        "indegree_matrix": np.round(d["syn"] / n[:, None], 3).tolist(),
        "indegree_matrix_note": "num_synapses / num_neurons[target] "
        "(= full-scale K up to truncation)",
        "conn_rule": "fixed_total_number",
        "allow_autapses": True,
        "allow_multapses": True,
        "synapse_model": "static_synapse",
        "neuron_model": "iaf_psc_exp",
        "neuron_params": d["neuron_params"],
        "I_e_pA": d["I_e"],
        "V0_mean_mV": d["v0_mean"],
        "V0_sd_mV": d["v0_sd"],
        "V0_distribution": "normal, unbounded, per neuron",
        "PSC_over_PSP_pA_per_mV": d["psc_over_psp"],
        "W_E_pA": d["w_e"],
        "W_I_pA": d["w_i"],
        "W_4E_to_23E_pA": d["w_23_4"],
        "chi": d["chi"],
        "chi_I": d["chi_I"],
        "weight_matrix_mean_pA": d["w_mean"].tolist(),
        "weight_rel_sd": d["w_rel_sd"],
        "weight_distribution": "redraw(normal(w, |w| * weight_rel_sd), min, max): [0, inf) for "
        "E sources and inter-area pairs, (-inf, 0] for intra-area I sources",
        "delay_matrix_mean_ms": d["d_mean"].tolist(),
        "delay_rel_sd": d["d_rel_sd"],
        "delay_distribution": "redraw(normal(d, d * delay_rel_sd), min = dt, max = inf), then "
        "rounded by NEST to the dt grid",
        "interarea_delay": "distance_mm / interarea_speed_mm_per_ms (3.5)",
        "K_ext": d["k_ext"].tolist(),
        "rate_ext_hz": d["rate_ext"],
        "poisson_rates_hz": (d["rate_ext"] * d["k_ext"]).tolist(),
        "poisson_connection": "one poisson_generator per population, all_to_all",
        "weight_ext_pA": d["w_ext"],
        "delay_poisson_ms": POISSON_DELAY,
        "non_simulated_areas": "their cortico-cortical synapses are dropped (not replaced)",
        "dropped_cc_indegree": d["dropped"],
        "derived_vs_file_max_rel_diff": d["checks"],
        "dt_ms": d["dt"],
        "t_presim_ms": t_presim,
        "rng": "nest.rng_seed = seed (NEST default rng_type); realisation depends on threads",
        "analysis": {
            "rate": "spike count in (t_presim, t_presim + t_sim] / (t_sim / 1000)",
            "cv_min_spikes": CV_MIN_SPIKES,
            "cv": "std(ISI) / mean(ISI), ddof = 0",
            "ks": "two-sample KS statistic sup_x |F_a(x) - F_b(x)| on the full unrounded samples",
        },
    }


# --------------------------------------------------------------------------- one seed


def _rss_now():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _maxrss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def spike_stats(times, senders, first_id, n):
    """Per-neuron rates (counts) and ISI CVs (neurons with >= CV_MIN_SPIKES spikes)."""
    import numpy as np

    idx = senders - first_id
    order = np.lexsort((times, idx))
    idx, times = idx[order], times[order]
    counts = np.bincount(idx, minlength=n)
    if times.size < 2:
        return counts, np.zeros(0)
    isi = np.diff(times)
    same = idx[1:] == idx[:-1]
    isi, owner = isi[same], idx[1:][same]
    n_isi = np.bincount(owner, minlength=n)
    s = np.bincount(owner, weights=isi, minlength=n)
    ok = counts >= CV_MIN_SPIKES
    mean = np.zeros(n)
    mean[ok] = s[ok] / n_isi[ok]
    var = np.bincount(owner, weights=(isi - mean[owner]) ** 2, minlength=n)
    cv = np.sqrt(var[ok] / n_isi[ok]) / mean[ok]
    return counts, cv


def run_one(seed, threads, t_sim, areas, scale, state, t_presim, data_path):
    """Build and simulate the network in this process; return the per-seed record with the
    full per-neuron samples (the parent summarises them)."""
    import nest
    import numpy as np

    data, _ = load_data(data_path)
    d = derive(data, areas, scale, state)
    del data
    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:  # pragma: no cover - older NEST
        nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.set(resolution=d["dt"], rng_seed=seed, local_num_threads=threads, print_time=False)
    rss_before = _rss_now()

    t_start = time.perf_counter()
    names = d["names"]
    pops, recorders = {}, {}
    syn = d["syn"]
    dt = d["dt"]

    def connect(i, j):
        n_syn = int(syn[i, j])
        if n_syn == 0:
            return
        w = float(d["w_mean"][i, j])
        w_min, w_max = (-np.inf, 0.0) if d["w_negative"][i, j] else (0.0, np.inf)
        dm = float(d["d_mean"][i, j])
        spec = {
            "synapse_model": "static_synapse",
            "weight": nest.math.redraw(
                nest.random.normal(mean=w, std=abs(w) * d["w_rel_sd"]), min=w_min, max=w_max
            ),
            "delay": nest.math.redraw(
                nest.random.normal(mean=dm, std=dm * d["d_rel_sd"]), min=dt, max=np.inf
            ),
        }
        nest.Connect(
            pops[names[j]],
            pops[names[i]],
            {
                "rule": "fixed_total_number",
                "N": n_syn,
                "allow_autapses": True,
                "allow_multapses": True,
            },
            spec,
        )

    for area in d["areas"]:
        members = [i for i, a in enumerate(d["pop_area"]) if a == area]
        for i in members:
            pop = nest.Create(
                "iaf_psc_exp", int(d["n"][i]), params=dict(d["neuron_params"], I_e=d["I_e"])
            )
            pop.V_m = nest.random.normal(mean=d["v0_mean"], std=d["v0_sd"])
            pops[names[i]] = pop
        for i in members:
            rec = nest.Create("spike_recorder", params={"start": t_presim})
            nest.Connect(pops[names[i]], rec)
            recorders[names[i]] = rec
        for i in members:
            rate = float(d["rate_ext"] * d["k_ext"][i])
            pg = nest.Create("poisson_generator", params={"rate": rate})
            nest.Connect(
                pg,
                pops[names[i]],
                {"rule": "all_to_all"},
                {
                    "synapse_model": "static_synapse",
                    "weight": float(d["w_ext"]),
                    "delay": POISSON_DELAY,
                },
            )
        for i in members:
            for j in members:
                connect(i, j)
    for ta in d["areas"]:  # inter-area: target area, then source areas in the file's order
        for sa in d["areas"]:
            if sa == ta:
                continue
            for i in [k for k, a in enumerate(d["pop_area"]) if a == ta]:
                for j in [k for k, a in enumerate(d["pop_area"]) if a == sa]:
                    connect(i, j)
    t_connect = time.perf_counter() - t_start
    nest.Prepare()
    nest.Cleanup()
    build_s = time.perf_counter() - t_start
    rss_build = _maxrss()
    print(
        f"[seed {seed}] built in {build_s:.1f} s (Connect {t_connect:.1f} s), "
        f"peak RSS {rss_build / 2**30:.2f} GiB",
        file=sys.stderr,
        flush=True,
    )

    t_start = time.perf_counter()
    if t_presim > 0:
        nest.Simulate(t_presim)
    presim_s = time.perf_counter() - t_start
    t_start = time.perf_counter()
    nest.Simulate(t_sim)
    sim_s = time.perf_counter() - t_start
    peak_rss = _maxrss()

    n_conn = int(nest.GetKernelStatus("num_connections"))
    n_expected = int(syn.sum()) + 2 * int(d["n"].sum())
    if n_conn != n_expected:
        raise RuntimeError(f"unexpected number of connections {n_conn} != {n_expected}")

    out = {
        "seed": seed,
        "threads": threads,
        "build_s": build_s,
        "presim_s": presim_s,
        "sim_s": sim_s,
        "rtf": sim_s / (t_sim / 1000.0),
        "rss_before_build_bytes": rss_before,
        "rss_after_build_bytes": rss_build,
        "peak_rss_bytes": peak_rss,
        "num_connections": n_conn,
        "populations": {},
    }
    events = 0.0
    for j, name in enumerate(names):
        ev = recorders[name].get("events")
        times = np.asarray(ev["times"], dtype=float)
        senders = np.asarray(ev["senders"], dtype=np.int64)
        keep = (times > t_presim) & (times <= t_presim + t_sim)
        times, senders = times[keep], senders[keep]
        n = int(d["n"][j])
        counts, cv = spike_stats(times, senders, int(pops[name][0].global_id), n)
        events += times.size * syn[:, j].sum() / n
        out["populations"][name] = {
            "n": n,
            "n_spikes": int(times.size),
            "mean_rate_hz": float(times.size / (n * t_sim / 1000.0)),
            "rates": (counts / (t_sim / 1000.0)).tolist(),
            "cv": cv.tolist(),
        }
    out["synaptic_events"] = int(round(events))
    out["syn_events_per_s"] = events / sim_s
    return out


# --------------------------------------------------------------------------- output


def assemble(runs, args, d, nest_version, data_sha) -> dict:
    import numpy as np

    probs = np.arange(N_QUANTILES + 1) / N_QUANTILES
    names = d["names"]
    pairs = [(a, b) for a in range(len(runs)) for b in range(a + 1, len(runs))]
    ks, ks_range, spread = {}, {}, {}
    for name in names:
        ks[name], ks_range[name] = {}, {}
        for stat in ("rates", "cv"):
            vals = [
                ks_2samp_d(runs[a]["populations"][name][stat], runs[b]["populations"][name][stat])
                for a, b in pairs
            ]
            vals = [None if math.isnan(v) else round(v, 4) for v in vals]  # nan: empty sample
            ks[name][stat] = vals
            known = [v for v in vals if v is not None]
            ks_range[name][stat] = [min(known), max(known)] if known else []
        means = [r["populations"][name]["mean_rate_hz"] for r in runs]
        spread[name] = [round(min(means), 6), round(max(means), 6)]

    seeds = []
    for r in runs:
        pops = {}
        for name in names:
            p = r["populations"][name]
            rates = np.asarray(p["rates"], dtype=float)
            cv = np.asarray(p["cv"], dtype=float)
            pops[name] = {
                "n": p["n"],
                "n_spikes": p["n_spikes"],
                "mean_rate_hz": round(p["mean_rate_hz"], 6),
                "silent_fraction": round(float(np.mean(rates == 0)), 6),
                "rates": _round_list(np.quantile(rates, probs), 3),
                "n_cv": int(cv.size),
                "cv_mean": round(float(cv.mean()), 6) if cv.size else None,
                "cv": _round_list(np.quantile(cv, probs), 4) if cv.size else [],
            }
        seeds.append(
            {
                k: (round(v, 3) if isinstance(v, float) else v)
                for k, v in r.items()
                if k != "populations"
            }
            | {"populations": pops}
        )

    return {
        "generator": GENERATOR,
        "command": "OMP_WAIT_POLICY=PASSIVE /work/nestenv/bin/python scripts/nest_multi_area.py "
        f"--areas {','.join(d['areas'])} --scale {args.scale:g} --state {args.state} "
        f"--seeds {' '.join(str(s) for s in args.seeds)} --threads {args.threads} "
        f"--t-presim {args.t_presim:g} --t-sim {args.t_sim:g}",
        "nest_version": nest_version,
        "areas": d["areas"],
        "scale": args.scale,
        "state": args.state,
        "t_presim_ms": args.t_presim,
        "t_sim_ms": args.t_sim,
        "dt": d["dt"],
        "threads": args.threads,
        "storage": {
            "rates": f"{N_QUANTILES + 1} quantiles at probabilities k/{N_QUANTILES}, "
            f"k = 0..{N_QUANTILES} (numpy.quantile, 'linear'; first = min, last = max) "
            "of the rates of all neurons, rounded to 1e-3 Hz",
            "cv": "the same quantiles of the ISI CVs of the neurons with >= 3 spikes, rounded "
            "to 1e-4",
            "quantile_probs": [round(float(x), 4) for x in probs],
        },
        "params": params_dict(d, args.scale, args.state, args.t_presim, args.data, data_sha),
        "seeds": seeds,
        "between_seed_ks_pairs": [[runs[a]["seed"], runs[b]["seed"]] for a, b in pairs],
        "between_seed_ks": ks,
        "between_seed_ks_range": ks_range,
        "mean_rate_spread_hz": spread,
    }


def main(argv=None):
    def options(ap):
        ap.add_argument("--areas", default="V1,V2", help="comma-separated areas (default V1,V2)")
        ap.add_argument(
            "--scale",
            type=float,
            default=0.25,
            help="N_scaling (neurons and synapse numbers; in-degrees stay full)",
        )
        ap.add_argument("--state", choices=sorted(STATES), default="ground")
        ap.add_argument(
            "--t-presim", type=float, default=500.0, help="warm-up (ms), simulated and discarded"
        )
        ap.add_argument("--data", default=DATA, help="multi_area_model.json")
        ap.add_argument(
            "--dry-run",
            action="store_true",
            help="print the derived network and the per-thread connections; no NEST",
        )

    args = nest_seeds.parse(
        "Multi-area model subset at full in-degree: reference run in NEST",
        [1, 2, 3],
        4,
        1000.0,
        argv,
        extra=options,
    )
    areas = [a.strip() for a in args.areas.split(",") if a.strip()]
    config = {
        "areas": areas,
        "scale": args.scale,
        "state": args.state,
        "t_presim": args.t_presim,
        "data_path": args.data,
    }
    if args.worker:
        return nest_seeds.worker(run_one, args, **config)

    data, data_sha = load_data(args.data)
    try:
        d = derive(data, areas, args.scale, args.state)
    except ValueError as exc:
        raise SystemExit(f"nest_multi_area.py: {exc}") from None
    del data
    per_thread = connections_per_thread(d, args.threads)
    summary = (
        f"{','.join(d['areas'])} scale {args.scale:g} {args.state}: "
        f"{int(d['n'].sum())} neurons, {int(d['syn'].sum())} synapses, "
        f"{per_thread / 1e6:.1f} M connections per thread (NEST's limit "
        f"{NEST_MAX_CONN_PER_THREAD / 1e6:.1f} M)"
    )
    print(summary, file=sys.stderr, flush=True)
    if d["ambiguous_sizes"]:
        print(
            f"note: int(N_float * scale) of {d['ambiguous_sizes']} may differ by one from the "
            "repository's (N_float has 6 significant digits)",
            file=sys.stderr,
        )
    if per_thread > 0.95 * NEST_MAX_CONN_PER_THREAD:
        need = math.ceil(
            (int(d["syn"].sum()) + 2 * int(d["n"].sum())) / (0.95 * NEST_MAX_CONN_PER_THREAD)
        )
        raise SystemExit(
            f"--threads {args.threads}: {per_thread / 1e6:.1f} M connections per "
            f"thread, NEST supports at most {NEST_MAX_CONN_PER_THREAD} per thread "
            f"and synapse model; use --threads {need} or more"
        )
    if args.dry_run:
        nest_seeds.print_result(
            params_dict(d, args.scale, args.state, args.t_presim, args.data, data_sha)
        )
        return
    if os.environ.get("OMP_WAIT_POLICY", "").upper() != "PASSIVE":
        print("warning: OMP_WAIT_POLICY is not PASSIVE; NEST's threads will spin", file=sys.stderr)

    runs = []
    extra_argv = [
        "--areas",
        ",".join(areas),
        "--scale",
        repr(args.scale),
        "--state",
        args.state,
        "--t-presim",
        repr(args.t_presim),
        "--data",
        args.data,
    ]
    for line in nest_seeds.seed_lines(__file__, args, extra_argv):
        r = json.loads(line)
        runs.append(r)
        rates = " ".join(f"{name}={p['mean_rate_hz']:.3f}" for name, p in r["populations"].items())
        print(
            f"seed {r['seed']}: build {r['build_s']:.1f} s, presim {r['presim_s']:.1f} s, "
            f"sim {r['sim_s']:.1f} s, peak RSS {r['peak_rss_bytes'] / 2**30:.2f} GiB; {rates}",
            file=sys.stderr,
            flush=True,
        )

    import nest  # only for the version string (prints NEST's banner to stdout)

    result = assemble(runs, args, d, nest.__version__, data_sha)
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
