"""iaf_psc_alpha: leaky integrate-and-fire neuron with alpha-shaped PSCs (NEST)."""

import dataclasses

import numba as nb
import numpy as np

from ..kernels.fixed import FIXED_INV
from .base import (
    P_I_E,
    P_REFR,
    P_THETA,
    P_V_MIN,
    P_V_RESET,
    S_I0,
    S_V,
    IafModel,
    propagator_30,
    propagator_31,
    propagator_32,
)

MODEL_ID = 2
P_P11EX, P_P21EX, P_P11IN, P_P21IN, P_EPSC_EX, P_EPSC_IN = 6, 7, 8, 9, 10, 11
P_P30, P_P31EX, P_P32EX, P_P31IN, P_P32IN, P_EXPM1_TAU = 12, 13, 14, 15, 16, 17
S_DI_EX, S_I_EX, S_DI_IN, S_I_IN = 2, 3, 4, 5


@dataclasses.dataclass(frozen=True)
class IafPscAlpha(IafModel):
    r"""Leaky integrate-and-fire neuron with alpha-shaped current synapses (NEST semantics).

    .. math::
        C_m \frac{dV}{dt} = -\frac{C_m}{\tau_m}(V - E_L) + I_{ex} + I_{in} + I_e + I_0, \qquad
        I_x(t) = w \frac{t}{\tau_{syn,x}} e^{1 - t/\tau_{syn,x}} \text{ per arriving spike}

    The PSC is the state pair (dI_x, I_x): ``I_x = h P11x dI_x + P11x I_x``, ``dI_x *= P11x``,
    ``dI_x += e / tau_syn_x * w`` for the weights arriving in the step (so a weight w gives a
    PSC of peak w pA at t = tau_syn).  The membrane, when not refractory:
    ``y = P30 (I_0 + I_e) + P31ex dI_ex + P32ex I_ex + P31in dI_in + P32in I_in
    + expm1(-h/tau_m) y + y``, then ``y = max(y, V_min - E_L)``; P31, P32 are NEST's stable
    propagators.  Threshold, reset and refractoriness as in ``iaf_psc_delta``.

    Units: mV, pF, ms, pA (weights in pA).
    """

    name = "iaf_psc_alpha"
    model_id = MODEL_ID
    recordables = ("V_m", "I_syn_ex", "I_syn_in")

    V_min: object = -np.inf
    tau_syn_ex: object = 2.0
    tau_syn_in: object = 2.0

    def lower(self, v, dt):
        par, st = self.lower_common(v, dt)
        tau, c = v["tau_m"], v["C_m"]
        for tau_syn, p11, p21, epsc, p31, p32 in (
            (v["tau_syn_ex"], P_P11EX, P_P21EX, P_EPSC_EX, P_P31EX, P_P32EX),
            (v["tau_syn_in"], P_P11IN, P_P21IN, P_EPSC_IN, P_P31IN, P_P32IN),
        ):
            par[p11] = np.exp(-dt / tau_syn)
            par[p21] = dt * par[p11]
            par[epsc] = np.e / tau_syn
            par[p31] = propagator_31(tau_syn, tau, c, dt)
            par[p32] = propagator_32(tau_syn, tau, c, dt)
        par[P_P30] = propagator_30(tau, c, dt)
        par[P_EXPM1_TAU] = np.expm1(-dt / tau)
        return par, st

    @classmethod
    def record(cls, name, par, st, idx, cols):
        if name == "V_m":
            return cls.record_v(par, st, idx, cols)
        return st[S_I_EX if name == "I_syn_ex" else S_I_IN, idx].copy()


@nb.njit(cache=True)
def update(lo, hi, pbase, pstride, par, st, refr, h, ex_line, in_line, cur_line, spiked, nspk):
    """One step of neurons lo..hi-1 (NEST's update): reads and clears their input of this
    step's slot, appends the local index of each that fires to ``spiked``; returns the new
    count.  ``h``: the step (ms)."""
    for i in range(lo, hi):
        c = pbase + (i - lo) * pstride
        ex = ex_line[i] * FIXED_INV
        inh = in_line[i] * FIXED_INV
        current = cur_line[i]
        ex_line[i] = 0
        in_line[i] = 0
        cur_line[i] = 0.0
        y3 = st[S_V, i]
        di_ex, i_ex = st[S_DI_EX, i], st[S_I_EX, i]
        di_in, i_in = st[S_DI_IN, i], st[S_I_IN, i]
        if refr[i] == 0:
            y3 = (
                par[P_P30, c] * (st[S_I0, i] + par[P_I_E, c])
                + par[P_P31EX, c] * di_ex
                + par[P_P32EX, c] * i_ex
                + par[P_P31IN, c] * di_in
                + par[P_P32IN, c] * i_in
                + par[P_EXPM1_TAU, c] * y3
                + y3
            )
            if y3 < par[P_V_MIN, c]:
                y3 = par[P_V_MIN, c]
        else:
            refr[i] -= 1
        st[S_I_EX, i] = par[P_P21EX, c] * di_ex + par[P_P11EX, c] * i_ex
        st[S_DI_EX, i] = di_ex * par[P_P11EX, c] + par[P_EPSC_EX, c] * ex
        st[S_I_IN, i] = par[P_P21IN, c] * di_in + par[P_P11IN, c] * i_in
        st[S_DI_IN, i] = di_in * par[P_P11IN, c] + par[P_EPSC_IN, c] * inh
        if y3 >= par[P_THETA, c]:
            refr[i] = np.int32(par[P_REFR, c])
            y3 = par[P_V_RESET, c]
            spiked[nspk] = i
            nspk += 1
        st[S_V, i] = y3
        st[S_I0, i] = current
    return nspk
