"""Procedural projections (``connect(..., storage="procedural")``) onto one rank's neurons:
what the kernels regenerate the synapses from at every spike of a source
(kernels/procedural.py: the realisation, which no partition changes): the rules, the
weights' distributions, the tables of the delays in steps, the per-source synapse counts of
fixed_total_number, and where each gid is local.
"""

import math

import numpy as np

from ..distributions import LogNormal, Normal, Uniform
from ..errors import SimulationError
from ..kernels import procedural as kp
from ..kernels.fixed import FIXED_BITS
from ..kernels.state import Procedural
from ..rng import stream_id
from ..rules import FixedOutdegree, PairwiseBernoulli

_Z_MAX = 8.3  # |normal quantile| of an open uniform (p >= 2**-54) stays below this (the
#               ziggurat's tail is unbounded: beyond 8.3 sd has probability 1e-16)
_TABLE_MAX = 1 << 20  # entries of one delay table


def _phi(z):
    """Standard normal CDF, elementwise (accurate in the lower tail)."""
    return 0.5 * np.vectorize(math.erfc)(-np.asarray(z, float) / math.sqrt(2.0))


def weight_spec(value):
    """(W_* kind, proc_flt weight columns, largest |weight|) of a number or distribution."""
    fl = np.zeros(kp.N_PROC_FLT)
    fl[kp.F_LO], fl[kp.F_HI], fl[kp.F_PHI] = -math.inf, math.inf, 1.0
    if isinstance(value, Uniform) or not hasattr(value, "kind"):
        lo, hi = (value.low, value.high) if isinstance(value, Uniform) else (value, value)
        fl[kp.F_A], fl[kp.F_B] = float(lo), float(hi)
        return kp.W_UNIFORM, fl, max(abs(lo), abs(hi))
    if isinstance(value, LogNormal):
        fl[kp.F_A], fl[kp.F_B] = value.mu, value.sigma
        return kp.W_LOGNORMAL, fl, math.exp(value.mu + _Z_MAX * value.sigma)
    assert isinstance(value, Normal)
    fl[kp.F_A], fl[kp.F_B] = value.mean, value.std
    fl[kp.F_LO], fl[kp.F_HI] = value.low, value.high
    kind = kp.W_NORMAL_CLIP
    if value.redraw and value.std > 0:  # redrawing samples the truncated distribution
        fl[kp.F_PLO], fl[kp.F_PHI] = _phi([(b - value.mean) / value.std for b in value.bounds])
        kind = kp.W_NORMAL_REDRAW if fl[kp.F_PHI] - fl[kp.F_PLO] >= 0.5 else kp.W_NORMAL_INVERSE
    reach = _Z_MAX * value.std
    lo, hi = max(value.low, value.mean - reach), min(value.high, value.mean + reach)
    return kind, fl, max(abs(lo), abs(hi))


def delay_cdf(value, dt):
    """(first step, cumulative probabilities of the steps from it) of delays drawn from
    ``value`` (a number or distribution, ms) and rounded to steps, floor(d / dt + 0.5):
    P(step <= k) = P(d < (k + 1/2) dt), with the distribution's bounds (clipped, or with
    ``redraw`` truncated)."""
    if not hasattr(value, "kind"):
        return int(math.floor(value / dt + 0.5)), np.ones(1)
    if isinstance(value, Uniform):
        lo, hi = value.low, value.high

        def cdf(x):
            return np.clip((x - lo) / (hi - lo), 0.0, 1.0) if hi > lo else (x > lo) * 1.0

    elif isinstance(value, LogNormal):
        lo, hi = 0.0, math.exp(value.mu + _Z_MAX * value.sigma)

        def cdf(x):
            with np.errstate(divide="ignore"):
                return _phi((np.log(x) - value.mu) / max(value.sigma, 1e-300))

    else:
        mean, sd = value.mean, max(value.std, 1e-300)
        lo, hi = max(value.low, mean - _Z_MAX * sd), min(value.high, mean + _Z_MAX * sd)
        p_lo, p_hi = _phi([(value.low - mean) / sd, (value.high - mean) / sd])

        def cdf(x):
            p = _phi((x - mean) / sd)
            if value.redraw:
                return np.clip((p - p_lo) / (p_hi - p_lo), 0.0, 1.0)
            return np.where(x <= value.low, 0.0, np.where(x > value.high, 1.0, p))

    k0, k1 = int(math.floor(lo / dt + 0.5)), int(math.floor(hi / dt + 0.5))
    if k1 - k0 >= _TABLE_MAX:
        raise SimulationError(
            f"procedural delay {value}: spans {k1 - k0} steps of dt = {dt} ms, more than a "
            f"delay table holds ({_TABLE_MAX}); narrow it or use storage='stored'"
        )
    steps = np.arange(k0, k1 + 1)
    c = cdf((steps + 0.5) * dt)
    c[-1] = 1.0
    first = int(np.argmax(c > 0))
    last = int(np.argmax(c >= 1.0))
    return k0 + first, c[first : last + 1]


class ProceduralSynapses:
    """The procedural projections of ``network`` onto ``neurons`` (NeuronGroups) of one
    rank; ``arrays``: the kernels' Procedural."""

    def __init__(self, network, neurons):
        self.network = network
        self.projections = [p for p in network.projections if p.storage == "procedural"]
        self.index = {p.name: k for k, p in enumerate(self.projections)}
        n_neurons, dt = network.n_neurons, network.dt
        pops = list(network.populations.values())
        local_of = np.full(n_neurons if self.projections else 0, -1, np.int64)
        if self.projections:
            local_of[neurons.local_gid] = np.arange(neurons.n_local)
        rows_i = np.zeros((len(self.projections), kp.N_PROC_INT), np.int64)
        rows_f = np.zeros((len(self.projections), kp.N_PROC_FLT))
        tables, table_of = [], {}
        counts, offset, max_blocks = [], 0, 1
        self.delay_range = np.zeros((len(self.projections), 2), np.int64)  # steps
        for k, proj in enumerate(self.projections):
            src, tgt = network.populations[proj.source], network.populations[proj.target]
            row, rule = rows_i[k], proj.rule
            row[kp.P_SRC_FIRST], row[kp.P_N_SRC] = src.first_gid, src.size
            row[kp.P_TGT_FIRST], row[kp.P_N_TGT] = tgt.first_gid, tgt.size
            row[kp.P_TGT_POP] = list(network.populations).index(proj.target)
            row[kp.P_SELF] = int(proj.source == proj.target and not rule.allow_autapses)
            row[kp.P_STREAM] = stream_id(proj.name)
            offsets = neurons.local_by_pop[proj.target][0]  # sorted offsets held here
            row[kp.P_BLO], row[kp.P_BHI] = (
                (offsets[0] // kp.PROC_BLOCK, offsets[-1] // kp.PROC_BLOCK)
                if offsets.size
                else (0, -1)
            )
            max_blocks = max(max_blocks, int(row[kp.P_BHI] - row[kp.P_BLO] + 1))
            row[kp.P_COUNTS] = -1
            if isinstance(rule, PairwiseBernoulli):
                row[kp.P_RULE], rows_f[k, kp.F_P] = kp.BERNOULLI, rule.p
            elif isinstance(rule, FixedOutdegree):
                row[kp.P_RULE], row[kp.P_K] = kp.OUTDEGREE, rule.outdegree
            else:
                row[kp.P_RULE] = kp.TOTAL
                if offsets.size:  # the counts are needed where targets are
                    row[kp.P_COUNTS] = offset
                    counts.append(
                        kp.source_counts(network.seed, row[kp.P_STREAM], src.size, rule.N)
                    )
                    offset += src.size
            row[kp.P_WKIND], w_cols, _ = weight_spec(proj.weight)
            rows_f[k, kp.F_A :] = w_cols[kp.F_A :]
            key = repr(proj.delay)
            if key not in table_of:
                table_of[key] = len(tables)
                tables.append(delay_cdf(proj.delay, dt))
            row[kp.P_DTAB] = table_of[key]
            k0, cdf = tables[row[kp.P_DTAB]]
            self.delay_range[k] = (k0, k0 + cdf.size - 1)
        by_pop = [
            [k for k, p in enumerate(self.projections) if p.source == pop.name] for pop in pops
        ]
        d_meta, d_cdf, d_guide = _pack_tables(tables)
        self.arrays = Procedural(
            pop_first=np.array([p.first_gid for p in pops] + [n_neurons], np.int64),
            pop_ptr=np.r_[0, np.cumsum([len(b) for b in by_pop])].astype(np.int64),
            pop_proj=np.array([k for b in by_pop for k in b], np.int64),
            proc_int=rows_i,
            proc_flt=rows_f,
            counts=np.concatenate(counts) if counts else np.zeros(0, np.uint32),
            local_of=local_of,
            src_flag=np.zeros(neurons.n_local, np.uint8),
            seed=np.array([network.seed], np.int64),
            d_meta=d_meta,
            d_cdf=d_cdf,
            d_guide=d_guide,
            block_buf=np.zeros(max_blocks, np.int64),
            buf_i=np.zeros(kp.PROC_BLOCK, np.int64),
            buf_q=np.zeros(kp.PROC_BLOCK, np.int64),
            buf_d=np.zeros(kp.PROC_BLOCK, np.int64),
            gids=np.zeros(neurons.n_local, np.int64),
            steps=np.zeros(neurons.n_local, np.int64),
        )
        rows = self.arrays.proc_int
        here = rows[:, kp.P_BHI] >= rows[:, kp.P_BLO]
        self._pop_is_source = np.array([any(here[k] for k in b) for b in by_pop], np.bool_)
        if self.projections:
            self.arrays.src_flag[:] = self.is_source(neurons.local_gid)

    @property
    def any(self):
        return bool(self.projections)

    @property
    def here(self):
        """Whether any procedural projection has targets on this rank."""
        a = self.arrays.proc_int
        return bool(np.any(a[:, kp.P_BHI] >= a[:, kp.P_BLO]))

    def total(self):
        """The network's procedural synapses: exact for fixed_total_number and
        fixed_outdegree, expected for pairwise_bernoulli."""
        from ..partition.balancers import expected_indegree

        return int(
            round(
                sum(
                    expected_indegree(self.network, p) * self.network.populations[p.target].size
                    for p in self.projections
                )
            )
        )

    def longest_delay_steps(self):
        """The longest delay (steps) a procedural synapse onto this rank can have (0: none)."""
        return int(self.delay_range[:, 1].max(initial=0))

    def target_populations(self):
        return {p.target for p in self.projections}

    def sources(self):
        """(gids, shortest delay in steps) of the sources whose spikes this rank needs: every
        neuron of a source population of a procedural projection with targets here, once
        (with the shortest delay of its projections here; once per projection, the
        multi-area model's 8,344 projections made 199 M gids, 3 GB and more at the build)."""
        shortest = {}
        rows = self.arrays.proc_int
        for k, proj in enumerate(self.projections):
            if rows[k, kp.P_BHI] >= rows[k, kp.P_BLO]:
                d = int(self.delay_range[k, 0])
                shortest[proj.source] = min(shortest.get(proj.source, d), d)
        pops = [self.network.populations[name] for name in shortest]
        gids = [np.arange(p.first_gid, p.first_gid + p.size, dtype=np.int64) for p in pops]
        delays = [np.full(p.size, shortest[p.name], np.int64) for p in pops]
        if not gids:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(gids), np.concatenate(delays)

    def is_source(self, gids):
        """Per gid: its population has procedural projections with targets here."""
        return self._pop_is_source[np.searchsorted(self.arrays.pop_first, gids, "right") - 1]

    def connections(self, name, local_gid):
        """The synapses of procedural projection ``name`` onto this rank's neurons, as
        Simulation.connections gives them (regenerated, the same on every call)."""
        k = self.index[name]
        src = self.network.populations[self.projections[k].source]
        source, local, wq, delay = kp.list_procedural(
            k, self.arrays, src.first_gid, src.first_gid + src.size
        )
        return {
            "source": source,
            "target": local_gid[local],
            "weight": wq * 2.0**-FIXED_BITS,
            "delay": delay * self.network.dt,
        }

    def check_input_range(self):
        """Raise when the weights onto a neuron could sum beyond the fixed-point range (the
        expected in-degree plus ten standard deviations, times the largest weight)."""
        limit = 2.0 ** (62 - FIXED_BITS)
        from ..partition.balancers import expected_indegree

        total = {}
        for proj in self.projections:
            k_in = expected_indegree(self.network, proj)
            reach = weight_spec(proj.weight)[2] * (k_in + 10 * math.sqrt(k_in) + 10)
            total[proj.target] = total.get(proj.target, 0.0) + reach
        for pop, reach in total.items():
            if reach >= limit:
                raise SimulationError(
                    f"Network: population {pop!r} may receive procedural synapses whose "
                    f"absolute weights sum to {reach:.4g}, beyond the fixed-point input range "
                    f"{limit:.4g}; reduce weights or in-degrees"
                )


def _pack_tables(tables):
    """The delay tables (first step, cdf) as the kernels' d_meta, d_cdf, d_guide."""
    meta = np.zeros((len(tables), 5), np.int64)
    cdfs, guides, c_at, g_at = [], [], 0, 0
    for k, (k0, cdf) in enumerate(tables):
        cdf, guide = kp.delay_table(cdf)
        meta[k] = (c_at, cdf.size, k0, g_at, guide.size)
        cdfs.append(cdf)
        guides.append(guide)
        c_at += cdf.size
        g_at += guide.size
    return (
        meta,
        np.concatenate(cdfs) if cdfs else np.zeros(0),
        np.concatenate(guides) if guides else np.zeros(0, np.int64),
    )
