"""Plastic synapse models with NEST's semantics (stdp_synapse, stdp_pl_synapse_hom,
stdp_triplet_synapse).  A plastic synapse lives with its target; its weight changes only
when a presynaptic spike is delivered, from the spike times alone (kernels/plasticity.py).

With d the synaptic delay (all of it dendritic, as in NEST), at a presynaptic spike at t
after the previous one at t_last:

1. facilitation, for every postsynaptic spike t_j in (t_last - d, t - d], in order:
   ``w = facilitate(w, K+ exp((t_last - t_j - d) / tau_plus))``;
2. depression with the postsynaptic trace just before t - d:
   ``w = depress(w, K-(t - d))``, K- = sum over post spikes t_j < t - d of
   exp(-(t - d - t_j) / tau_minus) (tau_minus: the target neuron's parameter);
3. the spike is delivered with the new w; ``K+ = K+ exp((t_last - t) / tau_plus) + 1``.

``facilitate`` and ``depress`` of each model are in its docstring; weights in the target
model's units (mV or pA), times in ms.  K+ starts at 0 and t_last at 0 ms, as in NEST.
"""
import dataclasses
from typing import ClassVar

import numpy as np

from ..errors import ModelError

STDP, STDP_PL_HOM, STDP_TRIPLET, STDP_DOPAMINE = 0, 1, 2, 3
N_RULE_PAR = 10  # columns of the kernels' rule table: kind, then the model's parameters


@dataclasses.dataclass(frozen=True)
class _Plastic:
    kind: ClassVar[int] = -1
    name: ClassVar[str] = ""
    nest_names: ClassVar[dict] = {}  # NEST parameter name -> field, where they differ

    def rule_row(self):
        """The kernels' row: kind, then the numeric fields in declaration order."""
        values = [float(getattr(self, f.name)) for f in dataclasses.fields(self)
                  if not isinstance(getattr(self, f.name), str)]
        return np.array([float(self.kind), *values, *[0.0] * (N_RULE_PAR - 1 - len(values))])

    def to_spec(self):
        back = {v: k for k, v in self.nest_names.items()}
        return {"synapse_model": self.name,
                **{back.get(f.name, f.name): getattr(self, f.name)
                   for f in dataclasses.fields(self)}}

    def check_weights(self, weight, where):
        """Weights keep the sign of Wmax (NEST's models keep w between 0 and Wmax; the
        power-law rule needs w >= 0)."""
        low, high = (weight.bounds if hasattr(weight, "bounds")
                     else (float(np.min(weight)), float(np.max(weight))))
        wmax = getattr(self, "Wmax", 1.0)
        if (wmax > 0 and low < 0) or (wmax < 0 and high > 0):
            raise ModelError(
                f"{where}: {self.name} weights must have the sign of Wmax = {wmax} (they stay "
                f"between 0 and Wmax); got weights in [{low}, {high}]; use weights of that sign")


@dataclasses.dataclass(frozen=True)
class StdpSynapse(_Plastic):
    r"""NEST's ``stdp_synapse`` (Guetig et al. 2003; van Rossum et al. 2000):

    .. math::
        \mathrm{facilitate}(w, k) = W_{max} \min(1, w/W_{max} + \lambda (1 - w/W_{max})^{\mu_+} k)
        \qquad
        \mathrm{depress}(w, k) = W_{max} \max(0, w/W_{max} - \alpha\lambda (w/W_{max})^{\mu_-} k)

    mu_plus = mu_minus = 0: additive; 1: multiplicative.  tau_plus in ms.
    """
    tau_plus: float = 20.0
    lambda_: float = 0.01
    alpha: float = 1.0
    mu_plus: float = 1.0
    mu_minus: float = 1.0
    Wmax: float = 100.0
    kind: ClassVar[int] = STDP
    name: ClassVar[str] = "stdp_synapse"
    nest_names: ClassVar[dict] = {"lambda": "lambda_"}


@dataclasses.dataclass(frozen=True)
class StdpPlSynapseHom(_Plastic):
    r"""NEST's ``stdp_pl_synapse_hom`` (power-law STDP, Morrison et al. 2007; the plastic
    synapse of NEST's hpc_benchmark):

    .. math::
        \mathrm{facilitate}(w, k) = w + \lambda w^{\mu} k \qquad
        \mathrm{depress}(w, k) = \max(0, w - \lambda \alpha w k)
    """
    tau_plus: float = 20.0
    lambda_: float = 0.1
    alpha: float = 1.0
    mu: float = 0.4
    kind: ClassVar[int] = STDP_PL_HOM
    name: ClassVar[str] = "stdp_pl_synapse_hom"
    nest_names: ClassVar[dict] = {"lambda": "lambda_"}


@dataclasses.dataclass(frozen=True)
class StdpTripletSynapse(_Plastic):
    r"""NEST's ``stdp_triplet_synapse`` (Pfister & Gerstner 2006, all-to-all): a second
    presynaptic trace K+_x (tau_plus_triplet) and the target's second trace K-_y
    (tau_minus_triplet, read just before each postsynaptic spike):

    .. math::
        \mathrm{facilitate}(w, k, y) = \min(W_{max}, w + k (A_2^+ + A_3^+ y)) \qquad
        \mathrm{depress}(w, k, x) = \max(0, w - k (A_2^- + A_3^- x))

    with x = K+_x just before the presynaptic spike.
    """
    tau_plus: float = 16.8
    tau_plus_triplet: float = 101.0
    Aplus: float = 5e-10
    Aminus: float = 7e-3
    Aplus_triplet: float = 6.2e-3
    Aminus_triplet: float = 2.3e-4
    Wmax: float = 100.0
    kind: ClassVar[int] = STDP_TRIPLET
    name: ClassVar[str] = "stdp_triplet_synapse"


@dataclasses.dataclass(frozen=True)
class StdpDopamineSynapse(_Plastic):
    r"""NEST's ``stdp_dopamine_synapse`` (Izhikevich 2007; Potjans et al. 2010): STDP sets an
    eligibility trace c, dopamine a trace n, and the weight follows their product.

    .. math::
        \frac{dw}{dt} = c\,(n - b), \quad \frac{dc}{dt} = -\frac{c}{\tau_c}
        + A_+ K_+ \delta_{post} - A_- K_- \delta_{pre}, \quad
        \frac{dn}{dt} = -\frac{n}{\tau_n} + \frac{1}{\tau_n}\sum_k \delta(t - t_k^{da})

    integrated exactly between events, w clipped to [Wmin, Wmax].  The dopamine spikes are
    those of the spike_source population ``vt`` (NEST's volume_transmitter), arriving after
    ``vt_delay`` ms; spikes arriving together count with their multiplicity.  The synapse
    is brought up to date at each of its presynaptic spikes, as NEST does when the volume
    transmitter's deliver_interval is longer than the run (NEST's periodic updates, every
    deliver_interval, count a postsynaptic spike twice when it falls between a
    presynaptic spike and the update: scripts/nest_stdp.py documents it).
    """
    A_plus: float = 1.0
    A_minus: float = 1.5
    tau_plus: float = 20.0
    tau_c: float = 1000.0
    tau_n: float = 200.0
    b: float = 0.0
    Wmin: float = 0.0
    Wmax: float = 200.0
    vt_delay: float = 1.0
    vt: str = ""
    kind: ClassVar[int] = STDP_DOPAMINE
    name: ClassVar[str] = "stdp_dopamine_synapse"

    def check_weights(self, weight, where):
        """Weights stay in [Wmin, Wmax]."""
        low, high = (weight.bounds if hasattr(weight, "bounds")
                     else (float(np.min(weight)), float(np.max(weight))))
        if low < self.Wmin or high > self.Wmax:
            raise ModelError(f"{where}: {self.name} weights must lie in [Wmin, Wmax] = "
                             f"[{self.Wmin}, {self.Wmax}]; got [{low}, {high}]")


SYNAPSES = {cls.name: cls for cls in (StdpSynapse, StdpPlSynapseHom, StdpTripletSynapse,
                                      StdpDopamineSynapse)}


def synapse_from_spec(spec, where):
    """None (static), a plastic synapse object, a model name, or a NEST-style dict
    ``{"synapse_model": "stdp_synapse", "lambda": 0.01, ...}``."""
    if spec is None or spec == "static_synapse" or isinstance(spec, _Plastic):
        return None if spec == "static_synapse" else spec
    if isinstance(spec, str):
        spec = {"synapse_model": spec}
    if not isinstance(spec, dict) or spec.get("synapse_model", "static_synapse") not in (
            *SYNAPSES, "static_synapse"):
        raise ModelError(f"{where}: synapse {spec!r} is not known; use static_synapse or one "
                         f"of {sorted(SYNAPSES)}")
    spec = dict(spec)
    name = spec.pop("synapse_model", "static_synapse")
    if name == "static_synapse":
        if spec:
            raise ModelError(f"{where}: static_synapse has no parameters; got {sorted(spec)}")
        return None
    cls = SYNAPSES[name]
    fields = {cls.nest_names.get(k, k): v for k, v in spec.items()}
    valid = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(fields) - set(valid))
    if unknown:
        names = [{v: k for k, v in cls.nest_names.items()}.get(f, f) for f in valid]
        raise ModelError(f"{where}: {name} has no parameter {unknown[0]!r}; valid parameters: "
                         f"{', '.join(names)}")
    obj = cls(**{k: (v if k == "vt" else float(v)) for k, v in fields.items()})
    for f in dataclasses.fields(obj):
        if f.name.startswith("tau") and not getattr(obj, f.name) > 0:
            raise ModelError(f"{where}: {name} {f.name} = {getattr(obj, f.name)} ms is not "
                             f"positive; use a positive time constant")
    return obj
