"""NEST's hpc_benchmark with plastic E->E synapses, once per exchange backend; rank 0 prints
one JSON object {backend: {"digest", "spikes", "weights", "synapses", "changed", "w_min",
"w_max"}}: "weights" is the SHA-256 of every rank's (source, target, weight) of the plastic
synapses, gathered and sorted.  Run under mpiexec -n N with the balancer as argument."""

import hashlib
import json
import sys

import numpy as np

from distsim import Simulation
from distsim.comm.exchange import BACKENDS
from distsim.examples import hpc_benchmark

SCALE, T_MS = 0.02, 150.0


def plastic_weights(sim):
    """(SHA-256 of the sorted (source, target, weight) of all ranks, their count, min and
    max) on rank 0, None elsewhere (collective)."""
    c = sim.connections("E->E")
    parts = sim.context.gather((c["source"], c["target"], c["weight"]))
    if sim.context.rank != 0:
        return None
    src, tgt, w = (np.concatenate([p[k] for p in parts]) for k in range(3))
    order = np.lexsort((w, tgt, src))
    sha = hashlib.sha256()
    for a, dtype in ((src, "<i8"), (tgt, "<i8"), (w, "<f8")):
        sha.update(np.ascontiguousarray(a[order], dtype=dtype).tobytes())
    return sha.hexdigest(), int(w.size), float(w.min()), float(w.max())


def main(balancer):
    out = {}
    for backend in BACKENDS:
        sim = Simulation(
            hpc_benchmark(scale=SCALE, plastic=True), decomposition=balancer, backend=backend
        )
        initial = sim.connections("E->E")["weight"]
        sim.run(T_MS / 3)
        sim.run(2 * T_MS / 3)  # two run calls: traces and weights carried across
        changed = sim.context.allreduce(
            int(np.count_nonzero(sim.connections("E->E")["weight"] != initial)), "sum"
        )
        s = sim.summary()
        weights = plastic_weights(sim)
        if sim.context.rank == 0:
            out[backend] = {
                "digest": s["digest"],
                "spikes": s["spikes"],
                "weights": weights[0],
                "synapses": weights[1],
                "changed": changed,
                "w_min": weights[2],
                "w_max": weights[3],
            }
    if sim.context.rank == 0:
        print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
