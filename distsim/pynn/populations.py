"""PyNN's Population, PopulationView and Assembly on distsim: the parameters and initial
values of a population in native units (NEST's names), written into the network at the
first run (simulator.py)."""

import numpy as np
from pyNN import common, errors
from pyNN.parameters import ParameterSpace, simplify
from pyNN.standardmodels import StandardCellType

from . import simulator
from .recording import Recorder


class Assembly(common.Assembly):
    _simulator = simulator


def _native(cells, *names):
    """The PyNN parameters ``names`` of ``cells`` (a Population or a view) from the native
    ones (the cell type's translations, reversed)."""
    celltype = cells.celltype
    if not isinstance(celltype, StandardCellType):
        return cells._get_native_parameters(*names)
    if any(name in celltype.computed_parameters() for name in names):
        native = celltype.get_native_names()  # computed ones need all of them
    else:
        native = celltype.get_native_names(*names)
    return celltype.reverse_translate(cells._get_native_parameters(*native))


class PopulationView(common.PopulationView):
    _assembly_class = Assembly
    _simulator = simulator

    def _get_parameters(self, *names):
        return _native(self, *names)

    def _get_native_parameters(self, *names):
        values = {}
        for name in names:
            value = self.parent._parameters[name]
            values[name] = simplify(value[self.mask] if isinstance(value, np.ndarray) else value)
        return ParameterSpace(values, shape=(self.size,))

    def _set_parameters(self, parameter_space):
        self.parent._unbuilt("set parameters")
        for name, value in parameter_space.items():
            self.parent._parameters[name][self.mask] = value.evaluate(simplify=True)

    def _set_initial_value_array(self, variable, initial_values):
        self.parent._unbuilt("initialize")
        values = self.parent._initial.setdefault(variable, np.full(self.parent.size, np.nan))
        values[self.mask] = _evaluated(initial_values, self.size)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


class Population(common.Population):
    __doc__ = common.Population.__doc__
    _simulator = simulator
    _recorder_class = Recorder
    _assembly_class = Assembly

    def _create_cells(self):
        st = simulator.state
        self._index = len(st.populations)
        self.all_cells = np.array(
            [simulator.ID(i) for i in range(st.id_counter, st.id_counter + self.size)],
            dtype=simulator.ID,
        )
        # every rank describes the whole network (distsim distributes it at the build)
        self._mask_local = np.ones(self.size, bool)
        for cell in self.all_cells:
            cell.parent = self
        ps = (
            self.celltype.native_parameters
            if isinstance(self.celltype, StandardCellType)
            else self.celltype.parameter_space
        )
        ps.shape = (self.size,)
        ps.evaluate(simplify=False)
        self._parameters = ps.as_dict()
        self._initial = {}
        self._private = False  # Poisson trains that become Poisson inputs (projections.py)
        st.id_counter += self.size
        st.populations.append(self)

    def _unbuilt(self, what):
        if simulator.state.sim is not None:
            raise errors.NotLocalError(
                f"Population '{self.label}': cannot {what} after the network was built by "
                f"run(); distsim builds it once (call reset() to run it again from t = 0)"
            )

    def _set_initial_value_array(self, variable, initial_values):
        self._unbuilt("initialize")
        self._initial[variable] = _evaluated(initial_values, self.size)

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def _get_parameters(self, *names):
        return _native(self, *names)

    def _get_native_parameters(self, *names):
        return ParameterSpace(
            {name: simplify(self._parameters[name]) for name in names}, shape=(self.size,)
        )

    def _set_parameters(self, parameter_space):
        self._unbuilt("set parameters")
        parameter_space.evaluate(simplify=False)
        for name, value in parameter_space.items():
            self._parameters[name] = value

    @property
    def _name(self):
        """The population's name in the distsim network: its label, made unique."""
        taken = [p.label for p in simulator.state.populations[: self._index]]
        return self.label if self.label not in taken else f"{self.label}#{self._index}"

    def _add_to(self, net):
        """Add this population to ``net`` (a distsim Network), its first gid its first ID."""
        assert net.n_neurons == int(self.first_id)
        model, params = self.celltype._distsim(self)
        net.add_population(self._name, model, self.size, params)


def _evaluated(values, size):
    """Initial values (a LazyArray or numbers) as ``size`` floats."""
    if hasattr(values, "evaluate"):
        values = values.evaluate(simplify=False)
    return np.broadcast_to(np.asarray(values, float), (size,)).copy()
