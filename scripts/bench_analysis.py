#!/usr/bin/env python3
"""Analysis benchmark: time and peak memory of ``distsim.analysis.analyze`` on a synthetic
run store of N spikes (default 1e8).

    python scripts/bench_analysis.py [--spikes 100000000] [--neurons 100000] [--ranks 4]
                                     [--dir DIR] [--keep] [--scheduler ADDR] [--no-plots]
                                     [--seed 1] [--jobs 2] [--limit-bytes 2e9]

1. Write.  A synthetic store in the run-store format (distsim/store/LAYOUT.md), as if a
   run of ``--neurons`` ``iaf_psc_delta`` neurons (80 % "E", 20 % "I", dt 0.1 ms) on
   ``--ranks`` ranks with the block decomposition (contiguous gid blocks) had recorded
   every spike.  Each neuron fires a Poisson train; the rates are lognormal (mean 5 Hz,
   sigma 0.6 of the log) and the model time is ``T = N / sum(rates)``, so the expected total
   is N (the actual total differs by about sqrt(N), and a neuron's second spike in one step
   is dropped: ``spikes`` is what was written).  Each rank's spikes are generated window by
   window of model time (1 s) and sorted by (step, gid), so a rank group is in step order
   as the simulator writes it (steps 1 .. n_steps: the engine records the spikes of step t
   as it advances from t - 1 to t).  They are written in whole zarr chunks, 2 chunks of
   1<<20 entries at a time: appending each window as it comes, as RunWriter.flush does,
   would decompress, merge and recompress the partial chunk at the end again and again
   (several times slower), and larger writes only cost memory (zarr 3 takes ~60 MB per
   chunk of the pair of int64 arrays written at once, 4x the data).  The ranks are written
   by ``--jobs`` processes (default: one per core), each ~350 MB at most.  Arrays use zarr's default
   compression (zstd level 0).  The network, decomposition and versions attributes come
   from the real API (``Network.to_dict``, ``distsim.partition.balancers.block``,
   ``distsim.store.writer.versions``).

2. Analyse.  ``analyze(store, out_dir=None, scheduler=SCHEDULER, t_start_ms=0.0,
   plots=...)`` runs in a child process (the same interpreter, ``-c`` code), which times the
   call itself (``analysis_s``, import and start-up excluded; ``child_wall_s`` is the whole
   child) and reports ``resource.getrusage``'s ``ru_maxrss`` for itself
   (``peak_rss_bytes``) and for its terminated children, e.g. dask worker processes of a
   local cluster (``peak_rss_children_bytes``: the largest single descendant reaped by the
   time analyze returns, not a sum).  The parent also samples the summed RSS of the child and
   all its descendants every 0.1 s (``peak_tree_rss_bytes``, via psutil; short peaks can be
   missed, shared pages are counted in each process).  ``peak_total_rss_bytes`` is the
   larger of that and ``peak_rss_bytes + peak_rss_children_bytes``, and ``within_limit``
   is ``peak_total_rss_bytes <= peak_rss_limit_bytes`` (2e9 unless ``--limit-bytes``).
   With ``--scheduler ADDR`` the work runs on an external cluster, whose memory is not
   measured.

3. Report.  One JSON object on stdout: ``spikes``, ``spikes_requested``, ``neurons``,
   ``ranks``, ``t_model_ms``, ``write_s``, ``store_bytes`` (apparent size of the files on
   disk), ``store_files``, ``write_peak_rss_bytes`` (the largest writer process),
   ``analysis_s``, ``child_wall_s``, the peak memory fields above,
   ``analysis`` (the module:function run), ``summary_keys`` (the summary's top-level keys)
   and ``summary`` (those top-level entries whose JSON is at most 300 characters).  If the
   analysis fails the object has ``error`` (with the end of the child's stderr) and the exit
   status is 1.  Anything the analysis prints goes to stderr.

The store (``DIR/synthetic_run.zarr``, DIR a new temporary directory unless ``--dir``) and
the analysis output (``<store>.analysis``) are deleted afterwards unless ``--keep``.
"""

import argparse
import datetime
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DT = 0.1  # ms
WINDOW_MS = 1000.0  # model time generated at once per rank
RATE_MEAN_HZ = 5.0
RATE_SIGMA = 0.6  # of log(rate)
WRITE_CHUNKS = 2  # chunks written at once per array
MARK = "BENCH_ANALYSIS_RESULT "
SMALL = 300  # characters of JSON for a summary entry to be reported


# ----------------------------------------------------------------------------- writing


def build_network(n_neurons, seed):
    from distsim import Network

    net = Network(dt=DT, seed=seed)
    n_e = int(round(0.8 * n_neurons))
    for name, n in (("E", n_e), ("I", n_neurons - n_e)):
        if n:
            net.add_population(name, "iaf_psc_delta", n)
    return net


def _now():
    return datetime.datetime.now(datetime.UTC).isoformat()


def _put_attrs(node, values):
    node.attrs.put({**node.attrs.asdict(), **values})


def write_rank(path, rank, first_gid, rates, n_steps, seed_seq):
    """Generate and write the spikes of one rank (gids ``first_gid + arange(rates.size)``);
    returns the number written."""
    import zarr

    from distsim.store.writer import CHUNK

    rng = np.random.default_rng(seed_seq)
    group = zarr.open_group(path, mode="a")["ranks"].create_group(f"r{rank:05d}")
    arrays = [
        group.create_array(name, shape=(0,), dtype="int64", chunks=(CHUNK,))
        for name in ("spike_step", "spike_gid")
    ]
    _put_attrs(
        group,
        {
            "status": "running",
            "flushed_step": 0,
            "flushed_spikes": 0,
            "flushed_samples": [],
            "counters": {},
        },
    )
    m = rates.size
    expected = rates * (DT * 1e-3)  # spikes per step of each neuron
    local = np.arange(m, dtype=np.int64)
    window = max(1, int(round(WINDOW_MS / DT)))
    buf_s, buf_g, buffered, written = [], [], 0, 0

    def write(final):
        nonlocal buf_s, buf_g, buffered, written
        n = buffered if final else buffered // CHUNK * CHUNK
        if n == 0:
            return
        s, g = np.concatenate(buf_s), np.concatenate(buf_g)
        for arr, x in zip(arrays, (s, g)):
            arr.resize((written + n,))
            arr[written : written + n] = x[:n]  # chunk-aligned: no chunk is written twice
        written += n
        buf_s, buf_g, buffered = [s[n:].copy()], [g[n:].copy()], buffered - n

    for w0 in range(0, n_steps, window):
        w = min(window, n_steps - w0)
        counts = rng.poisson(expected * w)
        gid = np.repeat(local, counts)
        key = np.sort(rng.integers(0, w, gid.size, dtype=np.int64) * m + gid)
        if key.size:  # one spike per neuron and step
            key = key[np.concatenate(([True], key[1:] != key[:-1]))]
        buf_s.append(key // m + (w0 + 1))  # steps 1..n_steps, as the engine records
        buf_g.append(key % m + first_gid)
        buffered += key.size
        if buffered >= WRITE_CHUNKS * CHUNK:
            write(False)
    write(True)
    _put_attrs(
        group,
        {
            "status": "complete",
            "flushed_step": int(n_steps),
            "flushed_spikes": int(written),
            "flushed_samples": [],
            "counters": {},
        },
    )
    return written


def write_store(path, n_spikes, n_neurons, n_ranks, seed, jobs):
    """Write the synthetic store; returns (spikes written, t_model_ms)."""
    import zarr

    from distsim.partition.balancers import block
    from distsim.store.writer import FORMAT, FORMAT_VERSION, versions

    net = build_network(n_neurons, seed)
    decomp = block(net, n_ranks)
    ss = np.random.SeedSequence(seed)
    rng = np.random.default_rng(ss.spawn(1)[0])
    rates = rng.lognormal(np.log(RATE_MEAN_HZ) - RATE_SIGMA**2 / 2, RATE_SIGMA, n_neurons)
    t_ms = n_spikes / rates.sum() * 1e3
    n_steps = max(1, int(np.ceil(t_ms / DT)))
    root = zarr.open_group(path, mode="w")
    _put_attrs(
        root,
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "status": "running",
            "network": json.dumps(net.to_dict()),
            "seed": int(seed),
            "dt": DT,
            "n_ranks": n_ranks,
            "decomposition": decomp.to_dict(),
            "versions": versions(),
            "start_time": _now(),
            "end_time": None,
            "t_model_ms": 0.0,
            "runs": [],
            "state_recorders": [],
        },
    )
    root.create_group("ranks")
    starts = np.concatenate(([0], np.cumsum(decomp.counts())))  # block: contiguous gids
    tasks = [
        (path, r, int(starts[r]), rates[starts[r] : starts[r + 1]], n_steps, child)
        for r, child in enumerate(ss.spawn(n_ranks + 1)[1:])
    ]
    if jobs <= 1:
        written = [write_rank(*t) for t in tasks]
    else:
        with ProcessPoolExecutor(min(jobs, n_ranks)) as pool:
            written = list(pool.map(write_rank, *zip(*tasks)))
    t_model_ms = n_steps * DT
    _put_attrs(
        root,
        {
            "status": "complete",
            "end_time": _now(),
            "t_model_ms": t_model_ms,
            "runs": [{"start_step": 0, "end_step": int(n_steps)}],
        },
    )
    return int(sum(written)), t_model_ms


def disk_usage(path):
    total = files = 0
    for d, _, names in os.walk(path):
        for n in names:
            total += os.stat(os.path.join(d, n)).st_size
            files += 1
    return total, files


# ----------------------------------------------------------------------------- analysing

CHILD = r"""
import importlib, json, resource, sys, time
t_child = time.perf_counter()
a = json.loads(sys.argv[1])
sys.path.insert(0, a["scripts_dir"])
sys.dont_write_bytecode = True  # no __pycache__ in scripts/ for the stand-in
mod, _, name = a["analysis"].partition(":")
func = getattr(importlib.import_module(mod), name)
t0 = time.perf_counter()
summary = func(a["store"], out_dir=None, scheduler=a["scheduler"], t_start_ms=0.0,
               plots=a["plots"])
analysis_s = time.perf_counter() - t0
me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024

def plain(x):
    return x.tolist() if hasattr(x, "tolist") else str(x)

out = {"analysis_s": analysis_s, "peak_rss_bytes": me, "peak_rss_children_bytes": kids}
if isinstance(summary, dict):
    out["summary_keys"] = list(map(str, summary))
    small = {}
    for k, v in summary.items():
        text = json.dumps(v, default=plain)
        if len(text) <= a["small"]:
            small[str(k)] = json.loads(text)
    out["summary"] = small
else:
    out["summary_type"] = type(summary).__name__
out["child_wall_s"] = time.perf_counter() - t_child
sys.stdout.write("\n" + a["mark"] + json.dumps(out) + "\n")
"""


class TreeSampler(threading.Thread):
    """Peak of the summed RSS of a process and its descendants, sampled."""

    def __init__(self, pid, interval=0.1):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak = pid, interval, 0
        self.stop = threading.Event()

    def run(self):
        try:
            import psutil
        except ImportError:
            self.peak = None
            return
        try:
            top = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.stop.is_set():
            total = 0
            try:
                procs = [top] + top.children(recursive=True)
            except psutil.Error:
                break
            for p in procs:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self.stop.wait(self.interval)


def run_analysis(store, analysis, scheduler, plots):
    arg = json.dumps(
        {
            "store": store,
            "analysis": analysis,
            "scheduler": scheduler,
            "plots": plots,
            "scripts_dir": str(HERE),
            "mark": MARK,
            "small": SMALL,
        }
    )
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, arg],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = TreeSampler(proc.pid)
    sampler.start()
    err_lines = []

    def pump_err():  # forward the child's stderr, keep its end
        for line in proc.stderr:
            sys.stderr.write(line)
            err_lines.append(line)
            del err_lines[:-40]

    err_thread = threading.Thread(target=pump_err, daemon=True)
    err_thread.start()
    result = None
    for line in proc.stdout:
        if line.startswith(MARK):
            result = json.loads(line[len(MARK) :])
        elif line.strip():
            sys.stderr.write(line)
    proc.wait()
    err_thread.join()
    sampler.stop.set()
    sampler.join()
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or result is None:
        return {
            "error": f"analysis child exited with status {proc.returncode}",
            "stderr_tail": "".join(err_lines[-20:]),
            "child_process_s": wall,
        }
    result["peak_tree_rss_bytes"] = sampler.peak
    return result


# ----------------------------------------------------------------------------- stand-in


def standin_analyze(store, out_dir=None, scheduler=None, t_start_ms=0.0, plots=True):
    """Stand-in for distsim.analysis.analyze (``--analysis-module
    bench_analysis:standin_analyze``): per-neuron spike counts with dask.array.from_zarr and
    dask.array.bincount on a local cluster of 2 worker processes (or at ``scheduler``)."""
    import logging

    import dask.array as da
    import zarr
    from distributed import Client, LocalCluster

    root = zarr.open_group(store, mode="r")
    n_neurons = int(sum(root.attrs["decomposition"]["neurons_per_rank"]))
    dt = root.attrs["dt"]
    step0 = int(round(t_start_ms / dt))
    parts = []
    for name in sorted(root["ranks"].group_keys()):
        g = root[f"ranks/{name}"]
        n = int(g.attrs["flushed_spikes"])
        s = da.from_zarr(g["spike_step"])[:n]
        parts.append(da.from_zarr(g["spike_gid"])[:n][s >= step0])
    gids = da.concatenate(parts)

    def compute(client):
        counts = client.compute(da.bincount(gids, minlength=n_neurons)).result()
        return counts

    if scheduler:
        with Client(scheduler) as client:
            counts = compute(client)
    else:
        with LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        ) as cluster:
            with Client(cluster) as client:
                counts = compute(client)
    t_s = (root.attrs["t_model_ms"] - step0 * dt) * 1e-3
    rates = counts / t_s
    return {
        "n_spikes": int(counts.sum()),
        "n_neurons": n_neurons,
        "silent_neurons": int((counts == 0).sum()),
        "mean_rate_hz": float(rates.mean()),
        "max_rate_hz": float(rates.max()),
        "rates_hz": rates,
    }


# ----------------------------------------------------------------------------- main


def main(argv=None):
    p = argparse.ArgumentParser(
        description=" ".join(__doc__.split("\n")[:2]),
        epilog="See the module docstring for the method and the fields.",
    )
    p.add_argument("--spikes", type=float, default=1e8, help="expected spikes (default 1e8)")
    p.add_argument("--neurons", type=int, default=100_000)
    p.add_argument("--ranks", type=int, default=4)
    p.add_argument("--dir", help="directory for the store (default: a new temporary one)")
    p.add_argument("--keep", action="store_true", help="keep the store and analysis output")
    p.add_argument("--scheduler", default=None, help="dask scheduler address")
    p.add_argument("--no-plots", action="store_true", help="analyze(..., plots=False)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="writer processes (default: one per core)",
    )
    p.add_argument("--limit-bytes", type=float, default=2e9)
    p.add_argument("--analysis-module", default="distsim.analysis:analyze", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.spikes <= 0 or args.neurons < 1 or args.ranks < 1 or args.ranks > args.neurons:
        p.error("need --spikes > 0 and 1 <= --ranks <= --neurons")

    if args.dir:
        Path(args.dir).mkdir(parents=True, exist_ok=True)
        base, own_dir = Path(args.dir), False
    else:
        base, own_dir = Path(tempfile.mkdtemp(prefix="distsim_bench_analysis_")), True
    store = str(base / "synthetic_run.zarr")
    analysis_dir = store + ".analysis"
    for old in (store, analysis_dir):
        shutil.rmtree(old, ignore_errors=True)

    out = {
        "spikes_requested": int(args.spikes),
        "neurons": args.neurons,
        "ranks": args.ranks,
        "analysis": args.analysis_module,
        "store": store,
        "peak_rss_limit_bytes": args.limit_bytes,
    }
    try:
        t0 = time.perf_counter()
        spikes, t_model_ms = write_store(
            store, int(args.spikes), args.neurons, args.ranks, args.seed, args.jobs
        )
        write_s = time.perf_counter() - t0
        # the writer's peak: this process, or the largest writer process (reaped by now)
        write_rss = max(
            resource.getrusage(who).ru_maxrss * 1024
            for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        )
        store_bytes, store_files = disk_usage(store)
        out.update(
            {
                "spikes": spikes,
                "t_model_ms": t_model_ms,
                "write_s": round(write_s, 3),
                "write_spikes_per_s": round(spikes / write_s),
                "write_peak_rss_bytes": write_rss,
                "store_bytes": store_bytes,
                "store_files": store_files,
                "compression": "zarr default (zstd)",
            }
        )
        res = run_analysis(store, args.analysis_module, args.scheduler, not args.no_plots)
        out.update(res)
        if "error" not in res:
            tree = res.get("peak_tree_rss_bytes") or 0
            total = max(tree, res["peak_rss_bytes"] + res["peak_rss_children_bytes"])
            out["peak_total_rss_bytes"] = total
            out["within_limit"] = bool(total <= args.limit_bytes)
            out["analysis_s"] = round(res["analysis_s"], 3)
            out["child_wall_s"] = round(res["child_wall_s"], 3)
    finally:
        if not args.keep:
            if own_dir:
                shutil.rmtree(base, ignore_errors=True)
            else:
                for d in (store, analysis_dir):
                    shutil.rmtree(d, ignore_errors=True)
            out.pop("store", None)
    print(json.dumps(out, indent=1))
    return 1 if "error" in out else 0


if __name__ == "__main__":
    sys.exit(main())
