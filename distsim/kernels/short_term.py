"""Short-term plasticity (Tsodyks & Markram): NEST's tsodyks2_synapse and tsodyks_synapse.

Their state changes only at a presynaptic spike and depends only on the presynaptic spike
times and the rule's parameters, so every synapse of a segment (one source, one projection,
parameters constant per projection) holds the same state: it is kept once per segment, in
the segment's row of the plastic state ``pl_state[p]``; only the weights differ per synapse
(``syn_pw``, never changed).  At a spike of the source at time t (ms, NEST's: the step's
tics times the ms per tic), after the previous one at t_last, h = t - t_last:

tsodyks2_synapse (Maass & Markram 2002; pl_state[p] = (x, u, t_last), t_last < 0 before
the first spike, which only sends):
    x <- 1 + (x - x u - 1) e^(-h/tau_rec),   u <- U + u (1 - U) e^(-h/tau_fac)
    (e^(-h/tau_fac) = 0 for tau_fac = 0), and each synapse sends x u w;
tsodyks_synapse (Tsodyks et al. 2000; pl_state[p] = (x, y, u, t_last), t_last = 0 at
the start):  with P_zz = expm1(-h/tau_rec), P_yy = e^(-h/tau_psc), P_uu = e^(-h/tau_fac)
(0 for tau_fac = 0), P_xy = (P_zz tau_rec - (P_yy - 1) tau_psc) / (tau_psc - tau_rec),
z = 1 - x - y:
    u <- u P_uu;  x <- x + P_xy y - P_zz z;  y <- y P_yy;  u <- u + U (1 - u);
    then each synapse sends u x w and x <- x - u x, y <- y + u x,
in NEST's order of operations (the same bits).
"""

import math

import numba as nb
import numpy as np

from .plasticity import TSODYKS2, put_segment

MS_PER_TIC = 1.0 / 1000.0  # NEST's Time::Range::MS_PER_TIC (1000 tics per ms)


@nb.njit(cache=True, inline="always")
def nest_ms(step, h):
    """NEST's time in ms of the end of ``step`` (h ms each): MS_PER_TIC * tics."""
    return MS_PER_TIC * np.float64(step * np.int64(round(h * 1000.0)))


@nb.njit(cache=True)
def stp_segment(kind, p, t, a, b, d_seg, now, ns, n_cols, base, syn_target, syn_delay, h,
                pl_state, pl_meta, rule_par, syn_pw, ibuf, qbuf):  # fmt: skip
    """Segment p (synapses a..b, targets base + syn_target) at a spike of its source in
    step t: the rule ``kind`` (rule_par[r, 1:] = U, then its time constants) updates the
    segment's state, and the synapses' weights (syn_pw from pl_meta[p, 0]) scaled by it go
    to ``ibuf``/``qbuf`` (plasticity.put_segment).  Returns (late synapses, entries)."""
    ofs, r = pl_meta[p, 0], pl_meta[p, 1]
    t_ms = nest_ms(t, h)
    if kind == TSODYKS2:
        big_u, tau_rec, tau_fac = rule_par[r, 1], rule_par[r, 4], rule_par[r, 5]
        x, u, t_last = pl_state[p, 0], pl_state[p, 1], pl_state[p, 2]
        if t_last >= 0.0:  # not the first spike through the synapse
            dt = t_ms - t_last
            x_decay = math.exp(-dt / tau_rec)
            u_decay = 0.0 if tau_fac == 0 else math.exp(-dt / tau_fac)
            x = 1.0 + (x - x * u - 1.0) * x_decay
            u = big_u + u * (1.0 - big_u) * u_decay
        pl_state[p, 0], pl_state[p, 1], pl_state[p, 2] = x, u, t_ms
        scale = x * u
    else:  # TSODYKS
        tau_psc, tau_fac, tau_rec, big_u = (
            rule_par[r, 1],
            rule_par[r, 2],
            rule_par[r, 3],
            rule_par[r, 4],
        )
        x, y, u, t_last = pl_state[p, 0], pl_state[p, 1], pl_state[p, 2], pl_state[p, 3]
        dt = t_ms - t_last
        puu = 0.0 if tau_fac == 0.0 else math.exp(-dt / tau_fac)
        pyy = math.exp(-dt / tau_psc)
        pzz = math.expm1(-dt / tau_rec)
        pxy = (pzz * tau_rec - (pyy - 1.0) * tau_psc) / (tau_psc - tau_rec)
        z = 1.0 - x - y
        u *= puu
        x += pxy * y - pzz * z
        y *= pyy
        u += big_u * (1.0 - u)
        scale = u * x
        x -= scale
        y += scale
        pl_state[p, 0], pl_state[p, 1], pl_state[p, 2], pl_state[p, 3] = x, y, u, t_ms
    return put_segment(t, a, b, d_seg, now, ns, n_cols, base, syn_target, syn_delay, syn_pw, ofs,
                       scale, ibuf, qbuf)  # fmt: skip
