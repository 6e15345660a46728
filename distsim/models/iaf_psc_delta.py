"""iaf_psc_delta: leaky integrate-and-fire neuron with delta-shaped synaptic input (NEST)."""

import dataclasses
import math

import numba as nb
import numpy as np

from ..kernels.fixed import FIXED_INV
from .base import P_I_E, P_REFR, P_THETA, P_V_MIN, P_V_RESET, S_I0, S_V, IafModel, propagator_30

MODEL_ID = 0
P_P33, P_P30, P_REFR_INPUT, P_H_OVER_TAU, P_Y_INF = 6, 7, 8, 9, 10
S_REFR_BUFFER = 2


@dataclasses.dataclass(frozen=True)
class IafPscDelta(IafModel):
    r"""Leaky integrate-and-fire neuron with delta synapses, exactly integrated (NEST semantics).

    .. math::
        \tau_m \frac{dV}{dt} = -(V - E_L) + \frac{\tau_m}{C_m}(I_e + I(t)), \qquad
        V \leftarrow V + \sum_k J_k \delta(t - t_k - d_k)

    Each step h: ``y = P30 (I_0 + I_e) + P33 y + sum of arriving weights``, with
    ``y = V - E_L``, ``P33 = exp(-h/tau_m)``, ``P30 = -tau_m/C_m expm1(-h/tau_m)`` (h/C_m for
    tau_m = inf); then
    ``y = max(y, V_min - E_L)``.  ``y >= V_th - E_L`` emits a spike, sets ``V = V_reset`` and
    clamps V for ``t_ref`` (input arriving then is dropped, or with ``refractory_input``
    discounted by ``exp(-r h / tau_m)`` and added at the end of the period).  The current of
    a DC input acts from the step after it arrives, as NEST's ``y0``.

    Units: V_m, E_L, V_th, V_reset, V_min in mV; C_m in pF; tau_m, t_ref in ms; I_e in pA;
    synaptic weights in mV.
    """

    name = "iaf_psc_delta"
    model_id = MODEL_ID
    event_driven = True  # update_events and catch_up below (simulation/events.py)
    recordables = ("V_m",)

    V_min: object = -np.inf
    refractory_input: object = 0.0

    def lower(self, v, dt):
        par, st = self.lower_common(v, dt)
        par[P_P33] = np.exp(-dt / v["tau_m"])
        par[P_P30] = propagator_30(v["tau_m"], v["C_m"], dt)
        par[P_REFR_INPUT] = (v["refractory_input"] != 0).astype(float)
        par[P_H_OVER_TAU] = dt / v["tau_m"]
        with np.errstate(invalid="ignore"):  # no leak (tau_m = inf): never event-driven
            par[P_Y_INF] = v["I_e"] * v["tau_m"] / v["C_m"]  # resting potential - E_L
        return par, st

    def rests_below_threshold(self):
        """Constant parameters, a leak (finite tau_m), no refractory_input, and the resting
        potential E_L + I_e tau_m / C_m below V_th."""
        v = (self.I_e, self.tau_m, self.C_m, self.V_th, self.E_L, self.refractory_input)
        if not all(isinstance(x, float) for x in v) or np.isinf(self.tau_m):
            return False
        return (
            self.refractory_input == 0.0 and self.I_e * self.tau_m / self.C_m < self.V_th - self.E_L
        )

    @classmethod
    def record(cls, name, par, st, idx, cols):
        return cls.record_v(par, st, idx, cols)


@nb.njit(cache=True)
def update(lo, hi, pbase, pstride, par, st, refr, h, ex_line, in_line, cur_line, spiked, nspk):
    """One step of neurons lo..hi-1 (NEST's update): reads and clears their input of this
    step's slot, appends the local index of each that fires to ``spiked``; returns the new
    count.  ``h``: the step (ms)."""
    for i in range(lo, hi):
        c = pbase + (i - lo) * pstride
        spikes = (ex_line[i] + in_line[i]) * FIXED_INV
        current = cur_line[i]
        ex_line[i] = 0
        in_line[i] = 0
        cur_line[i] = 0.0
        y3 = st[S_V, i]
        if refr[i] == 0:
            y3 = par[P_P30, c] * (st[S_I0, i] + par[P_I_E, c]) + par[P_P33, c] * y3 + spikes
            if par[P_REFR_INPUT, c] != 0.0 and st[S_REFR_BUFFER, i] != 0.0:
                y3 += st[S_REFR_BUFFER, i]
                st[S_REFR_BUFFER, i] = 0.0
            if y3 < par[P_V_MIN, c]:
                y3 = par[P_V_MIN, c]
        else:
            if par[P_REFR_INPUT, c] != 0.0:
                st[S_REFR_BUFFER, i] += spikes * math.exp(-refr[i] * par[P_H_OVER_TAU, c])
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
def _relax(y, r, n, y_inf, h_over_tau):
    """iaf_psc_delta over n steps without input, in closed form: r refractory steps hold V,
    the rest relax it, y -> y_inf + (y - y_inf) exp(-n h / tau_m).  Returns (y, r)."""
    hold = min(r, n)
    n -= hold
    if n > 0:
        y = y_inf + (y - y_inf) * math.exp(-n * h_over_tau)
    return y, r - hold


@nb.njit(cache=True)
def update_events(
    t, touch_line, n_touch, listed_line, col, par, st, refr, last, ex_line, in_line, spiked, nspk
):
    """Event-driven iaf_psc_delta: only the neurons whose input arrives in step t
    (``touch_line[:n_touch]``; ``col[i]``: the parameter column of neuron i) are computed.  Each
    first catches up, in closed form, the steps since ``last[i]`` in which nothing reached it,
    then takes step t as ``update`` does.  Valid for groups without DC, Poisson input or
    refractory_input, whose resting potential y_inf = I_e tau_m / C_m lies below threshold:
    between inputs they cannot fire.  The catch-up equals the step-by-step result to rounding
    (a few ulp)."""
    for k in range(n_touch):
        i = touch_line[k]
        listed_line[i] = 0
        c = col[i]
        spikes = (ex_line[i] + in_line[i]) * FIXED_INV
        ex_line[i] = 0
        in_line[i] = 0
        y3, r = _relax(
            st[S_V, i], np.int64(refr[i]), t - 1 - last[i], par[P_Y_INF, c], par[P_H_OVER_TAU, c]
        )
        if r == 0:
            y3 = par[P_P30, c] * par[P_I_E, c] + par[P_P33, c] * y3 + spikes
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
def catch_up(t, nrn):
    """Bring every neuron of the event-driven groups (``nrn.lazy[g]``, kernels/state.py
    Neurons) to step t, which must not have input pending for them in steps up to t (so:
    before checkpoints and state reads)."""
    for g in range(nrn.lo.shape[0]):
        if not nrn.lazy[g]:
            continue
        for i in range(nrn.lo[g], nrn.hi[g]):
            c = nrn.pbase[g] + (i - nrn.lo[g]) * nrn.pstride[g]
            y3, r = _relax(
                nrn.st[S_V, i],
                np.int64(nrn.refr[i]),
                t - nrn.last[i],
                nrn.par[P_Y_INF, c],
                nrn.par[P_H_OVER_TAU, c],
            )
            nrn.st[S_V, i] = max(y3, nrn.par[P_V_MIN, c])
            nrn.refr[i] = r
            nrn.last[i] = t
