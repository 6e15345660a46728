"""Common machinery of neuron models: parameters, validation, serialisation, lowering.

A model is a frozen dataclass whose fields are NEST's parameter names (including the initial
value of each state variable, as in ``nest.Create(model, params=...)``).  A field holds a
number, a per-neuron distribution, or one number per neuron (a sequence or a 1-D array, as
NEST's ``Create(model, n, params={"V_m": [...]})``; the population checks its length).
Numbers are finite, except the infinities a model gives a meaning (``infinite``).
``lower`` turns the per-neuron values of a block of neurons into the flat float64 arrays
the kernels read:

    par[row, i]   parameters and exact-integration propagators of neuron i
    st[row, i]    state variables of neuron i (membrane potential relative to E_L for iaf)

Row meanings are the module constants of each model; the kernels use the same constants.
"""

import dataclasses
import math
from typing import ClassVar

import numpy as np

from .. import arrays
from ..distributions import as_numbers, as_value, to_spec
from ..errors import DistsimError, ModelError
from ..messages import did_you_mean

N_PAR_ROWS = 20  # rows of the parameter matrix shared by all models
N_STATE_ROWS = 8  # rows of the state matrix of every model but those that need more

# rows shared by all neuron models (model-specific rows start at 6 / 2)
P_THETA, P_V_RESET, P_I_E, P_E_L, P_REFR, P_V_MIN = 0, 1, 2, 3, 4, 5
S_V, S_I0 = 0, 1


@dataclasses.dataclass(frozen=True)
class NeuronModel:
    """Base class; subclasses define the fields (NEST names and defaults) and ``lower``."""

    name: ClassVar[str] = ""
    model_id: ClassVar[int] = -1
    recordables: ClassVar[tuple] = ()
    is_source_only: ClassVar[bool] = False
    event_driven: ClassVar[bool] = False  # has update_events and catch_up (iaf_psc_delta)
    infinite: ClassVar[dict] = {}  # parameter -> the infinity it may take (and what it means)
    state_rows: ClassVar[int] = N_STATE_ROWS  # rows of st it needs (state_rows_of: a network's)
    par_rows: ClassVar[int] = N_PAR_ROWS  # rows of par it needs (par_rows_of: a network's)
    nestml: ClassVar[dict] = None  # a NESTML model's origin: its file, step control, hash

    def __post_init__(self):
        constants = {}
        for f in dataclasses.fields(self):
            where = f"{self.name}.{f.name}"
            value = getattr(self, f.name)
            infinity = self.infinite.get(f.name)
            if isinstance(value, (list, tuple, np.ndarray)):
                value = as_numbers(value, where, "one number per neuron", infinity, ModelError)
            else:
                value = as_value(value, where, infinity)
            object.__setattr__(self, f.name, value)
            if isinstance(value, float):
                constants[f.name] = np.array([value])
        self.check(constants)  # rules among constants now; drawn values at build

    @classmethod
    def parameter_names(cls):
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_params(cls, params, where=None):
        """Build from a NEST-style parameter dict, rejecting unknown names."""
        params = parameter_dict(params, cls, where)
        try:
            return cls(**params)
        except DistsimError as exc:
            raise type(exc)(f"{where}: {exc}") if where else exc from None

    def to_dict(self):
        return {f.name: to_spec(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def values(self):
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def check(self, v):
        """Validate per-neuron values ``v`` (name -> array, missing names are skipped);
        raise ModelError naming the rule."""

    @classmethod
    def check_weights(cls, weights, where):
        """Validate the weights (a number, an array or a distribution) of a projection onto
        this model; raise ModelError naming the rule.  Any weight is valid by default."""

    def rests_below_threshold(self):
        """True when a neuron that receives nothing relaxes to a constant potential below
        threshold, in closed form, so it may be computed only when input reaches it
        (event-driven).  Decided from the description alone, identically on every rank."""
        return False

    def lower(self, v, dt):
        """Per-neuron values ``v`` (name -> float64 array of length n) -> (par, st)."""
        raise NotImplementedError

    @staticmethod
    def _require(v, name, rule, ok, fix, model):
        if name in v:
            bad = ~ok(v[name])
            if np.any(bad):
                raise ModelError(
                    f"model {model}: parameter {name} = {float(v[name][bad][0])!r} violates "
                    f"{rule}; {fix}"
                )


def parameter_dict(params, cls, where):
    """``params`` (None or a dict of NEST parameter names) as a new dict; an unknown name is
    refused with the closest valid one."""
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise ModelError(
            f"{where or cls.name}: parameters of model '{cls.name}' are a dict of "
            f"NEST names, got a {type(params).__name__}"
        )
    valid = cls.parameter_names()
    for key in params:
        if key not in valid:
            raise ModelError(
                f"{where or cls.name}: model '{cls.name}' has no parameter {key!r}; "
                f"valid parameters: {', '.join(valid)}{did_you_mean(key, valid)}"
            )
    return dict(params)


def empty_rows(n, state_rows=N_STATE_ROWS):
    return arrays.zeros((N_PAR_ROWS, n)), arrays.zeros((state_rows, n))


def state_rows_of(network):
    """Rows of the state matrix of ``network``'s neurons: the most any of its models needs."""
    rows = [getattr(p.model, "state_rows", N_STATE_ROWS) for p in network.populations.values()]
    return max([N_STATE_ROWS] + rows)


def par_rows_of(network):
    """Rows of the parameter matrix of ``network``'s neurons: the most any of its models needs."""
    rows = [getattr(p.model, "par_rows", N_PAR_ROWS) for p in network.populations.values()]
    return max([N_PAR_ROWS] + rows)


def refractory_steps(t_ref, dt):
    """Refractory period in whole steps, rounded to the nearest step as NEST's Time does."""
    return np.floor(t_ref / dt + 0.5)


def propagator_30(tau, c, h):
    """P30: effect of a constant current on V over one step h, -tau/C expm1(-h/tau); its
    limit h/C for tau = inf (a perfect integrator, C dV/dt = I)."""
    with np.errstate(invalid="ignore"):
        p30 = -tau / c * np.expm1(-h / tau)
    return np.where(np.isinf(tau), h / c, p30)


def propagator_32(tau_syn, tau, c, h):
    """NEST's numerically stable P32: effect of a PSC (exp. kernel) on V over one step h.

    P32 = -tau / (C (1 - tau/tau_syn)) * exp(-h/tau_syn) * expm1(h (1/tau_syn - 1/tau)),
    replaced by its singular limit h/C exp(-h/tau) where tau_syn ~ tau (as NEST does), and
    by its limit -tau_syn/C expm1(-h/tau_syn) for tau = inf (no leak).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        p32_linear = 1.0 / (2.0 * c * tau * tau) * h * h * (tau_syn - tau) * np.exp(-h / tau)
        p32_singular = h / c * np.exp(-h / tau)
        p32 = (
            -tau
            / (c * (1.0 - tau / tau_syn))
            * np.exp(-h / tau_syn)
            * np.expm1(h * (1.0 / tau_syn - 1.0 / tau))
        )
    dev = np.abs(p32 - p32_singular)
    singular = (tau == tau_syn) | ((np.abs(tau - tau_syn) < 0.1) & (dev > 2.0 * np.abs(p32_linear)))
    singular |= ~np.isfinite(p32)
    p32 = np.where(singular, p32_singular, p32)
    return np.where(np.isinf(tau), -tau_syn / c * np.expm1(-h / tau_syn), p32)


def propagator_31(tau_syn, tau, c, h):
    """P31: effect of the alpha PSC's dI on V over one step h, with a = 1/tau_syn - 1/tau,

    P31 = 1/C [(exp(-h/tau) - exp(-h/tau_syn)) / a**2 - h exp(-h/tau_syn) / a],
    replaced by its limit h**2/(2C) exp(-h/tau) where tau_syn ~ tau (NEST's criterion);
    for tau = inf (a = 1/tau_syn) the formula itself is the limit.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        p31_linear = 1.0 / (3.0 * c * tau * tau) * h * h * h * (tau_syn - tau) * np.exp(-h / tau)
        a = 1.0 / tau_syn - 1.0 / tau
        p31 = 1.0 / c * (np.exp(-h / tau_syn) * np.expm1(h * a) / a - h * np.exp(-h / tau_syn)) / a
        p31_singular = h * h / 2.0 / c * np.exp(-h / tau)
    dev = np.abs(p31 - p31_singular)
    singular = (tau == tau_syn) | ((np.abs(tau - tau_syn) < 0.1) & (dev > 2.0 * np.abs(p31_linear)))
    singular |= ~np.isfinite(p31)
    return np.where(singular, p31_singular, p31)


@dataclasses.dataclass(frozen=True)
class IafModel(NeuronModel):
    """Fields, rules and lowering shared by the leaky integrate-and-fire models.

    The membrane potential is integrated relative to E_L (``st[S_V] = V_m - E_L``), as NEST
    does; threshold, reset and V_min rows are relative too.  ``tau_m = inf`` is a neuron
    without leak (C_m dV/dt = I), lowered with the propagators' limits; ``V_th = inf`` a
    neuron that never fires (its V_m is still integrated and recordable).
    """

    V_m: object = -70.0
    E_L: object = -70.0
    C_m: object = 250.0
    tau_m: object = 10.0
    t_ref: object = 2.0
    V_th: object = -55.0
    V_reset: object = -70.0
    I_e: object = 0.0
    tau_minus: object = 20.0  # ms, postsynaptic trace of plastic inputs (NEST)
    tau_minus_triplet: object = 110.0  # ms, second trace (stdp_triplet_synapse)

    # no leak (a perfect integrator), a neuron that never fires, no floor on V_m
    infinite: ClassVar[dict] = {"tau_m": math.inf, "V_th": math.inf, "V_min": -math.inf}

    def check(self, v):
        iaf_checks(self.name, v)

    def lower_common(self, v, dt):
        """(par, st) with the rows every iaf model has filled in."""
        par, st = empty_rows(v["V_m"].shape[0])
        e_l = v["E_L"]
        par[P_THETA] = v["V_th"] - e_l
        par[P_V_RESET] = v["V_reset"] - e_l
        par[P_V_MIN] = v["V_min"] - e_l if "V_min" in v else -np.inf
        par[P_I_E] = v["I_e"]
        par[P_E_L] = e_l
        par[P_REFR] = refractory_steps(v["t_ref"], dt)
        st[S_V] = v["V_m"] - e_l
        return par, st

    @staticmethod
    def record_v(par, st, idx, cols):
        return st[S_V, idx] + par[P_E_L, cols]


def iaf_checks(model, v):
    """Rules NEST enforces for every iaf model."""
    req = NeuronModel._require
    req(v, "C_m", "C_m > 0", lambda x: x > 0, "use a positive capacitance in pF", model)
    req(v, "tau_m", "tau_m > 0", lambda x: x > 0, "use a positive time constant in ms", model)
    req(
        v,
        "t_ref",
        "t_ref >= 0",
        lambda x: x >= 0,
        "use a non-negative refractory period in ms",
        model,
    )
    for syn in ("tau_syn_ex", "tau_syn_in"):
        req(
            v,
            syn,
            f"{syn} > 0",
            lambda x: x > 0,
            "use a positive synaptic time constant in ms",
            model,
        )
    if "V_reset" in v and "V_th" in v:
        bad = ~(v["V_reset"] < v["V_th"])
        if np.any(bad):
            raise ModelError(
                f"model {model}: V_reset = {float(v['V_reset'][bad][0])!r} mV is not below "
                f"V_th = {float(v['V_th'][bad][0])!r} mV (rule V_reset < V_th); lower V_reset "
                f"or raise V_th"
            )
