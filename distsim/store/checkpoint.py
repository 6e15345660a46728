"""Checkpoints: the state of a run at a step, keyed by gid, restorable on any decomposition.

    CKPT.zarr/        attributes: format "distsim-checkpoint", format_version 2, step,
                      network (JSON text), seed, dt, n_ranks, horizon, created
      network/KEY     the network's large arrays, {"$array": KEY} in its JSON
                      (store/network_io.py)
      ranks/rNNNNN/   gid int64 [n]          the neurons this rank owned
                      state float64 [R, n]   state rows of the models (V_m - E_L, currents...)
                      refractory int32 [n]   remaining refractory steps
                      input int64 [2, H, n]  fixed-point synaptic input (excitatory,
                                             inhibitory) arriving in steps step+1 .. step+H
                      plastic_*              plastic synapses' weights, traces and the
                                             spike histories of their targets, keyed by
                                             gids, and the dopamine arrivals of volume
                                             transmitters of simulated neurons, keyed by
                                             projection (Simulation.plastic_state)

Nothing else is needed: random numbers are keyed by (seed, purpose, gid, step) and so carry
no state; Poisson and DC input are drawn in the step they arrive; spike sources and
samplers are positioned by the step.  In-flight spikes are the ``input`` rows: their
contributions are already summed per target neuron, exactly (fixed point), so they can be
redistributed over any number of ranks.
"""
import datetime

import numpy as np
import zarr

from distsim.errors import StoreError

from .network_io import network_attr
from .writer import set_attrs

FORMAT = "distsim-checkpoint"
FORMAT_VERSION = 2  # 2: large network arrays under network/ (network_io.py)


def write_checkpoint(sim, path):
    """Write ``sim``'s state (collective: every rank calls it at the same step)."""
    ctx = sim.context
    sim.deliver_pending()
    if sim._pending_steps.size:  # all ranks stand at the same step: everything fits
        raise StoreError(f"checkpoint: rank {ctx.rank} holds spikes it cannot place yet")
    horizon = int(ctx.allreduce(sim.ns - 1, "max"))
    if ctx.rank == 0:
        root = zarr.open_group(str(path), mode="w")
        net = sim.network
        set_attrs(root, {
            "format": FORMAT, "format_version": FORMAT_VERSION, "step": int(sim.step),
            "network": network_attr(root, net), "seed": int(net.seed), "dt": net.dt,
            "n_ranks": ctx.size, "horizon": horizon,
            "device_age_s": sim.device_age_s,
            "device_reads": sim._devices[0].reads if sim._devices else 0,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat()})
    ctx.bcast(None)
    g = zarr.open_group(str(path), mode="a").require_group(f"ranks/r{ctx.rank:05d}")
    n, ns = sim.n_local, sim.ns
    future = np.zeros((2, horizon, n), np.int64)
    for j in range(ns - 1):
        slot = (sim.step + 1 + j) % ns
        future[0, j] = sim.ring[slot]
        future[1, j] = sim.ring[ns + slot]
    g.create_array("gid", data=sim.local_gid)
    g.create_array("state", data=sim.st)
    g.create_array("refractory", data=sim.refr)
    g.create_array("input", data=future)
    for key, value in sim.plastic_state().items():
        g.create_array(f"plastic_{key}", data=value)
    ctx.allreduce(0)  # complete on every rank before anyone goes on


def read_checkpoint_attrs(path):
    try:
        root = zarr.open_group(str(path), mode="r")
    except (FileNotFoundError, zarr.errors.GroupNotFoundError):
        raise StoreError(f"checkpoint {str(path)!r}: no zarr group there; give the path "
                         f"written by Simulation.checkpoint or --checkpoint-dir") from None
    attrs = dict(root.attrs)
    if attrs.get("format") != FORMAT:
        raise StoreError(f"checkpoint {str(path)!r}: format {attrs.get('format')!r} is not "
                         f"{FORMAT!r}; it is not a distsim checkpoint")
    if attrs.get("format_version", 0) > FORMAT_VERSION:
        raise StoreError(f"checkpoint {str(path)!r}: format version {attrs['format_version']} "
                         f"is newer than this distsim reads ({FORMAT_VERSION}); upgrade distsim")
    return root, attrs


def load_checkpoint(sim, root, attrs):
    """Put the checkpointed state of ``sim``'s local neurons into ``sim``."""
    step = int(attrs["step"])
    ns = sim.ns
    found = 0
    for name in sorted(root["ranks"].group_keys()):
        g = root[f"ranks/{name}"]
        gids = np.asarray(g["gid"][:])
        pos = np.searchsorted(sim.local_gid, gids)
        pos = np.minimum(pos, max(sim.n_local - 1, 0))
        mine = (sim.local_gid[pos] == gids) if sim.n_local else np.zeros(gids.size, bool)
        if not mine.any():
            continue
        idx = pos[mine]
        sim.st[:, idx] = np.asarray(g["state"][:])[:, mine]
        sim.refr[idx] = np.asarray(g["refractory"][:])[mine]
        future = np.asarray(g["input"][:])[:, :, mine]
        for j in range(future.shape[1]):
            if j >= ns - 1:
                if future[:, j].any():
                    raise StoreError(
                        f"checkpoint: input {j + 1} steps ahead exceeds the delays of this "
                        f"network ({ns - 1} steps); the checkpoint belongs to another network")
                continue
            slot = (step + 1 + j) % ns
            sim.ring[slot, idx] = future[0, j]
            sim.ring[ns + slot, idx] = future[1, j]
        found += int(mine.sum())
    if found != sim.n_local:
        raise StoreError(f"checkpoint: {sim.n_local - found} of this rank's neurons are missing "
                         f"from the checkpoint; it belongs to another network")
    if sim.plast[4].size:  # (arrays a checkpoint of an older distsim lacks are left out)
        keys = sim.plastic_state().keys()
        ranks = [root[f"ranks/{name}"] for name in sorted(root["ranks"].group_keys())]
        sim.load_plastic_state([{k: np.asarray(g[f"plastic_{k}"][:]) for k in keys
                                 if f"plastic_{k}" in g} for g in ranks])
    if sim._devices and attrs.get("device_reads"):  # the same read of the devices again
        for state in sim._devices:
            state.reads = int(attrs["device_reads"]) - 1
        sim.age_devices(attrs["device_age_s"])
    sim.set_step(step)
