"""The threads of one rank (kernels/threads.py): the local neurons each thread owns, and
where its part of every synapse segment and Poisson target list begins."""

import numba
import numpy as np

from ..errors import ConfigError
from ..kernels import threads as kt
from ..kernels.state import Threads

WINDOW_BYTES = 64 << 20  # the threads' spike buffers of a window: at most this many bytes
BALANCE_STEPS = 1000  # steps the threads run before their ranges are balanced by their work
BALANCE_TOLERANCE = 0.02  # ... unless the busiest thread did at most 2 % more than the mean


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


def neuron_work(indegree):
    """The expected work of each local neuron before any is measured: one update plus its
    incoming synapses relative to the mean (float64 [n])."""
    mean = indegree.mean() if indegree.size else 0.0
    return 1.0 + (indegree / mean if mean > 0 else np.zeros(indegree.size))


def thread_bounds(n_threads, work):
    """Contiguous ranges of local neurons of about equal summed ``work`` (int64 [T + 1])."""
    n = work.size
    cost = np.cumsum(work)
    total = cost[-1] if n else 0.0
    cuts = np.searchsorted(cost, total * np.arange(1, n_threads) / n_threads, side="right")
    return np.concatenate(([0], cuts, [n])).astype(np.int64)


def measured_work(work, bounds, cycles):
    """``work`` rescaled in each thread's range so that the range sums to the processor
    ``cycles`` the thread spent on it: w_i * cycles_k / sum_{j in k} w_j (how a neuron's
    synaptic events depend on its inputs' rates, which the in-degree does not tell)."""
    out = np.array(work, np.float64)
    for k in range(bounds.size - 1):
        part = out[bounds[k] : bounds[k + 1]]
        if part.size and part.sum() > 0:
            part *= cycles[k] / part.sum()
    return out


class RankThreads:
    """``threads`` threads over the ``n_local`` neurons of a rank; ``arrays``: the kernels'
    Threads (state.py).  With several threads the synapses of each static segment of the
    ``table`` (not plastic, not of a device) are grouped by the thread of their target (so
    ``Simulation.connections`` lists a source's synapses onto each thread's neurons
    together; the order changes no result)."""

    def __init__(self, threads, n_local, table, stimuli, network):
        self.n = check_threads(threads)
        self.n_local = n_local
        self.balance_at = -1  # the step at which the threads' work is measured (-1: never)
        empty1, empty2 = np.zeros(0, np.int64), np.zeros((0, 0), np.int64)
        if self.n == 1:
            bounds = np.array([0, n_local], np.int64)
            self.arrays = Threads(
                bounds, np.ones(1, np.int64), *[empty2] * 4, *[empty1] * 3, empty2
            )
            return
        self._table, self._stimuli = table, stimuli
        self._movable = _movable(network, table)
        self.work = neuron_work(kt.in_degree(table.seg, table.syn_target, n_local))
        self.balance_at = None  # BALANCE_STEPS after the first step computed
        self.arrays = Threads(
            bounds=empty1,
            window=np.ones(1, np.int64),
            seg_split=empty2,
            pz_split=empty2,
            spiked=empty2,
            spk_end=empty2,
            rows=empty1,
            steps=empty1,
            events=np.zeros(self.n, np.int64),
            cyc=np.zeros((self.n, 4), np.int64),
        )
        self._split(thread_bounds(self.n, self.work))
        self.set_window(1)

    def _split(self, bounds, seg_split=None):
        """Give thread k the neurons bounds[k] .. bounds[k + 1] - 1: the synapses grouped by
        thread (``seg_split``, or grouped here) and the Poisson targets' split points."""
        table = self._table
        if seg_split is None:
            seg_split = kt.group_segments(
                table.seg,
                self._movable,
                table.syn_target,
                table.syn_weight,
                table.syn_delay,
                bounds,
            )
        pz_split = kt.list_splits(self._stimuli.pz_ptr, self._stimuli.pz_local, bounds)
        self.arrays = self.arrays._replace(bounds=bounds, seg_split=seg_split, pz_split=pz_split)

    def balance(self):
        """Once, after BALANCE_STEPS steps (``balance_at``): move the ranges so that the
        work each thread measured (its processor cycles) would be shared equally, unless
        the busiest thread did at most BALANCE_TOLERANCE more than the mean; only the
        synapses onto neurons that change thread move (kernels/threads.move_cuts).  Call between
        two spans of steps (nothing is left to deliver); the spikes do not change (input
        is a sum of integers: kernels/threads.py).  Returns whether the ranges moved."""
        self.balance_at = -1
        cycles = self.arrays.cyc[:, 3].astype(np.float64)
        self.arrays.cyc[:, 3] = 0
        if cycles.min() <= 0 or cycles.max() <= (1.0 + BALANCE_TOLERANCE) * cycles.mean():
            return False
        old = self.arrays.bounds
        self.work = measured_work(self.work, old, cycles)
        bounds = thread_bounds(self.n, self.work)
        if np.array_equal(bounds, old):
            return False
        if np.all(bounds[1:-1] >= old[:-2]) and np.all(bounds[1:-1] <= old[2:]):
            table, split = self._table, self.arrays.seg_split.copy()
            kt.move_cuts(table.seg, self._movable, table.syn_target, table.syn_weight,
                         table.syn_delay, old, bounds, split)  # fmt: skip
            self._split(bounds, split)
        else:  # a cut passes another's old place: group every synapse again
            self._split(bounds)
        return True

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
