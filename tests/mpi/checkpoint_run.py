"""Half a run on this many ranks, then a checkpoint ("save"); or restore from it and run
the second half ("resume"); spikes go to the run store given."""

import sys

from networks import four_populations

from distsim import Simulation

mode, ckpt, store = sys.argv[1:4]
if mode == "save":
    sim = Simulation(four_populations(), decomposition="round_robin", store=store)
    sim.run(60.0)
    sim.checkpoint(ckpt)
else:
    sim = Simulation.restore(ckpt, decomposition="balanced", backend="async", store=store)
    sim.run(60.0)
