#!/usr/bin/env python3
"""Generate a NEST 3.10 reference of a small recurrent network with plastic E->E synapses
(issue 7: NEST's hpc_benchmark with plasticity, checked at network level deterministically).

Run with the separate NEST virtualenv (NEST is *not* a distsim dependency)::

    /work/nestenv/bin/python scripts/nest_plastic_network.py \
        [--out tests/data/nest_plastic_network.json]

It takes a few seconds.  tests/unit/test_plastic_network_nest.py builds the same network in
distsim and compares spikes and weights.

Network
=======
Everything random is drawn here with numpy (``default_rng(SEED)``) and stored, so that
both simulators build the identical network; NEST's own random numbers are not used.

* ``E`` (NE = 100) and ``I`` (NI = 25) iaf_psc_alpha neurons with the neuron parameters of
  NEST's hpc_benchmark (E_L 0, C_m 250 pF, tau_m 10 ms, t_ref 0.5 ms, V_th 20 mV,
  V_reset 0, tau_syn_ex = tau_syn_in = 0.32582722403722841 ms, tau_minus 30 ms); initial
  V_m drawn per neuron from N(5.7, 7.2) mV (hpc_benchmark's distribution), stored in
  ``v_m0`` (E first, then I) and set with ``nodes.V_m = values``.
* ``X``: NX = 200 spike_generators replacing hpc_benchmark's Poisson drive: independent
  Poisson trains of RATE_X = 12 Hz on the 0.1 ms grid (at most one spike per step), plus
  three volleys at 300, 900 and 1500 ms in which every generator spikes (many E and I
  neurons then spike in one step: pairings at Delta = t_post - t_pre = -d exactly, which
  leave the weight unchanged, and many simultaneous pre and post spikes), stored as step
  numbers (spike time = step * 0.1 ms, given to NEST rounded to 0.1 ms).
* Projections (fixed in-degree drawn with numpy: autapses excluded, multapses allowed, as
  in hpc_benchmark), each stored as ``sources``, ``targets`` (indices within the source and
  target populations), ``weight`` (pA; one number for a static projection) and ``delay``
  (ms) per synapse, in the order given to ``nest.Connect`` (connect_arrays, one_to_one):

  ========  ========  ==============================================================
  X -> E/I  KX = 100  static_synapse, weight W_X, delays 1.0 ms (and 0.5, 2.0)
  E -> E    CE = 48   stdp_pl_synapse_hom: hpc_benchmark's alpha 0.0513, lambda 0.1,
                      mu 0.4, tau_plus 15 ms (CopyModel); weight JE_NET times U(0.1, 1.0)
                      delay 1.5 ms for 70 %, 1.0, 2.0 or 3.3 ms for 10 % each
  E -> I    CE = 48   static_synapse, weight JE_NET, delay 1.5 ms (and 0.5, 2.5)
  I -> E/I  CI = 12   static_synapse, weight G * JE_NET, delay 1.5 ms (and 0.5, 2.5)
  ========  ========  ==============================================================

  JE_NET = 10 * hpc_benchmark's JE (45.61 pA, a 0.14 mV PSP): with in-degrees 48 / 12
  instead of 9000 / 2250 the recurrent input would otherwise be negligible.  E->E synapses
  with the same (source, target, delay) (multapses of one delay) get the same initial
  weight, so that they stay equal: NEST orders a neuron's connections its own way, and
  multapses with equal weights need no matching (checked at every sample below).

Simulation: resolution 0.1 ms, one thread, ``rng_seed`` 1 (unused: nothing random is drawn
by NEST), ``Simulate(T_SAMPLE)`` repeated up to T_SIM; after each call the E->E weights are
read with GetConnections.  NEST delivers the spikes of a min_delay slice at the start of
the next one, so after ``Simulate`` up to T the weights contain the updates of the
presynaptic spikes up to T - min_delay (``kernel.min_delay``; min over all delays, here
0.5 ms) and not those of later ones: distsim has them after running to T - min_delay.

Output (``tests/data/nest_plastic_network.json``)
=================================================
``generator``, ``nest_version``, ``seed``, ``dt``, ``t_sim``, ``kernel`` (resolution,
min_delay, max_delay), ``neuron`` (the params given to Create), ``stdp`` (the CopyModel
params), ``sizes`` {E, I, X}, ``v_m0``, ``x_steps`` (one list of spike steps per
generator), ``projections`` (name, source, target, synapse_model ``static`` or ``stdp``,
sources, targets, weight, delay), ``spikes`` {population: {``index`` (within the
population), ``step``}} of every E and I spike in (0, t_sim] as the spike_recorder reports
them (step = round(time / 0.1)), and ``weights``: a list of {``t`` (end of the Simulate
call, ms), ``weight`` (the E->E weights in the projection's synapse order)}, the last one at
t_sim.  ``summary`` counts spikes and weight updates (presynaptic E spikes delivered times
their E->E out-degree), the pre/post spike pairs of E->E synapses with t_post = t_pre - d
exactly, and how many weights rose and fell.
"""

import argparse
import json
import os
import sys

import numpy as np

SEED = 20251127
DT = 0.1
T_SIM = 2000.0
T_SAMPLE = 1000.0
VOLLEYS = (300.0, 900.0, 1500.0)  # ms: every generator spikes (synchronous E and I spikes)
TAU_SYN = 0.32582722403722841
NEURON = {
    "E_L": 0.0,
    "C_m": 250.0,
    "tau_m": 10.0,
    "t_ref": 0.5,
    "V_th": 20.0,
    "V_reset": 0.0,
    "tau_syn_ex": TAU_SYN,
    "tau_syn_in": TAU_SYN,
    "tau_minus": 30.0,
}
STDP = {"alpha": 0.0513, "lambda": 0.1, "mu": 0.4, "tau_plus": 15.0}
NE, NI, NX = 100, 25, 200
CE, CI, KX = 48, 12, 100
RATE_X = 12.0  # Hz
JE_HPC = 45.609600316540956  # pA: hpc_benchmark's JE (0.14 mV), scripts/nest_hpc_benchmark.py
JE_NET = 10.0 * JE_HPC
G = -5.0
W_X = 1.2 * JE_NET
V0_MEAN, V0_STD = 5.7, 7.2


def fixed_indegree(rng, n_src, n_tgt, k, autapses):
    """k sources per target drawn with replacement (multapses), targets in order; without
    ``autapses`` source j is never drawn for target j (source and target the same)."""
    src, tgt = [], []
    for j in range(n_tgt):
        s = rng.integers(0, n_src - (0 if autapses else 1), size=k)
        if not autapses:
            s = s + (s >= j)
        src.append(s)
        tgt.append(np.full(k, j))
    return np.concatenate(src), np.concatenate(tgt)


def pick_delays(rng, n, main, others, p_main):
    """``main`` ms with probability p_main, else one of ``others`` (equally likely)."""
    d = rng.choice(np.array(others, float), size=n)
    return np.where(rng.random(n) < p_main, main, d)


def build_spec(t_sim=T_SIM):
    """The network (everything NEST and distsim need), drawn with numpy."""
    rng = np.random.default_rng(SEED)
    n_steps = int(round(t_sim / DT))
    volleys = [int(round(t / DT)) for t in VOLLEYS if t < t_sim]
    x_steps = [
        np.union1d(np.flatnonzero(rng.random(n_steps) < RATE_X * DT / 1000.0) + 1, volleys)
        for _ in range(NX)
    ]
    v_m0 = rng.normal(V0_MEAN, V0_STD, NE + NI)
    projections = []

    def add(name, source, target, k, weight, delays, p_main=0.7, stdp=False):
        n_src = {"E": NE, "I": NI, "X": NX}[source]
        n_tgt = {"E": NE, "I": NI}[target]
        src, tgt = fixed_indegree(rng, n_src, n_tgt, k, autapses=source != target)
        delay = pick_delays(rng, src.size, delays[0], delays[1:], p_main)
        if stdp:  # one weight per (source, target, delay): multapses stay equal
            key = src * 100000 + tgt * 100 + np.round(delay * 10).astype(np.int64)
            uniq, inv = np.unique(key, return_inverse=True)
            weight = weight * rng.uniform(0.1, 1.0, uniq.size)[inv]
        projections.append(
            {
                "name": name,
                "source": source,
                "target": target,
                "synapse_model": "stdp" if stdp else "static",
                "sources": src.tolist(),
                "targets": tgt.tolist(),
                "weight": weight.tolist() if stdp else weight,
                "delay": delay.tolist(),
            }
        )

    add("X->E", "X", "E", KX, W_X, (1.0, 0.5, 2.0), p_main=0.8)
    add("X->I", "X", "I", KX, W_X, (1.0, 0.5, 2.0), p_main=0.8)
    add("E->E", "E", "E", CE, JE_NET, (1.5, 1.0, 2.0, 3.3), stdp=True)
    add("E->I", "E", "I", CE, JE_NET, (1.5, 0.5, 2.5))
    add("I->E", "I", "E", CI, G * JE_NET, (1.5, 0.5, 2.5))
    add("I->I", "I", "I", CI, G * JE_NET, (1.5, 0.5, 2.5))
    return {
        "seed": SEED,
        "dt": DT,
        "t_sim": t_sim,
        "neuron": dict(NEURON),
        "stdp": dict(STDP),
        "sizes": {"E": NE, "I": NI, "X": NX},
        "v_m0": v_m0.tolist(),
        "x_steps": [s.tolist() for s in x_steps],
        "projections": projections,
    }


def run_nest(spec, t_sample=T_SAMPLE):
    import nest

    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    nest.ResetKernel()
    nest.set(resolution=DT, rng_seed=1, local_num_threads=1, print_time=False)
    pops = {
        "E": nest.Create("iaf_psc_alpha", NE, params=NEURON),
        "I": nest.Create("iaf_psc_alpha", NI, params=NEURON),
    }
    pops["X"] = nest.Create("spike_generator", NX)
    for g, steps in zip(pops["X"], spec["x_steps"]):
        g.spike_times = [round(s * DT, 1) for s in steps]
    (pops["E"] + pops["I"]).V_m = spec["v_m0"]
    nest.CopyModel("stdp_pl_synapse_hom", "net_stdp", spec["stdp"])
    for p in spec["projections"]:
        first_s = pops[p["source"]][0].global_id
        first_t = pops[p["target"]][0].global_id
        nest.Connect(
            np.array(p["sources"], np.int64) + first_s,
            np.array(p["targets"], np.int64) + first_t,
            "one_to_one",
            {
                "synapse_model": "net_stdp" if p["synapse_model"] == "stdp" else "static_synapse",
                "weight": np.broadcast_to(np.array(p["weight"], float), len(p["sources"])).copy(),
                "delay": np.array(p["delay"]),
            },
        )
    recorder = nest.Create("spike_recorder")
    nest.Connect(pops["E"] + pops["I"], recorder)

    ee = next(p for p in spec["projections"] if p["name"] == "E->E")
    first_e = pops["E"][0].global_id
    key = np.c_[ee["sources"], ee["targets"], np.round(np.array(ee["delay"]) / DT)]

    def ee_weights():
        """The E->E weights in the projection's synapse order (multapses of one delay equal)."""
        c = nest.GetConnections(pops["E"], pops["E"], synapse_model="net_stdp")
        got = c.get(["source", "target", "delay", "weight"])
        k = np.c_[
            np.array(got["source"]) - first_e,
            np.array(got["target"]) - first_e,
            np.round(np.array(got["delay"]) / DT),
        ]
        w = np.array(got["weight"], float)
        if len(w) != len(key):
            raise RuntimeError(f"{len(w)} E->E connections in NEST, {len(key)} listed")
        out = np.full(len(key), np.nan)
        ours = {tuple(r): [] for r in key.astype(np.int64).tolist()}
        for idx, r in enumerate(key.astype(np.int64).tolist()):
            ours[tuple(r)].append(idx)
        theirs = {}
        for r, wk in zip(k.astype(np.int64).tolist(), w):
            theirs.setdefault(tuple(r), []).append(wk)
        if set(theirs) != set(ours) or any(len(theirs[g]) != len(ours[g]) for g in ours):
            raise RuntimeError("NEST's E->E (source, target, delay) multiset differs")
        for g, ws in theirs.items():
            if max(ws) != min(ws):
                raise RuntimeError(f"multapses {g} have different weights {ws}")
            out[ours[g]] = ws[0]
        return out

    samples = []
    initial = ee_weights()
    if not np.array_equal(initial, np.array(ee["weight"])):
        raise RuntimeError("NEST's initial E->E weights are not the listed ones")
    t = 0.0
    while t < spec["t_sim"] - 1e-9:
        nest.Simulate(t_sample)
        t += t_sample
        samples.append({"t": t, "weight": ee_weights().tolist()})
    ev = recorder.get("events")
    senders = np.array(ev["senders"], np.int64)
    steps = np.round(np.array(ev["times"]) / DT).astype(np.int64)
    if not np.allclose(steps * DT, ev["times"], rtol=0, atol=1e-9):
        raise RuntimeError("spike times off the grid")
    spikes = {}
    for name in ("E", "I"):
        first, n = pops[name][0].global_id, len(pops[name])
        mine = (senders >= first) & (senders < first + n)
        order = np.lexsort((senders[mine], steps[mine]))
        spikes[name] = {
            "index": (senders[mine][order] - first).tolist(),
            "step": steps[mine][order].tolist(),
        }
    kernel = {
        "resolution": nest.resolution,
        "min_delay": nest.min_delay,
        "max_delay": nest.max_delay,
    }
    return nest.__version__, kernel, spikes, samples


def summarize(spec, spikes, samples, kernel):
    ee = next(p for p in spec["projections"] if p["name"] == "E->E")
    w0, w1 = np.array(ee["weight"]), np.array(samples[-1]["weight"])
    out_deg = np.bincount(ee["sources"], minlength=NE)
    last = int(round((spec["t_sim"] - kernel["min_delay"]) / DT))
    delivered = np.array(spikes["E"]["step"]) <= last
    rel = w1 / w0 - 1.0
    # pairs (pre spike at t, post spike at t - d) of E->E synapses: the post spike reaches
    # the synapse exactly at the pre spike (NEST: no pairing)
    post = {}
    for j, st in zip(spikes["E"]["index"], spikes["E"]["step"]):
        post.setdefault(j, set()).add(st)
    pre = {}
    for i, st in zip(spikes["E"]["index"], spikes["E"]["step"]):
        pre.setdefault(i, []).append(st)
    exact = 0
    for i, j, d in zip(ee["sources"], ee["targets"], ee["delay"]):
        dd = int(round(d / DT))
        exact += sum(1 for st in pre.get(i, ()) if st - dd in post.get(j, ()))
    return {
        "spikes_E": len(spikes["E"]["step"]),
        "spikes_I": len(spikes["I"]["step"]),
        "rate_E_hz": len(spikes["E"]["step"]) / NE / (spec["t_sim"] / 1000.0),
        "rate_I_hz": len(spikes["I"]["step"]) / NI / (spec["t_sim"] / 1000.0),
        "ee_synapses": len(w0),
        "weight_updates": int(out_deg[np.array(spikes["E"]["index"])[delivered]].sum()),
        "pairs_at_minus_delay": exact,
        "weights_up": int((w1 > w0).sum()),
        "weights_down": int((w1 < w0).sum()),
        "relative_change_min": float(rel.min()),
        "relative_change_max": float(rel.max()),
        "mean_weight_initial": float(w0.mean()),
        "mean_weight_final": float(w1.mean()),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out",
        default=os.path.join(
            os.path.dirname(__file__), "..", "tests", "data", "nest_plastic_network.json"
        ),
    )
    ap.add_argument(
        "--t-sim",
        type=float,
        default=T_SIM,
        help="simulated time (ms; the input trains are drawn up to it)",
    )
    ap.add_argument(
        "--t-sample", type=float, default=T_SAMPLE, help="read the E->E weights every this many ms"
    )
    args = ap.parse_args(argv)
    spec = build_spec(args.t_sim)
    version, kernel, spikes, samples = run_nest(spec, args.t_sample)
    summary = summarize(spec, spikes, samples, kernel)
    print(json.dumps(summary), file=sys.stderr)
    if not (summary["weights_up"] and summary["weights_down"]):
        raise RuntimeError("the reference needs weights that rise and weights that fall")
    out = {
        "generator": "scripts/nest_plastic_network.py",
        "nest_version": version,
        **spec,
        "kernel": kernel,
        "spikes": spikes,
        "weights": samples,
        "summary": summary,
    }
    with open(args.out, "w") as fh:
        json.dump(out, fh, separators=(",", ":"))
        fh.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
