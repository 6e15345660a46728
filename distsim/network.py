"""The rank-independent network description: populations, projections, stimuli, recorders.

A Network answers every question per gid identically on every rank (its parameters, its
incoming connections), so that each rank builds only what it owns.  gids are int64,
contiguous per population, numbered from 0 in the order populations are added.  Units
follow NEST: ms, mV, pA, pF, nS, Hz.
"""
import math
from dataclasses import dataclass, field

import numpy as np

from distsim.hardware.devices import device_from_spec

from .distributions import Uniform, as_value, is_distribution, to_spec, varies_per_synapse
from .errors import ConnectionRuleError, DelayError, ModelError, NetworkError
from .models import get_model
from .models.synapses import synapse_from_spec
from .rules import (FixedIndegree, FixedOutdegree, FixedTotalNumber, FromList, OneToOne,
                    PairwiseBernoulli, rule_from_spec, rule_to_spec)

ARRAY_INLINE = 1000  # values kept inline in to_dict(arrays=...), larger ones set aside


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
    if neurons is None:
        return None
    idx = np.unique(np.asarray(neurons, dtype=np.int64))
    if idx.size and (idx[0] < 0 or idx[-1] >= pop.size):
        raise NetworkError(
            f"{where}: neuron index {int(idx[0] if idx[0] < 0 else idx[-1])} is outside "
            f"population '{pop.name}' of size {pop.size}; use indices 0..{pop.size - 1}")
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

    def __post_init__(self):
        if not (isinstance(self.dt, (int, float)) and self.dt > 0):
            raise NetworkError(f"Network: dt = {self.dt!r} ms is not positive; use e.g. dt=0.1")
        if not (isinstance(self.seed, (int, np.integer)) and 0 <= self.seed < 2**63):
            raise NetworkError(
                f"Network: seed {self.seed!r} is not an integer in [0, 2**63); use e.g. seed=1")
        self.dt = float(self.dt)

    # ---------------------------------------------------------------- populations
    @property
    def n_neurons(self):
        return sum(p.size for p in self.populations.values())

    def add_population(self, name, model, size, params=None):
        """Add ``size`` neurons of ``model`` (a NEST model name) with NEST-named ``params``
        (numbers, distributions per neuron or one number per neuron, initial state such as
        ``V_m`` included)."""
        where = f"Population '{name}'"
        if not isinstance(name, str) or not name:
            raise NetworkError(f"Population {name!r}: a population needs a non-empty name")
        if name in self.populations:
            raise NetworkError(f"{where}: a population of that name exists; use another name")
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 0:
            raise NetworkError(
                f"{where}: size {size!r} is not a non-negative integer; use e.g. size=100")
        cls = get_model(model, where)
        model_obj = cls.from_params(params, where)
        if cls.name == "spike_source" and len(model_obj.spike_times) != size:
            raise NetworkError(
                f"{where}: spike_times has {len(model_obj.spike_times)} lists for {size} "
                f"neurons; give one list of times per neuron")
        if cls.name == "spike_source":
            model_obj.schedule(self.dt, where)  # validates the times now, before any build
        for key, value in ({} if cls.name == "spike_source" else model_obj.values()).items():
            if isinstance(value, np.ndarray) and value.size != size:
                raise NetworkError(
                    f"{where}: {key} has {value.size} values for {size} neurons; give one "
                    f"value per neuron, a number or a distribution")
        pop = Population(name, model_obj, int(size), self.n_neurons)
        self.populations[name] = pop
        return pop

    def population(self, name, where):
        try:
            return self.populations[name]
        except KeyError:
            raise NetworkError(
                f"{where}: population '{name}' does not exist; populations: "
                f"{', '.join(self.populations) or '(none)'}") from None

    def population_of(self, gids):
        """Index (in ``self.populations`` order) of the population of each gid."""
        firsts = np.array([p.first_gid for p in self.populations.values()], dtype=np.int64)
        return np.searchsorted(firsts, np.asarray(gids, dtype=np.int64), side="right") - 1

    # ---------------------------------------------------------------- projections
    def connect(self, source, target, rule, weight=1.0, delay=1.0, name=None, device=None,
                synapse=None, receptor_type=0):
        """Connect population ``source`` to ``target`` with a rule (object, name or NEST
        conn_spec dict), weight and delay (ms; numbers or distributions; with the from_list
        rule also sequences of one value per listed synapse).  ``device`` (e.g.
        ``distsim.hardware.PCM()``) stores each weight in a modelled memory device
        (hardware/devices.py); ``synapse`` (a NEST-style dict such as ``{"synapse_model":
        "stdp_synapse", "lambda": 0.01}``, or a models.synapses object) makes them plastic;
        ``receptor_type=1`` of a parrot_neuron takes plastic synapses whose spikes are not
        repeated (NEST's STDP test setup)."""
        name = name or f"{source}->{target}"
        if any(p.name == name for p in self.projections):
            name = f"{name}#{len(self.projections)}"
        where = f"Projection '{name}'"
        src = self.population(source, where)
        tgt = self.population(target, where)
        if tgt.model.is_source_only:
            raise NetworkError(
                f"{where}: target population '{target}' is a {tgt.model.name}, which receives "
                f"no input; connect to a neuron population")
        rule = rule_from_spec(rule, where)
        self._check_rule(rule, src, tgt, where)
        weight = self._synapse_values(weight, rule, f"{where}: weight")
        tgt.model.check_weights(weight, where)
        delay = self._synapse_values(delay, rule, f"{where}: delay")
        self._check_delay(delay, where)
        device = device_from_spec(device, where)
        synapse = synapse_from_spec(synapse, where)
        if synapse is not None:
            if device is not None or "tau_minus" not in tgt.model.parameter_names():
                raise ModelError(
                    f"{where}: a {synapse.name} needs a target model with tau_minus (iaf "
                    f"models, izhikevich) and no device; got model '{tgt.model.name}'"
                    f"{' and a device' if device is not None else ''}")
            synapse.check_weights(weight, where)
            if hasattr(synapse, "vt"):
                self._check_volume_transmitter(synapse, where)
        if receptor_type != 0 and not (receptor_type == 1 and synapse is not None
                                       and tgt.model.name == "parrot_neuron"):
            raise NetworkError(
                f"{where}: receptor_type {receptor_type!r} is not available; receptor_type 1 "
                f"exists on parrot_neuron targets, for plastic synapses only; use 0")
        if device is not None and not varies_per_synapse(weight):
            weight = Uniform(float(weight), float(weight))  # one stored weight per synapse
        #  (plastic synapses keep theirs in the simulation, float64, from a constant or the
        #   table's per-synapse values)
        proj = Projection(name, source, target, rule, weight, delay, len(self.projections),
                          device, synapse, receptor_type)
        self.projections.append(proj)
        return proj

    @staticmethod
    def _synapse_values(value, rule, where):
        """A number, a distribution, or (from_list only) a float64 array per listed synapse."""
        if isinstance(value, (list, tuple, np.ndarray)):
            values = np.asarray(value, dtype=float)
            if not isinstance(rule, FromList):
                raise NetworkError(
                    f"{where}: one value per synapse needs the from_list rule, whose synapses "
                    f"are known in advance; use a number or a distribution with rule "
                    f"'{rule.rule}'")
            if values.shape != rule.sources.shape or not np.all(np.isfinite(values)):
                raise NetworkError(
                    f"{where}: {values.size} values (shape {values.shape}) for "
                    f"{rule.sources.size} listed synapses; give one finite value per synapse")
            return values
        return as_value(value, where)

    def _check_rule(self, rule, src, tgt, where):
        same = src.name == tgt.name
        autapses = getattr(rule, "allow_autapses", True)
        available_src = src.size - (1 if same and not autapses else 0)
        available_tgt = tgt.size - (1 if same and not autapses else 0)

        def count(value, what):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ConnectionRuleError(
                    f"{where}: {rule.rule} {what} {value!r} is not a non-negative integer")

        def degree(value, what, available, pop, side):
            count(value, what)
            if value > 0 and available <= 0:
                raise ConnectionRuleError(f"{where}: {rule.rule} {value} with no {side}")
            if not rule.allow_multapses and value > available:
                raise ConnectionRuleError(
                    f"{where}: {rule.rule} {value} is larger than the {available} available "
                    f"{side} of '{pop.name}' without multapses; use {what} <= {available} or "
                    f"allow_multapses=True")

        if isinstance(rule, FixedIndegree):
            degree(rule.indegree, "indegree", available_src, src, "sources")
        elif isinstance(rule, FixedOutdegree):
            degree(rule.outdegree, "outdegree", available_tgt, tgt, "targets")
        elif isinstance(rule, PairwiseBernoulli):
            p = rule.p
            if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
                raise ConnectionRuleError(
                    f"{where}: pairwise_bernoulli probability p = {p!r} is outside [0, 1]; "
                    f"use 0 <= p <= 1")
        elif isinstance(rule, FixedTotalNumber):
            count(rule.N, "N")
            pairs = src.size * tgt.size - (src.size if same and not rule.allow_autapses else 0)
            if rule.N > 0 and pairs <= 0:
                raise ConnectionRuleError(f"{where}: fixed_total_number {rule.N} with no pairs")
            if not rule.allow_multapses and rule.N > pairs:
                raise ConnectionRuleError(
                    f"{where}: fixed_total_number N = {rule.N} is larger than the {pairs} "
                    f"possible pairs without multapses; use N <= {pairs} or allow_multapses=True")
        elif isinstance(rule, FromList):
            for name, idx, pop in (("source", rule.sources, src), ("target", rule.targets, tgt)):
                bad = (idx < 0) | (idx >= pop.size)
                if bad.any():
                    k = int(np.flatnonzero(bad)[0])
                    raise ConnectionRuleError(
                        f"{where}: from_list synapse {k} has {name} index {int(idx[k])}, outside "
                        f"population '{pop.name}' of {pop.size} neurons; use indices "
                        f"0..{pop.size - 1}")
        elif isinstance(rule, OneToOne):
            if src.size != tgt.size:
                raise ConnectionRuleError(
                    f"{where}: one_to_one needs populations of equal size, got {src.size} "
                    f"('{src.name}') and {tgt.size} ('{tgt.name}'); use all_to_all or "
                    f"populations of the same size")

    def _check_volume_transmitter(self, synapse, where):
        """``vt`` names a population (its neurons' spikes are the dopamine spikes: simulated
        neurons of any model, or a spike_source) and ``vt_delay`` is at least one step."""
        vt = synapse.vt
        if not isinstance(vt, str) or not vt:
            raise NetworkError(
                f"{where}: a {synapse.name} needs vt, the population of dopamine neurons "
                f"(NEST's volume_transmitter and the neurons connected to it); got vt = "
                f"{vt!r}; add that population first and give its name")
        if vt not in self.populations:
            stimulus = {s.name: kind for kind, group in (("Poisson input", self.poisson_inputs),
                                                         ("DC input", self.dc_inputs))
                        for s in group}.get(vt)
            if stimulus:
                raise NetworkError(
                    f"{where}: the volume transmitter vt = {vt!r} of a {synapse.name} is a "
                    f"{stimulus}, which emits no spikes of its own; the dopamine spikes are "
                    f"those of a population: add a parrot_neuron population driven by it (or "
                    f"any neurons, or a spike_source) and give that population's name")
            raise NetworkError(
                f"{where}: the volume transmitter vt = {vt!r} of a {synapse.name} is not a "
                f"population; populations: {', '.join(self.populations) or '(none)'}; add the "
                f"dopamine neurons' population (any neuron model, or a spike_source) before "
                f"the projection and give its name")
        steps = round(synapse.vt_delay / self.dt) if math.isfinite(synapse.vt_delay) else 0
        if steps < 1:
            raise DelayError(
                f"{where}: vt_delay {synapse.vt_delay} ms of a {synapse.name} is shorter than "
                f"one step (dt = {self.dt} ms): dopamine spikes reach the synapses one step "
                f"after they are emitted at the earliest, like any connection; use vt_delay "
                f">= {self.dt} ms or a smaller dt")

    def _check_delay(self, delay, where):
        if isinstance(delay, np.ndarray):
            if delay.size == 0:
                return
            delay = float(delay.min())
        low = delay.bounds[0] if is_distribution(delay) else delay
        if not math.isfinite(low) or math.floor(low / self.dt + 0.5) < 1:  # steps as built
            if is_distribution(delay):
                raise DelayError(
                    f"{where}: delay distribution {delay} can draw delays below one step "
                    f"(dt = {self.dt} ms); clip it with low >= {self.dt} ms")
            raise DelayError(
                f"{where}: delay {delay} ms is shorter than one step (dt = {self.dt} ms); use a "
                f"delay >= {self.dt} ms or a smaller dt")

    # ---------------------------------------------------------------- stimuli
    def add_poisson_input(self, target, rate, weight=1.0, delay=1.0, start=0.0, stop=math.inf,
                          neurons=None, name=None):
        """Independent Poisson input of ``rate`` Hz to each neuron of ``target`` (or of the
        given neuron indices), each spike adding ``weight``, arriving after ``delay`` ms."""
        name = name or f"poisson->{target}#{len(self.poisson_inputs)}"
        where = f"PoissonInput '{name}'"
        pop = self.population(target, where)
        if not (isinstance(rate, (int, float)) and rate >= 0 and math.isfinite(rate)):
            raise NetworkError(f"{where}: rate {rate!r} Hz is not a finite rate >= 0")
        if not isinstance(weight, (int, float)) or not math.isfinite(weight):
            raise NetworkError(f"{where}: weight {weight!r} must be a finite number")
        self._check_delay(float(delay), where)
        self._check_window(start, stop, where)
        stim = PoissonInput(name, target, float(rate), float(weight), float(delay), float(start),
                            float(stop), _neuron_subset(neurons, pop, where),
                            len(self.poisson_inputs))
        self.poisson_inputs.append(stim)
        return stim

    def add_dc_input(self, target, amplitude, start=0.0, stop=math.inf, delay=None, neurons=None,
                     name=None):
        """Constant current ``amplitude`` pA into each neuron of ``target`` during (start, stop]
        ms; the current reaches the neuron after ``delay`` ms (default: one step)."""
        name = name or f"dc->{target}#{len(self.dc_inputs)}"
        where = f"DCInput '{name}'"
        pop = self.population(target, where)
        delay = self.dt if delay is None else float(delay)
        if not isinstance(amplitude, (int, float)) or not math.isfinite(amplitude):
            raise NetworkError(f"{where}: amplitude {amplitude!r} pA must be a finite number")
        self._check_delay(delay, where)
        self._check_window(start, stop, where)
        stim = DCInput(name, target, float(amplitude), float(start), float(stop), delay,
                       _neuron_subset(neurons, pop, where), len(self.dc_inputs))
        self.dc_inputs.append(stim)
        return stim

    def _check_window(self, start, stop, where):
        if not (0 <= start <= stop):
            raise NetworkError(
                f"{where}: active window (start={start}, stop={stop}) ms is invalid; use "
                f"0 <= start <= stop")

    # ---------------------------------------------------------------- recorders
    def record_spikes(self, population, neurons=None):
        pop = self.population(population, "SpikeRecorder")
        rec = SpikeRecorder(population, _neuron_subset(neurons, pop, f"SpikeRecorder '{population}'"))
        self.spike_recorders.append(rec)
        return rec

    def record_state(self, population, variables, interval=1.0, neurons=None):
        where = f"StateRecorder '{population}'"
        pop = self.population(population, where)
        variables = (variables,) if isinstance(variables, str) else tuple(variables)
        for var in variables:
            if var not in pop.model.recordables:
                raise NetworkError(
                    f"{where}: model '{pop.model.name}' has no recordable {var!r}; recordables: "
                    f"{', '.join(pop.model.recordables) or '(none)'}")
        steps = interval / self.dt
        if interval <= 0 or abs(steps - round(steps)) > 1e-9 * max(1.0, steps):
            raise NetworkError(
                f"{where}: interval {interval} ms is not a positive multiple of dt = {self.dt} "
                f"ms; use e.g. interval={self.dt}")
        rec = StateRecorder(population, variables, float(interval),
                            _neuron_subset(neurons, pop, where))
        self.state_recorders.append(rec)
        return rec

    def record_weights(self, projection, interval=10.0, neurons=(0,), bins=None):
        """Sample the weights of plastic projection ``projection`` every ``interval`` ms:
        those onto its target neurons ``neurons`` (indices), and a histogram of all of them
        over ``bins`` (edges; default 50 bins from 0 to the synapse model's Wmax, or to
        twice the largest initial weight)."""
        where = f"WeightRecorder '{projection}'"
        proj = next((p for p in self.projections if p.name == projection), None)
        if proj is None or proj.synapse is None:
            raise NetworkError(
                f"{where}: no plastic projection of that name; plastic projections: "
                f"{', '.join(p.name for p in self.projections if p.synapse) or '(none)'}")
        steps = interval / self.dt
        if interval <= 0 or abs(steps - round(steps)) > 1e-9 * max(1.0, steps):
            raise NetworkError(f"{where}: interval {interval} ms is not a positive multiple of "
                               f"dt = {self.dt} ms")
        tgt = self.populations[proj.target]
        idx = _neuron_subset(neurons, tgt, where)
        if bins is None:
            top = getattr(proj.synapse, "Wmax", None)
            if top is None:
                top = 2.0 * (proj.weight.bounds[1] if hasattr(proj.weight, "bounds")
                             else float(np.max(proj.weight)))
            bins = np.linspace(min(0.0, top), max(0.0, top), 51)
        bins = tuple(float(b) for b in bins)
        if len(bins) < 2 or any(b >= c for b, c in zip(bins, bins[1:])):
            raise NetworkError(f"{where}: bins must be at least two increasing edges")
        rec = WeightRecorder(projection, float(interval), tuple(int(i) for i in idx), bins)
        self.weight_recorders.append(rec)
        return rec

    # ---------------------------------------------------------------- serialisation
    def to_dict(self, arrays=None):
        """A JSON-serialisable description; ``Network.from_dict`` inverts it.  With a dict
        ``arrays``, large payloads (spike sources' times, explicit connection lists,
        per-synapse weights and delays, per-neuron parameters, of more than ARRAY_INLINE
        values) go there as numpy arrays, and the description holds ``{"$array": key}`` in their place (a run store
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
            "dt": self.dt, "seed": int(self.seed),
            "populations": [{"name": p.name, "model": p.model.name, "size": p.size,
                             "params": params(p.model)} for p in self.populations.values()],
            "projections": [{"name": p.name, "source": p.source, "target": p.target,
                             "rule": rule(p.rule), "weight": value(p.weight),
                             "delay": value(p.delay),
                             "device": p.device.to_spec() if p.device else None,
                             "synapse": p.synapse.to_spec() if p.synapse else None,
                             "receptor_type": p.receptor_type}
                            for p in self.projections],
            "poisson_inputs": [{"name": s.name, "target": s.target, "rate": s.rate,
                                "weight": s.weight, "delay": s.delay, "start": s.start,
                                "stop": s.stop, "neurons": s.neurons} for s in self.poisson_inputs],
            "dc_inputs": [{"name": s.name, "target": s.target, "amplitude": s.amplitude,
                           "start": s.start, "stop": s.stop, "delay": s.delay,
                           "neurons": s.neurons} for s in self.dc_inputs],
            "spike_recorders": [{"population": r.population, "neurons": r.neurons}
                                for r in self.spike_recorders],
            "state_recorders": [{"population": r.population, "variables": list(r.variables),
                                 "interval": r.interval, "neurons": r.neurons}
                                for r in self.state_recorders],
            "weight_recorders": [{"projection": r.projection, "interval": r.interval,
                                  "neurons": list(r.neurons), "bins": list(r.bins)}
                                 for r in self.weight_recorders],
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
            net.add_population(p["name"], p["model"], p["size"], p.get("params"))
        for p in d.get("projections", []):
            net.connect(p["source"], p["target"], p["rule"], p["weight"], p["delay"], p["name"],
                        p.get("device"), p.get("synapse"), p.get("receptor_type", 0))
        for s in d.get("poisson_inputs", []):
            net.add_poisson_input(s["target"], s["rate"], s["weight"], s["delay"], s["start"],
                                  s["stop"], s["neurons"], s["name"])
        for s in d.get("dc_inputs", []):
            net.add_dc_input(s["target"], s["amplitude"], s["start"], s["stop"], s["delay"],
                             s["neurons"], s["name"])
        for r in d.get("spike_recorders", []):
            net.record_spikes(r["population"], r["neurons"])
        for r in d.get("state_recorders", []):
            net.record_state(r["population"], r["variables"], r["interval"], r["neurons"])
        for r in d.get("weight_recorders", []):
            net.record_weights(r["projection"], r["interval"], r["neurons"], r["bins"])
        return net
