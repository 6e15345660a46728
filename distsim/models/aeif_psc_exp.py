"""aeif_psc_exp: adaptive exponential integrate-and-fire neuron, exponential currents
(NEST)."""

import dataclasses

import numba as nb

from .base import P_V_RESET
from .gsl import (
    P_TAU_EX,
    P_TAU_IN,
    P_V_PEAK,
    AdExModel,
    adex_membrane,
    adex_update,
)

MODEL_ID = 11
I_EX, I_IN, W = 1, 2, 3  # in NEST's state vector y (y[0] = V_m)


@dataclasses.dataclass(frozen=True)
class AeifPscExp(AdExModel):
    r"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005) with
    exponentially decaying currents (NEST).

    .. math::
        C_m \frac{dV}{dt} = -g_L (V - E_L) + g_L \Delta_T e^{(V - V_{th}) / \Delta_T}
            + I_{ex} - I_{in} - w + I_e + I_0, \qquad
        \tau_w \frac{dw}{dt} = a (V - E_L) - w, \qquad
        \tau_{syn,x} \frac{dI_x}{dt} = -I_x, \quad I_x \leftarrow I_x + |w_{syn}|

    (I_in holds the magnitude of inhibitory currents); spikes, reset and adaptation as
    ``aeif_cond_exp``.

    Units: mV, pF, ms, nS, pA (weights in pA).
    """

    name = "aeif_psc_exp"
    model_id = MODEL_ID
    recordables = ("V_m", "I_syn_ex", "I_syn_in", "w")
    state = ("I_syn_ex", "I_syn_in", "w")

    I_syn_ex: object = 0.0
    I_syn_in: object = 0.0

    def lower(self, v, dt):
        return self.lower_adex(v, dt)


@nb.njit(cache=True, inline="always")
def derivs(y, f, par, c, refractory, i_stim):
    """NEST's aeif_psc_exp_dynamics."""
    v = par[P_V_RESET, c] if refractory else min(y[0], par[P_V_PEAK, c])
    adex_membrane(v, y[I_EX], y[I_IN], y[W], par, c, refractory, i_stim, f)
    f[I_EX] = -y[I_EX] / par[P_TAU_EX, c]
    f[I_IN] = -y[I_IN] / par[P_TAU_IN, c]


@nb.njit(cache=True)
def update(lo, hi, pbase, pstride, par, st, refr, h, ex_line, in_line, cur_line, spiked, nspk):
    """One step of neurons lo..hi-1 (NEST's update: gsl.adex_update); returns the new count
    of ``spiked``.  ``h``: the step (ms)."""
    return adex_update(derivs, 4, I_EX, I_IN, lo, hi, pbase, pstride, par, st, refr, h,
                       ex_line, in_line, cur_line, spiked, nspk)  # fmt: skip
