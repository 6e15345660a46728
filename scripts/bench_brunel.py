#!/usr/bin/env python3
"""Benchmark: Brunel (2000) model A, order 2500 (12,500 neurons, 15.6 M synapses), 1 s.

    python scripts/bench_brunel.py [--seeds 1 2 3] [--t-sim 1000] [--order 2500]
                                   [--nest-python /path/to/python/with/nest]

Prints one JSON object.  For the first seed: ``build_s`` (network construction, numba
compilation excluded: a tiny network is built and run first, its time is ``jit_warmup_s``),
``rtf`` (wall seconds per model second of ``Simulation.run``), ``syn_events_per_s``
(recurrent synaptic events delivered per wall second; Poisson input not counted, as in
NEST's figure), ``peak_rss_bytes`` (the process's maximum resident set after the run),
``bytes_per_synapse`` (synapse table bytes / synapses), ``mean_rate_hz`` (all neurons).
``runs`` has the figures of every seed.  With ``--nest-python``, scripts/nest_brunel.py
runs NEST 3.10 (2 threads) on the same parameters and seeds right after, in the same
benchmark run, and ``nest`` / ``ratio`` compare the two (machines here are noisy: only
ratios from one run are meaningful).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from distsim import Simulation
from distsim.examples import brunel


def run_one(order, seed, t_sim):
    sim = Simulation(brunel(order=order, seed=seed))
    sim.run(t_sim)
    s = sim.summary()
    return {
        "seed": seed,
        "build_s": s["build_s"],
        "rtf": s["rtf"],
        "syn_events_per_s": s["synaptic_events"] / s["wall_s"],
        "mean_rate_hz": s["mean_rate_hz"],
        "spikes": s["spikes"],
        "synapses": s["synapses"],
        "bytes_per_synapse": sim.table.nbytes / s["synapses"],
        "digest": s["digest"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--order", type=int, default=2500)
    ap.add_argument("--t-sim", type=float, default=1000.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument(
        "--nest-python", default=None, help="a Python interpreter with nest-simulator installed"
    )
    args = ap.parse_args()

    t0 = time.perf_counter()
    warm = Simulation(brunel(order=20, seed=1))
    warm.run(10.0)
    jit = time.perf_counter() - t0

    runs = [run_one(args.order, seed, args.t_sim) for seed in args.seeds]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    first = runs[0]
    out = {
        "benchmark": "brunel",
        "order": args.order,
        "t_sim_ms": args.t_sim,
        "threads": 1,
        "jit_warmup_s": jit,
        **{
            k: first[k]
            for k in (
                "build_s",
                "rtf",
                "syn_events_per_s",
                "bytes_per_synapse",
                "mean_rate_hz",
                "synapses",
                "digest",
            )
        },
        "peak_rss_bytes": peak,
        "mean_rate_hz_over_seeds": float(np.mean([r["mean_rate_hz"] for r in runs])),
        "runs": runs,
    }
    if args.nest_python:
        script = Path(__file__).with_name("nest_brunel.py")
        cmd = [
            args.nest_python,
            str(script),
            "--threads",
            "2",
            "--t-sim",
            str(args.t_sim),
            "--seeds",
            *map(str, args.seeds),
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        nest = json.loads(res.stdout.strip().splitlines()[-1])
        n0 = nest["runs"][0]
        nest_rate = float(np.mean([r["mean_rate_hz"] for r in nest["runs"]]))
        out["nest"] = {
            "threads": 2,
            "build_s": n0["build_s"],
            "rtf": n0["rtf"],
            "syn_events_per_s": n0["syn_events_per_s"],
            "peak_rss_bytes": n0["peak_rss_bytes"],
            "mean_rate_hz_over_seeds": nest_rate,
            "runs": nest["runs"],
        }
        out["ratio"] = {
            "rtf_nest_over_distsim": n0["rtf"] / first["rtf"],
            "syn_events_per_s_distsim_over_nest": first["syn_events_per_s"]
            / n0["syn_events_per_s"],
            "build_s_nest_over_distsim": n0["build_s"] / first["build_s"],
            "peak_rss_nest_over_distsim": n0["peak_rss_bytes"] / peak,
            "mean_rate_relative_difference": out["mean_rate_hz_over_seeds"] / nest_rate - 1.0,
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    sys.exit(main())
