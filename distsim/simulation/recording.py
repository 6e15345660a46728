"""What a rank's steps leave behind (kernels/state.py Output): the recorded spikes, the
spikes for other ranks, the counters, hardware counters, and the samplers of state
variables and plastic weights; the buffers grow instead of dropping anything.

A sampler is a dict: ``gids`` (the sampled neurons; weights: the synapses' targets,
``sources`` their sources; histograms: the bin indices, ``edges``), ``interval`` (steps), the
buffered ``steps`` and ``values`` (one list per variable), and what it reads (``idx`` and
``cols`` of the neurons, or ``index`` of the plastic weights).
"""

import numpy as np

from .. import arrays
from ..kernels.engine import C_OUT, C_RECORDED, N_COUNTERS
from ..kernels.state import Output

INITIAL_RECORD_CAPACITY = 1 << 16


class Recorders:
    """The Output of ``neurons`` (NeuronGroups) with ``n_rows`` source rows; hardware
    counters when ``hardware_counters``; the send flags come with the routing
    (``set_send_flag``)."""

    def __init__(self, network, neurons, n_rows, hardware_counters):
        n = neurons.n_local
        rec_flag = arrays.zeros(n, np.bool_)
        for rec in network.spike_recorders:
            _, idx = neurons.targets(rec.population, rec.neurons)
            rec_flag[idx] = True
        cap = max(INITIAL_RECORD_CAPACITY, 2 * n)
        n_count = n if hardware_counters else 0
        self.arrays = Output(
            rec_flag,
            neurons.local_gid,
            np.empty(cap, np.int64),
            np.empty(cap, np.int64),
            np.zeros(n, np.bool_),
            arrays.zeros(cap, np.int64),
            arrays.zeros(cap, np.int64),
            arrays.zeros(N_COUNTERS, np.int64),
            arrays.zeros(n, np.int64),
            arrays.zeros(n, np.int64),
            arrays.zeros(n, np.int64),
            arrays.zeros(n_count, np.int64),
            arrays.zeros(n_count, np.int64),
            arrays.zeros(n_rows if hardware_counters else 0, np.int64),
        )
        self.samplers = []
        for rec in network.state_recorders:
            gids, idx = neurons.targets(rec.population, rec.neurons)
            self.samplers.append(
                {
                    "rec": rec,
                    "gids": gids,
                    "idx": idx,
                    "cols": neurons.columns(rec.population, idx),
                    "interval": int(round(rec.interval / network.dt)),
                    "model": network.populations[rec.population].model,
                    "steps": [],
                    "values": {v: [] for v in rec.variables},
                }
            )

    @property
    def counters(self):
        return self.arrays.counters

    def set_send_flag(self, flag):
        self.arrays = self.arrays._replace(send_flag=flag)

    def add_weight_samplers(self, network, state):
        """Samplers of the weight recorders (after the state samplers, written alike), from
        the plastic ``state`` (PlasticSynapses.state): the local synapses onto the chosen
        neurons, and the local histogram (the store sums the ranks')."""
        names = [p.name for p in network.projections]
        dt = network.dt
        for rec in network.weight_recorders:
            p = names.index(rec.projection)
            tgt = network.populations[network.projections[p].target]
            in_proj = state["syn_key"][:, 0] == p
            chosen = in_proj & np.isin(
                state["syn_key"][:, 2], tgt.first_gid + np.array(rec.neurons, np.int64)
            )
            index = np.flatnonzero(chosen)
            index = index[
                np.lexsort(
                    (
                        state["syn_key"][index, 3],
                        state["syn_key"][index, 1],
                        state["syn_key"][index, 2],
                    )
                )
            ]
            interval = int(round(rec.interval / dt))
            self.samplers.append(
                {
                    "rec": rec,
                    "kind": "weights",
                    "gids": state["syn_key"][index, 2],
                    "sources": state["syn_key"][index, 1],
                    "index": index,
                    "interval": interval,
                    "steps": [],
                    "values": {"weight": []},
                }
            )
            self.samplers.append(
                {
                    "rec": rec,
                    "kind": "histogram",
                    "gids": np.arange(len(rec.bins) - 1),
                    "edges": rec.bins,
                    "index": np.flatnonzero(in_proj),
                    "interval": interval,
                    "steps": [],
                    "values": {"count": []},
                }
            )

    def sample(self, step, neurons, weights):
        """Take the samples due at ``step`` (``weights``: the plastic weights, float64)."""
        for s in self.samplers:
            if step % s["interval"]:
                continue
            s["steps"].append(step)
            kind = s.get("kind")
            if kind == "weights":
                s["values"]["weight"].append(weights[s["index"]].copy())
            elif kind == "histogram":
                counts = np.histogram(weights[s["index"]], s["edges"])[0]
                s["values"]["count"].append(counts.astype(np.float64))
            else:
                for var in s["rec"].variables:
                    s["values"][var].append(
                        s["model"].record(var, neurons.par, neurons.st, s["idx"], s["cols"])
                    )

    def next_sample(self, step):
        """The first step after ``step`` at which some sampler samples (None: none)."""
        due = [(step // s["interval"] + 1) * s["interval"] for s in self.samplers]
        return min(due) if due else None

    def grow(self):
        """Double the spike record and outgoing buffers: spikes are never dropped."""
        a = self.arrays
        grown = {}
        for name in ("rec_step", "rec_gid", "out_step", "out_local"):
            old = getattr(a, name)
            new = arrays.zeros(2 * old.size, np.int64)
            new[: old.size] = old
            grown[name] = new
        self.arrays = a._replace(**grown)

    def recorded(self):
        """This rank's recorded spikes still in memory: (steps, gids), copies."""
        a, n = self.arrays, self.arrays.counters[C_RECORDED]
        return a.rec_step[:n].copy(), a.rec_gid[:n].copy()

    def flush(self, writer, step):
        """Hand the buffered spikes and samples to ``writer`` (valid up to ``step``) and
        empty the buffers."""
        a, n = self.arrays, self.arrays.counters[C_RECORDED]
        writer.flush(a.rec_step[:n], a.rec_gid[:n], self.samplers, step)
        a.counters[C_RECORDED] = 0
        for s in self.samplers:
            s["steps"].clear()
            for vals in s["values"].values():
                vals.clear()

    def buffered_bytes(self):
        return 16 * int(self.arrays.counters[C_RECORDED])

    def room_for(self, n):
        """True when the outgoing buffer holds ``n`` more spikes."""
        return self.arrays.out_step.size - self.arrays.counters[C_OUT] >= n

    def outgoing(self):
        """This chunk's outgoing spikes (steps, local indices) and empty the queue."""
        a, n = self.arrays, int(self.arrays.counters[C_OUT])
        a.counters[C_OUT] = 0
        return a.out_step[:n], a.out_local[:n]

    def buffered_samples(self, index):
        """Sampler ``index``'s samples in memory: (steps, {variable: (samples, gids)})."""
        s = self.samplers[index]
        steps = np.array(s["steps"], np.int64)
        return steps, {
            var: np.array(vals).reshape(steps.size, s["gids"].size)
            for var, vals in s["values"].items()
        }
