"""iaf_cond_exp: leaky integrate-and-fire neuron with exponential conductances (NEST)."""

import dataclasses

import numba as nb
import numpy as np

from ..kernels.rkf45 import WORK_ROWS
from .base import P_E_L, P_I_E, P_REFR, P_THETA, P_V_RESET, S_I0, iaf_checks
from .gsl import (
    P_C_M,
    P_E_EX,
    P_E_IN,
    P_G_L,
    P_TAU_EX,
    P_TAU_IN,
    GslModel,
    integrate_step,
    load,
    store,
    take_input,
)

MODEL_ID = 7
G_EX, G_IN = 1, 2  # in NEST's state vector y (y[0] = V_m)


@dataclasses.dataclass(frozen=True)
class IafCondExp(GslModel):
    r"""Leaky integrate-and-fire neuron with exponentially decaying conductances (NEST).

    .. math::
        C_m \frac{dV}{dt} = -g_L (V - E_L) - g_{ex} (V - E_{ex}) - g_{in} (V - E_{in})
                            + I_e + I_0, \qquad
        \tau_{syn,x} \frac{dg_x}{dt} = -g_x, \quad g_x \leftarrow g_x + |w| \text{ at arrival}

    Integrated as NEST does (kernels/rkf45.py, errors against 1e-3 absolute), with V taken
    as min(V, V_th) in the derivatives; while refractory V stays at V_reset (dV/dt = 0).
    After the step's integration the arriving weights are added (positive to g_ex, the
    magnitude of negative ones to g_in), then V >= V_th fires and resets.

    Units: mV, pF, ms, nS (weights in nS), pA.
    """

    name = "iaf_cond_exp"
    model_id = MODEL_ID
    recordables = ("V_m", "g_ex", "g_in")
    state = ("g_ex", "g_in")

    E_ex: object = 0.0
    E_in: object = -85.0
    g_ex: object = 0.0
    g_in: object = 0.0

    def check(self, v):
        iaf_checks(self.name, v)

    def lower(self, v, dt):
        return self.lower_gsl(v, dt)


@nb.njit(cache=True, inline="always")
def derivs(y, f, par, c, refractory, i_stim):
    """NEST's iaf_cond_exp_dynamics."""
    v = par[P_V_RESET, c] if refractory else min(y[0], par[P_THETA, c])
    i_syn_exc = y[G_EX] * (v - par[P_E_EX, c])
    i_syn_inh = y[G_IN] * (v - par[P_E_IN, c])
    i_l = par[P_G_L, c] * (v - par[P_E_L, c])
    f[0] = (
        0.0
        if refractory
        else (-i_l + i_stim + par[P_I_E, c] - i_syn_exc - i_syn_inh) / par[P_C_M, c]
    )
    f[G_EX] = -y[G_EX] / par[P_TAU_EX, c]
    f[G_IN] = -y[G_IN] / par[P_TAU_IN, c]


@nb.njit(cache=True)
def update(lo, hi, pbase, pstride, par, st, refr, h, ex_line, in_line, cur_line, spiked, nspk):
    """One step of neurons lo..hi-1 (NEST's update): integrate over the step, add this
    step's input, then refractoriness or threshold; appends the local index of each that
    fires to ``spiked`` and returns the new count.  ``h``: the step (ms)."""
    y = np.empty(3)
    w = np.empty((WORK_ROWS, 3))
    for i in range(lo, hi):
        c = pbase + (i - lo) * pstride
        ex, inh, current = take_input(i, ex_line, in_line, cur_line)
        load(st, i, y)
        refractory = refr[i] > 0
        integrate_step(derivs, y, st, i, h, w, par, c, refractory)
        y[G_EX] += ex
        y[G_IN] -= inh  # inh: the sum of the negative weights
        if refractory:
            refr[i] -= 1
            y[0] = par[P_V_RESET, c]
        elif y[0] >= par[P_THETA, c]:
            refr[i] = np.int32(par[P_REFR, c])
            y[0] = par[P_V_RESET, c]
            spiked[nspk] = i
            nspk += 1
        store(y, st, i)
        st[S_I0, i] = current
    return nspk
