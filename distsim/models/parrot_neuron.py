"""parrot_neuron: repeats the spikes it receives (NEST)."""

import dataclasses

import numba as nb

from .base import NeuronModel, empty_rows

MODEL_ID = 6


@dataclasses.dataclass(frozen=True)
class ParrotNeuron(NeuronModel):
    r"""Emits a spike in every step in which a spike arrives on its receptor 0 (any positive
    weight; one spike per step however many arrive):

    .. math::
        s(t) = \Theta\Big(\sum_{k \in \text{receptor 0}} w_k\, [t_k + d_k = t]\Big)

    Receptor 1 takes plastic synapses whose spikes are not repeated: their weights follow the
    parrot's spike train, as in NEST's own STDP tests.  tau_minus and tau_minus_triplet (ms) are
    the postsynaptic traces of plastic inputs."""

    name = "parrot_neuron"
    model_id = MODEL_ID
    recordables = ()

    tau_minus: object = 20.0
    tau_minus_triplet: object = 110.0

    def lower(self, v, dt):
        return empty_rows(v["tau_minus"].shape[0])


@nb.njit(cache=True)
def update(lo, hi, pbase, pstride, par, st, refr, h, ex_line, in_line, cur_line, spiked, nspk):
    """One step of parrots lo..hi-1: each one whose receptor-0 input of this step's slot is
    positive fires (once, however many spikes arrived); the input is cleared."""
    for i in range(lo, hi):
        if ex_line[i] + in_line[i] > 0:
            spiked[nspk] = i
            nspk += 1
        ex_line[i] = 0
        in_line[i] = 0
    return nspk
