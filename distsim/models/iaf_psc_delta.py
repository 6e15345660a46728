"""iaf_psc_delta: leaky integrate-and-fire neuron with delta-shaped synaptic input (NEST)."""
import dataclasses

import numpy as np

from .base import IafModel, propagator_30

MODEL_ID = 0
P_P33, P_P30, P_REFR_INPUT, P_H_OVER_TAU, P_Y_INF = 6, 7, 8, 9, 10
S_REFR_BUFFER = 2


@dataclasses.dataclass(frozen=True)
class IafPscDelta(IafModel):
    r"""Leaky integrate-and-fire neuron with delta synapses, exactly integrated (NEST semantics).

    .. math::
        \tau_m \frac{dV}{dt} = -(V - E_L) + \frac{\tau_m}{C_m}(I_e + I(t)), \qquad
        V \leftarrow V + \sum_k J_k \delta(t - t_k - d_k)

    Each step h: ``y = P30 (I_0 + I_e) + P33 y + sum of arriving weights``, with
    ``y = V - E_L``, ``P33 = exp(-h/tau_m)``, ``P30 = -tau_m/C_m expm1(-h/tau_m)`` (h/C_m for
    tau_m = inf); then
    ``y = max(y, V_min - E_L)``.  ``y >= V_th - E_L`` emits a spike, sets ``V = V_reset`` and
    clamps V for ``t_ref`` (input arriving then is dropped, or with ``refractory_input``
    discounted by ``exp(-r h / tau_m)`` and added at the end of the period).  The current of
    a DC input acts from the step after it arrives, as NEST's ``y0``.

    Units: V_m, E_L, V_th, V_reset, V_min in mV; C_m in pF; tau_m, t_ref in ms; I_e in pA;
    synaptic weights in mV.
    """

    name = "iaf_psc_delta"
    model_id = MODEL_ID
    recordables = ("V_m",)

    V_min: object = -np.inf
    refractory_input: object = 0.0

    def lower(self, v, dt):
        par, st = self.lower_common(v, dt)
        par[P_P33] = np.exp(-dt / v["tau_m"])
        par[P_P30] = propagator_30(v["tau_m"], v["C_m"], dt)
        par[P_REFR_INPUT] = (v["refractory_input"] != 0).astype(float)
        par[P_H_OVER_TAU] = dt / v["tau_m"]
        with np.errstate(invalid="ignore"):  # no leak (tau_m = inf): never event-driven
            par[P_Y_INF] = v["I_e"] * v["tau_m"] / v["C_m"]  # resting potential - E_L
        return par, st

    def rests_below_threshold(self):
        """Constant parameters, a leak (finite tau_m), no refractory_input, and the resting
        potential E_L + I_e tau_m / C_m below V_th."""
        v = (self.I_e, self.tau_m, self.C_m, self.V_th, self.E_L, self.refractory_input)
        if not all(isinstance(x, float) for x in v) or np.isinf(self.tau_m):
            return False
        return self.refractory_input == 0.0 and self.I_e * self.tau_m / self.C_m < self.V_th - self.E_L

    @classmethod
    def record(cls, name, par, st, idx, cols):
        return cls.record_v(par, st, idx, cols)
