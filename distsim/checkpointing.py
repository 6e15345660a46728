"""Runs from the command line that survive wall-time limits: periodic checkpoints, a
checkpoint when Slurm signals the end (SIGTERM, or SIGUSR1 via --signal), and resuming.

A checkpoint directory holds ``run.json`` (what to rebuild: example, its parameters, the
store) and ``checkpoint.zarr`` (the state, see store/checkpoint.py), replaced atomically
(written beside it, then renamed).  ``distsim run --resume DIR --t-sim T`` restores it on any
number of ranks and continues the same run to model time T, appending to the same store.
Once every rank catches the signals, rank 0 writes ``CATCHING_SIGNALS`` there: a job script
holds a signal back until then, since SIGUSR1's default action kills a rank still starting.
"""
import json
import os
import shutil
import signal
import time

from .errors import ConfigError
from .examples import EXAMPLES

_CHUNK_MS = 100.0  # model time between checks for a due checkpoint or a signal
CATCHING_SIGNALS = "catching-signals"  # file in the checkpoint directory (see above)


def start_run(args):
    """Build (or restore) the Simulation the CLI arguments describe, and the run plan.  With
    checkpoints, SIGTERM/SIGUSR1 are caught from here on: one that comes during the build
    stops the run at its first check."""
    from .comm import default_context
    from .simulation import Simulation

    signals = _catch_stop_signals() if args.checkpoint_dir or args.resume else None
    if args.resume:
        meta_path = os.path.join(args.resume, "run.json")
        if not os.path.exists(meta_path):
            raise ConfigError(f"distsim run --resume {args.resume}: no run.json there; give the "
                              f"--checkpoint-dir of the run to continue")
        with open(meta_path) as f:
            plan = json.load(f)
        _check_t_sim(args.t_sim, plan["dt"])
        sim = Simulation.restore(os.path.join(args.resume, "checkpoint.zarr"),
                                 decomposition=args.balancer, backend=args.backend,
                                 store=plan["store"], resume_store=plan["store"] is not None)
        plan["checkpoint_dir"] = args.resume
    else:
        net = build_network(args.example, {"order": args.order, "scale": args.scale,
                                           "epsilon": args.epsilon, "state": args.state,
                                           "background": args.background,
                                           "t_sim": args.t_sim, "plastic": args.plastic},
                            args.dt, args.seed)
        _check_t_sim(args.t_sim, net.dt)
        _check_memory(net, args.balancer, store=not args.no_store)
        default_store = f"{os.path.splitext(os.path.basename(args.example))[0]}.zarr"
        store = None if args.no_store else (args.store or default_store)
        plan = {"example": args.example, "order": args.order, "scale": args.scale,
                "background": args.background, "dt": net.dt, "seed": net.seed,
                "store": os.path.abspath(store) if store else None,
                "checkpoint_dir": args.checkpoint_dir}
        decomposition = args.balancer
        n_ranks = default_context().size
        link_ms = args.link_latency or 0.0
        if args.hardware:
            from .partition.hardware_mapping import (check_link_latency, hardware,
                                                     profile_link_ms)
            decomposition = hardware(net, n_ranks, profile=args.hardware, fabric=args.fabric,
                                     bits_per_synapse=args.bits_per_synapse)
            if args.link_latency is None:
                link_ms = profile_link_ms(args.hardware)
            check_link_latency(net, decomposition, link_ms)
        grid = None
        if args.backend == "routed":
            from .comm.routing import fabric_rank_grid
            grid = fabric_rank_grid(getattr(decomposition, "hardware", None), n_ranks, link_ms)
        sim = Simulation(net, decomposition=decomposition, backend=args.backend, store=store,
                         hardware_counters=bool(args.hardware), rank_grid=grid)
        if args.checkpoint_dir and sim.context.rank == 0:
            os.makedirs(args.checkpoint_dir, exist_ok=True)
            with open(os.path.join(args.checkpoint_dir, "run.json"), "w") as f:
                json.dump({k: plan[k] for k in ("example", "order", "scale", "background", "dt", "seed",
                                                "store")}, f)
    plan["t_end_ms"] = args.t_sim
    plan["every_s"] = args.checkpoint_every
    plan["signals"] = signals
    if signals is not None:
        _tell_signals_are_caught(sim, plan["checkpoint_dir"])
    if args.t_sim < sim.t:
        raise ConfigError(f"distsim run --resume: --t-sim {args.t_sim} ms is before the "
                          f"checkpoint's {sim.t} ms; give the model time to reach")
    plan["store_summary"] = _store_summary
    return sim, plan


def build_network(example, options, dt, seed):
    """The network of a built-in example (``options``: its size option, e.g. order or
    scale) or of a model file."""
    from .modelfile import load_model_file

    if example in EXAMPLES:
        size = {"brunel": {"order": options["order"], "state": options.get("state"),
                           "epsilon": options.get("epsilon", 0.1)},
                "microcircuit": {"scale": options["scale"],
                                 "poisson_input": options.get("background", "poisson") == "poisson"},
                "hpc_benchmark": {"scale": options["scale"],
                                  "plastic": options.get("plastic", False)},
                "sensor": {"t_sim": options.get("t_sim", 1000.0)}}[example]
        kwargs = {"dt": 0.1 if dt is None else dt, **size}
        if seed is not None:
            kwargs["seed"] = seed
        return EXAMPLES[example](**kwargs)
    if example.endswith((".toml", ".yaml", ".yml")):
        net = load_model_file(example)
        if dt is not None and dt != net.dt:
            raise ConfigError(f"distsim run: --dt {dt} differs from the model file's dt = "
                              f"{net.dt} ms; set dt in the file's [network] table")
        if seed is not None:
            net.seed = seed
        return net
    if example.endswith(".nir"):  # a NIR graph: units in distsim/nir_convert.py
        from .nir_convert import import_nir
        return import_nir(example, dt=dt, seed=1 if seed is None else seed)
    raise ConfigError(f"distsim run: {example!r} is neither an example "
                      f"({', '.join(sorted(EXAMPLES))}) nor a model file (.toml, .yaml, .yml) "
                      f"or NIR graph (.nir)")


def _check_memory(net, balancer, store):
    """Refuse, before building, a network whose estimated memory per rank (of a run that
    writes a run store when ``store``) exceeds what this machine has per rank
    (distsim/memory.py explains the estimate)."""
    import psutil

    from .inspect import describe, ranks_needed

    size = int(os.environ.get("PMI_SIZE", os.environ.get("OMPI_COMM_WORLD_SIZE", "1")) or 1)
    local = int(os.environ.get("MPI_LOCALNRANKS", "1") or 1)
    available = psutil.virtual_memory().available / max(local, 1)
    per_rank = describe(net, size, balancer, store=store)["per_rank"]
    need = max(r["memory_estimate_bytes"] for r in per_rank)
    if need > available:
        n = ranks_needed(net, available, balancer, store)
        raise ConfigError(
            f"distsim run: the network needs about {need / 1e9:.2f} GB per rank on {size} "
            f"rank(s) but {available / 1e9:.2f} GB are available per rank; run it on at least "
            f"{n} ranks with {available / 1e9:.2f} GB each (see distsim inspect --ranks {n})")


def _check_t_sim(t_sim, dt):
    steps = t_sim / dt
    if not (t_sim >= 0 and abs(steps - round(steps)) <= 1e-9 * max(1.0, steps)):
        raise ConfigError(f"distsim run: --t-sim {t_sim} ms is not a non-negative multiple of "
                          f"dt = {dt} ms; use a multiple of dt")


def _store_summary(sim):
    """Digest and count of every spike in the run store (rank 0 reads it; others None)."""
    from .simulation import spike_digest
    from .store import open_run

    out = {}
    if sim.context.rank == 0:
        steps, gids = open_run(sim.writer.path).spikes()
        out = {"digest": spike_digest(steps, gids), "recorded_spikes": int(steps.size)}
    return sim.context.bcast(out)


class Progress:
    """Progress on rank 0's stderr: model time, real-time factor, spikes/s and ETA; a bar
    redrawn in place on a terminal, plain lines every ``every_s`` seconds otherwise (logs)."""

    def __init__(self, sim, t_end_ms, every_s=10.0, stream=None):
        import sys
        self.sim, self.t_end, self.every = sim, t_end_ms, every_s
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.t0 = time.monotonic()
        self.last = self.t0
        self.start_ms = sim.t
        self.start_spikes = int(sim.counters[1])

    def update(self, final=False):
        now = time.monotonic()
        if self.sim.context.rank != 0 or (not final and not self.tty and now - self.last < self.every):
            return
        self.last = now
        done = self.sim.t - self.start_ms
        total = max(self.t_end - self.start_ms, 1e-12)
        wall = now - self.t0
        rtf = wall / (done / 1000.0) if done else float("nan")
        eta = rtf * (total - done) / 1000.0 if done else float("nan")
        rate = (int(self.sim.counters[1]) - self.start_spikes) / wall if wall else 0.0
        text = (f"{self.sim.t:10.1f} / {self.t_end:g} ms  RTF {rtf:6.2f}  "
                f"{rate:,.0f} spikes/s (rank 0)  ETA {eta:6.1f} s")
        if self.tty:
            width = 24
            fill = int(width * done / total)
            self.stream.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {text}")
            if final:
                self.stream.write("\n")
        else:
            self.stream.write(f"progress: {text}\n")
        self.stream.flush()


def run_with_checkpoints(sim, plan):
    """Run to plan["t_end_ms"] in chunks, showing progress; with a checkpoint directory,
    checkpoint every plan["every_s"] wall seconds, at the end and on SIGTERM/SIGUSR1.
    Returns True when a signal stopped the run early."""
    directory = plan.get("checkpoint_dir")
    remaining = plan["t_end_ms"] - sim.t
    progress = Progress(sim, plan["t_end_ms"])
    if not directory:
        end_step = sim.step + round(remaining / sim.dt)
        while sim.step < end_step:
            sim.run(min(end_step - sim.step, round(_CHUNK_MS / sim.dt)) * sim.dt)
            progress.update()
        progress.update(final=True)
        return False
    caught, previous = plan["signals"]
    try:
        last = time.monotonic()
        end_step = sim.step + round(remaining / sim.dt)
        while sim.step < end_step:
            steps = min(end_step - sim.step, round(_CHUNK_MS / sim.dt))
            sim.run(steps * sim.dt)
            progress.update()
            due = time.monotonic() - last >= plan["every_s"]
            flags = sim.context.allreduce(int(due) + 2 * int(bool(caught)), "max")
            if flags >= 2:  # some rank was signalled: everyone checkpoints and stops
                _checkpoint(sim, directory)
                if sim.writer is not None:
                    sim.writer.close(sim, "stopped", sim.rank_counters())
                return True
            if flags:
                _checkpoint(sim, directory)
                last = time.monotonic()
        _checkpoint(sim, directory)
        progress.update(final=True)
        return False
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _catch_stop_signals():
    """Record SIGTERM and SIGUSR1 instead of dying; (the list they go to, previous handlers)."""
    caught = []
    previous = {sig: signal.signal(sig, lambda signum, frame: caught.append(signum))
                for sig in (signal.SIGTERM, signal.SIGUSR1)}
    return caught, previous


def _tell_signals_are_caught(sim, directory):
    """Write ``directory/CATCHING_SIGNALS`` once every rank has installed its handlers (they
    are installed before the build; this collective is after it on every rank)."""
    sim.context.allreduce(1, "sum")
    if sim.context.rank == 0:
        with open(os.path.join(directory, CATCHING_SIGNALS), "w") as f:
            f.write(f"{os.getpid()}\n")


def _checkpoint(sim, directory):
    """Write checkpoint.zarr in ``directory`` atomically: beside it first, then renamed."""
    final = os.path.join(directory, "checkpoint.zarr")
    fresh = os.path.join(directory, "checkpoint.new.zarr")
    old = os.path.join(directory, "checkpoint.old.zarr")
    if sim.context.rank == 0:
        shutil.rmtree(fresh, ignore_errors=True)
    sim.context.bcast(None)
    sim.checkpoint(fresh)
    if sim.context.rank == 0:
        shutil.rmtree(old, ignore_errors=True)
        if os.path.exists(final):
            os.rename(final, old)
        os.rename(fresh, final)
        shutil.rmtree(old, ignore_errors=True)
    sim.context.bcast(None)
