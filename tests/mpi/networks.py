"""Networks of the MPI tests (importable by the scripts run under mpiexec)."""

from distsim import (
    FixedIndegree,
    FixedOutdegree,
    FixedTotalNumber,
    Network,
    Normal,
    PairwiseBernoulli,
    Uniform,
)
from distsim.examples import brunel


def four_populations(seed=5):
    """Four populations of three models, delays drawn from 0.1 to 5 ms and fixed at 0.1 ms,
    Poisson and DC input, a spike source: every code path of the exchange."""
    net = Network(dt=0.1, seed=seed)
    net.add_population("L4E", "iaf_psc_exp", 160, {"V_m": Uniform(-70.0, -56.0)})
    net.add_population("L4I", "iaf_psc_alpha", 50, {"tau_m": Normal(10.0, 1.0, low=5.0)})
    net.add_population("L23E", "iaf_psc_delta", 140, {"V_m": Uniform(-70.0, -56.0)})
    net.add_population("L23I", "izhikevich", 40)
    net.add_population("S", "spike_source", 3, {"spike_times": [[5.0, 50.0], [20.3], []]})
    w = {"L4E": 45.0, "L4I": -180.0, "L23E": 60.0, "L23I": -6.0, "S": 200.0}
    w_delta = {"L4E": 0.6, "L4I": -2.0, "L23E": 0.8, "L23I": -1.0, "S": 3.0}
    w_izh = {"L4E": 1.5, "L4I": -3.0, "L23E": 2.0, "L23I": -2.0, "S": 5.0}
    for src in w:
        for tgt in ("L4E", "L4I", "L23E", "L23I"):
            weight = {"L23E": w_delta, "L23I": w_izh}.get(tgt, w)[src]
            if src == "S":
                net.connect(src, tgt, FixedIndegree(2), weight=weight, delay=0.1)
            elif (src, tgt) in (("L4E", "L23E"), ("L23I", "L4I")):
                net.connect(src, tgt, PairwiseBernoulli(0.1), weight=weight, delay=0.1)
            else:
                net.connect(src, tgt, FixedIndegree(12), weight=weight, delay=Uniform(0.1, 5.0))
    for tgt, weight in (("L4E", 50.0), ("L4I", 50.0), ("L23E", 0.7), ("L23I", 2.5)):
        net.add_poisson_input(tgt, rate=8000.0, weight=weight, delay=1.0)
    net.add_dc_input("L4I", 150.0, start=30.0, stop=120.0)
    for pop in net.populations:
        net.record_spikes(pop)
    return net


def two_areas(seed=11):
    """Two "areas" with procedural projections of every procedural rule (fixed_total_number
    with and without autapses, fixed_outdegree, pairwise_bernoulli) beside stored ones, normal
    weights and delays redrawn at their bounds, and delays between the areas of 10-12 ms on
    average (up to ~60 ms): the regeneration, the far queue (with ``ring_slots``) and the
    blocks of targets (AE has 9000 neurons: three blocks)."""
    net = Network(dt=0.1, seed=seed)
    p = {"tau_syn_ex": 0.5, "tau_syn_in": 0.5, "V_m": Normal(-58.0, 5.0)}
    for name, n in (("AE", 9000), ("AI", 300), ("BE", 400), ("BI", 100)):
        net.add_population(name, "iaf_psc_exp", n, p)
    j, g = 87.8, -4.0
    w_e = Normal(j, 0.1 * j, low=0.0, redraw=True)
    w_i = Normal(g * j, -0.1 * g * j, high=0.0, redraw=True)
    d_e = Normal(1.5, 0.75, low=0.1, redraw=True)
    d_i = Normal(0.75, 0.375, low=0.1, redraw=True)
    proc = {"storage": "procedural"}
    net.connect("AE", "AE", FixedTotalNumber(360000, allow_autapses=False), w_e, d_e, **proc)
    net.connect("AE", "AI", PairwiseBernoulli(0.005), w_e, d_e, **proc)
    net.connect("AI", "AE", FixedOutdegree(400), w_i, d_i, **proc)
    net.connect("AI", "AI", FixedIndegree(30), w_i, 0.8)
    net.connect("BE", "BE", FixedTotalNumber(16000), w_e, d_e, **proc)
    net.connect("BE", "BI", FixedIndegree(40), w_e, 1.5)
    net.connect("BI", "BE", PairwiseBernoulli(0.1), w_i, d_i, **proc)
    net.connect("BI", "BI", FixedTotalNumber(1000), w_i, 0.8, **proc)
    net.connect(
        "AE", "BE", FixedTotalNumber(8000), w_e, Normal(10.0, 5.0, low=0.1, redraw=True), **proc
    )
    net.connect(
        "BE", "AE", FixedOutdegree(100), w_e, Normal(12.0, 6.0, low=0.1, redraw=True), **proc
    )
    for pop in net.populations:
        net.add_poisson_input(pop, rate=8500.0, weight=j, delay=1.0)
        net.record_spikes(pop)
    return net


def conductance_stp(seed=13):
    """The GSL-integrated models (aeif_cond_alpha, iaf_cond_exp, hh_psc_alpha: adaptive step
    sizes kept per neuron) coupled through short-term plasticity (tsodyks2_synapse,
    tsodyks_synapse: a state per source and projection) and static synapses, delays drawn
    from 0.1 to 3 ms."""
    net = Network(dt=0.1, seed=seed)
    net.add_population("E", "aeif_cond_alpha", 160, {"V_m": Uniform(-70.0, -55.0), "I_e": 400.0})
    net.add_population("I", "iaf_cond_exp", 40, {"V_m": Uniform(-70.0, -56.0)})
    net.add_population("H", "hh_psc_alpha", 20, {"I_e": Uniform(700.0, 900.0)})
    fac = {
        "synapse_model": "tsodyks2_synapse",
        "U": 0.1,
        "u": 0.1,
        "tau_fac": 500.0,
        "tau_rec": 100.0,
    }
    dep = {"synapse_model": "tsodyks_synapse", "U": 0.5, "tau_psc": 3.0, "tau_rec": 400.0}
    delay = Uniform(0.1, 3.0)
    net.connect("E", "E", FixedIndegree(16), weight=4.0, delay=delay, synapse=fac)
    net.connect("E", "I", FixedIndegree(16), weight=6.0, delay=delay, synapse=dep)
    net.connect("I", "E", FixedIndegree(8), weight=-3.0, delay=delay)
    net.connect("E", "H", FixedIndegree(10), weight=Uniform(20.0, 60.0), delay=delay, synapse=fac)
    net.connect("H", "I", FixedOutdegree(4), weight=2.0, delay=0.5)
    net.add_poisson_input("E", rate=10000.0, weight=3.0, delay=1.0)
    net.add_poisson_input("I", rate=12000.0, weight=2.0, delay=1.0)
    for pop in net.populations:
        net.record_spikes(pop)
    return net


NETWORKS = {
    "brunel": lambda: brunel(order=300, seed=7),
    "four_populations": four_populations,
    "two_areas": two_areas,
    "two_areas_far": two_areas,
    "conductance_stp": conductance_stp,
}
# Simulation options of a network (default none): the far queue beyond a ring of 12 slots
OPTIONS = {"two_areas_far": {"ring_slots": 12}}
# the procedural networks run with the two most different partitions only (their realisation
# does not depend on the partition; 1-4 ranks x every backend still cover the exchange), and
# the dense ring only as the reference of the far queue (with every balancer and backend they
# took most of the 5 minutes of test_mpi_reproducibility)
PARTIAL = {
    "two_areas_far": (("block", "round_robin"), None),
    "two_areas": (("block",), ("collective",)),
    "conductance_stp": (("block", "round_robin"), ("collective",)),
}


def combinations_of(name, ranks):
    """The (balancer, backend) pairs a network of NETWORKS runs with on ``ranks`` ranks in
    digests.py.  The networks of PARTIAL run with theirs on every rank count; the others with
    block and the collective exchange (the reference) and a third of the other pairs, a
    different third for each rank count modulo 3 (1-3 ranks cover every pair, 4 ranks what 1
    did): every pair on 3 rank counts took a minute of CI."""
    from distsim.comm.exchange import BACKENDS
    from distsim.partition import BALANCERS

    if name in PARTIAL:
        balancers, backends = PARTIAL[name]
        return [(b, e) for b in balancers or BALANCERS for e in backends or BACKENDS]
    return [
        (b, e)
        for i, b in enumerate(BALANCERS)
        for j, e in enumerate(BACKENDS)
        if (b, e) == ("block", "collective") or (i + j) % 3 == ranks % 3
    ]


def nestml_network(seed=17):
    """Three NESTML models (models/nestml.py): distsim's two-compartment neuron with an
    adaptive threshold (integrated by RKF45), the nestml library's iaf_psc_exp_neuron (exact
    propagators) and aeif_cond_exp_neuron (both: conductances propagated, the rest by RKF45;
    with the step control tests/unit/test_nestml.py uses, so that both compile one plan),
    coupled with drawn delays, under Poisson and DC input.  Loaded here, not at import: the
    other networks do not need NESTML."""
    from pathlib import Path

    from distsim.models import library_file, load_nestml

    two = load_nestml(
        Path(__file__).parents[2] / "distsim/examples/data/two_compartment_adaptive.nestml"
    )
    iaf = load_nestml(library_file("iaf_psc_exp_neuron"))
    aeif = load_nestml(library_file("aeif_cond_exp_neuron"), step_control="derivative")
    net = Network(dt=0.1, seed=seed)
    net.add_population("E", two.name, 120, {"V_s": Uniform(-70.0, -58.0), "I_e": 150.0})
    net.add_population("I", iaf.name, 40, {"V_m": Uniform(-70.0, -56.0)})
    net.add_population("A", aeif.name, 20, {"I_e": Uniform(300.0, 700.0), "refr_T": 0.5})
    delay = Uniform(0.1, 4.0)
    net.connect("E", "E", FixedIndegree(12), weight=30.0, delay=delay)
    net.connect("E", "I", FixedIndegree(20), weight=50.0, delay=delay)
    net.connect("I", "E", FixedIndegree(10), weight=-60.0, delay=delay)
    net.connect("I", "I", FixedOutdegree(5), weight=-40.0, delay=0.5)
    net.connect("E", "A", FixedIndegree(10), weight=3.0, delay=delay)
    net.connect("A", "I", FixedIndegree(4), weight=60.0, delay=1.2)
    net.connect("I", "A", FixedIndegree(5), weight=-4.0, delay=delay)
    net.add_poisson_input("E", rate=9000.0, weight=20.0, delay=1.0)
    net.add_poisson_input("I", rate=7000.0, weight=40.0, delay=1.0)
    net.add_dc_input("I", 120.0, start=40.0, stop=110.0)
    for pop in net.populations:
        net.record_spikes(pop)
    return net
