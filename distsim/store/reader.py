"""RunReader: the spikes and samples of a run store, lazily (dask) or in memory."""

import logging
import os

import dask.array as da
import numpy as np
import zarr

from distsim.errors import StoreError

from .network_io import read_network
from .ownership import is_locked
from .writer import FORMAT, FORMAT_VERSION

log = logging.getLogger(__name__)


def open_run(path, warn=True):
    return RunReader(path, warn)


class RunReader:
    """Read a run store written by RunWriter (any number of ranks)."""

    def __init__(self, path, warn=True):
        """``warn``: log a warning when the run is not complete."""
        self.path = str(path)
        try:  # by its absolute path: dask workers elsewhere read the chunks through it
            self.root = zarr.open_group(os.path.abspath(self.path), mode="r")
            attrs = dict(self.root.attrs)
        except (FileNotFoundError, zarr.errors.GroupNotFoundError, NotADirectoryError):
            raise StoreError(
                f"run store {self.path!r}: no zarr group there; give the path of "
                f"a store written by distsim run"
            ) from None
        except (ValueError, TypeError, KeyError, OSError) as exc:
            raise StoreError(
                f"run store {self.path!r}: its metadata cannot be read ({exc}); "
                f"it is damaged or not a distsim run store"
            ) from None
        if attrs.get("format") != FORMAT:
            raise StoreError(
                f"run store {self.path!r}: format {attrs.get('format')!r} is not "
                f"{FORMAT!r}; it was not written by distsim"
            )
        if attrs.get("format_version", 0) > FORMAT_VERSION:
            raise StoreError(
                f"run store {self.path!r}: format version "
                f"{attrs['format_version']} is newer than this distsim reads "
                f"({FORMAT_VERSION}); upgrade distsim"
            )
        self.attrs = attrs
        self.ranks = [
            self.root[f"ranks/{name}"] for name in sorted(self.root["ranks"].group_keys())
        ]
        if warn and not self.complete:
            log.warning(self.describe_incomplete())

    @property
    def status(self):
        """The stored status, except that a store still ``running`` whose writer no longer
        holds its lock (the process ended without closing it: killed) reads ``interrupted``."""
        status = self.attrs["status"]
        if status == "running" and not is_locked(self.path):
            return "interrupted"
        return status

    @property
    def reason(self):
        """Why the run ended as it did (None for complete runs and live ones)."""
        if self.attrs["status"] == "running" and self.status == "interrupted":
            return "the writing process ended without closing the store (killed?)"
        return self.attrs.get("reason")

    @property
    def complete(self):
        return self.status == "complete"

    @property
    def dt(self):
        return self.attrs["dt"]

    def network(self):
        return read_network(self.root, self.attrs)

    @property
    def source(self):
        """What ``distsim run`` built the network from: {"example", "options"} (None for a
        store written through the Python API)."""
        return self.attrs.get("source")

    def flushed_step(self):
        """Model step up to which every rank's data are in the store (ranks retired by a
        resume on fewer ranks hold everything they will ever hold)."""
        active = [
            int(g.attrs["flushed_step"]) for g in self.ranks if g.attrs["status"] != "retired"
        ]
        return min(active) if active else 0

    def describe_incomplete(self):
        why = f" ({self.reason})" if self.reason else ""
        what = "the run is still going" if self.status == "running" else "the run did not finish"
        return (
            f"run store {self.path!r} is {self.status}{why}, not complete: {what}; its "
            f"data are valid up to step {self.flushed_step()} "
            f"({self.flushed_step() * self.dt:g} ms) on every rank"
        )

    def spikes_dask(self):
        """(steps, gids) as lazy dask arrays over all ranks (only flushed entries)."""
        steps, gids = [], []
        for g in self.ranks:
            n = int(g.attrs["flushed_spikes"])
            steps.append(da.from_zarr(g["spike_step"])[:n])
            gids.append(da.from_zarr(g["spike_gid"])[:n])
        if not steps:
            return da.zeros(0, np.int64), da.zeros(0, np.int64)
        return da.concatenate(steps), da.concatenate(gids)

    def spikes(self):
        """All flushed spikes as numpy (steps, gids), sorted by (step, gid)."""
        steps, gids = (np.asarray(x) for x in da.compute(*self.spikes_dask()))
        order = np.lexsort((gids, steps))
        return steps[order], gids[order]

    def weights(self, index=0):
        """Samples of weight recorder ``index``: dict with 'times' (ms), 'source' and 'target'
        (gids, one per sampled synapse, sorted by target then source) and 'weight'
        (n_samples, n_synapses); and 'edges' and 'histogram' (n_samples, n_bins: counts of
        all the projection's weights, summed over ranks)."""
        k = len(self.attrs["state_recorders"]) + 2 * index
        parts = [
            (g[f"state/{k}"], g[f"state/{k + 1}"], int(g.attrs["flushed_samples"][k]))
            for g in self.ranks
        ]
        n = min(m for _, _, m in parts) if parts else 0
        target = np.concatenate([np.asarray(w["gid"][:]) for w, _, _ in parts])
        source = np.concatenate([np.asarray(w["source"][:]) for w, _, _ in parts])
        weight = np.concatenate([np.asarray(w["weight"][:n]) for w, _, _ in parts], axis=1)
        order = np.lexsort((source, target))
        return {
            "times": np.asarray(parts[0][0]["step"][:n]) * self.dt,
            "source": source[order],
            "target": target[order],
            "weight": weight[:, order],
            "edges": np.asarray(parts[0][1]["edges"][:]),
            "histogram": sum(np.asarray(h["count"][:n], np.float64) for _, h, _ in parts),
        }

    def states(self, index=0):
        """Samples of state recorder ``index`` over all ranks: dict with 'times' (ms), 'gids'
        and one (n_samples, n_neurons) array per variable, neurons in gid order."""
        parts = []
        for g in self.ranks:
            k = int(g.attrs["flushed_samples"][index])
            sg = g[f"state/{index}"]
            parts.append((sg, k))
        variables = self.attrs["state_recorders"][index]["variables"]
        n = min(k for _, k in parts) if parts else 0
        steps = np.asarray(parts[0][0]["step"][:n]) if parts else np.zeros(0, np.int64)
        gids = np.concatenate([np.asarray(sg["gid"][:]) for sg, _ in parts])
        order = np.argsort(gids)
        out = {"times": steps * self.dt, "gids": gids[order]}
        for var in variables:
            out[var] = np.concatenate([np.asarray(sg[var][:n]) for sg, _ in parts], axis=1)[
                :, order
            ]
        return out
