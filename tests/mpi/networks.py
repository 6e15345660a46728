"""Networks of the MPI tests (importable by the scripts run under mpiexec)."""

from distsim import FixedIndegree, Network, Normal, PairwiseBernoulli, Uniform
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


NETWORKS = {
    "brunel": lambda: brunel(order=300, seed=7),
    "four_populations": four_populations,
}
