"""The routed exchange on rank grids whose hops take fabric time: 4 ranks as a 1x4 mesh
(three hops end to end), a 2x2 mesh and a 2x2 torus, with hop latencies up to the limit
the delays allow, on Brunel (every rank talks to every rank, 1.5 ms delays) and on a
plastic network with 1.2, 1.5 and 10 ms links.  Rank 0 prints {case: [digest, weights hash]};
every case must equal the collective exchange's."""

import hashlib
import json
import sys

import numpy as np

from distsim import FixedIndegree, Network, Simulation
from distsim.comm.routing import RankGrid
from distsim.examples import brunel

GRIDS = {
    "collective": None,
    "mesh1x4_hop0.5": RankGrid((1, 4), hop_ms=0.5),  # 3 hops x 0.5 ms = 1.5 ms
    "mesh2x2_hop0": RankGrid((2, 2)),
    "torus2x2_hop0.6": RankGrid((2, 2), periodic=True, hop_ms=0.6),
    "mesh2x2_hop0.03": RankGrid((2, 2), hop_ms=0.03),
}  # below one step per hop


def plastic():
    net = Network(dt=0.1, seed=4)
    for p in ("A", "B", "C", "D"):  # the block balancer puts one per rank
        net.add_population(p, "iaf_psc_alpha", 60)
        net.add_poisson_input(p, rate=9000.0, weight=87.8, delay=1.0)
    stdp = {"synapse_model": "stdp_synapse", "lambda": 0.05, "Wmax": 200.0}
    net.connect("A", "D", FixedIndegree(20), weight=40.0, delay=1.5, synapse=stdp)
    net.connect("D", "A", FixedIndegree(10), weight=20.0, delay=10.0)
    net.connect("B", "C", FixedIndegree(10), weight=30.0, delay=1.2, synapse=stdp)
    net.connect("C", "B", FixedIndegree(10), weight=20.0, delay=10.0)
    for p in ("A", "B", "C", "D"):
        net.record_spikes(p)
    return net


def main():
    out = {}
    for name, make in (("brunel", lambda: brunel(order=200, seed=3)), ("plastic", plastic)):
        for case, grid in GRIDS.items():
            sim = Simulation(
                make(),
                decomposition="block",
                rank_grid=grid,
                backend="collective" if grid is None else "routed",
            )
            sim.run(60.0)
            sim.run(90.0)
            w = np.empty(0)
            if name == "plastic":
                parts = sim.context.gather(sim.connections("A->D")["weight"])
                w = np.sort(np.concatenate(parts)) if parts else w
            summary = sim.summary()  # collective
            if sim.context.rank == 0:
                out[f"{name}/{case}"] = [
                    summary["digest"],
                    hashlib.sha256(w.tobytes()).hexdigest(),
                    summary["recorded_spikes"],
                ]
    if sim.context.rank == 0:
        print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
