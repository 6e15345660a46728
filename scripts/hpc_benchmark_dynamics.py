#!/usr/bin/env python3
"""Activity and mean E->E weight over time in NEST's hpc_benchmark network, static or plastic
(distsim/examples/hpc_benchmark.py): distsim's side of the comparison with
``scripts/nest_hpc_benchmark.py --sample-every`` (issue 7).

    python scripts/hpc_benchmark_dynamics.py [--ranks 1] [--scale 1] [--seed 1]
        [--t-presim 50] [--t-sim 500] [--sample-every 50] [--static | --plastic]

With ``--ranks R > 1`` the worker runs as ``mpiexec -n R`` (the mpich wheel's mpiexec next
to this Python).  Every neuron's spikes are recorded; the run is ``--t-presim`` ms followed
by ``--t-sim`` ms in chunks of ``--sample-every`` ms.  Prints one JSON object per
configuration (static first) with

    rate_bins_e_hz, rate_bins_i_hz   mean rate of E and of I in 10 ms bins from 0 to the end
    rate_e_hz, rate_i_hz             mean rates over the timed window (after t_presim)
    rate_last100_e_hz, ...           mean rates over the last 100 ms
    weights                          plastic only: [time ms, mean, min, max] of all E->E
                                     weights at the start and after every chunk
"""

import argparse
import json
import os
import subprocess
import sys
import time

CONFIGS = ("static", "plastic")
BIN_MS = 10.0


def worker(config, scale, seed, t_presim, t_sim, every):
    import numpy as np

    from distsim import Simulation
    from distsim.examples import hpc_benchmark

    net = hpc_benchmark(scale=scale, seed=seed, plastic=config == "plastic")
    sim = Simulation(net)
    ctx = sim.context

    def weight_stats():
        w = (
            sim.plasticity.arrays.syn_pw
        )  # the float64 weights of the plastic (E->E) synapses on this rank
        n = ctx.allreduce(int(w.size), "sum")
        if n == 0:
            return None
        return [
            round(sim.t, 6),
            ctx.allreduce(float(w.sum()), "sum") / n,
            ctx.allreduce(float(w.min(initial=np.inf)), "min"),
            ctx.allreduce(float(w.max(initial=-np.inf)), "max"),
        ]

    weights = [weight_stats()]
    t0 = time.perf_counter()
    sim.run(t_presim)
    while sim.t < t_presim + t_sim - 1e-9:
        chunk = min(every, t_presim + t_sim - sim.t)
        sim.run(chunk)
        weights.append(weight_stats())
        if ctx.rank == 0:
            tt, _ = sim.spikes()
            recent = int(np.count_nonzero(tt > sim.t - chunk + 1e-9))
            print(
                f"t {sim.t:.0f} ms: rank 0 spikes in the last {chunk:g} ms {recent}, "
                f"E->E weights {weights[-1]}, wall {time.perf_counter() - t0:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    wall = ctx.allreduce(time.perf_counter() - t0, "max")
    t, gids = sim.spikes()
    e, i = net.populations["E"], net.populations["I"]
    edges = np.arange(0.0, t_presim + t_sim + 1e-9, BIN_MS)
    out = {}
    for name, pop in (("e", e), ("i", i)):
        mine = (gids >= pop.first_gid) & (gids < pop.first_gid + pop.size)
        counts = ctx.allreduce(np.histogram(t[mine] - 1e-9, edges)[0], "sum")
        rates = counts / pop.size / (BIN_MS / 1000.0)
        out[f"rate_bins_{name}_hz"] = [round(float(r), 3) for r in rates]
        lo = int(round(t_presim / BIN_MS))
        out[f"rate_{name}_hz"] = float(rates[lo:].mean())
        out[f"rate_last100_{name}_hz"] = float(rates[-int(round(100 / BIN_MS)) :].mean())
    if ctx.rank == 0:
        print(
            json.dumps(
                {
                    "config": config,
                    "scale": scale,
                    "seed": seed,
                    "ranks": ctx.size,
                    "t_presim_ms": t_presim,
                    "t_sim_ms": t_sim,
                    "wall_s": wall,
                    **out,
                    "weights": weights if config == "plastic" else None,
                }
            )
        )
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ranks", type=int, default=1)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--t-presim", type=float, default=50.0)
    p.add_argument("--t-sim", type=float, default=500.0)
    p.add_argument("--sample-every", type=float, default=50.0)
    p.add_argument("--static", action="store_true", help="static configuration only")
    p.add_argument("--plastic", action="store_true", help="plastic configuration only")
    p.add_argument("--worker", default=None, choices=CONFIGS, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(
            args.worker, args.scale, args.seed, args.t_presim, args.t_sim, args.sample_every
        )
    configs = [c for c in CONFIGS if getattr(args, c)] or list(CONFIGS)
    cmd = [sys.executable, os.path.abspath(__file__)]
    if args.ranks > 1:
        cmd = [
            os.path.join(os.path.dirname(sys.executable), "mpiexec"),
            "-n",
            str(args.ranks),
        ] + cmd
    for config in configs:
        out = subprocess.run(
            cmd
            + [
                "--worker",
                config,
                "--scale",
                repr(args.scale),
                "--seed",
                str(args.seed),
                "--t-presim",
                repr(args.t_presim),
                "--t-sim",
                repr(args.t_sim),
                "--sample-every",
                repr(args.sample_every),
            ],
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        print(out.stdout.strip().splitlines()[-1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
