#!/usr/bin/env python3
"""Cost of the routed exchange and of the hardware counters relative to a plain run.

    python scripts/bench_hardware.py [--ranks 4] [--order 1000] [--t-sim 500] [--repeats 3]

Brunel (order ``--order``) on ``--ranks`` ranks (``mpiexec`` of the mpich wheel, as
bench_scaling.py), each configuration in its own job and run ``--repeats`` times:

    plain       collective exchange, block balancer
    async       async exchange (point to point, link clocks), block balancer: the
                reference for the routed exchange, which is asynchronous too
    counters    the same with Simulation(hardware_counters=True)
    routed      routed exchange (hop by hop over a 2D grid of ranks), block balancer
    hardware    routed exchange on the mapping's rank grid, hardware balancer (Loihi,
                mesh:2x2), counters, and the
                per-chip counters and energy report computed after the run

Prints one JSON object: per configuration the best run wall time (slowest rank), RTF,
messages and packets forwarded, the time of the per-chip report (hardware only), the
spike digest, and ``overhead`` = wall / plain wall - 1.
"""

import argparse
import json
import os
import subprocess
import sys
import time

CONFIGS = ("plain", "async", "counters", "routed", "hardware")


def worker(config, order, t_sim):
    from distsim import Simulation
    from distsim.comm import default_context
    from distsim.examples.brunel import brunel

    net = brunel(order=order)
    ctx = default_context()
    decomposition, backend, grid = "block", "collective", None
    counters = config in ("counters", "hardware")
    if config in ("async", "routed", "hardware"):
        backend = "routed" if config != "async" else "async"
    if config == "hardware":
        from distsim.comm.routing import fabric_rank_grid
        from distsim.partition import hardware

        decomposition = hardware(net, ctx.size, profile="loihi", fabric="mesh:2x2")
        grid = fabric_rank_grid(decomposition.hardware, ctx.size)
    sim = Simulation(
        net,
        context=ctx,
        decomposition=decomposition,
        backend=backend,
        hardware_counters=counters,
        rank_grid=grid,
    )
    sim.run(t_sim)
    report_s = None
    if config == "hardware":
        from distsim.hardware.counters import chip_counters
        from distsim.hardware.energy import report

        t0 = time.perf_counter()
        c = chip_counters(sim)
        report(c, "loihi")
        report_s = ctx.allreduce(time.perf_counter() - t0, "max")
    s = sim.summary()
    if ctx.rank == 0:
        ranks = s["ranks"]
        print(
            json.dumps(
                {
                    "config": config,
                    "wall_s": s["wall_s"],
                    "rtf": s["rtf"],
                    "messages_sent": sum(r["messages_sent"] for r in ranks),
                    "packets_forwarded": sum(r.get("packets_forwarded", 0) for r in ranks),
                    "report_s": report_s,
                    "digest": s["digest"],
                }
            )
        )


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ranks", type=int, default=4)
    p.add_argument("--order", type=int, default=1000)
    p.add_argument("--t-sim", type=float, default=500.0)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(args.worker, args.order, args.t_sim)
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    results = {}
    for _ in range(args.repeats):
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
                    "--order",
                    str(args.order),
                    "--t-sim",
                    str(args.t_sim),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            run = json.loads(out.stdout.strip().splitlines()[-1])
            best = results.get(config)
            if best is None or run["wall_s"] < best["wall_s"]:
                results[config] = run
    plain = results["plain"]["wall_s"]
    for r in results.values():
        r["overhead"] = r["wall_s"] / plain - 1.0
    print(
        json.dumps(
            {
                "benchmark": "hardware",
                "ranks": args.ranks,
                "order": args.order,
                "t_sim_ms": args.t_sim,
                "repeats": args.repeats,
                "same_digest": len({r["digest"] for r in results.values()}) == 1,
                "configs": results,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
