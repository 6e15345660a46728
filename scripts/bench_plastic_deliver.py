#!/usr/bin/env python3
"""The plastic delivery kernel alone, on the real state of NEST's plastic hpc_benchmark (one
process): where bench_plasticity.py's plastic events go.

    python scripts/bench_plastic_deliver.py [--scale 1] [--t-presim 150] [--rows 300]
                                            [--batches 4]

Builds hpc_benchmark(scale, plastic=True), simulates ``--t-presim`` ms, then delivers
``--batches`` batches of ``--rows`` randomly chosen E source rows (each row once, as a spike
in the current step: a spike of the row's neuron now) through the engine's ``deliver``
and prints one JSON object: per batch the ns per synaptic event (E rows: their E->E
synapses are plastic, E->I static), and for the plastic synapses of the rows delivered the
share with 0, 1, 2, 3 and 4 or more pairings (postsynaptic spikes in (t_last - d, t - d]:
each one is a power-law facilitation, one pow), the share that reads the spike history
instead of the view (kernels/plasticity.py) and the length of the histories (mean, max,
capacity).  The pairings are counted before the batch is delivered.
"""

import argparse
import json
import time

import numpy as np


def pairings(sim, rows):
    """Pairing counts (0 .. 4+) and history-path count of the plastic synapses of ``rows``
    if they spiked now (the conditions of kernels/plasticity.py's ``_stdp_view``, in numpy:
    keep them in step)."""
    from distsim.connectivity import SEG_BASE

    tb = sim.table
    plast = sim.plasticity.arrays
    seg_plastic, pl_state, view = plast.seg_plastic, plast.pl_state, plast.spike_view
    counts, from_history = np.zeros(5, np.int64), 0
    for row in rows:
        for sg in range(tb.seg_ptr[row], tb.seg_ptr[row + 1]):
            p = seg_plastic[sg]
            if p < 0:
                continue
            a, b, d = tb.seg[sg, 0], tb.seg[sg + 1, 0], tb.seg[sg, 2]
            steps = view[tb.syn_target[a:b].astype(np.int64) + tb.seg[sg, SEG_BASE], :4]
            thr, hi = pl_state[p, 2] - d, sim.step - d
            n = ((steps > thr) & (steps <= hi)).sum(1)
            counts += np.bincount(np.minimum(n, 4), minlength=5)
            from_history += int(((steps[:, 3] > thr) | (steps[:, 1] >= hi)).sum())
    return counts, from_history


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--t-presim", type=float, default=150.0)
    ap.add_argument("--rows", type=int, default=300)
    ap.add_argument("--batches", type=int, default=4)
    args = ap.parse_args()

    from distsim import Simulation
    from distsim.examples import hpc_benchmark

    net = hpc_benchmark(scale=args.scale, plastic=True)
    exc = net.populations["E"]
    if args.batches * args.rows + 10 > exc.size:  # checked before the build
        raise SystemExit(
            f"--batches x --rows + 10 = {args.batches * args.rows + 10} rows are "
            f"more than the {exc.size} E neurons; use fewer"
        )
    sim = Simulation(net)
    sim.run(args.t_presim)
    rows_e = sim.syn.local_row[exc.first_gid + np.random.default_rng(1).permutation(exc.size)]

    def go(rows):
        return sim.kernels.deliver(
            rows,
            np.full(rows.size, sim.step, np.int64),
            rows.size,
            sim.step,
            sim.ns,
            sim.dt,
            sim.input.arrays,
            sim.syn,
            sim.plasticity.arrays,
        )[0]

    go(rows_e[:10])  # compiled or loaded from the cache
    ns_per_event, counts, from_history, events = [], np.zeros(5, np.int64), 0, 0
    for k in range(args.batches):
        rows = rows_e[10 + k * args.rows : 10 + (k + 1) * args.rows]
        c, h = pairings(sim, rows)
        counts += c
        from_history += h
        t0 = time.perf_counter()
        ev = go(rows)
        ns_per_event.append((time.perf_counter() - t0) / ev * 1e9)
        events += ev
    hist = sim.plasticity.arrays.hist
    lengths = hist[:, 0, 0]
    plastic = int(counts.sum())
    print(
        json.dumps(
            {
                "benchmark": "plastic_deliver",
                "model": "hpc_benchmark",
                "scale": args.scale,
                "t_presim_ms": args.t_presim,
                "rows_per_batch": args.rows,
                "ns_per_event": [round(x, 2) for x in ns_per_event],
                "events": int(events),
                "plastic_share": plastic / events,
                "pairings_share": {
                    k: round(float(c) / plastic, 4)
                    for k, c in zip(["0", "1", "2", "3", "4+"], counts)
                },
                "pairings_per_plastic_event_4_as_4": round(
                    float((counts * np.arange(5)).sum()) / plastic, 3
                ),
                "history_path_share": round(from_history / plastic, 4),
                "history_length": {
                    "mean": round(float(lengths.mean()), 2),
                    "max": int(lengths.max()),
                    "capacity": hist.shape[1] - 1,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
