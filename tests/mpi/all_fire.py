"""Every neuron fires in every step (t_ref 0, huge current) on every rank, and every spike
goes to every rank: the outgoing, incoming and record buffers must all grow."""

import json

from distsim import FixedIndegree, Network, Simulation

net = Network(dt=0.1, seed=2)
for name in ("A", "B", "C"):
    net.add_population(name, "iaf_psc_delta", 3000, {"I_e": 1e6, "t_ref": 0.0})
    net.record_spikes(name)
for src in ("A", "B", "C"):
    for tgt in ("A", "B", "C"):
        net.connect(src, tgt, FixedIndegree(3), weight=0.1, delay=5.0)
sim = Simulation(net, decomposition="round_robin")
sim.run(10.0)
s = sim.summary()
if sim.context.rank == 0:
    print(
        json.dumps(
            {
                "spikes": s["spikes"],
                "digest": s["digest"],
                "sent": sum(r["spikes_sent"] for r in s["ranks"]),
                "received": sum(r["spikes_received"] for r in s["ranks"]),
            }
        )
    )
