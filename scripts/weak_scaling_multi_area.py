#!/usr/bin/env python3
"""Weak scaling of the multi-area model, measured against distsim's own model of it (issue 18,
point 5): the estimate that ``distsim inspect multi_area --ranks N`` prints (memory per rank,
spikes sent and received per rank and step) checked on runs at 1-4 ranks here.

    python scripts/weak_scaling_multi_area.py [--ranks 1 2 4] [--scale-per-rank 0.01]
        [--t-sim 200] [--out FILE]

Each point runs ``distsim run multi_area --scale (scale-per-rank x R) --ranks R`` (procedural
synapses, ground state, a run store in a fresh temporary folder, deleted afterwards): the
neurons per rank stay the same, at full in-degree.  From the run: every rank's peak RSS
(ru_maxrss) and the spikes it sent and received per step (the exchange's counters), and the
per-population rates from the store.  The estimate is ``describe(network, R, "block",
rates=those rates)``: memory_estimate_bytes, spikes_out_per_step, spikes_in_per_step per rank.
Prints a JSON list, one object per R: ranks, scale, neurons, procedural_synapses, rtf, and
per_rank [{rank, neurons, peak_rss_bytes, estimate_bytes, spikes_out_per_step (measured,
estimated), spikes_in_per_step (measured, estimated)}].  Ranks beyond the cores run
oversubscribed (memory and traffic are what is checked, not speed).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np


def point(n_ranks, scale, t_sim, folder):
    from distsim.examples.multi_area import multi_area
    from distsim.inspect import describe
    from distsim.store import open_run

    store = folder / f"run-{n_ranks}.zarr"
    cmd = [str(Path(sys.executable).parent / "distsim"), "run", "multi_area"]
    cmd += ["--scale", repr(scale), "--t-sim", repr(t_sim), "--ranks", str(n_ranks)]
    cmd += ["--out", str(store), "--json", "-q"]
    if n_ranks > (os.cpu_count() or 1):
        cmd.append("--oversubscribe")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr[-3000:]}")
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    net = multi_area(scale=scale, record=False)
    steps, gids = open_run(store).spikes()
    counts = np.bincount(gids, minlength=net.n_neurons)
    rates = {
        name: float(counts[p.first_gid : p.first_gid + p.size].sum() / p.size / (t_sim / 1e3))
        for name, p in net.populations.items()
    }
    estimate = describe(net, n_ranks, "block", rates=rates)["per_rank"]
    n_steps = round(t_sim / net.dt)
    per_rank = []
    for measured, est in zip(summary["ranks"], estimate):
        per_rank.append(
            {
                "rank": measured["rank"],
                "neurons": measured["neurons"],
                "peak_rss_bytes": measured["peak_rss_bytes"],
                "estimate_bytes": round(est["memory_estimate_bytes"]),
                "spikes_out_per_step": [
                    round(measured["spikes_sent"] / n_steps, 2),
                    round(est["spikes_out_per_step"], 2),
                ],
                "spikes_in_per_step": [
                    round(measured["spikes_received"] / n_steps, 2),
                    round(est["spikes_in_per_step"], 2),
                ],
            }
        )
    return {
        "ranks": n_ranks,
        "scale": scale,
        "neurons": summary["neurons"],
        "procedural_synapses": summary["procedural_synapses"],
        "t_sim_ms": t_sim,
        "rtf": round(summary["rtf"], 1),
        "mean_rate_hz": round(float(counts.sum() / net.n_neurons / (t_sim / 1e3)), 3),
        "per_rank": per_rank,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--scale-per-rank", type=float, default=0.01)
    ap.add_argument("--t-sim", type=float, default=200.0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="weak_scaling_"))
    try:
        results = [point(r, args.scale_per_rank * r, args.t_sim, folder) for r in args.ranks]
    finally:
        shutil.rmtree(folder)
    text = json.dumps(results, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
