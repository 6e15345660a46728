"""izhikevich: Izhikevich (2003) simple model (NEST)."""

import dataclasses
import math
from typing import ClassVar

import numba as nb
import numpy as np

from ..kernels.fixed import FIXED_INV
from .base import P_I_E, P_THETA, P_V_MIN, S_I0, S_V, NeuronModel, empty_rows

MODEL_ID = 3
P_A, P_B, P_C, P_D, P_CONSISTENT = 6, 7, 8, 9, 10
S_U = 2


@dataclasses.dataclass(frozen=True)
class Izhikevich(NeuronModel):
    r"""Izhikevich (2003) neuron, forward Euler as NEST's ``izhikevich``.

    .. math::
        \frac{dv}{dt} = 0.04 v^2 + 5 v + 140 - u + I_e + I_0, \qquad
        \frac{du}{dt} = a (b v - u)

    ``consistent_integration`` (NEST's default): one Euler step of length h with old v, u, and
    the arriving weights (mV) added to v; otherwise the published scheme: two half steps for v
    in which the arriving weights act as a current, then u with the new v.
    ``v = max(v, V_min)``; ``v >= V_th`` emits a spike and sets ``v = c``, ``u = u + d``.  No
    refractory period.

    Units: as in NEST, the published ones: time in ms, v (``V_m``), c, V_th, V_min in mV;
    u (``U_m``), d and I_e in the model's current units (mV/ms); weights in mV.
    """

    name = "izhikevich"
    model_id = MODEL_ID
    recordables = ("V_m", "U_m")
    infinite: ClassVar[dict] = {"V_min": -math.inf}  # no floor on V_m

    V_m: object = -65.0
    U_m: object = -13.0
    a: object = 0.02
    b: object = 0.2
    c: object = -65.0
    d: object = 8.0
    I_e: object = 0.0
    V_th: object = 30.0
    V_min: object = -np.inf
    consistent_integration: object = 1.0
    tau_minus: object = 20.0  # ms, postsynaptic trace of plastic inputs (NEST)
    tau_minus_triplet: object = 110.0  # ms, second trace (stdp_triplet_synapse)

    def lower(self, v, dt):
        n = v["V_m"].shape[0]
        par, st = empty_rows(n)
        par[P_THETA] = v["V_th"]
        par[P_V_MIN] = v["V_min"]
        par[P_I_E] = v["I_e"]
        par[P_A], par[P_B], par[P_C], par[P_D] = v["a"], v["b"], v["c"], v["d"]
        par[P_CONSISTENT] = (v["consistent_integration"] != 0).astype(float)
        st[S_V] = v["V_m"]
        st[S_U] = v["U_m"]
        return par, st

    @staticmethod
    def record(name, par, st, idx, cols):
        return st[S_V if name == "V_m" else S_U, idx].copy()


@nb.njit(cache=True)
def update(lo, hi, pbase, pstride, par, st, refr, h, ex_line, in_line, cur_line, spiked, nspk):
    """One step of neurons lo..hi-1 (NEST's update): reads and clears their input of this
    step's slot, appends the local index of each that fires to ``spiked``; returns the new
    count.  ``h``: the step (ms); ``refr`` is unused (no refractoriness)."""
    for i in range(lo, hi):
        c = pbase + (i - lo) * pstride
        spikes = (ex_line[i] + in_line[i]) * FIXED_INV
        current = cur_line[i]
        ex_line[i] = 0
        in_line[i] = 0
        cur_line[i] = 0.0
        v, u = st[S_V, i], st[S_U, i]
        drive = st[S_I0, i] + par[P_I_E, c]
        a, b = par[P_A, c], par[P_B, c]
        if par[P_CONSISTENT, c] != 0.0:
            v_old, u_old = v, u
            v += h * (0.04 * v_old * v_old + 5.0 * v_old + 140.0 - u_old + drive) + spikes
            u += h * a * (b * v_old - u_old)
        else:
            v += h * 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + drive + spikes)
            v += h * 0.5 * (0.04 * v * v + 5.0 * v + 140.0 - u + drive + spikes)
            u += h * a * (b * v - u)
        if v < par[P_V_MIN, c]:
            v = par[P_V_MIN, c]
        if v >= par[P_THETA, c]:
            v = par[P_C, c]
            u += par[P_D, c]
            spiked[nspk] = i
            nspk += 1
        st[S_V, i] = v
        st[S_U, i] = u
        st[S_I0, i] = current
    return nspk
