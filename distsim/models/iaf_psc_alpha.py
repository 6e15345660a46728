"""iaf_psc_alpha: leaky integrate-and-fire neuron with alpha-shaped PSCs (NEST)."""
import dataclasses

import numpy as np

from .base import IafModel, propagator_30, propagator_31, propagator_32

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
                (v["tau_syn_in"], P_P11IN, P_P21IN, P_EPSC_IN, P_P31IN, P_P32IN)):
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
