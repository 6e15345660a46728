"""Brunel (2000) model A: sparse random network of E and I delta-synapse LIF neurons.

Parameters are those of NEST's ``brunel_delta_nest.py`` example (Brunel, J. Comput.
Neurosci. 8:183-208, 2000): NE = 4 order, NI = order, CE = NE/10, CI = NI/10 (fixed
in-degree, autapses and multapses allowed), J = 0.1 mV, J_I = -g J, delay 1.5 ms,
iaf_psc_delta with C_m 1 pF, tau_m 20 ms, t_ref 2 ms, E_L 0, V_reset 10 mV, V_th 20 mV,
and an independent Poisson drive of rate eta * nu_th * CE per neuron, with
nu_th = V_th / (J CE tau_m).  g = 5, eta = 2 gives the asynchronous irregular state.

The four states of Brunel's Fig. 8 (``state=``): SR, synchronous regular (g 3, eta 2);
AI, asynchronous irregular (g 5, eta 2); SI_fast, synchronous irregular with fast
oscillations (g 6, eta 4); SI_slow, synchronous irregular with slow oscillations (g 4.5,
eta 0.9).
"""

from ..network import Network
from ..rules import FixedIndegree
from .options import Option

STATES = {"SR": (3.0, 2.0), "AI": (5.0, 2.0), "SI_fast": (6.0, 4.0), "SI_slow": (4.5, 0.9)}

OPTIONS = (
    Option(
        "--order",
        "order",
        int,
        2500,
        "network order: NE = 4 order, NI = order neurons",
        low=1,
        high=10**9,
    ),
    Option(
        "--epsilon",
        "epsilon",
        float,
        0.1,
        "connection probability: in-degree epsilon NE",
        low=0.0,
        high=1.0,
        low_open=True,
    ),
    Option(
        "--state",
        "state",
        str,
        None,
        "one of Brunel's (2000) four states (default: g 5, eta 2 = AI)",
        choices=tuple(STATES),
    ),
)


def brunel(
    order=2500,
    g=5.0,
    eta=2.0,
    J=0.1,
    delay=1.5,
    dt=0.1,
    seed=1,
    record=True,
    epsilon=0.1,
    state=None,
    device=None,
):
    """The network; all neurons' spikes are recorded when ``record``; ``state`` (a key of
    STATES) sets g and eta to one of Brunel's four states; ``device`` (e.g.
    ``distsim.hardware.PCM()``) stores the recurrent weights in memory devices."""
    if state is not None:
        if state not in STATES:
            from ..errors import ConfigError

            raise ConfigError(
                f"brunel: state {state!r} is not known; use one of {', '.join(STATES)}"
            )
        g, eta = STATES[state]
    ne, ni = 4 * order, order
    ce, ci = int(epsilon * ne), int(epsilon * ni)
    params = {
        "C_m": 1.0,
        "tau_m": 20.0,
        "t_ref": 2.0,
        "E_L": 0.0,
        "V_reset": 10.0,
        "V_m": 0.0,
        "V_th": 20.0,
    }
    nu_th = params["V_th"] / (J * ce * params["tau_m"])
    p_rate = 1000.0 * eta * nu_th * ce
    net = Network(dt=dt, seed=seed)
    net.add_population("E", "iaf_psc_delta", ne, params)
    net.add_population("I", "iaf_psc_delta", ni, params)
    for target in ("E", "I"):
        net.connect("E", target, FixedIndegree(ce), weight=J, delay=delay, device=device)
        net.connect("I", target, FixedIndegree(ci), weight=-g * J, delay=delay, device=device)
        net.add_poisson_input(target, rate=p_rate, weight=J, delay=delay)
    if record:
        net.record_spikes("E")
        net.record_spikes("I")
    return net
