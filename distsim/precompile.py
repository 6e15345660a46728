"""``distsim compile``: compile a network's step kernels before a batch job, from its
description alone (nothing is built), so that its ranks load them from the kernel cache
instead of each compiling them (kernels/compose.py, kernels/kernel_cache.py).

The kernels of a rank depend on the network's models and plastic rules and on two types of
its synapse table: local targets as uint16 (target populations of up to 65,536 neurons on the
rank, connectivity.target_dtype) or uint32, drawn delays as uint8 (up to 255 steps) or
uint16.  The plans of every rank of the decomposition the run will use are compiled once
each.  The build's own kernels (connection rules) compile at the first build (about 2 s).
"""

import time

import numpy as np

from .connectivity import rank_target_dtypes
from .distributions import varies_per_synapse
from .kernels.compose import KernelPlan, kernels
from .kernels.plasticity import C_PAIRING
from .kernels.state import empty_state
from .memory import largest_value
from .simulation.neurons import kernel_models


def rank_plans(network, n_ranks=1, balancer="block", threads=1):
    """The distinct (KernelPlan, target dtype, delay dtype) of the ranks of a run with
    ``threads`` threads per rank."""
    from .partition import get_balancer

    dec = get_balancer(balancer)(network, n_ranks)
    plastic = [p for p in network.projections if p.synapse is not None]
    rules = tuple(
        sorted(
            {(int(row[0]), int(row[C_PAIRING])) for row in (p.synapse.rule_row() for p in plastic)}
        )
    )
    procedural = any(p.storage == "procedural" for p in network.projections)
    plan = KernelPlan(
        models=kernel_models(network), rules=rules, procedural=procedural, threads=threads > 1
    )
    delay = np.uint16 if _longest_drawn_delay(network) > np.iinfo(np.uint8).max else np.uint8
    targets = set(rank_target_dtypes(network, dec))
    return [(plan, target, delay) for target in sorted(targets, key=str)]


def _longest_drawn_delay(network):
    """The longest drawn delay (steps) expected among the network's synapses."""
    longest = 0.0
    for p in network.projections:
        if varies_per_synapse(p.delay):
            n = _expected_count(network, p)
            longest = max(longest, largest_value(p.delay, n) / network.dt)
    return longest


def _expected_count(network, proj):
    from .partition.balancers import expected_indegree

    return expected_indegree(network, proj) * network.populations[proj.target].size


def compile_plan(plan, target_dtype, delay_dtype):
    """Compile (or load from the cache) the kernels of one plan: call them with empty
    arrays of the run's types, which does nothing."""
    module = kernels(plan)
    nrn, inp, stim, syn, plast, out, proc, thr = empty_state(
        target_dtype, delay_dtype, plan.procedural
    )
    none = np.empty(0, np.int64)
    module.advance(0, 0, 0.1, 1, 0, nrn, inp, stim, syn, plast, out, proc, thr)
    module.deliver(none, none, 0, 0, 1, 0.1, inp, syn, plast)
    if plan.procedural:  # remote spikes' procedural synapses
        from .kernels.procedural import deliver_procedural

        deliver_procedural(none, none, 0, 0, 1, inp, proc)


def precompile(network, n_ranks=1, balancer="block", threads=1):
    """Compile the kernels every rank of such a run needs; [(plan text, seconds)]."""
    done = []
    for plan, target, delay in rank_plans(network, n_ranks, balancer, threads):
        t0 = time.perf_counter()
        compile_plan(plan, target, delay)
        done.append(
            (
                f"{plan.describe()}; targets {np.dtype(target).name}, delays "
                f"{np.dtype(delay).name}",
                time.perf_counter() - t0,
            )
        )
    return done
