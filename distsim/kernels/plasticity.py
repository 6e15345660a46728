"""Plastic synapses (models/synapses.py): the postsynaptic spike history of each target
neuron and the weight update at each presynaptic spike, as NEST's archiving node and STDP
connections do.

Postsynaptic side, per local neuron i with plastic inputs (``n_in[i]`` of them): the traces
``post_state[i] = (K-, K-_triplet, step of the last spike)`` and its spike history, one row
of ``hist`` (float64) holding what a presynaptic spike reads, so that a lookup touches one or
two cache lines: ``hist[i, 0] = (length, key, K-, row)`` (the history's length, the last
trace lookup, see below, and the row of ``exp_tab`` with the decay on the neuron's
tau_minus), then the spikes newest first, ``hist[i, k] = (step, K- after it, K-_triplet
after it, reads)`` for k = 1 .. length, reads counting the plastic synapses that have read
the spike (steps and counts are whole numbers, exact in float64).  A new spike enters at
k = 1 and the older ones move down a row (a neuron spikes far less often than its synapses
are read).
An entry is dropped once every plastic synapse has read it and the next one (so an unread
entry keeps its predecessor, whose time nearest-spike triplet rules need), and the next
one is more than twice the longest delay old: NEST keeps one delay, but a spike from another
rank may be delivered up to one delay after it was emitted, and must still find the trace it
would have found at once (``counters[C_HIST_FULL]`` counts full histories, which the engine
grows before the next step).

Presynaptic side, per plastic segment p (one source row, one projection):
``pl_state[p] = (K+, K+_triplet, step of the source's last spike)`` (traces after the
spike's jump: + 1 all-to-all, to 1 for nearest-spike pairing),
``pl_meta[p] = (offset of its weights in syn_pw (float64), rule row in rule_par, 1 when its
spikes go to receptor 1 of a parrot_neuron and are not delivered)``.

``hist[i, 0, 1:3] = (key, K-)`` remembers neuron i's last trace lookup: many presynaptic
spikes of one step ask for the same value, and a later spike of i cannot change it (key =
step + 0.25 for the all-to-all trace K-, step + 0.75 for the nearest-neighbour trace, which
jumps to 1 at each spike; never the initial -1).

Spike pairing (``rule_par[r, C_PAIRING]``, models/synapses.py): all-to-all, or NEST's
nearest-neighbour schemes, which differ in four flags: the postsynaptic trace jumps to 1
(all of them); only the first postsynaptic spike since the last presynaptic one pairs
(pre-centred, restricted); depression only after such a spike (restricted); the
presynaptic trace at the last presynaptic spike is 1 even before the first one (NEST's
symmetric and restricted schemes, which have no K+).  The pre-centred scheme keeps K+ per
synapse, in ``syn_dopa[k, 0]``.

A presynaptic spike updates its segment's synapses in one pass that also gives the engine their
ring positions and fixed-point weights (``stdp_segment``, ``dopamine_segment``).  Shortcuts,
none of which changes a bit of the result: a run of synapses onto one target with one delay
(multapses) reads the history once, and those with the weight (and K+) of the one before them
get its result copied (they have seen the same spikes); consecutive synapses to one ring
position share a ring entry (integer sums); the decays exp(-lag h / tau_plus) of K+ and
exp(-lag h / tau_minus) of K- come from a table (``exp_table``, the same bits: lags are whole
steps); pow(x, 1) and pow(x, 0) are not called; the history of the target a few synapses ahead is
prefetched.

Views: all-to-all stdp_synapse and stdp_pl_synapse_hom segments with one delay (the common
case, hpc_benchmark's) read a target's newest spikes from its view, one cache line per
neuron that post_spike renews, instead of its history (a large array, where each lookup
missed the cache): ``view[i] = (steps of the four newest spikes (NO_SPIKE past the
oldest), K- after the two newest (0 past the oldest), counted reads, decay table row)``.
The reads of the two newest entries are counted in the view (entry 1 + READS_SHIFT
entry 2) and added to the history before post_spike prunes it and before a checkpoint
(``flush_views``).  The same bits as reading the history (tests/unit/test_stdp_view.py).

Dopamine synapses (stdp_dopamine_synapse) also keep per synapse the eligibility c, the
dopamine trace n and the index of the last dopamine arrival they have taken
(``syn_dopa[k] = (c, n, index)``).  The dopamine arrivals of rule r (its volume
transmitter's spikes + vt_delay) are ``da_time[s:s + n]`` (ms, ascending, first NEST's
pseudo spike at 0 ms) with their multiplicities ``da_mult[s:s + n]`` (spikes arriving in
one step count together), where ``da_ptr[r] = (s = DA_START, capacity DA_CAP, n = DA_LEN,
DA_KNOWN, DA_DELAY, DA_NEED)``.  A spike_source volume transmitter's arrivals are all known
at the build and filled in then.  A volume transmitter of simulated neurons adds each
arrival when its spike is known (``dopamine_arrival``: a local spike in ``advance``, a
remote one when it is received), in time order and merged with an arrival of the same
step; DA_KNOWN is the latest step of a presynaptic spike processed (every arrival up to it
must be in: an arrival at or before it is refused), DA_DELAY the delay in steps, DA_NEED
the number of local dopamine neurons (arrivals one step can add; ``advance`` stops before
a step for which the capacity might not do, and the simulation grows the arrays).  An
arrival comes after every one a synapse has taken (it is later than DA_KNOWN), so the
indices the synapses keep stay valid; nothing is pruned (16 bytes per arrival step).
"""

import math

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .fixed import ring_pos, to_fixed

# the rule table (one row per plastic rule; models/synapses.py writes them): its weight rule
STDP, STDP_PL_HOM, STDP_TRIPLET, STDP_DOPAMINE = 0, 1, 2, 3  # ("kind")
TSODYKS2, TSODYKS = 4, 5  # short-term plasticity (kernels/short_term.py): no spike history
SHORT_TERM = (TSODYKS2, TSODYKS)
# and spike pairing: all-to-all; NEST's three nearest-neighbour pair schemes; nearest-spike
# traces (each trace jumps to 1, Pfister & Gerstner 2006)
PAIR_ALL, PAIR_NN_SYMM, PAIR_NN_PRE_CENTERED, PAIR_NN_RESTR, PAIR_NEAREST = 0, 1, 2, 3, 4
N_RULE_PAR = 11  # columns of the rule table: kind, the model's parameters, pairing
C_PAIRING = N_RULE_PAR - 1

C_HIST_FULL = 5  # index in the engine's counters
H_STEP, H_KM, H_KY, H_READS = 0, 1, 2, 3  # columns of a history entry hist[i, k], k >= 1
H_LEN, H_KEY, H_KVAL, H_TROW = 0, 1, 2, 3  # columns of hist[i, 0]
DA_START, DA_CAP, DA_LEN, DA_KNOWN, DA_DELAY, DA_NEED = 0, 1, 2, 3, 4, 5  # columns of da_ptr[r]
N_DA_COLS = 6
V_S0, V_S1, V_S2, V_S3, V_KM0, V_KM1, V_READS, V_TROW = range(8)  # columns of view[i]
N_VIEW_COLS = 8
NO_SPIKE = -1e300  # view[i, V_S*] past the oldest spike of the history
READS_SHIFT = 2.0**26  # view[i, V_READS] = reads of entry 1 + READS_SHIFT reads of entry 2
PREFETCH = 8  # at each new target, the history of the target this many synapses ahead is
#               prefetched
STDP_EPS = 1e-6  # ms: NEST's tolerance when comparing spike times


@nb.njit(cache=True)
def post_spike(i, t, h, n_in, max_delay, post_state, post_par, hist, view, counters):
    """Archive the spike of neuron i in step t (after pruning what no synapse needs) and
    renew its view."""
    if n_in[i] == 0:
        return
    _flush(view, hist, i)
    cap = hist.shape[1] - 1
    length = np.int64(hist[i, 0, H_LEN])
    was_full = length == cap
    while length > 1:  # the oldest entry is at k = length
        if (
            hist[i, length, H_READS] >= n_in[i]
            and hist[i, length - 1, H_READS] >= n_in[i]
            and t - hist[i, length - 1, H_STEP] > 2 * max_delay + 1
        ):
            length -= 1
        else:
            break
    dt_ms = (post_state[i, 2] - t) * h
    km = post_state[i, 0] * math.exp(dt_ms / post_par[i, 0]) + 1.0
    kt = post_state[i, 1] * math.exp(dt_ms / post_par[i, 1]) + 1.0
    post_state[i, 0], post_state[i, 1], post_state[i, 2] = km, kt, t
    for k in range(length, 0, -1):
        for c in range(4):
            hist[i, k + 1, c] = hist[i, k, c]
    hist[i, 1, H_STEP], hist[i, 1, H_KM], hist[i, 1, H_KY], hist[i, 1, H_READS] = t, km, kt, 0.0
    length += 1
    hist[i, 0, H_LEN] = length
    counters[C_HIST_FULL] += (length == cap) - was_full
    set_view(view, hist, i)


@nb.njit(cache=True)
def dopamine_segment(
    p, t, a, b, d_seg, now, ns, n_cols, base, syn_target, syn_delay, h, plast, ibuf, qbuf
):
    """stdp_dopamine_synapse segment p (synapses a..b, targets base + syn_target) at a spike
    of its source in step t: the weights (``_dopamine_weights``) and where they arrive:
    ``ibuf[j]``, a position in the engine's ring (channel, slot step + d, target), ``qbuf[j]``
    the sum of the fixed-point weights that arrive there (consecutive synapses to one
    position share an entry).  Returns (late synapses (step + d <= now), number of
    entries).  The other rules are ``stdp_segment`` and ``stdp_view_segment``;
    kernels/compose.py calls the ones a network uses."""
    _dopamine_weights(
        p,
        t,
        a,
        b,
        d_seg,
        base,
        syn_target,
        syn_delay,
        h,
        plast.pl_state,
        plast.pl_meta,
        plast.rule_par,
        plast.syn_pw,
        plast.post_par,
        plast.hist,
        plast.out_w,
        plast.syn_dopa,
        plast.da_ptr,
        plast.da_time,
        plast.da_mult,
    )
    return put_segment(t, a, b, d_seg, now, ns, n_cols, base, syn_target, syn_delay, plast.out_w,
                       0, 1.0, ibuf, qbuf)  # fmt: skip


@nb.njit(cache=True, inline="always")
def put_segment(t, a, b, d_seg, now, ns, n_cols, base, syn_target, syn_delay, w, w0, scale,
                ibuf, qbuf):  # fmt: skip
    """The ring positions and fixed-point weights ``scale * w[w0 + m - a]`` of the synapses
    m = a .. b - 1 of a segment at a spike of step t, into ibuf/qbuf (``_put``); returns
    (late synapses (step + d <= now), entries)."""
    late, n_out = 0, 0
    for m in range(a, b):
        dd = d_seg if d_seg > 0 else np.int64(syn_delay[-d_seg - 1 + m - a])
        late += t + dd <= now
        wq = to_fixed(scale * w[w0 + m - a])
        i = base + np.int64(syn_target[m])
        n_out = _put(ring_pos(wq, (t + dd) % ns, ns, n_cols, i), wq, n_out, ibuf, qbuf)
    return late, n_out


@nb.njit(cache=True, inline="always")
def stdp_segment(
    kind,
    pairing,
    p,
    t,
    a,
    b,
    d_seg,
    now,
    ns,
    n_cols,
    base,
    syn_target,
    syn_delay,
    h,
    pl_state,
    pl_meta,
    rule_par,
    syn_pw,
    post_par,
    hist,
    syn_dopa,
    exp_tab,
    ibuf,
    qbuf,
):
    """An STDP segment p (synapses a..b, targets base + syn_target) at a spike of its source
    in step t, as ``dopamine_segment`` (``kind``, ``pairing``: constants where it is called, so each
    combination compiles to a loop without the others' branches)."""
    ofs, r = pl_meta[p, 0], pl_meta[p, 1]
    nearest = pairing != PAIR_ALL  # postsynaptic traces jump to 1
    first_only = pairing == PAIR_NN_PRE_CENTERED or pairing == PAIR_NN_RESTR
    pre_one = pairing == PAIR_NN_SYMM or pairing == PAIR_NN_RESTR
    own_kplus = pairing == PAIR_NN_PRE_CENTERED
    restr = pairing == PAIR_NN_RESTR  # depression only after a pairing
    if own_kplus and syn_dopa.shape[0] < ofs + b - a:
        raise RuntimeError(
            "stdp_nn_pre_centered_synapse keeps K+ per synapse, but the "
            "simulation allocated no per-synapse plastic state (syn_dopa)"
        )
    par = (
        rule_par[r, 1],
        rule_par[r, 2],
        rule_par[r, 3],
        rule_par[r, 4],
        rule_par[r, 5],
        rule_par[r, 6],
        rule_par[r, 7],
    )  # the rule's parameters, kept in registers
    tau_plus = par[0]
    kplus, kx, t_last = pl_state[p, 0], pl_state[p, 1], pl_state[p, 2]
    decay = math.exp((t_last - t) * h / tau_plus)
    if kind == STDP_TRIPLET:  # K+_x just before this spike
        kx_now = kx * math.exp((t_last - t) * h / par[1])
    else:
        kx_now = 0.0
    k_seg = 1.0 if pre_one else kplus  # K+ at t_last (per synapse: pre-centred)
    key_ofs = 0.75 if nearest else 0.25  # trace cache key = step + key_ofs
    tab = exp_tab[r]
    late = 0
    dd = d_seg
    slot = (t + d_seg) % ns
    if d_seg > 0 and t + d_seg <= now:
        late = b - a
    # A run of synapses onto one target with one delay (multapses) reads the target's
    # history once: the post spikes in (t_last - d, t - d] (entries f_new .. f_old, newest
    # first; the oldest of them pairs, or all of them) and K- just before t - d; each
    # synapse of the run counts as a reader of those spikes (for pruning).  A multapse with
    # the weight (and K+) of the one before it gets the same update: the result is copied.
    prev_i, prev_d, run = np.int64(-1), np.int64(-1), np.int64(0)
    f_new, f_old, length, n_pair = np.int64(1), np.int64(0), np.int64(0), np.int64(0)
    kminus = 0.0
    w_prev, w_prev_out, k_prev, k_prev_out = 0.0, 0.0, 0.0, 0.0
    n_out = 0
    row = hist.shape[1] * hist.shape[2]
    for m in range(a, b):
        i = base + np.int64(syn_target[m])
        if d_seg <= 0:
            dd = np.int64(syn_delay[-d_seg - 1 + m - a])
            late += t + dd <= now
            slot = (t + dd) % ns
        w = syn_pw[ofs + m - a]
        k0 = syn_dopa[ofs + m - a, 0] if own_kplus else k_seg
        if (
            i == prev_i
            and dd == prev_d
            and _same(w, w_prev)
            and (not own_kplus or _same(k0, k_prev))
        ):
            w_new, k_new = w_prev_out, k_prev_out  # a multapse: the same update
        else:
            if i != prev_i or dd != prev_d:
                if m + PREFETCH < b:  # the newest end of a later synapse's target history
                    _prefetch(hist, (base + np.int64(syn_target[m + PREFETCH])) * row)
                    _prefetch(hist, (base + np.int64(syn_target[m + PREFETCH])) * row + 7)
                _count_reads(hist, prev_i, f_new, f_old, run)
                prev_i, prev_d, run = i, dd, 0
                hi = t - dd
                length = np.int64(hist[i, 0, H_LEN])
                # newest first: skip spikes after t - d, then those after t_last - d
                f_new = _skip_after(hist, i, length, 1, hi)
                f_old = _skip_after(hist, i, length, f_new, t_last - dd) - 1
                n_pair = min(f_old - f_new + 1, 1) if first_only else f_old - f_new + 1
                if f_old >= f_new or not restr:
                    key = hi + key_ofs
                    if hist[i, 0, H_KEY] == key:  # K- just before t - d: cached per target
                        kminus = hist[i, 0, H_KVAL]  # (later spikes cannot change it)
                    else:
                        kminus = _kminus(hist, i, f_new, length, hi, exp_tab, post_par, h, nearest)
                        hist[i, 0, H_KEY], hist[i, 0, H_KVAL] = key, kminus
            w_new = w
            k = f_old  # facilitation by the pairing post spikes, oldest first, then depression
            for _ in range(n_pair):
                s = hist[i, k, H_STEP]
                kp = _kplus(k0, tab, s, dd, t_last, h, tau_plus)
                ky = 0.0  # triplet: K-_y just before this post spike
                if kind == STDP_TRIPLET and not nearest:
                    ky = hist[i, k, H_KY] - 1.0
                elif kind == STDP_TRIPLET and k < length:  # nearest: from the previous spike
                    ky = math.exp((hist[i, k + 1, H_STEP] - s) * h / post_par[i, 1])
                w_new = _facilitate(kind, par, w_new, kp, ky)
                k -= 1
            k_new = k0
            if own_kplus:
                k_new = (0.0 if f_old >= f_new else k0) * decay + 1.0
            if f_old >= f_new or not restr:
                w_new = _depress(kind, par, w_new, kminus, kx_now)
        w_prev, w_prev_out, k_prev, k_prev_out = w, w_new, k0, k_new
        syn_pw[ofs + m - a] = w_new
        if own_kplus:
            syn_dopa[ofs + m - a, 0] = k_new
        wq = to_fixed(w_new)
        n_out = _put(ring_pos(wq, slot, ns, n_cols, i), wq, n_out, ibuf, qbuf)
        run += 1
    _count_reads(hist, prev_i, f_new, f_old, run)
    pl_state[p, 0] = 1.0 if nearest else kplus * decay + 1.0
    pl_state[p, 1] = 1.0 if nearest else kx_now + 1.0
    pl_state[p, 2] = t
    return late, n_out


@nb.njit(cache=True)
def stdp_view_segment(
    kind,
    p,
    t,
    a,
    b,
    d,
    now,
    ns,
    n_cols,
    base,
    syn_target,
    h,
    pl_state,
    pl_meta,
    rule_par,
    syn_pw,
    post_par,
    hist,
    view,
    exp_tab,
    ibuf,
    qbuf,
):
    """``stdp_segment`` for all-to-all stdp_synapse and stdp_pl_synapse_hom with one delay d
    (``kind`` a constant where it is called): the same bits, reading a
    target's newest spikes from its view (one cache line, kept by post_spike) instead of its
    history.  A synapse pairs with the spikes in (t_last - d, t - d]; when up to three of
    the four newest may pair and one of the two newest is before t - d (for K-), the view
    holds all it needs; else (rare) it reads the history.  The view counts the reads of the
    two newest entries (written to the history when the neuron spikes again and before a
    checkpoint); a multapse with the weight of the synapse before it gets its result."""
    ofs, r = pl_meta[p, 0], pl_meta[p, 1]
    par = (
        rule_par[r, 1],
        rule_par[r, 2],
        rule_par[r, 3],
        rule_par[r, 4],
        rule_par[r, 5],
        rule_par[r, 6],
        rule_par[r, 7],
    )
    tau_plus = par[0]
    kplus, t_last = pl_state[p, 0], pl_state[p, 2]
    tab = exp_tab[r]
    hi = t - d
    thr = t_last - d  # a post spike s pairs when thr < s <= hi
    slot = (t + d) % ns
    prev_i, w_prev, w_prev_out = np.int64(-1), 0.0, 0.0
    n_out = 0
    for j in range(b - a):
        i = base + np.int64(syn_target[a + j])
        w = syn_pw[ofs + j]
        s0, s1, s2 = view[i, V_S0], view[i, V_S1], view[i, V_S2]
        p0 = (s0 > thr) & (s0 <= hi)
        p1 = (s1 > thr) & (s1 <= hi)
        p2 = (s2 > thr) & (s2 <= hi)
        if (view[i, V_S3] > thr) | (s1 >= hi):  # from the history
            length = np.int64(hist[i, 0, H_LEN])
            e0 = _skip_after(hist, i, length, 1, hi)
            e_old = _skip_after(hist, i, length, e0, thr) - 1
            w_new = w
            for k in range(e_old, e0 - 1, -1):
                w_new = _facilitate(
                    kind,
                    par,
                    w_new,
                    _kplus(kplus, tab, hist[i, k, H_STEP], d, t_last, h, tau_plus),
                    0.0,
                )
            w_new = _depress(
                kind, par, w_new, _kminus(hist, i, e0, length, hi, exp_tab, post_par, h, False), 0.0
            )
            _count_reads(hist, i, e0, e_old, 1)
        else:
            if i == prev_i and _same(w, w_prev):
                w_new = w_prev_out  # a multapse: the same update
            else:
                w_new = w  # oldest first
                for s, paired in ((s2, p2), (s1, p1), (s0, p0)):
                    if paired:
                        w_new = _facilitate(
                            kind, par, w_new, _kplus(kplus, tab, s, d, t_last, h, tau_plus), 0.0
                        )
                before = s0 < hi  # K- after the last spike before t - d
                kmv = view[i, V_KM0] if before else view[i, V_KM1]
                km = 0.0
                if kmv != 0.0:  # (0: no such spike)
                    km = kmv * _minus_decay(
                        exp_tab,
                        view[i, V_TROW],
                        hi - np.int64(s0 if before else s1),
                        h,
                        post_par[i, 0],
                    )
                w_new = _depress(kind, par, w_new, km, 0.0)
            view[i, V_READS] += p0 + READS_SHIFT * p1
            if p2:
                hist[i, 3, H_READS] += 1.0
        prev_i, w_prev, w_prev_out = i, w, w_new
        syn_pw[ofs + j] = w_new
        wq = to_fixed(w_new)
        n_out = _put(ring_pos(wq, slot, ns, n_cols, i), wq, n_out, ibuf, qbuf)
    pl_state[p, 0] = kplus * math.exp((t_last - t) * h / tau_plus) + 1.0
    pl_state[p, 1] = 1.0
    pl_state[p, 2] = t
    return (b - a if t + d <= now else 0), n_out


@nb.njit(cache=True, inline="always")
def _skip_after(hist, i, length, k, step):
    """The first entry from k on (newest first) of neuron i's history at or before
    ``step``, length + 1 if none."""
    while k <= length and hist[i, k, H_STEP] > step:
        k += 1
    return k


@nb.njit(cache=True, inline="always")
def _kminus(hist, i, f_new, length, hi, exp_tab, post_par, h, nearest):
    """K- of neuron i just before step hi (= t - d; ``f_new`` its first history entry at or
    before hi): K- after its last spike before hi times exp(-(hi - t_j) h / tau_minus), or
    that decay alone (``nearest``: the trace jumps to 1)."""
    k = f_new if f_new > length or hist[i, f_new, H_STEP] < hi else f_new + 1
    if k > length:
        return 0.0
    kminus = _minus_decay(
        exp_tab, hist[i, 0, H_TROW], hi - np.int64(hist[i, k, H_STEP]), h, post_par[i, 0]
    )
    return kminus if nearest else kminus * hist[i, k, H_KM]


@nb.njit(cache=True, inline="always")
def _minus_decay(exp_tab, row, lag, h, tau_minus):
    """exp(-lag h / tau_minus) for a lag in whole steps: ``exp_tab[row, lag]`` (the same
    bits), beyond the table computed."""
    return (
        exp_tab[np.int64(row), lag]
        if lag < exp_tab.shape[1]
        else math.exp((0.0 - lag) * h / tau_minus)
    )


@nb.njit(cache=True, inline="always")
def _kplus(k0, tab, s, dd, t_last, h, tau_plus):
    """K+ (k0 at the presynaptic spike of step t_last) seen by a postsynaptic spike of step
    s through delay dd: k0 exp(-(s + dd - t_last) h / tau_plus)."""
    lag = np.int64(s) + dd - np.int64(t_last)
    return k0 * (tab[lag] if lag < tab.shape[0] else math.exp((t_last - (s + dd)) * h / tau_plus))


@nb.njit(cache=True, inline="always")
def _flush(view, hist, i):
    """Add the reads counted in neuron i's view to its two newest history entries."""
    reads = view[i, V_READS]
    if reads > 0.0:
        second = math.floor(reads / READS_SHIFT)
        hist[i, 1, H_READS] += reads - second * READS_SHIFT
        hist[i, 2, H_READS] += second
        view[i, V_READS] = 0.0


@nb.njit(cache=True)
def flush_views(view, hist):
    """Add every view's counted reads to the histories (before they are saved)."""
    for i in range(view.shape[0]):
        _flush(view, hist, i)


@nb.njit(cache=True, inline="always")
def set_view(view, hist, i):
    """Neuron i's view (no reads counted): the steps of its four newest spikes (NO_SPIKE
    past the oldest), K- after the two newest (0 past the oldest: K- after a spike is at
    least 1), its row of the decay table."""
    length = np.int64(hist[i, 0, H_LEN])
    view[i, V_S0] = hist[i, 1, H_STEP] if length >= 1 else NO_SPIKE
    view[i, V_S1] = hist[i, 2, H_STEP] if length >= 2 else NO_SPIKE
    view[i, V_S2] = hist[i, 3, H_STEP] if length >= 3 else NO_SPIKE
    view[i, V_S3] = hist[i, 4, H_STEP] if length >= 4 else NO_SPIKE
    view[i, V_KM0] = hist[i, 1, H_KM] if length >= 1 else 0.0
    view[i, V_KM1] = hist[i, 2, H_KM] if length >= 2 else 0.0
    view[i, V_READS] = 0.0
    view[i, V_TROW] = hist[i, 0, H_TROW]


@nb.njit(cache=True)
def set_views(view, hist):
    """Every neuron's view from its history (at the build, after a checkpoint is loaded)."""
    for i in range(view.shape[0]):
        set_view(view, hist, i)


EXP_TABLE_TAUS = 10.0  # decay tables span this many time constants (longer lags: exp)
EXP_TABLE_MAX = 8192


def exp_table(rule_par, tau_minus, h):
    """Decay over lag = 0, 1, ... steps, ``tab[row, lag] = exp(-lag h / tau)``, the same bits
    as the kernels' exp (times are whole steps): rows 0 .. n_rules - 1 for each rule's
    tau_plus (K+ from a presynaptic spike to a postsynaptic spike seen lag steps later; none
    for dopamine rules), then one row per value in ``tau_minus`` (K- from a postsynaptic
    spike to t - d), up to EXP_TABLE_TAUS time constants, at most EXP_TABLE_MAX entries."""
    taus = np.array(
        [0.0 if int(row[0]) == STDP_DOPAMINE else row[1] for row in rule_par] + list(tau_minus)
    )
    n = min(
        EXP_TABLE_MAX,
        max([math.ceil(EXP_TABLE_TAUS * tau / h) for tau in taus if tau > 0], default=0),
    )
    return _exp_table(taus, h, n)


@nb.njit(cache=True)
def _exp_table(taus, h, n):
    tab = np.zeros((taus.shape[0], n))
    for r in range(taus.shape[0]):
        if taus[r] > 0.0:
            for lag in range(n):
                tab[r, lag] = math.exp((0.0 - lag) * h / taus[r])
    return tab


@nb.njit(cache=True, inline="always")
def _put(pos, wq, n, ibuf, qbuf):
    """Append (pos, wq) to the first n entries of ibuf, qbuf, or add wq to the last entry
    when it has that position; returns the new number of entries."""
    if n > 0 and ibuf[n - 1] == pos:
        qbuf[n - 1] += wq
        return n
    ibuf[n] = pos
    qbuf[n] = wq
    return n + 1


@nb.njit(cache=True, inline="always")
def _count_reads(hist, i, k_new, k_old, run):
    """``run`` more synapses have read the history entries k_new .. k_old of neuron i."""
    for k in range(k_new, k_old + 1 if run > 0 else k_new):
        hist[i, k, H_READS] += run


@intrinsic
def _prefetch(typingctx, arr, idx):
    """Ask the CPU to bring element ``idx`` of C-contiguous ``arr`` (flat index) into the
    cache for reading (LLVM's prefetch; no effect on results)."""

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32]),
            "llvm.prefetch.p0",
        )
        builder.call(fn, [ptr, i32(0), i32(3), i32(1)])  # read, keep, data
        return context.get_dummy_value()

    return types.void(arr, types.int64), codegen


@nb.njit(cache=True, inline="always")
def _same(w, v):
    """w and v are the same float (zeros of different signs are not)."""
    return w == v and (w != 0.0 or math.copysign(1.0, w) == math.copysign(1.0, v))


@nb.njit(cache=True, inline="always")
def _pow(x, y):
    """x ** y, without the call for y = 1 or 0 (the same result: pow is exact there)."""
    if y == 1.0:
        return x
    if y == 0.0:
        return 1.0
    return x**y


@nb.njit(cache=True, inline="always")
def _facilitate(kind, par, w, k, ky):
    """w after a pairing with presynaptic trace k (and, triplet, K-_y = ky); ``par`` the
    rule's parameters (its rule_par row from column 1)."""
    if kind == STDP:  # tau_plus, lambda, alpha, mu_plus, mu_minus, Wmax
        wmax = par[5]
        norm = w / wmax + par[1] * _pow(1.0 - w / wmax, par[3]) * k
        return norm * wmax if norm < 1.0 else wmax
    if kind == STDP_PL_HOM:  # tau_plus, lambda, alpha, mu
        return w + par[1] * _pow(w, par[3]) * k
    # triplet: tau_plus, tau_x, Aplus, Aminus, Aplus_triplet, Aminus_triplet, Wmax; |w|
    # changes, w keeps the sign of Wmax
    new_w = abs(w) + k * (par[2] + par[4] * ky)
    return math.copysign(new_w if new_w < abs(par[6]) else abs(par[6]), par[6])


@nb.njit(cache=True, inline="always")
def _depress(kind, par, w, k, kx):
    """w after depression by the postsynaptic trace k (and, triplet, K+_x = kx)."""
    if kind == STDP:
        wmax = par[5]
        norm = w / wmax - par[2] * par[1] * _pow(w / wmax, par[4]) * k
        return norm * wmax if norm > 0.0 else 0.0
    if kind == STDP_PL_HOM:
        new_w = w - par[1] * par[2] * w * k
        return new_w if new_w > 0.0 else 0.0
    new_w = abs(w) - k * (par[3] + par[5] * kx)
    return math.copysign(new_w if new_w > 0.0 else 0.0, par[6])


@nb.njit(cache=True)
def _dopamine_weights(
    p,
    t,
    a,
    b,
    d_seg,
    base,
    syn_target,
    syn_delay,
    h,
    pl_state,
    pl_meta,
    rule_par,
    syn_pw,
    post_par,
    hist,
    out_w,
    syn_dopa,
    da_ptr,
    da_time,
    da_mult,
):
    """stdp_dopamine_synapse at a presynaptic spike in step t (NEST's send): bring each
    synapse of segment p up to t through the postsynaptic spikes (each adds A+ K+ to c)
    and the dopamine arrivals (each adds multiplicity / tau_n to n) in between, integrating
    w exactly; then c -= A- K-(t - d).  Every dopamine arrival up to t must be in
    ``da_time`` (later ones may be, and are not read)."""
    ofs, r = pl_meta[p, 0], pl_meta[p, 1]
    a_plus, a_minus, tau_plus = rule_par[r, 1], rule_par[r, 2], rule_par[r, 3]
    kplus, t_lu = pl_state[p, 0], pl_state[p, 2]
    start, end = da_ptr[r, DA_START], da_ptr[r, DA_START] + da_ptr[r, DA_LEN]
    da = da_time[start:end]
    dm = da_mult[start:end]
    if t > da_ptr[r, DA_KNOWN]:  # every arrival up to t is in (the exchange's guarantee)
        da_ptr[r, DA_KNOWN] = t
    for m in range(a, b):
        i = base + np.int64(syn_target[m])
        dd = d_seg if d_seg > 0 else np.int64(syn_delay[-d_seg - 1 + m - a])
        k = ofs + m - a
        w, c, n, idx = syn_pw[k], syn_dopa[k, 0], syn_dopa[k, 1], np.int64(syn_dopa[k, 2])
        t0 = t_lu * h
        length = np.int64(hist[i, 0, H_LEN])
        for e in range(length, 0, -1):  # postsynaptic spikes reaching the synapse in (t_lu, t]
            s = hist[i, e, H_STEP]
            if s <= t_lu - dd:
                continue
            if s > t - dd:
                break
            hist[i, e, H_READS] += 1
            t1 = (s + dd) * h
            w, c, n, idx = _dopa_span(t0, t1, w, c, n, idx, da, dm, r, rule_par)
            t0 = t1
            if (t - s) * h > STDP_EPS:
                c += a_plus * kplus * math.exp((t_lu * h - t0) / tau_plus)
        w, c, n, idx = _dopa_span(t0, t * h, w, c, n, idx, da, dm, r, rule_par)
        kminus = 0.0
        for e in range(1, length + 1):
            if hist[i, e, H_STEP] < t - dd:
                kminus = hist[i, e, H_KM] * math.exp(
                    (hist[i, e, H_STEP] - (t - dd)) * h / post_par[i, 0]
                )
                break
        c -= a_minus * kminus
        syn_pw[k], syn_dopa[k, 0], syn_dopa[k, 1], syn_dopa[k, 2] = w, c, n, idx
        out_w[m - a] = w
    pl_state[p, 0] = kplus * math.exp((t_lu - t) * h / tau_plus) + 1.0
    pl_state[p, 2] = t


@nb.njit(cache=True, inline="always")
def _dopa_span(t0, t1, w, c, n, idx, da, dm, r, par):
    """From t0 to t1 (ms): the dopamine spikes in (t0, t1] raise n; w integrates
    dw/dt = c (n - b) piece by piece; c decays.  NEST's process_dopa_spikes_."""
    tau_c, tau_n = par[r, 4], par[r, 5]
    if da.shape[0] > idx + 1 and t1 - da[idx + 1] > -STDP_EPS:
        n0 = n * math.exp((da[idx] - t0) / tau_n)
        w = _dopa_weight(w, c, n0, t0 - da[idx + 1], r, par)
        n = n * math.exp((da[idx] - da[idx + 1]) / tau_n) + dm[idx + 1] / tau_n
        idx += 1
        while da.shape[0] > idx + 1 and t1 - da[idx + 1] > -STDP_EPS:
            cd = c * math.exp((t0 - da[idx]) / tau_c)
            w = _dopa_weight(w, cd, n, da[idx] - da[idx + 1], r, par)
            n = n * math.exp((da[idx] - da[idx + 1]) / tau_n) + dm[idx + 1] / tau_n
            idx += 1
        cd = c * math.exp((t0 - da[idx]) / tau_c)
        w = _dopa_weight(w, cd, n, da[idx] - t1, r, par)
    else:
        n0 = n * math.exp((da[idx] - t0) / tau_n)
        w = _dopa_weight(w, c, n0, t0 - t1, r, par)
    return w, c * math.exp((t0 - t1) / tau_c), n, idx


@nb.njit(cache=True, inline="always")
def _dopa_weight(w, c0, n0, minus_dt, r, par):
    """w after a span of -minus_dt ms with eligibility c0 and dopamine n0 at its start,
    clipped to [Wmin, Wmax] (NEST's update_weight_)."""
    tau_c, tau_n, base = par[r, 4], par[r, 5], par[r, 6]
    taus = (tau_c + tau_n) / (tau_c * tau_n)
    w = w - c0 * (
        n0 / taus * math.expm1(taus * minus_dt) - base * tau_c * math.expm1(minus_dt / tau_c)
    )
    return min(max(w, par[r, 7]), par[r, 8])


@nb.njit(cache=True)
def dopamine_arrival(da_ptr, da_time, da_mult, r, step, h):
    """Add a dopamine spike arriving in ``step`` to rule r's arrivals (in time order; one
    more on the multiplicity of an arrival of the same step).  The caller makes room
    (``da_ptr[r, DA_CAP] > da_ptr[r, DA_LEN]``).  Returns False, adding nothing, when the
    arrival is not after ``da_ptr[r, DA_KNOWN]``: a presynaptic spike at or after it has
    already been processed without it."""
    if step <= da_ptr[r, DA_KNOWN]:
        return False
    start, n = da_ptr[r, DA_START], da_ptr[r, DA_LEN]
    t = np.float64(step) * h  # the bits of the arrivals of a spike_source transmitter
    k = start + n  # from the end: arrivals mostly come in time order (entry 0 is at 0 ms)
    while k > start + 1 and da_time[k - 1] > t:
        k -= 1
    if da_time[k - 1] == t:
        da_mult[k - 1] += 1.0
        return True
    for j in range(start + n, k, -1):
        da_time[j] = da_time[j - 1]
        da_mult[j] = da_mult[j - 1]
    da_time[k], da_mult[k] = t, 1.0
    da_ptr[r, DA_LEN] = n + 1
    return True


@nb.njit(cache=True)
def vt_spike(da_ptr, da_time, da_mult, vt_ptr, vt_rule, v, step, h):
    """The spike of dopamine neuron ``v`` (its position in the volume transmitters' neuron
    list; its rules are ``vt_rule[vt_ptr[v]:vt_ptr[v + 1]]``) emitted in ``step``: its
    arrivals.  Returns the number refused as late and the first refused (rule, arrival
    step), or (-1, -1)."""
    late, late_r, late_step = 0, -1, -1
    for j in range(vt_ptr[v], vt_ptr[v + 1]):
        r = vt_rule[j]
        arrival = step + da_ptr[r, DA_DELAY]
        if not dopamine_arrival(da_ptr, da_time, da_mult, r, arrival, h):
            if late == 0:
                late_r, late_step = r, arrival
            late += 1
    return late, late_r, late_step


@nb.njit(cache=True)
def vt_spikes(da_ptr, da_time, da_mult, vt_ptr, vt_rule, vt_index, steps, h):
    """``vt_spike`` for the spikes of dopamine neurons ``vt_index[k]`` in ``steps[k]``:
    the number refused as late and the first refused (rule, arrival step)."""
    late, late_r, late_step = 0, -1, -1
    for k in range(vt_index.shape[0]):
        n, r, arrival = vt_spike(
            da_ptr, da_time, da_mult, vt_ptr, vt_rule, vt_index[k], steps[k], h
        )
        if n and not late:
            late_r, late_step = r, arrival
        late += n
    return late, late_r, late_step


@nb.njit(cache=True, inline="always")
def dopamine_room(da_ptr):
    """Room in every rule's arrivals for one more step of its local dopamine neurons."""
    for r in range(da_ptr.shape[0]):
        if da_ptr[r, DA_CAP] - da_ptr[r, DA_LEN] < da_ptr[r, DA_NEED]:
            return False
    return True
