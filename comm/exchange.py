"""Spike exchange between ranks: the ``collective``, ``async`` and ``routed`` backends.

A spike travels as one int64, ``gid << LAG_BITS | (step - base)``, where ``base`` is the
step before the chunk of steps it was emitted in (known to the receiver), and goes only to
the ranks that hold targets of its neuron (routing.py), once per rank.  Synaptic input is
summed in fixed point, so the order in which spikes arrive does not matter: any schedule
that delivers every spike before the step that reads it gives bit-identical results.
"""
import time

import numpy as np

from distsim.errors import CommunicationError, ConfigError

from distsim.kernels.engine import C_OUT, pack_spikes

from .routing import NO_LINK, RankGrid, grid_route, rank_grid

LAG_BITS = 16
MAX_CHUNK = (1 << LAG_BITS) - 1  # steps in one exchange window or async chunk
COUNTER_KEYS = ("spikes_sent", "spikes_received", "messages_sent", "messages_received",
                "bytes_sent", "bytes_received", "compute_s", "wait_s")


def pack_by_destination(sim, base):
    """This chunk's outgoing spikes as one packed int64 array per rank; empties the queue."""
    n = int(sim.counters[C_OUT])
    r = sim.routing
    packed, counts = pack_spikes(sim.out_step, sim.out_local, n, r.send_ptr, r.send_rank,
                                 sim.local_gid, base, LAG_BITS, sim.context.size)
    sim.counters[C_OUT] = 0
    return np.split(packed, np.cumsum(counts)[:-1])


class _Backend:
    def __init__(self, sim):
        self.sim = sim
        self.counters = dict.fromkeys(COUNTER_KEYS, 0)
        self.counters["compute_s"] = self.counters["wait_s"] = 0.0

    def _compute(self, upto):
        t0 = time.perf_counter()
        self.sim._compute(upto)
        self.counters["compute_s"] += time.perf_counter() - t0

    def _deliver(self, packed, base):
        if packed.size:
            self.sim.deliver_remote(packed, base)
        self.counters["spikes_received"] += int(packed.size)
        self.counters["bytes_received"] += int(packed.nbytes)

    def _count_sent(self, per_rank, header_words=0):
        for a in per_rank:
            if a.size or header_words:
                self.counters["messages_sent"] += 1
            self.counters["spikes_sent"] += int(a.size)
            self.counters["bytes_sent"] += int(a.nbytes) + 8 * header_words


class CollectiveExchange(_Backend):
    """Alltoallv once per window of W steps, W <= the smallest delay between ranks.

    With that delay d >= 2, W = d // 2 and the exchange is double-buffered: the spikes of
    window k travel while window k + 1 is computed and are delivered before window k + 2,
    in time because a spike of window k arrives at least 2W steps after it is emitted.
    With d = 1, W = 1 and each step's spikes are exchanged before the next step.
    """

    name = "collective"

    def __init__(self, sim):
        super().__init__(sim)
        la = sim.routing.in_lookahead
        local_min = int(la.min()) if la.size and la.min() != NO_LINK else MAX_CHUNK
        d = min(int(sim.context.allreduce(local_min, "min")), MAX_CHUNK)
        self.pipelined = d >= 2
        self.window = d // 2 if self.pipelined else 1

    def run(self, end):
        # Schedule of one rank (every rank runs the same windows in lockstep):
        #   for each window k = (base, base + W]:
        #     compute the window's steps
        #     pack its spikes per destination rank; start Ialltoall of the counts (k)
        #     pipelined: finish the data exchange of window k - 1 and deliver it
        #     post the data exchange of window k (Ialltoallv)
        #     not pipelined (W = d = 1): finish window k now and deliver it
        #   at the end of run: finish and deliver the last window
        sim = self.sim
        pending = None
        while sim.step < end:
            base = sim.step
            self._compute(min(end, base + self.window))
            per_rank = pack_by_destination(sim, base)
            self._count_sent(per_rank)
            handle = sim.context.start_alltoallv(per_rank)
            if pending is not None:
                self._finish(*pending)
            handle.post_data()
            pending = (handle, base)
            if not self.pipelined:
                self._finish(*pending)
                pending = None
        if pending is not None:
            self._finish(*pending)

    def _finish(self, handle, base):
        buf, counts = handle.finish()
        self.counters["wait_s"] += handle.wait_seconds
        self.counters["messages_received"] += int(np.count_nonzero(counts))
        self._deliver(buf, base)


class AsyncExchange(_Backend):
    """Non-blocking point-to-point messages with neighbour ranks only, no global clock.

    Each incoming link r -> me has a clock c_r (every spike r emitted up to step c_r has
    arrived) and a lookahead L_r (smallest delay on the link).  This rank may compute up to
    min_r(c_r + L_r); after each chunk it sends every out-neighbour one message
    [clock, base, spikes...], empty or not: an empty message still advances that link's
    clock (conservative parallel discrete-event simulation, null messages).  A rank waits
    only when a neighbour's clock holds it back; there is no barrier in the loop.  A
    neighbour may run ahead by up to its own lookahead, so a spike can arrive before its
    arrival steps fit in the ring buffer; the Simulation keeps it until they do and bounds
    the horizon so that it is delivered in time.
    """

    name = "async"

    def __init__(self, sim):
        super().__init__(sim)
        r = sim.routing
        self.in_ranks = [int(x) for x in r.in_ranks]
        self.lookahead = {x: int(r.in_lookahead[x]) for x in self.in_ranks}
        self.clock = {x: sim.step for x in self.in_ranks}
        self.out_ranks = [int(x) for x in r.out_ranks]
        self.requests = []  # (request, buffer) of sends in flight

    def run(self, end):
        # Schedule of one rank:
        #   until step == end:
        #     receive every message already here (deliver its spikes, advance link clocks)
        #     horizon = min(end, step + MAX_CHUNK, min over incoming links of clock + lookahead,
        #                   last step before a spike that arrived early must be delivered)
        #     horizon > step: compute up to the horizon; deliver early spikes now due; send
        #                     each out-neighbour its spikes of the chunk with the new clock
        #                     (an empty message if none)
        #     otherwise:      block until one message arrives (counted as waiting)
        #   then wait until every incoming link's clock reaches end (its spikes that arrive
        #   later are in the ring buffers before the next run), and for the sends to finish
        sim = self.sim
        while sim.step < end:
            self._receive(block=False)
            horizon = min(end, sim.step + MAX_CHUNK, sim.pending_horizon(),
                          *(self.clock[r] + self.lookahead[r] for r in self.in_ranks))
            if horizon > sim.step:
                base = sim.step
                self._compute(horizon)
                sim.deliver_pending()
                self._send(pack_by_destination(sim, base), base)
            else:
                self._receive(block=True)
        while any(self.clock[r] < end for r in self.in_ranks):
            self._receive(block=True)
        t0 = time.perf_counter()
        self.sim.context.wait_all([req for req, _ in self.requests])
        self.counters["wait_s"] += time.perf_counter() - t0
        self.requests = []

    def _send(self, per_rank, base):
        ctx = self.sim.context
        self.requests = [(q, b) for q, b in self.requests if not q.Test()]
        for r in self.out_ranks:
            msg = np.concatenate(([self.sim.step, base], per_rank[r]))
            self.requests.append((ctx.send(msg, r), msg))
        self._count_sent([per_rank[r] for r in self.out_ranks], header_words=2)

    def _receive(self, block):
        ctx = self.sim.context
        while True:
            t0 = time.perf_counter()
            got = ctx.probe_recv(block)
            if block:
                self.counters["wait_s"] += time.perf_counter() - t0
            if got is None:
                return
            source, msg = got
            if source not in self.clock or msg.size < 2:
                raise CommunicationError(
                    f"async exchange: unexpected message from rank {source} on rank "
                    f"{ctx.rank}; the ranks disagree about the routing")
            self.counters["messages_received"] += 1
            self.counters["bytes_received"] += 16  # the header
            self.clock[source] = int(msg[0])
            self._deliver(msg[2:], int(msg[1]))
            if block:
                return


class RoutedExchange(_Backend):
    """Hop by hop over a fabric: the ranks sit on a 2D grid (``sim.rank_grid``, a
    routing.RankGrid; default a near-square mesh) and a spike moves only
    between grid neighbours (MPI Cartesian topology, neighbourhood collectives), along the
    dimension-ordered route to each rank that needs it, like a packet on a chip fabric.

    Windows of W = the smallest delay between ranks: after computing a window, the packets
    [destination, spike] make as many neighbour exchanges as the grid's diameter, each rank
    forwarding what is not its own one hop on; all arrive before the next window is
    computed, so spike trains equal the direct exchange's.  A connection between ranks h
    hops apart must have a delay >= h * the grid's ``hop_ms`` (checked at the start).
    Counters add ``packets_forwarded`` and the packets sent over each of this rank's links.
    """

    name = "routed"

    def __init__(self, sim):
        super().__init__(sim)
        ctx = sim.context
        grid = sim.rank_grid or RankGrid(rank_grid(ctx.size))
        self.dims, self.periodic = tuple(grid.dims), grid.periodic
        if int(np.prod(self.dims)) != ctx.size:
            raise ConfigError(f"routed exchange: a {self.dims[0]}x{self.dims[1]} rank grid "
                              f"needs {int(np.prod(self.dims))} ranks, not {ctx.size}")
        self.neighbours = ctx.cartesian(self.dims, self.periodic)  # as routing.grid_neighbours
        self.next_hop = np.full(ctx.size, -1, np.int64)  # neighbour slot towards each rank
        self.hops = np.zeros(ctx.size, np.int64)
        for dst in range(ctx.size):
            path = grid_route(ctx.rank, dst, self.dims, self.periodic)
            if path:
                self.next_hop[dst] = self.neighbours.index(path[0])
                self.hops[dst] = len(path)
        self.diameter = sum((n // 2 if self.periodic else n - 1) for n in self.dims)
        la = sim.routing.in_lookahead
        local_min = int(la.min()) if la.size and la.min() != NO_LINK else MAX_CHUNK
        self.window = min(int(ctx.allreduce(local_min, "min")), MAX_CHUNK)
        self._check_fabric_latency(grid.hop_ms)
        self.counters["packets_forwarded"] = 0
        self.counters["link_packets"] = [0] * len(self.neighbours)

    def _check_fabric_latency(self, hop_ms):
        """Every connection from another rank must outlast the route's latency."""
        sim = self.sim
        hop_steps = hop_ms / sim.dt
        la = sim.routing.in_lookahead
        for src in np.flatnonzero(la != NO_LINK):
            hops = len(grid_route(int(src), sim.context.rank, self.dims, self.periodic))
            if hops * hop_steps > la[src] + 1e-9:
                raise ConfigError(
                    f"routed exchange: connections from rank {src} to rank "
                    f"{sim.context.rank} have delays down to {la[src] * sim.dt:g} ms but cross "
                    f"{hops} fabric hops of {hop_ms:g} ms; lengthen those delays to >= "
                    f"{hops * hop_ms:g} ms or place the neurons closer")

    def run(self, end):
        # Schedule of one rank (all ranks in lockstep):
        #   for each window (base, base + W]:
        #     compute the window; pack its spikes per destination rank
        #     diameter times: send every packet not addressed here one hop on (neighbour
        #       collective), deliver those that reached this rank
        sim = self.sim
        me = sim.context.rank
        while sim.step < end:
            base = sim.step
            self._compute(min(end, base + self.window))
            per_rank = pack_by_destination(sim, base)
            self._count_sent(per_rank)
            self._deliver(per_rank[me], base)
            dest = np.concatenate([np.full(a.size, r, np.int64) for r, a in enumerate(per_rank)
                                   if r != me] or [np.empty(0, np.int64)])
            words = np.concatenate([a for r, a in enumerate(per_rank) if r != me]
                                   or [np.empty(0, np.int64)])
            for _ in range(self.diameter):
                dest, words = self._hop(dest, words, base)
            if dest.size:
                raise CommunicationError(
                    f"routed exchange: rank {me} still holds {dest.size} packets after "
                    f"{self.diameter} hops; the ranks disagree about the grid")

    def _hop(self, dest, words, base):
        """Send each packet one hop towards its destination; deliver the arrivals; return
        the packets still travelling."""
        slot = self.next_hop[dest]
        out = []
        for k in range(len(self.neighbours)):
            mine = slot == k
            out.append(np.concatenate((dest[mine], words[mine])))
            self.counters["link_packets"][k] += int(mine.sum())
        t0 = time.perf_counter()
        got = self.sim.context.neighbor_alltoallv(out)
        self.counters["wait_s"] += time.perf_counter() - t0
        me = self.sim.context.rank
        dest_in, words_in = [], []
        for a in got:
            n = a.size // 2
            d, w = a[:n], a[n:]
            self.counters["messages_received"] += int(n > 0)
            arrived = d == me
            self._deliver(w[arrived], base)
            dest_in.append(d[~arrived])
            words_in.append(w[~arrived])
        dest = np.concatenate(dest_in) if dest_in else np.empty(0, np.int64)
        self.counters["packets_forwarded"] += int(dest.size)
        return dest, (np.concatenate(words_in) if words_in else np.empty(0, np.int64))


BACKENDS = {"collective": CollectiveExchange, "async": AsyncExchange, "routed": RoutedExchange}


def make_exchange(name, sim):
    try:
        cls = BACKENDS[name]
    except KeyError:
        raise ConfigError(
            f"exchange backend {name!r} is not known; use one of {', '.join(BACKENDS)}") from None
    return cls(sim)
