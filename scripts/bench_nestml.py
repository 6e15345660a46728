#!/usr/bin/env python3
"""Benchmark: models written in NESTML against distsim's built-in models of the same equations.

    python scripts/bench_nestml.py [--order 2500] [--t-sim 1000] [--pairs delta exp]

Brunel's network A (order 2500: 12,500 neurons, 15.6 M synapses, distsim.examples.brunel's
parameters) with the built-in iaf_psc_delta and with the nestml library's
iaf_psc_delta_neuron ("delta"), and the same network with exponential currents, built-in
iaf_psc_exp against iaf_psc_exp_neuron ("exp", tau_syn 0.5 ms, weights in pA).  Prints one
JSON object: per pair and model ``generate_s`` (NESTML's analysis and the module's text,
models/nestml_codegen.py; the cache is bypassed), ``jit_warmup_s`` (a tiny network of the
model built and run first: numba's compilation, or its cache), ``build_s``, ``rtf`` (wall
seconds per model second), ``mean_rate_hz``, the spike ``digest``, and per pair the ratio of
the NESTML model's RTF to the built-in's and whether their spikes are the same (the
propagators are other expressions of the same numbers: a last-bit difference would make the
chaotic network diverge, and only the rates could be compared).
"""

import argparse
import json
import time

from distsim import FixedIndegree, Network, Simulation
from distsim.models import library_file, load_nestml
from distsim.models.nestml_codegen import generate

# NEST's built-in names -> the nestml library's
RENAME = {"t_ref": "refr_T", "tau_syn_ex": "tau_syn_exc", "tau_syn_in": "tau_syn_inh"}
PAIRS = {
    "delta": ("iaf_psc_delta", "iaf_psc_delta_neuron", {}, 1.0),
    "exp": ("iaf_psc_exp", "iaf_psc_exp_neuron", {"tau_syn_ex": 0.5, "tau_syn_in": 0.5}, 2.0),
}


def network(model, extra, scale, order, nestml, seed=1):
    """Brunel's network A of ``model`` (distsim.examples.brunel's parameters and structure);
    ``scale`` turns its weights (mV for delta synapses) into the model's units."""
    ne, ni = 4 * order, order
    ce, ci = int(0.1 * ne), int(0.1 * ni)
    params = {"C_m": 1.0, "tau_m": 20.0, "t_ref": 2.0, "E_L": 0.0, "V_reset": 10.0, "V_th": 20.0}
    params.update(extra, V_m=0.0)
    if nestml:
        params = {RENAME.get(k, k): v for k, v in params.items()}
    j, g, eta = 0.1, 5.0, 2.0
    rate = 1000.0 * eta * 20.0 / (j * ce * 20.0) * ce
    net = Network(dt=0.1, seed=seed)
    net.add_population("E", model, ne, params)
    net.add_population("I", model, ni, params)
    for target in ("E", "I"):
        net.connect("E", target, FixedIndegree(ce), weight=j * scale, delay=1.5)
        net.connect("I", target, FixedIndegree(ci), weight=-g * j * scale, delay=1.5)
        net.add_poisson_input(target, rate=rate, weight=j * scale, delay=1.5)
    net.record_spikes("E")
    net.record_spikes("I")
    return net


def run(model, extra, scale, order, t_sim, nestml):
    out = {"model": model}
    if nestml:
        t0 = time.perf_counter()
        generate(library_file(model))
        out["generate_s"] = time.perf_counter() - t0
        load_nestml(library_file(model))
    t0 = time.perf_counter()
    Simulation(network(model, extra, scale, 10, nestml)).run(20.0)
    out["jit_warmup_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim = Simulation(network(model, extra, scale, order, nestml))
    out["build_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim.run(t_sim)
    out["rtf"] = (time.perf_counter() - t0) / (t_sim / 1000.0)
    n = 5 * order
    out["mean_rate_hz"] = sim.spike_steps()[0].size / n / (t_sim / 1000.0)
    out["digest"] = sim.digest()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--order", type=int, default=2500)
    ap.add_argument("--t-sim", type=float, default=1000.0)
    ap.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=list(PAIRS))
    a = ap.parse_args()
    result = {"order": a.order, "t_sim_ms": a.t_sim, "pairs": {}}
    for name in a.pairs:
        builtin, nestml, extra, scale = PAIRS[name]
        b = run(builtin, extra, scale, a.order, a.t_sim, False)
        n = run(nestml, extra, scale, a.order, a.t_sim, True)
        result["pairs"][name] = {
            "builtin": b,
            "nestml": n,
            "rtf_ratio": n["rtf"] / b["rtf"],
            "same_spikes": n["digest"] == b["digest"],
        }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
