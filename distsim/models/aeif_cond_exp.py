"""aeif_cond_exp: adaptive exponential integrate-and-fire neuron, exponential conductances
(NEST)."""

import dataclasses

import numba as nb

from .base import P_V_RESET
from .gsl import (
    P_E_EX,
    P_E_IN,
    P_TAU_EX,
    P_TAU_IN,
    P_V_PEAK,
    AdExModel,
    adex_membrane,
    adex_update,
)

MODEL_ID = 9
G_EX, G_IN, W = 1, 2, 3  # in NEST's state vector y (y[0] = V_m)


@dataclasses.dataclass(frozen=True)
class AeifCondExp(AdExModel):
    r"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005) with
    exponentially decaying conductances (NEST).

    .. math::
        C_m \frac{dV}{dt} = -g_L (V - E_L) + g_L \Delta_T e^{(V - V_{th}) / \Delta_T}
            - g_{ex} (V - E_{ex}) - g_{in} (V - E_{in}) - w + I_e + I_0, \\
        \tau_w \frac{dw}{dt} = a (V - E_L) - w, \qquad
        \tau_{syn,x} \frac{dg_x}{dt} = -g_x, \quad g_x \leftarrow g_x + |w_{syn}|

    V enters the derivatives as min(V, V_peak) (V_reset while refractory, when dV/dt = 0);
    V >= V_peak fires (V_th for Delta_T = 0, the integrate-and-fire limit without the
    exponential term), resets V to V_reset and adds b to w, at any point of the adaptive
    integration within a step (gsl.adex_step).  Errors against gsl_error_tol (1 + h |dy/dt|).

    Units: mV, pF, ms, nS (weights in nS), pA.
    """

    name = "aeif_cond_exp"
    model_id = MODEL_ID
    recordables = ("V_m", "g_ex", "g_in", "w")
    state = ("g_ex", "g_in", "w")

    E_ex: object = 0.0
    E_in: object = -85.0
    g_ex: object = 0.0
    g_in: object = 0.0

    def lower(self, v, dt):
        return self.lower_adex(v, dt)


@nb.njit(cache=True, inline="always")
def derivs(y, f, par, c, refractory, i_stim):
    """NEST's aeif_cond_exp_dynamics."""
    v = par[P_V_RESET, c] if refractory else min(y[0], par[P_V_PEAK, c])
    i_syn_exc = y[G_EX] * (v - par[P_E_EX, c])
    i_syn_inh = y[G_IN] * (v - par[P_E_IN, c])
    adex_membrane(v, -i_syn_exc, i_syn_inh, y[W], par, c, refractory, i_stim, f)
    f[G_EX] = -y[G_EX] / par[P_TAU_EX, c]
    f[G_IN] = -y[G_IN] / par[P_TAU_IN, c]


@nb.njit(cache=True)
def update(lo, hi, pbase, pstride, par, st, refr, h, ex_line, in_line, cur_line, spiked, nspk):
    """One step of neurons lo..hi-1 (NEST's update: gsl.adex_update); returns the new count
    of ``spiked``.  ``h``: the step (ms)."""
    return adex_update(derivs, 4, G_EX, G_IN, lo, hi, pbase, pstride, par, st, refr, h,
                       ex_line, in_line, cur_line, spiked, nspk)  # fmt: skip
