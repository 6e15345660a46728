"""stdp_dopamine_synapse whose volume transmitter is a population of simulated neurons
(iaf_psc_alpha driven by Poisson input) with no other synapses: its spikes reach the ranks
holding dopamine synapses only through the volume transmitter's routes.  Three dopamine
projections: vt delay 1.0 ms (the network's minimum delay) from P, which receives nothing
and so runs ahead of the other ranks with the async and routed backends (its spikes come
long before the dopamine spikes they must see), and from E itself; vt delay 2.5 ms and
b > 0 from I.  The dopamine neurons follow E by 1 ms.

    dopamine_neurons.py run             every backend x balancer, 120 ms in two runs
    dopamine_neurons.py save CKPT       60 ms (collective, round_robin), then a checkpoint
    dopamine_neurons.py resume CKPT     restore (async, block), 60 ms more

Rank 0 prints one JSON line: per configuration the digest of the spikes after 60 ms, a
hash of every plastic synapse's (projection, source, target, weight, c, n), the number of
weights that changed, and the dopamine arrivals (every rank holding a projection's synapses
must hold the same ones).
"""

import hashlib
import json
import sys

import numpy as np

from distsim import FixedIndegree, Network, Simulation, Uniform
from distsim.comm.exchange import BACKENDS
from distsim.simulation import spike_digest

T_HALF = 60.0
W0 = 15.0


def network():
    net = Network(dt=0.1, seed=11)
    net.add_population("P", "iaf_psc_alpha", 18)
    net.add_population("E", "iaf_psc_alpha", 36)
    net.add_population("DA", "iaf_psc_alpha", 6)
    net.add_population("I", "iaf_psc_exp", 12)
    net.add_poisson_input("P", rate=3600.0, weight=20.0, delay=1.0)
    net.add_poisson_input("E", rate=3400.0, weight=20.0, delay=1.0)
    net.add_poisson_input("DA", rate=3800.0, weight=20.0, delay=1.0)
    net.add_poisson_input("I", rate=4500.0, weight=40.0, delay=1.0)
    dopa = {
        "synapse_model": "stdp_dopamine_synapse",
        "vt": "DA",
        "tau_c": 200.0,
        "tau_n": 100.0,
        "A_minus": 1.0,
        "Wmax": 60.0,
    }
    net.connect("P", "E", FixedIndegree(4), weight=W0, delay=5.0, synapse={**dopa, "vt_delay": 1.0})
    net.connect(
        "E",
        "E",
        FixedIndegree(6),
        weight=W0,
        delay=Uniform(1.0, 4.0),
        synapse={**dopa, "vt_delay": 1.0},
    )
    net.connect(
        "I",
        "E",
        FixedIndegree(4),
        weight=W0,
        delay=1.5,
        synapse={**dopa, "vt_delay": 2.5, "b": 0.01},
    )
    net.connect("E", "DA", FixedIndegree(4), weight=30.0, delay=1.0)
    net.connect("E", "I", FixedIndegree(6), weight=60.0, delay=6.0)
    for pop in net.populations:
        net.record_spikes(pop)
    return net


def result(sim):
    """This configuration's figures (collective; rank 0 gets them, None elsewhere)."""
    steps, gids = sim.spike_steps()
    after = steps > round(T_HALF / sim.dt)
    spikes = sim.context.gather((steps[after], gids[after]))
    st = sim.plasticity.state()
    syn = sim.context.gather((st["syn_key"], st["syn_w"], st["syn_dopa"][:, :2]))
    da_ptr, da_time, da_mult = sim.plasticity.dopamine()
    mine = {}
    for r in sim.plasticity.da_present:
        a, n = da_ptr[r, 0], da_ptr[r, 2]
        mine[int(sim.plasticity.da_proj[r])] = hashlib.sha256(
            da_time[a : a + n].tobytes() + da_mult[a : a + n].tobytes()
        ).hexdigest()
    arrivals = sim.context.gather(mine)
    if sim.context.rank != 0:
        return None
    s = np.concatenate([p[0] for p in spikes])
    g = np.concatenate([p[1] for p in spikes])
    key = np.concatenate([p[0] for p in syn])
    w = np.concatenate([p[1] for p in syn])
    cn = np.concatenate([p[2] for p in syn])
    order = np.lexsort(key.T[::-1])
    seen = {}
    for part in arrivals:
        for proj, h in part.items():
            seen.setdefault(proj, set()).add(h)
    return {
        "digest": spike_digest(s, g),
        "spikes": int(s.size),
        "synapses": int(w.size),
        "weights": hashlib.sha256(
            key[order].tobytes() + w[order].tobytes() + cn[order].tobytes()
        ).hexdigest(),
        "changed": int(np.sum(w != W0)),
        "arrivals": {str(p): sorted(h) for p, h in sorted(seen.items())},
    }


def main():
    mode = sys.argv[1]
    out = {}
    if mode == "run":
        for balancer in ("block", "round_robin"):
            for backend in BACKENDS:
                sim = Simulation(network(), decomposition=balancer, backend=backend)
                sim.run(T_HALF)
                sim.run(T_HALF)
                out[f"{balancer}/{backend}"] = result(sim)
    elif mode == "save":
        sim = Simulation(network(), decomposition="round_robin", backend="collective")
        sim.run(T_HALF)
        sim.checkpoint(sys.argv[2])
        return 0
    else:
        sim = Simulation.restore(sys.argv[2], decomposition="block", backend="async")
        sim.run(T_HALF)
        out["resumed"] = result(sim)
    if out and next(iter(out.values())) is not None:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
