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

    def _spikes(self):
        """(times, gids) of the population's recorded spikes, on every rank."""
        sim = simulator.state.sim
        if sim is None:
            return np.empty(0), np.empty(0, np.int64)
        times, gids = sim.spikes(self.population._name)
        got = _everywhere(sim, (np.ravel(times), np.ravel(gids)))
        return (np.concatenate([g[0] for g in got]),
                np.concatenate([g[1] for g in got]).astype(np.int64))  # fmt: skip

    def _get_spiketimes(self, ids, clear=False):
        times, gids = self._spikes()
        if not len(ids):  # (PyNN's time-array form fails on no cells)
            return {}
        wanted = np.asarray([int(i) for i in ids], np.int64)
        keep = np.isin(gids, wanted) & (times > self._recording_start_time.magnitude - 1e-9)
        return gids[keep].astype(int), times[keep] - self._t_offset()

    def _t_offset(self):
        return 0.0

    def _get_all_signals(self, variable, ids, clear=False):
        sim = simulator.state.sim
        if sim is None or variable.name not in self._state_index:
            return np.zeros((0, len(ids))), None
        data = sim.states(self._state_index[variable.name])
        native = self.population.celltype.variable_map[variable.name]
        gids = np.ravel(data["gids"])
        local = np.asarray(data[native], float).reshape(-1, gids.size) if gids.size else None
        got = [g for g in _everywhere(sim, (gids, local)) if g[0].size]
        gids = np.concatenate([g[0] for g in got])
        scale = self.population.celltype.scale_factors[variable.name]
        values = np.concatenate([g[1] for g in got], axis=1) * scale
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
