"""Plastic synapse models with NEST's semantics (stdp_synapse, its nearest-neighbour
variants stdp_nn_symm_synapse, stdp_nn_pre_centered_synapse and stdp_nn_restr_synapse,
stdp_pl_synapse_hom, stdp_triplet_synapse and its nearest-spike variant
stdp_triplet_nn_synapse, stdp_dopamine_synapse; the short-term tsodyks2_synapse and
tsodyks_synapse, whose weights stay and whose state scales what a spike sends).  A plastic
synapse lives with its target; its weight changes only when a presynaptic spike is
delivered, from the spike times alone (kernels/plasticity.py).

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

One module per weight rule (its parameters, defaults and docstring with the equations; the
kernels of kernels/plasticity.py compute it); this registry (SYNAPSES) maps NEST's model names
to them.  Adding a rule touches its module, this registry, its kernel and its test.
"""

import dataclasses

from ...errors import ModelError
from ...messages import did_you_mean, shown
from .base import PlasticRule
from .stdp_dopamine_synapse import StdpDopamineSynapse
from .stdp_pl_synapse_hom import StdpPlSynapseHom
from .stdp_synapse import (
    StdpNnPreCenteredSynapse,
    StdpNnRestrSynapse,
    StdpNnSymmSynapse,
    StdpSynapse,
)
from .stdp_triplet_synapse import StdpTripletNnSynapse, StdpTripletSynapse
from .tsodyks_synapse import Tsodyks2Synapse, TsodyksSynapse

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
        Tsodyks2Synapse,
        TsodyksSynapse,
    )
}


def synapse_from_spec(spec, where):
    """None (static), a plastic synapse object, a model name, or a NEST-style dict
    ``{"synapse_model": "stdp_synapse", "lambda": 0.01, ...}``."""
    if spec is None or isinstance(spec, PlasticRule):
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
