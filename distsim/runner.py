"""The runs of ``distsim run``: build (or restore) what a RunConfig describes, run it in
chunks with progress, checkpoints and signals, and end with a store that tells the truth.

A checkpoint folder holds ``run.json`` (format "distsim-checkpoints": what to rebuild) and
``checkpoint.zarr`` (the state, store/checkpoint.py).  A new checkpoint is written beside it
(``checkpoint.new.zarr``, completed and checksummed), then the old one is renamed
``checkpoint.old.zarr``, the new one ``checkpoint.zarr``, and the old one removed; a run
that dies between these steps leaves folders that ``--resume`` sorts out (the newest
complete checkpoint wins, and it says so).  ``distsim run --resume DIR --t-sim T`` restores
it on any number of ranks and continues the same run to model time T, appending to the same
store.  Once every rank catches signals, rank 0 writes ``catching-signals`` there: a job
script holds a signal back until then, since SIGUSR1's default action kills a rank still
starting.

Signals: SIGINT (Ctrl-C), SIGTERM and SIGUSR1 are caught from before the build; the ranks
agree at the end of the current chunk (about a second of wall time) and stop: with a
checkpoint folder they write a checkpoint and mark the store "stopped" (resumable), without
one they mark it "interrupted"; spikes recorded up to there are kept either way.  A second
Ctrl-C stops at once (the store is then marked "interrupted" as well).
"""

import json
import logging
import math
import os
import signal
import time
from dataclasses import dataclass, field

import numpy as np

from .errors import (
    ConfigError,
    DistsimError,
    OutputError,
    SimulationError,
    StoreError,
    failure_reason,
)
from .examples import EXAMPLES
from .store.ownership import (
    CHECKPOINT,
    CHECKPOINT_FOLDER,
    CHECKPOINTS_FORMAT,
    RUN_STORE,
    check_target,
    claim,
    kind_of,
    remove_owned,
)

log = logging.getLogger(__name__)

CATCHING_SIGNALS = "catching-signals"  # file in the checkpoint folder (see above)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1)
_CHUNK_WALL_S = 1.0  # wall time between checks for a due checkpoint or a signal
_FIRST_CHUNK_STEPS = 10


@dataclass(frozen=True)
class RunConfig:
    """Everything ``distsim run`` does, checked by the command line (options.run_config).
    ``options``: keyword arguments of the example's network function; ``t_sim_ms``: the
    model time to reach; ``store``: the run store (None: keep spikes in memory only)."""

    example: str = "brunel"
    options: dict = field(default_factory=dict)
    dt: float = None
    seed: int = None
    t_sim_ms: float = 1000.0
    backend: str = "collective"
    threads: int = 1
    balancer: str = "block"
    hardware: str = None
    fabric: str = None
    link_latency_ms: float = None
    bits_per_synapse: float = None
    store: str = None
    overwrite: bool = False
    checkpoint_dir: str = None
    checkpoint_every_s: float = 1800.0
    resume: str = None
    progress: bool = True


def build_network(example, options, dt, seed):
    """The network of a built-in example (``options``: keyword arguments of its function) or
    of a model file or NIR graph."""
    from .modelfile import load_model_file

    if example in EXAMPLES:
        kwargs = {**options, "dt": 0.1 if dt is None else dt}
        if seed is not None:
            kwargs["seed"] = seed
        return EXAMPLES[example].build(**kwargs)
    if example.endswith((".toml", ".yaml", ".yml")):
        net = load_model_file(example)
        if seed is not None:
            net.seed = seed
        return net
    if example.endswith(".nir"):  # a NIR graph: units in distsim/nir_convert.py
        from .nir_convert import import_nir

        return import_nir(example, dt=dt, seed=1 if seed is None else seed)
    raise ConfigError(
        f"distsim run: {example!r} is neither an example "
        f"({', '.join(sorted(EXAMPLES))}) nor a model file (.toml, .yaml, .yml) "
        f"or NIR graph (.nir)"
    )


def check_memory(net, balancer, store):
    """Refuse, before building, a network whose estimated memory per rank (of a run that
    writes a run store when ``store``) exceeds what a rank may use (distsim/memory.py
    explains the estimate, distsim/memory_limit.py the limit)."""
    from .inspect import describe, ranks_needed
    from .memory import lower_bound_bytes
    from .memory_limit import budget

    size = int(os.environ.get("PMI_SIZE", os.environ.get("OMPI_COMM_WORLD_SIZE", "1")) or 1)
    limit = budget()
    available = limit.per_rank
    need = lower_bound_bytes(net, size, store)
    if need > available:  # far too large: refused before any per-neuron estimate
        n = next(
            (2**k for k in range(31) if lower_bound_bytes(net, 2**k, store) <= available), None
        )
        fix = (
            f"run it on at least {n} ranks with {available / 1e9:.2f} GB each"
            if n
            else "no number of ranks of this size can hold it; use a smaller network"
        )
        raise ConfigError(
            f"distsim run: the network needs at least {need / 1e9:.3g} GB per "
            f"rank on {size} rank(s) ({net.n_neurons:,} neurons) but "
            f"{available / 1e9:.2f} GB are available per rank ({limit.where()}); {fix}"
        )
    per_rank = describe(net, size, balancer, store=store)["per_rank"]
    need = max(r["memory_estimate_bytes"] for r in per_rank)
    if need > available:
        n = ranks_needed(net, available, balancer, store)
        raise ConfigError(
            f"distsim run: the network needs about {need / 1e9:.2f} GB per rank on {size} "
            f"rank(s) but {available / 1e9:.2f} GB are available per rank ({limit.where()}); "
            f"run it on at least "
            f"{n} ranks with {available / 1e9:.2f} GB each (see distsim inspect --ranks {n})"
        )


def check_t_sim(t_sim, dt):
    steps = t_sim / dt
    if math.isfinite(t_sim) and steps >= 2**62:
        raise ConfigError(
            f"distsim run: --t-sim {t_sim:g} ms is {steps:.3g} steps of dt = "
            f"{dt} ms, beyond the 2^62 steps a run can count; use a shorter time"
        )
    if not (
        math.isfinite(t_sim) and t_sim >= 0 and abs(steps - round(steps)) <= 1e-9 * max(1.0, steps)
    ):
        raise ConfigError(
            f"distsim run: --t-sim {t_sim} ms is not a non-negative multiple of "
            f"dt = {dt} ms; use a multiple of dt"
        )


def default_store(example):
    """The first of NAME.zarr, NAME-2.zarr, ... in the working folder that is free (new or
    empty), NAME the example's or file's name: a new run never replaces the last one's
    store unasked."""
    name = os.path.splitext(os.path.basename(example))[0]
    for k in range(1, 10000):
        path = f"{name}.zarr" if k == 1 else f"{name}-{k}.zarr"
        try:
            return check_target(path, RUN_STORE, what="store")
        except OutputError:
            continue
    raise OutputError(f"distsim run: {name}.zarr .. {name}-9999.zarr are all taken; give --out")


def _on_rank0(context, fn):
    """``fn()`` on rank 0, its result (or DistsimError, raised) on every rank."""
    result = error = None
    if context.rank == 0:
        try:
            result = fn()
        except DistsimError as exc:
            error = exc
    result, error = context.bcast((result, error))
    if error is not None:
        error.collective = True  # every rank raises it: only rank 0 says so
        raise error
    return result


def start_run(config):
    """Build (or restore) the Simulation ``config`` describes and the run's plan; stop
    signals are caught from here on (one that comes during the build stops the run at its
    first check)."""
    from .comm import default_context
    from .launcher import announce

    context = default_context()
    signals = StopSignals()
    try:
        sim, plan, folder = _build(config, context)
    except BaseException:
        signals.restore()
        raise
    if sim.writer is not None:
        announce(context.rank, store=sim.writer.path)
    if folder is not None:
        signals.tell_caught(sim, folder.path)
    return sim, {
        **plan,
        "folder": folder,
        "signals": signals,
        "t_end_ms": config.t_sim_ms,
        "every_s": config.checkpoint_every_s,
        "progress": config.progress,
    }


def _build(config, context):
    """(Simulation, plan, checkpoint folder or None) of ``config``: restored, or built."""
    from .simulation import Simulation

    if config.resume:
        folder = CheckpointFolder(config.resume, "--resume")
        plan, path = _on_rank0(context, folder.open_for_resume)
        _check_same_run(config, plan)
        check_t_sim(config.t_sim_ms, plan["dt"])
        sim = Simulation.restore(
            path,
            context=context,
            decomposition=config.balancer,
            backend=config.backend,
            threads=config.threads,
            store=plan["store"],
            resume_store=plan["store"] is not None,
        )
        if config.t_sim_ms < sim.t:
            raise ConfigError(
                f"distsim run --resume: --t-sim {config.t_sim_ms} ms is before "
                f"the checkpoint's {sim.t} ms; give the model time to reach"
            )
    else:
        folder = (
            CheckpointFolder(config.checkpoint_dir, "--checkpoint-dir")
            if config.checkpoint_dir
            else None
        )

        def targets():  # refused before anything is built
            if folder is not None:
                check_target(folder.path, CHECKPOINT_FOLDER, config.overwrite, folder.what)
            if config.store is None:
                return None
            if config.store == "default":
                return default_store(config.example)
            return check_target(config.store, RUN_STORE, config.overwrite, "--out")

        store = _on_rank0(context, targets)
        net = build_network(config.example, config.options, config.dt, config.seed)
        check_t_sim(config.t_sim_ms, net.dt)
        check_memory(net, config.balancer, store=store is not None)
        decomposition, grid = _placement(net, config, context.size)
        sim = Simulation(
            net,
            context=context,
            decomposition=decomposition,
            backend=config.backend,
            threads=config.threads,
            store=store,
            overwrite=config.overwrite,
            hardware_counters=bool(config.hardware),
            rank_grid=grid,
        )
        if sim.writer is not None:
            sim.writer.set_source({"example": config.example, "options": config.options})
        plan = {
            "format": CHECKPOINTS_FORMAT,
            "example": config.example,
            "options": config.options,
            "dt": net.dt,
            "seed": int(net.seed),
            "store": store,
        }
        if folder is not None:
            _on_rank0(context, lambda: folder.start(plan, config.overwrite))
    return sim, plan, folder


def _check_same_run(config, plan):
    """A resumed run's model, options, dt and seed, where given again, must be those it was
    set up with (run.json)."""
    given = {
        "model": config.example,
        "dt": config.dt,
        "seed": config.seed,
        **{f"option {k}": v for k, v in config.options.items()},
    }
    had = {
        "model": plan.get("example"),
        "dt": plan.get("dt"),
        "seed": plan.get("seed"),
        **{f"option {k}": v for k, v in plan.get("options", {}).items()},
    }
    extra = sorted(given.keys() - had.keys())
    if extra:
        raise ConfigError(
            f"distsim run --resume: {extra[0]} does not apply to the checkpointed "
            f"{plan.get('example')} run; leave it out"
        )
    for key, value in given.items():
        if value is not None and key in had and had[key] != value:
            raise ConfigError(
                f"distsim run --resume: {key} {value!r} differs from the "
                f"checkpointed run's {had[key]!r}; a resumed run continues as it "
                f"was set up: leave it out or give the same"
            )


def _placement(net, config, n_ranks):
    """The decomposition (a balancer name, or a chip mapping with --hardware) and the rank
    grid of the routed backend."""
    decomposition = config.balancer
    link_ms = config.link_latency_ms or 0.0
    if config.hardware:
        from .partition.hardware_mapping import check_link_latency, hardware, profile_link_ms

        decomposition = hardware(
            net,
            n_ranks,
            profile=config.hardware,
            fabric=config.fabric,
            bits_per_synapse=config.bits_per_synapse,
        )
        if config.link_latency_ms is None:
            link_ms = profile_link_ms(config.hardware)
        check_link_latency(net, decomposition, link_ms)
    grid = None
    if config.backend == "routed":
        from .comm.routing import fabric_rank_grid

        grid = fabric_rank_grid(getattr(decomposition, "hardware", None), n_ranks, link_ms)
    return decomposition, grid


def store_summary(sim):
    """Digest and count of every spike in the run store (rank 0 reads it with its own
    threads; others None)."""
    from .simulation import spike_digest

    out = {}
    if sim.context.rank == 0:  # dask and the reader: rank 0's only
        import dask
        from dask.threaded import get

        from .store import open_run

        with dask.config.set(scheduler=get):  # a function: dask looks for no distributed
            steps, gids = open_run(sim.writer.path, warn=False).spikes()
        out = {"digest": spike_digest(steps, gids), "recorded_spikes": int(steps.size)}
    return sim.context.bcast(out)


class StopSignals:
    """SIGINT, SIGTERM and SIGUSR1 recorded instead of ending the process (a second SIGINT
    raises KeyboardInterrupt at once); ``caught`` is the last one, 0 before."""

    def __init__(self):
        self.caught = 0
        self.previous = {sig: signal.signal(sig, self._handle) for sig in STOP_SIGNALS}

    def _handle(self, signum, frame):
        if signum == signal.SIGINT and self.caught == signal.SIGINT:
            raise KeyboardInterrupt
        self.caught = signum
        log.info(
            "%s received: stopping at the next check%s",
            signal.Signals(signum).name,
            " (Ctrl-C again to stop at once)" if signum == signal.SIGINT else "",
        )

    def restore(self):
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)

    @staticmethod
    def tell_caught(sim, directory):
        """Write ``directory/CATCHING_SIGNALS`` once every rank has installed its handlers
        (they are installed before the build; this collective is after it on every rank)."""
        sim.context.allreduce(1, "sum")
        if sim.context.rank == 0:
            with open(os.path.join(directory, CATCHING_SIGNALS), "w") as f:
                f.write(f"{os.getpid()}\n")


class CheckpointFolder:
    """The checkpoint folder of a run (see the module docstring); rank 0 does its file work
    and holds its lock while the run goes on."""

    def __init__(self, path, what):
        self.path = os.path.abspath(str(path))
        self.what = what
        self.final = os.path.join(self.path, "checkpoint.zarr")
        self.fresh = os.path.join(self.path, "checkpoint.new.zarr")
        self.old = os.path.join(self.path, "checkpoint.old.zarr")
        self.lock = None

    def start(self, plan, overwrite):
        """A new run's folder: claimed, and its run.json written."""
        self.lock = claim(self.path, CHECKPOINT_FOLDER, overwrite, self.what)
        with open(os.path.join(self.path, "run.json"), "w") as f:
            json.dump(plan, f)

    def open_for_resume(self):
        """(run.json's plan, the checkpoint to restore), after sorting out an interrupted
        swap."""
        if kind_of(self.path) != CHECKPOINT_FOLDER:
            raise ConfigError(
                f"distsim run --resume {self.path}: no run.json of a distsim "
                f"checkpoint folder there; give the --checkpoint-dir of the run "
                f"to continue"
            )
        self.lock = claim(self.path, CHECKPOINT_FOLDER, what=self.what, append=True)
        try:
            with open(os.path.join(self.path, "run.json")) as f:
                plan = json.load(f)
            plan["dt"] = float(plan["dt"])
            plan.setdefault("store", None)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"distsim run --resume {self.path}: run.json cannot be read "
                f"({exc}); the checkpoint folder is damaged"
            ) from None
        return plan, self.recover()

    def recover(self):
        """The newest complete checkpoint: checkpoint.zarr, or the one an interrupted swap
        left as checkpoint.new.zarr (or, if the new one was not completed,
        checkpoint.old.zarr), which becomes checkpoint.zarr."""
        from .store.checkpoint import read_checkpoint_attrs

        def complete(path):
            if kind_of(path) != CHECKPOINT:
                return False
            try:
                read_checkpoint_attrs(path)
                return True
            except StoreError:
                return False

        found = [p for p in (self.final, self.fresh, self.old) if complete(p)]
        if not found:
            there = [
                os.path.basename(p) for p in (self.final, self.fresh, self.old) if os.path.exists(p)
            ]
            raise StoreError(
                f"distsim run --resume {self.path}: no complete checkpoint there "
                f"({', '.join(there) or 'none was written'}); the run stopped "
                f"before its first checkpoint was complete: start it again"
            )
        if found[0] != self.final:
            if os.path.exists(self.final):  # incomplete: keep it out of the way
                self._remove(self.final)
            os.rename(found[0], self.final)
            log.warning(
                "checkpoint folder %s: the run stopped while replacing its checkpoint; "
                "resuming from %s (now checkpoint.zarr)",
                self.path,
                os.path.basename(found[0]),
            )
        for leftover in (self.fresh, self.old):
            self._remove(leftover)
        return self.final

    def write(self, sim):
        """Write a checkpoint of ``sim`` (collective) and make it checkpoint.zarr."""
        ctx = sim.context
        if ctx.rank == 0:
            self._remove(self.fresh)  # an earlier attempt's, not completed
        ctx.bcast(None)
        try:
            sim.checkpoint(self.fresh)
        except BaseException:
            if ctx.rank == 0:
                self._remove(self.fresh)
            raise
        if ctx.rank == 0:
            self._remove(self.old)
            if os.path.exists(self.final):
                os.rename(self.final, self.old)
            os.rename(self.fresh, self.final)
            self._remove(self.old)
        ctx.bcast(None)

    @staticmethod
    def _remove(path):
        if kind_of(path) == CHECKPOINT:
            remove_owned(path, CHECKPOINT)


class Progress:
    """Progress on rank 0's stderr: model time, real-time factor (simulation only, as the
    summary's), spikes/s and ETA; a bar redrawn in place on a terminal, plain lines every
    ``every_s`` seconds otherwise (logs); "compiling" while numba compiles."""

    def __init__(self, sim, t_end_ms, every_s=10.0, stream=None, enabled=True):
        import sys

        from .compile_clock import compile_seconds, watch

        self.sim, self.t_end, self.every = sim, t_end_ms, every_s
        self.stream = stream or sys.stderr
        self.enabled = enabled and sim.context.rank == 0
        self.tty = self.stream.isatty()
        self.last = time.monotonic()
        self.start_ms = sim.t
        self.start_run_s = sim.run_seconds
        self.start_spikes = int(sim.counters[1])
        self.compile0 = compile_seconds()
        self.unwatch = watch(self._compiling) if self.enabled else (lambda: None)

    def _compiling(self):
        """numba starts compiling: say so once (the kernels are cached for later runs)."""
        self.unwatch()
        self.stream.write(
            ("\r" if self.tty else "") + "progress: compiling the kernels this "
            "network uses (once: cached for later runs) ...\n"
        )
        self.stream.flush()

    def update(self, final=False):
        from .compile_clock import compile_seconds

        now = time.monotonic()
        if not self.enabled or (not final and not self.tty and now - self.last < self.every):
            return
        self.last = now
        done = self.sim.t - self.start_ms
        total = max(self.t_end - self.start_ms, 1e-12)
        simulated = self.sim.run_seconds - self.start_run_s
        rtf = simulated / (done / 1000.0) if done else float("nan")
        eta = rtf * (total - done) / 1000.0 if done else float("nan")
        rate = (int(self.sim.counters[1]) - self.start_spikes) / simulated if simulated else 0.0
        compiled = compile_seconds() - self.compile0
        text = (
            f"{self.sim.t:10.1f} / {self.t_end:g} ms  RTF {rtf:6.2f}  "
            f"{rate:,.0f} spikes/s (rank 0)  ETA {eta:6.1f} s"
            + (f"  (compiled {compiled:.1f} s)" if compiled >= 0.05 else "")
        )
        if self.tty:
            width = 24
            fill = int(width * done / total)
            self.stream.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {text}")
            if final:
                self.stream.write("\n")
        else:
            self.stream.write(f"progress: {text}\n")
        self.stream.flush()


def run_to_end(sim, plan):
    """Run to plan["t_end_ms"] in chunks of about a second of wall time, showing progress;
    with a checkpoint folder, checkpoint every plan["every_s"] wall seconds and at the end.
    A caught signal stops every rank at the end of a chunk.  Returns how the run ended:
    "complete", "stopped" (a checkpoint was written) or "interrupted"."""
    folder, signals = plan["folder"], plan["signals"]
    progress = Progress(sim, plan["t_end_ms"], enabled=plan["progress"])
    try:
        return _run_chunks(sim, plan, folder, signals, progress)
    except OSError as exc:  # e.g. a full disk: the store already says "failed" and why
        where = (
            f"; run store {sim.writer.path} is marked failed and keeps the data up to "
            f"{sim.writer.flushed_step * sim.dt:.10g} ms"
            if sim.writer is not None
            else ""
        )
        raise SimulationError(f"{failure_reason(exc)}{where}") from None
    finally:
        progress.unwatch()
        signals.restore()


def _run_chunks(sim, plan, folder, signals, progress):
    """The chunk loop of ``run_to_end``."""
    end_step = sim.step + round((plan["t_end_ms"] - sim.t) / sim.dt)
    steps = _FIRST_CHUNK_STEPS
    last_checkpoint = time.monotonic()
    while True:
        caught = signals.caught
        due = folder is not None and time.monotonic() - last_checkpoint >= plan["every_s"]
        flags = sim.context.allreduce(np.array([caught, int(due)], np.int64), "max")
        if flags[0]:
            return _stop(sim, folder, int(flags[0]))
        if flags[1]:
            _checkpoint(sim, folder)
            last_checkpoint = time.monotonic()
        if sim.step >= end_step:
            break
        steps = min(steps, end_step - sim.step)
        t0 = time.perf_counter()
        sim.run(steps * sim.dt, complete=False)
        slowest = sim.context.allreduce(time.perf_counter() - t0, "max")
        progress.update()
        steps = int(min(8 * steps, max(1, steps * _CHUNK_WALL_S / max(slowest, 1e-3))))
    if folder is not None:
        _checkpoint(sim, folder)
    sim.end_run("complete")
    progress.update(final=True)
    return "complete"


def _checkpoint(sim, folder):
    """A checkpoint; if it cannot be written (a full disk), the store says so first."""
    try:
        folder.write(sim)
    except Exception as exc:
        sim.fail(exc)
        raise


def _stop(sim, folder, signum):
    """Every rank stops for signal ``signum``: a checkpoint and "stopped" with a folder,
    "interrupted" without."""
    name = signal.Signals(signum).name
    if folder is not None:
        _checkpoint(sim, folder)
        sim.end_run("stopped", f"{name} at {sim.t:.10g} ms; checkpoint written, resumable")
        return "stopped"
    sim.end_run("interrupted", f"{name} at {sim.t:.10g} ms")
    return "interrupted"
