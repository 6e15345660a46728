"""Plastic synapses between ranks whose links have very different delays (the receiving rank
may lag far behind the sender); rank 0 prints {backend: [digest, weights hash]}."""

import hashlib
import json
import sys

import numpy as np

from distsim import FixedIndegree, Network, Simulation
from distsim.comm.exchange import BACKENDS


def network():
    net = Network(dt=0.1, seed=3)
    for p in ("A", "B"):  # block balancer on 2 ranks: A on rank 0, B on rank 1
        net.add_population(p, "iaf_psc_alpha", 100)
        net.add_poisson_input(p, rate=9000.0, weight=87.8, delay=1.0)
    net.connect(
        "A",
        "B",
        FixedIndegree(20),
        weight=40.0,
        delay=1.0,
        synapse={"synapse_model": "stdp_synapse", "lambda": 0.05, "Wmax": 200.0},
    )
    net.connect("B", "A", FixedIndegree(10), weight=20.0, delay=10.0)  # rank 0 may run ahead
    net.connect("B", "B", FixedIndegree(10), weight=20.0, delay=10.0)
    net.record_spikes("A")
    net.record_spikes("B")
    return net


def main():
    out = {}
    for backend in BACKENDS:
        sim = Simulation(network(), backend=backend)
        sim.run(200.0)
        c = sim.connections("A->B")
        parts = sim.context.gather((c["source"], c["target"], c["weight"]))
        digest = sim.digest()
        if sim.context.rank == 0:
            s, t, w = (np.concatenate([p[k] for p in parts]) for k in range(3))
            o = np.lexsort((w, t, s))
            out[backend] = [
                digest,
                hashlib.sha256(s[o].tobytes() + t[o].tobytes() + w[o].tobytes()).hexdigest(),
            ]
    if sim.context.rank == 0:
        print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
