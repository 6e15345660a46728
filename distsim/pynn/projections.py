"""PyNN's Projection on distsim: PyNN's connectors give the connections (their random
numbers from PyNN's generators, as with any backend); they are kept in native units and
become one ``FromList`` projection of the network per pair of populations at the first run
(views and assemblies resolved to their populations)."""

import numpy as np
from pyNN import common
from pyNN.space import Space

from ..errors import ConfigError
from . import simulator
from .standardmodels import StaticSynapse, STDPMechanism


class Connection(common.Connection):
    """One connection of a projection (indices in its pre- and postsynaptic cells)."""

    def __init__(self, projection, index):
        self.projection, self.index = projection, index

    def __getattr__(self, name):  # indices, weight, delay, synapse parameters (PyNN's units)
        values = self.__dict__["projection"]._attribute(name)
        return values[self.__dict__["index"]]

    def as_tuple(self, *names):
        return tuple(getattr(self, name) for name in names)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = simulator
    _static_synapse_class = StaticSynapse

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(),
                 label=None):  # fmt: skip
        common.Projection.__init__(
            self, presynaptic_population, postsynaptic_population, connector, synapse_type,
            source, receptor_type, space, label,
        )  # fmt: skip
        if simulator.state.sim is not None:
            raise ConfigError(
                f"Projection '{self.label}': the network was built by run(); distsim builds "
                f"it once, so create projections before the first run"
            )
        self._pre_parts, self._post_parts, self._params = [], [], {}
        connector.connect(self)
        self._pre = np.concatenate(self._pre_parts or [np.empty(0, np.int64)])
        self._post = np.concatenate(self._post_parts or [np.empty(0, np.int64)])
        self._params = {k: np.concatenate(v) for k, v in self._params.items()}
        self._index = len(simulator.state.projections)
        simulator.state.projections.append(self)

    def __len__(self):
        return self._pre.size

    def __getitem__(self, i):
        return Connection(self, i)

    @property
    def connections(self):
        return [Connection(self, i) for i in range(len(self))]

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):  # fmt: skip
        if location_selector is not None:
            raise ConfigError("distsim.pynn: neurons are points; no location_selector")
        pre = np.asarray(presynaptic_indices, np.int64).ravel()
        self._pre_parts.append(pre)
        self._post_parts.append(np.full(pre.size, int(postsynaptic_index), np.int64))
        for name, value in connection_parameters.items():
            values = np.broadcast_to(np.asarray(value, float), pre.shape).copy()
            self._params.setdefault(name, []).append(values)

    def _attribute(self, name):
        """The values of attribute ``name`` for every connection (PyNN's units; synapse
        parameters by their native names or PyNN's); the weights of plastic synapses are read
        from the simulation once it is built."""
        if name == "presynaptic_index":
            return self._pre
        if name == "postsynaptic_index":
            return self._post
        plastic = isinstance(self.synapse_type, STDPMechanism)
        if name == "weight" and plastic and simulator.state.sim is not None:
            return self._weights_now()
        if name not in self._params:  # a synapse parameter: PyNN's name -> native
            native = self.synapse_type.get_native_names(name)
            if len(native) == 1 and native[0] in self._params:
                return self._params[native[0]]
            raise AttributeError(name)
        return self._params[name]

    def _get_attributes_as_list(self, names):
        return list(zip(*(self._attribute(n) for n in names)))

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        combine = self.MULTI_SYNAPSE_OPERATIONS[multiple_synapses]
        out = []
        for name in names:
            values = np.full((self.pre.size, self.post.size), np.nan)
            for i, j, v in zip(self._pre, self._post, self._attribute(name.removesuffix("s"))):
                values[i, j] = v if np.isnan(values[i, j]) else combine(values[i, j], v)
            out.append(values)
        return out

    def _set_attributes(self, parameter_space):
        if simulator.state.sim is not None:
            raise ConfigError(
                f"Projection '{self.label}': cannot set connection attributes after the "
                f"network was built by run()"
            )
        parameter_space.evaluate(mask=(slice(None), slice(None)))
        shape = (self.pre.size, self.post.size)
        for name, value in parameter_space.items():
            full = np.broadcast_to(np.asarray(value, float), shape)
            self._params[name] = full[self._pre, self._post].copy()

    # ------------------------------------------------------------------ the network
    def _groups(self):
        """(pre population, post population, connection mask, pre offsets, post offsets)
        of the connections, grouped by the populations the indices fall in."""
        pre_pop, pre_off = _resolve(self.pre, self._pre)
        post_pop, post_off = _resolve(self.post, self._post)
        for a in np.unique(pre_pop):
            for b in np.unique(post_pop):
                mask = (pre_pop == a) & (post_pop == b)
                if mask.any():
                    yield a, b, mask, pre_off[mask], post_off[mask]

    def _add_to(self, net):
        from distsim import FromList

        pops = simulator.state.populations
        synapse = self.synapse_type._distsim()
        self._names = {}  # (pre, post population index) -> the network's projection
        for a, b, mask, pre, post in self._groups():
            target = pops[b].celltype
            scale = target.weight_scale
            weight = self._params["weight"][mask] * scale
            if self.receptor_type == "inhibitory" and target.conductance_based:
                weight = -weight  # NEST's (and distsim's) sign of inhibitory conductances
            if pops[a]._private:
                _poisson_inputs(
                    net, pops[a], pops[b], pre, post, weight, self._params["delay"][mask]
                )
                continue
            spec = None
            if synapse is not None:
                spec = dict(synapse)
                if "Wmax" in spec:
                    spec["Wmax"] = spec["Wmax"] * scale
            prj = net.connect(
                pops[a]._name, pops[b]._name, FromList(pre, post), weight=weight,
                delay=self._params["delay"][mask], synapse=spec,
                name=f"{self.label or 'projection'}:{pops[a]._name}->{pops[b]._name}",
            )  # fmt: skip
            self._names[(a, b)] = prj.name
            if synapse is not None and synapse.get("synapse_model") == "stdp_synapse":
                _set_tau_minus(net, pops[b]._name, self.synapse_type._tau_minus())

    def _weights_now(self):
        """The weights of the connections now (PyNN's units), from the simulation."""
        sim = simulator.state.sim
        pops = simulator.state.populations
        out = np.array(self._params["weight"], float)
        for a, b, mask, pre, post in self._groups():
            c = sim.connections(self._names[(a, b)])
            got = sim.context.gather(c)
            if sim.context.rank != 0:
                continue
            src = np.concatenate([g["source"] for g in got]) - int(pops[a].first_id)
            tgt = np.concatenate([g["target"] for g in got]) - int(pops[b].first_id)
            w = np.concatenate([g["weight"] for g in got]).astype(float)
            order = np.lexsort((tgt, src))
            want = np.lexsort((post, pre))
            idx = np.flatnonzero(mask)[want]
            scale = pops[b].celltype.weight_scale
            sign = (
                -1.0
                if self.receptor_type == "inhibitory" and pops[b].celltype.conductance_based
                else 1.0
            )
            out[idx] = w[order] / scale * sign
        return out


def _set_tau_minus(net, population, tau_minus):
    pop = net.populations[population]
    if "tau_minus" not in pop.model.parameter_names():
        raise ConfigError(f"Population '{population}': its model has no tau_minus for STDP")
    object.__setattr__(pop.model, "tau_minus", float(tau_minus))


def _resolve(cells, indices):
    """(population index, offset in it) of ``indices`` into ``cells`` (a Population, a view
    or an Assembly)."""
    ids = np.asarray(cells.all_cells, dtype=np.int64)[indices]
    firsts = np.array([int(p.first_id) for p in simulator.state.populations])
    pop = np.searchsorted(firsts, ids, side="right") - 1
    return pop, ids - firsts[pop]


MAX_POISSON_GROUPS = 1000  # distinct (rate, start, stop, weight, delay) of one source population


def private_poisson_sources(populations, projections):
    """The SpikeSourcePoisson populations that may become Poisson inputs of their targets:
    not recorded, every train reaching one synapse at most (a train of its own is a Poisson
    input, drawn as NEST draws it: counts per step, no horizon), with few distinct
    (rate, start, stop, weight, delay)."""
    private = set()
    for pop in populations:
        if type(pop.celltype).__name__ != "SpikeSourcePoisson" or any(
            ids for ids in pop.recorder.recorded.values()
        ):
            continue
        uses, combos = np.zeros(pop.size, np.int64), set()
        for prj in projections:
            for a, _, mask, pre, _ in prj._groups():
                if populations[a] is pop:
                    np.add.at(uses, pre, 1)
                    trains = [np.broadcast_to(pop._parameters[k], pop.size)[pre]
                              for k in ("rate", "start", "stop")]  # fmt: skip
                    params = (prj._params["weight"][mask], prj._params["delay"][mask])
                    combos |= set(zip(*trains, *params))
        if uses.max(initial=0) <= 1 and len(combos) <= MAX_POISSON_GROUPS:
            private.add(pop._index)
    return private


def _poisson_inputs(net, source, target, pre, post, weight, delay):
    """The synapses from the private Poisson trains ``pre`` of ``source`` as Poisson inputs
    of ``target`` (a neuron with several such trains gets several inputs)."""
    p = {k: np.broadcast_to(np.asarray(source._parameters[k], float), (source.size,))[pre]
         for k in ("rate", "start", "stop")}  # fmt: skip
    keys = np.stack([p["rate"], p["start"], p["stop"], weight, delay], axis=1)
    combos, which = np.unique(keys, axis=0, return_inverse=True)
    for g, (rate, start, stop, w, d) in enumerate(combos):
        neurons = np.sort(post[which.ravel() == g])
        level = 0
        while neurons.size:  # one input per train: a neuron listed twice gets two
            first = np.r_[True, neurons[1:] != neurons[:-1]]
            net.add_poisson_input(
                target._name, rate, weight=w, delay=d, start=start, stop=stop,
                neurons=neurons[first], name=f"{source._name}->{target._name}#{g}.{level}",
            )  # fmt: skip
            neurons, level = neurons[~first], level + 1
