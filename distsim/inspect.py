"""What a network will cost, before anything is built: ``distsim inspect`` and ``distsim
partition``.

Expected synapses come from each rule's expected in-degree.  The memory estimate per rank
adds up the arrays the rank will hold, with their types, at the build's peak
(distsim/memory.py; scripts/check_memory_estimate.py compares it with measured peaks).  Expected
spike traffic (``partition.balancers.expected_traffic``) assumes sources spread their targets
uniformly over the target population; a spike is sent once to each other rank it reaches.
"""

import math

import numpy as np

from .distributions import is_distribution
from .memory import check_describable, rank_memory
from .partition import get_balancer
from .partition.balancers import expected_indegree, expected_traffic, expected_work


def expected_synapses(network):
    """Expected synapse count of each projection (name -> float)."""
    return {
        p.name: expected_indegree(network, p) * network.populations[p.target].size
        for p in network.projections
    }


def smallest_delay_ms(network):
    lows = [
        (p.delay.bounds[0] if is_distribution(p.delay) else np.min(p.delay, initial=np.inf))
        for p in network.projections
    ]
    if not lows:
        return None
    return max(min(lows), network.dt)


def describe(network, n_ranks=1, balancer="block", rates=None, store=True):
    """A dict: sizes, expected synapses (stored and procedural), smallest delay, memory per
    rank (of a run that writes a run store when ``store``), warnings, and the partition
    (neurons, work share, expected spikes sent per second, and per step sent to and received
    from other ranks: each spike once per rank it reaches; ``rates``: population -> Hz,
    default 10 Hz)."""
    balance = get_balancer(balancer)
    check_describable(network, n_ranks)
    dec = balance(network, n_ranks)
    work = expected_work(network, rates)
    n_syn = expected_synapses(network)
    per_rank_neurons = dec.counts()
    memory = rank_memory(network, dec, n_syn, store, rates)
    work_per_rank = np.bincount(dec.rank_of, weights=work, minlength=n_ranks)
    traffic = expected_traffic(network, dec.rank_of, n_ranks, rates)
    sends = traffic.sum(axis=1) - np.diag(traffic)
    receives = traffic.sum(axis=0) - np.diag(traffic)
    per_step = network.dt / 1000.0
    warnings = []
    d = smallest_delay_ms(network)
    if d is not None and d <= network.dt * 1.5 and n_ranks > 1:
        warnings.append(f"smallest delay {d:g} ms is one step: ranks exchange spikes every step")
    if not network.spike_recorders:
        warnings.append("no spike recorder: the run stores no spikes and the digest is empty")
    if work_per_rank.mean() > 0 and work_per_rank.max() / work_per_rank.mean() > 1.2:
        warnings.append(
            f"expected work per rank is unbalanced (max/mean "
            f"{work_per_rank.max() / work_per_rank.mean():.2f}); try --balancer balanced"
        )
    return {
        "neurons": network.n_neurons,
        "populations": {p.name: p.size for p in network.populations.values()},
        "synapses_expected": float(sum(n_syn.values())),
        "smallest_delay_ms": d,
        "dt_ms": network.dt,
        "ranks": n_ranks,
        "balancer": dec.name,
        "per_rank": [
            {
                "rank": r,
                "neurons": int(per_rank_neurons[r]),
                "synapses_expected": float(memory[r]["synapses"]),
                "procedural_synapses_expected": float(memory[r]["procedural_synapses"]),
                "ring_slots": int(memory[r]["ring_slots"]),
                "memory_estimate_bytes": float(memory[r]["total"]),
                "memory_parts_bytes": {k: float(v) for k, v in memory[r]["parts"].items()},
                "work_share": float(work_per_rank[r] / max(work_per_rank.sum(), 1e-300)),
                "spike_sends_per_s_expected": float(sends[r]),
                "spikes_out_per_step": float(sends[r] * per_step),
                "spikes_in_per_step": float(receives[r] * per_step),
            }
            for r in range(n_ranks)
        ],
        "imbalance": float(work_per_rank.max() / max(work_per_rank.mean(), 1e-300)),
        "warnings": warnings,
    }


def ranks_needed(network, available_bytes, balancer="block", store=True):
    """Smallest rank count whose largest per-rank memory estimate fits ``available_bytes``."""
    for n in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024):
        per_rank = describe(network, n, balancer, store=store)["per_rank"]
        if max(r["memory_estimate_bytes"] for r in per_rank) <= available_bytes:
            return n
    return math.inf
