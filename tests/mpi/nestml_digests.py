"""Run networks.nestml_network with the balancer, backend and threads of argv[1:4]; rank 0
prints [digest, recorded spikes] as JSON.  Run under mpiexec -n N."""

import json
import sys

from networks import nestml_network

from distsim import Simulation

T_MS = 150.0


def main():
    balancer, backend, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sim = Simulation(nestml_network(), decomposition=balancer, backend=backend, threads=threads)
    sim.run(T_MS / 3)  # in two calls: the continuation across exchanges
    sim.run(2 * T_MS / 3)
    s = sim.summary()
    if sim.context.rank == 0:
        print(json.dumps([s["digest"], s["recorded_spikes"]]))


if __name__ == "__main__":
    sys.exit(main())
