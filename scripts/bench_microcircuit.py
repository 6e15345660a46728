#!/usr/bin/env python3
"""Potjans & Diesmann (2014) microcircuit benchmark: build, 100 ms warm-up, 1 s measured.

    python scripts/bench_microcircuit.py [--scale 1.0] [--ranks 1 2] [--backends collective]
                                         [--timeout 3600] [--no-profile] [--out FILE]

The network is ``distsim.examples.microcircuit(scale, poisson_input=False)`` (DC drive).
Each configuration (ranks x backend) runs as its own ``mpiexec -n N python
bench_microcircuit.py --worker SCALE BACKEND`` (the mpich wheel's mpiexec next to this
Python); rank 0 of the worker prints one JSON line, the driver collects them and prints a
JSON list (also written to ``--out``).  A run that fails (non-zero exit, e.g. killed when
memory runs out, or over ``--timeout`` seconds) gives an object with ``error`` (and the last
lines of its stderr, where the worker logs its phases with their RSS) instead.

Keys of a run:
  scale, ranks, backend, neurons, synapses, t_warmup_ms (100), t_sim_ms (1000),
  build_s            Simulation(...) construction, slowest rank (Simulation.build_seconds)
  network_s          microcircuit(...) (the network description), slowest rank
  rtf                wall s per model s of the measured second, slowest rank
  warmup_rtf         the same for the warm-up (includes nothing else)
  syn_events_per_s   synaptic events of the measured second (all ranks) / its wall time
  syn_events_measured, synaptic_events_total (warm-up included), spikes_measured
  peak_rss_bytes     sum over ranks of ru_maxrss (getrusage(RUSAGE_SELF)) at the end
  peak_rss_per_rank  the per-rank values
  rates_hz           mean rate of each population over the measured second (all neurons)
  mem                per rank: RSS (VmRSS) and peak (VmHWM) after import, network, build,
                     warm-up and run; synapse-table bytes (SynapseTable.nbytes), its
                     arrays, bytes per local synapse, ring/current buffer bytes
  build_phases       per rank: wall time and VmHWM after each build phase (instrumented
                     by wrapping distsim functions in this process; ``--no-profile`` off)
  digest             spike digest of the whole run (Simulation.summary)
  loadavg            the machine's 1/5/15-minute load averages at the start and the end
                     (other jobs on a shared machine slow the run down)
  nest_reference, rate_ratio_to_nest   (only at scale 1) NEST 3.10 figures of
                     /work/shared/reference/baseline.md and distsim rate / NEST rate
"""

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

T_WARMUP_MS = 100.0
T_SIM_MS = 1000.0

NEST_REFERENCE = {
    "source": "/work/shared/reference/baseline.md (NEST 3.10.0, full scale, DC drive, "
    "100 ms warm-up + 1000 ms, seed 55)",
    "threads": 4,
    "cores": 2,
    "build_s": [108.0, 116.0],
    "rtf": [73.8, 77.5],
    "peak_rss_bytes": 14.8e9,
    "syn_events_per_s": 12.8e6,
    "rates_hz": {
        "L23E": 0.95,
        "L23I": 3.03,
        "L4E": 4.19,
        "L4I": 5.71,
        "L5E": 8.13,
        "L5I": 8.47,
        "L6E": 1.11,
        "L6I": 7.67,
    },
}


# ---------------------------------------------------------------------- worker
def _proc_status():
    """Current RSS and peak RSS (VmHWM) of this process, bytes."""
    out = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, val = line.split(":")
                    out[key] = int(val.split()[0]) * 1024
    except OSError:
        pass
    return {"rss": out.get("VmRSS"), "hwm": out.get("VmHWM")}


def _maxrss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _log(rank, msg):
    st = _proc_status()
    gb = (st["rss"] or 0) / 1e9
    sys.stderr.write(
        f"[bench_microcircuit rank {rank} {time.strftime('%H:%M:%S')}] {msg} "
        f"(rss {gb:.2f} GB, hwm {(st['hwm'] or 0) / 1e9:.2f} GB)\n"
    )
    sys.stderr.flush()


def _instrument_build(phases, rank):
    """Wrap the build's phases (in this process only) to time them and sample the peak RSS."""
    import distsim.comm.routing as routing
    import distsim.connectivity as conn
    import distsim.simulation.core as core
    from distsim.comm import exchange

    def wrap(owner, name, label, log=False):
        fn = getattr(owner, name)

        def wrapped(*a, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                dt = time.perf_counter() - t0
                p = phases.setdefault(label, {"s": 0.0, "calls": 0})
                p["s"] += dt
                p["calls"] += 1
                st = _proc_status()
                p["rss_after"], p["hwm_after"] = st["rss"], st["hwm"]
                if log:
                    _log(rank, f"build phase {label} done in {dt:.1f} s")

        wrapped.__wrapped__ = fn
        setattr(owner, name, wrapped)

    wrap(core, "NeuronGroups", "neurons", log=True)
    wrap(core, "build_synapse_table", "synapse_table", log=True)
    wrap(conn, "_count", "synapse_table.count")
    wrap(conn, "_layout", "synapse_table.layout")
    wrap(conn, "_place", "synapse_table.place")
    wrap(core, "build_stimuli", "stimuli")
    wrap(core, "Recorders", "recording")
    wrap(routing, "build_routing", "routing", log=True)
    wrap(routing, "row_delay_bounds", "row_delay_bounds")
    wrap(exchange, "make_exchange", "exchange")


def worker(scale, backend, profile):
    import numpy as np

    mem = {"after_import": None}
    phases = {}
    load_start = os.getloadavg()
    rank_env = int(os.environ.get("PMI_RANK", os.environ.get("OMPI_COMM_WORLD_RANK", "0")))
    if profile:
        _instrument_build(phases, rank_env)
    from distsim import Simulation
    from distsim.examples import microcircuit
    from distsim.kernels.engine import C_EVENTS, C_SPIKES

    mem["after_import"] = _proc_status()
    t0 = time.perf_counter()
    net = microcircuit(scale=scale, poisson_input=False)
    network_s = time.perf_counter() - t0
    mem["after_network"] = _proc_status()
    _log(rank_env, f"network described in {network_s:.1f} s: {net.n_neurons} neurons; building")

    sim = Simulation(net, backend=backend)
    ctx = sim.context
    rank = ctx.rank
    mem["after_build"] = _proc_status()
    tb = sim.table
    n_syn_local = tb.n_synapses
    table_arrays = {
        k: int(getattr(tb, k).nbytes)
        for k in ("row_gid", "seg_ptr", "seg", "seg_proj", "syn_target", "syn_weight", "syn_delay")
    }
    table_info = {
        "synapses_local": n_syn_local,
        "table_nbytes": int(tb.nbytes),
        "table_bytes_per_synapse": tb.nbytes / n_syn_local if n_syn_local else None,
        "table_arrays": table_arrays,
        "dtypes": {
            "syn_target": str(tb.syn_target.dtype),
            "syn_weight": str(tb.syn_weight.dtype),
            "syn_delay": str(tb.syn_delay.dtype),
        },
        "rows": int(tb.row_gid.size),
        "segments": int(tb.seg.shape[0] - 1),
        "ring_nbytes": int(sim.input.arrays.ring.nbytes),
        "cur_nbytes": int(sim.input.arrays.cur.nbytes),
        "ring_slots": int(sim.input.arrays.ring.shape[0]),
        "n_local": int(sim.n_local),
    }
    _log(
        rank,
        f"built in {sim.build_seconds:.1f} s; {n_syn_local} local synapses, table "
        f"{tb.nbytes / 1e9:.2f} GB; warm-up {T_WARMUP_MS} ms",
    )

    def timed_run(t_ms, phase):
        """Run t_ms; (wall s, events, spikes) at the end, memory recorded as ``phase``."""
        t0 = time.perf_counter()
        sim.run(t_ms)
        wall = time.perf_counter() - t0
        mem[phase] = _proc_status()
        return wall, int(sim.counters[C_EVENTS]), int(sim.counters[C_SPIKES])

    warm_wall, ev0, sp0 = timed_run(T_WARMUP_MS, "after_warmup")
    _log(rank, f"warm-up done in {warm_wall:.1f} s; measuring {T_SIM_MS} ms")
    wall, ev1, sp1 = timed_run(T_SIM_MS, "after_run")
    _log(rank, f"measured second done in {wall:.1f} s")

    s = sim.summary()  # collective (also computes the digest)

    # rates over the measured second: spikes with step > warm-up steps, per population
    warm_steps = int(round(T_WARMUP_MS / net.dt))
    steps, gids = sim.spike_steps()
    pops = [p for p in net.populations.values() if not p.model.is_source_only]
    firsts = np.array([p.first_gid for p in pops], np.int64)
    sizes = np.array([p.size for p in pops], np.int64)
    g = gids[steps > warm_steps]
    idx = np.searchsorted(firsts, g, side="right") - 1
    ok = (idx >= 0) & (g < firsts[np.maximum(idx, 0)] + sizes[np.maximum(idx, 0)])
    counts = np.bincount(idx[ok], minlength=len(pops)).astype(np.int64)
    counts = ctx.allreduce(counts, "sum")

    wall_max = ctx.allreduce(wall, "max")
    warm_max = ctx.allreduce(warm_wall, "max")
    network_max = ctx.allreduce(network_s, "max")
    ev_measured = ctx.allreduce(ev1 - ev0, "sum")
    sp_measured = ctx.allreduce(sp1 - sp0, "sum")
    peak = _maxrss_bytes()
    per_rank = ctx.gather(
        {
            "rank": rank,
            "peak_rss_bytes": peak,
            "mem": mem,
            "table": table_info,
            "build_phases": phases,
            "build_s": sim.build_seconds,
            "warmup_wall_s": warm_wall,
            "run_wall_s": wall,
        }
    )
    if rank != 0:
        return 0
    per_rank.sort(key=lambda r: r["rank"])
    rates = {p.name: float(c) / p.size / (T_SIM_MS / 1000.0) for p, c in zip(pops, counts)}
    result = {
        "scale": scale,
        "ranks": ctx.size,
        "backend": backend,
        "neurons": s["neurons"],
        "synapses": s["synapses"],
        "t_warmup_ms": T_WARMUP_MS,
        "t_sim_ms": T_SIM_MS,
        "build_s": s["build_s"],
        "network_s": network_max,
        "rtf": wall_max / (T_SIM_MS / 1000.0),
        "warmup_rtf": warm_max / (T_WARMUP_MS / 1000.0),
        "syn_events_per_s": ev_measured / wall_max if wall_max else None,
        "syn_events_measured": int(ev_measured),
        "synaptic_events_total": s["synaptic_events"],
        "spikes_measured": int(sp_measured),
        "spikes_total": s["spikes"],
        "peak_rss_bytes": int(sum(r["peak_rss_bytes"] for r in per_rank)),
        "peak_rss_per_rank": [int(r["peak_rss_bytes"]) for r in per_rank],
        "rates_hz": rates,
        "mean_rate_hz": float(counts.sum()) / float(sizes.sum()) / (T_SIM_MS / 1000.0),
        "per_rank": per_rank,
        "exchange": [
            {k: v for k, v in r.items() if k not in ("neurons", "synapses")} for r in s["ranks"]
        ],
        "digest": s["digest"],
        "loadavg": {"start": load_start, "end": os.getloadavg()},
    }
    if scale == 1.0:
        result["nest_reference"] = NEST_REFERENCE
        result["rate_ratio_to_nest"] = {
            k: (rates[k] / v if v else None) for k, v in NEST_REFERENCE["rates_hz"].items()
        }
    print(json.dumps(result), flush=True)
    return 0


# ---------------------------------------------------------------------- driver
def _run_one(mpiexec, n, scale, backend, timeout, profile):
    cmd = [
        mpiexec,
        "-n",
        str(n),
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        repr(scale),
        backend,
    ]
    if not profile:
        cmd.append("--no-profile")
    base = {
        "scale": scale,
        "ranks": n,
        "backend": backend,
        "t_warmup_ms": T_WARMUP_MS,
        "t_sim_ms": T_SIM_MS,
    }
    t0 = time.perf_counter()
    # own session: on timeout the whole job (mpiexec and its ranks) is ended by its group id
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        return {
            **base,
            "error": f"timeout after {timeout} s",
            "elapsed_s": time.perf_counter() - t0,
            "stderr_tail": err[-4000:],
        }
    sys.stderr.write(err)
    elapsed = time.perf_counter() - t0
    lines = [l for l in out.strip().splitlines() if l.startswith("{")]
    if proc.returncode == 0 and lines:
        try:
            return {**json.loads(lines[-1]), "elapsed_s": elapsed}
        except json.JSONDecodeError as exc:
            return {
                **base,
                "error": f"bad JSON from worker: {exc}",
                "stdout_tail": out[-2000:],
                "stderr_tail": err[-4000:],
                "elapsed_s": elapsed,
            }
    rc = proc.returncode
    text = f"worker failed with exit code {rc}"
    if rc in (-9, 137) or "signal 9" in err or "Killed" in err or "KILLED" in err:
        text += " (killed, SIGKILL: most likely out of memory)"
    elif "MemoryError" in err:
        text += " (MemoryError: out of memory)"
    elif rc == 0:
        text = "worker printed no JSON"
    return {
        **base,
        "error": text,
        "returncode": rc,
        "elapsed_s": elapsed,
        "stdout_tail": out[-2000:],
        "stderr_tail": err[-4000:],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--backends", nargs="+", default=["collective"])
    ap.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        help="seconds per run before it is ended and reported as an error",
    )
    ap.add_argument("--no-profile", action="store_true", help="do not instrument the build phases")
    ap.add_argument("--out", default=None, help="also write the JSON list to this file")
    ap.add_argument("--worker", nargs=2, metavar=("SCALE", "BACKEND"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(float(args.worker[0]), args.worker[1], not args.no_profile)
    mpiexec = str(Path(sys.executable).parent / "mpiexec")
    results = []
    for backend in args.backends:
        for n in args.ranks:
            r = _run_one(mpiexec, n, args.scale, backend, args.timeout, not args.no_profile)
            results.append(r)
            brief = {
                k: r.get(k)
                for k in ("scale", "ranks", "backend", "build_s", "rtf", "peak_rss_bytes", "error")
            }
            print(json.dumps(brief), file=sys.stderr, flush=True)
            if args.out:  # keep what we have so far
                Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    text = json.dumps(results, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
