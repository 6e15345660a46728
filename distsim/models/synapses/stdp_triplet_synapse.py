"""stdp_triplet_synapse (all-to-all) and its nearest-spike variant stdp_triplet_nn_synapse
(Pfister & Gerstner 2006)."""

import dataclasses
from typing import ClassVar

from ...kernels.plasticity import PAIR_NEAREST, STDP_TRIPLET
from .base import PlasticRule


@dataclasses.dataclass(frozen=True)
class StdpTripletSynapse(PlasticRule):
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
