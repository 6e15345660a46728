"""Half a run on this many ranks, then a checkpoint ("save"); or restore from it and run
the second half ("resume"); spikes go to the run store given.  An optional fourth argument
names the network of networks.py (default four_populations); its OPTIONS apply when saving
(the far queue of two_areas_far), not when resuming (a ring of every delay).  An optional
fifth argument gives the threads per rank of the resumed run (default 1)."""

import sys

from networks import NETWORKS, OPTIONS

from distsim import Simulation

mode, ckpt, store = sys.argv[1:4]
name = sys.argv[4] if len(sys.argv) > 4 else "four_populations"
if mode == "save":
    sim = Simulation(
        NETWORKS[name](), decomposition="round_robin", store=store, **OPTIONS.get(name, {})
    )
    sim.run(60.0)
    sim.checkpoint(ckpt)
else:
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    sim = Simulation.restore(
        ckpt, decomposition="balanced", backend="async", store=store, threads=threads
    )
    sim.run(60.0)
