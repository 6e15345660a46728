"""Spikes of other ranks' neurons, as the exchange hands them over (comm/wire.py format).

A spike is delivered into the ring buffers once all its arrival steps fall within the ring
(step + d <= now + ns - 1 for its longest delay) and, for a source with plastic synapses
here, once this rank has computed step - d for its shortest delay (the weight update reads
the targets' spikes up to then); a spike from a rank that runs ahead waits until then, and
``horizon`` bounds how far this rank may compute before it must be delivered.  Spikes of
dopamine neurons add their arrivals first (PlasticSynapses.vt_arrivals).  Spikes of sources
of procedural projections onto the rank are delivered at once: their synapses are
regenerated, and what arrives beyond the ring waits in the far queue.
"""

import numpy as np

from ..comm.wire import LAG_BITS, unpack
from ..errors import CommunicationError


class RemoteSpikes:
    """The waiting remote spikes of a rank with source rows ``row_gid`` (their delays'
    bounds ``row_min_delay``/``row_max_delay``, steps) and ``plasticity``
    (PlasticSynapses); ``deliver(rows, steps, n)`` puts spikes into the ring;
    ``deliver_procedural(gids, steps)`` those of the sources of ``procedural``
    (ProceduralSynapses)."""

    def __init__(
        self,
        row_gid,
        row_min_delay,
        row_max_delay,
        plasticity,
        deliver,
        rank,
        procedural,
        deliver_procedural,
    ):
        self.row_gid, self.row_min_delay, self.row_max_delay = (
            row_gid,
            row_min_delay,
            row_max_delay,
        )
        self.plasticity, self.deliver, self.rank = plasticity, deliver, rank
        self.procedural = procedural if procedural.here else None
        self.deliver_procedural = deliver_procedural
        self.steps = np.empty(0, np.int64)
        self.rows = np.empty(0, np.int64)

    @property
    def waiting(self):
        return int(self.steps.size)

    def take(self, packed, base, step, ns):
        """Take packed spikes emitted after step ``base``; this rank stands at ``step``."""
        if self.plasticity.vt_gid.size:
            packed = self.plasticity.vt_arrivals(packed, base)
        self.deliver_due(step, ns)  # a source's earlier spikes first (plastic synapses need it)
        unknown = 0
        if self.procedural is not None:
            gids = packed >> LAG_BITS
            proc = self.procedural.is_source(gids)
            if proc.any():
                lag = packed[proc] & ((1 << LAG_BITS) - 1)
                self.deliver_procedural(gids[proc], base + lag)
            pos = np.minimum(np.searchsorted(self.row_gid, gids), max(self.row_gid.size - 1, 0))
            stored = self.row_gid[pos] == gids if self.row_gid.size else np.zeros_like(proc)
            unknown = int(np.count_nonzero(~proc & ~stored))
            packed = packed[stored]
        steps = np.empty(packed.size, np.int64)
        rows = np.empty(packed.size, np.int64)
        n_due, unknown_rows = unpack(
            packed, base, self.row_gid, self.row_max_delay, step + ns - 1, steps, rows
        )
        unknown += unknown_rows
        if unknown:
            raise CommunicationError(
                f"rank {self.rank} received {unknown} spikes of gids it has no synapses "
                f"from; the ranks disagree about the routing"
            )
        if n_due == packed.size and not self.plasticity.remote_may_wait:
            self.deliver(rows, steps, n_due)  # all due, in arrival order: the common case
            return
        # unpack filled the waiting ones from the end: arrival order back
        order = np.r_[np.arange(n_due), np.arange(packed.size - 1, n_due - 1, -1)]
        steps, rows = steps[order], rows[order]
        due = np.arange(packed.size) < n_due
        due &= ~self.plasticity.too_early(rows, steps, step)
        if not due.all():  # keep a source's order: nothing after its first waiting spike
            first_wait = np.flatnonzero(~due)[0]
            due[first_wait:] = False
        self.deliver(rows[due], steps[due], int(due.sum()))
        if not due.all():
            self.steps = np.concatenate((self.steps, steps[~due]))
            self.rows = np.concatenate((self.rows, rows[~due]))

    def deliver_due(self, step, ns):
        """Deliver the waiting spikes whose arrival steps now all fit in the ring."""
        if self.steps.size == 0:
            return
        due = self.steps + self.row_max_delay[self.rows] <= step + ns - 1
        due &= ~self.plasticity.too_early(self.rows, self.steps, step)
        rows, steps = self.rows[due], self.steps[due]
        self.rows, self.steps = self.rows[~due], self.steps[~due]
        self.deliver(rows, steps, rows.size)

    def horizon(self):
        """Last step that may be computed before a waiting spike must be delivered."""
        if self.steps.size == 0:
            return np.iinfo(np.int64).max
        return int((self.steps + self.row_min_delay[self.rows]).min() - 1)
