"""iaf_psc_exp: leaky integrate-and-fire neuron with exponential PSCs (NEST)."""

import dataclasses

import numba as nb
import numpy as np

from ..kernels.fixed import FIXED_INV
from .base import (
    P_I_E,
    P_REFR,
    P_THETA,
    P_V_RESET,
    S_I0,
    S_V,
    IafModel,
    propagator_30,
    propagator_32,
)

MODEL_ID = 1
P_P22, P_P21EX, P_P21IN, P_P11EX, P_P11IN, P_P20 = 6, 7, 8, 9, 10, 11
S_I_EX, S_I_IN = 2, 3


@dataclasses.dataclass(frozen=True)
class IafPscExp(IafModel):
    r"""Leaky integrate-and-fire neuron with exponential current synapses (NEST semantics).

    .. math::
        C_m \frac{dV}{dt} = -\frac{C_m}{\tau_m}(V - E_L) + I_{ex} + I_{in} + I_e + I_0, \qquad
        \tau_{syn,x} \frac{dI_x}{dt} = -I_x, \quad I_x \leftarrow I_x + w \text{ at arrival}

    Exact integration over each step h (Rotter & Diesmann 1999):
    ``y = P22 y + P21ex I_ex + P21in I_in + P20 (I_e + I_0)`` (only when not refractory),
    ``I_x = P11x I_x + (arriving weights of sign x)``, with ``P22 = exp(-h/tau_m)``,
    ``P11x = exp(-h/tau_syn_x)``, ``P20 = -tau_m/C_m expm1(-h/tau_m)`` and ``P21x`` NEST's
    stable ``propagator_32`` (both with their limits for tau_m = inf, no leak).  Positive
    weights go to the excitatory, negative to the inhibitory synapse.  Threshold, reset and
    refractoriness as in ``iaf_psc_delta``.

    Units: mV, pF, ms, pA (weights in pA).
    """

    name = "iaf_psc_exp"
    model_id = MODEL_ID
    recordables = ("V_m", "I_syn_ex", "I_syn_in")

    tau_syn_ex: object = 2.0
    tau_syn_in: object = 2.0
    I_syn_ex: object = 0.0
    I_syn_in: object = 0.0

    def lower(self, v, dt):
        par, st = self.lower_common(v, dt)
        tau, c = v["tau_m"], v["C_m"]
        par[P_P22] = np.exp(-dt / tau)
        par[P_P11EX] = np.exp(-dt / v["tau_syn_ex"])
        par[P_P11IN] = np.exp(-dt / v["tau_syn_in"])
        par[P_P21EX] = propagator_32(v["tau_syn_ex"], tau, c, dt)
        par[P_P21IN] = propagator_32(v["tau_syn_in"], tau, c, dt)
        par[P_P20] = propagator_30(tau, c, dt)
        st[S_I_EX] = v["I_syn_ex"]
        st[S_I_IN] = v["I_syn_in"]
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
        v = st[S_V, i]
        if refr[i] == 0:
            v = (
                v * par[P_P22, c]
                + st[S_I_EX, i] * par[P_P21EX, c]
                + st[S_I_IN, i] * par[P_P21IN, c]
                + (par[P_I_E, c] + st[S_I0, i]) * par[P_P20, c]
            )
        else:
            refr[i] -= 1
        st[S_I_EX, i] = st[S_I_EX, i] * par[P_P11EX, c] + ex
        st[S_I_IN, i] = st[S_I_IN, i] * par[P_P11IN, c] + inh
        if v >= par[P_THETA, c]:
            refr[i] = np.int32(par[P_REFR, c])
            v = par[P_V_RESET, c]
            spiked[nspk] = i
            nspk += 1
        st[S_V, i] = v
        st[S_I0, i] = current
    return nspk
