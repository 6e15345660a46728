"""Poisson and DC stimuli of one rank as flat arrays (kernels/state.py Stimuli): per stimulus
its local targets (CSR), delay and emission window in steps; Poisson counts are drawn in the
step they arrive from streams keyed by (seed, POISSON, stimulus, gid, step), so nothing of
them is kept between steps."""

import math

import numpy as np

from ..kernels import connect as ck
from ..kernels.fixed import to_fixed
from ..kernels.state import Stimuli
from ..rng import POISSON, POISSON_TABLE, poisson_tables, stream_id


def build_stimuli(network, neurons):
    """(Stimuli, the longest stimulus delay in steps) of ``neurons`` (NeuronGroups)."""
    dt = network.dt
    (ptr, local, delay, start, stop), gids = _targets_and_timing(
        network.poisson_inputs, neurons, dt
    )
    lam = np.array([s.rate * dt / 1000.0 for s in network.poisson_inputs])
    tables = [poisson_tables(x) for x in lam]
    keys = [
        ck.keys_for(network.seed, POISSON, stream_id(s.name), g)
        for s, g in zip(network.poisson_inputs, gids)
    ]
    poisson = (
        ptr,
        local,
        _cat(keys, np.uint64),
        lam,
        np.array([t[0] for t in tables], float).reshape(-1, POISSON_TABLE),
        np.array([t[1] for t in tables], np.int64).reshape(-1, POISSON_TABLE),
        np.array([to_fixed(s.weight) for s in network.poisson_inputs], np.int64),
        delay,
        start,
        stop,
    )
    (dc_ptr, dc_local, dc_delay, dc_start, dc_stop), _ = _targets_and_timing(
        network.dc_inputs, neurons, dt
    )
    dc = (
        dc_ptr,
        dc_local,
        np.array([s.amplitude for s in network.dc_inputs], float),
        dc_delay,
        dc_start,
        dc_stop,
    )
    longest = int(max([0, *delay, *dc_delay]))
    return Stimuli(*poisson, *dc, neurons.ss_step, neurons.ss_local), longest


def _targets_and_timing(stimuli, neurons, dt):
    """Shared arrays of a stimulus kind: target CSR (ptr, local index), delay (steps),
    emission window (steps), and the target gids of each stimulus."""
    ptr, local, gids, delay, start, stop = [0], [], [], [], [], []
    for s in stimuli:
        g, idx = neurons.targets(s.target, s.neurons)
        gids.append(g)
        local.append(idx)
        ptr.append(ptr[-1] + idx.size)
        delay.append(int(math.floor(s.delay / dt + 0.5)))
        a, b = _steps_window(s.start, s.stop, dt)
        start.append(a)
        stop.append(b)
    return (
        np.array(ptr, np.int64),
        _cat(local, np.int64),
        np.array(delay, np.int64),
        np.array(start, np.int64),
        np.array(stop, np.int64),
    ), gids


def _steps_window(start, stop, dt):
    """Emission window (start, stop] ms as steps; inf -> int64 max."""
    hi = np.iinfo(np.int64).max if math.isinf(stop) else int(math.floor(stop / dt + 0.5))
    return int(math.floor(start / dt + 0.5)), hi


def _cat(items, dtype):
    return np.concatenate(items).astype(dtype) if items else np.empty(0, dtype)
