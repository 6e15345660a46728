"""What the models NEST integrates with GSL's adaptive solver share (conductance-based and
adaptive exponential models; kernels/rkf45.py is the solver): their rows and lowering.

The state is NEST's vector y in NEST's order, V_m first and absolute (mV, not relative to
E_L: the derivatives are then computed with NEST's own operands), held as

    st[S_V]       y[0] = V_m (mV)
    st[S_I0]      the stimulus current of the step (pA; NEST's B_.I_stim_)
    st[S_H]       the suggested integration step (ms; NEST's B_.IntegrationStep_, first dt)
    st[S_Y + k]   y[1 + k], the model's other variables

and the parameters (besides base.py's shared rows, with V_th and V_reset absolute) as
``par[P_C_M .. P_JUMP_IN]``; the adaptive exponential models add ``P_DELTA_T .. P_TOL``.
Weights arrive through the ring as for every model: positive ones are excitatory, negative
ones inhibitory (their magnitude, as NEST's handle() takes -weight).
"""

import dataclasses
import math
from typing import ClassVar

import numba as nb
import numpy as np

from ..errors import ModelError
from ..kernels.fixed import FIXED_INV
from ..kernels.rkf45 import WORK_ROWS, evolve_apply
from .base import (
    P_E_L,
    P_I_E,
    P_REFR,
    P_THETA,
    P_V_RESET,
    S_I0,
    S_V,
    NeuronModel,
    empty_rows,
    refractory_steps,
)

S_H, S_Y = 2, 3
P_C_M, P_G_L, P_TAU_EX, P_TAU_IN, P_E_EX, P_E_IN, P_JUMP_EX, P_JUMP_IN = range(6, 14)
P_DELTA_T, P_TAU_W, P_A, P_B, P_V_PEAK, P_TOL = range(14, 20)

# NEST's control of iaf_cond_*: gsl_odeiv_control_y_new(1e-3, 0): |yerr_i| against 1e-3
IAF_COND_EPS_ABS = 1e-3


@dataclasses.dataclass(frozen=True)
class GslModel(NeuronModel):
    """Base of the GSL-integrated models: ``state`` names the variables of y after V_m, in
    NEST's order (each a field: its initial value); ``alpha``: a weight w makes dg_x jump by
    e/tau_syn w (NEST's PSConInit; P_JUMP_*), else g_x by w (a jump of 1)."""

    state: ClassVar[tuple] = ()
    alpha: ClassVar[bool] = False  # alpha-shaped synapses (dg_x jumps, g_x follows)

    V_m: object = -70.0
    E_L: object = -70.0
    C_m: object = 250.0
    t_ref: object = 2.0
    V_th: object = -55.0
    V_reset: object = -60.0
    g_L: object = 16.6667
    tau_syn_ex: object = 0.2
    tau_syn_in: object = 2.0
    I_e: object = 0.0
    tau_minus: object = 20.0  # ms, postsynaptic trace of plastic inputs (NEST)
    tau_minus_triplet: object = 110.0  # ms, second trace (stdp_triplet_synapse)

    def check(self, v):
        req = NeuronModel._require
        req(v, "C_m", "C_m > 0", lambda x: x > 0, "use a positive capacitance in pF", self.name)
        req(
            v, "t_ref", "t_ref >= 0", lambda x: x >= 0, "use a non-negative period in ms", self.name
        )
        for tau in ("tau_syn_ex", "tau_syn_in", "tau_w"):
            req(
                v,
                tau,
                f"{tau} > 0",
                lambda x: x > 0,
                "use a positive time constant in ms",
                self.name,
            )

    def lower_gsl(self, v, dt):
        """(par, st) with the rows every GSL model has filled in."""
        par, st = empty_rows(v["V_m"].shape[0])
        par[P_THETA] = v["V_th"]
        par[P_V_RESET] = v["V_reset"]
        par[P_I_E] = v["I_e"]
        par[P_E_L] = v["E_L"]
        par[P_REFR] = refractory_steps(v["t_ref"], dt)
        par[P_C_M] = v["C_m"]
        par[P_G_L] = v["g_L"]
        par[P_TAU_EX] = v["tau_syn_ex"]
        par[P_TAU_IN] = v["tau_syn_in"]
        par[P_E_EX] = v.get("E_ex", np.zeros_like(v["V_m"]))
        par[P_E_IN] = v.get("E_in", np.zeros_like(v["V_m"]))
        # NEST's V_.PSConInit_E = 1.0 * numerics::e / tau_synE (alpha), else 1
        par[P_JUMP_EX] = 1.0 * math.e / v["tau_syn_ex"] if self.alpha else 1.0
        par[P_JUMP_IN] = 1.0 * math.e / v["tau_syn_in"] if self.alpha else 1.0
        st[S_V] = v["V_m"]
        st[S_H] = dt
        for k, name in enumerate(self.state):
            st[S_Y + k] = v[name]
        return par, st

    @classmethod
    def record(cls, name, par, st, idx, cols):
        row = S_V if name == "V_m" else S_Y + cls.state.index(name)
        return st[row, idx].copy()


@dataclasses.dataclass(frozen=True)
class AdExModel(GslModel):
    """Adaptive exponential integrate-and-fire (Brette & Gerstner 2005) as NEST's aeif_*:
    NEST's defaults, its rules, and its error control (gsl_odeiv_control_yp_new with
    eps_abs = eps_rel = gsl_error_tol: |yerr_i| against tol (1 + h |dy_i/dt|))."""

    infinite: ClassVar[dict] = {}

    V_m: object = -70.6
    E_L: object = -70.6
    C_m: object = 281.0
    t_ref: object = 0.0
    V_th: object = -50.4
    V_reset: object = -60.0
    g_L: object = 30.0
    V_peak: object = 0.0
    Delta_T: object = 2.0
    tau_w: object = 144.0
    a: object = 4.0
    b: object = 80.5
    gsl_error_tol: object = 1e-6
    w: object = 0.0

    def check(self, v):
        super().check(v)
        name, req = self.name, NeuronModel._require
        req(v, "Delta_T", "Delta_T >= 0", lambda x: x >= 0, "use a slope factor >= 0 mV", name)
        req(
            v,
            "gsl_error_tol",
            "gsl_error_tol > 0",
            lambda x: x > 0,
            "use a positive tolerance",
            name,
        )
        if "V_peak" in v and "V_th" in v:
            bad = ~(v["V_peak"] >= v["V_th"])
            if np.any(bad):
                raise _rule(name, "V_peak >= V_th", v, "V_peak", bad, "raise V_peak or lower V_th")
        if "V_reset" in v and "V_peak" in v:
            bad = ~(v["V_reset"] < v["V_peak"])
            if np.any(bad):
                raise _rule(name, "V_reset < V_peak", v, "V_reset", bad, "lower V_reset")
        if all(k in v for k in ("V_peak", "V_th", "Delta_T")):
            # NEST: exp((V_peak - V_th) / Delta_T) must leave a margin of 1e20 below DBL_MAX
            max_arg = math.log(np.finfo(np.float64).max / 1e20)
            with np.errstate(divide="ignore", invalid="ignore"):
                arg = (v["V_peak"] - v["V_th"]) / v["Delta_T"]
            bad = (v["Delta_T"] > 0) & (arg >= max_arg)
            if np.any(bad):
                raise _rule(
                    name,
                    f"(V_peak - V_th) / Delta_T < {max_arg:.1f} (no overflow at the spike)",
                    v,
                    "Delta_T",
                    bad,
                    "increase Delta_T or lower V_peak",
                )
        for g in ("g_ex", "g_in"):
            req(v, g, f"{g} >= 0", lambda x: x >= 0, "conductances cannot be negative", name)

    def lower_adex(self, v, dt):
        par, st = self.lower_gsl(v, dt)
        par[P_DELTA_T] = v["Delta_T"]
        par[P_TAU_W] = v["tau_w"]
        par[P_A] = v["a"]
        par[P_B] = v["b"]
        par[P_V_PEAK] = v["V_peak"]
        par[P_TOL] = v["gsl_error_tol"]
        return par, st


def _rule(model, rule, v, name, bad, fix):
    """The ModelError of a rule between parameters that the first ``bad`` neuron breaks."""
    return ModelError(
        f"model {model}: parameter {name} = {float(v[name][bad][0])!r} violates {rule}; {fix}"
    )


@nb.njit(cache=True, inline="always")
def load(st, i, y):
    """NEST's state vector y of neuron i."""
    y[0] = st[S_V, i]
    for k in range(1, y.shape[0]):
        y[k] = st[S_Y + k - 1, i]


@nb.njit(cache=True, inline="always")
def store(y, st, i):
    """Back into the rows of neuron i."""
    st[S_V, i] = y[0]
    for k in range(1, y.shape[0]):
        st[S_Y + k - 1, i] = y[k]


@nb.njit(cache=True, inline="always")
def integrate_step(derivs, y, st, i, h, w, par, c, refractory):
    """NEST's ``while t < dt: gsl_odeiv_evolve_apply(...)`` for neuron i over one step of h
    ms with the control of iaf_cond_* and hh_psc_alpha (errors against IAF_COND_EPS_ABS),
    starting from and keeping its suggested integration step st[S_H, i]."""
    t, step = 0.0, st[S_H, i]
    while t < h:
        t, step = evolve_apply(derivs, t, h, step, y, IAF_COND_EPS_ABS, 0.0, 1.0, 0.0, w, par, c,
                               refractory, st[S_I0, i])  # fmt: skip
    st[S_H, i] = step


@nb.njit(cache=True, inline="always")
def adex_step(derivs, y, st, i, refr, h, w, par, c, spiked, nspk):
    """NEST's aeif_* update of neuron i over one step of h ms, before its input arrives:
    integrate, and after each integration step (GSL's, inside the simulation step) clamp a
    refractory V to V_reset, or fire at V >= V_peak (V_th when Delta_T = 0): V <- V_reset,
    w <- w + b, refractory for t_ref (counted from the next step).  Then one refractory step
    is over.  Appends i to ``spiked`` once if it fired (NEST would send one event per
    crossing; two in one step need dV/dt of several V per ms after the reset) and returns
    the new count."""
    v_spike = par[P_V_PEAK, c] if par[P_DELTA_T, c] > 0.0 else par[P_THETA, c]
    n_ref = np.int32(par[P_REFR, c])
    tol = par[P_TOL, c]
    t, step = 0.0, st[S_H, i]
    fired = False
    while t < h:
        t, step = evolve_apply(derivs, t, h, step, y, tol, tol, 0.0, 1.0, w, par, c, refr[i] > 0,
                               st[S_I0, i])  # fmt: skip
        if refr[i] > 0:
            y[0] = par[P_V_RESET, c]
        elif y[0] >= v_spike:
            y[0] = par[P_V_RESET, c]
            y[y.shape[0] - 1] += par[P_B, c]  # w, the last variable of every aeif model
            refr[i] = n_ref + 1 if n_ref > 0 else 0
            fired = True
    st[S_H, i] = step
    if refr[i] > 0:
        refr[i] -= 1
    if fired:
        spiked[nspk] = i
        nspk += 1
    return nspk


@nb.njit(cache=True, inline="always")
def adex_membrane(v, a, b, w_ad, par, c, refractory, i_stim, f):
    """NEST's aeif_* derivatives of V and w (f[0], f[-1]) at the V of the derivatives (min(V,
    V_peak), V_reset while refractory), with the synaptic input entering as ``+ a - b`` in
    NEST's order (conductances: a = -I_syn_exc, b = I_syn_inh; currents: a = I_ex,
    b = I_in) and adaptation current ``w_ad``."""
    g_l, delta_t = par[P_G_L, c], par[P_DELTA_T, c]
    i_spike = 0.0 if delta_t == 0.0 else (g_l * delta_t * math.exp((v - par[P_THETA, c]) / delta_t))
    f[0] = (
        0.0
        if refractory
        else (-g_l * (v - par[P_E_L, c]) + i_spike + a - b - w_ad + par[P_I_E, c] + i_stim)
        / par[P_C_M, c]
    )
    f[f.shape[0] - 1] = (par[P_A, c] * (v - par[P_E_L, c]) - w_ad) / par[P_TAU_W, c]


@nb.njit(cache=True, inline="always")
def take_input(i, ex_line, in_line, cur_line):
    """Neuron i's input of this step (read and cleared): the sums of its excitatory and of
    its inhibitory weights (the latter negative), and the stimulus current (pA) it brings
    for the next step."""
    ex = ex_line[i] * FIXED_INV
    inh = in_line[i] * FIXED_INV
    current = cur_line[i]
    ex_line[i] = 0
    in_line[i] = 0
    cur_line[i] = 0.0
    return ex, inh, current


@nb.njit(cache=True, inline="always")
def adex_update(derivs, n_y, ex_row, in_row, lo, hi, pbase, pstride, par, st, refr, h, ex_line,
                in_line, cur_line, spiked, nspk):  # fmt: skip
    """The update of every aeif model (NEST's): ``adex_step``, then the step's input: the
    excitatory weights times P_JUMP_EX onto y[ex_row], the magnitude of the inhibitory ones
    times P_JUMP_IN onto y[in_row] (jumps of 1 for exponential synapses: the same bits as
    adding the weights)."""
    y = np.empty(n_y)
    w = np.empty((WORK_ROWS, n_y))
    for i in range(lo, hi):
        c = pbase + (i - lo) * pstride
        ex, inh, current = take_input(i, ex_line, in_line, cur_line)
        load(st, i, y)
        nspk = adex_step(derivs, y, st, i, refr, h, w, par, c, spiked, nspk)
        y[ex_row] += ex * par[P_JUMP_EX, c]
        y[in_row] += -inh * par[P_JUMP_IN, c]
        store(y, st, i)
        st[S_I0, i] = current
    return nspk
