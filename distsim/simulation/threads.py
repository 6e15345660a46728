"""The threads of one rank (kernels/threads.py): the local neurons each thread owns, and
where its part of every synapse segment and Poisson target list begins."""

import numba
import numpy as np

from ..errors import ConfigError
from ..kernels import threads as kt
from ..kernels.state import Threads

WINDOW_BYTES = 64 << 20  # the threads' spike buffers of a window: at most this many bytes


def check_threads(threads):
    """``threads`` as a number of threads numba can run, or a ConfigError saying why not."""
    limit = numba.config.NUMBA_NUM_THREADS
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ConfigError(f"Simulation: threads {threads!r} is not a whole number >= 1; give one")
    if threads > limit:
        raise ConfigError(
            f"Simulation: {threads} threads per rank exceed numba's {limit} "
            f"(NUMBA_NUM_THREADS, by default the cores); use at most {limit}, or set "
            f"NUMBA_NUM_THREADS={threads} before starting Python"
        )
    return int(threads)


def thread_bounds(n_threads, indegree):
    """Contiguous ranges of local neurons of about equal work, counted as one neuron update
    plus its incoming synapses relative to the mean (int64 [T + 1])."""
    n = indegree.size
    mean = indegree.mean() if n else 0.0
    cost = np.cumsum(1.0 + (indegree / mean if mean > 0 else 0.0))
    total = cost[-1] if n else 0.0
    cuts = np.searchsorted(cost, total * np.arange(1, n_threads) / n_threads, side="right")
    return np.concatenate(([0], cuts, [n])).astype(np.int64)


class RankThreads:
    """``threads`` threads over the ``n_local`` neurons of a rank; ``arrays``: the kernels'
    Threads (state.py).  With several threads the synapses of each static segment of the
    ``table`` (not plastic, not of a device) are grouped by the thread of their target (so
    ``Simulation.connections`` lists a source's synapses onto each thread's neurons
    together; the order changes no result)."""

    def __init__(self, threads, n_local, table, stimuli, network):
        self.n = check_threads(threads)
        self.n_local = n_local
        empty1, empty2 = np.zeros(0, np.int64), np.zeros((0, 0), np.int64)
        if self.n == 1:
            bounds = np.array([0, n_local], np.int64)
            self.arrays = Threads(
                bounds, np.ones(1, np.int64), *[empty2] * 4, *[empty1] * 3, empty2
            )
            return
        bounds = thread_bounds(self.n, kt.in_degree(table.seg, table.syn_target, n_local))
        self.arrays = Threads(
            bounds=bounds,
            window=np.ones(1, np.int64),
            seg_split=kt.group_segments(
                table.seg,
                _movable(network, table),
                table.syn_target,
                table.syn_weight,
                table.syn_delay,
                bounds,
            ),
            pz_split=kt.list_splits(stimuli.pz_ptr, stimuli.pz_local, bounds),
            spiked=empty2,
            spk_end=empty2,
            rows=empty1,
            steps=empty1,
            events=np.zeros(self.n, np.int64),
            cyc=np.zeros((self.n, 3), np.int64),
        )
        self.set_window(1)

    def set_window(self, steps):
        """Let the threads compute up to ``steps`` steps between two deliveries (at most the
        shortest delay of the synapses they deliver; 1 where plastic synapses, event-driven
        groups or procedural synapses must be served step by step), within WINDOW_BYTES of
        spike buffers."""
        if self.n == 1:
            return
        n = max(self.n_local, 1)
        steps = int(max(1, min(steps, WINDOW_BYTES // (8 * (self.n + 2) * n))))
        self.arrays = self.arrays._replace(
            window=np.array([steps], np.int64),
            spiked=np.zeros((self.n, steps * n), np.int64),
            spk_end=np.zeros((self.n, steps), np.int64),
            rows=np.zeros(steps * n, np.int64),
            steps=np.zeros(steps * n, np.int64),
        )

    def use(self):
        """Let numba run this many threads (a setting of the process: set before each run)."""
        if self.n > 1:
            numba.set_num_threads(self.n)


def _movable(network, table):
    """The segments whose synapses may be reordered: neither plastic (their state follows
    their order) nor of a device (its noise is drawn by position)."""
    fixed = np.array(
        [p.synapse is not None or p.device is not None for p in network.projections], np.bool_
    )
    return ~fixed[table.seg_proj] if fixed.size else np.ones(0, np.bool_)
