"""Run every test network with its (balancer, backend) pairs (networks.combinations_of); rank 0 prints one JSON object
{"network/balancer/backend": [digest, recorded spikes], ...}.  Run under mpiexec -n N."""

import json
import sys

from networks import NETWORKS, OPTIONS, combinations_of

from distsim import Simulation

T_MS = 150.0


def main():
    out = {}
    for name, make in NETWORKS.items():
        for balancer, backend in combinations_of(name):
            sim = Simulation(
                make(), decomposition=balancer, backend=backend, **OPTIONS.get(name, {})
            )
            sim.run(T_MS / 3)
            sim.run(2 * T_MS / 3)  # two run calls: continuation across exchanges
            s = sim.summary()
            out[f"{name}/{balancer}/{backend}"] = [s["digest"], s["recorded_spikes"]]
    if sim.context.rank == 0:
        print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
