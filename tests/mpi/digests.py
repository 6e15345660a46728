"""Run every test network with its (balancer, backend) pairs (networks.combinations_of); rank 0 prints one JSON object
{"network/balancer/backend": [digest, recorded spikes], ...}.  Run under mpiexec -n N."""

import json
import sys

from networks import NETWORKS, OPTIONS, combinations_of

from distsim import Simulation

T_MS = 150.0


def run_digest(name, balancer, backend, threads=1):
    """[digest, recorded spikes] of network ``name`` run for T_MS in two calls (continuation
    across exchanges), and this rank's index."""
    sim = Simulation(
        NETWORKS[name](),
        decomposition=balancer,
        backend=backend,
        threads=threads,
        **OPTIONS.get(name, {}),
    )
    sim.run(T_MS / 3)
    sim.run(2 * T_MS / 3)
    s = sim.summary()
    return [s["digest"], s["recorded_spikes"]], sim.context.rank


def main():
    from mpi4py import MPI

    size = MPI.COMM_WORLD.Get_size()
    out = {}
    for name in NETWORKS:
        for balancer, backend in combinations_of(name, size):
            out[f"{name}/{balancer}/{backend}"], rank = run_digest(name, balancer, backend)
    if rank == 0:
        print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
