"""PyNN's recorder on distsim: spikes and sampled state variables of the simulation, in
PyNN's units, with the initial value at t = 0 first, as pyNN.nest gives it.  distsim
records each neuron on the rank that computes it; the recorder gathers them, so every rank
has all the data and PyNN's own gathering (``gather=True``) is not needed: ``get`` and
``count`` are PyNN's, without it (``write_data`` still writes on rank 0 only)."""

import numpy as np
from pyNN import recording

from ..errors import ConfigError
from . import simulator


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        super().__init__(population, file)
        self._state_index = {}  # variable name -> index of its state recorder in the network
        self._cache = None  # (simulation and step, spikes, samples): see _collected

    def _record(self, variable, new_ids, sampling_interval=None):
        if simulator.state.sim is not None:
            raise ConfigError(
                f"Population '{self.population.label}': record() after the network was "
                f"built by run(); call it before the first run"
            )
        if sampling_interval is not None:
            self.sampling_interval = sampling_interval
        simulator.state.recorders.add(self)

    def get(self, variables, gather=False, filter_ids=None, clear=False, annotations=None,
            locations=None):  # fmt: skip
        return super().get(variables, False, filter_ids, clear, annotations, locations)

    def count(self, variable, gather=True, filter_ids=None):
        return super().count(variable, False, filter_ids)

    def _add_to(self, net):
        """Ask ``net`` for the recordings: of every neuron of the population recorded."""
        pop = self.population
        for variable, ids in self.recorded.items():
            if not ids:
                continue
            offsets = sorted(int(i) - int(pop.first_id) for i in ids)
            if variable.name == "spikes":
                net.record_spikes(pop._name, offsets)
            else:
                native = pop.celltype.variable_map[variable.name]
                self._state_index[variable.name] = len(net.state_recorders)
                net.record_state(pop._name, [native], self.sampling_interval, offsets)

    def _collected(self):
        """Everything the population recorded, from every rank, on every rank: (spike times,
        spike gids, {variable: (gids, samples x neurons in PyNN's units)}).  One collective
        call per run (PyNN asks for the variables in an order that can differ between
        processes: a collective call per variable could pair different ones)."""
        sim = simulator.state.sim
        key = (id(sim), sim.step)
        if self._cache is None or self._cache[0] != key:
            times, gids = sim.spikes(self.population._name)
            states = {}
            for name, index in sorted(self._state_index.items()):
                data = sim.states(index)
                g = np.ravel(data["gids"])
                native = self.population.celltype.variable_map[name]
                values = np.asarray(data[native], float).reshape(-1, g.size) if g.size else None
                scale = self.population.celltype.scale_factors[name]
                states[name] = (g, values * scale if g.size else None)
            parts = _everywhere(sim, (np.ravel(times), np.ravel(gids).astype(np.int64), states))
            merged = {}
            for name in self._state_index:
                got = [p[2][name] for p in parts if p[2][name][0].size]
                merged[name] = (
                    np.concatenate([g for g, _ in got]),
                    np.concatenate([v for _, v in got], axis=1),
                )
            spikes = (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
            self._cache = (key, spikes, merged)
        return self._cache[1], self._cache[2]

    def _spikes(self):
        """(times, gids) of the population's recorded spikes, on every rank."""
        if simulator.state.sim is None:
            return np.empty(0), np.empty(0, np.int64)
        return self._collected()[0]

    def _get_spiketimes(self, ids, clear=False):
        times, gids = self._spikes()
        if not len(ids):  # (PyNN's time-array form fails on no cells)
            return {}
        wanted = np.asarray([int(i) for i in ids], np.int64)
        keep = np.isin(gids, wanted) & (times > self._recording_start_time.magnitude - 1e-9)
        return gids[keep].astype(int), times[keep]

    def _get_all_signals(self, variable, ids, clear=False):
        sim = simulator.state.sim
        if sim is None or variable.name not in self._state_index:
            return np.zeros((0, len(ids))), None
        gids, values = self._collected()[1][variable.name]
        column = {int(g): k for k, g in enumerate(gids)}
        cols = [column[int(i)] for i in ids]
        initial = np.array([self._initial_value(variable.name, i) for i in ids])
        return np.vstack([initial[None, :], values[:, cols]]), None

    def _initial_value(self, name, cell):
        pop = self.population
        k = int(cell) - int(pop.first_id)
        if name in pop._initial:
            return float(pop._initial[name][k])
        return float(pop.celltype.default_initial_values.get(name, np.nan))

    def _local_count(self, variable, filter_ids=None):
        times, gids = self._spikes()
        ids = self.filter_recorded(variable, filter_ids)
        return {int(i): int(np.count_nonzero(gids == int(i))) for i in ids}

    def _clear_simulator(self):
        pass

    def _reset(self):
        pass


def _everywhere(sim, part):
    """Every rank's ``part``, in rank order, on every rank."""
    return sim.context.bcast(sim.context.gather(part))
