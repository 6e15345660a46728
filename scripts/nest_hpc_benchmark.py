#!/usr/bin/env python3
"""NEST's hpc_benchmark network in NEST itself: static vs plastic synaptic events per second,
the reference for scripts/bench_plasticity.py.

Run with the separate NEST virtualenv (NEST is *not* a distsim dependency)::

    /work/nestenv/bin/python scripts/nest_hpc_benchmark.py [--scale 1] [--threads 2] \
        [--t-presim 50] [--t-sim 100] [--static | --plastic] [--out FILE]

The network is distsim/examples/hpc_benchmark.py, built here with NEST's own calls (the
parameters are repeated below, since distsim is not importable from NEST's environment):
NE = int(9000 scale), NI = int(2250 scale) iaf_psc_alpha neurons (E_L 0, C_m 250 pF,
tau_m 10 ms, t_ref 0.5 ms, V_th 20 mV, V_reset 0, tau_syn_ex = tau_syn_in = 0.3258 ms,
tau_minus 30 ms), V_m drawn from N(5.7, 7.2) mV per neuron (nest.random.normal); fixed
in-degrees CE = 9000 and CI = 2250 at every scale from E and from I into both populations,
autapses off, multapses on; every delay 1.5 ms; JE = 0.14 mV converted to a PSC amplitude
(pA) for an alpha synapse, inhibitory weight -5 JE; one poisson_generator of rate
nu_th * eta * CE * 1000 Hz (eta 1.685, nu_th = V_th / (CE tau_m / C_m JE e tau_syn))
connected all-to-all with weight JE (NEST draws an independent train for every target);
resolution 0.1 ms.  There is no DC input (distsim's example has none either).

    static    every synapse static_synapse_hpc
    plastic   E->E synapses stdp_pl_synapse_hom_hpc with alpha 0.0513, lambda 0.1, mu 0.4,
              tau_plus 15 ms, initial weight JE (all other synapses static_synapse_hpc)

The "_hpc" variants are the models NEST's hpc_benchmark uses (same dynamics as
static_synapse / stdp_pl_synapse_hom, a smaller target index); ``--no-hpc-models`` uses
the plain ones.

Each configuration runs in its own subprocess of this script (a fresh kernel, its own peak
memory and timings), static first.  As NEST's hpc_benchmark does, a worker simulates
``--t-presim`` ms first and times the following ``--t-sim`` ms only.  Per configuration:

    build_s            wall time of Create + Connect (NEST finishes its connection tables in
                       the first Simulate, which is in presim_s)
    presim_s, sim_s    wall time of the two nest.Simulate calls; rtf = sim_s / (t_sim / 1 s)
    spikes, mean_rate_hz, rate_e_hz, rate_i_hz
                       one spike_recorder on every neuron, recording only after t_presim,
                       so the spikes of the timed window (no sampling, no scaling)
    synaptic_events    sum over the timed window's spikes of the sender's exact number of
                       outgoing recurrent synapses.  Out-degrees are counted with
                       nest.GetConnections after the timed run: the neurons that spiked are
                       grouped by their spike count k (in chunks of --count-chunk neurons) and
                       events = sum_k k * (len(GetConnections(source=group)) - |group|), the
                       |group| being each neuron's one connection to the spike_recorder.
                       Poisson input events are not included (as in distsim's count).
                       ``synaptic_events_mean_outdegree`` is the same count with every
                       neuron's out-degree replaced by the mean (recurrent synapses / N),
                       for comparison.
    syn_events_per_s   synaptic_events / sim_s; syn_events_per_cpu_s the same per second of
                       this process's CPU time during the timed Simulate (cpu_s, all threads;
                       less sensitive to other jobs on a shared machine, whose 1/5/15-minute
                       load averages before and after the timed run are in ``loadavg``)
    rate_bins_hz       the mean rate in 10 ms bins of the timed window; rate_bins_e_hz and
                       rate_bins_i_hz the same per population (bins (a, b], as
                       scripts/hpc_benchmark_dynamics.py)
    peak_rss_bytes     the process's ru_maxrss right after the timed Simulate (before the
                       out-degree counting); rss_after_build_bytes likewise after Connect
    e_to_e_weights     plastic only: min / mean / max of the E->E weights at the end over the
                       outgoing E->E synapses of --weight-sources randomly chosen E neurons
                       (reading a weight from NEST costs ~5 us, so all 81 M at scale 1 would
                       take minutes; 0 reads every E->E synapse), with the number of synapses
                       read and the initial weight JE
    weight_samples     with ``--sample-every MS`` (plastic only): the timed Simulate is split
                       into chunks of MS ms and after each (and before the first) the E->E
                       weights of the same sources are read: [time ms, mean, min, max] each
                       (sim_s sums the chunks' Simulate calls only)

``--no-events`` skips the out-degree counting (synaptic_events is then null).

One JSON object is printed as the last line of stdout: both configurations and ``ratio`` =
static syn_events_per_s / plastic syn_events_per_s (``ratio_cpu`` the same per CPU second).
"""

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

import nest_seeds

CONFIGS = ("static", "plastic")

TAU_SYN = 0.32582722403722841
NEURON = {
    "E_L": 0.0,
    "C_m": 250.0,
    "tau_m": 10.0,
    "t_ref": 0.5,
    "V_th": 20.0,
    "V_reset": 0.0,
    "tau_syn_ex": TAU_SYN,
    "tau_syn_in": TAU_SYN,
    "tau_minus": 30.0,
}
STDP = {"alpha": 0.0513, "lambda": 0.1, "mu": 0.4, "tau_plus": 15.0}
JE_MV, G, ETA, DELAY, DT = 0.14, -5.0, 1.685, 1.5, 0.1
V0_MEAN, V0_STD = 5.7, 7.2
CE, CI = 9000, 2250
RATE_BIN_MS = 10.0


def _w_minus1(x):
    """Lambert W, branch -1, for -1/e <= x < 0 (Newton-Halley iteration)."""
    w = math.log(-x) - math.log(-math.log(-x))
    for _ in range(60):
        e = math.exp(w)
        f = w * e - x
        dw = f / (e * (w + 1.0) - (w + 2.0) * f / (2.0 * w + 2.0))
        w -= dw
        if abs(dw) <= 1e-15 * abs(w):
            break
    return w


def je_pa():
    """PSC amplitude (pA) of an alpha synapse whose PSP (neuron at rest) peaks at JE_MV."""
    tau_m, c_m = NEURON["tau_m"], NEURON["C_m"]
    a = tau_m / TAU_SYN
    b = 1.0 / TAU_SYN - 1.0 / tau_m
    t_peak = (-_w_minus1(-math.exp(-1.0 / a) / a) - 1.0 / a) / b
    v_peak = (
        math.e
        / (TAU_SYN * c_m * b)
        * (
            (math.exp(-t_peak / tau_m) - math.exp(-t_peak / TAU_SYN)) / b
            - t_peak * math.exp(-t_peak / TAU_SYN)
        )
    )
    return JE_MV / v_peak


def network_params(scale):
    je = je_pa()
    nu_th = NEURON["V_th"] / (CE * NEURON["tau_m"] / NEURON["C_m"] * je * math.e * TAU_SYN)
    return {
        "NE": int(9000 * scale),
        "NI": int(2250 * scale),
        "CE": CE,
        "CI": CI,
        "JE_pA": je,
        "g": G,
        "eta": ETA,
        "nu_th_per_ms": nu_th,
        "poisson_rate_hz": nu_th * ETA * CE * 1000.0,
        "delay_ms": DELAY,
        "dt_ms": DT,
        "V_m0": {"mean": V0_MEAN, "std": V0_STD},
        "neuron": dict(NEURON),
        "stdp_pl_synapse_hom": {**STDP, "weight": je},
    }


def _rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _count_outgoing(nest, gids):
    """Connections whose source is in ``gids`` (a list of node ids)."""
    return len(nest.GetConnections(source=nest.NodeCollection(sorted(gids))))


def worker(
    config,
    scale,
    threads,
    t_presim,
    t_sim,
    seed,
    hpc_models,
    weight_sources,
    count_chunk,
    sample_every=0.0,
    count_events=True,
):
    import nest
    import numpy as np

    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:  # pragma: no cover - older NEST
        nest.set_verbosity("M_ERROR")
    p = network_params(scale)
    ne, ni, je = p["NE"], p["NI"], p["JE_pA"]
    static_model = "static_synapse_hpc" if hpc_models else "static_synapse"
    stdp_model = "stdp_pl_synapse_hom_hpc" if hpc_models else "stdp_pl_synapse_hom"

    nest.ResetKernel()
    nest.set(
        resolution=DT,
        rng_seed=seed,
        local_num_threads=threads,
        print_time=False,
        overwrite_files=True,
    )
    t0 = time.perf_counter()
    params = {**NEURON, "V_m": nest.random.normal(mean=V0_MEAN, std=V0_STD)}
    e_nodes = nest.Create("iaf_psc_alpha", ne, params=params)
    i_nodes = nest.Create("iaf_psc_alpha", ni, params=params)
    nodes = e_nodes + i_nodes
    noise = nest.Create("poisson_generator", params={"rate": p["poisson_rate_hz"]})
    recorder = nest.Create("spike_recorder", params={"start": float(t_presim)})
    nest.CopyModel(static_model, "hpcb_ex", {"weight": je, "delay": DELAY})
    nest.CopyModel(static_model, "hpcb_in", {"weight": G * je, "delay": DELAY})
    # stdp_pl_synapse_hom's parameters are common to all its synapses: set on a copy
    nest.CopyModel(stdp_model, "hpcb_stdp", {**STDP, "weight": je, "delay": DELAY})
    nest.Connect(noise, nodes, "all_to_all", "hpcb_ex")
    for tgt in (e_nodes, i_nodes):
        ee = config == "plastic" and tgt is e_nodes
        nest.Connect(
            e_nodes,
            tgt,
            {
                "rule": "fixed_indegree",
                "indegree": CE,
                "allow_autapses": False,
                "allow_multapses": True,
            },
            "hpcb_stdp" if ee else "hpcb_ex",
        )
        nest.Connect(
            i_nodes,
            tgt,
            {
                "rule": "fixed_indegree",
                "indegree": CI,
                "allow_autapses": False,
                "allow_multapses": True,
            },
            "hpcb_in",
        )
    nest.Connect(nodes, recorder)
    build_s = time.perf_counter() - t0
    rss_build = _rss()

    rng = np.random.default_rng(seed)
    if weight_sources and weight_sources < ne:
        src = np.sort(rng.choice(ne, weight_sources, replace=False)) + int(e_nodes[0].global_id)
        sources = nest.NodeCollection(src.tolist())
    else:
        sources = e_nodes

    def read_weights():
        return np.asarray(
            nest.GetConnections(source=sources, target=e_nodes, synapse_model="hpcb_stdp").get(
                "weight"
            ),
            dtype=np.float64,
        )

    t0 = time.perf_counter()
    nest.Simulate(float(t_presim))
    presim_s = time.perf_counter() - t0
    samples = []
    sampled = config == "plastic" and sample_every > 0
    if sampled:
        w = read_weights()
        samples.append([float(t_presim), float(w.mean()), float(w.min()), float(w.max())])
    load_start = os.getloadavg()
    sim_s, cpu_s, done = 0.0, 0.0, 0.0
    while done < t_sim - 1e-9:
        chunk = min(sample_every, t_sim - done) if sampled else t_sim
        t0, cpu0 = time.perf_counter(), time.process_time()
        nest.Simulate(float(chunk))
        sim_s += time.perf_counter() - t0
        cpu_s += time.process_time() - cpu0
        done += chunk
        if sampled:
            w = read_weights()
            samples.append(
                [float(t_presim + done), float(w.mean()), float(w.min()), float(w.max())]
            )
            ev = recorder.get("events")["times"]
            recent = int(np.count_nonzero(np.asarray(ev) > t_presim + done - chunk))
            print(
                f"t {t_presim + done:.0f} ms: rate {recent / (ne + ni) / (chunk / 1000):.2f} Hz"
                f" in the last {chunk:g} ms, mean E->E weight {w.mean():.4f} pA, "
                f"wall {sim_s:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    peak_rss = _rss()

    n = ne + ni
    senders = np.asarray(recorder.get("events")["senders"], dtype=np.int64)
    times = np.asarray(recorder.get("events")["times"], dtype=np.float64)
    first = int(nodes[0].global_id)
    if senders.size and (times.min() <= t_presim or times.max() > t_presim + t_sim):
        raise RuntimeError("spike_recorder holds spikes outside the timed window")
    counts = np.bincount(senders - first, minlength=n)
    spikes = int(senders.size)
    spikes_e = int(counts[:ne].sum())
    bins = np.arange(t_presim, t_presim + t_sim + 1e-9, RATE_BIN_MS)
    rate_bins = np.histogram(times, bins)[0] / n / (RATE_BIN_MS / 1000.0)
    is_e = senders - first < ne
    rate_bins_e = np.histogram(times[is_e] - 1e-9, bins)[0] / ne / (RATE_BIN_MS / 1000.0)
    rate_bins_i = np.histogram(times[~is_e] - 1e-9, bins)[0] / ni / (RATE_BIN_MS / 1000.0)

    # recurrent connections: all minus one from the generator and one to the recorder each
    n_recurrent = int(nest.num_connections) - 2 * n
    if n_recurrent != n * (CE + CI):
        raise RuntimeError(f"unexpected number of recurrent connections {n_recurrent}")
    t0 = time.perf_counter()
    events = 0 if count_events else None
    for k in np.unique(counts[counts > 0]) if count_events else []:
        ids = np.nonzero(counts == k)[0] + first
        for lo in range(0, ids.size, count_chunk):
            chunk = ids[lo : lo + count_chunk].tolist()
            events += int(k) * (_count_outgoing(nest, chunk) - len(chunk))
    count_s = time.perf_counter() - t0

    weights = None
    if config == "plastic":
        t0 = time.perf_counter()
        w = read_weights()
        weights = {
            "min": float(w.min()),
            "mean": float(w.mean()),
            "max": float(w.max()),
            "initial": je,
            "synapses_read": int(w.size),
            "source_neurons": len(sources),
            "read_s": time.perf_counter() - t0,
        }

    return {
        "config": config,
        "neurons": n,
        "recurrent_synapses": n_recurrent,
        "synapse_models": {
            "static": static_model,
            "e_to_e": stdp_model if config == "plastic" else static_model,
        },
        "build_s": build_s,
        "presim_s": presim_s,
        "t_presim_ms": t_presim,
        "t_sim_ms": t_sim,
        "sim_s": sim_s,
        "rtf": sim_s / (t_sim / 1000.0),
        "spikes": spikes,
        "mean_rate_hz": spikes / n / (t_sim / 1000.0),
        "rate_e_hz": spikes_e / max(ne, 1) / (t_sim / 1000.0),
        "rate_i_hz": (spikes - spikes_e) / max(ni, 1) / (t_sim / 1000.0),
        "synaptic_events": events,
        "synaptic_events_mean_outdegree": spikes * n_recurrent / n,
        "syn_events_per_s": events / sim_s if count_events else None,
        "cpu_s": cpu_s,
        "syn_events_per_cpu_s": events / cpu_s if count_events else None,
        "outdegree_count_s": count_s,
        "rate_bins_hz": [round(float(r), 2) for r in rate_bins],
        "rate_bins_e_hz": [round(float(r), 3) for r in rate_bins_e],
        "rate_bins_i_hz": [round(float(r), 3) for r in rate_bins_i],
        "weight_samples": samples if sampled else None,
        "peak_rss_bytes": int(peak_rss),
        "rss_after_build_bytes": int(rss_build),
        "loadavg": {"start": load_start, "end": os.getloadavg()},
        "e_to_e_weights": weights,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--t-presim", type=float, default=50.0)
    ap.add_argument("--t-sim", type=float, default=100.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--static", action="store_true", help="static configuration only")
    ap.add_argument("--plastic", action="store_true", help="plastic configuration only")
    ap.add_argument(
        "--no-hpc-models",
        action="store_true",
        help="static_synapse / stdp_pl_synapse_hom instead of the _hpc variants",
    )
    ap.add_argument(
        "--weight-sources",
        type=int,
        default=100,
        help="E neurons whose outgoing E->E weights are read (0: all)",
    )
    ap.add_argument("--count-chunk", type=int, default=256, help=argparse.SUPPRESS)
    ap.add_argument(
        "--sample-every",
        type=float,
        default=0.0,
        help="plastic: read the sampled E->E weights every this many ms",
    )
    ap.add_argument(
        "--no-events", action="store_true", help="skip counting synaptic events (out-degrees)"
    )
    ap.add_argument("--out", default=None, help="also write the JSON to this file")
    ap.add_argument("--worker", default=None, choices=CONFIGS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        run = worker(
            args.worker,
            args.scale,
            args.threads,
            args.t_presim,
            args.t_sim,
            args.seed,
            not args.no_hpc_models,
            args.weight_sources,
            args.count_chunk,
            args.sample_every,
            not args.no_events,
        )
        sys.stdout.flush()
        print(json.dumps(run))
        return 0

    configs = [c for c in CONFIGS if getattr(args, c)] or list(CONFIGS)
    results = {}
    for config in configs:
        cmd = [
            sys.executable,
            os.path.abspath(__file__),
            "--worker",
            config,
            "--scale",
            repr(args.scale),
            "--threads",
            str(args.threads),
            "--t-presim",
            repr(args.t_presim),
            "--t-sim",
            repr(args.t_sim),
            "--seed",
            str(args.seed),
            "--weight-sources",
            str(args.weight_sources),
            "--count-chunk",
            str(args.count_chunk),
            "--sample-every",
            repr(args.sample_every),
        ]
        if args.no_hpc_models:
            cmd.append("--no-hpc-models")
        if args.no_events:
            cmd.append("--no-events")
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, check=True, text=True)
        results[config] = json.loads([ln for ln in proc.stdout.splitlines() if ln.strip()][-1])
        r = results[config]
        print(
            f"{config}: build {r['build_s']:.1f} s, sim {r['sim_s']:.2f} s, "
            f"{r['mean_rate_hz']:.2f} Hz, {r['syn_events_per_s'] or 0:.3g} events/s, "
            f"peak RSS {r['peak_rss_bytes'] / 2**30:.2f} GiB "
            f"(process {time.perf_counter() - t0:.0f} s)",
            file=sys.stderr,
        )

    import nest  # the version string only (NEST prints its banner to stdout)

    out = {
        "benchmark": "nest_hpc_benchmark",
        "generator": "scripts/nest_hpc_benchmark.py",
        "nest_version": nest.__version__,
        "scale": args.scale,
        "threads": args.threads,
        "seed": args.seed,
        "t_presim_ms": args.t_presim,
        "t_sim_ms": args.t_sim,
        "params": network_params(args.scale),
        **results,
    }
    if "static" in results and "plastic" in results and not args.no_events:
        out["ratio"] = (
            results["static"]["syn_events_per_s"] / results["plastic"]["syn_events_per_s"]
        )
        out["ratio_cpu"] = (
            results["static"]["syn_events_per_cpu_s"] / results["plastic"]["syn_events_per_cpu_s"]
        )
    nest_seeds.print_result(out, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
