"""The per-rank event-driven core: one call advances all local neurons by a span of steps.

Step numbering: step t integrates the state from (t-1) dt to t dt.  A spike emitted in step t
has time t dt (NEST's spike time) and, over a connection of delay d steps, is read in step
t + d.  Synaptic input waits in a ring buffer ``ring[channel * ns + (t % ns), i]`` of int64
fixed-point values (weight * 2**FIXED_BITS): sums of integers do not depend on the order in
which spikes arrive, so input to a neuron is bit-identical for any partition.  Channel 0
collects positive (excitatory), channel 1 negative (inhibitory) weights.  ``cur[t % ns, i]``
holds DC current (pA) arriving in step t; it acts from step t + 1 on, as NEST's I_0.  A DC
input of window (start, stop] and delay d is emitted in steps start/dt .. stop/dt - 1, so it
is integrated in the steps ending in (start + d, stop + d], as NEST's dc_generator.

Schedule of one step t:
  1. stimuli: Poisson counts emitted in step t - d (keyed by (stimulus, gid, t - d); emitted
     in steps ending in (start, stop]) and DC currents are added to slot t;
  2. every neuron group is updated (parameters of neuron i in column
     grp_pbase[g] + (i - grp_lo[g]) * grp_pstride[g] of ``par``: stride 0 when the whole
     population shares one parameter set) with its model's exact propagator, reading and clearing
     slot t; threshold crossings are collected; spike sources emit their scheduled spikes;
     event-driven groups (iaf_psc_delta with nothing but synaptic input, see
     ``_update_delta_events``) compute only the neurons whose input arrives in step t,
     listed in ``touch[t % ns]`` by ``deliver``;
  3. each spike is recorded (if its neuron is recorded), queued for the ranks that hold
     targets of it (if any), and delivered through the source-indexed CSR table into slots
     t + d of its local targets.  Spikes from other ranks are delivered by the same
     ``deliver`` kernel when they arrive, always before their slot is read.
"""
import math

import numba as nb
import numpy as np

from ..models import iaf_psc_alpha as alpha
from ..models import iaf_psc_delta as delta
from ..models import iaf_psc_exp as pexp
from ..models import izhikevich as izh
from ..models import loihi_cuba_lif as loihi
from ..models import parrot_neuron as parrot
from ..models.base import P_I_E, P_REFR, P_THETA, P_V_MIN, P_V_RESET, S_I0, S_V
from ..rng import GOLDEN, INV_2_53, POISSON_INVERSION_MAX, poisson_ptrs, splitmix64
from .fixed import FIXED_BITS, FIXED_INV, FIXED_SCALE  # noqa: F401 (re-exported)
from .fixed import ring_pos, to_fixed
from .plasticity import C_HIST_FULL, dopamine_room, plastic_deliver, post_spike, vt_spike

# counters (int64 array shared with Python)
C_RECORDED, C_SPIKES, C_EVENTS, C_SCHEDULE, C_OUT = 0, 1, 2, 3, 4
C_DA_LATE = 6  # dopamine arrivals of local neurons refused as late (never: checked after runs)
N_COUNTERS = 7  # and plasticity.C_HIST_FULL = 5


# Each kernel below handles a whole group (or a whole step) per call: numba increments and
# decrements the reference count of every array argument on each call, which inside a
# per-neuron loop cost 10x the neuron update itself (measured).


@nb.njit(cache=True)
def _update_delta(lo, hi, pbase, pstride, par, st, refr, ex_line, in_line, cur_line,
                  spiked, nspk):
    for i in range(lo, hi):
        c = pbase + (i - lo) * pstride
        spikes = (ex_line[i] + in_line[i]) * FIXED_INV
        current = cur_line[i]
        ex_line[i] = 0
        in_line[i] = 0
        cur_line[i] = 0.0
        y3 = st[S_V, i]
        if refr[i] == 0:
            y3 = par[delta.P_P30, c] * (st[S_I0, i] + par[P_I_E, c]) + par[delta.P_P33, c] * y3 + spikes
            if par[delta.P_REFR_INPUT, c] != 0.0 and st[delta.S_REFR_BUFFER, i] != 0.0:
                y3 += st[delta.S_REFR_BUFFER, i]
                st[delta.S_REFR_BUFFER, i] = 0.0
            if y3 < par[P_V_MIN, c]:
                y3 = par[P_V_MIN, c]
        else:
            if par[delta.P_REFR_INPUT, c] != 0.0:
                st[delta.S_REFR_BUFFER, i] += spikes * math.exp(-refr[i] * par[delta.P_H_OVER_TAU, c])
            refr[i] -= 1
        if y3 >= par[P_THETA, c]:
            refr[i] = np.int32(par[P_REFR, c])
            y3 = par[P_V_RESET, c]
            spiked[nspk] = i
            nspk += 1
        st[S_V, i] = y3
        st[S_I0, i] = current
    return nspk


@nb.njit(inline="always")
def _delta_relax(y, r, n, y_inf, h_over_tau):
    """iaf_psc_delta over n steps without input, in closed form: r refractory steps hold V,
    the rest relax it, y -> y_inf + (y - y_inf) exp(-n h / tau_m).  Returns (y, r)."""
    hold = min(r, n)
    n -= hold
    if n > 0:
        y = y_inf + (y - y_inf) * math.exp(-n * h_over_tau)
    return y, r - hold


@nb.njit(cache=True)
def _update_delta_events(t, touch_line, n_touch, listed_line, col, par, st, refr, last, ex_line,
                         in_line, spiked, nspk):
    """Event-driven iaf_psc_delta: only the neurons whose input arrives in step t
    (``touch_line[:n_touch]``; ``col[i]``: the parameter column of neuron i) are computed.  Each first catches up, in closed form, the steps
    since ``last[i]`` in which nothing reached it, then takes step t as ``_update_delta``
    does.  Valid for groups without DC, Poisson input or refractory_input, whose resting
    potential y_inf = I_e tau_m / C_m lies below threshold: between inputs they cannot fire.
    The catch-up equals the step-by-step result to rounding (a few ulp)."""
    for k in range(n_touch):
        i = touch_line[k]
        listed_line[i] = 0
        c = col[i]
        spikes = (ex_line[i] + in_line[i]) * FIXED_INV
        ex_line[i] = 0
        in_line[i] = 0
        y3, r = _delta_relax(st[S_V, i], np.int64(refr[i]), t - 1 - last[i],
                             par[delta.P_Y_INF, c], par[delta.P_H_OVER_TAU, c])
        if r == 0:
            y3 = par[delta.P_P30, c] * par[P_I_E, c] + par[delta.P_P33, c] * y3 + spikes
        else:
            r -= 1
        if y3 < par[P_V_MIN, c]:
            y3 = par[P_V_MIN, c]
        if y3 >= par[P_THETA, c]:
            r = np.int64(par[P_REFR, c])
            y3 = par[P_V_RESET, c]
            spiked[nspk] = i
            nspk += 1
        st[S_V, i] = y3
        refr[i] = r
        last[i] = t
    return nspk


@nb.njit(cache=True)
def catch_up_events(t, lazy, grp_lo, grp_hi, grp_pbase, grp_pstride, par, st, refr, last):
    """Bring every neuron of the event-driven groups (``lazy[g]``) to step t, which must not
    have input pending for them in steps up to t (so: before checkpoints and state reads)."""
    for g in range(grp_lo.shape[0]):
        if not lazy[g]:
            continue
        for i in range(grp_lo[g], grp_hi[g]):
            c = grp_pbase[g] + (i - grp_lo[g]) * grp_pstride[g]
            y3, r = _delta_relax(st[S_V, i], np.int64(refr[i]), t - last[i],
                                 par[delta.P_Y_INF, c], par[delta.P_H_OVER_TAU, c])
            st[S_V, i] = max(y3, par[P_V_MIN, c])
            refr[i] = r
            last[i] = t


@nb.njit(cache=True)
def _update_exp(lo, hi, pbase, pstride, par, st, refr, ex_line, in_line, cur_line, spiked, nspk):
    for i in range(lo, hi):
        c = pbase + (i - lo) * pstride
        ex = ex_line[i] * FIXED_INV
        inh = in_line[i] * FIXED_INV
        current = cur_line[i]
        ex_line[i] = 0
        in_line[i] = 0
        cur_line[i] = 0.0
        v = st[S_V, i]
        if refr[i] == 0:
            v = (v * par[pexp.P_P22, c] + st[pexp.S_I_EX, i] * par[pexp.P_P21EX, c]
                 + st[pexp.S_I_IN, i] * par[pexp.P_P21IN, c]
                 + (par[P_I_E, c] + st[S_I0, i]) * par[pexp.P_P20, c])
        else:
            refr[i] -= 1
        st[pexp.S_I_EX, i] = st[pexp.S_I_EX, i] * par[pexp.P_P11EX, c] + ex
        st[pexp.S_I_IN, i] = st[pexp.S_I_IN, i] * par[pexp.P_P11IN, c] + inh
        if v >= par[P_THETA, c]:
            refr[i] = np.int32(par[P_REFR, c])
            v = par[P_V_RESET, c]
            spiked[nspk] = i
            nspk += 1
        st[S_V, i] = v
        st[S_I0, i] = current
    return nspk


@nb.njit(cache=True)
def _update_alpha(lo, hi, pbase, pstride, par, st, refr, ex_line, in_line, cur_line,
                  spiked, nspk):
    for i in range(lo, hi):
        c = pbase + (i - lo) * pstride
        ex = ex_line[i] * FIXED_INV
        inh = in_line[i] * FIXED_INV
        current = cur_line[i]
        ex_line[i] = 0
        in_line[i] = 0
        cur_line[i] = 0.0
        y3 = st[S_V, i]
        di_ex, i_ex = st[alpha.S_DI_EX, i], st[alpha.S_I_EX, i]
        di_in, i_in = st[alpha.S_DI_IN, i], st[alpha.S_I_IN, i]
        if refr[i] == 0:
            y3 = (par[alpha.P_P30, c] * (st[S_I0, i] + par[P_I_E, c])
                  + par[alpha.P_P31EX, c] * di_ex + par[alpha.P_P32EX, c] * i_ex
                  + par[alpha.P_P31IN, c] * di_in + par[alpha.P_P32IN, c] * i_in
                  + par[alpha.P_EXPM1_TAU, c] * y3 + y3)
            if y3 < par[P_V_MIN, c]:
                y3 = par[P_V_MIN, c]
        else:
            refr[i] -= 1
        st[alpha.S_I_EX, i] = par[alpha.P_P21EX, c] * di_ex + par[alpha.P_P11EX, c] * i_ex
        st[alpha.S_DI_EX, i] = di_ex * par[alpha.P_P11EX, c] + par[alpha.P_EPSC_EX, c] * ex
        st[alpha.S_I_IN, i] = par[alpha.P_P21IN, c] * di_in + par[alpha.P_P11IN, c] * i_in
        st[alpha.S_DI_IN, i] = di_in * par[alpha.P_P11IN, c] + par[alpha.P_EPSC_IN, c] * inh
        if y3 >= par[P_THETA, c]:
            refr[i] = np.int32(par[P_REFR, c])
            y3 = par[P_V_RESET, c]
            spiked[nspk] = i
            nspk += 1
        st[S_V, i] = y3
        st[S_I0, i] = current
    return nspk


@nb.njit(cache=True)
def _update_izhikevich(lo, hi, pbase, pstride, par, st, h, ex_line, in_line, cur_line,
                       spiked, nspk):
    for i in range(lo, hi):
        c = pbase + (i - lo) * pstride
        spikes = (ex_line[i] + in_line[i]) * FIXED_INV
        current = cur_line[i]
        ex_line[i] = 0
        in_line[i] = 0
        cur_line[i] = 0.0
        v, u = st[S_V, i], st[izh.S_U, i]
        drive = st[S_I0, i] + par[P_I_E, c]
        a, b = par[izh.P_A, c], par[izh.P_B, c]
        if par[izh.P_CONSISTENT, c] != 0.0:
            v_old, u_old = v, u
            v += h * (0.04 * v_old * v_old + 5.0 * v_old + 140.0 - u_old + drive) + spikes
            u += h * a * (b * v_old - u_old)
        else:
            v += h * 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + drive + spikes)
            v += h * 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + drive + spikes)
            u += h * a * (b * v - u)
        if v < par[P_V_MIN, c]:
            v = par[P_V_MIN, c]
        if v >= par[P_THETA, c]:
            v = par[izh.P_C, c]
            u += par[izh.P_D, c]
            spiked[nspk] = i
            nspk += 1
        st[S_V, i] = v
        st[izh.S_U, i] = u
        st[S_I0, i] = current
    return nspk


@nb.njit(cache=True)
def _update_loihi(lo, hi, pbase, pstride, par, st, ex_line, in_line, cur_line, spiked, nspk):
    """Loihi CUBA LIF in integers (models/loihi_cuba_lif.py; Lava's bit-accurate model):
    u and v are integers held exactly in float64; products stay below 2^36."""
    for i in range(lo, hi):
        c = pbase + (i - lo) * pstride
        a = (ex_line[i] + in_line[i]) >> FIXED_BITS  # integer weights are exact in fixed point
        ex_line[i] = 0
        in_line[i] = 0
        cur_line[i] = 0.0
        wexp = np.int64(par[loihi.P_WEXP, c])
        a = a << wexp if wexp >= 0 else a >> -wexp
        u = np.int64(st[loihi.S_U, i])
        tmp = u * (4096 - np.int64(par[loihi.P_DU, c]) - 1)
        u = (tmp >> 12 if tmp >= 0 else -((-tmp) >> 12)) + (a << 6)
        if u > loihi.UV_MAX:
            u -= 2 * loihi.UV_MAX
        elif u <= -loihi.UV_MAX:
            u += 2 * loihi.UV_MAX
        v = np.int64(st[S_V, i])
        tmp = v * (4096 - np.int64(par[loihi.P_DV, c]))
        v = (tmp >> 12 if tmp >= 0 else -((-tmp) >> 12)) + u + np.int64(par[loihi.P_BIAS, c])
        v = min(max(v, -loihi.UV_MAX + 1), loihi.UV_MAX - 1)
        if v > par[loihi.P_VTH, c]:
            v = 0
            spiked[nspk] = i
            nspk += 1
        st[S_V, i] = v
        st[loihi.S_U, i] = u
    return nspk


@nb.njit(cache=True)
def _stimulate(t, ns, ring, cur, pz_ptr, pz_local, pz_key, pz_lam, pz_cdf, pz_guide, pz_wq,
               pz_delay, pz_start, pz_stop, dc_ptr, dc_local, dc_amp, dc_delay, dc_start, dc_stop):
    """Add the Poisson counts and DC currents that arrive in step t to slot t % ns."""
    slot = t % ns
    for j in range(pz_ptr.shape[0] - 1):
        te = t - pz_delay[j]
        if pz_start[j] < te and te <= pz_stop[j]:
            lam, wq = pz_lam[j], pz_wq[j]
            line = ring[slot + (0 if wq >= 0 else ns)]
            for k in range(pz_ptr[j], pz_ptr[j + 1]):
                z = splitmix64(pz_key[k] + np.uint64(te) * GOLDEN)
                if lam < POISSON_INVERSION_MAX:  # guided inversion of the CDF, one uniform
                    u = np.float64(z >> np.uint64(11)) * INV_2_53
                    n = pz_guide[j, z >> np.uint64(58)]  # floor(u * POISSON_TABLE)
                    while u >= pz_cdf[j, n]:
                        n += 1
                else:
                    n = poisson_ptrs(z, lam)
                if n > 0:
                    line[pz_local[k]] += n * wq
    for j in range(dc_ptr.shape[0] - 1):
        te = t - dc_delay[j]
        if dc_start[j] <= te and te < dc_stop[j]:
            for k in range(dc_ptr[j], dc_ptr[j + 1]):
                cur[slot, dc_local[k]] += dc_amp[j]


@nb.njit(cache=True)
def deliver(rows, steps, n, now, ns, ring, seg_ptr, seg, syn_target, syn_weight, syn_delay,
            seg_lazy, touch, n_touch, listed, h, plast):
    """Add the weights of the synapses of source rows ``rows[:n]`` (spikes emitted in steps
    ``steps[:n]``) to the slots step + d of their targets; ``seg`` columns as
    connectivity.SEG_*.  Targets of segments flagged in ``seg_lazy`` (event-driven groups)
    are also listed, once per slot (``listed[slot, i]``, a small array that stays in cache),
    in ``touch[slot, :n_touch[slot]]``.  Segments of plastic synapses (``plast``: the arrays
    of kernels/plasticity.py, segment index in ``plast[0]``) update their weights and give
    their ring positions in one pass (plastic_deliver).
    Returns (synaptic events, late synapses): a synapse is late when step + d <= ``now``,
    the last step computed, which the exchange must never allow."""
    (seg_plastic, pl_state, pl_meta, rule_par, syn_pw, post_par, _, _, hist, out_w, syn_dopa,
     da_ptr, da_time, da_mult, exp_tab, _, _, _, view) = plast
    events = 0
    late = 0
    flat = ring.reshape(-1)
    n_cols = ring.shape[1]
    ibuf = np.empty(0, np.int64)  # a segment's ring positions and weights, then the adds in
    qbuf = np.empty(0, np.int64)  # a loop of their own (many cache misses in flight); grown
    #                               only when a per-synapse segment comes (not for Brunel's)
    for k in range(n):
        row = rows[k]
        t = steps[k]
        for sg in range(seg_ptr[row], seg_ptr[row + 1]):
            a = seg[sg, 0]
            b = seg[sg + 1, 0]
            wq = seg[sg, 1]
            d = seg[sg, 2]
            wofs = seg[sg, 3]
            events += b - a
            plastic = seg_plastic[sg] >= 0
            lazy = seg_lazy[sg] != 0
            if wofs < 0 and d > 0 and not (plastic or lazy):  # one weight, one delay
                if t + d <= now:
                    late += b - a
                line = ring[(t + d) % ns + (0 if wq >= 0 else ns)]
                for m in range(a, b):
                    line[syn_target[m]] += wq
                continue
            if b - a > ibuf.shape[0]:
                ibuf = np.empty(2 * (b - a), np.int64)
                qbuf = np.empty(2 * (b - a), np.int64)
            n_out = b - a
            if plastic:  # new weights and their ring positions (merged for multapses)
                p = seg_plastic[sg]
                n_late, n_out = plastic_deliver(p, t, a, b, d, now, ns, n_cols, syn_target,
                                                syn_delay, h, pl_state, pl_meta, rule_par,
                                                syn_pw, post_par, hist, view, out_w, syn_dopa,
                                                da_ptr, da_time, da_mult, exp_tab, ibuf, qbuf)
                late += n_late
                if pl_meta[p, 2]:  # receptor 1 of a parrot: nothing arrives
                    continue
            else:
                slot = (t + d) % ns  # one delay: one slot
                if d > 0 and t + d <= now:
                    late += b - a
                for m in range(a, b):
                    if wofs >= 0:
                        wq = to_fixed(np.float64(syn_weight[wofs + m - a]))
                    if d <= 0:
                        dd = np.int64(syn_delay[-d - 1 + m - a])
                        if t + dd <= now:
                            late += 1
                        slot = (t + dd) % ns
                    ibuf[m - a] = ring_pos(wq, slot, ns, n_cols, syn_target[m])
                    qbuf[m - a] = wq
            if lazy:  # list the targets for their slots (event-driven groups)
                for m in range(n_out):
                    slot = ibuf[m] // n_cols % ns
                    i = ibuf[m] % n_cols
                    if not listed[slot, i]:
                        listed[slot, i] = 1
                        touch[slot, n_touch[slot]] = i
                        n_touch[slot] += 1
            for m in range(n_out):
                flat[ibuf[m]] += qbuf[m]
    return events, late


@nb.njit(cache=True)
def advance(t_from, t_to, h, ns,
            grp_model, grp_lo, grp_hi, grp_pbase, grp_pstride, par, st, refr, ring, cur,
            pz_ptr, pz_local, pz_key, pz_lam, pz_cdf, pz_guide, pz_wq, pz_delay, pz_start, pz_stop,
            dc_ptr, dc_local, dc_amp, dc_delay, dc_start, dc_stop,
            ss_step, ss_local,
            local_row, seg_ptr, seg, syn_target, syn_weight, syn_delay,
            grp_lazy, lazy_col, last, seg_lazy, touch, n_touch, listed,
            hw_active, hw_spikes, hw_row_spikes, plast, max_delay,
            rec_flag, local_gid, rec_step, rec_gid, send_flag, out_step, out_local,
            counters, spiked, rows, steps):
    """Compute steps t_from+1 .. t_to; return the last step computed.  Spikes of neurons
    flagged in ``send_flag`` (targets on other ranks) are appended to out_step / out_local.
    With hardware counters (arrays of length > 0) it counts per local neuron the steps with
    synaptic input (``hw_active``) and the spikes (``hw_spikes``), and per source row the
    spikes delivered through it (``hw_row_spikes``).
    Spikes of local dopamine neurons (``vt_local[i] >= 0``, plasticity.py) add their
    arrivals to the volume transmitters' rules before the step's spikes are delivered.
    Returns early (before a step) when the record or outgoing buffers might not hold that
    step's spikes, or a rule's dopamine arrivals those of its local dopamine neurons (a full
    spike history sets counters[C_HIST_FULL]): grow them and resume."""
    n_local = refr.shape[0]
    (_, _, _, _, _, post_par, post_state, n_in, hist, _, _, da_ptr, da_time, da_mult, _,
     vt_local, vt_ptr, vt_rule, view) = plast
    # calls with many array arguments cost ~100 ns each (reference counting): skip empty ones
    has_stimuli = pz_ptr.shape[0] > 1 or dc_ptr.shape[0] > 1
    has_vt = vt_local.shape[0] > 0  # local neurons of volume transmitters (dopamine)
    for t in range(t_from + 1, t_to + 1):
        if (rec_step.shape[0] - counters[C_RECORDED] < n_local
                or out_step.shape[0] - counters[C_OUT] < n_local or counters[C_HIST_FULL]
                or (has_vt and not dopamine_room(da_ptr))):
            return t - 1
        slot = t % ns
        if has_stimuli:
            _stimulate(t, ns, ring, cur, pz_ptr, pz_local, pz_key, pz_lam, pz_cdf, pz_guide, pz_wq,
                       pz_delay, pz_start, pz_stop, dc_ptr, dc_local, dc_amp, dc_delay,
                       dc_start, dc_stop)
        ex_line, in_line, cur_line = ring[slot], ring[slot + ns], cur[slot]
        if hw_active.shape[0]:  # hardware counters: neuron-steps with synaptic input
            _count_active(slot, ex_line, in_line, grp_lo, grp_hi, grp_lazy, touch, n_touch,
                          hw_active)
        nspk = 0
        if n_touch[slot]:
            nspk = _update_delta_events(t, touch[slot], n_touch[slot], listed[slot], lazy_col,
                                        par, st, refr, last, ex_line, in_line, spiked, nspk)
            n_touch[slot] = 0
        for g in range(grp_model.shape[0]):
            lo, hi, pb, ps = grp_lo[g], grp_hi[g], grp_pbase[g], grp_pstride[g]
            model = grp_model[g]
            if grp_lazy[g]:
                continue
            if model == delta.MODEL_ID:
                nspk = _update_delta(lo, hi, pb, ps, par, st, refr, ex_line, in_line, cur_line,
                                     spiked, nspk)
            elif model == pexp.MODEL_ID:
                nspk = _update_exp(lo, hi, pb, ps, par, st, refr, ex_line, in_line, cur_line,
                                   spiked, nspk)
            elif model == alpha.MODEL_ID:
                nspk = _update_alpha(lo, hi, pb, ps, par, st, refr, ex_line, in_line, cur_line,
                                     spiked, nspk)
            elif model == parrot.MODEL_ID:
                for i in range(lo, hi):
                    if ex_line[i] + in_line[i] > 0:
                        spiked[nspk] = i
                        nspk += 1
                    ex_line[i] = 0
                    in_line[i] = 0
            elif model == loihi.MODEL_ID:
                nspk = _update_loihi(lo, hi, pb, ps, par, st, ex_line, in_line, cur_line,
                                     spiked, nspk)
            elif model == izh.MODEL_ID:
                nspk = _update_izhikevich(lo, hi, pb, ps, par, st, h, ex_line, in_line,
                                          cur_line, spiked, nspk)
        c = counters[C_SCHEDULE]  # spike sources: their scheduled spikes of step t
        while c < ss_step.shape[0] and ss_step[c] <= t:
            if ss_step[c] == t:
                spiked[nspk] = ss_local[c]
                nspk += 1
            c += 1
        counters[C_SCHEDULE] = c
        n_rows = 0
        for k in range(nspk):
            i = spiked[k]
            if n_in.shape[0]:
                post_spike(i, t, h, n_in, max_delay, post_state, post_par, hist, view,
                           counters)
            if has_vt and vt_local[i] >= 0:  # a dopamine neuron: its arrivals (step t + delay)
                counters[C_DA_LATE] += vt_spike(da_ptr, da_time, da_mult, vt_ptr, vt_rule,
                                                vt_local[i], t, h)[0]
            if hw_spikes.shape[0]:
                hw_spikes[i] += 1
                if local_row[i] >= 0:
                    hw_row_spikes[local_row[i]] += 1
            if rec_flag[i]:
                r = counters[C_RECORDED]
                rec_step[r] = t
                rec_gid[r] = local_gid[i]
                counters[C_RECORDED] = r + 1
            if send_flag[i]:
                o = counters[C_OUT]
                out_step[o] = t
                out_local[o] = i
                counters[C_OUT] = o + 1
            if local_row[i] >= 0:
                rows[n_rows] = local_row[i]
                steps[n_rows] = t
                n_rows += 1
        counters[C_SPIKES] += nspk
        if n_rows:
            events, _ = deliver(rows, steps, n_rows, t, ns, ring, seg_ptr, seg, syn_target,
                                syn_weight, syn_delay, seg_lazy, touch, n_touch, listed, h,
                                plast)
            counters[C_EVENTS] += events
    return t_to


@nb.njit(cache=True)
def _count_active(slot, ex_line, in_line, grp_lo, grp_hi, grp_lazy, touch, n_touch, active):
    """Count the neurons with synaptic input in this step's slot (event-driven groups: only
    those listed for it, so counting keeps their cost proportional to events)."""
    for g in range(grp_lo.shape[0]):
        if not grp_lazy[g]:
            for i in range(grp_lo[g], grp_hi[g]):
                if ex_line[i] != 0 or in_line[i] != 0:
                    active[i] += 1
    for k in range(n_touch[slot]):
        i = touch[slot, k]
        if ex_line[i] != 0 or in_line[i] != 0:
            active[i] += 1


@nb.njit(cache=True)
def pack_spikes(out_step, out_local, n, send_ptr, send_rank, local_gid, base, lag_bits, size):
    """Outgoing spikes -> one int64 per (spike, destination rank), ``gid << lag_bits |
    (step - base)``, grouped by destination; returns (packed, counts per rank)."""
    counts = np.zeros(size, np.int64)
    for k in range(n):
        i = out_local[k]
        for j in range(send_ptr[i], send_ptr[i + 1]):
            counts[send_rank[j]] += 1
    offsets = np.zeros(size, np.int64)
    for r in range(1, size):
        offsets[r] = offsets[r - 1] + counts[r - 1]
    packed = np.empty(offsets[size - 1] + counts[size - 1], np.int64)
    for k in range(n):
        i = out_local[k]
        word = (local_gid[i] << lag_bits) | (out_step[k] - base)
        for j in range(send_ptr[i], send_ptr[i + 1]):
            r = send_rank[j]
            packed[offsets[r]] = word
            offsets[r] += 1
    return packed, counts


@nb.njit(cache=True)
def unpack_spikes(packed, base, lag_bits, row_gid, row_max_delay, last_slot_step, steps, rows):
    """Packed spikes -> steps and source rows (binary search in row_gid), the spikes whose
    arrival steps all fit in the ring (step + longest delay <= last_slot_step) first.
    Returns (number that fit, number whose gid has no row here: a routing error)."""
    mask = (np.int64(1) << lag_bits) - 1
    unknown = 0
    n_rows = row_gid.shape[0]
    front = 0
    back = packed.shape[0]
    for k in range(packed.shape[0]):
        gid = packed[k] >> lag_bits
        step = base + (packed[k] & mask)
        lo, hi = 0, n_rows
        while lo < hi:
            mid = (lo + hi) >> 1
            if row_gid[mid] < gid:
                lo = mid + 1
            else:
                hi = mid
        if lo == n_rows or row_gid[lo] != gid:
            unknown += 1
            continue
        if step + row_max_delay[lo] <= last_slot_step:
            steps[front] = step
            rows[front] = lo
            front += 1
        else:
            back -= 1
            steps[back] = step
            rows[back] = lo
    return front, unknown
