"""iaf_cond_alpha: leaky integrate-and-fire neuron with alpha-shaped conductances (NEST)."""

import dataclasses

import numba as nb
import numpy as np

from ..kernels.rkf45 import WORK_ROWS
from .base import P_E_L, P_I_E, P_REFR, P_THETA, P_V_RESET, S_I0
from .gsl import (
    P_C_M,
    P_E_EX,
    P_E_IN,
    P_G_L,
    P_JUMP_EX,
    P_JUMP_IN,
    P_TAU_EX,
    P_TAU_IN,
    integrate_step,
    load,
    store,
    take_input,
)
from .iaf_cond_exp import IafCondExp

MODEL_ID = 8
DG_EX, G_EX, DG_IN, G_IN = 1, 2, 3, 4  # in NEST's state vector y (y[0] = V_m)


@dataclasses.dataclass(frozen=True)
class IafCondAlpha(IafCondExp):
    r"""Leaky integrate-and-fire neuron with alpha-shaped conductances (NEST).

    .. math::
        C_m \frac{dV}{dt} = -g_L (V - E_L) - g_{ex} (V - E_{ex}) - g_{in} (V - E_{in})
                            + I_e + I_0, \qquad
        \frac{d\,dg_x}{dt} = -\frac{dg_x}{\tau_{syn,x}}, \quad
        \frac{dg_x}{dt} = dg_x - \frac{g_x}{\tau_{syn,x}}, \quad
        dg_x \leftarrow dg_x + \frac{e}{\tau_{syn,x}} |w| \text{ at arrival}

    so that a weight w gives a conductance peaking at |w| nS tau_syn after its arrival.
    Integrated as ``iaf_cond_exp``; NEST's order within a step differs: after the
    integration, refractoriness or threshold first, then the arriving weights.

    Units: mV, pF, ms, nS (weights in nS), pA.
    """

    name = "iaf_cond_alpha"
    model_id = MODEL_ID
    recordables = ("V_m", "g_ex", "g_in")
    state = ("dg_ex", "g_ex", "dg_in", "g_in")
    alpha = True

    dg_ex: object = 0.0
    dg_in: object = 0.0


@nb.njit(cache=True, inline="always")
def derivs(y, f, par, c, refractory, i_stim):
    """NEST's iaf_cond_alpha_dynamics."""
    v = par[P_V_RESET, c] if refractory else min(y[0], par[P_THETA, c])
    i_syn_exc = y[G_EX] * (v - par[P_E_EX, c])
    i_syn_inh = y[G_IN] * (v - par[P_E_IN, c])
    i_leak = par[P_G_L, c] * (v - par[P_E_L, c])
    f[0] = (
        0.0
        if refractory
        else (-i_leak - i_syn_exc - i_syn_inh + i_stim + par[P_I_E, c]) / par[P_C_M, c]
    )
    f[DG_EX] = -y[DG_EX] / par[P_TAU_EX, c]
    f[G_EX] = y[DG_EX] - (y[G_EX] / par[P_TAU_EX, c])
    f[DG_IN] = -y[DG_IN] / par[P_TAU_IN, c]
    f[G_IN] = y[DG_IN] - (y[G_IN] / par[P_TAU_IN, c])


@nb.njit(cache=True)
def update(lo, hi, pbase, pstride, par, st, refr, h, ex_line, in_line, cur_line, spiked, nspk):
    """One step of neurons lo..hi-1 (NEST's update): integrate over the step, then
    refractoriness or threshold, then add this step's input; appends the local index of
    each that fires to ``spiked`` and returns the new count.  ``h``: the step (ms)."""
    y = np.empty(5)
    w = np.empty((WORK_ROWS, 5))
    for i in range(lo, hi):
        c = pbase + (i - lo) * pstride
        ex, inh, current = take_input(i, ex_line, in_line, cur_line)
        load(st, i, y)
        refractory = refr[i] > 0
        integrate_step(derivs, y, st, i, h, w, par, c, refractory)
        if refractory:
            refr[i] -= 1
            y[0] = par[P_V_RESET, c]
        elif y[0] >= par[P_THETA, c]:
            refr[i] = np.int32(par[P_REFR, c])
            y[0] = par[P_V_RESET, c]
            spiked[nspk] = i
            nspk += 1
        y[DG_EX] += ex * par[P_JUMP_EX, c]
        y[DG_IN] += -inh * par[P_JUMP_IN, c]  # NEST: (sum of -w) * PSConInit_I
        store(y, st, i)
        st[S_I0, i] = current
    return nspk
