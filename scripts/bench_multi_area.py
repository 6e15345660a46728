#!/usr/bin/env python3
"""Multi-area model benchmark (issue 18): the full model (or a part) run by ``distsim run
multi_area`` on N ranks, its spikes written to a run store as it runs; prints one JSON object
(also written to ``--out``).

    python scripts/bench_multi_area.py [--scale 1.0] [--areas V1,V2] [--state ground]
        [--storage procedural] [--ranks 2] [--t-sim 1000] [--discard 200] [--out FILE]

The run is one ``distsim run multi_area --ranks N --out TMP/run.zarr --json`` in a fresh
temporary folder (deleted afterwards unless ``--keep``), its progress lines in ``--log``;
this script samples the resident memory of the whole process tree (launcher and ranks) every
0.2 s.

Keys:
  neurons, synapses, procedural_synapses, ranks, scale, areas, state, t_sim_ms
  build_s, compile_s     building the network on the ranks (slowest rank), compiling kernels
  simulate_s, rtf        simulating (slowest rank), wall s per model s
  wall_s                 the whole command, start to exit (Python start, MPI start included)
  peak_job_bytes         the largest sum of the resident memory of every process of the job
                         seen by the sampler (launcher, ranks)
  peak_rss_per_rank      each rank's ru_maxrss
  synaptic_events, syn_events_per_s (per wall second of simulation, all ranks)
  phases_s, phase_shares the simulation time by phase, mean over ranks (Simulation.
                         phase_seconds: stimuli = Poisson input, update = neuron updates,
                         procedural = regenerating synapses and adding them to the ring or
                         the far queue, far_queue = emptying it into the ring, remote =
                         other ranks' spikes (their regeneration included), exchange = the
                         rest: packing, MPI, waiting)
  rates_hz               per population, spikes in (discard, t_sim] / neurons / seconds
  area_rates_hz          per area, the neuron-weighted mean
  meanfield_hz           the data file's mean-field rate of each population (ground state)
  rate_summary           network mean rate, the mean-field's, and the correlation of the
                         log rates with the mean-field's
  digest, loadavg, started, distsim_version
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil


def _sample_tree(proc, peak, stop):
    """Keep ``peak[0]`` at the largest summed RSS of ``proc`` and its descendants."""
    root = psutil.Process(proc.pid)
    while not stop.is_set():
        try:
            procs = [root, *root.children(recursive=True)]
            rss = 0
            for p in procs:
                try:
                    rss += p.memory_info().rss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], rss)
        except psutil.Error:
            pass
        stop.wait(0.2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--areas", default=None)
    ap.add_argument("--state", default="ground", choices=("ground", "metastable"))
    ap.add_argument("--storage", default="procedural", choices=("procedural", "stored"))
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--t-sim", type=float, default=1000.0)
    ap.add_argument("--discard", type=float, default=200.0, help="ms left out of the rates")
    ap.add_argument("--out", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the run store (its path is kept)")
    ap.add_argument("--log", default=None, help="the run's stderr (progress), default TMP/run.log")
    args = ap.parse_args()

    from distsim import __version__
    from distsim.examples.multi_area import multi_area, reference_rates
    from distsim.store import open_run

    folder = Path(tempfile.mkdtemp(prefix="bench_multi_area_"))
    store = folder / "run.zarr"
    distsim = str(Path(sys.executable).parent / "distsim")
    cmd = [distsim, "run", "multi_area", "--scale", str(args.scale), "--state", args.state]
    cmd += ["--storage", args.storage, "--t-sim", str(args.t_sim), "--ranks", str(args.ranks)]
    cmd += ["--out", str(store), "--json"]
    if args.areas:
        cmd += ["--areas", args.areas]
    load0 = os.getloadavg()
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    t0 = time.perf_counter()
    log = Path(args.log) if args.log else folder / "run.log"
    with open(log, "w") as err_file:  # progress lines every few seconds: tail -f it
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err_file, text=True)
        peak, stop = [0], threading.Event()
        sampler = threading.Thread(target=_sample_tree, args=(proc, peak, stop), daemon=True)
        sampler.start()
        out, _ = proc.communicate()
    err = log.read_text()
    wall = time.perf_counter() - t0
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        print(json.dumps({"error": proc.returncode, "stderr": err[-4000:], "cmd": cmd}))
        return 1
    summary = json.loads(out.strip().splitlines()[-1])

    net = multi_area(args.state, args.scale, args.areas, args.storage, record=False)
    steps, gids = open_run(store).spikes()
    step0 = int(round(args.discard / net.dt))
    keep = steps > step0
    counts = np.bincount(gids[keep], minlength=net.n_neurons)
    seconds = (args.t_sim - args.discard) / 1000.0
    rates, area_rates, area_n = {}, {}, {}
    for name, pop in net.populations.items():
        r = float(counts[pop.first_gid : pop.first_gid + pop.size].sum() / pop.size / seconds)
        rates[name] = round(r, 4)
        area = name.split(".")[0]
        area_rates[area] = area_rates.get(area, 0.0) + r * pop.size
        area_n[area] = area_n.get(area, 0) + pop.size
    area_rates = {a: round(v / area_n[a], 4) for a, v in area_rates.items()}
    ref = reference_rates(args.state) or {}
    meanfield = {name: ref[name] for name in rates if name in ref}
    summary_rates = {"network_mean_hz": round(float(counts.sum() / net.n_neurons / seconds), 4)}
    if meanfield:
        ours = np.array([rates[n] for n in meanfield])
        theirs = np.array([meanfield[n] for n in meanfield])
        sizes = np.array([net.populations[n].size for n in meanfield])
        summary_rates["meanfield_network_mean_hz"] = round(float(theirs @ sizes / sizes.sum()), 4)
        summary_rates["log_rate_correlation"] = round(
            float(np.corrcoef(np.log10(ours + 1e-3), np.log10(theirs + 1e-3))[0, 1]), 4
        )
    phases = summary["phases_s"]
    simulate = summary["simulate_s"]
    result = {
        "benchmark": "multi_area",
        "started": started,
        "distsim_version": __version__,
        "cmd": " ".join(cmd),
        "neurons": summary["neurons"],
        "synapses": summary["synapses"],
        "procedural_synapses": summary["procedural_synapses"],
        "ranks": summary["ranks_total"],
        "scale": args.scale,
        "areas": args.areas or "all",
        "state": args.state,
        "storage": args.storage,
        "t_sim_ms": args.t_sim,
        "build_s": round(summary["build_s"], 2),
        "compile_s": round(summary["compile_s"], 2),
        "simulate_s": round(simulate, 2),
        "rtf": round(summary["rtf"], 2),
        "store_s": round(summary["store_s"], 2),
        "wall_s": round(wall, 2),
        "peak_job_bytes": peak[0],
        "peak_rss_per_rank": [r.get("peak_rss_bytes") for r in summary["ranks"]],
        "synaptic_events": summary["synaptic_events"],
        "syn_events_per_s": round(summary["synaptic_events"] / simulate) if simulate else None,
        "spikes": summary["spikes"],
        "phases_s": {k: round(v, 2) for k, v in phases.items()},
        "phase_shares": {k: round(v / simulate, 4) for k, v in phases.items()} if simulate else {},
        "rate_summary": summary_rates,
        "area_rates_hz": area_rates,
        "rates_hz": rates,
        "meanfield_hz": meanfield,
        "digest": summary["digest"],
        "loadavg": {"start": load0, "end": os.getloadavg()},
    }
    if not math.isfinite(result["rtf"]):
        result["rtf"] = None
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    if args.keep:
        print(f"run store kept: {store}", file=sys.stderr)
    else:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
