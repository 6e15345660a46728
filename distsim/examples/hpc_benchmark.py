"""NEST's hpc_benchmark: a balanced random network for scaling studies, with NEST's plastic
E->E synapses (``plastic=True``) or with static synapses only (the default).

Source: NEST's pynest/examples/hpc_benchmark.py (Kunkel et al. 2014, Jordan et al. 2018):
NE = 9000 scale, NI = 2250 scale iaf_psc_alpha neurons (E_L 0, C_m 250 pF, tau_m 10 ms,
t_ref 0.5 ms, V_th 20 mV, V_reset 0, tau_syn 0.3258 ms chosen for a PSP rise time of
1.700759 ms), V_m initialised from N(5.7, 7.2) mV; fixed in-degrees CE = 9000, CI = 2250
at every scale (autapses off, multapses on); all delays 1.5 ms; EPSP peak 0.14 mV converted
to a PSC amplitude JE, inhibitory weight -5 JE; a Poisson drive of eta = 1.685 times the
threshold rate nu_th = V_th / (CE tau_m / C_m JE e tau_syn).

Plasticity: in NEST's script the E->E synapses are always stdp_pl_synapse_hom (power-law
potentiation, multiplicative depression; Morrison et al. 2007) with alpha 0.0513, lambda 0.1,
mu 0.4, tau_plus 15 ms, initial weight JE (the same for every synapse: its sigma_w is
unused), and every neuron has tau_minus 30 ms; ``plastic=True`` builds exactly that.  The
default stays static here although NEST has no static variant, for the reason NEST's script
gives itself: below scale 10 or so the in-degree of 11,250 correlates the input, the E->E
weights grow and the network synchronises, ever slower to simulate (NEST runs scale 1 for
50 + 250 ms only).  At scale 0.3, from 50 to 300 ms, the mean rate is 260 Hz plastic (mean
E->E weight 45.6 -> 57.5 pA) against 17 Hz static (scripts/bench_plasticity.py).

At scale 1 NEST 3.10 does the same (scripts/nest_hpc_benchmark.py --sample-every against
scripts/hpc_benchmark_dynamics.py, 50 ms presim + 300 ms, issue 7): the mean E->E weight
drifts up by ~0.03-0.1 pA in 300 ms, and then some seeds run away, in both simulators (NEST
seed 2: 130 Hz in 300-350 ms, weight 49.4 pA; distsim seed 2: weight 49.6 pA at 350 ms).
Before that the population rate swings between ~0 and 25 Hz from one 10 ms bin to the next,
so a 100 ms window's mean varies by several Hz between seeds (static, 50-350 ms: NEST
9.6-10.9 Hz over 7 seeds, distsim 9.0-12.0 Hz over 7).  The plastic dynamics themselves
equal NEST's spike for spike on a small network (tests/unit/test_plastic_network_nest.py).
"""

import math

from ..distributions import Normal
from ..network import Network
from ..rules import FixedIndegree
from .options import Option

TAU_SYN = 0.32582722403722841
NEURON = {
    "E_L": 0.0,
    "C_m": 250.0,
    "tau_m": 10.0,
    "t_ref": 0.5,
    "V_th": 20.0,
    "V_reset": 0.0,
    "tau_syn_ex": TAU_SYN,
    "tau_syn_in": TAU_SYN,
    "tau_minus": 30.0,
}
STDP = {
    "synapse_model": "stdp_pl_synapse_hom",
    "alpha": 0.0513,
    "lambda": 0.1,
    "mu": 0.4,
    "tau_plus": 15.0,
}
JE_MV, G, ETA, DELAY = 0.14, -5.0, 1.685, 1.5
V0_MEAN, V0_STD = 5.7, 7.2

OPTIONS = (
    Option(
        "--scale",
        "scale",
        float,
        1.0,
        "scale of neuron numbers (11,250 x scale neurons; in-degree 11,250 at every scale)",
        low=0.0,
        high=1e4,
        low_open=True,
    ),
    Option(
        "--plastic",
        "plastic",
        bool,
        False,
        "NEST's plastic E->E synapses (stdp_pl_synapse_hom; default static)",
        switch=True,
    ),
)


def lambert_w_minus1(x):
    """The W_{-1} branch of Lambert's W for -1/e <= x < 0 (Halley's iteration)."""
    w = math.log(-x) - math.log(-math.log(-x))
    for _ in range(50):
        ew = math.exp(w)
        f = w * ew - x
        step = f / (ew * (w + 1) - (w + 2) * f / (2 * w + 2))
        w -= step
        if abs(step) < 1e-15 * abs(w):
            break
    return w


def psp_rise_time(tau_m, tau_syn):
    """Time (ms) from an alpha-PSC input to the PSP maximum of a neuron at rest."""
    a = tau_m / tau_syn
    b = 1.0 / tau_syn - 1.0 / tau_m
    return 1.0 / b * (-lambert_w_minus1(-math.exp(-1.0 / a) / a) - 1.0 / a)


def psc_per_mv(tau_m, tau_syn, c_m):
    """PSC amplitude (pA) of an alpha synapse giving a PSP peak of 1 mV."""
    b = 1.0 / tau_syn - 1.0 / tau_m
    t = psp_rise_time(tau_m, tau_syn)
    v_max = (
        math.e
        / (tau_syn * c_m * b)
        * ((math.exp(-t / tau_m) - math.exp(-t / tau_syn)) / b - t * math.exp(-t / tau_syn))
    )
    return 1.0 / v_max


def hpc_benchmark(scale=1.0, dt=0.1, seed=1, record=True, plastic=False):
    """The network at ``scale`` (11,250 x scale neurons, in-degree 11,250 at every scale);
    ``plastic``: E->E synapses stdp_pl_synapse_hom as in NEST (projection "E->E")."""
    ne, ni = int(9000 * scale), int(2250 * scale)
    ce, ci = 9000, 2250
    je = psc_per_mv(NEURON["tau_m"], TAU_SYN, NEURON["C_m"]) * JE_MV
    nu_th = NEURON["V_th"] / (ce * NEURON["tau_m"] / NEURON["C_m"] * je * math.e * TAU_SYN)
    net = Network(dt=dt, seed=seed)
    params = {**NEURON, "V_m": Normal(V0_MEAN, V0_STD)}
    net.add_population("E", "iaf_psc_alpha", ne, params)
    net.add_population("I", "iaf_psc_alpha", ni, params)
    for tgt in ("E", "I"):
        net.connect(
            "E",
            tgt,
            FixedIndegree(ce, allow_autapses=False),
            weight=je,
            delay=DELAY,
            synapse=STDP if plastic and tgt == "E" else None,
        )
        net.connect("I", tgt, FixedIndegree(ci, allow_autapses=False), weight=G * je, delay=DELAY)
        net.add_poisson_input(tgt, rate=nu_th * ETA * ce * 1000.0, weight=je, delay=DELAY)
    if record:
        net.record_spikes("E")
        net.record_spikes("I")
    return net
