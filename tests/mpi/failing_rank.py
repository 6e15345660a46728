"""Rank 1 raises in the middle of a run; the others are inside the exchange by then."""

import sys
import time

from networks import four_populations

from distsim import Simulation

backend = sys.argv[1]
sim = Simulation(four_populations(), decomposition="round_robin", backend=backend)
sim.run(20.0)
with open("/proc/self/maps") as f:  # the job's MPICH shared memory (gone after the abort)
    print(
        "SHM",
        *sorted({line.split()[-1] for line in f if "/dev/shm/mpich_shm_" in line}),
        flush=True,
    )
if sim.context.rank == 1:
    print(f"RAISING {time.time()}", flush=True)
    raise RuntimeError("failure raised on purpose on rank 1")
sim.run(1000.0)
print("rank finished normally", flush=True)
