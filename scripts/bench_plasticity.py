#!/usr/bin/env python3
"""Plastic vs static synaptic events per second: NEST's hpc_benchmark on 2 ranks.

    python scripts/bench_plasticity.py [--ranks 2] [--scale 1] [--t-presim 50]
                                       [--t-sim 100] [--backend collective]
                                       [--balancer balanced]

The default is NEST's full scale (11,250 neurons, 126.6 M synapses): below it the plastic
network runs away (NEST's notes warn of this; at scale 0.3 it reaches 260 Hz against the
static network's 17 Hz), so the two would not be compared at the same activity.

Each configuration runs as its own ``mpiexec -n R`` job (the mpich wheel's mpiexec next to
this Python, as bench_scaling.py), static first:

    static    hpc_benchmark(scale), every synapse static
    plastic   hpc_benchmark(scale, plastic=True): E->E synapses stdp_pl_synapse_hom with
              NEST's parameters (distsim/examples/hpc_benchmark.py)

As NEST's hpc_benchmark script does, each job simulates ``--t-presim`` ms first and times
the following ``--t-sim`` ms only.  Prints one JSON object: per configuration ``build_s``
(slowest rank), ``rtf`` and ``syn_events_per_s`` of the timed part (wall time of the
slowest rank), ``cpu_s`` and ``syn_events_per_cpu_s`` (process CPU time of the busiest
rank: less sensitive to other jobs on a shared machine, whose 1/5/15-minute load averages
at the start and the end are in ``loadavg``), its synaptic events and spikes,
``mean_rate_hz``, and for the plastic run the E->E weights at the end (min, mean, max,
initial), ``peak_rss_bytes`` after the timed run (the largest rank's, and the sum over
ranks: NEST's script reports its one process's); ``ratio`` = static / plastic synaptic events per second (``ratio_cpu`` the same
per CPU second), ``within_target`` = ratio <= 3 (issue 7: plastic within 3x of static).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

CONFIGS = ("static", "plastic")
TARGET_RATIO = 3.0


def worker(config, scale, t_presim, t_sim, backend, balancer):
    import numpy as np

    from distsim import Simulation
    from distsim.examples import hpc_benchmark

    load_start = os.getloadavg()
    net = hpc_benchmark(scale=scale, plastic=config == "plastic")
    initial = next(p.weight for p in net.projections if p.name == "E->E")  # NEST's JE
    sim = Simulation(net, backend=backend, decomposition=balancer)
    ctx = sim.context
    sim.run(t_presim)
    before = sim.summary(digest=False)
    run0, cpu0 = sim.run_seconds, time.process_time()
    sim.run(t_sim)
    cpu = ctx.allreduce(time.process_time() - cpu0, "max")
    after = sim.summary(digest=False)
    wall = ctx.allreduce(sim.run_seconds - run0, "max")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB; before
    rss_max, rss_sum = ctx.allreduce(rss, "max"), ctx.allreduce(rss, "sum")  # connections()
    events = after["synaptic_events"] - before["synaptic_events"]
    spikes = after["spikes"] - before["spikes"]
    weights = None
    if config == "plastic":
        w = sim.connections("E->E")["weight"]
        lo = ctx.allreduce(float(w.min(initial=np.inf)), "min")
        hi = ctx.allreduce(float(w.max(initial=-np.inf)), "max")
        total = ctx.allreduce(float(w.sum()), "sum")
        n = ctx.allreduce(int(w.size), "sum")
        weights = {
            "min": lo,
            "mean": total / n,
            "max": hi,
            "initial": float(getattr(initial, "low", initial)),
        }
    if ctx.rank == 0:
        print(
            json.dumps(
                {
                    "config": config,
                    "neurons": after["neurons"],
                    "synapses": after["synapses"],
                    "build_s": after["build_s"],
                    "t_presim_ms": t_presim,
                    "t_sim_ms": t_sim,
                    "wall_s": wall,
                    "rtf": wall / (t_sim / 1000.0),
                    "synaptic_events": events,
                    "syn_events_per_s": events / wall,
                    "cpu_s": cpu,
                    "syn_events_per_cpu_s": events / cpu,
                    "loadavg": {"start": load_start, "end": os.getloadavg()},
                    "spikes": spikes,
                    "mean_rate_hz": spikes / after["neurons"] / (t_sim / 1000.0),
                    "e_to_e_weights": weights,
                    "peak_rss_bytes": {"max_rank": rss_max, "sum_ranks": rss_sum},
                }
            )
        )
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--t-presim", type=float, default=50.0)
    p.add_argument("--t-sim", type=float, default=100.0)
    p.add_argument("--backend", default="collective")
    p.add_argument(
        "--balancer",
        default="balanced",
        help="how neurons are spread over the ranks (partition/balancers.py); "
        "'balanced' counts a plastic event as PLASTIC_EVENT_NS, so the ranks "
        "share the E neurons' plastic work",
    )
    p.add_argument("--worker", default=None, choices=CONFIGS, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(
            args.worker, args.scale, args.t_presim, args.t_sim, args.backend, args.balancer
        )
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    results = {}
    for config in CONFIGS:
        out = subprocess.run(
            [
                mpiexec,
                "-n",
                str(args.ranks),
                sys.executable,
                __file__,
                "--worker",
                config,
                "--scale",
                repr(args.scale),
                "--t-presim",
                repr(args.t_presim),
                "--t-sim",
                repr(args.t_sim),
                "--backend",
                args.backend,
                "--balancer",
                args.balancer,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        results[config] = json.loads(out.stdout.strip().splitlines()[-1])
    static, plastic = results["static"], results["plastic"]
    ratio = static["syn_events_per_s"] / plastic["syn_events_per_s"]
    print(
        json.dumps(
            {
                "benchmark": "plasticity",
                "model": "hpc_benchmark",
                "ranks": args.ranks,
                "scale": args.scale,
                "backend": args.backend,
                "balancer": args.balancer,
                **results,
                "ratio": ratio,
                "ratio_cpu": (static["syn_events_per_cpu_s"] / plastic["syn_events_per_cpu_s"]),
                "target_ratio": TARGET_RATIO,
                "within_target": ratio <= TARGET_RATIO,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
