"""Plastic synapses of one rank (models/synapses.py, kernels/plasticity.py): their weights in
float64, per presynaptic segment the traces, per target neuron the postsynaptic traces and
spike history, and the dopamine arrivals of volume transmitters (kernels/state.py Plastic).

``state``/``load`` give and take this state keyed independently of the partition, so a
checkpoint restores onto any number of ranks.  Volume transmitters of simulated neurons
need every spike of their neurons on each rank holding synapses of the rule they feed:
``with_vt_routing`` adds those routes, ``vt_arrivals`` takes the arrivals of remote ones.
"""

import numpy as np

from .. import arrays
from ..comm.wire import LAG_BITS
from ..connectivity import SEG_BASE, SEG_START, SEG_WOFS, projection_synapses
from ..distributions import Uniform, is_distribution
from ..errors import CommunicationError, ModelError, StoreError
from ..kernels.plasticity import (
    DA_CAP,
    DA_DELAY,
    DA_KNOWN,
    DA_LEN,
    DA_NEED,
    DA_START,
    H_KEY,
    H_LEN,
    H_TROW,
    N_DA_COLS,
    N_RULE_PAR,
    N_VIEW_COLS,
    exp_table,
    flush_views,
    set_views,
    vt_spikes,
)
from ..kernels.state import Plastic

DA_INITIAL_CAPACITY = 64  # dopamine arrivals of a simulated volume transmitter, grown x2


class PlasticSynapses:
    """The plastic state of the synapses in ``table`` onto ``neurons`` (NeuronGroups);
    ``arrays``: the kernels' Plastic, replaced when a history or the dopamine arrivals
    grow; ``row_plastic``/``row_lead``: per source row, whether it has plastic synapses here
    whose rule reads the targets' spikes (STDP; not the short-term rules) and how many steps
    before this rank computes a step a remote spike of it may be processed (its shortest
    delay; 0 with dopamine of simulated neurons); ``remote_may_wait``: some row has (else
    ``too_early`` is never true); ``da_proj``: the
    projection of each rule, ``da_live``/``da_present``/``da_save``: the rules whose volume
    transmitter is simulated neurons, of those the ones with synapses here, and the ones
    whose arrivals this rank writes into checkpoints."""

    def __init__(self, network, table, neurons, context, decomposition, row_min_delay):
        self.network, self.table, self.neurons = network, table, neurons
        self.context, self.decomposition = context, decomposition
        self.local_gid, self.n_local, self.dt = neurons.local_gid, neurons.n_local, network.dt
        self._build()
        self.row_lead = np.where(self._row_live_dopa, 0, row_min_delay)

    @property
    def any(self):
        """True when some local synapses are plastic."""
        return bool(self.arrays.syn_pw.size)

    def kernel_rules(self):
        """(kind, pairing) of every plastic rule of the network, sorted (kernels/compose.py)."""
        from ..kernels.plasticity import C_PAIRING

        rp = self.arrays.rule_par
        return tuple(sorted({(int(r[0]), int(r[C_PAIRING])) for r in rp}))

    def too_early(self, rows, steps, step):
        """Spikes of sources with plastic synapses here whose targets' spikes up to
        step - (shortest delay) are not all computed yet (this rank stands at ``step``), or,
        for dopamine synapses of a volume transmitter of simulated neurons, whose step is not
        computed yet: then every dopamine spike arriving up to the spike's step is here (it
        was emitted at least a vt delay before, and the exchange has delivered every spike
        emitted up to the computed step minus the lookahead, which is at most the vt
        delay)."""
        if not self.remote_may_wait:
            return np.zeros(rows.size, np.bool_)
        return self._row_plastic[rows] & (steps - self.row_lead[rows] > step)

    def dopamine_room(self):
        from ..kernels.plasticity import dopamine_room

        return dopamine_room(self.arrays.da_ptr)

    def dopamine(self):
        """The dopamine arrivals: (da_ptr, da_time ms, da_mult), kernels/plasticity.py."""
        a = self.arrays
        return a.da_ptr, a.da_time, a.da_mult

    def known_up_to(self, step):
        """Every dopamine arrival up to ``step`` is in (a restored checkpoint's)."""
        da_ptr = self.arrays.da_ptr
        da_ptr[self.da_live, DA_KNOWN] = np.maximum(da_ptr[self.da_live, DA_KNOWN], step)

    def _build(self):
        """Plastic projections (models/synapses.py, kernels/plasticity.py): their weights in
        float64 (``syn_pw``), per segment the presynaptic traces, per target neuron the
        postsynaptic traces and spike history."""
        net, tb = self.network, self.table
        n_rows = tb.seg.shape[0]
        self.seg_plastic = arrays.full(n_rows, -1, np.int64)
        plastic = [p for p in net.projections if p.synapse is not None]
        segs = [np.flatnonzero(tb.seg_proj == p.index) for p in plastic]
        n_seg = sum(s.size for s in segs)
        lengths = (
            np.concatenate([tb.seg[s + 1, SEG_START] - tb.seg[s, SEG_START] for s in segs])
            if n_seg
            else np.empty(0, np.int64)
        )
        pl_meta = np.zeros((n_seg, 3), np.int64)
        pl_state = np.zeros((n_seg, 4))
        syn_pw = np.zeros(int(lengths.sum()), np.float64)
        n_in = np.zeros(self.n_local if plastic else 0, np.int64)
        p = ofs = 0
        for r, (proj, seg_ids) in enumerate(zip(plastic, segs)):
            exact = self._initial_weights(proj)
            first = ofs
            for sg in seg_ids:
                a, b = tb.seg[sg, SEG_START], tb.seg[sg + 1, SEG_START]
                wofs = tb.seg[sg, SEG_WOFS]
                if wofs >= 0:  # per-synapse weights (drawn or listed); a constant: ``exact``
                    syn_pw[ofs : ofs + b - a] = tb.syn_weight[wofs : wofs + b - a]
                if proj.synapse.reads_post:  # its targets keep a spike history for it
                    n_in += np.bincount(
                        tb.syn_target[a:b] + tb.seg[sg, SEG_BASE], minlength=self.n_local
                    )
                pl_meta[p] = ofs, r, proj.receptor_type
                pl_state[p] = proj.synapse.initial_state()
                self.seg_plastic[sg] = p
                ofs += b - a
                p += 1
            if exact is not None:  # one value, or in the order of the table: segments as above
                syn_pw[first:ofs] = exact
        post_par = np.zeros((n_in.size, 2))
        for pop in net.populations.values():
            lo, hi = self.neurons.pop_slice[pop.name]
            if n_in.size and n_in[lo:hi].any():
                taus = [pop.model.values()[k] for k in ("tau_minus", "tau_minus_triplet")]
                if not all(isinstance(x, float) and x > 0 for x in taus):
                    raise ModelError(
                        f"Population '{pop.name}': tau_minus and tau_minus_triplet "
                        f"of a target of plastic synapses must be positive "
                        f"constants (ms); got {taus}"
                    )
                post_par[lo:hi] = taus
        cap = 16 if plastic else 0
        rule_par = (
            np.array([proj.synapse.rule_row() for proj in plastic])
            if plastic
            else np.zeros((0, N_RULE_PAR))
        )
        tau_minus = np.unique(post_par[n_in > 0, 0])  # a decay table row each (exp_table)
        post_par = np.c_[post_par, len(rule_par) + np.searchsorted(tau_minus, post_par[:, 0])]
        seg_row = np.searchsorted(tb.seg_ptr, np.arange(n_rows - 1), side="right") - 1
        self._row_plastic = np.zeros(tb.row_gid.size, np.bool_)
        # remote spikes of sources whose rule reads the targets' spikes wait for them
        reads = np.array([proj.synapse.reads_post for proj in plastic], np.bool_)
        live = self.seg_plastic[: n_rows - 1]
        seg_reads = np.zeros(live.size, np.bool_)
        seg_reads[live >= 0] = reads[pl_meta[live[live >= 0], 1]]
        self._row_plastic[seg_row[seg_reads]] = True
        self.remote_may_wait = bool(self._row_plastic.any())
        da_ptr, da_time, da_mult, vt_local, vt_ptr, vt_rule = self._build_dopamine(
            plastic, np.unique(pl_meta[:, 1])
        )
        self._row_live_dopa = np.zeros(tb.row_gid.size, np.bool_)
        live_seg = np.flatnonzero(self.seg_plastic[: n_rows - 1] >= 0)
        live_seg = live_seg[np.isin(pl_meta[self.seg_plastic[live_seg], 1], self.da_live)]
        self._row_live_dopa[seg_row[live_seg]] = True
        history = _empty_history(post_par, cap)
        self.arrays = Plastic(
            self.seg_plastic,
            pl_state,
            pl_meta,
            rule_par,
            syn_pw,
            post_par,
            np.zeros((n_in.size, 3)),
            n_in,
            history,
            np.zeros(int(lengths.max(initial=0)), np.float64),
            np.zeros(
                (syn_pw.size if any(proj.synapse.per_synapse_state for proj in plastic) else 0, 3)
            ),
            da_ptr,
            da_time,
            da_mult,
            exp_table(rule_par, tau_minus, self.dt),
            vt_local,
            vt_ptr,
            vt_rule,
            _views(history),
        )

    def _build_dopamine(self, plastic, present):
        """The dopamine arrivals of each plastic projection's volume transmitter
        (kernels/plasticity.py: ``da_ptr`` per rule, ``da_time`` ms, first NEST's pseudo spike
        at 0 ms, ``da_mult`` multiplicities) and where the spikes of the dopamine neurons go:
        ``vt_local[i]`` (local neuron i's position in ``self.vt_gid``, -1 for the others;
        empty without local dopamine neurons), ``vt_ptr``/``vt_rule`` (rules fed by each
        neuron of ``self.vt_gid``).  A spike_source transmitter's arrivals are all known
        now; those of simulated neurons are added as the neurons spike, on the ranks that
        hold synapses of the rule (``present``), which therefore need every spike of them:
        ``_with_vt_routing``."""
        net, dt = self.network, self.dt
        da_ptr = np.zeros((len(plastic), N_DA_COLS), np.int64)
        da_ptr[:, DA_KNOWN] = -1
        times, mults = [], []
        self.da_live = []  # rules whose volume transmitter is made of simulated neurons
        self.da_proj = np.array([proj.index for proj in plastic], np.int64)
        feed_gid, feed_rule = [], []
        for r, proj in enumerate(plastic):
            vt = getattr(proj.synapse, "vt", None)
            if not vt:
                times.append(np.empty(0))
                mults.append(np.empty(0))
                continue
            pop = net.populations[vt]
            delay = int(round(proj.synapse.vt_delay / dt))
            da_ptr[r, DA_DELAY] = delay
            if pop.model.is_source_only:  # every arrival known now (bit for bit as before)
                steps = np.concatenate(
                    [np.round(np.asarray(ts) / dt).astype(np.int64) for ts in pop.model.spike_times]
                    or [np.empty(0, np.int64)]
                )
                arrival, count = np.unique(steps + delay, return_counts=True)
                times.append(np.r_[0.0, arrival * dt])
                mults.append(np.r_[0.0, count.astype(np.float64)])
                da_ptr[r, DA_LEN] = times[-1].size
            else:
                self.da_live.append(r)
                times.append(np.zeros(DA_INITIAL_CAPACITY))  # the pseudo spike (0 ms, 0)
                mults.append(np.zeros(DA_INITIAL_CAPACITY))
                da_ptr[r, DA_LEN] = 1
                if r in present:
                    feed_gid.append(np.arange(pop.first_gid, pop.first_gid + pop.size))
                    feed_rule.append(np.full(pop.size, r, np.int64))
            da_ptr[r, DA_CAP] = times[-1].size
        da_ptr[:, DA_START] = np.cumsum(da_ptr[:, DA_CAP]) - da_ptr[:, DA_CAP]
        self.vt_live_anywhere = bool(self.da_live)  # a property of the network: every rank
        gid, rule = _cat(feed_gid, np.int64), _cat(feed_rule, np.int64)
        order = np.lexsort((rule, gid))
        gid, rule = gid[order], rule[order]
        self.vt_gid, first, count = np.unique(gid, return_index=True, return_counts=True)
        vt_ptr = np.r_[0, np.cumsum(count)].astype(np.int64)
        # per dopamine neuron the shortest delay to the rules it feeds (the vt routing)
        self._vt_delay = (
            np.minimum.reduceat(da_ptr[rule, DA_DELAY], first)
            if gid.size
            else np.empty(0, np.int64)
        )
        vt_local = np.empty(0, np.int64)
        if self.vt_gid.size:
            pos = np.minimum(np.searchsorted(self.vt_gid, self.local_gid), self.vt_gid.size - 1)
            hit = self.vt_gid[pos] == self.local_gid
            if hit.any():
                vt_local = np.where(hit, pos, -1).astype(np.int64)
                fed = rule[np.concatenate([np.arange(vt_ptr[v], vt_ptr[v + 1]) for v in pos[hit]])]
                da_ptr[:, DA_NEED] = np.bincount(fed, minlength=len(plastic))
        # the lowest rank holding synapses of a rule writes its arrivals into checkpoints
        holder = np.full(len(plastic), self.context.size, np.int64)
        holder[[r for r in self.da_live if r in present]] = self.context.rank
        if self.vt_live_anywhere:
            holder = self.context.allreduce(holder, "min")
        self.da_save = [r for r in self.da_live if holder[r] == self.context.rank]
        self.da_present = [r for r in self.da_live if r in present]
        return (
            da_ptr,
            _cat(times, np.float64),
            _cat(mults, np.float64),
            vt_local,
            vt_ptr,
            rule.astype(np.int64),
        )

    def with_vt_routing(self, routing, build_routing):
        """``routing`` and the routes of the dopamine neurons' spikes: to every rank holding
        synapses of a rule they feed, with the vt delay as the lookahead of the link (as in
        NEST, where the neurons' connections to the volume transmitter count towards the
        minimum delay), so the exchange delivers each of them before any step that needs
        it (see ``_too_early``)."""
        from distsim.comm.routing import NO_LINK, Routing

        vt = build_routing(
            self.context,
            self.decomposition,
            self.vt_gid,
            self._vt_delay.astype(np.int64),
            self.local_gid,
        )
        size = self.context.size
        loc = np.concatenate(
            [np.repeat(np.arange(self.n_local), np.diff(r.send_ptr)) for r in (routing, vt)]
        )
        pair = np.unique(loc * size + np.concatenate((routing.send_rank, vt.send_rank)))
        loc, rank = pair // size, (pair % size).astype(np.int32)
        send_ptr = np.r_[0, np.cumsum(np.bincount(loc, minlength=self.n_local))].astype(np.int64)
        lookahead = np.minimum(routing.in_lookahead, vt.in_lookahead)
        return Routing(
            send_ptr, rank, lookahead, np.unique(rank), np.flatnonzero(lookahead != NO_LINK)
        )

    def _initial_weights(self, proj):
        """Float64 initial weights of a plastic projection's local synapses in table order
        (the table holds float32): a constant (a float), or the from_list values matched by
        (source, target, occurrence of the pair); None for drawn weights (float32 draws are
        kept)."""
        w = proj.weight
        if isinstance(w, Uniform) and w.low == w.high:  # as older stores describe a constant
            return float(w.low)
        if not isinstance(w, np.ndarray):  # before the per-synapse index arrays below (tens
            #                                of bytes per synapse of the rank)
            return None if is_distribution(w) else float(w)
        sel, syn_seg, pos, rows = projection_synapses(
            self.table, self.network, proj.name, "Simulation"
        )
        src_pop = self.network.populations[proj.source]
        tgt_pop = self.network.populations[proj.target]
        offsets, _ = self.neurons.local_by_pop[proj.target]
        listed = proj.rule.selection(offsets, tgt_pop.size)
        list_src = proj.rule.sources[listed] + src_pop.first_gid
        list_tgt = proj.rule.targets[listed] + tgt_pop.first_gid
        tab_src = self.table.row_gid[rows]
        tab_tgt = self.local_gid[self.table.local_targets(sel, syn_seg)]
        a = np.lexsort((np.arange(listed.size), list_tgt, list_src))  # pairs, list order
        b = np.lexsort((np.arange(sel.size), tab_tgt, tab_src))  # pairs, table order
        out = np.empty(sel.size)
        out[b] = w[listed][a]
        return out

    def state(self):
        """This rank's plastic state keyed independently of the partition: per synapse
        (projection, source gid, target gid, occurrence of the pair), weight and dopamine
        state (c, n, dopamine spikes taken); per presynaptic segment (projection, source
        gid) and (K+, K+_triplet, last spike step);
        per target neuron its gid, traces and spike history (step, K-, K-_triplet, reads),
        oldest first; the dopamine arrivals of volume transmitters of simulated neurons
        (``da_key`` (projection, index), ``da_val`` (ms, multiplicity)), each on the lowest
        rank holding synapses of the projection (every such rank has the same arrivals
        between runs: all spikes emitted up to the step are delivered).
        ``load`` puts such parts back on any partition."""
        tb = self.table
        seg_ids = np.flatnonzero(self.seg_plastic >= 0)
        seg_ids = seg_ids[np.argsort(self.seg_plastic[seg_ids])]  # in plastic-segment order
        proj = tb.seg_proj[seg_ids].astype(np.int64)
        src = tb.row_gid[np.searchsorted(tb.seg_ptr, seg_ids, side="right") - 1]
        start, stop = tb.seg[seg_ids, SEG_START], tb.seg[seg_ids + 1, SEG_START]
        n = stop - start
        syn = np.concatenate([np.arange(a, b) for a, b in zip(start, stop)] or [np.empty(0, int)])
        keys = np.stack(
            [
                np.repeat(proj, n),
                np.repeat(src, n),
                self.local_gid[tb.local_targets(syn, np.repeat(seg_ids, n))],
                np.zeros(syn.size, np.int64),
            ],
            1,
        )
        order = np.lexsort((np.arange(syn.size), keys[:, 2], keys[:, 1], keys[:, 0]))
        same = np.r_[False, (np.diff(keys[order, :3], axis=0) == 0).all(1)]
        run_start = np.maximum.accumulate(np.where(same, 0, np.arange(syn.size)))
        keys[order, 3] = np.arange(syn.size) - run_start
        (_, pl_state, _, _, syn_pw, _, post_state, n_in, history, _, syn_dopa) = self.arrays[:11]
        flush_views(self.arrays.spike_view, history)  # the reads the views have counted
        post = np.flatnonzero(n_in > 0) if n_in.size else np.empty(0, np.int64)
        lengths = history[post, 0, H_LEN].astype(np.int64)
        hist = np.concatenate(
            [history[i, length:0:-1] for i, length in zip(post, lengths)] or [np.empty((0, 4))]
        )  # oldest first
        a = self.arrays
        da_ptr, da_time, da_mult = a.da_ptr, a.da_time, a.da_mult
        da_key, da_val = [np.empty((0, 2), np.int64)], [np.empty((0, 2))]
        for r in self.da_save:
            a, n = da_ptr[r, DA_START], da_ptr[r, DA_LEN]
            da_key.append(np.stack([np.full(n, self.da_proj[r]), np.arange(n)], 1))
            da_val.append(np.stack([da_time[a : a + n], da_mult[a : a + n]], 1))
        return {
            "syn_key": keys,
            "syn_w": syn_pw.copy(),
            "syn_dopa": syn_dopa.copy() if syn_dopa.size else np.zeros((syn_pw.size, 3)),
            "seg_key": np.stack([proj, src], 1),
            "seg_state": pl_state.copy(),
            "post_gid": self.local_gid[post],
            "post_state": post_state[post],
            "hist_len": lengths,
            "hist": hist,
            "da_key": np.concatenate(da_key).astype(np.int64),
            "da_val": np.concatenate(da_val),
        }

    def load(self, parts):
        """Take the plastic state of every part (``plastic_state`` of each rank of a
        checkpoint) that belongs to this rank's synapses and neurons."""
        mine = self.state()
        cat = {k: np.concatenate([p.get(k, mine[k][:0]) for p in parts]) for k in mine}
        syn = _match(mine["syn_key"], cat["syn_key"], "plastic synapse")
        seg = _match(mine["seg_key"], cat["seg_key"], "plastic presynaptic trace")
        post = _match(mine["post_gid"][:, None], cat["post_gid"][:, None], "spike history")
        (_, pl_state, _, _, syn_pw, _, post_state, n_in, _, _, syn_dopa) = self.arrays[:11]
        syn_pw[:] = cat["syn_w"][syn]
        if syn_dopa.size:
            syn_dopa[:] = cat["syn_dopa"][syn]
        saved = cat["seg_state"][seg]
        pl_state[:, : saved.shape[1]] = saved  # 3 columns before short-term plasticity
        first = np.r_[0, np.cumsum(cat["hist_len"])[:-1]]
        local = np.flatnonzero(n_in > 0) if n_in.size else np.empty(0, np.int64)
        lengths = cat["hist_len"][post]
        cap = max(16, int(2 ** np.ceil(np.log2(lengths.max(initial=1) + 1))))
        history = _empty_history(self.arrays.post_par, cap)
        for i, j, length in zip(local, post, lengths):
            history[i, length:0:-1] = cat["hist"][first[j] : first[j] + length]  # newest first
            history[i, 0, H_LEN] = length
            post_state[i] = cat["post_state"][j]
        self.arrays = self.arrays._replace(hist=history, spike_view=_views(history))
        self._load_dopamine(cat["da_key"], cat["da_val"])

    def _load_dopamine(self, key, val):
        """The dopamine arrivals of the rules with synapses here, from a checkpoint's
        ``da_key``/``da_val`` (plastic_state)."""
        extra = np.zeros(self.arrays.da_ptr.shape[0], np.int64)
        found = {}
        for r in self.da_present:
            sel = np.flatnonzero(key[:, 0] == self.da_proj[r])
            sel = sel[np.argsort(key[sel, 1], kind="stable")]
            if sel.size == 0 or not np.array_equal(key[sel, 1], np.arange(sel.size)):
                name = self.network.projections[self.da_proj[r]].name
                raise StoreError(
                    f"checkpoint: the dopamine arrivals of projection '{name}' are missing or "
                    f"incomplete ({sel.size} entries); the checkpoint belongs to another "
                    f"network or was written by a distsim without volume transmitters of "
                    f"simulated neurons"
                )
            found[r] = sel
            extra[r] = sel.size
        self.grow_dopamine(extra)
        a = self.arrays
        da_ptr, da_time, da_mult = a.da_ptr, a.da_time, a.da_mult
        for r, sel in found.items():
            a = da_ptr[r, DA_START]
            da_time[a : a + sel.size], da_mult[a : a + sel.size] = val[sel, 0], val[sel, 1]
            da_ptr[r, DA_LEN] = sel.size

    def grow_history(self):
        """Double the capacity of every postsynaptic spike history (none is dropped)."""
        history = self.arrays.hist
        cap = history.shape[1] - 1
        grown = _empty_history(self.arrays.post_par, 2 * cap)
        grown[:, : cap + 1] = history  # newest first: entries keep their rows
        self.arrays = self.arrays._replace(hist=grown)

    def vt_arrivals(self, packed, base):
        """Add the arrivals of the dopamine neurons' spikes among ``packed`` (all of them,
        whatever their step, before any presynaptic spike is processed) and return the
        other spikes (and those of dopamine neurons with synapses here)."""
        gids = packed >> LAG_BITS
        pos = np.minimum(np.searchsorted(self.vt_gid, gids), self.vt_gid.size - 1)
        is_vt = self.vt_gid[pos] == gids
        if not is_vt.any():
            return packed
        steps = base + (packed[is_vt] & ((np.int64(1) << LAG_BITS) - 1))
        self.grow_dopamine(int(is_vt.sum()))
        a = self.arrays
        da_ptr, da_time, da_mult = a.da_ptr, a.da_time, a.da_mult
        vt_ptr, vt_rule = a.vt_ptr, a.vt_rule
        late, r, arrival = vt_spikes(
            da_ptr, da_time, da_mult, vt_ptr, vt_rule, pos[is_vt], steps, self.dt
        )
        if late:
            name = self.network.projections[self.da_proj[r]].name
            raise CommunicationError(
                f"rank {self.context.rank}: {late} dopamine spikes of the volume transmitter "
                f"of projection '{name}' arrive in or before step {da_ptr[r, DA_KNOWN]}, whose "
                f"presynaptic spikes were processed without them (first: step {arrival}); "
                f"the exchange let a rank miss a spike"
            )
        rows = self.table.row_gid
        at = np.minimum(np.searchsorted(rows, gids), max(rows.size - 1, 0))
        keep = ~is_vt | ((rows[at] == gids) if rows.size else False)
        return packed[keep]

    def grow_dopamine(self, extra=0):
        """Make room in the dopamine arrivals of each rule with synapses here for ``extra``
        more and one step of its local dopamine neurons (doubling the capacity when it grows,
        so the cost is amortised; nothing is dropped)."""
        a = self.arrays
        da_ptr, da_time, da_mult = a.da_ptr, a.da_time, a.da_mult
        need = (
            da_ptr[:, DA_LEN]
            + da_ptr[:, DA_NEED]
            + np.where(  # extra: or per rule
                np.isin(np.arange(da_ptr.shape[0]), self.da_present), extra, 0
            )
        )
        if np.all(need <= da_ptr[:, DA_CAP]):
            return
        cap = np.where(
            need > da_ptr[:, DA_CAP], np.maximum(2 * da_ptr[:, DA_CAP], need), da_ptr[:, DA_CAP]
        )
        start = np.cumsum(cap) - cap
        times, mults = np.zeros(int(cap.sum())), np.zeros(int(cap.sum()))
        for r in range(da_ptr.shape[0]):
            a, b, n = da_ptr[r, DA_START], start[r], da_ptr[r, DA_LEN]
            times[b : b + n], mults[b : b + n] = da_time[a : a + n], da_mult[a : a + n]
        da_ptr = da_ptr.copy()
        da_ptr[:, DA_START], da_ptr[:, DA_CAP] = start, cap
        self.arrays = self.arrays._replace(da_ptr=da_ptr, da_time=times, da_mult=mults)


def _views(history):
    """The views of the spike histories (kernels/plasticity.py)."""
    view = np.zeros((history.shape[0], N_VIEW_COLS))
    set_views(view, history)
    return view


def _empty_history(post_par, cap):
    """Spike histories of the neurons with ``post_par`` (tau_minus, tau_minus_triplet, row of
    the decay table) with room for cap spikes each (kernels/plasticity.py): empty, no trace
    lookup cached."""
    history = np.zeros((post_par.shape[0], cap + 1, 4))
    history[:, 0, H_KEY] = -1.0
    history[:, 0, H_TROW] = post_par[:, 2]
    return history


def _match(local, stored, what):
    """Index into ``stored`` (rows of int64 keys) of each row of ``local``; every local row
    must be there once."""
    if local.shape[0] == 0:
        return np.empty(0, np.int64)
    order = np.lexsort(stored.T[::-1])
    sorted_keys = stored[order]
    view = np.dtype([(f"k{j}", np.int64) for j in range(stored.shape[1])])
    s = np.ascontiguousarray(sorted_keys).view(view).ravel()
    q = np.ascontiguousarray(local.astype(np.int64)).view(view).ravel()
    pos = np.searchsorted(s, q)
    ok = (pos < s.size) & (s[np.minimum(pos, s.size - 1)] == q)
    if not ok.all():
        raise StoreError(
            f"checkpoint: {int((~ok).sum())} {what} entries of this rank are "
            f"missing; the checkpoint belongs to another network"
        )
    return order[pos]


def _cat(arrays, dtype):
    return np.concatenate(arrays).astype(dtype) if arrays else np.empty(0, dtype)
