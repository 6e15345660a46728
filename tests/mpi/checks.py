"""Context checks written once, run against LocalContext, DryRunContext and MPIContext.

``check_context(ctx)`` builds the four-population network for ctx.size ranks and checks:
the rank owns exactly its decomposition's gids; its synapses are exactly those of the
one-process network onto its neurons (parallel build, same network for any rank count);
its incoming links and lookaheads follow from them; and, where the context really
exchanges (Local, MPI), the ranks it sends each neuron's spikes to are exactly the other
ranks holding targets of that neuron.
"""

import numpy as np
from networks import four_populations

from distsim import Simulation
from distsim.comm import LocalContext
from distsim.partition import round_robin


def _sorted_conns(c):
    order = np.lexsort((c["delay"], c["weight"], c["source"], c["target"]))
    return np.stack([c["source"][order], c["target"][order]]), c["weight"][order], c["delay"][order]


def check_context(ctx):
    net = four_populations()
    full = Simulation(four_populations(), LocalContext()).connections()
    dec = round_robin(net, ctx.size)
    sim = Simulation(net, ctx, dec)
    mine = dec.local_gids(ctx.rank)
    assert np.array_equal(sim.local_gid, mine)
    local = np.isin(full["target"], mine)
    ref = {k: v[local] for k, v in full.items()}
    got = sim.connections()
    for a, b in zip(_sorted_conns(ref), _sorted_conns(got)):
        assert np.array_equal(a, b)
    # incoming links: ranks owning sources of my synapses, lookahead = their smallest delay
    owner = dec.rank_of[ref["source"]]
    for r in range(ctx.size):
        on_link = (owner == r) & (r != ctx.rank)
        expected = round(ref["delay"][on_link].min() / net.dt) if on_link.any() else None
        got_la = sim.routing.in_lookahead[r]
        assert (expected is None and r not in sim.routing.in_ranks) or got_la == expected
    # outgoing: only a context that exchanges knows who needs my spikes
    targets_of = {}
    if ctx.name != "dry-run":
        for s, t in zip(full["source"], full["target"]):
            targets_of.setdefault(int(s), set()).add(int(dec.rank_of[t]))
    r = sim.routing
    for i, gid in enumerate(mine):
        want = sorted(targets_of.get(int(gid), set()) - {ctx.rank})
        assert sorted(r.send_rank[r.send_ptr[i] : r.send_ptr[i + 1]].tolist()) == want
    return True
