"""Plastic synapses (models/synapses.py): the postsynaptic spike history of each target
neuron and the weight update at each presynaptic spike, as NEST's archiving node and STDP
connections do.

Postsynaptic side, per local neuron i with plastic inputs (``n_in[i]`` of them): the traces
``post_state[i] = (K-, K-_triplet, step of the last spike)`` and a circular history of its
spikes, ``hist_step[i, k]`` with the traces after each (``hist_val[i, k, 0:2]``) and how many
of its plastic synapses have read it (``hist_acc``); ``hist_meta[i] = (head, length)``.
An entry is dropped once every plastic synapse has read it and the next one (so an unread
entry keeps its predecessor, whose time nearest-spike triplet rules need), and the next
one is more than twice the longest delay old: NEST keeps one delay, but a spike from another rank may be
delivered up to one delay after it was emitted, and must still find the trace it would have
found at once (``counters[C_HIST_FULL]`` counts full histories, which the engine grows
before the next step).

Presynaptic side, per plastic segment p (one source row, one projection):
``pl_state[p] = (K+, K+_triplet, step of the source's last spike)`` (traces after the
spike's jump: + 1 all-to-all, to 1 for nearest-spike pairing),
``pl_meta[p] = (offset of its weights in syn_pw (float64), rule row in rule_par, 1 when its
spikes go to receptor 1 of a parrot_neuron and are not delivered)``.

``k_cache[i] = (key, K-)`` remembers neuron i's last trace lookup: many presynaptic spikes
of one step ask for the same value, and a later spike of i cannot change it (key = step +
0.25 for the all-to-all trace K-, step + 0.75 for the nearest-neighbour trace, which jumps
to 1 at each spike; never the initial -1).

Spike pairing (``rule_par[r, C_PAIRING]``, models/synapses.py): all-to-all, or NEST's
nearest-neighbour schemes, which differ in four flags: the postsynaptic trace jumps to 1
(all of them); only the first postsynaptic spike since the last presynaptic one pairs
(pre-centred, restricted); depression only after such a spike (restricted); the
presynaptic trace at the last presynaptic spike is 1 even before the first one (NEST's
symmetric and restricted schemes, which have no K+).  The pre-centred scheme keeps K+ per
synapse, in ``syn_dopa[k, 0]``.

Dopamine synapses (stdp_dopamine_synapse) also keep per synapse the eligibility c, the
dopamine trace n and the index of the last dopamine spike they have taken
(``syn_dopa[k] = (c, n, index)``); the dopamine spikes of rule r are
``da_time[da_ptr[r]:da_ptr[r + 1]]`` (ms, first a pseudo spike at 0 ms) with their
multiplicities ``da_mult``.
"""
import math

import numba as nb
import numpy as np

from ..models.synapses import (C_PAIRING, PAIR_ALL, PAIR_NN_PRE_CENTERED, PAIR_NN_RESTR,
                               PAIR_NN_SYMM, STDP, STDP_DOPAMINE, STDP_PL_HOM, STDP_TRIPLET)

C_HIST_FULL = 5  # index in the engine's counters
STDP_EPS = 1e-6  # ms: NEST's tolerance when comparing spike times


@nb.njit(cache=True)
def post_spike(i, t, h, n_in, max_delay, post_state, post_par, hist_step, hist_val, hist_acc,
               hist_meta, counters):
    """Archive the spike of neuron i in step t (after pruning what no synapse needs)."""
    if n_in[i] == 0:
        return
    cap = hist_step.shape[1]
    head, length = hist_meta[i, 0], hist_meta[i, 1]
    was_full = length == cap
    while length > 1:
        second = (head + 1) % cap
        if (hist_acc[i, head] >= n_in[i] and hist_acc[i, second] >= n_in[i]
                and t - hist_step[i, second] > 2 * max_delay + 1):
            head = second
            length -= 1
        else:
            break
    dt_ms = (post_state[i, 2] - t) * h
    km = post_state[i, 0] * math.exp(dt_ms / post_par[i, 0]) + 1.0
    kt = post_state[i, 1] * math.exp(dt_ms / post_par[i, 1]) + 1.0
    post_state[i, 0], post_state[i, 1], post_state[i, 2] = km, kt, t
    pos = (head + length) % cap
    hist_step[i, pos] = t
    hist_val[i, pos, 0] = km
    hist_val[i, pos, 1] = kt
    hist_acc[i, pos] = 0
    length += 1
    hist_meta[i, 0], hist_meta[i, 1] = head, length
    counters[C_HIST_FULL] += (length == cap) - was_full


@nb.njit(cache=True)
def plastic_weights(p, t, a, b, d_seg, syn_target, syn_delay, h, pl_state, pl_meta, rule_par,
                    syn_pw, post_par, hist_step, hist_val, hist_acc, hist_meta, out_w,
                    syn_dopa, da_ptr, da_time, da_mult, k_cache):
    """Update the weights of plastic segment p (synapses a..b of the table) for a spike of
    its source in step t and write them to ``out_w[0:b-a]`` (the weights to deliver)."""
    ofs, r = pl_meta[p, 0], pl_meta[p, 1]
    kind = np.int64(rule_par[r, 0])
    if kind == STDP_DOPAMINE:
        _dopamine_weights(p, t, a, b, d_seg, syn_target, syn_delay, h, pl_state, pl_meta,
                          rule_par, syn_pw, post_par, hist_step, hist_val, hist_acc, hist_meta,
                          out_w, syn_dopa, da_ptr, da_time, da_mult)
        return
    pairing = np.int64(rule_par[r, C_PAIRING])
    nearest = pairing != PAIR_ALL  # postsynaptic traces jump to 1
    first_only = pairing == PAIR_NN_PRE_CENTERED or pairing == PAIR_NN_RESTR
    pre_one = pairing == PAIR_NN_SYMM or pairing == PAIR_NN_RESTR
    own_kplus = pairing == PAIR_NN_PRE_CENTERED
    if own_kplus and syn_dopa.shape[0] < ofs + b - a:
        raise RuntimeError("stdp_nn_pre_centered_synapse keeps K+ per synapse, but the "
                           "simulation allocated no per-synapse plastic state (syn_dopa)")
    tau_plus = rule_par[r, 1]
    kplus, kx, t_last = pl_state[p, 0], pl_state[p, 1], pl_state[p, 2]
    decay = math.exp((t_last - t) * h / tau_plus)
    if kind == STDP_TRIPLET:  # K+_x just before this spike
        kx_now = kx * math.exp((t_last - t) * h / rule_par[r, 2])
    else:
        kx_now = 0.0
    cap = hist_step.shape[1]
    for m in range(a, b):
        i = syn_target[m]
        dd = d_seg if d_seg > 0 else np.int64(syn_delay[-d_seg - 1 + m - a])
        w = syn_pw[ofs + m - a]
        k0 = syn_dopa[ofs + m - a, 0] if own_kplus else (1.0 if pre_one else kplus)
        lo, hi = t_last - dd, t - dd
        head, length = hist_meta[i, 0], hist_meta[i, 1]
        first = length  # facilitation: post spikes in (t_last - d, t - d], oldest first;
        while first > 0 and hist_step[i, (head + first - 1) % cap] > lo:  # found from the
            first -= 1                                                    # newest end
        paired = False
        for k in range(first, length):
            pos = (head + k) % cap
            s = hist_step[i, pos]
            if s > hi:
                break
            hist_acc[i, pos] += 1
            if paired and first_only:
                continue
            paired = True
            kp = k0 * math.exp((t_last - (s + dd)) * h / tau_plus)
            ky = 0.0  # triplet: K-_y just before this post spike
            if kind == STDP_TRIPLET and not nearest:
                ky = hist_val[i, pos, 1] - 1.0
            elif kind == STDP_TRIPLET and k > 0:  # nearest: from the previous post spike
                ky = math.exp((hist_step[i, (pos + cap - 1) % cap] - s) * h / post_par[i, 1])
            w = _facilitate(kind, r, rule_par, w, kp, ky)
        if own_kplus:
            syn_dopa[ofs + m - a, 0] = (0.0 if paired else k0) * decay + 1.0
        if paired or pairing != PAIR_NN_RESTR:
            key = hi + (0.75 if nearest else 0.25)
            if k_cache[i, 0] == key:  # depression: K- just before t - d (cached per target:
                kminus = k_cache[i, 1]  # later spikes of the target cannot change it)
            else:
                kminus = 0.0
                for k in range(length - 1, -1, -1):
                    pos = (head + k) % cap
                    s = hist_step[i, pos]
                    if s < hi:
                        kminus = math.exp((s - hi) * h / post_par[i, 0])
                        if not nearest:
                            kminus *= hist_val[i, pos, 0]
                        break
                k_cache[i, 0], k_cache[i, 1] = key, kminus
            w = _depress(kind, r, rule_par, w, kminus, kx_now)
        syn_pw[ofs + m - a] = w
        out_w[m - a] = w
    pl_state[p, 0] = 1.0 if nearest else kplus * decay + 1.0
    pl_state[p, 1] = 1.0 if nearest else kx_now + 1.0
    pl_state[p, 2] = t


@nb.njit(cache=True, inline="always")
def _facilitate(kind, r, par, w, k, ky):
    if kind == STDP:  # tau_plus, lambda, alpha, mu_plus, mu_minus, Wmax
        wmax = par[r, 6]
        norm = w / wmax + par[r, 2] * (1.0 - w / wmax) ** par[r, 4] * k
        return norm * wmax if norm < 1.0 else wmax
    if kind == STDP_PL_HOM:  # tau_plus, lambda, alpha, mu
        return w + par[r, 2] * w ** par[r, 4] * k
    # triplet: tau_plus, tau_x, Aplus, Aminus, Aplus_triplet, Aminus_triplet, Wmax; |w|
    # changes, w keeps the sign of Wmax
    new_w = abs(w) + k * (par[r, 3] + par[r, 5] * ky)
    return math.copysign(new_w if new_w < abs(par[r, 7]) else abs(par[r, 7]), par[r, 7])


@nb.njit(cache=True, inline="always")
def _depress(kind, r, par, w, k, kx):
    if kind == STDP:
        wmax = par[r, 6]
        norm = w / wmax - par[r, 3] * par[r, 2] * (w / wmax) ** par[r, 5] * k
        return norm * wmax if norm > 0.0 else 0.0
    if kind == STDP_PL_HOM:
        new_w = w - par[r, 2] * par[r, 3] * w * k
        return new_w if new_w > 0.0 else 0.0
    new_w = abs(w) - k * (par[r, 4] + par[r, 6] * kx)
    return math.copysign(new_w if new_w > 0.0 else 0.0, par[r, 7])


@nb.njit(cache=True)
def _dopamine_weights(p, t, a, b, d_seg, syn_target, syn_delay, h, pl_state, pl_meta, rule_par,
                      syn_pw, post_par, hist_step, hist_val, hist_acc, hist_meta, out_w,
                      syn_dopa, da_ptr, da_time, da_mult):
    """stdp_dopamine_synapse at a presynaptic spike in step t (NEST's send): bring each
    synapse of segment p up to t through the postsynaptic spikes (each adds A+ K+ to c)
    and the dopamine spikes (each adds multiplicity / tau_n to n) in between, integrating
    w exactly; then c -= A- K-(t - d)."""
    ofs, r = pl_meta[p, 0], pl_meta[p, 1]
    a_plus, a_minus, tau_plus = rule_par[r, 1], rule_par[r, 2], rule_par[r, 3]
    kplus, t_lu = pl_state[p, 0], pl_state[p, 2]
    da = da_time[da_ptr[r]:da_ptr[r + 1]]
    dm = da_mult[da_ptr[r]:da_ptr[r + 1]]
    cap = hist_step.shape[1]
    for m in range(a, b):
        i = syn_target[m]
        dd = d_seg if d_seg > 0 else np.int64(syn_delay[-d_seg - 1 + m - a])
        k = ofs + m - a
        w, c, n, idx = syn_pw[k], syn_dopa[k, 0], syn_dopa[k, 1], np.int64(syn_dopa[k, 2])
        t0 = t_lu * h
        head, length = hist_meta[i, 0], hist_meta[i, 1]
        for e in range(length):  # postsynaptic spikes reaching the synapse in (t_lu, t]
            pos = (head + e) % cap
            s = hist_step[i, pos]
            if s <= t_lu - dd:
                continue
            if s > t - dd:
                break
            hist_acc[i, pos] += 1
            t1 = (s + dd) * h
            w, c, n, idx = _dopa_span(t0, t1, w, c, n, idx, da, dm, r, rule_par)
            t0 = t1
            if (t - s) * h > STDP_EPS:
                c += a_plus * kplus * math.exp((t_lu * h - t0) / tau_plus)
        w, c, n, idx = _dopa_span(t0, t * h, w, c, n, idx, da, dm, r, rule_par)
        kminus = 0.0
        for e in range(length - 1, -1, -1):
            pos = (head + e) % cap
            if hist_step[i, pos] < t - dd:
                kminus = hist_val[i, pos, 0] * math.exp((hist_step[i, pos] - (t - dd)) * h
                                                        / post_par[i, 0])
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
    w = w - c0 * (n0 / taus * math.expm1(taus * minus_dt)
                  - base * tau_c * math.expm1(minus_dt / tau_c))
    return min(max(w, par[r, 7]), par[r, 8])
