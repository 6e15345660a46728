"""hh_psc_alpha: Hodgkin-Huxley neuron with alpha-shaped synaptic currents (NEST)."""

import dataclasses
import math

import numba as nb
import numpy as np

from ..kernels.rkf45 import WORK_ROWS
from .base import P_E_L, P_I_E, P_REFR, S_I0, NeuronModel, empty_rows, refractory_steps
from .gsl import (
    P_C_M,
    P_G_L,
    P_JUMP_EX,
    P_JUMP_IN,
    P_TAU_EX,
    P_TAU_IN,
    S_H,
    S_V,
    S_Y,
    GslModel,
    integrate_step,
    load,
    store,
    take_input,
)

MODEL_ID = 12
P_G_NA, P_G_K, P_E_NA, P_E_K = 14, 15, 16, 17
M, H, N, DI_EX, I_EX, DI_IN, I_IN = 1, 2, 3, 4, 5, 6, 7  # NEST's y (y[0] = V_m)
STATE = ("Act_m", "Inact_h", "Act_n", "dI_ex", "I_syn_ex", "dI_in", "I_syn_in")


def _rates(v):
    """NEST's (alpha_n, beta_n, alpha_m, beta_m, alpha_h, beta_h) at V = v (mV), in 1/ms."""
    alpha_n = (0.01 * (v + 55.0)) / (1.0 - math.exp(-(v + 55.0) / 10.0))
    beta_n = 0.125 * math.exp(-(v + 65.0) / 80.0)
    alpha_m = (0.1 * (v + 40.0)) / (1.0 - math.exp(-(v + 40.0) / 10.0))
    beta_m = 4.0 * math.exp(-(v + 65.0) / 18.0)
    alpha_h = 0.07 * math.exp(-(v + 65.0) / 20.0)
    beta_h = 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))
    return alpha_n, beta_n, alpha_m, beta_m, alpha_h, beta_h


_AN, _BN, _AM, _BM, _AH, _BH = _rates(-65.0)  # NEST's initial gating: equilibrium at -65 mV


@dataclasses.dataclass(frozen=True)
class HhPscAlpha(NeuronModel):
    r"""Hodgkin-Huxley (1952) neuron with alpha-shaped synaptic currents (NEST).

    .. math::
        C_m \frac{dV}{dt} = -g_{Na} m^3 h (V - E_{Na}) - g_K n^4 (V - E_K) - g_L (V - E_L)
                            + I_{ex} + I_{in} + I_e + I_0, \\
        \frac{dx}{dt} = \alpha_x(V) (1 - x) - \beta_x(V) x \quad (x = m, h, n), \qquad
        \frac{dI_x}{dt} = dI_x - \frac{I_x}{\tau_{syn,x}}, \quad
        dI_x \leftarrow dI_x + \frac{e}{\tau_{syn,x}} w

    with NEST's rate functions (kernels as in ``derivs``), integrated as the other GSL
    models (kernels/rkf45.py, errors against 1e-3 absolute).  No reset: a spike is emitted
    in the step whose end has V >= 0 mV and V below the step's start (the peak has passed);
    then none for t_ref.  Inhibitory weights stay negative (I_in < 0).  Initial gating
    variables: their equilibrium at -65 mV (NEST's, whatever V_m).

    Units: mV, pF, ms, nS, pA (weights in pA).
    """

    name = "hh_psc_alpha"
    model_id = MODEL_ID
    recordables = ("V_m", "I_syn_ex", "I_syn_in", "Act_m", "Inact_h", "Act_n")
    state_rows = S_Y + len(STATE)

    V_m: object = -65.0
    E_L: object = -54.402
    C_m: object = 100.0
    t_ref: object = 2.0
    g_Na: object = 12000.0
    g_K: object = 3600.0
    g_L: object = 30.0
    E_Na: object = 50.0
    E_K: object = -77.0
    tau_syn_ex: object = 0.2
    tau_syn_in: object = 2.0
    I_e: object = 0.0
    Act_m: object = _AM / (_AM + _BM)
    Inact_h: object = _AH / (_AH + _BH)
    Act_n: object = _AN / (_AN + _BN)
    tau_minus: object = 20.0  # ms, postsynaptic trace of plastic inputs (NEST)
    tau_minus_triplet: object = 110.0  # ms, second trace (stdp_triplet_synapse)

    def check(self, v):
        GslModel.check(self, v)
        for g in ("g_Na", "g_K", "g_L"):
            self._require(
                v, g, f"{g} >= 0", lambda x: x >= 0, "use a conductance >= 0 nS", self.name
            )
        for x in ("Act_m", "Inact_h", "Act_n"):
            self._require(v, x, f"{x} >= 0", lambda x: x >= 0, "use a gating value >= 0", self.name)

    def lower(self, v, dt):
        par, st = empty_rows(v["V_m"].shape[0], self.state_rows)
        par[P_I_E] = v["I_e"]
        par[P_E_L] = v["E_L"]
        par[P_REFR] = refractory_steps(v["t_ref"], dt)
        par[P_C_M] = v["C_m"]
        par[P_G_L] = v["g_L"]
        par[P_TAU_EX] = v["tau_syn_ex"]
        par[P_TAU_IN] = v["tau_syn_in"]
        # NEST's V_.PSCurrInit_E = 1.0 * numerics::e / tau_synE
        par[P_JUMP_EX] = 1.0 * math.e / v["tau_syn_ex"]
        par[P_JUMP_IN] = 1.0 * math.e / v["tau_syn_in"]
        par[P_G_NA], par[P_G_K] = v["g_Na"], v["g_K"]
        par[P_E_NA], par[P_E_K] = v["E_Na"], v["E_K"]
        st[S_V] = v["V_m"]
        st[S_H] = dt
        st[S_Y + M - 1] = v["Act_m"]
        st[S_Y + H - 1] = v["Inact_h"]
        st[S_Y + N - 1] = v["Act_n"]
        return par, st

    @staticmethod
    def record(name, par, st, idx, cols):
        row = S_V if name == "V_m" else S_Y + STATE.index(name)
        return st[row, idx].copy()


@nb.njit(cache=True, inline="always")
def derivs(y, f, par, c, refractory, i_stim):
    """NEST's hh_psc_alpha_dynamics (refractoriness does not enter)."""
    v = y[0]
    alpha_n = (0.01 * (v + 55.0)) / (1.0 - math.exp(-(v + 55.0) / 10.0))
    beta_n = 0.125 * math.exp(-(v + 65.0) / 80.0)
    alpha_m = (0.1 * (v + 40.0)) / (1.0 - math.exp(-(v + 40.0) / 10.0))
    beta_m = 4.0 * math.exp(-(v + 65.0) / 18.0)
    alpha_h = 0.07 * math.exp(-(v + 65.0) / 20.0)
    beta_h = 1.0 / (1.0 + math.exp(-(v + 35.0) / 10.0))
    m, h, n = y[M], y[H], y[N]
    i_na = par[P_G_NA, c] * m * m * m * h * (v - par[P_E_NA, c])
    i_k = par[P_G_K, c] * n * n * n * n * (v - par[P_E_K, c])
    i_l = par[P_G_L, c] * (v - par[P_E_L, c])
    f[0] = (-(i_na + i_k + i_l) + i_stim + par[P_I_E, c] + y[I_EX] + y[I_IN]) / par[P_C_M, c]
    f[M] = alpha_m * (1 - y[M]) - beta_m * y[M]
    f[H] = alpha_h * (1 - y[H]) - beta_h * y[H]
    f[N] = alpha_n * (1 - y[N]) - beta_n * y[N]
    f[DI_EX] = -y[DI_EX] / par[P_TAU_EX, c]
    f[I_EX] = y[DI_EX] - (y[I_EX] / par[P_TAU_EX, c])
    f[DI_IN] = -y[DI_IN] / par[P_TAU_IN, c]
    f[I_IN] = y[DI_IN] - (y[I_IN] / par[P_TAU_IN, c])


@nb.njit(cache=True)
def update(lo, hi, pbase, pstride, par, st, refr, h, ex_line, in_line, cur_line, spiked, nspk):
    """One step of neurons lo..hi-1 (NEST's update): integrate, add this step's input, then
    the spike rule; appends the local index of each that fires to ``spiked`` and returns the
    new count.  ``h``: the step (ms)."""
    y = np.empty(8)
    w = np.empty((WORK_ROWS, 8))
    for i in range(lo, hi):
        c = pbase + (i - lo) * pstride
        ex, inh, current = take_input(i, ex_line, in_line, cur_line)
        load(st, i, y)
        v_old = y[0]
        integrate_step(derivs, y, st, i, h, w, par, c, False)
        y[DI_EX] += ex * par[P_JUMP_EX, c]
        y[DI_IN] += inh * par[P_JUMP_IN, c]  # NEST keeps inhibitory weights negative here
        if refr[i] > 0:
            refr[i] -= 1
        elif y[0] >= 0.0 and v_old > y[0]:  # past the peak of a spike
            refr[i] = np.int32(par[P_REFR, c])
            spiked[nspk] = i
            nspk += 1
        store(y, st, i)
        st[S_I0, i] = current
    return nspk
