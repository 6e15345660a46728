"""stdp_synapse and its nearest-neighbour pairings (stdp_nn_symm_synapse,
stdp_nn_pre_centered_synapse, stdp_nn_restr_synapse): one weight rule, four pairings."""

import dataclasses
from typing import ClassVar

from ...errors import ModelError
from ...kernels.plasticity import PAIR_NN_PRE_CENTERED, PAIR_NN_RESTR, PAIR_NN_SYMM, STDP
from .base import PlasticRule


@dataclasses.dataclass(frozen=True)
class StdpSynapse(PlasticRule):
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
