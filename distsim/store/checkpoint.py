"""Checkpoints: the state of a run at a step, keyed by gid, restorable on any decomposition.

    CKPT.zarr/        attributes: format "distsim-checkpoint", format_version 3, step,
                      network (JSON text), seed, dt, n_ranks, horizon, created,
                      complete (true once every rank has written its part),
                      manifest {array path: SHA-256 of its dtype, shape and bytes}
      network/KEY     the network's large arrays, {"$array": KEY} in its JSON
                      (store/network_io.py)
      ranks/rNNNNN/   gid int64 [n]          the neurons this rank owned
                      state float64 [R, n]   state rows of the models (V_m - E_L, currents...)
                      refractory int32 [n]   remaining refractory steps
                      input int64 [2, H, n]  fixed-point synaptic input (excitatory,
                                             inhibitory) arriving in steps step+1 .. step+H
                      far int64 [3, m]       procedural input beyond the ring (the far
                                             queue): arrival step, gid, fixed-point weight
                      plastic_*              plastic synapses' weights, traces and the
                                             spike histories of their targets, keyed by
                                             gids, and the dopamine arrivals of volume
                                             transmitters of simulated neurons, keyed by
                                             projection (PlasticSynapses.state)

Every array is checked against the manifest when it is read back: a missing, truncated or
altered chunk (zarr reads a missing chunk as zeros) is refused with its name, as is a checkpoint
that was never completed.  Nothing else is needed: random numbers are keyed by (seed, purpose,
gid, step) and so carry no state; Poisson and DC input are drawn in the step they arrive; spike
sources and samplers are positioned by the step.  In-flight spikes are the ``input`` rows: their
contributions are already summed per target neuron, exactly (fixed point), so they can be
redistributed over any number of ranks.
"""

import datetime
import hashlib
import logging

import numpy as np
import zarr

from distsim.errors import DistsimError, StoreError

from .network_io import network_attr
from .ownership import CHECKPOINT, claim
from .writer import set_attrs

log = logging.getLogger(__name__)

FORMAT = "distsim-checkpoint"
FORMAT_VERSION = 3  # 2: large network arrays under network/ (network_io.py); 3: manifest


def array_digest(a):
    """SHA-256 (hex) of an array's dtype, shape and C-ordered bytes."""
    a = np.ascontiguousarray(a)
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
    h.update(memoryview(a.reshape(-1)).cast("B"))
    return h.hexdigest()


def write_checkpoint(sim, path, overwrite=False):
    """Write ``sim``'s state (collective: every rank calls it at the same step) into a new
    path or empty folder, or with ``overwrite`` over an earlier checkpoint."""
    ctx = sim.context
    sim.deliver_pending()
    if sim.remote.waiting:  # all ranks stand at the same step: everything fits
        raise StoreError(f"checkpoint: rank {ctx.rank} holds spikes it cannot place yet")
    horizon = int(ctx.allreduce(sim.ns - 1, "max"))
    lock, error, manifest, network_arrays = None, None, {}, {}
    if ctx.rank == 0:
        try:
            lock = claim(path, CHECKPOINT, overwrite=overwrite, what="checkpoint")
            root = zarr.open_group(str(path), mode="a")
            net = sim.network
            set_attrs(
                root,
                {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "step": int(sim.step),
                    "network": network_attr(root, net, network_arrays),
                    "seed": int(net.seed),
                    "dt": net.dt,
                    "n_ranks": ctx.size,
                    "horizon": horizon,
                    "device_age_s": sim.devices.age_s,
                    "device_reads": sim.devices.reads,
                    "created": datetime.datetime.now(datetime.UTC).isoformat(),
                    "complete": False,
                },
            )
            manifest.update({name: array_digest(a) for name, a in network_arrays.items()})
        except DistsimError as exc:
            error = exc
    error = ctx.bcast(error)
    if error is not None:
        raise error
    prefix = f"ranks/r{ctx.rank:05d}"
    g = zarr.open_group(str(path), mode="a").require_group(prefix)
    parts = {
        "gid": sim.local_gid,
        "state": sim.neurons.st,
        "refractory": sim.neurons.refr,
        "input": sim.input.future(sim.step, horizon),
        **({"far": _far_part(sim)} if sim.input.far else {}),
        **{f"plastic_{key}": value for key, value in sim.plasticity.state().items()},
    }
    mine = {}
    for name, data in parts.items():
        g.create_array(name, data=data)
        mine[f"{prefix}/{name}"] = array_digest(data)
    for part in ctx.gather(mine) or []:  # complete on every rank before it says so
        manifest.update(part)
    if ctx.rank == 0:
        set_attrs(zarr.open_group(str(path), mode="a"), {"manifest": manifest, "complete": True})
        lock.release()
    ctx.allreduce(0)


def _far_part(sim):
    """The far queue's input as int64 [3, m]: arrival step, gid, fixed-point weight."""
    arrival, local, wq = sim.input.far_events(sim.step)
    return np.stack((arrival, sim.local_gid[local], wq))


def read_checkpoint_attrs(path):
    """The root group and attributes of checkpoint ``path``, refused unless it is a complete
    distsim checkpoint this version reads."""
    try:
        root = zarr.open_group(str(path), mode="r")
        attrs = dict(root.attrs)
    except (FileNotFoundError, zarr.errors.GroupNotFoundError, NotADirectoryError):
        raise StoreError(
            f"checkpoint {str(path)!r}: no zarr group there; give the path "
            f"written by Simulation.checkpoint or --checkpoint-dir"
        ) from None
    except (ValueError, TypeError, KeyError, OSError) as exc:
        raise StoreError(
            f"checkpoint {str(path)!r}: its metadata cannot be read ({exc}); the "
            f"checkpoint is damaged; resume from another one"
        ) from None
    if attrs.get("format") != FORMAT:
        raise StoreError(
            f"checkpoint {str(path)!r}: format {attrs.get('format')!r} is not "
            f"{FORMAT!r}; it is not a distsim checkpoint"
        )
    version = attrs.get("format_version", 0)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise StoreError(
            f"checkpoint {str(path)!r}: format version {version!r} is newer than "
            f"this distsim reads ({FORMAT_VERSION}); upgrade distsim"
        )
    if version >= 3 and attrs.get("complete") is not True:
        raise StoreError(
            f"checkpoint {str(path)!r}: was not completed (the run ended while "
            f"writing it); resume from an earlier checkpoint"
        )
    if version < 3:
        log.warning(
            "checkpoint %s: format version %s carries no checksums; its arrays cannot be verified",
            path,
            version,
        )
    return root, attrs


def read_verified(root, attrs, name):
    """Array ``name`` of a checkpoint, checked against its manifest (format 3)."""
    manifest = attrs.get("manifest")
    try:
        data = np.asarray(root[name][:])
    except KeyError:
        raise StoreError(
            f"checkpoint: array {name!r} is missing; the checkpoint is damaged or "
            f"belongs to another network"
        ) from None
    except Exception as exc:  # a chunk that cannot be decoded
        raise StoreError(
            f"checkpoint: array {name!r} cannot be read ({type(exc).__name__}: "
            f"{exc}); the checkpoint is damaged"
        ) from None
    if manifest is not None and manifest.get(name) != array_digest(data):
        raise StoreError(
            f"checkpoint: array {name!r} does not match its checksum (a chunk is "
            f"missing or altered); the checkpoint is damaged; resume from another "
            f"one"
        )
    return data


def verify_layout(root, attrs):
    """Every array of the manifest is present (a missing rank group or array is named)."""
    for name in attrs.get("manifest") or {}:
        try:
            root[name]
        except KeyError:
            raise StoreError(
                f"checkpoint: array {name!r} is missing; the checkpoint is damaged"
            ) from None


def load_checkpoint(sim, root, attrs):
    """Put the checkpointed state of ``sim``'s local neurons into ``sim``."""
    step = int(attrs["step"])
    found = 0
    verify_layout(root, attrs)
    for name in sorted(root["ranks"].group_keys()):
        part = f"ranks/{name}"
        gids = read_verified(root, attrs, f"{part}/gid")
        pos = np.searchsorted(sim.local_gid, gids)
        pos = np.minimum(pos, max(sim.n_local - 1, 0))
        mine = (sim.local_gid[pos] == gids) if sim.n_local else np.zeros(gids.size, bool)
        if not mine.any():
            continue
        idx = pos[mine]
        sim.neurons.st[:, idx] = read_verified(root, attrs, f"{part}/state")[:, mine]
        sim.neurons.refr[idx] = read_verified(root, attrs, f"{part}/refractory")[mine]
        future = read_verified(root, attrs, f"{part}/input")[:, :, mine]
        sim.input.put_future(step, future, idx)
        if "far" in root[part]:
            arrival, gid, wq = read_verified(root, attrs, f"{part}/far")
            pos = np.minimum(np.searchsorted(sim.local_gid, gid), max(sim.n_local - 1, 0))
            here = sim.local_gid[pos] == gid if sim.n_local else np.zeros(gid.size, bool)
            sim.input.put_events(step, arrival[here], pos[here], wq[here])
        found += int(mine.sum())
    if found != sim.n_local:
        raise StoreError(
            f"checkpoint: {sim.n_local - found} of this rank's neurons are missing "
            f"from the checkpoint; it belongs to another network"
        )
    if sim.plasticity.any:  # (arrays a checkpoint of an older distsim lacks are left out)
        keys = sim.plasticity.state().keys()
        parts = [f"ranks/{name}" for name in sorted(root["ranks"].group_keys())]
        sim.load_plastic_state(
            [
                {
                    k: read_verified(root, attrs, f"{part}/plastic_{k}")
                    for k in keys
                    if f"plastic_{k}" in root[part]
                }
                for part in parts
            ]
        )
    if sim.devices.states and attrs.get("device_reads"):  # the same read of the devices again
        sim.devices.restore_read(attrs["device_reads"], attrs["device_age_s"])
    sim.set_step(step)
