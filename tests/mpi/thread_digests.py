"""Run every test network with T threads per rank (argv[1]) and the (balancer, backend) pairs
of THREAD_COMBINATIONS; rank 0 prints one JSON object {"network/balancer/backend":
[digest, recorded spikes], ...}.  Run under mpiexec -n N."""

import json
import sys

from digests import run_digest

# the partitions and exchanges most different from one rank: blocks and the collective
# exchange, neurons dealt round-robin and the asynchronous one
THREAD_COMBINATIONS = (("block", "collective"), ("round_robin", "async"))
# windows of 15 steps (brunel), drawn delays from one step (four_populations), procedural
# projections and the far queue (two_areas_far; two_areas is only its dense-ring reference)
THREAD_NETWORKS = ("brunel", "four_populations", "two_areas_far")


def main():
    threads = int(sys.argv[1])
    out = {}
    for name in THREAD_NETWORKS:
        for balancer, backend in THREAD_COMBINATIONS:
            key = f"{name}/{balancer}/{backend}"
            out[key], rank = run_digest(name, balancer, backend, threads)
    if rank == 0:
        print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
