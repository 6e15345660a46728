"""Potjans & Diesmann (2014) cortical microcircuit (PD14), full or scaled.

Source: Potjans & Diesmann, Cereb. Cortex 24:785-806 (2014); parameters and construction as
in NEST's Potjans_2014 example (network_params.py, helpers.py; now in the PD14 repository
structicity/microcircuit-PD14-model).  Eight populations (L2/3, L4, L5, L6 x E, I) of
iaf_psc_exp neurons; the synapse number of each pair follows from the connection
probability, sum K = log(1 - p) / log(1 - 1 / (N_pre N_post)), connected with
fixed_total_number (multapses and autapses allowed); PSCs from a mean PSP of 0.15 mV
(g = -4, L4E -> L2/3E doubled, relative std 0.1, redrawn to keep their sign); delays
1.5 ms (E) / 0.75 ms (I), relative std 0.5, redrawn above dt/2; Poisson background of
8 Hz x K_ext, or its DC equivalent; "optimized" initial membrane potentials.

Scaling (``scale`` < 1 scales neurons and in-degrees): synapse numbers x scale^2 (N and K),
weights / sqrt(K_scaling), and a DC current compensating the missing mean input, computed
from the full-scale rates, as the original example does.  With the DC background
(``poisson_input=False``) that compensation leaves every population's DC below rheobase
(375 pA) at scale 0.05: only the neurons that start above threshold fire, once, and the
network stays silent, as NEST's example does (tests/unit/test_microcircuit.py); from about
scale 0.1 some populations' DC exceeds rheobase, and at full scale all do.
"""

import numpy as np

from ..distributions import Normal
from ..network import Network
from ..rules import FixedTotalNumber
from .options import Option

POPULATIONS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])

OPTIONS = (
    Option(
        "--scale",
        "scale",
        float,
        1.0,
        "scale of neuron numbers and in-degrees (DC compensation of the missing input below 1)",
        low=0.0,
        high=1e4,
        low_open=True,
    ),
    Option(
        "--background",
        "poisson_input",
        str,
        "poisson",
        "external drive: Poisson trains or their DC equivalent",
        choices=("poisson", "dc"),
        convert=lambda v: v == "poisson",
    ),
    Option(
        "--storage",
        "storage",
        str,
        "stored",
        "synapses stored (about 9 bytes each) or regenerated at every spike (procedural)",
        choices=("stored", "procedural"),
    ),
)
CONN_PROBS = np.array(
    [  # rows: target, columns: source, in the order of POPULATIONS
        [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
        [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
        [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
        [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
        [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
        [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
        [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
        [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
    ]
)
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
BG_RATE_HZ = 8.0
FULL_MEAN_RATES_HZ = np.array([0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829])
V0_MEAN = [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]
V0_STD = [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]
NEURON = {
    "C_m": 250.0,
    "tau_m": 10.0,
    "tau_syn_ex": 0.5,
    "tau_syn_in": 0.5,
    "t_ref": 2.0,
    "E_L": -65.0,
    "V_th": -50.0,
    "V_reset": -65.0,
}
PSP_EXC_MEAN = 0.15  # mV
G = -4.0
WEIGHT_REL_STD = 0.1
DELAY_E, DELAY_I, DELAY_REL_STD = 1.5, 0.75, 0.5
DELAY_POISSON = 1.5


def psc_over_psp(c_m, tau_m, tau_syn):
    """PSC amplitude (pA) giving a PSP peak of 1 mV in iaf_psc_exp."""
    sub = 1.0 / (tau_syn - tau_m)
    pre = tau_m * tau_syn / c_m * sub
    frac = (tau_m / tau_syn) ** sub
    return 1.0 / (pre * (frac**tau_m - frac**tau_syn))


def full_synapse_numbers():
    """Total synapses of each (target, source) pair at full scale."""
    prod = np.outer(N_FULL, N_FULL)
    with np.errstate(divide="ignore"):
        return np.log(1.0 - CONN_PROBS) / np.log((prod - 1.0) / prod)


def scaled_parameters(scale=1.0, poisson_input=True):
    """The numbers of the microcircuit scaled by ``scale`` (module docstring): neurons ``n``,
    synapses ``n_syn`` [target, source], mean PSCs ``psc`` [target, source] and ``psc_ext``
    (pA), background in-degrees ``k_ext`` and DC currents ``dc`` (pA).  Any simulator's
    script can build it from these (scripts/pynn_cases.py does, for PyNN)."""
    n = np.round(N_FULL * scale).astype(int)
    k_scaling = scale
    n_syn = np.round(full_synapse_numbers() * scale * k_scaling).astype(np.int64)
    pscp = psc_over_psp(NEURON["C_m"], NEURON["tau_m"], NEURON["tau_syn_ex"])
    psp = np.full((8, 8), PSP_EXC_MEAN)
    psp[0, 2] *= 2.0  # L4E -> L2/3E
    psp[:, 1::2] *= G
    psc = psp * pscp
    psc_ext = PSP_EXC_MEAN * pscp
    dc = (
        np.zeros(8)
        if poisson_input
        else 0.001 * NEURON["tau_syn_ex"] * BG_RATE_HZ * K_EXT * psc_ext
    )
    if k_scaling < 1.0:
        indegree_full = full_synapse_numbers() / N_FULL[:, None]
        rec_input = np.sum(psc * indegree_full * FULL_MEAN_RATES_HZ, axis=1)
        dc = dc + 0.001 * NEURON["tau_syn_ex"] * (1.0 - np.sqrt(k_scaling)) * rec_input
        if poisson_input:
            dc = dc + (
                0.001
                * NEURON["tau_syn_ex"]
                * (1.0 - np.sqrt(k_scaling))
                * psc_ext
                * K_EXT
                * BG_RATE_HZ
            )
        psc = psc / np.sqrt(k_scaling)
        psc_ext = psc_ext / np.sqrt(k_scaling)
    k_ext = np.round(K_EXT * k_scaling).astype(int)
    return {"n": n, "n_syn": n_syn, "psc": psc, "psc_ext": psc_ext, "k_ext": k_ext, "dc": dc}


def microcircuit(scale=1.0, dt=0.1, seed=55, poisson_input=True, record=True, storage="stored"):
    """The microcircuit with neuron numbers and in-degrees scaled by ``scale``; ``storage``
    of its projections: "stored" or "procedural" (the same rule, another draw)."""
    p = scaled_parameters(scale, poisson_input)
    n, n_syn, psc, psc_ext, k_ext, dc = (
        p[k] for k in ("n", "n_syn", "psc", "psc_ext", "k_ext", "dc")
    )
    net = Network(dt=dt, seed=seed)
    for i, name in enumerate(POPULATIONS):
        params = {**NEURON, "I_e": float(dc[i]), "V_m": Normal(V0_MEAN[i], V0_STD[i])}
        net.add_population(name, "iaf_psc_exp", int(n[i]), params)
    for t, tgt in enumerate(POPULATIONS):
        for s, src in enumerate(POPULATIONS):
            if n_syn[t, s] <= 0:
                continue
            w = psc[t, s]
            weight = Normal(
                w,
                abs(w) * WEIGHT_REL_STD,
                low=0.0 if w > 0 else -np.inf,
                high=np.inf if w > 0 else 0.0,
                redraw=True,
            )
            d = DELAY_E if s % 2 == 0 else DELAY_I
            delay = Normal(d, d * DELAY_REL_STD, low=0.5 * dt, redraw=True)
            net.connect(
                src,
                tgt,
                FixedTotalNumber(int(n_syn[t, s])),
                weight=weight,
                delay=delay,
                storage=storage,
            )
        if poisson_input:
            net.add_poisson_input(
                tgt, rate=BG_RATE_HZ * k_ext[t], weight=float(psc_ext), delay=DELAY_POISSON
            )
        if record:
            net.record_spikes(tgt)
    return net
