#!/usr/bin/env python3
"""Memory estimate (distsim inspect, distsim/memory.py) against the measured peak per rank.

    python scripts/check_memory_estimate.py [--cases NAME ...] [--full] [--store]
                                            [--t-sim MS] [--out FILE]

Each case (model, size, ranks) runs as its own ``mpiexec -n R python
check_memory_estimate.py --worker ...`` (the mpich wheel's mpiexec next to this Python):
every rank builds the example as ``distsim run`` does (runner.build_network), the
Simulation (block balancer, with a run store in a temporary directory when ``--store``)
and runs ``--t-sim`` ms (default 10); then each rank's peak RSS (ru_maxrss) is gathered
and compared with the estimate ``describe(network, R, "block", store=...)``.  Cases run
one after the other, never two at once.  Prints a JSON list, one object per case:

    case, model, options, ranks, store, synapses,
    per_rank: [{rank, estimate_bytes, measured_peak_bytes, ratio (measured / estimate),
                estimate_parts_bytes}],
    worst_ratio_error   max over ranks of |ratio - 1|

Cases: brunel (order 2500), microcircuit at scale 0.1 and 0.3 (DC background, as
bench_microcircuit.py), hpc_benchmark (scale 1, static and plastic), each on 1 and 2 ranks;
``--full`` adds the full-scale microcircuit on 1 and 2 ranks (about 3 GB and 1.5 GB per
rank, a few minutes).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

# options as distsim run passes them to runner.build_network (the examples' keywords)
CASES = {
    "brunel": ("brunel", {"order": 2500}),
    "microcircuit_0.1": ("microcircuit", {"scale": 0.1, "poisson_input": False}),
    "microcircuit_0.3": ("microcircuit", {"scale": 0.3, "poisson_input": False}),
    "hpc_benchmark": ("hpc_benchmark", {"scale": 1.0}),
    "hpc_benchmark_plastic": ("hpc_benchmark", {"scale": 1.0, "plastic": True}),
}
FULL = {"microcircuit_1.0": ("microcircuit", {"scale": 1.0, "poisson_input": False})}


def worker(model, options, t_sim, store):
    from distsim import Simulation
    from distsim.inspect import describe
    from distsim.runner import build_network

    net = build_network(model, options, None, None)
    with tempfile.TemporaryDirectory() as tmp:
        sim = Simulation(net, store=os.path.join(tmp, "run.zarr") if store else None)
        sim.run(t_sim)
        ctx = sim.context
        peaks = ctx.gather(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
        synapses = ctx.allreduce(sim.table.n_synapses, "sum")
        if ctx.rank != 0:
            return 0
    est = describe(net, ctx.size, "block", store=store)["per_rank"]
    rows = [
        {
            "rank": r,
            "estimate_bytes": e["memory_estimate_bytes"],
            "measured_peak_bytes": peak,
            "ratio": peak / e["memory_estimate_bytes"],
            "estimate_parts_bytes": e["memory_parts_bytes"],
        }
        for r, (e, peak) in enumerate(zip(est, peaks))
    ]
    print(
        json.dumps(
            {
                "synapses": synapses,
                "per_rank": rows,
                "worst_ratio_error": max(abs(x["ratio"] - 1.0) for x in rows),
            }
        ),
        flush=True,
    )
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--cases", nargs="+", default=None, help=f"cases to run (default all of {', '.join(CASES)})"
    )
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--full", action="store_true", help="add the full-scale microcircuit")
    ap.add_argument("--store", action="store_true", help="runs write a run store")
    ap.add_argument("--t-sim", type=float, default=10.0)
    ap.add_argument("--out", default=None, help="also write the JSON list to this file")
    ap.add_argument("--worker", nargs=2, metavar=("MODEL", "OPTIONS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker[0], json.loads(args.worker[1]), args.t_sim, args.store)
    cases = {**CASES, **(FULL if args.full else {})}
    names = args.cases or list(cases)
    unknown = sorted(set(names) - set(CASES) - set(FULL))
    if unknown:
        ap.error(f"unknown case {unknown[0]!r}; cases: {', '.join([*CASES, *FULL])}")
    mpiexec = str(Path(sys.executable).parent / "mpiexec")
    results = []
    for name in names:
        model, options = {**CASES, **FULL}[name]
        for n in args.ranks:
            cmd = [
                mpiexec,
                "-n",
                str(n),
                sys.executable,
                os.path.abspath(__file__),
                "--worker",
                model,
                json.dumps(options),
                "--t-sim",
                repr(args.t_sim),
            ]
            if args.store:
                cmd.append("--store")
            proc = subprocess.run(cmd, capture_output=True, text=True)
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
            base = {
                "case": name,
                "model": model,
                "options": options,
                "ranks": n,
                "store": args.store,
            }
            if proc.returncode or not lines:
                results.append(
                    {
                        **base,
                        "error": f"exit code {proc.returncode}",
                        "stderr_tail": proc.stderr[-3000:],
                    }
                )
            else:
                results.append({**base, **json.loads(lines[-1])})
            r = results[-1]
            print(
                json.dumps({k: r.get(k) for k in ("case", "ranks", "worst_ratio_error", "error")}),
                file=sys.stderr,
                flush=True,
            )
    text = json.dumps(results, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
