"""parrot_neuron: repeats the spikes it receives (NEST)."""
import dataclasses

from .base import NeuronModel, empty_rows

MODEL_ID = 6


@dataclasses.dataclass(frozen=True)
class ParrotNeuron(NeuronModel):
    r"""Emits a spike in every step in which a spike arrives on its receptor 0 (any positive
    weight; one spike per step however many arrive):

    .. math::
        s(t) = \Theta\Big(\sum_{k \in \text{receptor 0}} w_k\, [t_k + d_k = t]\Big)

    Receptor 1 takes plastic synapses whose spikes are not repeated: their weights follow
    the parrot's spike train, as in NEST's own STDP tests.  tau_minus and tau_minus_triplet (ms) are the postsynaptic traces
    of plastic inputs."""

    name = "parrot_neuron"
    model_id = MODEL_ID
    recordables = ()

    tau_minus: object = 20.0
    tau_minus_triplet: object = 110.0

    def lower(self, v, dt):
        return empty_rows(v["tau_minus"].shape[0])
