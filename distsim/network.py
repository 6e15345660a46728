"""The rank-independent network description: populations, projections, stimuli, recorders.

A Network answers every question per gid identically on every rank (its parameters, its
incoming connections), so that each rank builds only what it owns.  gids are int64,
contiguous per population, numbered from 0 in the order populations are added.  Units
follow NEST: ms, mV, pA, pF, nS, Hz.  Every number given is checked when it is given: NaN
is refused everywhere, infinities where they mean nothing (they mean something as a
stimulus's stop, a distribution's bound and some neuron parameters, see models/base.py).
"""

import math
from dataclasses import dataclass, field

import numpy as np

from distsim.hardware.devices import device_from_spec

from .distributions import (
    Uniform,
    as_number,
    as_numbers,
    as_value,
    is_distribution,
    to_spec,
    varies_per_synapse,
)
from .errors import ConnectionRuleError, DelayError, ModelError, NetworkError
from .kernels.fixed import FIXED_BITS
from .messages import did_you_mean, listing, shown
from .models import get_model, load_nestml
from .models.synapses import synapse_from_spec
from .rules import (
    FixedIndegree,
    FixedOutdegree,
    FixedTotalNumber,
    FromList,
    OneToOne,
    PairwiseBernoulli,
    rule_from_spec,
    rule_to_spec,
)

ARRAY_INLINE = 1000  # values kept inline in to_dict(arrays=...), larger ones set aside
# neurons of a network at most: 1.1e12, 13 times a human brain's; keeps gid arithmetic
# far from int64 overflow (what fits in memory is checked by memory.py before any array
# per neuron exists)
MAX_NEURONS = 2**40
MAX_COUNT = 2**63 - 1  # largest in-degree, out-degree or synapse number (int64)


@dataclass(frozen=True)
class Population:
    """``size`` neurons of one model; gids ``first_gid .. first_gid + size - 1``."""

    name: str
    model: object
    size: int
    first_gid: int

    @property
    def gids(self):
        return np.arange(self.first_gid, self.first_gid + self.size, dtype=np.int64)


@dataclass(frozen=True)
class Projection:
    """Static synapses from ``source`` to ``target`` made by ``rule``; weight (mV for delta
    synapses, pA for current synapses) and delay (ms) are numbers or distributions."""

    name: str
    source: str
    target: str
    rule: object
    weight: object
    delay: object
    index: int
    device: object = None
    synapse: object = None
    receptor_type: int = 0
    storage: str = "stored"  # or "procedural": regenerated at every spike, never stored


@dataclass(frozen=True)
class PoissonInput:
    """An independent Poisson spike train of ``rate`` Hz into each target neuron (NEST's
    poisson_generator), active for spike times in (start, stop] ms, arriving after ``delay``."""

    name: str
    target: str
    rate: float
    weight: float
    delay: float
    start: float
    stop: float
    neurons: object
    index: int


@dataclass(frozen=True)
class DCInput:
    """A constant current ``amplitude`` pA into each target neuron (NEST's dc_generator): the
    neuron integrates it in the steps ending in (start + delay, stop + delay] ms."""

    name: str
    target: str
    amplitude: float
    start: float
    stop: float
    delay: float
    neurons: object
    index: int


@dataclass(frozen=True)
class SpikeRecorder:
    """Records the spikes of a population, or of the given neuron indices in it."""

    population: str
    neurons: object = None


@dataclass(frozen=True)
class StateRecorder:
    """Samples state variables (e.g. ``V_m``) of a population every ``interval`` ms."""

    population: str
    variables: tuple
    interval: float
    neurons: object = None


@dataclass(frozen=True)
class WeightRecorder:
    """Samples a plastic projection every ``interval`` ms: the weights of its synapses onto
    the target neurons ``neurons`` (indices in the target population), and a histogram of
    all its weights over the bin edges ``bins``."""

    projection: str
    interval: float
    neurons: tuple
    bins: tuple


def _neuron_subset(neurons, pop, where):
    """The sorted distinct neuron indices ``neurons`` (None: the whole population)."""
    if neurons is None:
        return None
    given = np.asarray(neurons) if isinstance(neurons, (list, tuple, range, np.ndarray)) else None
    if given is None or given.ndim != 1 or not given.size or given.dtype.kind not in "iu":
        raise NetworkError(
            f"{where}: neurons {shown(neurons)} is not a list of neuron "
            f"indices; give integers 0..{pop.size - 1}, or leave neurons out "
            f"for the whole population"
        )
    idx = np.unique(given.astype(np.int64))
    if idx[0] < 0 or idx[-1] >= pop.size:
        raise NetworkError(
            f"{where}: neuron index {int(idx[0] if idx[0] < 0 else idx[-1])} is outside "
            f"population '{pop.name}' of size {pop.size}; use indices 0..{pop.size - 1}"
        )
    return tuple(int(i) for i in idx)


@dataclass
class Network:
    """A network description; ``dt`` is the step (ms), ``seed`` keys every random stream."""

    dt: float = 0.1
    seed: int = 1
    populations: dict = field(default_factory=dict)
    projections: list = field(default_factory=list)
    poisson_inputs: list = field(default_factory=list)
    dc_inputs: list = field(default_factory=list)
    spike_recorders: list = field(default_factory=list)
    state_recorders: list = field(default_factory=list)
    weight_recorders: list = field(default_factory=list)

    def __setattr__(self, name, value):
        """dt and seed are checked whenever they are set (a run may set its own seed)."""
        if name == "dt":
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float, np.integer, np.floating))
                or not 0 < value < math.inf
            ):
                raise NetworkError(
                    f"Network: dt = {shown(value)} ms is not a positive finite "
                    f"number; use e.g. dt=0.1"
                )
            value = float(value)
        elif name == "seed":
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, np.integer))
                or not 0 <= value < 2**63
            ):
                raise NetworkError(
                    f"Network: seed {shown(value)} is not an integer in [0, 2**63); use e.g. seed=1"
                )
        super().__setattr__(name, value)

    # ---------------------------------------------------------------- populations
    @property
    def n_neurons(self):
        return sum(p.size for p in self.populations.values())

    def add_population(self, name, model, size, params=None):
        """Add ``size`` neurons of ``model`` (a NEST model name) with NEST-named ``params``
        (numbers, distributions per neuron or one number per neuron, initial state such as
        ``V_m`` included)."""
        if not isinstance(name, str) or not name:
            raise NetworkError(f"Population {shown(name)}: a population needs a non-empty name")
        where = f"Population '{name}'"
        if name in self.populations:
            raise NetworkError(f"{where}: a population of that name exists; use another name")
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise NetworkError(
                f"{where}: size {shown(size)} is not a positive integer; use e.g. size=100"
            )
        size = int(size)
        if self.n_neurons + size > MAX_NEURONS:
            raise NetworkError(
                f"{where}: size {size:,} makes the network {self.n_neurons + size:,} neurons, "
                f"more than the {MAX_NEURONS:,} a network may have; use smaller populations"
            )
        cls = get_model(model, where)
        model_obj = cls.from_params(params, where)
        if cls.name == "spike_source" and len(model_obj.spike_times) != size:
            raise NetworkError(
                f"{where}: spike_times has {len(model_obj.spike_times)} lists for {size} "
                f"neurons; give one list of times per neuron"
            )
        if cls.name == "spike_source":
            model_obj.schedule(self.dt, where)  # validates the times now, before any build
        for key, value in ({} if cls.name == "spike_source" else model_obj.values()).items():
            if isinstance(value, np.ndarray) and value.size != size:
                raise NetworkError(
                    f"{where}: {key} has {value.size} values for {size} neurons; give one "
                    f"value per neuron, a number or a distribution"
                )
        pop = Population(name, model_obj, size, self.n_neurons)
        self.populations[name] = pop
        return pop

    def population(self, name, where):
        if isinstance(name, str) and name in self.populations:
            return self.populations[name]
        raise NetworkError(
            f"{where}: population {shown(name)} does not exist; populations: "
            f"{listing(self.populations)}{did_you_mean(name, self.populations)}"
        )

    def population_of(self, gids):
        """Index (in ``self.populations`` order) of the population of each gid."""
        firsts = np.array([p.first_gid for p in self.populations.values()], dtype=np.int64)
        return np.searchsorted(firsts, np.asarray(gids, dtype=np.int64), side="right") - 1

    # ---------------------------------------------------------------- projections
    def connect(
        self,
        source,
        target,
        rule,
        weight=1.0,
        delay=1.0,
        name=None,
        device=None,
        synapse=None,
        receptor_type=0,
        storage="stored",
    ):
        """Connect population ``source`` to ``target`` with a rule (object, name or NEST
        conn_spec dict), weight and delay (ms; numbers or distributions; with the from_list
        rule also sequences of one value per listed synapse).  ``storage="procedural"``
        keeps no synapse: each rank regenerates a source's synapses onto its neurons at every
        spike, from the same streams on any number of ranks (kernels/procedural.py; rules
        fixed_total_number and fixed_outdegree with multapses, pairwise_bernoulli; static
        synapses, weights and delays numbers or distributions).  ``device`` (e.g.
        ``distsim.hardware.PCM()``) stores each weight in a modelled memory device
        (hardware/devices.py); ``synapse`` (a NEST-style dict such as ``{"synapse_model":
        "stdp_synapse", "lambda": 0.01}``, or a models.synapses object) makes them plastic;
        ``receptor_type=1`` of a parrot_neuron takes plastic synapses whose spikes are not
        repeated (NEST's STDP test setup)."""
        if name is not None and (not isinstance(name, str) or not name):
            raise NetworkError(
                f"Projection {shown(name)}: a projection's name is a non-empty "
                f"string; give one or leave it unset"
            )
        name = name or f"{source}->{target}"
        if any(p.name == name for p in self.projections):
            name = f"{name}#{len(self.projections)}"
        where = f"Projection '{name}'"
        src = self.population(source, where)
        tgt = self.population(target, where)
        if tgt.model.is_source_only:
            raise NetworkError(
                f"{where}: target population '{target}' is a {tgt.model.name}, which receives "
                f"no input; connect to a neuron population"
            )
        rule = rule_from_spec(rule, where)
        self._check_rule(rule, src, tgt, where)
        weight = self._synapse_values(weight, rule, f"{where}: weight")
        tgt.model.check_weights(weight, where)
        delay = self._synapse_values(delay, rule, f"{where}: delay")
        self._check_delay(delay, where)
        device = device_from_spec(_device_values(device, where), where)
        synapse = synapse_from_spec(synapse, where)
        if synapse is not None:
            if device is not None or "tau_minus" not in tgt.model.parameter_names():
                raise ModelError(
                    f"{where}: a {synapse.name} needs a target model with tau_minus (iaf "
                    f"models, izhikevich) and no device; got model '{tgt.model.name}'"
                    f"{' and a device' if device is not None else ''}"
                )
            traces = {k: tgt.model.values()[k] for k in ("tau_minus", "tau_minus_triplet")}
            if not all(isinstance(x, float) and x > 0 for x in traces.values()):
                raise ModelError(
                    f"{where}: the target population '{target}' of a {synapse.name} needs "
                    f"tau_minus and tau_minus_triplet as positive numbers (ms), the same for "
                    f"every neuron; got "
                    + ", ".join(f"{k} = {shown(to_spec(x))}" for k, x in traces.items())
                )
            synapse.check_weights(weight, where)
            if hasattr(synapse, "vt"):
                self._check_volume_transmitter(synapse, where)
        if (
            isinstance(receptor_type, bool)
            or not isinstance(receptor_type, (int, np.integer))
            or receptor_type != 0
            and not (
                receptor_type == 1 and synapse is not None and tgt.model.name == "parrot_neuron"
            )
        ):
            raise NetworkError(
                f"{where}: receptor_type {shown(receptor_type)} is not available; receptor_type 1 "
                f"exists on parrot_neuron targets, for plastic synapses only; use 0"
            )
        self._check_storage(storage, rule, weight, delay, device, synapse, where)
        if device is not None and not varies_per_synapse(weight):
            weight = Uniform(float(weight), float(weight))  # one stored weight per synapse
        #  (plastic synapses keep theirs in the simulation, float64, from a constant or the
        #   table's per-synapse values)
        proj = Projection(
            name,
            source,
            target,
            rule,
            weight,
            delay,
            len(self.projections),
            device,
            synapse,
            receptor_type,
            storage,
        )
        self.projections.append(proj)
        return proj

    @staticmethod
    def _check_storage(storage, rule, weight, delay, device, synapse, where):
        """``storage``: "stored", or "procedural" for the rules, weights and delays the
        kernels can regenerate (kernels/procedural.py)."""
        if storage == "stored":
            return
        if storage != "procedural":
            raise NetworkError(
                f"{where}: storage {shown(storage)} is not known; use 'stored' or 'procedural'"
                f"{did_you_mean(storage, ['stored', 'procedural'])}"
            )
        names = ("fixed_total_number", "fixed_outdegree", "pairwise_bernoulli")
        if rule.rule not in names or not getattr(rule, "allow_multapses", True):
            raise NetworkError(
                f"{where}: procedural storage regenerates {', '.join(names)} (the first two "
                f"with multapses allowed), not {rule.rule}"
                f"{' without multapses' if rule.rule in names else ''}; use storage='stored'"
            )
        if rule.rule == "fixed_total_number" and rule.N >= 2**32:
            raise NetworkError(
                f"{where}: procedural fixed_total_number keeps a 32-bit count per source; N "
                f"{rule.N} is beyond 2**32 - 1; split the projection in two"
            )
        if device is not None or synapse is not None:
            raise NetworkError(
                f"{where}: procedural synapses are static and keep nothing per synapse; a "
                f"{'device' if device is not None else 'plastic synapse'} needs "
                f"storage='stored'"
            )
        for what, value in (("weight", weight), ("delay", delay)):
            if isinstance(value, np.ndarray):
                raise NetworkError(
                    f"{where}: procedural {what}s are drawn at every spike; give a number or a "
                    f"distribution, not one value per synapse"
                )

    @staticmethod
    def _synapse_values(value, rule, where):
        """A number, a distribution, or (from_list only) a float64 array per listed synapse."""
        if isinstance(value, (list, tuple, np.ndarray)):
            if not isinstance(rule, FromList):
                raise NetworkError(
                    f"{where}: one value per synapse needs the from_list rule, whose synapses "
                    f"are known in advance; use a number or a distribution with rule "
                    f"'{rule.rule}'"
                )
            values = as_numbers(value, where, "one number per listed synapse")
            if values.shape != rule.sources.shape:
                raise NetworkError(
                    f"{where}: {values.size} values (shape {values.shape}) for "
                    f"{rule.sources.size} listed synapses; give one finite value per synapse"
                )
            return values
        return as_value(value, where)

    def _check_rule(self, rule, src, tgt, where):
        same = src.name == tgt.name
        autapses = getattr(rule, "allow_autapses", True)
        available_src = src.size - (1 if same and not autapses else 0)
        available_tgt = tgt.size - (1 if same and not autapses else 0)

        def count(value, what):
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, np.integer))
                or not 0 <= value <= MAX_COUNT
            ):
                raise ConnectionRuleError(
                    f"{where}: {rule.rule} {what} {shown(value)} is not a non-negative integer "
                    f"(int64)"
                )

        for flag in ("allow_autapses", "allow_multapses"):
            if not isinstance(getattr(rule, flag, True), (bool, np.bool_)):
                raise ConnectionRuleError(
                    f"{where}: {rule.rule} {flag} {shown(getattr(rule, flag))} is not true or false"
                )

        def degree(value, what, available, pop, side):
            count(value, what)
            if value > 0 and available <= 0:
                raise ConnectionRuleError(f"{where}: {rule.rule} {value} with no {side}")
            if not rule.allow_multapses and value > available:
                raise ConnectionRuleError(
                    f"{where}: {rule.rule} {value} is larger than the {available} available "
                    f"{side} of '{pop.name}' without multapses; use {what} <= {available} or "
                    f"allow_multapses=True"
                )

        if isinstance(rule, FixedIndegree):
            degree(rule.indegree, "indegree", available_src, src, "sources")
        elif isinstance(rule, FixedOutdegree):
            degree(rule.outdegree, "outdegree", available_tgt, tgt, "targets")
        elif isinstance(rule, PairwiseBernoulli):
            p = rule.p
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
                raise ConnectionRuleError(
                    f"{where}: pairwise_bernoulli probability p = {shown(p)} is outside [0, 1]; "
                    f"use 0 <= p <= 1"
                )
        elif isinstance(rule, FixedTotalNumber):
            count(rule.N, "N")
            pairs = src.size * tgt.size - (src.size if same and not rule.allow_autapses else 0)
            if rule.N > 0 and pairs <= 0:
                raise ConnectionRuleError(f"{where}: fixed_total_number {rule.N} with no pairs")
            if not rule.allow_multapses and rule.N > pairs:
                raise ConnectionRuleError(
                    f"{where}: fixed_total_number N = {rule.N} is larger than the {pairs} "
                    f"possible pairs without multapses; use N <= {pairs} or allow_multapses=True"
                )
        elif isinstance(rule, FromList):
            for name, idx, pop in (("source", rule.sources, src), ("target", rule.targets, tgt)):
                bad = (idx < 0) | (idx >= pop.size)
                if bad.any():
                    k = int(np.flatnonzero(bad)[0])
                    raise ConnectionRuleError(
                        f"{where}: from_list synapse {k} has {name} index {int(idx[k])}, outside "
                        f"population '{pop.name}' of {pop.size} neurons; use indices "
                        f"0..{pop.size - 1}"
                    )
        elif isinstance(rule, OneToOne):
            if src.size != tgt.size:
                raise ConnectionRuleError(
                    f"{where}: one_to_one needs populations of equal size, got {src.size} "
                    f"('{src.name}') and {tgt.size} ('{tgt.name}'); use all_to_all or "
                    f"populations of the same size"
                )

    def _check_volume_transmitter(self, synapse, where):
        """``vt`` names a population (its neurons' spikes are the dopamine spikes: simulated
        neurons of any model, or a spike_source) and ``vt_delay`` is at least one step."""
        vt = synapse.vt
        if not isinstance(vt, str) or not vt:
            raise NetworkError(
                f"{where}: a {synapse.name} needs vt, the population of dopamine neurons "
                f"(NEST's volume_transmitter and the neurons connected to it); got vt = "
                f"{shown(vt)}; add that population first and give its name"
            )
        if vt not in self.populations:
            stimulus = {
                s.name: kind
                for kind, group in (
                    ("Poisson input", self.poisson_inputs),
                    ("DC input", self.dc_inputs),
                )
                for s in group
            }.get(vt)
            if stimulus:
                raise NetworkError(
                    f"{where}: the volume transmitter vt = {vt!r} of a {synapse.name} is a "
                    f"{stimulus}, which emits no spikes of its own; the dopamine spikes are "
                    f"those of a population: add a parrot_neuron population driven by it (or "
                    f"any neurons, or a spike_source) and give that population's name"
                )
            raise NetworkError(
                f"{where}: the volume transmitter vt = {vt!r} of a {synapse.name} is not a "
                f"population; populations: {listing(self.populations)}; add the dopamine "
                f"neurons' population (any neuron model, or a spike_source) before the "
                f"projection and give its name{did_you_mean(vt, self.populations)}"
            )
        _check_steps(synapse.vt_delay, self.dt, f"{where}: vt_delay")
        if np.rint(synapse.vt_delay / self.dt) < 1:  # steps as built
            raise DelayError(
                f"{where}: vt_delay {synapse.vt_delay} ms of a {synapse.name} is shorter than "
                f"one step (dt = {self.dt} ms): dopamine spikes reach the synapses one step "
                f"after they are emitted at the earliest, like any connection; use vt_delay "
                f">= {self.dt} ms or a smaller dt"
            )

    def _check_delay(self, delay, where):
        """At least one step; a given delay (not drawn) at most int64 steps."""
        if isinstance(delay, np.ndarray):
            if delay.size == 0:
                return
            _check_steps(float(delay.max()), self.dt, f"{where}: delay")
            delay = float(delay.min())
        elif not is_distribution(delay):
            _check_steps(delay, self.dt, f"{where}: delay")
        low = delay.bounds[0] if is_distribution(delay) else delay
        if not math.isfinite(low) or np.floor(low / self.dt + 0.5) < 1:  # steps as built
            if is_distribution(delay):
                raise DelayError(
                    f"{where}: delay distribution {delay} can draw delays below one step "
                    f"(dt = {self.dt} ms); clip it with low >= {self.dt} ms"
                )
            raise DelayError(
                f"{where}: delay {delay} ms is shorter than one step (dt = {self.dt} ms); use a "
                f"delay >= {self.dt} ms or a smaller dt"
            )

    # ---------------------------------------------------------------- stimuli
    def add_poisson_input(
        self, target, rate, weight=1.0, delay=1.0, start=0.0, stop=math.inf, neurons=None, name=None
    ):
        """Independent Poisson input of ``rate`` Hz to each neuron of ``target`` (or of the
        given neuron indices), each spike adding ``weight``, arriving after ``delay`` ms."""
        name = _stimulus_name(name, f"poisson->{target}#{len(self.poisson_inputs)}")
        where = f"PoissonInput '{name}'"
        pop = self.population(target, where)
        rate = as_number(rate, f"{where}: rate (Hz)")
        if rate < 0:
            raise NetworkError(f"{where}: rate {rate!r} Hz is not a finite rate >= 0")
        weight = as_number(weight, f"{where}: weight")
        lam = rate * self.dt / 1000.0  # expected spikes per step
        most = lam + 20.0 * math.sqrt(lam) + 20.0  # far beyond any count a step draws
        limit = 2.0 ** (62 - FIXED_BITS)
        if abs(weight) * most >= limit:
            raise NetworkError(
                f"{where}: rate {rate:g} Hz x weight {weight:g} brings up to "
                f"{abs(weight) * most:.3g} of input per step, beyond the fixed-point input "
                f"range {limit:.3g}; use a lower rate or weight"
            )
        delay = as_number(delay, f"{where}: delay (ms)")
        self._check_delay(delay, where)
        start, stop = self._window(start, stop, where)
        stim = PoissonInput(
            name,
            target,
            rate,
            weight,
            delay,
            start,
            stop,
            _neuron_subset(neurons, pop, where),
            len(self.poisson_inputs),
        )
        self.poisson_inputs.append(stim)
        return stim

    def add_dc_input(
        self, target, amplitude, start=0.0, stop=math.inf, delay=None, neurons=None, name=None
    ):
        """Constant current ``amplitude`` pA into each neuron of ``target`` during (start, stop]
        ms; the current reaches the neuron after ``delay`` ms (default: one step)."""
        name = _stimulus_name(name, f"dc->{target}#{len(self.dc_inputs)}")
        where = f"DCInput '{name}'"
        pop = self.population(target, where)
        delay = self.dt if delay is None else as_number(delay, f"{where}: delay (ms)")
        amplitude = as_number(amplitude, f"{where}: amplitude (pA)")
        self._check_delay(delay, where)
        start, stop = self._window(start, stop, where)
        stim = DCInput(
            name,
            target,
            amplitude,
            start,
            stop,
            delay,
            _neuron_subset(neurons, pop, where),
            len(self.dc_inputs),
        )
        self.dc_inputs.append(stim)
        return stim

    @staticmethod
    def _window(start, stop, where):
        """(start, stop) in ms as floats: 0 <= start <= stop, stop may be inf (no end)."""
        start = as_number(start, f"{where}: start (ms)")
        stop = as_number(stop, f"{where}: stop (ms)", math.inf)
        if not (0 <= start <= stop):
            raise NetworkError(
                f"{where}: active window (start={start}, stop={stop}) ms is invalid; use "
                f"0 <= start <= stop"
            )
        return start, stop

    # ---------------------------------------------------------------- recorders
    def record_spikes(self, population, neurons=None):
        pop = self.population(population, "SpikeRecorder")
        rec = SpikeRecorder(
            population, _neuron_subset(neurons, pop, f"SpikeRecorder '{population}'")
        )
        self.spike_recorders.append(rec)
        return rec

    def record_state(self, population, variables, interval=1.0, neurons=None):
        where = f"StateRecorder {shown(population)}"
        pop = self.population(population, where)
        variables = (variables,) if isinstance(variables, str) else variables
        if not isinstance(variables, (list, tuple)):
            raise NetworkError(
                f"{where}: variables {shown(variables)} is not a list of names; give e.g. ['V_m']"
            )
        for var in variables:
            if not isinstance(var, str) or var not in pop.model.recordables:
                raise NetworkError(
                    f"{where}: model '{pop.model.name}' has no recordable {shown(var)}; "
                    f"recordables: {', '.join(pop.model.recordables) or '(none)'}"
                    f"{did_you_mean(var, pop.model.recordables)}"
                )
        rec = StateRecorder(
            population,
            tuple(variables),
            self._interval(interval, where),
            _neuron_subset(neurons, pop, where),
        )
        self.state_recorders.append(rec)
        return rec

    def _interval(self, interval, where):
        """A sampling interval (ms) as a float: a positive multiple of dt."""
        interval = as_number(interval, f"{where}: interval (ms)")
        steps = interval / self.dt
        if not 0 < steps < math.inf or abs(steps - round(steps)) > 1e-9 * max(1.0, steps):
            raise NetworkError(
                f"{where}: interval {interval} ms is not a positive multiple of dt = {self.dt} "
                f"ms; use e.g. interval={self.dt}"
            )
        return interval

    def record_weights(self, projection, interval=10.0, neurons=(0,), bins=None):
        """Sample the weights of plastic projection ``projection`` every ``interval`` ms:
        those onto its target neurons ``neurons`` (indices), and a histogram of all of them
        over ``bins`` (edges; default 50 bins from 0 to the synapse model's Wmax, or to
        twice the largest initial weight)."""
        where = f"WeightRecorder {shown(projection)}"
        proj = next((p for p in self.projections if p.name == projection), None)
        if proj is None or proj.synapse is None:
            plastic = [p.name for p in self.projections if p.synapse]
            raise NetworkError(
                f"{where}: no plastic projection of that name; plastic projections: "
                f"{listing(plastic)}{did_you_mean(projection, plastic)}"
            )
        interval = self._interval(interval, where)
        if neurons is None:
            raise NetworkError(
                f"{where}: neurons is not given; give the indices of the target "
                f"neurons whose incoming weights are sampled, e.g. [0]"
            )
        idx = _neuron_subset(neurons, self.populations[proj.target], where)
        if bins is None:
            top = getattr(proj.synapse, "Wmax", None)
            if top is None:
                top = 2.0 * (
                    proj.weight.bounds[1]
                    if hasattr(proj.weight, "bounds")
                    else float(np.max(proj.weight))
                )
            if not math.isfinite(top):
                raise NetworkError(
                    f"{where}: the initial weights have no upper bound to "
                    f"derive histogram bins from; give bins (edges)"
                )
            bins = np.linspace(min(0.0, top), max(0.0, top), 51)
        if not isinstance(bins, (list, tuple, np.ndarray)):
            raise NetworkError(f"{where}: bins {shown(bins)} is not a list of edges")
        bins = as_numbers(bins, f"{where}: bins", "a list of bin edges")
        if bins.size < 2 or np.any(bins[1:] <= bins[:-1]):
            raise NetworkError(f"{where}: bins must be at least two increasing edges")
        rec = WeightRecorder(
            projection, interval, tuple(int(i) for i in idx), tuple(float(b) for b in bins)
        )
        self.weight_recorders.append(rec)
        return rec

    # ---------------------------------------------------------------- serialisation
    def to_dict(self, arrays=None):
        """A JSON-serialisable description; ``Network.from_dict`` inverts it.  With a dict
        ``arrays``, large payloads (spike sources' times, explicit connection lists, per-synapse
        weights and delays, per-neuron parameters, of more than ARRAY_INLINE values) go there as
        numpy arrays, and the description holds ``{"$array": key}`` in their place (a run store
        keeps them as arrays of their own)."""

        def big(value):
            value = np.asarray(value)
            if arrays is None or value.size <= ARRAY_INLINE:
                return value.tolist()
            key = f"a{len(arrays)}"
            arrays[key] = value
            return {"$array": key}

        def params(model):
            if model.name == "spike_source":
                times, counts = model.compact()
                if arrays is not None and times.size > ARRAY_INLINE:
                    return {"spike_times": {"times": big(times), "counts": big(counts)}}
                return model.to_dict()
            return {k: value(v) for k, v in model.values().items()}

        def rule(r):
            if isinstance(r, FromList):
                return {"rule": r.rule, "sources": big(r.sources), "targets": big(r.targets)}
            return rule_to_spec(r)

        def value(v):
            return big(v) if isinstance(v, np.ndarray) else to_spec(v)

        return {
            "dt": self.dt,
            "seed": int(self.seed),
            "populations": [
                {
                    "name": p.name,
                    "model": p.model.name,
                    **(
                        {"nestml": dict(p.model.nestml)} if getattr(p.model, "nestml", None) else {}
                    ),
                    "size": p.size,
                    "params": params(p.model),
                }
                for p in self.populations.values()
            ],
            "projections": [
                {
                    "name": p.name,
                    "source": p.source,
                    "target": p.target,
                    "rule": rule(p.rule),
                    "weight": value(p.weight),
                    "delay": value(p.delay),
                    "device": p.device.to_spec() if p.device else None,
                    "synapse": p.synapse.to_spec() if p.synapse else None,
                    "receptor_type": p.receptor_type,
                    "storage": p.storage,
                }
                for p in self.projections
            ],
            "poisson_inputs": [
                {
                    "name": s.name,
                    "target": s.target,
                    "rate": s.rate,
                    "weight": s.weight,
                    "delay": s.delay,
                    "start": s.start,
                    "stop": s.stop,
                    "neurons": s.neurons,
                }
                for s in self.poisson_inputs
            ],
            "dc_inputs": [
                {
                    "name": s.name,
                    "target": s.target,
                    "amplitude": s.amplitude,
                    "start": s.start,
                    "stop": s.stop,
                    "delay": s.delay,
                    "neurons": s.neurons,
                }
                for s in self.dc_inputs
            ],
            "spike_recorders": [
                {"population": r.population, "neurons": r.neurons} for r in self.spike_recorders
            ],
            "state_recorders": [
                {
                    "population": r.population,
                    "variables": list(r.variables),
                    "interval": r.interval,
                    "neurons": r.neurons,
                }
                for r in self.state_recorders
            ],
            "weight_recorders": [
                {
                    "projection": r.projection,
                    "interval": r.interval,
                    "neurons": list(r.neurons),
                    "bins": list(r.bins),
                }
                for r in self.weight_recorders
            ],
        }

    @classmethod
    def from_dict(cls, d, arrays=None):
        """The network ``to_dict`` described; ``arrays(key)`` returns the arrays it put
        aside."""

        def resolve(x):
            if isinstance(x, dict):
                if set(x) == {"$array"}:
                    return arrays(x["$array"])
                return {k: resolve(v) for k, v in x.items()}
            if isinstance(x, list) and x and isinstance(x[0], (dict, list)):
                return [resolve(v) for v in x]
            return x

        if arrays is not None:
            d = resolve(d)
        net = cls(dt=d["dt"], seed=d["seed"])
        for p in d.get("populations", []):
            if "nestml" in p:  # the same NESTML file, unchanged, loaded (and registered) again
                load_nestml(**p["nestml"])
            net.add_population(p["name"], p["model"], p["size"], p.get("params"))
        for p in d.get("projections", []):
            net.connect(
                p["source"],
                p["target"],
                p["rule"],
                p["weight"],
                p["delay"],
                p["name"],
                p.get("device"),
                p.get("synapse"),
                p.get("receptor_type", 0),
                p.get("storage", "stored"),
            )
        for s in d.get("poisson_inputs", []):
            net.add_poisson_input(
                s["target"],
                s["rate"],
                s["weight"],
                s["delay"],
                s["start"],
                s["stop"],
                s["neurons"],
                s["name"],
            )
        for s in d.get("dc_inputs", []):
            net.add_dc_input(
                s["target"],
                s["amplitude"],
                s["start"],
                s["stop"],
                s["delay"],
                s["neurons"],
                s["name"],
            )
        for r in d.get("spike_recorders", []):
            net.record_spikes(r["population"], r["neurons"])
        for r in d.get("state_recorders", []):
            net.record_state(r["population"], r["variables"], r["interval"], r["neurons"])
        for r in d.get("weight_recorders", []):
            net.record_weights(r["projection"], r["interval"], r["neurons"], r["bins"])
        return net


def _check_steps(ms, dt, where):
    """A time ``ms`` whose step count the engine holds in an int64."""
    if ms / dt >= MAX_COUNT:
        raise DelayError(
            f"{where} {ms} ms is {ms / dt:.3g} steps of dt = {dt} ms, more than "
            f"the engine counts (int64); use a shorter time"
        )


def _stimulus_name(name, default):
    """``name`` (a non-empty string keying the stimulus's random streams) or ``default``."""
    if name is not None and (not isinstance(name, str) or not name):
        raise NetworkError(
            f"stimulus {shown(name)}: a stimulus's name is a non-empty string; "
            f"give one or leave it unset"
        )
    return name or default


def _device_values(spec, where):
    """``spec`` unchanged, after checking that the options of a device dict are finite
    numbers (``drift_compensation`` true or false, ``w_max`` a number or left out)."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "device" or key == "w_max" and value is None:
                continue
            if key == "drift_compensation":
                if not isinstance(value, (bool, np.bool_)):
                    raise NetworkError(
                        f"{where}: device option drift_compensation "
                        f"{shown(value)} is not true or false"
                    )
            else:
                as_number(value, f"{where}: device option {key}")
    return spec
