"""Simulation(network, context, decomposition, backend): build the local part, run, collect.

Build (on every rank, for its own neurons only): the neurons are laid out population by
population (one group per population); their parameters and initial states are drawn
from streams keyed by (seed, PARAM, "pop.param", gid) and lowered to the kernels' arrays;
their incoming synapses are generated and stored source-indexed (connectivity.py);
stimuli are lowered to flat arrays; one exchange of source lists builds the routing
(comm/routing.py).  ``run(t_ms)`` may be called repeatedly and continues exactly where it
stopped; with several ranks the exchange backend (comm/exchange.py) alternates computing
and exchanging spikes.
"""
import hashlib
import logging
import math
import time
from typing import NamedTuple

import numpy as np

from . import arrays
from .compile_clock import compile_seconds
from .connectivity import SEG_DELAY, SEG_START, SEG_WOFS, SEG_WQ, build_synapse_table
from .distributions import Uniform, is_distribution
from .errors import (CommunicationError, ConfigError, ModelError, NetworkError, StoreError,
                     failure_reason)
from .kernels import connect as ck
from .kernels.plasticity import (C_HIST_FULL, DA_CAP, DA_DELAY, DA_KNOWN, DA_LEN, DA_NEED,
                                 DA_START, H_KEY, H_LEN, H_TROW, N_DA_COLS, N_VIEW_COLS,
                                 dopamine_room, exp_table, flush_views, set_views, vt_spikes)
from .models.synapses import N_RULE_PAR
from .kernels.engine import (C_DA_LATE, C_EVENTS, C_OUT, C_RECORDED, C_SCHEDULE, C_SPIKES,
                             FIXED_BITS, N_COUNTERS, advance, catch_up_events, deliver,
                             to_fixed, unpack_spikes)
from .models.base import N_PAR_ROWS, N_STATE_ROWS
from .rng import PARAM, POISSON, POISSON_TABLE, poisson_tables, stream_id

log = logging.getLogger(__name__)

_INITIAL_RECORD_CAPACITY = 1 << 16
_DIGEST_CHUNK_SPIKES = 1 << 22  # spikes per gather when digesting across ranks
_DA_INITIAL_CAPACITY = 64  # dopamine arrivals of a simulated volume transmitter, grown x2


def packed_spikes(steps, gids):
    """The spikes as (step, gid) pairs sorted by step then gid, as little-endian int64 bytes."""
    pairs = np.empty((len(steps), 2), dtype="<i8")
    pairs[:, 0] = steps
    pairs[:, 1] = gids
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))].tobytes()


def spike_digest(steps, gids):
    """SHA-256 (hex) of the spikes as (step, gid) pairs, sorted, packed as little-endian int64."""
    return hashlib.sha256(packed_spikes(steps, gids)).hexdigest()


class Simulation:
    """Simulate ``network`` on this rank of ``context`` (default: MPI when started by an MPI
    launcher, else one process) with ``decomposition`` (a Decomposition or a balancer name;
    default "block") and the spike exchange ``backend`` ("collective" or "async").

    With ``store`` (a path), recorded spikes and samples go to a zarr run store
    (distsim/store/LAYOUT.md), flushed every ``flush_steps`` steps or when the buffered spikes
    exceed ``flush_mb`` MB, and at the end of every ``run``; the path must be new, an empty
    folder, or (with ``overwrite``) an earlier run store, whose files are replaced
    (store/ownership.py: nothing distsim did not write is ever removed).  ``resume_store``
    (with ``restore``) appends to the store of the run the checkpoint came from.
    ``event_driven=False`` computes every neuron in every step (see _build_event_driven).
    ``rank_grid`` (comm.routing.RankGrid) places the ranks on a fabric for the ``routed``
    backend.  ``hardware_counters`` counts, per local neuron, the steps with synaptic input and the
    spikes, and per source row the spikes delivered (``hardware_counts``; distsim.hardware
    turns them into per-chip and per-link counts).

    Under MPI every rank must construct the Simulation and call ``run``, ``summary`` and
    ``digest`` (they are collective); ``spikes`` and ``states`` return this rank's part.
    """

    def __init__(self, network, context=None, decomposition=None, backend="collective",
                 store=None, flush_steps=10000, flush_mb=64.0, resume_store=False,
                 event_driven=True, hardware_counters=False, rank_grid=None, overwrite=False):
        from distsim.comm import default_context
        from distsim.comm.exchange import make_exchange
        from distsim.comm.routing import build_routing, row_delay_bounds
        from distsim.partition import Decomposition, get_balancer

        t0, compiled0 = time.perf_counter(), compile_seconds()
        self.network = network
        self.context = context or default_context()
        size = self.context.size
        if decomposition is None or isinstance(decomposition, str):
            decomposition = get_balancer(decomposition or "block")(network, size)
        if not isinstance(decomposition, Decomposition):
            raise ConfigError(
                f"Simulation: decomposition {decomposition!r} is neither a Decomposition nor a "
                f"balancer name")
        if decomposition.n_ranks != size or decomposition.n_gids != network.n_neurons:
            raise ConfigError(
                f"Simulation: decomposition is for {decomposition.n_ranks} ranks and "
                f"{decomposition.n_gids} gids but the context has {size} ranks and the network "
                f"{network.n_neurons} neurons; compute the decomposition for this network and "
                f"{size} ranks")
        self.decomposition = decomposition
        self.dt = network.dt
        self.step = self._first_step = 0
        self._build_neurons()
        self.table = build_synapse_table(network, self._local_by_pop)
        arrays.release_freed_memory()
        self.ns = self.table.max_delay + 1
        self._build_stimuli()
        self.ns = max(self.ns, self._max_stim_delay + 1)
        self.ring = arrays.zeros((2 * self.ns, self.n_local), np.int64)
        self.cur = arrays.zeros((self.ns, self.n_local))
        self.local_row = arrays.full(self.n_local, -1, np.int64)
        pos = np.searchsorted(self.table.row_gid, self.local_gid)
        pos_ok = pos < self.table.row_gid.size
        found = np.zeros(self.n_local, np.bool_)
        found[pos_ok] = self.table.row_gid[pos[pos_ok]] == self.local_gid[pos_ok]
        self.local_row[found] = pos[found]
        self._build_recording()
        self._build_event_driven(event_driven)
        self._build_devices()
        self._build_plasticity()
        self._build_weight_samplers()
        n_count = self.n_local if hardware_counters else 0
        self.hw_active = arrays.zeros(n_count, np.int64)
        self.hw_spikes = arrays.zeros(n_count, np.int64)
        self.hw_row_spikes = arrays.zeros(self.table.row_gid.size if hardware_counters else 0,
                                          np.int64)
        self.routing = build_routing(self.context, decomposition, self.table, self.local_gid)
        if self._vt_live_anywhere:  # every rank builds this routing (a collective)
            self.routing = self._with_vt_routing(self.routing, build_routing)
        self._row_min_delay, self._row_max_delay = row_delay_bounds(self.table)
        # a remote spike of a plastic row may be processed this many steps before this rank
        # computes its step (_too_early): its shortest delay, 0 with dopamine of neurons
        self._row_lead = np.where(self._row_live_dopa, 0, self._row_min_delay)
        self._pending_steps = np.empty(0, np.int64)
        self._pending_rows = np.empty(0, np.int64)
        self._last_flush = 0
        self.send_flag = self.routing.send_flag
        cap = max(_INITIAL_RECORD_CAPACITY, 2 * self.n_local)
        self.out_step = arrays.zeros(cap, np.int64)
        self.out_local = arrays.zeros(cap, np.int64)
        self.counters = arrays.zeros(N_COUNTERS, np.int64)
        self._spiked = arrays.zeros(self.n_local, np.int64)
        self._rows = arrays.zeros(self.n_local, np.int64)
        self._steps = arrays.zeros(self.n_local, np.int64)
        self.rank_grid = rank_grid
        self.exchange = make_exchange(backend, self)
        if not (isinstance(flush_steps, int) and flush_steps >= 1 and flush_mb > 0):
            raise ConfigError(
                f"Simulation: flush_steps {flush_steps!r} and flush_mb {flush_mb!r} must be a "
                f"positive number of steps and of megabytes")
        self.flush_steps, self.flush_bytes = flush_steps, int(flush_mb * 1e6)
        self.writer = None
        self._store, self._resume_store = store, resume_store
        if store is not None and not resume_store:
            from distsim.store import RunWriter
            self.writer = RunWriter(store, self, overwrite=overwrite)
        self.compile_seconds = compile_seconds() - compiled0
        self.build_seconds = time.perf_counter() - t0 - self.compile_seconds
        self.run_seconds = 0.0  # advancing the network (compilation and store writes apart)
        self.store_seconds = 0.0  # writing spikes and samples to the store
        self.checkpoint_seconds = 0.0

    # ------------------------------------------------------------------ build
    def _build_neurons(self):
        net = self.network
        mine = self.decomposition.local_gids(self.context.rank)
        self.local_gid = mine
        self.n_local = mine.size
        par_blocks = []
        self.st = arrays.zeros((N_STATE_ROWS, self.n_local))
        self.refr = arrays.zeros(self.n_local, np.int32)
        grp_model, grp_lo, grp_hi, grp_pbase, grp_pstride = [], [], [], [], []
        n_cols = 0
        self._local_by_pop = {}
        self._pop_slice = {}
        sched_step, sched_local = [], []
        lo = 0
        for pop in net.populations.values():
            sel = mine[(mine >= pop.first_gid) & (mine < pop.first_gid + pop.size)]
            hi = lo + sel.size
            offsets = sel - pop.first_gid
            self._local_by_pop[pop.name] = (offsets, np.arange(lo, hi, dtype=np.int64))
            self._pop_slice[pop.name] = (lo, hi)
            grp_model.append(pop.model.model_id)
            grp_lo.append(lo)
            grp_hi.append(hi)
            grp_pbase.append(n_cols)
            grp_pstride.append(0)
            if pop.model.is_source_only:
                steps = pop.model.schedule(net.dt, f"Population '{pop.name}'")
                for k, off in enumerate(offsets):
                    sched_step.append(steps[off])
                    sched_local.append(np.full(steps[off].size, lo + k, np.int64))
            elif sel.size:
                values = {}
                for name, value in pop.model.values().items():
                    if is_distribution(value):
                        keys = ck.keys_for(net.seed, PARAM, stream_id(f"{pop.name}.{name}"), sel)
                        values[name] = value.draw(keys, np.zeros(sel.size, np.int64))
                    elif isinstance(value, np.ndarray):  # one value per neuron
                        values[name] = value[offsets]
                    else:
                        values[name] = np.full(sel.size, float(value))
                try:
                    pop.model.check(values)
                except ModelError as exc:
                    raise ModelError(f"Population '{pop.name}': {exc}") from None
                par, st = pop.model.lower(values, net.dt)
                self.st[:, lo:hi] = st
                if np.array_equal(par, np.broadcast_to(par[:, :1], par.shape), equal_nan=True):
                    par = par[:, :1]  # one parameter set shared by the population
                else:
                    grp_pstride[-1] = 1
                par_blocks.append(par)
                n_cols += par.shape[1]
            lo = hi
        self.par = (np.concatenate(par_blocks, axis=1) if par_blocks
                    else arrays.zeros((N_PAR_ROWS, 1)))
        self.grp_pbase = np.array(grp_pbase, np.int64)
        self.grp_pstride = np.array(grp_pstride, np.int64)
        self.grp_model = np.array(grp_model, np.int64)
        self.grp_lo = np.array(grp_lo, np.int64)
        self.grp_hi = np.array(grp_hi, np.int64)
        if sched_step:
            s = np.concatenate(sched_step)
            l = np.concatenate(sched_local)
            order = np.lexsort((l, s))
            self.ss_step, self.ss_local = s[order], l[order]
        else:
            self.ss_step = np.empty(0, np.int64)
            self.ss_local = np.empty(0, np.int64)

    def _targets(self, stim_target, neurons):
        offsets, local_idx = self._local_by_pop[stim_target]
        pop = self.network.populations[stim_target]
        if neurons is not None:
            keep = np.isin(offsets, np.asarray(neurons, dtype=np.int64))
            offsets, local_idx = offsets[keep], local_idx[keep]
        return pop.first_gid + offsets, local_idx

    def _steps_window(self, start, stop):
        """Emission window (start, stop] ms as steps; inf -> int64 max."""
        hi = np.iinfo(np.int64).max if math.isinf(stop) else int(math.floor(stop / self.dt + 0.5))
        return int(math.floor(start / self.dt + 0.5)), hi

    def _lower_targets_and_timing(self, stimuli):
        """Shared arrays of a stimulus kind: target CSR (ptr, local index), delay (steps),
        emission window (steps), and the target gids of each stimulus."""
        ptr, local, gids, delay, start, stop = [0], [], [], [], [], []
        for s in stimuli:
            g, idx = self._targets(s.target, s.neurons)
            gids.append(g)
            local.append(idx)
            ptr.append(ptr[-1] + idx.size)
            delay.append(int(math.floor(s.delay / self.dt + 0.5)))
            a, b = self._steps_window(s.start, s.stop)
            start.append(a)
            stop.append(b)
        self._max_stim_delay = max([self._max_stim_delay, *delay])
        arrays_ = (np.array(ptr, np.int64), _cat(local, np.int64), np.array(delay, np.int64),
                   np.array(start, np.int64), np.array(stop, np.int64))
        return arrays_, gids

    def _build_stimuli(self):
        net = self.network
        self._max_stim_delay = 0
        (ptr, local, delay, start, stop), gids = self._lower_targets_and_timing(net.poisson_inputs)
        lam = np.array([s.rate * self.dt / 1000.0 for s in net.poisson_inputs])
        tables = [poisson_tables(x) for x in lam]
        keys = [ck.keys_for(net.seed, POISSON, stream_id(s.name), g)
                for s, g in zip(net.poisson_inputs, gids)]
        self.pz = (ptr, local, _cat(keys, np.uint64), lam,
                   np.array([t[0] for t in tables], float).reshape(-1, POISSON_TABLE),
                   np.array([t[1] for t in tables], np.int64).reshape(-1, POISSON_TABLE),
                   np.array([to_fixed(s.weight) for s in net.poisson_inputs], np.int64),
                   delay, start, stop)
        (ptr, local, delay, start, stop), _ = self._lower_targets_and_timing(net.dc_inputs)
        self.dc = (ptr, local, np.array([s.amplitude for s in net.dc_inputs], float),
                   delay, start, stop)

    def _build_recording(self):
        net = self.network
        self.rec_flag = arrays.zeros(self.n_local, np.bool_)
        for rec in net.spike_recorders:
            _, idx = self._targets(rec.population, rec.neurons)
            self.rec_flag[idx] = True
        cap = max(_INITIAL_RECORD_CAPACITY, 2 * self.n_local)
        self.rec_step = np.empty(cap, np.int64)
        self.rec_gid = np.empty(cap, np.int64)
        self._samplers = []
        for rec in net.state_recorders:
            gids, idx = self._targets(rec.population, rec.neurons)
            interval = int(round(rec.interval / self.dt))
            model = net.populations[rec.population].model
            g = list(net.populations).index(rec.population)
            cols = self.grp_pbase[g] + (idx - self.grp_lo[g]) * self.grp_pstride[g]
            self._samplers.append({"rec": rec, "gids": gids, "idx": idx, "cols": cols,
                                   "interval": interval,
                                   "model": model, "steps": [],
                                   "values": {v: [] for v in rec.variables}})

    def _build_devices(self):
        """Device projections (hardware/devices.py): program every local synapse's device
        pair and write its weight as first read at age 0."""
        from distsim.hardware.devices import DeviceState
        tb = self.table
        self._devices = []
        for proj in self.network.projections:
            if proj.device is None:
                continue
            sel, syn_seg, pos, rows = self._synapses(proj.name, "Simulation")
            index = tb.seg[syn_seg, SEG_WOFS] + pos  # per-synapse weights (see Network.connect)
            weights = tb.syn_weight[index].astype(np.float64)
            w_max = proj.device.w_max or self.context.allreduce(
                float(np.abs(weights).max(initial=0.0)), "max")
            if not w_max > 0:
                raise ConfigError(f"Projection '{proj.name}': all weights are 0; a device "
                                  f"needs a non-zero weight or w_max")
            state = DeviceState(proj.device, self.network.seed, proj.name, index, weights,
                                tb.row_gid[rows], self.local_gid[tb.syn_target[sel].astype(np.int64)],
                                w_max)
            self._devices.append(state)
        self.device_age_s = None
        if self._devices:
            self._reference_sums = None
            self.age_devices(0.0)

    def _build_plasticity(self):
        """Plastic projections (models/synapses.py, kernels/plasticity.py): their weights in
        float64 (``syn_pw``), per segment the presynaptic traces, per target neuron the
        postsynaptic traces and spike history."""
        net, tb = self.network, self.table
        n_rows = tb.seg.shape[0]
        self.seg_plastic = arrays.full(n_rows, -1, np.int64)
        plastic = [p for p in net.projections if p.synapse is not None]
        segs = [np.flatnonzero(tb.seg_proj == p.index) for p in plastic]
        n_seg = sum(s.size for s in segs)
        lengths = (np.concatenate([tb.seg[s + 1, SEG_START] - tb.seg[s, SEG_START] for s in segs])
                   if n_seg else np.empty(0, np.int64))
        pl_meta = np.zeros((n_seg, 3), np.int64)
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
                    syn_pw[ofs:ofs + b - a] = tb.syn_weight[wofs:wofs + b - a]
                n_in += np.bincount(tb.syn_target[a:b], minlength=self.n_local)
                pl_meta[p] = ofs, r, proj.receptor_type
                self.seg_plastic[sg] = p
                ofs += b - a
                p += 1
            if exact is not None:  # one value, or in the order of the table: segments as above
                syn_pw[first:ofs] = exact
        post_par = np.zeros((n_in.size, 2))
        for pop in net.populations.values():
            lo, hi = self._pop_slice[pop.name]
            if n_in.size and n_in[lo:hi].any():
                taus = [pop.model.values()[k] for k in ("tau_minus", "tau_minus_triplet")]
                if not all(isinstance(x, float) and x > 0 for x in taus):
                    raise ModelError(f"Population '{pop.name}': tau_minus and tau_minus_triplet "
                                     f"of a target of plastic synapses must be positive "
                                     f"constants (ms); got {taus}")
                post_par[lo:hi] = taus
        cap = 16 if plastic else 0
        rule_par = (np.array([proj.synapse.rule_row() for proj in plastic])
                    if plastic else np.zeros((0, N_RULE_PAR)))
        tau_minus = np.unique(post_par[n_in > 0, 0])  # a decay table row each (exp_table)
        post_par = np.c_[post_par, len(rule_par) + np.searchsorted(tau_minus, post_par[:, 0])]
        seg_row = np.searchsorted(tb.seg_ptr, np.arange(n_rows - 1), side="right") - 1
        self._row_plastic = np.zeros(tb.row_gid.size, np.bool_)
        self._row_plastic[seg_row[self.seg_plastic[:n_rows - 1] >= 0]] = True
        da_ptr, da_time, da_mult, vt_local, vt_ptr, vt_rule = self._build_dopamine(
            plastic, np.unique(pl_meta[:, 1]))
        self._row_live_dopa = np.zeros(tb.row_gid.size, np.bool_)
        live_seg = np.flatnonzero(self.seg_plastic[:n_rows - 1] >= 0)
        live_seg = live_seg[np.isin(pl_meta[self.seg_plastic[live_seg], 1], self._da_live)]
        self._row_live_dopa[seg_row[live_seg]] = True
        history = _empty_history(post_par, cap)
        self.plast = (self.seg_plastic, np.zeros((n_seg, 3)), pl_meta, rule_par, syn_pw,
                      post_par, np.zeros((n_in.size, 3)), n_in, history,
                      np.zeros(int(lengths.max(initial=0)), np.float64),
                      np.zeros((syn_pw.size if any(proj.synapse.per_synapse_state
                                                   for proj in plastic) else 0, 3)),
                      da_ptr, da_time, da_mult, exp_table(rule_par, tau_minus, self.dt),
                      vt_local, vt_ptr, vt_rule, _views(history))

    def _build_dopamine(self, plastic, present):
        """The dopamine arrivals of each plastic projection's volume transmitter
        (kernels/plasticity.py: ``da_ptr`` per rule, ``da_time`` ms, first NEST's pseudo spike
        at 0 ms, ``da_mult`` multiplicities) and where the spikes of the dopamine neurons go:
        ``vt_local[i]`` (local neuron i's position in ``self._vt_gid``, -1 for the others;
        empty without local dopamine neurons), ``vt_ptr``/``vt_rule`` (rules fed by each
        neuron of ``self._vt_gid``).  A spike_source transmitter's arrivals are all known
        now; those of simulated neurons are added as the neurons spike, on the ranks that
        hold synapses of the rule (``present``), which therefore need every spike of them:
        ``_with_vt_routing``."""
        net, dt = self.network, self.dt
        da_ptr = np.zeros((len(plastic), N_DA_COLS), np.int64)
        da_ptr[:, DA_KNOWN] = -1
        times, mults = [], []
        self._da_live = []  # rules whose volume transmitter is made of simulated neurons
        self._da_proj = np.array([proj.index for proj in plastic], np.int64)
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
                steps = np.concatenate([np.round(np.asarray(ts) / dt).astype(np.int64)
                                        for ts in pop.model.spike_times]
                                       or [np.empty(0, np.int64)])
                arrival, count = np.unique(steps + delay, return_counts=True)
                times.append(np.r_[0.0, arrival * dt])
                mults.append(np.r_[0.0, count.astype(np.float64)])
                da_ptr[r, DA_LEN] = times[-1].size
            else:
                self._da_live.append(r)
                times.append(np.zeros(_DA_INITIAL_CAPACITY))  # the pseudo spike (0 ms, 0)
                mults.append(np.zeros(_DA_INITIAL_CAPACITY))
                da_ptr[r, DA_LEN] = 1
                if r in present:
                    feed_gid.append(np.arange(pop.first_gid, pop.first_gid + pop.size))
                    feed_rule.append(np.full(pop.size, r, np.int64))
            da_ptr[r, DA_CAP] = times[-1].size
        da_ptr[:, DA_START] = np.cumsum(da_ptr[:, DA_CAP]) - da_ptr[:, DA_CAP]
        self._vt_live_anywhere = bool(self._da_live)  # a property of the network: every rank
        gid, rule = _cat(feed_gid, np.int64), _cat(feed_rule, np.int64)
        order = np.lexsort((rule, gid))
        gid, rule = gid[order], rule[order]
        self._vt_gid, first, count = np.unique(gid, return_index=True, return_counts=True)
        vt_ptr = np.r_[0, np.cumsum(count)].astype(np.int64)
        # per dopamine neuron the shortest delay to the rules it feeds (the vt routing)
        self._vt_delay = (np.minimum.reduceat(da_ptr[rule, DA_DELAY], first) if gid.size
                          else np.empty(0, np.int64))
        vt_local = np.empty(0, np.int64)
        if self._vt_gid.size:
            pos = np.minimum(np.searchsorted(self._vt_gid, self.local_gid), self._vt_gid.size - 1)
            hit = self._vt_gid[pos] == self.local_gid
            if hit.any():
                vt_local = np.where(hit, pos, -1).astype(np.int64)
                fed = rule[np.concatenate([np.arange(vt_ptr[v], vt_ptr[v + 1]) for v in pos[hit]])]
                da_ptr[:, DA_NEED] = np.bincount(fed, minlength=len(plastic))
        # the lowest rank holding synapses of a rule writes its arrivals into checkpoints
        holder = np.full(len(plastic), self.context.size, np.int64)
        holder[[r for r in self._da_live if r in present]] = self.context.rank
        if self._vt_live_anywhere:
            holder = self.context.allreduce(holder, "min")
        self._da_save = [r for r in self._da_live if holder[r] == self.context.rank]
        self._da_present = [r for r in self._da_live if r in present]
        return (da_ptr, _cat(times, np.float64), _cat(mults, np.float64), vt_local, vt_ptr,
                rule.astype(np.int64))

    def _with_vt_routing(self, routing, build_routing):
        """``routing`` and the routes of the dopamine neurons' spikes: to every rank holding
        synapses of a rule they feed, with the vt delay as the lookahead of the link (as in
        NEST, where the neurons' connections to the volume transmitter count towards the
        minimum delay), so the exchange delivers each of them before any step that needs
        it (see ``_too_early``)."""
        from distsim.comm.routing import NO_LINK, Routing

        n = self._vt_gid.size
        seg = np.zeros((n + 1, 4), np.int64)  # one empty segment per neuron, of the vt delay
        seg[:n, SEG_DELAY] = self._vt_delay
        vt = build_routing(self.context, self.decomposition,
                           _VtRows(self._vt_gid, np.arange(n + 1, dtype=np.int64), seg,
                                   self.table.syn_delay[:0]), self.local_gid)
        size = self.context.size
        loc = np.concatenate([np.repeat(np.arange(self.n_local), np.diff(r.send_ptr))
                              for r in (routing, vt)])
        pair = np.unique(loc * size + np.concatenate((routing.send_rank, vt.send_rank)))
        loc, rank = pair // size, (pair % size).astype(np.int32)
        send_ptr = np.r_[0, np.cumsum(np.bincount(loc, minlength=self.n_local))].astype(np.int64)
        lookahead = np.minimum(routing.in_lookahead, vt.in_lookahead)
        return Routing(send_ptr, rank, lookahead, np.unique(rank),
                       np.flatnonzero(lookahead != NO_LINK))

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
        sel, syn_seg, pos, rows = self._synapses(proj.name, "Simulation")
        src_pop = self.network.populations[proj.source]
        tgt_pop = self.network.populations[proj.target]
        offsets, _ = self._local_by_pop[proj.target]
        listed = proj.rule.selection(offsets, tgt_pop.size)
        list_src = proj.rule.sources[listed] + src_pop.first_gid
        list_tgt = proj.rule.targets[listed] + tgt_pop.first_gid
        tab_src = self.table.row_gid[rows]
        tab_tgt = self.local_gid[self.table.syn_target[sel].astype(np.int64)]
        a = np.lexsort((np.arange(listed.size), list_tgt, list_src))  # pairs, list order
        b = np.lexsort((np.arange(sel.size), tab_tgt, tab_src))       # pairs, table order
        out = np.empty(sel.size)
        out[b] = w[listed][a]
        return out

    def plastic_state(self):
        """This rank's plastic state keyed independently of the partition: per synapse
        (projection, source gid, target gid, occurrence of the pair), weight and dopamine
        state (c, n, dopamine spikes taken); per presynaptic segment (projection, source
        gid) and (K+, K+_triplet, last spike step);
        per target neuron its gid, traces and spike history (step, K-, K-_triplet, reads),
        oldest first; the dopamine arrivals of volume transmitters of simulated neurons
        (``da_key`` (projection, index), ``da_val`` (ms, multiplicity)), each on the lowest
        rank holding synapses of the projection (every such rank has the same arrivals
        between runs: all spikes emitted up to the step are delivered).
        ``load_plastic_state`` puts such parts back on any partition."""
        tb = self.table
        seg_ids = np.flatnonzero(self.seg_plastic >= 0)
        seg_ids = seg_ids[np.argsort(self.seg_plastic[seg_ids])]  # in plastic-segment order
        proj = tb.seg_proj[seg_ids].astype(np.int64)
        src = tb.row_gid[np.searchsorted(tb.seg_ptr, seg_ids, side="right") - 1]
        start, stop = tb.seg[seg_ids, SEG_START], tb.seg[seg_ids + 1, SEG_START]
        n = stop - start
        syn = np.concatenate([np.arange(a, b) for a, b in zip(start, stop)] or [np.empty(0, int)])
        keys = np.stack([np.repeat(proj, n), np.repeat(src, n),
                         self.local_gid[tb.syn_target[syn].astype(np.int64)],
                         np.zeros(syn.size, np.int64)], 1)
        order = np.lexsort((np.arange(syn.size), keys[:, 2], keys[:, 1], keys[:, 0]))
        same = np.r_[False, (np.diff(keys[order, :3], axis=0) == 0).all(1)]
        run_start = np.maximum.accumulate(np.where(same, 0, np.arange(syn.size)))
        keys[order, 3] = np.arange(syn.size) - run_start
        (_, pl_state, _, _, syn_pw, _, post_state, n_in, history, _,
         syn_dopa) = self.plast[:11]
        flush_views(self.plast[18], history)  # the reads the views have counted
        post = np.flatnonzero(n_in > 0) if n_in.size else np.empty(0, np.int64)
        lengths = history[post, 0, H_LEN].astype(np.int64)
        hist = np.concatenate([history[i, length:0:-1] for i, length in zip(post, lengths)]
                              or [np.empty((0, 4))])  # oldest first
        da_ptr, da_time, da_mult = self.plast[11:14]
        da_key, da_val = [np.empty((0, 2), np.int64)], [np.empty((0, 2))]
        for r in self._da_save:
            a, n = da_ptr[r, DA_START], da_ptr[r, DA_LEN]
            da_key.append(np.stack([np.full(n, self._da_proj[r]), np.arange(n)], 1))
            da_val.append(np.stack([da_time[a:a + n], da_mult[a:a + n]], 1))
        return {"syn_key": keys, "syn_w": syn_pw.copy(),
                "syn_dopa": syn_dopa.copy() if syn_dopa.size else np.zeros((syn_pw.size, 3)),
                "seg_key": np.stack([proj, src], 1), "seg_state": pl_state.copy(),
                "post_gid": self.local_gid[post], "post_state": post_state[post],
                "hist_len": lengths, "hist": hist,
                "da_key": np.concatenate(da_key).astype(np.int64),
                "da_val": np.concatenate(da_val)}

    def load_plastic_state(self, parts):
        """Take the plastic state of every part (``plastic_state`` of each rank of a
        checkpoint) that belongs to this rank's synapses and neurons."""
        mine = self.plastic_state()
        cat = {k: np.concatenate([p.get(k, mine[k][:0]) for p in parts]) for k in mine}
        syn = _match(mine["syn_key"], cat["syn_key"], "plastic synapse")
        seg = _match(mine["seg_key"], cat["seg_key"], "plastic presynaptic trace")
        post = _match(mine["post_gid"][:, None], cat["post_gid"][:, None], "spike history")
        (_, pl_state, _, _, syn_pw, _, post_state, n_in, _, _, syn_dopa) = self.plast[:11]
        syn_pw[:] = cat["syn_w"][syn]
        if syn_dopa.size:
            syn_dopa[:] = cat["syn_dopa"][syn]
        pl_state[:] = cat["seg_state"][seg]
        first = np.r_[0, np.cumsum(cat["hist_len"])[:-1]]
        local = np.flatnonzero(n_in > 0) if n_in.size else np.empty(0, np.int64)
        lengths = cat["hist_len"][post]
        cap = max(16, int(2 ** np.ceil(np.log2(lengths.max(initial=1) + 1))))
        history = _empty_history(self.plast[5], cap)
        for i, j, length in zip(local, post, lengths):
            history[i, length:0:-1] = cat["hist"][first[j]:first[j] + length]  # newest first
            history[i, 0, H_LEN] = length
            post_state[i] = cat["post_state"][j]
        self.plast = (*self.plast[:8], history, *self.plast[9:18], _views(history))
        self.counters[C_HIST_FULL] = 0
        self._load_dopamine(cat["da_key"], cat["da_val"])

    def _load_dopamine(self, key, val):
        """The dopamine arrivals of the rules with synapses here, from a checkpoint's
        ``da_key``/``da_val`` (plastic_state)."""
        extra = np.zeros(self.plast[11].shape[0], np.int64)
        found = {}
        for r in self._da_present:
            sel = np.flatnonzero(key[:, 0] == self._da_proj[r])
            sel = sel[np.argsort(key[sel, 1], kind="stable")]
            if sel.size == 0 or not np.array_equal(key[sel, 1], np.arange(sel.size)):
                name = self.network.projections[self._da_proj[r]].name
                raise StoreError(
                    f"checkpoint: the dopamine arrivals of projection '{name}' are missing or "
                    f"incomplete ({sel.size} entries); the checkpoint belongs to another "
                    f"network or was written by a distsim without volume transmitters of "
                    f"simulated neurons")
            found[r] = sel
            extra[r] = sel.size
        self._grow_dopamine(extra)
        da_ptr, da_time, da_mult = self.plast[11:14]
        for r, sel in found.items():
            a = da_ptr[r, DA_START]
            da_time[a:a + sel.size], da_mult[a:a + sel.size] = val[sel, 0], val[sel, 1]
            da_ptr[r, DA_LEN] = sel.size

    def _build_weight_samplers(self):
        """Samplers of the weight recorders (after the state samplers, written alike): the
        local synapses onto the chosen neurons, and the local histogram (the store sums the
        ranks')."""
        if not self.network.weight_recorders:
            return  # the plastic state costs tens of bytes per plastic synapse
        state = self.plastic_state()
        names = [p.name for p in self.network.projections]
        for rec in self.network.weight_recorders:
            p = names.index(rec.projection)
            tgt = self.network.populations[self.network.projections[p].target]
            in_proj = state["syn_key"][:, 0] == p
            chosen = in_proj & np.isin(state["syn_key"][:, 2],
                                       tgt.first_gid + np.array(rec.neurons, np.int64))
            index = np.flatnonzero(chosen)
            index = index[np.lexsort((state["syn_key"][index, 3], state["syn_key"][index, 1],
                                      state["syn_key"][index, 2]))]
            interval = int(round(rec.interval / self.dt))
            self._samplers.append({"rec": rec, "kind": "weights", "gids": state["syn_key"][index, 2],
                                   "sources": state["syn_key"][index, 1], "index": index,
                                   "interval": interval, "steps": [], "values": {"weight": []}})
            self._samplers.append({"rec": rec, "kind": "histogram",
                                   "gids": np.arange(len(rec.bins) - 1), "edges": rec.bins,
                                   "index": np.flatnonzero(in_proj), "interval": interval,
                                   "steps": [], "values": {"count": []}})

    def _grow_history(self):
        """Double the capacity of every postsynaptic spike history (none is dropped)."""
        history = self.plast[8]
        cap = history.shape[1] - 1
        grown = _empty_history(self.plast[5], 2 * cap)
        grown[:, :cap + 1] = history  # newest first: entries keep their rows
        self.plast = (*self.plast[:8], grown, *self.plast[9:])
        self.counters[C_HIST_FULL] = 0

    def age_devices(self, age_s):
        """Set every device synapse to a new read at ``age_s`` seconds after programming
        (drift and read noise, hardware/devices.py); collective.  The network's own run time
        is not added: ages are the hours to years over which devices drift."""
        if not self._devices:
            raise ConfigError("Simulation.age_devices: the network has no device synapses; "
                              "connect with device=distsim.hardware.PCM()")
        sums = []
        for state in self._devices:
            w = state.weights_at(float(age_s))
            self.table.syn_weight[state.index] = w
            sums.append(np.abs(w).sum())
        sums = self.context.allreduce(np.array(sums), "sum")
        if self._reference_sums is None:
            self._reference_sums = sums
        for state, s, ref in zip(self._devices, sums, self._reference_sums):
            if state.device.drift_compensation and s > 0:
                self.table.syn_weight[state.index] *= np.float32(ref / s)
        self.device_age_s = float(age_s)

    def _build_event_driven(self, enabled):
        """Event-driven groups: populations whose neurons rest below threshold and receive
        only synaptic input (no Poisson, no DC, no state sampling) are computed only in the
        steps in which input reaches them (engine._update_delta_events), so a silent neuron
        costs nothing.  ``touch[slot]`` lists the local neurons of those groups with input in
        that slot (``listed[slot, i]`` marks them); ``last[i]`` is the step neuron i was last
        computed in, ``lazy_col[i]`` its parameter column."""
        net = self.network
        driven = {s.target for s in (*net.poisson_inputs, *net.dc_inputs)}
        driven |= {r.population for r in net.state_recorders}
        driven |= {p.target for p in net.projections if p.synapse is not None}
        self.grp_lazy = np.array([enabled and pop.model.rests_below_threshold()
                                  and pop.name not in driven
                                  for pop in net.populations.values()], np.uint8)
        lazy_proj = np.array([self.grp_lazy[list(net.populations).index(p.target)]
                              for p in net.projections], np.uint8)
        self.seg_lazy = arrays.zeros(self.table.seg.shape[0], np.uint8)
        n_seg = self.table.seg_proj.size
        if n_seg:
            self.seg_lazy[:n_seg] = lazy_proj[self.table.seg_proj]
        self._lazy_local = np.concatenate(
            [np.arange(lo, hi) for lo, hi, lazy in zip(self.grp_lo, self.grp_hi, self.grp_lazy)
             if lazy] or [np.empty(0, np.int64)]).astype(np.int64)
        n_lazy = self._lazy_local.size
        self.last = arrays.zeros(self.n_local if n_lazy else 0, np.int64)
        self.lazy_col = arrays.zeros(self.n_local if n_lazy else 0, np.int64)
        for g in np.flatnonzero(self.grp_lazy):
            lo, hi = self.grp_lo[g], self.grp_hi[g]
            self.lazy_col[lo:hi] = self.grp_pbase[g] + np.arange(hi - lo) * self.grp_pstride[g]
        self.touch = arrays.zeros((self.ns, n_lazy), np.int32)
        self.listed = arrays.zeros((self.ns, self.n_local if n_lazy else 0), np.uint8)
        self.n_touch = arrays.zeros(self.ns, np.int64)
        self._reset_event_lists()

    def _reset_event_lists(self):
        """Event-driven neurons are up to date at the current step; list those with input in
        each future slot from the ring buffer, and all of them in the next step (a neuron
        starting at or above threshold fires there, as in a step-by-step update)."""
        lazy = self._lazy_local
        self.last[lazy] = self.step
        self.n_touch[:] = 0
        self.listed[:] = 0
        for j in range(1, self.ns):
            slot = (self.step + j) % self.ns
            if j == 1:
                listed = lazy
            else:
                listed = lazy[(self.ring[slot, lazy] != 0) | (self.ring[self.ns + slot, lazy] != 0)]
            self.touch[slot, :listed.size] = listed
            self.listed[slot, listed] = 1
            self.n_touch[slot] = listed.size

    def _catch_up_event_driven(self):
        """Bring the event-driven neurons' state to the current step (before it is read)."""
        if self._lazy_local.size:
            catch_up_events(self.step, self.grp_lazy, self.grp_lo, self.grp_hi, self.grp_pbase,
                            self.grp_pstride, self.par, self.st, self.refr, self.last)

    # ------------------------------------------------------------------ run
    def run(self, t_ms, complete=True):
        """Advance the simulation by ``t_ms`` ms (a multiple of dt).  With a store, the run
        is ``complete`` at the end (flushed and marked so); ``complete=False`` runs a part of
        a longer run (the CLI's chunks): the store stays "running" and is flushed at its
        interval only, until ``end_run``."""
        # Schedule: one process computes the whole span (_compute); several ranks alternate
        # computing and exchanging spikes as the backend prescribes (comm/exchange.py):
        #   collective: windows of W <= min delay between ranks, Alltoallv double-buffered;
        #   async:      chunks up to each rank's horizon from its incoming link clocks.
        # _compute(upto), on each rank:
        #   until upto:
        #     stop = next state-sampling step or upto
        #     advance(step -> stop) in one numba call; per step t it
        #       1. adds the Poisson counts and DC currents that arrive in step t,
        #       2. updates every neuron group (exact propagators), reading and clearing
        #          ring slot t -- event-driven groups only the neurons listed for slot t --
        #          and collects threshold crossings and scheduled source spikes,
        #       3. records the spikes of recorded neurons, queues those with targets on
        #          other ranks, and delivers every spike through the source-indexed CSR
        #          into the slots t + d of its local targets;
        #     if a spike buffer might overflow, advance stops before the step: double the
        #       buffer and resume (spikes are never dropped);
        #     at a sampling step, copy the recorded state variables.
        n = t_ms / self.dt
        if not (t_ms >= 0 and abs(n - round(n)) <= 1e-9 * max(1.0, n)):
            raise ConfigError(
                f"Simulation.run: duration {t_ms} ms is not a non-negative multiple of dt = "
                f"{self.dt} ms; use a multiple of dt")
        if not self.context.can_run:
            raise ConfigError(
                f"Simulation.run: a {self.context.name} context only pretends to be rank "
                f"{self.context.rank} of {self.context.size}; run under mpiexec with an "
                f"MPIContext, or with one LocalContext")
        end = self.step + int(round(n))
        t0, compiled0, stored0 = time.perf_counter(), compile_seconds(), self.store_seconds
        if self.writer is not None and not self.writer.running:
            self.writer.begin(self)
        try:
            if self.context.size == 1:
                self._compute(end)
            else:
                self.exchange.run(end)
        except BaseException as exc:
            self.fail(exc)
            raise
        finally:
            compiled = compile_seconds() - compiled0
            self.compile_seconds += compiled
            self.run_seconds += (time.perf_counter() - t0 - compiled
                                 - (self.store_seconds - stored0))
        if complete:
            self.end_run("complete")

    def end_run(self, status, reason=None):
        """Flush, and mark the store ``status`` (collective): "complete" when the whole
        requested run has finished, "stopped" after a checkpoint, "interrupted" by a signal
        (with the ``reason``).  A no-op without a store."""
        if self.writer is None:
            return
        try:
            self.flush()
        except Exception as exc:
            self.fail(exc)
            raise
        self.context.allreduce(0)  # every rank has flushed before the store says so
        self.writer.close(self, status, self.rank_counters(), reason)

    def fail(self, exc):
        """A run ends with ``exc`` on this rank: keep what was recorded, and mark this rank's
        part of the store (on rank 0 the store) "interrupted" (Ctrl-C) or "failed", with the
        reason, as far as the disk still takes it."""
        if self.writer is None:
            return
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        reason = failure_reason(exc, self.context.rank)
        try:
            self.flush()
        except Exception as flush_exc:  # e.g. the disk is full: say so, mark what we can
            reason += f"; the last {int(self.counters[C_RECORDED])} recorded spikes could not be written ({failure_reason(flush_exc, self.context.rank)})"
        try:
            self.writer.mark(status, reason)
        except Exception as mark_exc:
            log.error("run store %s could not be marked %s: %s", self.writer.path, status,
                      mark_exc)

    def flush(self):
        """Write this rank's buffered spikes and samples to the store (a no-op without)."""
        if self.writer is None:
            return
        t0 = time.perf_counter()
        n = self.counters[C_RECORDED]
        self.writer.flush(self.rec_step[:n], self.rec_gid[:n], self._samplers, self.step)
        self.counters[C_RECORDED] = 0
        for s in self._samplers:
            s["steps"].clear()
            for vals in s["values"].values():
                vals.clear()
        self._last_flush = self.step
        self.store_seconds += time.perf_counter() - t0

    def checkpoint(self, path, overwrite=False):
        """Write the state at the current step to the zarr checkpoint ``path`` (collective):
        a new path or empty folder, or with ``overwrite`` an earlier checkpoint.
        ``Simulation.restore`` continues from it on any number of ranks."""
        from distsim.store.checkpoint import write_checkpoint
        t0 = time.perf_counter()
        self.flush()
        self._catch_up_event_driven()
        write_checkpoint(self, path, overwrite)
        self.checkpoint_seconds += time.perf_counter() - t0

    @classmethod
    def restore(cls, path, context=None, decomposition=None, backend="collective", **options):
        """A Simulation at the step of checkpoint ``path``, built anew for this context and
        decomposition (any rank count, any balancer); ``options`` as for the constructor."""
        from distsim.store.checkpoint import (load_checkpoint, read_checkpoint_attrs,
                                              read_verified)
        from distsim.store.network_io import read_network
        root, attrs = read_checkpoint_attrs(path)
        network = read_network(root, attrs, lambda name: read_verified(root, attrs, name))
        sim = cls(network, context, decomposition, backend, **options)
        load_checkpoint(sim, root, attrs)
        return sim

    def set_step(self, step):
        """Position a freshly built simulation at ``step`` (used by restore); a store given
        with ``resume_store`` is opened now, to continue from that step."""
        from distsim.comm.exchange import make_exchange
        self.step = self._last_flush = self._first_step = int(step)
        da_ptr = self.plast[11]  # every dopamine arrival up to the step is in (checkpoint)
        da_ptr[self._da_live, DA_KNOWN] = np.maximum(da_ptr[self._da_live, DA_KNOWN], step)
        self.counters[C_SCHEDULE] = np.searchsorted(self.ss_step, step, side="right")
        self._reset_event_lists()
        self.exchange = make_exchange(self.exchange.name, self)
        if self._store is not None and self._resume_store:
            from distsim.store import RunWriter
            self.writer = RunWriter(self._store, self, resume=True)
        elif self.writer is not None:
            self.writer.begin(self)

    def _compute(self, upto):
        while self.step < upto:
            stop = upto
            for s in self._samplers:
                stop = min(stop, (self.step // s["interval"] + 1) * s["interval"])
            if self.writer is not None:
                stop = min(stop, self._last_flush + self.flush_steps)
            reached = self._advance(stop)
            self.step = reached
            if self.counters[C_DA_LATE]:
                raise CommunicationError(
                    f"rank {self.context.rank}: {self.counters[C_DA_LATE]} dopamine spikes of "
                    f"local neurons arrive in or before a step whose presynaptic spikes were "
                    f"processed without them (before step {reached}); a remote presynaptic "
                    f"spike was processed too early")
            if reached < stop and self.counters[C_HIST_FULL]:
                self._grow_history()
            elif reached < stop and self._da_live and not dopamine_room(self.plast[11]):
                self._grow_dopamine()
            elif reached < stop and not self._flush_if_full():
                self._grow_buffers()
            if reached == stop:
                for s in self._samplers:
                    if self.step % s["interval"] == 0:
                        self._sample(s)
            if self.writer is not None and self.step >= self._last_flush + self.flush_steps:
                self.flush()

    def _flush_if_full(self):
        """Flush instead of growing the record buffer once it holds ``flush_mb``."""
        if self.writer is None or 16 * self.counters[C_RECORDED] < self.flush_bytes:
            return False
        self.flush()
        return self.out_step.size - self.counters[C_OUT] >= self.n_local

    def deliver_remote(self, packed, base):
        """Take packed spikes of other ranks' neurons (``gid << lag_bits | step - base``).
        A spike is delivered into the ring buffers once all its arrival steps fall within the
        ring (step + d <= now + ns - 1 for its longest delay) and, for a source with plastic
        synapses here, once this rank has computed step - d for its shortest delay (the
        weight update reads the targets' spikes up to then); a spike from a rank that runs
        ahead waits until then (see ``pending_horizon``).  Spikes of dopamine neurons add
        their arrivals first (``_vt_arrivals``)."""
        from distsim.comm.exchange import LAG_BITS

        if self._vt_gid.size:
            packed = self._vt_arrivals(packed, base, LAG_BITS)
        self.deliver_pending()  # a source's earlier spikes first (plastic synapses need it)
        steps = np.empty(packed.size, np.int64)
        rows = np.empty(packed.size, np.int64)
        n_due, unknown = unpack_spikes(packed, base, LAG_BITS, self.table.row_gid,
                                       self._row_max_delay, self.step + self.ns - 1, steps, rows)
        if unknown:
            raise CommunicationError(
                f"rank {self.context.rank} received {unknown} spikes of gids it has no synapses "
                f"from; the ranks disagree about the routing")
        # unpack_spikes filled the waiting ones from the end: arrival order back
        order = np.r_[np.arange(n_due), np.arange(packed.size - 1, n_due - 1, -1)]
        steps, rows = steps[order], rows[order]
        due = np.arange(packed.size) < n_due
        due &= ~self._too_early(rows, steps)
        if not due.all():  # keep a source's order: nothing after its first waiting spike
            first_wait = np.flatnonzero(~due)[0]
            due[first_wait:] = False
        self._deliver_rows(rows[due], steps[due], int(due.sum()))
        if not due.all():
            self._pending_steps = np.concatenate((self._pending_steps, steps[~due]))
            self._pending_rows = np.concatenate((self._pending_rows, rows[~due]))

    def _too_early(self, rows, steps):
        """Spikes of sources with plastic synapses here whose targets' spikes up to
        step - (shortest delay) are not all computed yet, or, for dopamine synapses of a
        volume transmitter of simulated neurons, whose step is not computed yet: then every
        dopamine spike arriving up to the spike's step is here (it was emitted at least a vt
        delay before, and the exchange has delivered every spike emitted up to the computed
        step minus the lookahead, which is at most the vt delay)."""
        if not self._row_plastic.any():
            return np.zeros(rows.size, np.bool_)
        return self._row_plastic[rows] & (steps - self._row_lead[rows] > self.step)

    def _vt_arrivals(self, packed, base, lag_bits):
        """Add the arrivals of the dopamine neurons' spikes among ``packed`` (all of them,
        whatever their step, before any presynaptic spike is processed) and return the
        other spikes (and those of dopamine neurons with synapses here)."""
        gids = packed >> lag_bits
        pos = np.minimum(np.searchsorted(self._vt_gid, gids), self._vt_gid.size - 1)
        is_vt = self._vt_gid[pos] == gids
        if not is_vt.any():
            return packed
        steps = base + (packed[is_vt] & ((np.int64(1) << lag_bits) - 1))
        self._grow_dopamine(int(is_vt.sum()))
        da_ptr, da_time, da_mult = self.plast[11:14]
        vt_ptr, vt_rule = self.plast[16:18]
        late, r, arrival = vt_spikes(da_ptr, da_time, da_mult, vt_ptr, vt_rule, pos[is_vt],
                                     steps, self.dt)
        if late:
            name = self.network.projections[self._da_proj[r]].name
            raise CommunicationError(
                f"rank {self.context.rank}: {late} dopamine spikes of the volume transmitter "
                f"of projection '{name}' arrive in or before step {da_ptr[r, DA_KNOWN]}, whose "
                f"presynaptic spikes were processed without them (first: step {arrival}); "
                f"the exchange let a rank miss a spike")
        rows = self.table.row_gid
        at = np.minimum(np.searchsorted(rows, gids), max(rows.size - 1, 0))
        keep = ~is_vt | ((rows[at] == gids) if rows.size else False)
        return packed[keep]

    def _grow_dopamine(self, extra=0):
        """Make room in the dopamine arrivals of each rule with synapses here for ``extra``
        more and one step of its local dopamine neurons (doubling the capacity when it grows,
        so the cost is amortised; nothing is dropped)."""
        da_ptr, da_time, da_mult = self.plast[11:14]
        need = da_ptr[:, DA_LEN] + da_ptr[:, DA_NEED] + np.where(  # extra: or per rule
            np.isin(np.arange(da_ptr.shape[0]), self._da_present), extra, 0)
        if np.all(need <= da_ptr[:, DA_CAP]):
            return
        cap = np.where(need > da_ptr[:, DA_CAP], np.maximum(2 * da_ptr[:, DA_CAP], need),
                       da_ptr[:, DA_CAP])
        start = np.cumsum(cap) - cap
        times, mults = np.zeros(int(cap.sum())), np.zeros(int(cap.sum()))
        for r in range(da_ptr.shape[0]):
            a, b, n = da_ptr[r, DA_START], start[r], da_ptr[r, DA_LEN]
            times[b:b + n], mults[b:b + n] = da_time[a:a + n], da_mult[a:a + n]
        da_ptr = da_ptr.copy()
        da_ptr[:, DA_START], da_ptr[:, DA_CAP] = start, cap
        self.plast = (*self.plast[:11], da_ptr, times, mults, *self.plast[14:])

    def deliver_pending(self):
        """Deliver the waiting remote spikes whose arrival steps now all fit in the ring."""
        if self._pending_steps.size == 0:
            return
        due = (self._pending_steps + self._row_max_delay[self._pending_rows]
               <= self.step + self.ns - 1)
        due &= ~self._too_early(self._pending_rows, self._pending_steps)
        rows, steps = self._pending_rows[due], self._pending_steps[due]
        self._pending_rows = self._pending_rows[~due]
        self._pending_steps = self._pending_steps[~due]
        self._deliver_rows(rows, steps, rows.size)

    def _deliver_rows(self, rows, steps, n):
        tb = self.table
        events, late = deliver(rows, steps, n, self.step, self.ns, self.ring, tb.seg_ptr, tb.seg,
                               tb.syn_target, tb.syn_weight, tb.syn_delay, self.seg_lazy,
                               self.touch, self.n_touch, self.listed, self.dt, self.plast)
        if self.hw_row_spikes.size:
            np.add.at(self.hw_row_spikes, rows[:n], 1)
        if late:
            raise CommunicationError(
                f"rank {self.context.rank}: {late} synaptic events arrived after their step "
                f"(now step {self.step}); the exchange let a rank miss a spike")
        self.counters[C_EVENTS] += events

    def pending_horizon(self):
        """Last step that may be computed before a waiting remote spike must be delivered."""
        if self._pending_steps.size == 0:
            return np.iinfo(np.int64).max
        return int((self._pending_steps + self._row_min_delay[self._pending_rows]).min() - 1)

    def _advance(self, stop):
        tb = self.table
        return advance(self.step, stop, self.dt, self.ns, self.grp_model, self.grp_lo,
                       self.grp_hi, self.grp_pbase, self.grp_pstride, self.par, self.st, self.refr, self.ring, self.cur,
                       *self.pz, *self.dc, self.ss_step, self.ss_local,
                       self.local_row, tb.seg_ptr, tb.seg, tb.syn_target, tb.syn_weight,
                       tb.syn_delay, self.grp_lazy, self.lazy_col, self.last, self.seg_lazy,
                       self.touch, self.n_touch, self.listed,
                       self.hw_active, self.hw_spikes, self.hw_row_spikes, self.plast,
                       self.table.max_delay,
                       self.rec_flag, self.local_gid, self.rec_step, self.rec_gid,
                       self.send_flag, self.out_step, self.out_local, self.counters,
                       self._spiked, self._rows, self._steps)

    def _grow_buffers(self):
        """Double the spike record and outgoing buffers: spikes are never dropped."""
        for names in (("rec_step", "rec_gid"), ("out_step", "out_local")):
            for name in names:
                old = getattr(self, name)
                new = arrays.zeros(2 * old.size, np.int64)
                new[:old.size] = old
                setattr(self, name, new)

    def _sample(self, s):
        s["steps"].append(self.step)
        kind = s.get("kind")
        if kind == "weights":
            s["values"]["weight"].append(self.plast[4][s["index"]].copy())
            return
        if kind == "histogram":
            counts = np.histogram(self.plast[4][s["index"]], s["edges"])[0]
            s["values"]["count"].append(counts.astype(np.float64))
            return
        for var in s["rec"].variables:
            s["values"][var].append(s["model"].record(var, self.par, self.st, s["idx"], s["cols"]))

    # ------------------------------------------------------------------ results
    @property
    def t(self):
        """Model time reached (ms)."""
        return self.step * self.dt

    def spikes(self, population=None):
        """This rank's recorded spikes (in the store and in memory) as (times_ms, gids),
        sorted by (step, gid); optionally of one population only."""
        steps, gids = self.spike_steps()
        if population is not None:
            pop = self.network.population(population, "Simulation.spikes")
            keep = (gids >= pop.first_gid) & (gids < pop.first_gid + pop.size)
            steps, gids = steps[keep], gids[keep]
        order = np.lexsort((gids, steps))
        return steps[order] * self.dt, gids[order]

    def spike_steps(self):
        """This rank's recorded spikes as (steps, gids), in the store and in memory."""
        n = self.counters[C_RECORDED]
        steps, gids = self.rec_step[:n].copy(), self.rec_gid[:n].copy()
        if self.writer is not None and self.writer.flushed_spikes:
            k = self.writer.flushed_spikes
            steps = np.concatenate((self.writer.group["spike_step"][:k], steps))
            gids = np.concatenate((self.writer.group["spike_gid"][:k], gids))
        return steps, gids

    def states(self, index=0):
        """Samples of state recorder ``index`` on this rank: dict with 'times' (ms), 'gids'
        and one (n_samples, n_neurons) array per variable (from the store and memory)."""
        s = self._samplers[index]
        steps = np.array(s["steps"], np.int64)
        values = {var: np.array(vals).reshape(steps.size, s["gids"].size)
                  for var, vals in s["values"].items()}
        if self.writer is not None and self.writer.flushed_samples[index]:
            k = self.writer.flushed_samples[index]
            g = self.writer.group[f"state/{index}"]
            steps = np.concatenate((g["step"][:k], steps))
            values = {var: np.concatenate((g[var][:k].astype(np.float64), v))
                      for var, v in values.items()}
        return {"times": steps * self.dt, "gids": s["gids"], **values}

    def _synapses(self, projection, where):
        """(synapse indices in the table, their segments, positions within the segment,
        source rows) of the local synapses of one projection (by name) or all (None)."""
        tb = self.table
        seg_len = np.diff(tb.seg_start)
        seg_row = np.repeat(np.arange(tb.row_gid.size), np.diff(tb.seg_ptr))
        keep = np.ones(seg_len.size, np.bool_)
        if projection is not None:
            names = [p.name for p in self.network.projections]
            if projection not in names:
                raise NetworkError(
                    f"{where}: projection '{projection}' does not exist; "
                    f"projections: {', '.join(names)}")
            keep = tb.seg_proj == names.index(projection)
        syn_seg = np.repeat(np.arange(seg_len.size), seg_len)
        sel = np.flatnonzero(keep[syn_seg])
        syn_seg = syn_seg[sel]
        return sel, syn_seg, sel - tb.seg_start[syn_seg], seg_row[syn_seg]

    def connections(self, projection=None):
        """The local synapses (of one projection, by name, or all) as a dict of arrays
        ``source``, ``target`` (gids), ``weight`` and ``delay`` (ms), like NEST's
        GetConnections; weights are those the kernels use (float32 when drawn)."""
        tb = self.table
        sel, syn_seg, pos, rows = self._synapses(projection, "Simulation.connections")
        wofs = tb.seg[syn_seg, SEG_WOFS]
        weight = np.where(wofs < 0, tb.seg[syn_seg, SEG_WQ] * 2.0 ** -FIXED_BITS,
                          tb.syn_weight[np.where(wofs < 0, 0, wofs + pos)] if tb.syn_weight.size
                          else 0.0)
        plastic = self.seg_plastic[syn_seg] >= 0
        if plastic.any():  # current weights of plastic synapses
            p = self.seg_plastic[syn_seg[plastic]]
            weight = weight.astype(np.float64)
            weight[plastic] = self.plast[4][self.plast[2][p, 0] + pos[plastic]]
        dofs = tb.seg_dofs[syn_seg]
        delay = np.where(tb.seg_delay[syn_seg] > 0, tb.seg_delay[syn_seg],
                         tb.syn_delay[np.where(dofs < 0, 0, dofs + pos)] if tb.syn_delay.size
                         else 0)
        return {"source": tb.row_gid[rows],
                "target": self.local_gid[tb.syn_target[sel].astype(np.int64)],
                "weight": weight, "delay": delay * self.dt,
                "projection": tb.seg_proj[syn_seg]}

    def digest(self):
        """Spike digest of all ranks' recorded spikes (collective).  With several ranks the
        spikes reach rank 0 in chunks of steps (sorted by step first, the SHA-256 is fed chunk
        by chunk), so memory stays bounded; the result is broadcast to every rank."""
        steps, gids = self.spike_steps()
        ctx = self.context
        if ctx.size == 1:
            return spike_digest(steps, gids)
        total = ctx.allreduce(int(steps.size), "sum")
        n_chunks = max(1, -(-total // _DIGEST_CHUNK_SPIKES))
        bounds = np.linspace(0, self.step + 1, n_chunks + 1).round().astype(np.int64)
        sha = hashlib.sha256()
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            keep = (steps >= lo) & (steps < hi)
            parts = ctx.gather((steps[keep], gids[keep]))
            if ctx.rank == 0:
                sha.update(packed_spikes(np.concatenate([p[0] for p in parts]),
                                         np.concatenate([p[1] for p in parts])))
        return ctx.bcast(sha.hexdigest() if ctx.rank == 0 else None)

    def hardware_counts(self):
        """This rank's hardware counters since the build (``hardware_counters=True``): steps
        computed, and per local neuron (gid, steps with synaptic input, spikes) and per
        source row (gid, spikes delivered through its local synapses)."""
        if not self.hw_spikes.size and self.n_local:
            raise ConfigError("Simulation.hardware_counts: the simulation was built without "
                              "hardware_counters=True; build it with them")
        return {"steps": int(self.step - self._first_step), "gid": self.local_gid,
                "active_steps": self.hw_active, "spikes": self.hw_spikes,
                "row_gid": self.table.row_gid, "row_spikes": self.hw_row_spikes}

    def rank_counters(self):
        """This rank's counters: neurons, synapses, spikes, synaptic events, and the
        exchange's spikes/messages/bytes sent and received and seconds computing/waiting."""
        return {"rank": self.context.rank, "neurons": int(self.n_local),
                "synapses": self.table.n_synapses, "spikes": int(self.counters[C_SPIKES]),
                "synaptic_events": int(self.counters[C_EVENTS]),
                "run_s": self.run_seconds, **self.exchange.counters}

    def summary(self, digest=True):
        """Figures of the run so far over all ranks (collective): counts, and the wall time in
        building, compiling, simulating (``simulate_s``, which the real-time factor ``rtf`` is
        per model second of), writing the store and checkpoints (each the slowest rank's), and
        their sum ``wall_s``, all of this process (a restored run: since the restore);
        ``ranks`` lists every rank's counters (gathered to rank 0 only, None elsewhere;
        nothing else is gathered); ``digest=False`` skips the spike digest (a collective gather) when it comes from elsewhere."""
        ctx = self.context
        n_neurons = sum(p.size for p in self.network.populations.values()
                        if not p.model.is_source_only)
        n_recorded = self.counters[C_RECORDED] + (self.writer.flushed_spikes if self.writer else 0)
        totals = ctx.allreduce(np.array([
            self.table.n_synapses, self.counters[C_SPIKES], n_recorded,
            int(self.rec_flag.sum()), self.counters[C_EVENTS]], dtype=np.int64), "sum")
        synapses, spikes, n_rec, recorded_neurons, events = (int(x) for x in totals)
        times = ctx.allreduce(np.array([self.build_seconds, self.compile_seconds,
                                        self.run_seconds, self.store_seconds,
                                        self.checkpoint_seconds]), "max")
        build, compiled, simulate, store, checkpoint = (float(x) for x in times)
        ranks = ctx.gather(self.rank_counters())
        t_s = self.t / 1000.0
        simulated_s = (self.step - self._first_step) * self.dt / 1000.0
        return {
            "neurons": int(n_neurons),
            "synapses": synapses,
            "spikes": spikes,
            "recorded_spikes": n_rec,
            "mean_rate_hz": (n_rec / recorded_neurons / t_s) if recorded_neurons and t_s else 0.0,
            "synaptic_events": events,
            "t_model_ms": self.t,
            "build_s": build,
            "compile_s": compiled,
            "simulate_s": simulate,
            "store_s": store,
            "checkpoint_s": checkpoint,
            "wall_s": build + compiled + simulate + store + checkpoint,
            "rtf": simulate / simulated_s if simulated_s else math.nan,
            "ranks_total": ctx.size,
            "backend": self.exchange.name,
            "exchange": self.exchange.describe(),
            "decomposition": self.decomposition.name,
            "digest": self.digest() if digest else None,
            "ranks": ranks if ctx.rank == 0 else None,
        }


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
        raise StoreError(f"checkpoint: {int((~ok).sum())} {what} entries of this rank are "
                         f"missing; the checkpoint belongs to another network")
    return order[pos]


def _cat(arrays, dtype):
    return np.concatenate(arrays).astype(dtype) if arrays else np.empty(0, dtype)


class _VtRows(NamedTuple):
    """The dopamine neurons a rank needs, as the rows of a synapse table without synapses
    (what comm.routing.build_routing reads): one segment each, of the vt delay."""
    row_gid: np.ndarray
    seg_ptr: np.ndarray
    seg: np.ndarray
    syn_delay: np.ndarray
