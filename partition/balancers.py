"""Balancers: functions (network, n_ranks) -> Decomposition, computable without MPI.

round_robin   gid g on rank g % n (NEST's distribution)
block         contiguous blocks of equal size (Arbor's partition_load_balance)
population    whole populations per rank while they fit in an equal share of the
              expected work; larger populations are split at share boundaries
balanced      contiguous blocks of equal expected work per model second:
              w(gid) = steps * UPDATE_NS + sum over incoming projections of
              expected in-degree * expected source rate * EVENT_NS (PLASTIC_EVENT_NS
              for plastic synapses) + Poisson inputs * steps * POISSON_NS
"""

import numpy as np

from distsim.errors import PartitionError
from distsim.rules import (
    AllToAll,
    FixedIndegree,
    FixedOutdegree,
    FixedTotalNumber,
    FromList,
    OneToOne,
    PairwiseBernoulli,
)

from .decomposition import Decomposition

# cost model of the numba core (ns, measured on the Brunel benchmark)
UPDATE_NS = 4.0
EVENT_NS = 4.0
# a plastic synapse's event (weight update, spike history): ~15 static ones
# (hpc_benchmark at scale 1, 1 rank, 50-150 ms: 22 ns per plastic event, 1.6 per static one)
PLASTIC_EVENT_NS = 15 * EVENT_NS
POISSON_NS = 6.0
DEFAULT_RATE_HZ = 10.0


def _check(network, n_ranks):
    if not isinstance(n_ranks, (int, np.integer)) or n_ranks < 1:
        raise PartitionError(f"balancer: n_ranks {n_ranks!r} is not a positive integer; use >= 1")
    if network.n_neurons == 0:
        raise PartitionError("balancer: the network has no neurons to distribute")


def round_robin(network, n_ranks):
    _check(network, n_ranks)
    return Decomposition(n_ranks, np.arange(network.n_neurons) % n_ranks, "round_robin")


def block(network, n_ranks):
    _check(network, n_ranks)
    return Decomposition(n_ranks, _cut(np.ones(network.n_neurons), n_ranks), "block")


def expected_indegree(network, proj):
    """Expected number of incoming synapses of one target neuron of ``proj``."""
    src = network.populations[proj.source].size
    tgt = network.populations[proj.target].size
    rule = proj.rule
    same = proj.source == proj.target and not getattr(rule, "allow_autapses", True)
    if isinstance(rule, FixedIndegree):
        return float(rule.indegree)
    if isinstance(rule, FixedOutdegree):
        return rule.outdegree * src / max(tgt, 1)
    if isinstance(rule, PairwiseBernoulli):
        return rule.p * (src - (1 if same else 0))
    if isinstance(rule, FixedTotalNumber):
        return rule.N / max(tgt, 1)
    if isinstance(rule, OneToOne):
        return 1.0
    if isinstance(rule, AllToAll):
        return float(src - (1 if same else 0))
    if isinstance(rule, FromList):
        return rule.targets.size / max(tgt, 1)
    raise TypeError(rule)


def expected_work(network, rates=None, t_model_ms=1000.0):
    """Expected cost (ns per ``t_model_ms``) of each gid; ``rates`` maps population -> Hz."""
    rates = rates or {}
    steps = t_model_ms / network.dt
    work = np.full(network.n_neurons, steps * UPDATE_NS)
    for proj in network.projections:
        tgt = network.populations[proj.target]
        rate = rates.get(proj.source, DEFAULT_RATE_HZ)
        cost = EVENT_NS if proj.synapse is None else PLASTIC_EVENT_NS
        work[tgt.first_gid : tgt.first_gid + tgt.size] += (
            expected_indegree(network, proj) * rate * t_model_ms / 1000.0 * cost
        )
    for stim in network.poisson_inputs:
        tgt = network.populations[stim.target]
        idx = np.arange(tgt.size) if stim.neurons is None else np.asarray(stim.neurons)
        work[tgt.first_gid + idx] += steps * POISSON_NS
    return work


def expected_traffic(network, group_of, n_groups, rates=None):
    """Expected spikes per second sent from group a to group b (``traffic[a, b]``), where
    ``group_of[gid]`` is a rank, chip or core: each spike goes once to every group holding at
    least one target of its source (the diagonal counts spikes with a target in their own
    group); ``rates`` maps population -> Hz.

    Explicit connections (rule ``FromList``) count exactly: a source reaches the groups of
    its listed targets.  For the other rules each target neuron is a target of a given
    source with probability q = expected in-degree / source size, independently, so a group
    of n neurons of the target population is missed with probability (1 - q)^n.  A source
    with both kinds reaches a group for certain where a listed target is, and otherwise
    with the probability of the random rules.  A procedural projection's source reaches every
    group holding neurons of its target population (no table says where its targets are)."""
    rates = rates or {}
    group_of = np.asarray(group_of)
    pops = list(network.populations.values())
    index = {p.name: i for i, p in enumerate(pops)}
    counts = np.array(
        [
            np.bincount(group_of[p.first_gid : p.first_gid + p.size], minlength=n_groups)
            for p in pops
        ],
        dtype=float,
    )
    log_miss = np.zeros((len(pops), n_groups))  # log P(no target of a source in the group)
    listed = [[] for _ in pops]  # per source population: source * n + group
    for proj in network.projections:
        s, t = index[proj.source], index[proj.target]
        if isinstance(proj.rule, FromList):
            group = group_of[pops[t].first_gid + proj.rule.targets]
            listed[s].append(proj.rule.sources * n_groups + group)
            continue
        q = min(expected_indegree(network, proj) / max(pops[s].size, 1), 1.0)
        if proj.storage == "procedural":
            q = 1.0
        with np.errstate(divide="ignore", invalid="ignore"):  # q = 1: log 0, 0 x -inf
            log_miss[s] += np.where(counts[t] > 0, counts[t] * np.log1p(-q), 0.0)
    rate = np.array([rates.get(p.name, DEFAULT_RATE_HZ) for p in pops])
    traffic = counts.T @ (rate[:, None] * -np.expm1(log_miss))
    for s, keys in enumerate(listed):
        if not keys:
            continue
        source, group = np.divmod(np.unique(np.concatenate(keys)), n_groups)
        # a listed pair: reached for certain instead of with probability 1 - miss
        weight = rate[s] * np.exp(log_miss[s, group])
        np.add.at(traffic, (group_of[pops[s].first_gid + source], group), weight)
    return traffic


def balanced(network, n_ranks, rates=None):
    _check(network, n_ranks)
    return Decomposition(n_ranks, _cut(expected_work(network, rates), n_ranks), "balanced")


def population(network, n_ranks, rates=None):
    """Equal-work contiguous cuts moved to the nearest population boundary wherever that
    keeps the rank's work within 10 % of an equal share, so populations stay whole where
    their sizes allow."""
    _check(network, n_ranks)
    work = expected_work(network, rates)
    cum = np.concatenate(([0.0], np.cumsum(work)))
    share = cum[-1] / n_ranks
    cuts = np.searchsorted(np.cumsum(work) - 0.5 * work, share * np.arange(1, n_ranks))
    pop_bounds = np.array([p.first_gid for p in network.populations.values()] + [work.size])
    bounds = [0]
    for cut in cuts:
        nearest = pop_bounds[np.argmin(np.abs(pop_bounds - cut))]
        load = cum[nearest] - cum[bounds[-1]]
        if bounds[-1] < nearest < work.size and 0.9 * share <= load <= 1.1 * share:
            cut = nearest
        bounds.append(max(int(cut), bounds[-1]))
    bounds.append(work.size)
    rank_of = np.repeat(np.arange(n_ranks, dtype=np.int32), np.diff(bounds))
    return Decomposition(n_ranks, rank_of, "population")


def _cut(work, n_ranks):
    """Contiguous ranks of equal cumulative work: each gid goes where its midpoint falls."""
    cum = np.cumsum(work)
    mid = cum - 0.5 * work
    return np.minimum((mid / cum[-1] * n_ranks).astype(np.int64), n_ranks - 1)


BALANCERS = {
    "round_robin": round_robin,
    "block": block,
    "population": population,
    "balanced": balanced,
}


def get_balancer(name):
    try:
        return BALANCERS[name]
    except KeyError:
        raise PartitionError(
            f"balancer {name!r} is not known; use one of {', '.join(BALANCERS)}"
        ) from None
