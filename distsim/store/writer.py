"""RunWriter: each rank appends its recorded spikes and samples to its own zarr arrays.

A flush appends the buffered data first and then records in the rank's attributes how much
is valid (``flushed_spikes``, ``flushed_samples``, ``flushed_step``); a rank killed in the
middle of a flush therefore leaves a store that is valid up to its previous flush.

The store is written only into a new or empty folder, or over an earlier run store with
``overwrite`` (store/ownership.py); rank 0 holds the folder's lock while the run goes on, so a
second writer is refused and a reader can tell a live run from one whose writer died.
Status: ``running``, then ``complete`` (the whole requested run finished), ``stopped`` (by a
signal, after a checkpoint: resumable), ``interrupted`` (by a signal, without a checkpoint)
or ``failed``; the last three with a ``reason``.
"""

import datetime
import importlib.metadata
import os
import platform
import socket

import numpy as np
import zarr

from distsim.errors import DistsimError

from .network_io import network_attr
from .ownership import RUN_STORE, FolderLock, claim

FORMAT = "distsim-run"
FORMAT_VERSION = 2  # 2: large network arrays under network/ (network_io.py)
CHUNK = 1 << 20  # entries per chunk of the 1-d arrays


def _now():
    return datetime.datetime.now(datetime.UTC).isoformat()


def set_attrs(node, values):
    """Update a zarr node's attributes in one write (``attrs.update`` writes key by key, so
    a process killed in between would leave them inconsistent)."""
    node.attrs.put({**node.attrs.asdict(), **values})


def versions():
    import numba

    import distsim

    out = {
        "distsim": distsim.__version__,
        "numpy": np.__version__,
        "numba": numba.__version__,
        "zarr": zarr.__version__,
        "python": platform.python_version(),
    }
    try:  # the installed version, without importing mpi4py
        out["mpi4py"] = importlib.metadata.version("mpi4py")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a dependency
        pass
    return out


class RunWriter:
    """Writer of one rank.  With ``resume`` it appends to an existing store of the same run,
    continuing from ``sim.step`` (a restored checkpoint): whatever the interrupted run had
    flushed after that step is dropped, since the resumed run computes it again."""

    def __init__(self, path, sim, resume=False, overwrite=False):
        self.path = os.path.abspath(str(path))
        ctx = sim.context
        self.rank = ctx.rank
        self.lock = None
        error = None
        if ctx.rank == 0:
            try:
                self.lock = claim(
                    self.path, RUN_STORE, overwrite=overwrite, what="run store", append=resume
                )
                self._start(sim, resume)
            except DistsimError as exc:
                error = exc
        error = ctx.bcast(error)  # the root exists before the ranks open it
        if error is not None:
            raise error
        self.root = zarr.open_group(self.path, mode="a")
        self.group = self.root.require_group(f"ranks/r{ctx.rank:05d}")
        if "spike_step" not in self.group:
            for name in ("spike_step", "spike_gid"):
                self.group.create_array(name, shape=(0,), dtype="int64", chunks=(CHUNK,))
            set_attrs(
                self.group,
                {
                    "status": "running",
                    "flushed_step": sim.step,
                    "flushed_spikes": 0,
                    "flushed_samples": [0] * len(sim.recorders.samplers),
                },
            )
        for k, s in enumerate(sim.recorders.samplers):
            g = self.group.require_group(f"state/{k}")
            if "step" not in g:
                g.create_array("step", shape=(0,), dtype="int64", chunks=(CHUNK,))
                g.create_array("gid", data=np.asarray(s["gids"], np.int64))
                if "sources" in s:  # weight samples: the synapses' sources
                    g.create_array("source", data=np.asarray(s["sources"], np.int64))
                if "edges" in s:  # weight histograms: the bin edges
                    g.create_array("edges", data=np.asarray(s["edges"], np.float64))
                for var in s["values"]:
                    g.create_array(
                        var,
                        shape=(0, s["gids"].size),
                        dtype="float32",
                        chunks=(max(1, CHUNK // max(1, s["gids"].size)), max(1, s["gids"].size)),
                    )
        self.flushed_spikes = int(self.group.attrs["flushed_spikes"])
        self.flushed_samples = list(self.group.attrs["flushed_samples"])
        self.flushed_step = int(self.group.attrs["flushed_step"])
        self.begin(sim)

    def _start(self, sim, resume):
        """Rank 0: the root of a new store, or of the resumed one declared valid up to the
        restored step."""
        ctx = sim.context
        writer = {"host": socket.gethostname(), "pid": os.getpid(), "since": _now()}
        if resume:
            self._truncate_after(sim.step, ctx.size)
        root = zarr.open_group(self.path, mode="a")
        if not resume:
            net = sim.network
            set_attrs(
                root,
                {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "status": "running",
                    "reason": None,
                    "writer": writer,
                    "network": network_attr(root, net),
                    "seed": int(net.seed),
                    "dt": net.dt,
                    "n_ranks": ctx.size,
                    "decomposition": sim.decomposition.to_dict(),
                    "versions": versions(),
                    "start_time": _now(),
                    "end_time": None,
                    "t_model_ms": 0.0,
                    "runs": [],
                    "state_recorders": [
                        {
                            "population": r.population,
                            "variables": list(r.variables),
                            "interval": r.interval,
                        }
                        for r in net.state_recorders
                    ],
                    "weight_recorders": [
                        {
                            "projection": r.projection,
                            "interval": r.interval,
                            "neurons": list(r.neurons),
                        }
                        for r in net.weight_recorders
                    ],
                },
            )
        else:
            set_attrs(
                root,
                {
                    "status": "running",
                    "reason": None,
                    "n_ranks": ctx.size,
                    "decomposition": sim.decomposition.to_dict(),
                    "writer": writer,
                },
            )

    def _truncate_after(self, step, n_ranks):
        """Declare valid only the entries up to ``step`` in every rank group; groups of ranks
        beyond ``n_ranks`` keep their data but take no part any more ("retired")."""
        try:
            root = zarr.open_group(self.path, mode="a")
        except (FileNotFoundError, zarr.errors.GroupNotFoundError):
            from distsim.errors import StoreError

            raise StoreError(
                f"run store {self.path!r}: nothing to resume there; give the store "
                f"of the interrupted run"
            ) from None
        for name in root["ranks"].group_keys():
            g = root[f"ranks/{name}"]
            n = int(g.attrs["flushed_spikes"])
            keep = int(np.searchsorted(g["spike_step"][:n], step, side="right"))
            samples = [
                int(np.searchsorted(g[f"state/{k}/step"][:m], step, side="right"))
                for k, m in enumerate(g.attrs["flushed_samples"])
            ]
            retired = int(name[1:]) >= n_ranks
            set_attrs(
                g,
                {
                    "flushed_spikes": keep,
                    "flushed_samples": samples,
                    "flushed_step": int(step),
                    "status": "retired" if retired else g.attrs["status"],
                },
            )

    def set_source(self, source):
        """Rank 0: record what the network was built from (``{"example": NAME, "options":
        {...}}`` of ``distsim run``) in the root's ``source`` attribute (distsim analyze
        compares the multi-area model with its mean-field rates)."""
        if self.rank == 0:
            set_attrs(self.root, {"source": source})

    def begin(self, sim):
        """A run starts: the store is running (not complete) until ``close``; rank 0 holds
        its lock meanwhile (taken again after a ``close``, refused if another process took
        it since)."""
        self.run_start_step = sim.step
        self.running = True
        if self.rank == 0 and self.lock is None:
            self.lock = FolderLock(self.path, RUN_STORE, "run store")
        set_attrs(self.group, {"status": "running"})
        if self.rank == 0:
            set_attrs(self.root, {"status": "running", "reason": None})

    def flush(self, steps, gids, samplers, step):
        """Append spikes (steps, gids) and the samplers' buffered samples; then declare them
        valid up to model step ``step``."""
        if steps.size:
            self._append(self.group["spike_step"], self.flushed_spikes, steps)
            self._append(self.group["spike_gid"], self.flushed_spikes, gids)
            self.flushed_spikes += int(steps.size)
        for k, s in enumerate(samplers):
            n = len(s["steps"])
            if n:
                g = self.group[f"state/{k}"]
                self._append(g["step"], self.flushed_samples[k], np.asarray(s["steps"], np.int64))
                for var, vals in s["values"].items():
                    self._append(
                        g[var], self.flushed_samples[k], np.asarray(vals, np.float32).reshape(n, -1)
                    )
                self.flushed_samples[k] += n
        set_attrs(
            self.group,
            {
                "flushed_step": int(step),
                "flushed_spikes": self.flushed_spikes,
                "flushed_samples": self.flushed_samples,
            },
        )
        self.flushed_step = int(step)

    @staticmethod
    def _append(array, valid, data):
        """Write ``data`` after the first ``valid`` entries (dropping any unflushed tail)."""
        if array.shape[0] != valid:
            array.resize((valid,) + array.shape[1:])
        array.append(data)

    def close(self, sim, status, counters, reason=None):
        """End of a run (every rank, after its last flush): its status and reason, and on
        rank 0 the run's span and the lock released."""
        self.running = False
        set_attrs(self.group, {"status": status, "counters": counters})
        if self.rank == 0:
            runs = list(self.root.attrs.get("runs", []))
            runs.append({"start_step": int(self.run_start_step), "end_step": int(sim.step)})
            set_attrs(
                self.root,
                {
                    "status": status,
                    "reason": reason,
                    "end_time": _now(),
                    "runs": runs,
                    "t_model_ms": sim.step * sim.dt,
                },
            )
            self.release()

    def mark(self, status, reason):
        """This rank's part (and on rank 0 the store) ends ``status`` ("failed",
        "interrupted") for ``reason``; as far as the disk still takes it."""
        self.running = False
        try:
            set_attrs(self.group, {"status": status, "reason": reason})
            if self.rank == 0:
                set_attrs(self.root, {"status": status, "reason": reason, "end_time": _now()})
        finally:
            if self.rank == 0:
                self.release()

    def release(self):
        """Let other processes write the store (rank 0 held its lock)."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None
