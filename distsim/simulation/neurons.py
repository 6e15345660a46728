"""The neuron groups of one rank: one group per population, laid out population by
population; parameters and initial states drawn from streams keyed by (seed, PARAM,
"pop.param", gid) and lowered by each model into the kernels' rows (models/base.py).

Event-driven groups: populations whose model can be computed only when input reaches a
neuron (``model.event_driven``, e.g. iaf_psc_delta), whose neurons rest below threshold and
receive nothing but synaptic input (no Poisson, no DC, no sampled state, no plastic inputs),
are computed only in the steps in which input arrives (the model's ``update_events``), so a
silent neuron costs nothing; ``last[i]`` is the step neuron i was last computed in,
``lazy_col[i]`` its parameter column.
"""

import numpy as np

from .. import arrays
from ..distributions import is_distribution
from ..errors import ModelError
from ..kernels import connect as ck
from ..kernels.state import Neurons
from ..models.base import par_rows_of, state_rows_of
from ..rng import PARAM, stream_id


class NeuronGroups:
    """``local_gid`` (int64, sorted) of ``network`` on this rank, in groups.  ``arrays``:
    the kernels' Neurons; ``local_by_pop[pop]``: (offsets in the population, local
    indices); ``pop_slice[pop]``: (lo, hi) local indices; ``ss_step``/``ss_local``: the
    spike sources' scheduled spikes by step."""

    def __init__(self, network, local_gid):
        self.network = network
        self.local_gid = local_gid
        self.n_local = n = local_gid.size
        st = arrays.zeros((state_rows_of(network), n))
        refr = arrays.zeros(n, np.int32)
        model, lo_, hi_, pbase, pstride, par_blocks = [], [], [], [], [], []
        n_cols = 0
        par_rows = par_rows_of(network)
        self.local_by_pop, self.pop_slice = {}, {}
        sched_step, sched_local = [], []
        lo = 0
        for pop in network.populations.values():
            sel = local_gid[(local_gid >= pop.first_gid) & (local_gid < pop.first_gid + pop.size)]
            hi = lo + sel.size
            offsets = sel - pop.first_gid
            self.local_by_pop[pop.name] = (offsets, np.arange(lo, hi, dtype=np.int64))
            self.pop_slice[pop.name] = (lo, hi)
            model.append(pop.model.model_id)
            lo_.append(lo)
            hi_.append(hi)
            pbase.append(n_cols)
            pstride.append(0)
            if pop.model.is_source_only:
                steps = pop.model.schedule(network.dt, f"Population '{pop.name}'")
                for k, off in enumerate(offsets):
                    sched_step.append(steps[off])
                    sched_local.append(np.full(steps[off].size, lo + k, np.int64))
            elif sel.size:
                par, state = _lower(network, pop, sel, offsets)
                st[: state.shape[0], lo:hi] = state
                if np.array_equal(par, np.broadcast_to(par[:, :1], par.shape), equal_nan=True):
                    par = par[:, :1]  # one parameter set shared by the population
                else:
                    pstride[-1] = 1
                if par.shape[0] < par_rows:  # a model with fewer rows than another's
                    par = np.pad(par, ((0, par_rows - par.shape[0]), (0, 0)))
                par_blocks.append(par)
                n_cols += par.shape[1]
            lo = hi
        par = np.concatenate(par_blocks, axis=1) if par_blocks else arrays.zeros((par_rows, 1))
        if sched_step:
            s, loc = np.concatenate(sched_step), np.concatenate(sched_local)
            order = np.lexsort((loc, s))
            self.ss_step, self.ss_local = s[order], loc[order]
        else:
            self.ss_step = self.ss_local = np.empty(0, np.int64)
        g = len(model)
        self.arrays = Neurons(
            np.array(model, np.int64),
            np.array(lo_, np.int64),
            np.array(hi_, np.int64),
            np.array(pbase, np.int64),
            np.array(pstride, np.int64),
            np.zeros(g, np.uint8),
            par,
            st,
            refr,
            np.empty(0, np.int64),
            np.empty(0, np.int64),
        )

    @property
    def st(self):
        return self.arrays.st

    @property
    def refr(self):
        return self.arrays.refr

    @property
    def par(self):
        return self.arrays.par

    def targets(self, population, neurons):
        """(gids, local indices) of the local neurons of ``population`` (all of them, or the
        given neuron indices)."""
        offsets, local_idx = self.local_by_pop[population]
        pop = self.network.populations[population]
        if neurons is not None:
            keep = np.isin(offsets, np.asarray(neurons, dtype=np.int64))
            offsets, local_idx = offsets[keep], local_idx[keep]
        return pop.first_gid + offsets, local_idx

    def columns(self, population, local_idx):
        """The parameter columns of local neurons ``local_idx`` of ``population``."""
        g = list(self.network.populations).index(population)
        a = self.arrays
        return a.pbase[g] + (local_idx - a.lo[g]) * a.pstride[g]

    def make_event_driven(self, enabled):
        """Mark event-driven the groups of ``event_driven_groups``; returns the local
        indices of their neurons."""
        a = self.arrays
        lazy = event_driven_groups(self.network, enabled)
        local = np.concatenate(
            [np.arange(lo, hi) for lo, hi, flag in zip(a.lo, a.hi, lazy) if flag]
            or [np.empty(0, np.int64)]
        ).astype(np.int64)
        n = self.n_local if local.size else 0
        lazy_col, last = arrays.zeros(n, np.int64), arrays.zeros(n, np.int64)
        for g in np.flatnonzero(lazy):
            lo, hi = a.lo[g], a.hi[g]
            lazy_col[lo:hi] = a.pbase[g] + np.arange(hi - lo) * a.pstride[g]
        self.arrays = a._replace(lazy=lazy, lazy_col=lazy_col, last=last)
        self.lazy_local = local
        return local

    def catch_up(self, step):
        """Bring the event-driven neurons' state to ``step`` (before it is read)."""
        if self.lazy_local.size:
            for module in self.event_modules():
                module.catch_up(step, self.arrays)

    def event_modules(self):
        """The modules of the event-driven groups' models (their update_events, catch_up)."""
        return event_modules(self.network, self.arrays.lazy)


def event_driven_groups(network, enabled):
    """uint8 per population: computed only when input reaches a neuron (module docstring):
    its model allows it, its neurons rest below threshold, and it is not a target of
    stimuli, samplers, plastic or procedural synapses."""
    driven = {s.target for s in (*network.poisson_inputs, *network.dc_inputs)}
    driven |= {r.population for r in network.state_recorders}
    driven |= {
        p.target for p in network.projections if p.synapse is not None or p.storage != "stored"
    }
    return np.array(
        [
            enabled
            and pop.model.event_driven
            and pop.model.rests_below_threshold()
            and pop.name not in driven
            for pop in network.populations.values()
        ],
        np.uint8,
    )


def event_modules(network, lazy):
    """The modules of the models of the event-driven groups ``lazy`` (uint8 per
    population)."""
    import importlib

    pops = list(network.populations.values())
    return [
        importlib.import_module(m)
        for m in sorted({type(pops[g].model).__module__ for g in np.flatnonzero(lazy)})
    ]


def kernel_models(network):
    """(registry id, module) of the network's models with an update kernel, sorted by id."""
    return tuple(
        sorted(
            {
                (pop.model.model_id, type(pop.model).__module__)
                for pop in network.populations.values()
                if not pop.model.is_source_only
            }
        )
    )


def _lower(network, pop, sel, offsets):
    """(par, st) of population ``pop``'s local neurons ``sel`` (gids; ``offsets`` in the
    population): per-neuron values drawn or taken, checked and lowered by the model."""
    values = {}
    for name, value in pop.model.values().items():
        if is_distribution(value):
            keys = ck.keys_for(network.seed, PARAM, stream_id(f"{pop.name}.{name}"), sel)
            values[name] = value.draw(keys, np.zeros(sel.size, np.int64))
        elif isinstance(value, np.ndarray):  # one value per neuron
            values[name] = value[offsets]
        else:
            values[name] = np.full(sel.size, float(value))
    try:
        pop.model.check(values)
    except ModelError as exc:
        raise ModelError(f"Population '{pop.name}': {exc}") from None
    return pop.model.lower(values, network.dt)
