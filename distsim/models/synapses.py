"""Plastic synapse models with NEST's semantics (stdp_synapse, its nearest-neighbour
variants stdp_nn_symm_synapse, stdp_nn_pre_centered_synapse and stdp_nn_restr_synapse,
stdp_pl_synapse_hom, stdp_triplet_synapse and its nearest-spike variant
stdp_triplet_nn_synapse, stdp_dopamine_synapse).  A plastic synapse lives with its target;
its weight changes only when a presynaptic spike is delivered, from the spike times alone
(kernels/plasticity.py).

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
This is the all-to-all pairing; the nearest-neighbour models pair other spikes (their
docstrings), with the same steps and the same time conventions.
"""

import dataclasses
from typing import ClassVar

import numpy as np

from ..distributions import as_number
from ..errors import ModelError
from ..kernels.plasticity import (
    N_RULE_PAR,
    PAIR_ALL,
    PAIR_NEAREST,
    PAIR_NN_PRE_CENTERED,
    PAIR_NN_RESTR,
    PAIR_NN_SYMM,
    STDP,
    STDP_DOPAMINE,
    STDP_PL_HOM,
    STDP_TRIPLET,
)
from ..messages import did_you_mean, shown


@dataclasses.dataclass(frozen=True)
class _Plastic:
    kind: ClassVar[int] = -1
    pairing: ClassVar[int] = PAIR_ALL
    name: ClassVar[str] = ""
    nest_names: ClassVar[dict] = {}  # NEST parameter name -> field, where they differ
    # float64 values kept per synapse besides its weight (the kernels' syn_dopa columns)
    per_synapse_state: ClassVar[int] = 0

    def __post_init__(self):
        """Parameters are finite numbers (kept as floats), time constants positive; ``vt``,
        a population name, is checked by the network."""
        back = {v: k for k, v in self.nest_names.items()}
        for f in dataclasses.fields(self):
            if f.name != "vt":
                object.__setattr__(
                    self,
                    f.name,
                    as_number(
                        getattr(self, f.name),
                        f"{self.name} {back.get(f.name, f.name)}",
                        error=ModelError,
                    ),
                )
            if f.name.startswith("tau") and not getattr(self, f.name) > 0:
                raise ModelError(
                    f"{self.name} {f.name} = {getattr(self, f.name)} ms is not "
                    f"positive; use a positive time constant"
                )

    def rule_row(self):
        """The kernels' row: kind, the numeric fields in declaration order, zeros, and the
        pairing scheme in the last column (C_PAIRING)."""
        values = [
            float(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if not isinstance(getattr(self, f.name), str)
        ]
        return np.array(
            [
                float(self.kind),
                *values,
                *[0.0] * (N_RULE_PAR - 2 - len(values)),
                float(self.pairing),
            ]
        )

    def to_spec(self):
        back = {v: k for k, v in self.nest_names.items()}
        return {
            "synapse_model": self.name,
            **{back.get(f.name, f.name): getattr(self, f.name) for f in dataclasses.fields(self)},
        }

    def check_weights(self, weight, where):
        """Weights keep the sign of Wmax (NEST's models keep w between 0 and Wmax; the
        power-law rule needs w >= 0)."""
        low, high = (
            weight.bounds
            if hasattr(weight, "bounds")
            else (float(np.min(weight)), float(np.max(weight)))
        )
        wmax = getattr(self, "Wmax", 1.0)
        if (wmax > 0 and low < 0) or (wmax < 0 and high > 0):
            raise ModelError(
                f"{where}: {self.name} weights must have the sign of Wmax = {wmax} (they stay "
                f"between 0 and Wmax); got weights in [{low}, {high}]; use weights of that sign"
            )


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

    def __post_init__(self):
        super().__post_init__()
        if self.Wmax == 0:
            raise ModelError(
                f"{self.name} Wmax = 0 leaves no weight range (the rule scales "
                f"w by 1/Wmax); use a non-zero Wmax of the weights' sign"
            )


@dataclasses.dataclass(frozen=True)
class StdpNnSymmSynapse(StdpSynapse):
    r"""NEST's ``stdp_nn_symm_synapse``: stdp_synapse's parameters, facilitate and depress,
    with symmetric nearest-neighbour pairing (Morrison et al. 2008, fig. 7A): each
    postsynaptic spike pairs with the nearest earlier presynaptic spike, each presynaptic
    spike with the nearest earlier postsynaptic spike.  Both traces jump *to* 1 at a spike.
    At a presynaptic spike t (previous one t_last, d the dendritic delay):

    1. for every postsynaptic spike t_j in (t_last - d, t - d]:
       ``w = facilitate(w, exp((t_last - t_j - d) / tau_plus))``;
    2. ``w = depress(w, exp(-(t - d - t_j*) / tau_minus))``, t_j* the latest postsynaptic
       spike strictly before t - d (0 if there is none).

    As in NEST, t_last is 0 ms before the first presynaptic spike, so postsynaptic spikes
    before it pair with a presynaptic spike at 0 ms.  A pair with t_j + d = t is not
    counted: that postsynaptic spike pairs with t_last instead.
    """

    name: ClassVar[str] = "stdp_nn_symm_synapse"
    pairing: ClassVar[int] = PAIR_NN_SYMM


@dataclasses.dataclass(frozen=True)
class StdpNnPreCenteredSynapse(StdpSynapse):
    r"""NEST's ``stdp_nn_pre_centered_synapse`` (presynaptic-centred nearest-neighbour
    pairing, Morrison et al. 2008, fig. 7B): a presynaptic spike pairs with the nearest
    earlier postsynaptic spike (depression) and the nearest later one (facilitation).  The
    presynaptic trace K+ (per synapse) decays on tau_plus, grows by 1 at a presynaptic spike
    and is reset to 0 by a postsynaptic spike; the postsynaptic trace jumps to 1.  At a
    presynaptic spike t:

    1. if postsynaptic spikes fall in (t_last - d, t - d], with the first one t_1:
       ``w = facilitate(w, K+ exp((t_last - t_1 - d) / tau_plus))`` and K+ = 0;
    2. ``w = depress(w, exp(-(t - d - t_j*) / tau_minus))`` as stdp_nn_symm_synapse;
    3. ``K+ = K+ exp((t_last - t) / tau_plus) + 1``.

    K+ is kept per synapse (the other rules keep it per source and projection).
    """

    name: ClassVar[str] = "stdp_nn_pre_centered_synapse"
    pairing: ClassVar[int] = PAIR_NN_PRE_CENTERED
    per_synapse_state: ClassVar[int] = 1


@dataclasses.dataclass(frozen=True)
class StdpNnRestrSynapse(StdpSynapse):
    r"""NEST's ``stdp_nn_restr_synapse`` (restricted symmetric nearest-neighbour pairing,
    Morrison et al. 2008, fig. 7C): a spike takes part in at most one potentiating and one
    depressing pair.  At a presynaptic spike t, only if postsynaptic spikes fall in
    (t_last - d, t - d], with the first one t_1:

    1. ``w = facilitate(w, exp((t_last - t_1 - d) / tau_plus))``;
    2. ``w = depress(w, exp(-(t - d - t_j*) / tau_minus))``, t_j* the latest postsynaptic
       spike strictly before t - d.

    NEST's conventions, kept: t_last is 0 ms before the first presynaptic spike; when the
    only postsynaptic spike of the window reaches the synapse exactly at t (t_1 + d = t),
    it pairs with t_last, and t pairs with t_j*, which may precede t_last.
    """

    name: ClassVar[str] = "stdp_nn_restr_synapse"
    pairing: ClassVar[int] = PAIR_NN_RESTR


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
class StdpTripletNnSynapse(StdpTripletSynapse):
    r"""Triplet STDP with the *minimal nearest-spike* interaction of Pfister & Gerstner
    (2006): stdp_triplet_synapse's parameters and weight rule, but each of the four traces
    r1 (tau_plus), r2 (tau_plus_triplet), o1 (tau_minus), o2 (tau_minus_triplet; o1 and o2
    are the target neuron's) is *set to* 1 at a spike of its neuron instead of growing by
    1, so only the nearest spikes interact:

    .. math::
        t = t^{post}: \; w \leftarrow \min(W_{max}, w + r_1 (A_2^+ + A_3^+ o_2(t^-))) \qquad
        t = t^{pre}: \; w \leftarrow \max(0, w - o_1 (A_2^- + A_3^- r_2(t^-)))

    r1 = exp(-(t - t_pre) / tau_plus) with t_pre the latest presynaptic spike (0 before
    the first one: there is no presynaptic spike at 0 ms here), o2(t^-) =
    exp(-(t_j - t_{j-1}) / tau_minus_triplet) from the previous postsynaptic spike.  Timing
    as in NEST's stdp_triplet_synapse: all of the delay d is dendritic (a postsynaptic
    spike reaches the synapse d late); pre and post spikes that meet at the synapse at the
    same time do not pair; w keeps the sign of Wmax.  The defaults are stdp_triplet_synapse's
    (P&G's all-to-all visual-cortex fit); the paper fitted the nearest-spike model with its
    own values, to be given explicitly.

    A separate model name rather than a parameter of stdp_triplet_synapse, because NEST
    names each pairing scheme as a model (stdp_synapse, stdp_nn_*_synapse) and NESTML's
    model library calls this rule stdp_triplet_nn_synapse; a NEST script that asks for
    stdp_triplet_synapse keeps NEST's all-to-all rule.  NEST 3.10 itself has no
    nearest-spike triplet model (tests/unit/test_stdp_triplet_nn.py checks this one against
    an event-by-event implementation of the paper's equations).
    """

    name: ClassVar[str] = "stdp_triplet_nn_synapse"
    pairing: ClassVar[int] = PAIR_NEAREST


@dataclasses.dataclass(frozen=True)
class StdpDopamineSynapse(_Plastic):
    r"""NEST's ``stdp_dopamine_synapse`` (Izhikevich 2007; Potjans et al. 2010): STDP sets an
    eligibility trace c, dopamine a trace n, and the weight follows their product.

    .. math::
        \frac{dw}{dt} = c\,(n - b), \quad \frac{dc}{dt} = -\frac{c}{\tau_c}
        + A_+ K_+ \delta_{post} - A_- K_- \delta_{pre}, \quad
        \frac{dn}{dt} = -\frac{n}{\tau_n} + \frac{1}{\tau_n}\sum_k \delta(t - t_k^{da})

    integrated exactly between events, w clipped to [Wmin, Wmax].  The dopamine spikes are
    those of the neurons of population ``vt`` (NEST's volume_transmitter and the neurons
    connected to it): simulated neurons of any model (e.g. iaf_psc_alpha, or parrot_neurons
    repeating a spike_source, NEST's usual setup) or a spike_source.  A dopamine spike
    emitted at t arrives at t + ``vt_delay`` ms (at least one step, like any delay; it is the
    delay of the neurons' connections to NEST's volume transmitter); spikes arriving in one
    step count with their multiplicity, after NEST's pseudo spike at 0 ms.  The synapse is
    brought up to date at each of its presynaptic spikes t with every dopamine spike that
    arrives up to t, on any number of ranks (the dopamine neurons' spikes are routed to
    every rank holding such synapses, with vt_delay as the lookahead of those links, as the
    connections to the volume transmitter count towards NEST's min_delay), as NEST does
    when the volume transmitter's deliver_interval is longer than the run (NEST's periodic
    updates, every deliver_interval, count a postsynaptic spike twice when it falls between
    a presynaptic spike and the update: scripts/nest_stdp.py documents it).  Each rank with
    synapses of the projection keeps every dopamine arrival of the run (16 bytes per step
    with arrivals).
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
    per_synapse_state: ClassVar[int] = 3

    def __post_init__(self):
        super().__post_init__()
        if not self.Wmin <= self.Wmax:
            raise ModelError(
                f"{self.name} Wmin = {self.Wmin} is above Wmax = {self.Wmax}; the "
                f"weight stays in [Wmin, Wmax]: use Wmin <= Wmax"
            )

    def check_weights(self, weight, where):
        """Weights stay in [Wmin, Wmax]."""
        low, high = (
            weight.bounds
            if hasattr(weight, "bounds")
            else (float(np.min(weight)), float(np.max(weight)))
        )
        if low < self.Wmin or high > self.Wmax:
            raise ModelError(
                f"{where}: {self.name} weights must lie in [Wmin, Wmax] = "
                f"[{self.Wmin}, {self.Wmax}]; got [{low}, {high}]"
            )


SYNAPSES = {
    cls.name: cls
    for cls in (
        StdpSynapse,
        StdpNnSymmSynapse,
        StdpNnPreCenteredSynapse,
        StdpNnRestrSynapse,
        StdpPlSynapseHom,
        StdpTripletSynapse,
        StdpTripletNnSynapse,
        StdpDopamineSynapse,
    )
}


def synapse_from_spec(spec, where):
    """None (static), a plastic synapse object, a model name, or a NEST-style dict
    ``{"synapse_model": "stdp_synapse", "lambda": 0.01, ...}``."""
    if spec is None or isinstance(spec, _Plastic):
        return spec
    if isinstance(spec, str):
        spec = {"synapse_model": spec}
    if not isinstance(spec, dict) or spec.get("synapse_model", "static_synapse") not in (
        *SYNAPSES,
        "static_synapse",
    ):
        name = spec.get("synapse_model") if isinstance(spec, dict) else spec
        raise ModelError(
            f"{where}: synapse {shown(spec)} is not known; use static_synapse or "
            f"one of {sorted(SYNAPSES)}"
            f"{did_you_mean(name, [*SYNAPSES, 'static_synapse'])}"
        )
    spec = dict(spec)
    name = spec.pop("synapse_model", "static_synapse")
    if name == "static_synapse":
        if spec:
            raise ModelError(
                f"{where}: static_synapse has no parameters; got {sorted(map(str, spec))}"
            )
        return None
    cls = SYNAPSES[name]
    fields = {cls.nest_names.get(k, k): v for k, v in spec.items()}
    valid = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(map(str, set(fields) - set(valid)))
    if unknown:
        names = [{v: k for k, v in cls.nest_names.items()}.get(f, f) for f in valid]
        raise ModelError(
            f"{where}: {name} has no parameter {unknown[0]!r}; valid parameters: "
            f"{', '.join(names)}{did_you_mean(unknown[0], names)}"
        )
    try:
        return cls(**fields)
    except ModelError as exc:
        raise ModelError(f"{where}: {exc}") from None
