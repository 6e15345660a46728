"""stdp_dopamine_synapse: dopamine-modulated STDP with a volume transmitter (Izhikevich 2007;
Potjans et al. 2010)."""

import dataclasses
from typing import ClassVar

import numpy as np

from ...errors import ModelError
from ...kernels.plasticity import STDP_DOPAMINE
from .base import PlasticRule


@dataclasses.dataclass(frozen=True)
class StdpDopamineSynapse(PlasticRule):
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
