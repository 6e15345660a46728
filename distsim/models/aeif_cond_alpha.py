"""aeif_cond_alpha: adaptive exponential integrate-and-fire neuron, alpha-shaped
conductances (NEST)."""

import dataclasses

import numba as nb

from .aeif_cond_exp import AeifCondExp
from .base import P_V_RESET
from .gsl import (
    P_E_EX,
    P_E_IN,
    P_TAU_EX,
    P_TAU_IN,
    P_V_PEAK,
    adex_membrane,
    adex_update,
)

MODEL_ID = 10
DG_EX, G_EX, DG_IN, G_IN, W = 1, 2, 3, 4, 5  # in NEST's state vector y (y[0] = V_m)


@dataclasses.dataclass(frozen=True)
class AeifCondAlpha(AeifCondExp):
    r"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005) with
    alpha-shaped conductances (NEST): ``aeif_cond_exp``'s membrane and adaptation, and per
    synapse type

    .. math::
        \frac{d\,dg_x}{dt} = -\frac{dg_x}{\tau_{syn,x}}, \quad
        \frac{dg_x}{dt} = dg_x - \frac{g_x}{\tau_{syn,x}}, \quad
        dg_x \leftarrow dg_x + \frac{e}{\tau_{syn,x}} |w_{syn}| \text{ at arrival}

    (a conductance peaking at |w_syn| nS tau_syn after the arrival).

    Units: mV, pF, ms, nS (weights in nS), pA.
    """

    name = "aeif_cond_alpha"
    model_id = MODEL_ID
    recordables = ("V_m", "g_ex", "g_in", "w")
    state = ("dg_ex", "g_ex", "dg_in", "g_in", "w")
    alpha = True

    dg_ex: object = 0.0
    dg_in: object = 0.0


@nb.njit(cache=True, inline="always")
def derivs(y, f, par, c, refractory, i_stim):
    """NEST's aeif_cond_alpha_dynamics."""
    v = par[P_V_RESET, c] if refractory else min(y[0], par[P_V_PEAK, c])
    i_syn_exc = y[G_EX] * (v - par[P_E_EX, c])
    i_syn_inh = y[G_IN] * (v - par[P_E_IN, c])
    adex_membrane(v, -i_syn_exc, i_syn_inh, y[W], par, c, refractory, i_stim, f)
    f[DG_EX] = -y[DG_EX] / par[P_TAU_EX, c]
    f[G_EX] = y[DG_EX] - y[G_EX] / par[P_TAU_EX, c]
    f[DG_IN] = -y[DG_IN] / par[P_TAU_IN, c]
    f[G_IN] = y[DG_IN] - y[G_IN] / par[P_TAU_IN, c]


@nb.njit(cache=True)
def update(lo, hi, pbase, pstride, par, st, refr, h, ex_line, in_line, cur_line, spiked, nspk):
    """One step of neurons lo..hi-1 (NEST's update: gsl.adex_update); returns the new count
    of ``spiked``.  ``h``: the step (ms)."""
    return adex_update(derivs, 6, DG_EX, DG_IN, lo, hi, pbase, pstride, par, st, refr, h,
                       ex_line, in_line, cur_line, spiked, nspk)  # fmt: skip
