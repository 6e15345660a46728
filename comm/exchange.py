"""Spike exchange between ranks: the ``collective``, ``async`` and ``routed`` backends.

A spike travels as one int64 (wire.py) and goes only to the ranks that hold targets of its
neuron (routing.py), once per rank.  Synaptic input is
summed in fixed point, so the order in which spikes arrive does not matter: any schedule
that delivers every spike before the step that reads it gives bit-identical results.
"""

import time

import numpy as np

from distsim.errors import CommunicationError, ConfigError

from .routing import NO_LINK, RankGrid, grid_route, rank_grid
from .wire import MAX_CHUNK, pack

COUNTER_KEYS = (
    "spikes_sent",
    "spikes_received",
    "messages_sent",
    "messages_received",
    "bytes_sent",
    "bytes_received",
    "windows",
    "steps",
    "compute_s",
    "remote_s",
    "wait_s",
    "bookkeeping_s",
)
_SECONDS = ("compute_s", "remote_s", "wait_s", "bookkeeping_s")


def exchange_per_step(ranks):
    """From every rank's counters (``Simulation.rank_counters``): the windows rank 0
    computed between exchanges, and the mean over ranks of the seconds waiting and in
    bookkeeping per computed step, in microseconds."""
    steps = [max(r["steps"], 1) for r in ranks]
    return {
        "windows": int(ranks[0]["windows"]),
        "wait_us_per_step": 1e6 * float(np.mean([r["wait_s"] / n for r, n in zip(ranks, steps)])),
        "bookkeeping_us_per_step": 1e6
        * float(np.mean([r["bookkeeping_s"] / n for r, n in zip(ranks, steps)])),
    }


def pack_outgoing(sim, base):
    """This chunk's outgoing spikes packed (wire.py), grouped by destination rank, and their
    number per rank; empties the queue."""
    steps, local = sim.outgoing()
    r = sim.routing
    return pack(
        steps, local, steps.size, r.send_ptr, r.send_rank, sim.local_gid, base, sim.context.size
    )


def pack_by_destination(sim, base):
    """This chunk's outgoing spikes as one packed int64 array per rank; empties the queue."""
    packed, counts = pack_outgoing(sim, base)
    return np.split(packed, np.cumsum(counts)[:-1])


class _Backend:
    """What every backend counts (``counters``): spikes, messages and bytes sent and
    received; ``windows``, the spans computed between exchanges, and the ``steps`` they hold;
    seconds computing them (``compute_s``), delivering remote spikes (``remote_s``), waiting
    for other ranks (``wait_s``) and the rest of the exchange (``bookkeeping_s``: packing,
    posting, testing, the Python of the schedule)."""

    def __init__(self, sim):
        self.sim = sim
        self.counters = dict.fromkeys(COUNTER_KEYS, 0)
        self.counters.update(dict.fromkeys(_SECONDS, 0.0))

    def describe(self):
        return f"{self.name} exchange"

    def run(self, end):
        """Compute and exchange up to step ``end`` (the backend's schedule: ``_run``)."""
        c = self.counters
        t0, step0, timed0 = time.perf_counter(), self.sim.step, sum(c[k] for k in _SECONDS)
        self._run(end)
        c["steps"] += self.sim.step - step0
        c["bookkeeping_s"] += time.perf_counter() - t0 - (sum(c[k] for k in _SECONDS) - timed0)

    def _compute(self, upto):
        t0 = time.perf_counter()
        self.sim.compute(upto)
        self.counters["compute_s"] += time.perf_counter() - t0
        self.counters["windows"] += 1

    def _deliver(self, packed, base):
        if packed.size:
            t0 = time.perf_counter()
            self.sim.deliver_remote(packed, base)
            self.counters["remote_s"] += time.perf_counter() - t0
        self.counters["spikes_received"] += int(packed.size)
        self.counters["bytes_received"] += int(packed.nbytes)

    def _deliver_pending(self):
        t0 = time.perf_counter()
        self.sim.deliver_pending()
        self.counters["remote_s"] += time.perf_counter() - t0

    def _count_sent(self, sizes, header_words=0):
        """Messages of ``sizes`` spikes (int64 words) each, besides ``header_words`` words
        (a message is sent when it has either)."""
        for n in sizes:
            if n or header_words:
                self.counters["messages_sent"] += 1
            self.counters["spikes_sent"] += int(n)
            self.counters["bytes_sent"] += 8 * (int(n) + header_words)


class CollectiveExchange(_Backend):
    """One all-to-all per window of W = d steps, d the smallest delay between two ranks (as
    NEST's min_delay): every spike emitted in a window arrives after it, so the window's
    spikes are exchanged and delivered before the next window is computed.

    (A double-buffered schedule, W = d / 2 with the exchange of window k finished after
    computing window k + 1, was this backend before: twice the windows, and the exchange's
    Python and MPI calls per window cost more than the overlap gained; measured on Brunel
    order 2500, 2 ranks on 2 cores: RTF 1.16-1.31 against 1.08-1.20, same runs.)
    """

    name = "collective"

    def __init__(self, sim):
        super().__init__(sim)
        la = sim.routing.in_lookahead
        local_min = int(la.min()) if la.size and la.min() != NO_LINK else MAX_CHUNK
        self.window = min(int(sim.context.allreduce(local_min, "min")), MAX_CHUNK)

    def _run(self, end):
        # Schedule of one rank (every rank runs the same windows in lockstep):
        #   for each window (base, base + W]:
        #     compute the window's steps
        #     pack its spikes per destination rank; Ialltoall of the counts, then
        #     Ialltoallv of the spikes; wait for them and deliver the spikes received
        sim = self.sim
        while sim.step < end:
            base = sim.step
            self._compute(min(end, base + self.window))
            packed, counts = pack_outgoing(sim, base)
            self._count_sent(counts)
            buf, counts, waited = sim.context.alltoallv_packed(packed, counts)
            self.counters["wait_s"] += waited
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

    def _run(self, end):
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
            horizon = min(
                end,
                sim.step + MAX_CHUNK,
                sim.pending_horizon(),
                *(self.clock[r] + self.lookahead[r] for r in self.in_ranks),
            )
            if horizon > sim.step:
                base = sim.step
                self._compute(horizon)
                self._deliver_pending()
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
        self._count_sent([per_rank[r].size for r in self.out_ranks], header_words=2)

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
                    f"{ctx.rank}; the ranks disagree about the routing"
                )
            self.counters["messages_received"] += 1
            self.counters["bytes_received"] += 16  # the header
            self.clock[source] = int(msg[0])
            self._deliver(msg[2:], int(msg[1]))
            if block:
                return


class RoutedExchange(_Backend):
    """Hop by hop over a fabric, no global clock: the ranks sit on a 2D grid
    (``sim.rank_grid``, a routing.RankGrid; default a near-square mesh), and a spike moves
    only between grid neighbours (point-to-point messages on MPI's Cartesian communicator),
    along the dimension-ordered route to each rank that needs it, forwarded by the ranks on
    the way, like a packet on a chip fabric.

    Link clocks carry the fabric latency.  Fabric time runs in ticks, Q = 2**20 per step;
    one hop takes lam = ceil(hop_ms / dt * Q) ticks, so a spike emitted at step e that has
    made j hops is at fabric time e Q + j lam.  The link k -> me carries one clock per
    origin rank s whose route crosses it: every spike of s that reaches me over k before
    fabric time T_s has arrived.  After computing up to step S, s stamps its own spikes
    T = (S + 1) Q + lam; a rank forwarding s's spikes stamps its out-link with the clock it
    holds for s plus lam.  A message is [T per origin of the link, n, dest[n], base[n],
    word[n]], sent when the link has packets or one of its clocks rose.

    A spike of s must be delivered here d_s steps after it is emitted, h_s hops away, so
    I may compute up to step min over s of floor((T_s + d_s Q - h_s lam - 1) / Q); the
    latency cancels out (that is E_s + d_s for s's last complete step E_s), because at the
    start a connection is checked to outlast its route: d_s Q >= h_s lam.  Each origin's
    clocks flow down its own route tree, which has no cycles, so the least advanced rank
    can always go on.  A run ends when every clock here has passed (end + 1) Q + j lam: then
    every spike emitted up to the end for this rank or through it is here.  Spikes that
    arrive before they fit the ring wait as in the async backend, so spike trains equal the
    other backends'.  Counters add ``packets_forwarded`` and the packets sent to each grid
    neighbour (``link_packets``, in the order of ``neighbours``).
    """

    name = "routed"
    TICKS = 1 << 20  # fabric ticks per step

    def __init__(self, sim):
        super().__init__(sim)
        ctx, me, Q = sim.context, sim.context.rank, self.TICKS
        grid = sim.rank_grid or RankGrid(rank_grid(ctx.size))
        self.dims, self.periodic = tuple(grid.dims), grid.periodic
        if int(np.prod(self.dims)) != ctx.size:
            raise ConfigError(
                f"routed exchange: a {self.dims[0]}x{self.dims[1]} rank grid "
                f"needs {int(np.prod(self.dims))} ranks, not {ctx.size}"
            )
        self.lam = int(np.ceil(grid.hop_ms / sim.dt * Q))
        slots = ctx.cartesian(self.dims, self.periodic)  # as routing.grid_neighbours
        self.neighbours = list(dict.fromkeys(r for r in slots if r >= 0))
        # every rank learns the smallest delay between every pair of ranks
        delay = np.full((ctx.size, ctx.size), NO_LINK, np.int64)
        delay[:, me] = sim.routing.in_lookahead
        delay = ctx.allreduce(delay, "min")
        self.next_hop = np.array(
            [(grid_route(me, d, self.dims, self.periodic) or [-1])[0] for d in range(ctx.size)],
            np.int64,
        )
        self.hops_in = {}  # (link k, origin s) -> hops s's spikes have made on reaching me
        self.slack = {}  # (k, s) -> d_s Q - h_s lam, for the origins whose route ends here
        self.feed = {}  # (out-link nb, origin s) -> incoming link s's spikes come over
        for s, d in zip(*np.nonzero(delay != NO_LINK)):
            path = [int(s)] + grid_route(int(s), int(d), self.dims, self.periodic)
            self._check_fabric_latency(s, d, len(path) - 1, delay[s, d], grid.hop_ms)
            for j in range(len(path) - 1):
                if path[j] == me and j:
                    self.feed[(path[j + 1], int(s))] = path[j - 1]
                elif path[j] == me:
                    self.feed[(path[1], me)] = None
            if me in path[1:]:
                j = path.index(me)
                self.hops_in[(path[j - 1], int(s))] = j
                if j == len(path) - 1:
                    self.slack[(path[j - 1], int(s))] = int(delay[s, d]) * Q - j * self.lam
        self.out_origins = {}  # out-link -> the origins whose clocks it carries, in order
        for nb, s in sorted(self.feed):
            self.out_origins.setdefault(nb, []).append(s)
        self.in_origins = {}
        for k, s in sorted(self.hops_in):
            self.in_origins.setdefault(k, []).append(s)
        self.clock = {ks: sim.step * Q for ks in self.hops_in}
        self.sent = {nb: np.zeros(len(o), np.int64) for nb, o in self.out_origins.items()}
        self.queue = {nb: [] for nb in self.out_origins}  # (3, n) arrays [dest, base, word]
        self.requests = []
        self.counters["packets_forwarded"] = 0
        self.counters["link_packets"] = [0] * len(self.neighbours)

    def describe(self):
        shape = "torus" if self.periodic else "mesh"
        return (
            f"routed exchange on a {self.dims[0]}x{self.dims[1]} {shape} of ranks, "
            f"{self.lam / self.TICKS * self.sim.dt:g} ms per hop"
        )

    def _check_fabric_latency(self, s, d, hops, delay, hop_ms):
        """Connections from rank s to rank d (smallest delay ``delay`` steps) must outlast
        their route's latency."""
        if hops * hop_ms / self.sim.dt > delay + 1e-9:
            raise ConfigError(
                f"routed exchange: connections from rank {s} to rank {d} have delays down "
                f"to {delay * self.sim.dt:g} ms but cross {hops} fabric hops of "
                f"{hop_ms:g} ms; lengthen those delays to >= {hops * hop_ms:g} ms, place "
                f"the neurons closer or lower the link latency"
            )

    def _run(self, end):
        # Schedule of one rank (no barrier, no collective):
        #   until step == end:
        #     receive every message already here: deliver the packets addressed here,
        #       queue the others for their next hop, raise the clocks; then send each
        #       out-link its queued packets, or its clocks if they rose
        #     horizon = min(end, step + MAX_CHUNK, early spikes' bound,
        #                   min over origins of floor((T_s + d_s Q - h_s lam - 1) / Q))
        #     horizon > step: compute up to it; queue its spikes on their first hop; send
        #     otherwise:      block until a message arrives (counted as waiting)
        #   then go on receiving and forwarding until every clock here has passed
        #   (end + 1) Q + j lam, and wait for the sends
        sim, Q = self.sim, self.TICKS
        for ks, j in self.hops_in.items():  # every spike up to this step is delivered
            self.clock[ks] = max(self.clock[ks], (sim.step + 1) * Q + j * self.lam)
        while sim.step < end:
            self._receive(block=False)
            horizon = min(
                end,
                sim.step + MAX_CHUNK,
                sim.pending_horizon(),
                *((self.clock[ks] + slack - 1) // Q for ks, slack in self.slack.items()),
            )
            if horizon > sim.step:
                base = sim.step
                self._compute(horizon)
                self._deliver_pending()
                self._queue_own(pack_by_destination(sim, base), base)
                self._send()
            else:
                self._receive(block=True)
        while any(self.clock[ks] < (end + 1) * Q + j * self.lam for ks, j in self.hops_in.items()):
            self._receive(block=True)
        t0 = time.perf_counter()
        self.sim.context.wait_all([req for req, _ in self.requests])
        self.counters["wait_s"] += time.perf_counter() - t0
        self.requests = []

    def _queue_own(self, per_rank, base):
        me = self.sim.context.rank
        self._deliver(per_rank[me], base)
        for r, words in enumerate(per_rank):
            if r != me and words.size:
                self.counters["spikes_sent"] += int(words.size)
                self.queue[int(self.next_hop[r])].append(
                    np.stack(
                        (
                            np.full(words.size, r, np.int64),
                            np.full(words.size, base, np.int64),
                            words,
                        )
                    )
                )

    def _send(self):
        """Send each out-link its queued packets, or a null message if its clocks rose."""
        ctx, Q = self.sim.context, self.TICKS
        own = (self.sim.step + 1) * Q
        self.requests = [(q, b) for q, b in self.requests if not q.Test()]
        for nb, origins in self.out_origins.items():
            clocks = (
                np.array(
                    [
                        own if self.feed[(nb, s)] is None else self.clock[(self.feed[(nb, s)], s)]
                        for s in origins
                    ],
                    np.int64,
                )
                + self.lam
            )
            queued = self.queue[nb]
            if not queued and np.all(clocks <= self.sent[nb]):
                continue
            packets = np.concatenate(queued, axis=1) if queued else np.empty((3, 0), np.int64)
            msg = np.concatenate((clocks, [packets.shape[1]], packets.ravel()))
            self.requests.append((ctx.send(msg, nb, grid=True), msg))
            self.sent[nb] = clocks
            self.queue[nb] = []
            self.counters["link_packets"][self.neighbours.index(nb)] += packets.shape[1]
            self.counters["messages_sent"] += 1
            self.counters["bytes_sent"] += 8 * (clocks.size + 1) + 8 * packets.size

    def _receive(self, block):
        """Take every message already here (block: wait for the first), then send."""
        ctx = self.sim.context
        me = ctx.rank
        got_any = False
        while True:
            t0 = time.perf_counter()
            got = ctx.probe_recv(block and not got_any, grid=True)
            if block and not got_any:
                self.counters["wait_s"] += time.perf_counter() - t0
            if got is None:
                break
            got_any = True
            k, msg = got
            origins = self.in_origins.get(k)
            if origins is None or msg.size < len(origins) + 1:
                raise CommunicationError(
                    f"routed exchange: unexpected message from rank {k} on rank {me}; the "
                    f"ranks disagree about the grid or the routing"
                )
            self.counters["messages_received"] += 1
            self.counters["bytes_received"] += 8 * msg.size
            m = len(origins)
            for s, t in zip(origins, msg[:m]):
                self.clock[(k, s)] = max(self.clock[(k, s)], int(t))
            dest, base, words = msg[m + 1 :].reshape(3, int(msg[m]))
            here = dest == me
            for b in np.unique(base[here]):
                self._deliver(words[here & (base == b)], int(b))
            if not here.all():
                away = ~here
                self.counters["packets_forwarded"] += int(away.sum())
                hop = self.next_hop[dest[away]]
                for nb in np.unique(hop):
                    sel = away.copy()
                    sel[away] = hop == nb
                    self.queue[int(nb)].append(np.stack((dest[sel], base[sel], words[sel])))
        if got_any:
            self._send()


BACKENDS = {"collective": CollectiveExchange, "async": AsyncExchange, "routed": RoutedExchange}


def make_exchange(name, sim):
    try:
        cls = BACKENDS[name]
    except KeyError:
        raise ConfigError(
            f"exchange backend {name!r} is not known; use one of {', '.join(BACKENDS)}"
        ) from None
    return cls(sim)
