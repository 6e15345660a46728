"""PyNN's standard cell and synapse types on distsim: translation tables from PyNN's names
and units (mV, nA, nF, uS, ms) to distsim's models, which take NEST's names and units (mV, pA,
pF, nS, ms).  A cell type names its distsim model (``model``), maps its recordable and
initial state variables to the model's (``variable_map``) with their scale from the model's
units to PyNN's (``scale_factors``); ``_distsim(population)`` gives the model and its
per-neuron parameters for the network."""

import numpy as np
from pyNN.standardmodels import build_translations, cells, electrodes, synapses

from ..errors import ConfigError
from . import simulator

__all__ = [
    "IF_curr_exp",
    "IF_curr_alpha",
    "IF_curr_delta",
    "IF_cond_exp",
    "IF_cond_alpha",
    "EIF_cond_exp_isfa_ista",
    "EIF_cond_alpha_isfa_ista",
    "Izhikevich",
    "HH_cond_exp",
    "SpikeSourceArray",
    "SpikeSourcePoisson",
    "StaticSynapse",
    "TsodyksMarkramSynapse",
    "STDPMechanism",
    "SpikePairRule",
    "AdditiveWeightDependence",
    "MultiplicativeWeightDependence",
    "AdditivePotentiationMultiplicativeDepression",
    "GutigWeightDependence",
    "DCSource",
    "StepCurrentSource",
    "ACSource",
    "NoisyCurrentSource",
]

NA = 1000.0  # nA -> pA, nF -> pF, uS -> nS

_IAF = (
    ("v_rest", "E_L"),
    ("v_reset", "V_reset"),
    ("cm", "C_m", NA),
    ("tau_m", "tau_m"),
    ("tau_refrac", "t_ref"),
    ("v_thresh", "V_th"),
    ("i_offset", "I_e", NA),
)
_SYN = (("tau_syn_E", "tau_syn_ex"), ("tau_syn_I", "tau_syn_in"))
_COND = (
    ("v_rest", "E_L"),
    ("v_reset", "V_reset"),
    ("cm", "C_m", NA),
    ("tau_m", "g_L", "cm/tau_m*1000.0", "C_m/g_L"),  # g_L = C_m / tau_m, in nS
    ("tau_refrac", "t_ref"),
    ("v_thresh", "V_th"),
    ("i_offset", "I_e", NA),
    ("e_rev_E", "E_ex"),
    ("e_rev_I", "E_in"),
) + _SYN
_ADEX = (
    ("cm", "C_m", NA),
    ("tau_refrac", "t_ref"),
    ("v_spike", "V_peak"),
    ("v_reset", "V_reset"),
    ("v_rest", "E_L"),
    ("tau_m", "g_L", "cm/tau_m*1000.0", "C_m/g_L"),
    ("i_offset", "I_e", NA),
    ("a", "a"),
    ("b", "b", NA),
    ("delta_T", "Delta_T"),
    ("tau_w", "tau_w"),
    ("v_thresh", "V_th"),
    ("e_rev_E", "E_ex"),
    ("tau_syn_E", "tau_syn_ex"),
    ("e_rev_I", "E_in"),
    ("tau_syn_I", "tau_syn_in"),
)
_CURR_VARS = ({"v": "V_m", "isyn_exc": "I_syn_ex", "isyn_inh": "I_syn_in"},
              {"v": 1.0, "isyn_exc": 1 / NA, "isyn_inh": 1 / NA})  # fmt: skip
_COND_VARS = ({"v": "V_m", "gsyn_exc": "g_ex", "gsyn_inh": "g_in"},
              {"v": 1.0, "gsyn_exc": 1 / NA, "gsyn_inh": 1 / NA})  # fmt: skip
_ADEX_VARS = ({**_COND_VARS[0], "w": "w"}, {**_COND_VARS[1], "w": 1 / NA})


class DistsimCell:
    """What distsim needs of a standard cell type (module docstring)."""

    model = ""
    variable_map, scale_factors = {}, {}
    weight_scale = NA  # PyNN's weight unit -> the model's (nA -> pA, uS -> nS)

    def _distsim(self, population):
        """(model name, parameters) of ``population`` for distsim's network."""
        from distsim.models import get_model

        settable = get_model(self.model, population.label).parameter_names()
        params = {name: _per_neuron(v) for name, v in population._parameters.items()}
        for name, values in population._initial.items():
            native = self.variable_map.get(name, name)
            if native in settable:  # PyNN units -> the model's
                params[native] = _per_neuron(np.asarray(values) / self.scale_factors[name])
            elif np.any(np.asarray(values) != self.default_initial_values.get(name)):
                raise ConfigError(
                    f"Population '{population.label}': the initial value of {name} cannot be "
                    f"set (model {self.model} starts it at {self.default_initial_values[name]})"
                )
        return self.model, params


def _per_neuron(values):
    """One number when all neurons share it, else one per neuron."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 0:
        return float(values)
    return float(values[0]) if np.all(values == values[0]) else values


def _cell(base, model, table, variables, **extra):
    """The distsim cell type of PyNN's ``base``."""
    return type(
        base.__name__,
        (DistsimCell, base),
        {
            "__doc__": base.__doc__,
            "translations": build_translations(*table),
            "model": model,
            "variable_map": variables[0],
            "scale_factors": variables[1],
            **extra,
        },
    )


IF_curr_exp = _cell(cells.IF_curr_exp, "iaf_psc_exp", _IAF + _SYN, _CURR_VARS)
IF_curr_alpha = _cell(cells.IF_curr_alpha, "iaf_psc_alpha", _IAF + _SYN, _CURR_VARS)
IF_curr_delta = _cell(
    cells.IF_curr_delta, "iaf_psc_delta", _IAF, ({"v": "V_m"}, {"v": 1.0}), weight_scale=1.0
)  # weights are mV jumps
IF_cond_exp = _cell(cells.IF_cond_exp, "iaf_cond_exp", _COND, _COND_VARS)
IF_cond_alpha = _cell(cells.IF_cond_alpha, "iaf_cond_alpha", _COND, _COND_VARS)
EIF_cond_exp_isfa_ista = _cell(cells.EIF_cond_exp_isfa_ista, "aeif_cond_exp", _ADEX, _ADEX_VARS)
EIF_cond_alpha_isfa_ista = _cell(
    cells.EIF_cond_alpha_isfa_ista, "aeif_cond_alpha", _ADEX, _ADEX_VARS
)
Izhikevich = _cell(
    cells.Izhikevich,
    "izhikevich",
    (("a", "a"), ("b", "b"), ("c", "c"), ("d", "d"), ("i_offset", "I_e", NA)),
    ({"v": "V_m", "u": "U_m"}, {"v": 1.0, "u": 1.0}),
    weight_scale=1.0,  # weights are mV jumps
)


class HH_cond_exp(DistsimCell, cells.HH_cond_exp):
    """NEST's hh_cond_exp_traub as the nestml package's library model of it,
    hh_cond_exp_traub_neuron (models/nestml.py; needs the nestml package the first time, then
    its cached kernel): NESTML integrates it with its own error control (1e-6 against the
    solution, where NEST's built-in has 1e-3 absolute), so its traces differ from pyNN.nest's
    within the solvers' tolerance."""

    __doc__ = cells.HH_cond_exp.__doc__
    translations = build_translations(
        ("gbar_Na", "g_Na", NA),
        ("gbar_K", "g_K", NA),
        ("g_leak", "g_L", NA),
        ("cm", "C_m", NA),
        ("v_offset", "V_T"),
        ("e_rev_Na", "E_Na"),
        ("e_rev_K", "E_K"),
        ("e_rev_leak", "E_L"),
        ("e_rev_E", "E_exc"),
        ("e_rev_I", "E_inh"),
        ("tau_syn_E", "tau_syn_exc"),
        ("tau_syn_I", "tau_syn_inh"),
        ("i_offset", "I_e", NA),
    )
    variable_map = {
        "v": "V_m",
        "gsyn_exc": "g_exc__X__exc_spikes",
        "gsyn_inh": "g_inh__X__inh_spikes",
        "m": "Act_m",
        "n": "Inact_n",
        "h": "Act_h",
    }
    scale_factors = {"v": 1.0, "gsyn_exc": 1 / NA, "gsyn_inh": 1 / NA, "m": 1.0, "n": 1.0, "h": 1.0}

    @property
    def model(self):
        from distsim.models import library_file, load_nestml

        return load_nestml(library_file("hh_cond_exp_traub_neuron")).name


class SpikeSourceArray(DistsimCell, cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    translations = build_translations(("spike_times", "spike_times"))
    model = "spike_source"

    def _distsim(self, population):
        times = population._parameters["spike_times"]
        if hasattr(times, "value"):  # one Sequence for every neuron
            times = [times] * population.size
        elif np.ndim(times) and not hasattr(times[0], "value"):  # the train of one neuron
            times = [np.asarray(times, float)]
        trains = [list(np.asarray(getattr(s, "value", s), float)) for s in times]
        return self.model, {"spike_times": trains}


class SpikeSourcePoisson(DistsimCell, cells.SpikeSourcePoisson):
    """Poisson trains, one per neuron (PyNN's semantics: each neuron's train reaches all its
    targets).  A population whose trains reach one synapse each and that is not recorded
    becomes Poisson inputs of the targets (projections.private_poisson_sources: counts per
    step as NEST's generator draws them, for any duration).  Otherwise the trains are drawn
    when the network is built, from a stream keyed by the session's seed, the population and
    the neuron (the same on every rank count), at most one spike per step: up to the end of
    the first run, or ``setup(horizon=T)`` ms."""

    translations = build_translations(
        ("rate", "rate"), ("start", "start"), ("duration", "stop", "start+duration", "stop-start")
    )
    model = "spike_source"

    def _distsim(self, population):
        if population._private:  # its trains are Poisson inputs of the targets
            return self.model, {"spike_times": [[] for _ in range(population.size)]}
        st = simulator.state
        p = {k: np.broadcast_to(np.asarray(population._parameters[k], float), (population.size,))
             for k in ("rate", "start", "stop")}  # fmt: skip
        horizon = st.horizon
        trains = []
        for i in range(population.size):
            rng = np.random.default_rng([st.seed, population._index, i])
            stop = min(p["stop"][i], horizon)
            n_steps = int(round(stop / st.dt))
            first = int(round(p["start"][i] / st.dt)) + 1
            steps = np.arange(first, n_steps + 1)
            fire = rng.random(steps.size) < p["rate"][i] * st.dt / 1000.0
            trains.append(list(steps[fire] * st.dt))
        return self.model, {"spike_times": trains}


# ------------------------------------------------------------------------------ synapses
class _Delays:
    def _get_minimum_delay(self):
        return simulator.state.min_delay


class StaticSynapse(_Delays, synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = build_translations(("weight", "weight"), ("delay", "delay"))

    def _distsim(self):
        return None


class TsodyksMarkramSynapse(_Delays, synapses.TsodyksMarkramSynapse):
    """NEST's tsodyks_synapse (as pyNN.nest): U, tau_rec, tau_facil; its tau_psc is NEST's
    default (3 ms) unless the synapse is given ``tau_psc``."""

    __doc__ = synapses.TsodyksMarkramSynapse.__doc__
    translations = build_translations(
        ("weight", "weight"),
        ("delay", "delay"),
        ("U", "U"),
        ("tau_rec", "tau_rec"),
        ("tau_facil", "tau_fac"),
    )

    def _distsim(self):
        params = _homogeneous(self, ("U", "tau_rec", "tau_fac"))
        return {"synapse_model": "tsodyks_synapse", **params}


class AdditiveWeightDependence(synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__
    translations = build_translations(("w_max", "Wmax"), ("w_min", "w_min"))
    mu = (0.0, 0.0)


class MultiplicativeWeightDependence(synapses.MultiplicativeWeightDependence):
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    translations = build_translations(("w_max", "Wmax"), ("w_min", "w_min"))
    mu = (1.0, 1.0)


class AdditivePotentiationMultiplicativeDepression(
    synapses.AdditivePotentiationMultiplicativeDepression
):
    __doc__ = synapses.AdditivePotentiationMultiplicativeDepression.__doc__
    translations = build_translations(("w_max", "Wmax"), ("w_min", "w_min"))
    mu = (0.0, 1.0)


class GutigWeightDependence(synapses.GutigWeightDependence):
    """(w_max - w)^mu_plus and (w - w_min)^mu_minus: NEST's stdp_synapse with its mu."""

    __doc__ = synapses.GutigWeightDependence.__doc__
    translations = build_translations(
        ("w_max", "Wmax"), ("w_min", "w_min"), ("mu_plus", "mu_plus"), ("mu_minus", "mu_minus")
    )


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = build_translations(
        ("tau_plus", "tau_plus"),
        ("tau_minus", "tau_minus"),
        ("A_plus", "lambda"),
        ("A_minus", "alpha", "A_minus/A_plus", "alpha*lambda"),
    )


class STDPMechanism(_Delays, synapses.STDPMechanism):
    """NEST's stdp_synapse (as pyNN.nest): the pair rule, an additive, multiplicative, mixed
    or power-law (Gutig: its mu_plus, mu_minus) weight dependence, w_min 0, all delays
    dendritic; tau_minus is the postsynaptic neuron's."""

    __doc__ = synapses.STDPMechanism.__doc__
    base_translations = build_translations(
        ("weight", "weight"),
        ("delay", "delay"),
        ("dendritic_delay_fraction", "dendritic_delay_fraction"),
    )

    def _distsim(self):
        names = ("tau_plus", "lambda", "alpha", "Wmax", "w_min", "mu_plus", "mu_minus")
        p = _homogeneous(self, names)
        if p.pop("w_min") != 0.0:
            raise ConfigError("STDPMechanism: w_min must be 0 (NEST's stdp_synapse)")
        if self.dendritic_delay_fraction != 1.0:
            raise ConfigError(
                "STDPMechanism: dendritic_delay_fraction must be 1 (every delay dendritic, "
                "as in NEST)"
            )
        if hasattr(self.weight_dependence, "mu"):  # additive (0, 0), multiplicative (1, 1)...
            p["mu_plus"], p["mu_minus"] = self.weight_dependence.mu
        return {"synapse_model": "stdp_synapse", **p}

    def _tau_minus(self):
        return _homogeneous(self, ("tau_minus",))["tau_minus"]


def _homogeneous(synapse, names):
    """The native parameters ``names`` of a synapse type, one value each (distsim's plastic
    and short-term rules have one parameter set per projection)."""
    out = {}
    for name, value in synapse.native_parameters.items():
        if name in names:
            if not value.is_homogeneous:
                raise ConfigError(
                    f"{type(synapse).__name__}: {name} differs between synapses; distsim "
                    f"takes one value per projection"
                )
            value.shape = (1,)
            out[name] = float(value.evaluate(simplify=True))
    return out


# ------------------------------------------------------------------------------ currents
class _Injected:
    """A current source's cells; its currents become DC inputs of the network (native pA,
    each window moved one minimum delay earlier and delivered after it, as pyNN.nest does
    with NEST's generators)."""

    def inject_into(self, cells):
        for cell in cells:
            if not cell.celltype.injectable:
                raise TypeError(f"cannot inject a current into a spike source ({cell})")
        if simulator.state.sim is not None:
            raise ConfigError("inject_into after the network was built by run(); inject first")
        self._cells = list(cells)
        if self not in simulator.state.current_sources:
            simulator.state.current_sources.append(self)

    def _windows(self):
        """(start, stop, amplitude in nA) of the current."""
        raise NotImplementedError

    def _add_to(self, net, min_delay):
        pops = simulator.state.populations
        ids = np.array([int(c) for c in self._cells], np.int64)
        firsts = np.array([int(p.first_id) for p in pops])
        which = np.searchsorted(firsts, ids, side="right") - 1
        for k in np.unique(which):
            offsets = sorted(ids[which == k] - firsts[k])
            for start, stop, amplitude in self._windows():
                if amplitude == 0.0 or stop <= start:
                    continue
                net.add_dc_input(
                    pops[k]._name, amplitude * NA, start=max(start - min_delay, 0.0),
                    stop=max(stop - min_delay, 0.0), delay=min_delay, neurons=offsets,
                )  # fmt: skip

    def _value(self, name):
        value = self.parameter_space[name]
        return getattr(value, "base_value", value)


class DCSource(_Injected, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = build_translations(
        ("amplitude", "amplitude"), ("start", "start"), ("stop", "stop")
    )

    def _windows(self):
        return [(self._value("start"), self._value("stop"), self._value("amplitude"))]


class StepCurrentSource(_Injected, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = build_translations(("amplitudes", "amplitudes"), ("times", "times"))

    def _windows(self):
        times = np.asarray(self._value("times").value, float)
        amps = np.asarray(self._value("amplitudes").value, float)
        if times.size and (np.min(times) < 0 or np.any(np.diff(times) <= 0)):
            raise ValueError("StepCurrentSource: times must be non-negative and increasing")
        stops = np.append(times[1:], 1e12)
        return list(zip(times, stops, amps))


class ACSource(_Injected, electrodes.ACSource):
    """A sine current, constant within each step as NEST's ac_generator computes it (with
    pyNN.nest's phase: ``phase`` degrees at ``start``): one window per step, up to the end of
    the first run or ``setup(horizon=...)`` (the windows are drawn at the build)."""

    __doc__ = electrodes.ACSource.__doc__
    translations = build_translations(
        ("amplitude", "amplitude"),
        ("start", "start"),
        ("stop", "stop"),
        ("frequency", "frequency"),
        ("offset", "offset"),
        ("phase", "phase"),
    )

    def _windows(self):
        st = simulator.state
        h = st.dt
        start, stop = self._value("start"), min(self._value("stop"), st.horizon + st.min_delay)
        first, last = round(start / h), round(stop / h)
        omega = 2.0 * np.pi * self._value("frequency") / 1000.0
        phase = self._value("phase") * np.pi / 180.0 - omega * start
        k = np.arange(first, last)
        values = self._value("offset") + self._value("amplitude") * np.sin(
            omega * (k + 1) * h - omega * st.min_delay + phase
        )
        return list(zip(k * h, (k + 1) * h, values))


class NoisyCurrentSource(_Injected, electrodes.NoisyCurrentSource):
    """Gaussian white noise: per cell, a new current mean + stdev N(0, 1) every ``dt`` ms
    (NEST's noise_generator), independent between cells, drawn at the build from a stream
    keyed by the session's seed, the source and the cell (the same on every rank count), up
    to the end of the first run or ``setup(horizon=...)``.  Each interval of each
    cell is a DC input of the network: the stimuli of a step are scanned every step, so keep
    cells x intervals to some 10^5."""

    __doc__ = electrodes.NoisyCurrentSource.__doc__
    translations = build_translations(
        ("mean", "mean"), ("start", "start"), ("stop", "stop"), ("stdev", "stdev"), ("dt", "dt")
    )
    MAX_WINDOWS = 200_000

    def _add_to(self, net, min_delay):
        st = simulator.state
        start, stop = self._value("start"), min(self._value("stop"), st.horizon + min_delay)
        step = max(self._value("dt"), st.dt)
        edges = np.arange(start, stop, step)
        if edges.size * len(self._cells) > self.MAX_WINDOWS:
            raise ConfigError(
                f"NoisyCurrentSource: {len(self._cells)} cells x {edges.size} intervals of "
                f"{step} ms are more than {self.MAX_WINDOWS:,} DC inputs; inject it into "
                f"fewer cells, use a longer dt or a shorter run"
            )
        index = st.current_sources.index(self)
        for cell in self._cells:
            pop = cell.parent
            rng = np.random.default_rng([st.seed, 1_000_003, index, int(cell)])
            values = self._value("mean") + self._value("stdev") * rng.standard_normal(edges.size)
            for a, v in zip(edges, values):
                net.add_dc_input(
                    pop._name, v * NA, start=max(a - min_delay, 0.0),
                    stop=min(a + step, stop) - min_delay, delay=min_delay,
                    neurons=[int(cell) - int(pop.first_id)],
                )  # fmt: skip
