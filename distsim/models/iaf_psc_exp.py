"""iaf_psc_exp: leaky integrate-and-fire neuron with exponential PSCs (NEST)."""
import dataclasses

import numpy as np

from .base import (P_E_L, P_I_E, P_REFR, P_THETA, P_V_MIN, P_V_RESET, S_V, NeuronModel,
                   empty_rows, iaf_checks, propagator_32, refractory_steps)

MODEL_ID = 1
P_P22, P_P21EX, P_P21IN, P_P11EX, P_P11IN, P_P20 = 6, 7, 8, 9, 10, 11
S_I_EX, S_I_IN = 2, 3


@dataclasses.dataclass(frozen=True)
class IafPscExp(NeuronModel):
    r"""Leaky integrate-and-fire neuron with exponential current synapses (NEST semantics).

    .. math::
        C_m \frac{dV}{dt} = -\frac{C_m}{\tau_m}(V - E_L) + I_{ex} + I_{in} + I_e + I_0, \qquad
        \tau_{syn,x} \frac{dI_x}{dt} = -I_x, \quad I_x \leftarrow I_x + w \text{ at arrival}

    Exact integration over each step h (Rotter & Diesmann 1999):
    ``y = P22 y + P21ex I_ex + P21in I_in + P20 (I_e + I_0)`` (only when not refractory),
    ``I_x = P11x I_x + (arriving weights of sign x)``, with ``P22 = exp(-h/tau_m)``,
    ``P11x = exp(-h/tau_syn_x)``, ``P20 = -tau_m/C_m expm1(-h/tau_m)`` and ``P21x`` NEST's
    stable ``propagator_32``.  Positive weights go to the excitatory, negative to the
    inhibitory synapse.  Threshold, reset and refractoriness as in ``iaf_psc_delta``.

    Units: mV, pF, ms, pA (weights in pA).
    """

    name = "iaf_psc_exp"
    model_id = MODEL_ID
    recordables = ("V_m", "I_syn_ex", "I_syn_in")

    V_m: object = -70.0
    E_L: object = -70.0
    C_m: object = 250.0
    tau_m: object = 10.0
    t_ref: object = 2.0
    V_th: object = -55.0
    V_reset: object = -70.0
    tau_syn_ex: object = 2.0
    tau_syn_in: object = 2.0
    I_e: object = 0.0
    I_syn_ex: object = 0.0
    I_syn_in: object = 0.0

    def check(self, v):
        iaf_checks(self.name, v)

    def lower(self, v, dt):
        n = v["V_m"].shape[0]
        par, st = empty_rows(n)
        e_l, tau, c = v["E_L"], v["tau_m"], v["C_m"]
        par[P_THETA] = v["V_th"] - e_l
        par[P_V_RESET] = v["V_reset"] - e_l
        par[P_V_MIN] = -np.inf
        par[P_I_E] = v["I_e"]
        par[P_E_L] = e_l
        par[P_REFR] = refractory_steps(v["t_ref"], dt)
        par[P_P22] = np.exp(-dt / tau)
        par[P_P11EX] = np.exp(-dt / v["tau_syn_ex"])
        par[P_P11IN] = np.exp(-dt / v["tau_syn_in"])
        par[P_P21EX] = propagator_32(v["tau_syn_ex"], tau, c, dt)
        par[P_P21IN] = propagator_32(v["tau_syn_in"], tau, c, dt)
        par[P_P20] = -tau / c * np.expm1(-dt / tau)
        st[S_V] = v["V_m"] - e_l
        st[S_I_EX] = v["I_syn_ex"]
        st[S_I_IN] = v["I_syn_in"]
        return par, st

    @staticmethod
    def record(name, par, st, idx, cols):
        if name == "V_m":
            return st[S_V, idx] + par[P_E_L, cols]
        return st[S_I_EX if name == "I_syn_ex" else S_I_IN, idx].copy()
