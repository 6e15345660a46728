"""Model files: a network described in TOML (or YAML), validated before anything is built.

Hierarchy: a network of areas, areas of populations (areas may nest).  ``params`` and
``model`` are inherited downwards (network defaults < area < population); an inherited
parameter applies to the populations whose model has it.  A population is
named by its path, e.g. ``V1.L23E``; a *group* is a population path, an area path (all
populations below it) or ``"*"`` (all).  A connection between groups connects every
(source population, target population) pair of the groups with the rule, weight and delay
(spike sources in a target group are skipped: they receive no input).

    [network]
    dt = 0.1
    seed = 1

    [defaults]
    model = "iaf_psc_exp"
    params = { C_m = 250.0, tau_m = 10.0 }

    [areas.V1]
    params = { I_e = 0.0 }

    [areas.V1.populations.L23E]
    size = 2000
    params = { V_m = { distribution = "normal", mean = -65.0, std = 5.0 } }

    [populations.input]              # populations outside any area
    model = "spike_source"
    size = 2
    params = { spike_times = [[10.0], [20.0]] }

    [[projections]]
    source = "V1"
    target = "V1.L23E"
    rule = { rule = "fixed_indegree", indegree = 100 }
    weight = 87.8
    delay = { distribution = "normal", mean = 1.5, std = 0.75, low = 0.1 }

    [[stimuli.poisson]]     target, rate, weight, delay, start, stop, neurons
    [[stimuli.dc]]          target, amplitude, start, stop, delay, neurons
    [[record.spikes]]       population (a group), neurons
    [[record.state]]        population (a group), variables, interval, neurons

Every error names the file, the key path (e.g. ``projections[3].weight.mean``), the value and
what is allowed.  ``write_model_file`` writes a Network as such a file (populations at the top
level, in gid order), which loads back into the same Network.
"""
import json
import math
import re
import tomllib
from pathlib import Path

from .errors import DistsimError, ModelFileError
from .models import get_model
from .network import Network

_TOP = {"network", "defaults", "areas", "populations", "projections", "stimuli", "record"}
_NETWORK = {"dt", "seed"}
_NODE = {"model", "params"}
_AREA = _NODE | {"areas", "populations"}
_POPULATION = _NODE | {"size"}
_PROJECTION = {"source", "target", "rule", "weight", "delay", "name"}
_STIMULI = {"poisson", "dc"}
_POISSON = {"target", "rate", "weight", "delay", "start", "stop", "neurons"}
_DC = {"target", "amplitude", "start", "stop", "delay", "neurons"}
_RECORD = {"spikes", "state"}
_SPIKES = {"population", "neurons"}
_STATE = {"population", "variables", "interval", "neurons"}


class _Reader:
    def __init__(self, path):
        self.path = str(path)

    def fail(self, key, value, allowed):
        raise ModelFileError(f"{self.path}: {key}: value {value!r} is not allowed; {allowed}")

    def table(self, value, key, allowed):
        if not isinstance(value, dict):
            self.fail(key, value, "expected a table")
        unknown = sorted(set(value) - allowed) if allowed is not None else []
        if unknown:
            raise ModelFileError(
                f"{self.path}: {key}.{unknown[0]}: unknown key; allowed keys here: "
                f"{', '.join(sorted(allowed))}")
        return value

    def items(self, value, key):
        if not isinstance(value, list):
            self.fail(key, value, "expected a list of tables ([[...]])")
        return value


def load_model_file(path):
    """The Network described by the TOML or YAML file ``path``."""
    path = Path(path)
    r = _Reader(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        if path.suffix in (".yaml", ".yml"):
            import yaml
            doc = yaml.safe_load(text) or {}
        else:
            doc = tomllib.loads(text)
    except Exception as exc:  # the parsers' own messages name line and column
        raise ModelFileError(f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}") from None
    r.table(doc, "(top level)", _TOP)
    net_spec = r.table(doc.get("network", {}), "network", _NETWORK)
    try:
        net = Network(dt=net_spec.get("dt", 0.1), seed=net_spec.get("seed", 1))
    except DistsimError as exc:
        raise ModelFileError(f"{path}: network: {exc}") from None
    defaults = r.table(doc.get("defaults", {}), "defaults", _NODE)
    groups = {}  # group path -> list of population names

    def add_population(name, spec, key, inherited):
        spec = r.table(spec, key, _POPULATION)
        model = spec.get("model", inherited.get("model"))
        if model is None:
            r.fail(f"{key}.model", None, "give a model here or in an enclosing area/defaults")
        own = r.table(spec.get("params", {}), f"{key}.params", None)
        try:
            known = set(get_model(model, f"Population '{name}'").parameter_names())
        except DistsimError as exc:
            raise ModelFileError(f"{path}: {key}: {exc}") from None
        # inherited parameters apply where the model has them; a population's own are checked
        params = {**{k: v for k, v in inherited.get("params", {}).items() if k in known}, **own}
        if "size" not in spec:
            r.fail(f"{key}.size", None, "every population needs a size")
        try:
            net.add_population(name, model, spec["size"], params)
        except DistsimError as exc:
            raise ModelFileError(f"{path}: {key}: {exc}") from None
        return [name]

    def add_area(prefix, spec, key, inherited):
        spec = r.table(spec, key or "(top level)", _AREA)
        here = {"model": spec.get("model", inherited.get("model")),
                "params": {**inherited.get("params", {}),
                           **r.table(spec.get("params", {}), f"{key}.params" if key else "defaults.params", None)}}
        members = []
        dot = f"{key}." if key else ""
        for name, sub in r.table(spec.get("populations", {}), f"{dot}populations", None).items():
            full = f"{prefix}.{name}" if prefix else name
            members += add_population(full, sub, f"{dot}populations.{name}", here)
            groups[full] = [full]
        for name, sub in r.table(spec.get("areas", {}), f"{dot}areas", None).items():
            full = f"{prefix}.{name}" if prefix else name
            sub_members = add_area(full, sub, f"{dot}areas.{name}", here)
            groups[full] = sub_members
            members += sub_members
        return members

    root_spec = {"populations": doc.get("populations", {}), "areas": doc.get("areas", {})}
    everything = add_area("", root_spec, "", {"model": defaults.get("model"),
                                                          "params": defaults.get("params", {})})
    groups["*"] = everything

    def group(value, key):
        if value not in groups:
            r.fail(key, value, f"name a population or area: {', '.join(sorted(groups))}")
        return groups[value]

    def call(key, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DistsimError as exc:
            raise ModelFileError(f"{path}: {key}: {exc}") from None

    for i, p in enumerate(r.items(doc.get("projections", []), "projections")):
        key = f"projections[{i}]"
        p = r.table(p, key, _PROJECTION)
        for k in ("source", "target", "rule"):
            if k not in p:
                r.fail(f"{key}.{k}", None, f"every projection needs {k}")
        targets = group(p["target"], f"{key}.target")
        if len(targets) > 1 or targets != [p["target"]]:  # a group: only neuron populations
            targets = [t for t in targets if not net.populations[t].model.is_source_only]
        for src in group(p["source"], f"{key}.source"):
            for tgt in targets:
                name = p.get("name")
                call(key, net.connect, src, tgt, p["rule"], p.get("weight", 1.0),
                     p.get("delay", 1.0), f"{name}:{src}->{tgt}" if name else None)
    stimuli = r.table(doc.get("stimuli", {}), "stimuli", _STIMULI)
    for i, s in enumerate(r.items(stimuli.get("poisson", []), "stimuli.poisson")):
        key = f"stimuli.poisson[{i}]"
        s = r.table(s, key, _POISSON)
        for tgt in group(s.get("target"), f"{key}.target"):
            call(key, net.add_poisson_input, tgt, s.get("rate"), s.get("weight", 1.0),
                 s.get("delay", 1.0), s.get("start", 0.0), s.get("stop", math.inf),
                 s.get("neurons"))
    for i, s in enumerate(r.items(stimuli.get("dc", []), "stimuli.dc")):
        key = f"stimuli.dc[{i}]"
        s = r.table(s, key, _DC)
        for tgt in group(s.get("target"), f"{key}.target"):
            call(key, net.add_dc_input, tgt, s.get("amplitude"), s.get("start", 0.0),
                 s.get("stop", math.inf), s.get("delay"), s.get("neurons"))
    record = r.table(doc.get("record", {}), "record", _RECORD)
    for i, s in enumerate(r.items(record.get("spikes", []), "record.spikes")):
        key = f"record.spikes[{i}]"
        s = r.table(s, key, _SPIKES)
        for pop in group(s.get("population"), f"{key}.population"):
            call(key, net.record_spikes, pop, s.get("neurons"))
    for i, s in enumerate(r.items(record.get("state", []), "record.state")):
        key = f"record.state[{i}]"
        s = r.table(s, key, _STATE)
        for pop in group(s.get("population"), f"{key}.population"):
            call(key, net.record_state, pop, s.get("variables", []), s.get("interval", 1.0),
                 s.get("neurons"))
    return net


def write_model_file(net, path):
    """Write ``net`` to the TOML or YAML (by suffix) file ``path``; ``load_model_file`` gives
    it back.  Every population, projection, stimulus and recorder is written explicitly, in
    order; a projection is named only where the loader would not derive its name, and a name
    the format cannot give back (it names projections NAME:SOURCE->TARGET) is refused."""
    doc = _document(net)
    path = Path(path)
    if path.suffix in (".yaml", ".yml"):
        import yaml
        text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=100)
    else:
        text = "\n".join(_toml_table(doc, [])).lstrip() + "\n"
    path.write_text(text)


def _document(net):
    """The model-file structure of ``net`` (plain dicts, lists and numbers)."""
    doc = {"network": {"dt": net.dt, "seed": int(net.seed)},
           "populations": {p.name: {"model": p.model.name, "size": p.size,
                                    "params": p.model.to_dict()}
                           for p in net.populations.values()}}
    names, projections = [], []
    for p in net.to_dict()["projections"]:
        entry = {"source": p["source"], "target": p["target"], "rule": p["rule"],
                 "weight": p["weight"], "delay": p["delay"]}
        for given in (None, *_name_candidates(p)):
            if _derived_name(given, p, names) == p["name"]:
                if given is not None:
                    entry["name"] = given
                break
        else:
            raise ModelFileError(
                f"Projection '{p['name']}': a model file names projections NAME:SOURCE->TARGET "
                f"(here NAME:{p['source']}->{p['target']}), so this name cannot be written; "
                f"rename the projection or leave its name unset")
        names.append(p["name"])
        projections.append(entry)
    stimuli = {}
    for kind, keys in (("poisson", ("target", "rate", "weight", "delay", "start", "stop")),
                       ("dc", ("target", "amplitude", "start", "stop", "delay"))):
        for i, s in enumerate(getattr(net, f"{kind}_inputs")):
            if s.name != f"{kind}->{s.target}#{i}":
                raise ModelFileError(
                    f"{'PoissonInput' if kind == 'poisson' else 'DCInput'} '{s.name}': a model "
                    f"file cannot name stimuli (their names key the random streams); leave the "
                    f"name unset")
            entry = {key: getattr(s, key) for key in keys}
            stimuli.setdefault(kind, []).append(_with_neurons(entry, s.neurons))
    record = {}
    for r in net.spike_recorders:
        record.setdefault("spikes", []).append(_with_neurons({"population": r.population},
                                                             r.neurons))
    for r in net.state_recorders:
        record.setdefault("state", []).append(_with_neurons(
            {"population": r.population, "variables": list(r.variables),
             "interval": r.interval}, r.neurons))
    for key, value in (("projections", projections), ("stimuli", stimuli), ("record", record)):
        if value:
            doc[key] = value
    return doc


def _name_candidates(p):
    """Names NAME that the loader turns into projection p's name NAME:SOURCE->TARGET[#i]."""
    suffix = f":{p['source']}->{p['target']}"
    base = re.sub(r"#\d+$", "", p["name"])
    return [n[: -len(suffix)] for n in dict.fromkeys((p["name"], base))
            if n.endswith(suffix) and len(n) > len(suffix)]


def _derived_name(given, p, names):
    """The name Network.connect gives projection p when the loader passes ``given``."""
    name = f"{given}:{p['source']}->{p['target']}" if given else f"{p['source']}->{p['target']}"
    return f"{name}#{len(names)}" if name in names else name


def _with_neurons(entry, neurons):
    if neurons is not None:
        entry["neurons"] = list(neurons)
    return entry


def _toml_key(key):
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_value(value, inline=False):
    """A TOML value; long lists span lines unless ``inline`` (inside an inline table)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v, True)}"
                                for k, v in value.items() if v is not None) + " }"
    items = [_toml_value(v, True) for v in value]
    if inline or sum(len(i) + 2 for i in items) < 80:
        return "[" + ", ".join(items) + "]"
    if any(isinstance(v, list) for v in value):  # e.g. spike times: one line per neuron
        lines = items
    else:
        lines = [", ".join(items[i:i + 10]) for i in range(0, len(items), 10)]
    return "[\n    " + ",\n    ".join(lines) + ",\n]"


def _is_table(value, top):
    """Values written as [tables]: the top level's dicts, dicts holding lists or dicts
    (inline tables cannot span lines), lists of dicts as [[tables]]."""
    if isinstance(value, dict):
        return top or any(isinstance(v, (dict, list)) for v in value.values())
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _toml_table(table, path, header=None):
    """Lines of ``table`` at the key path ``path``: its header (if it has values of its
    own), its values, then its sub-tables."""
    top = not path
    values = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()
              if v is not None and not _is_table(v, top)]
    lines = (["", header] if header and values else []) + values
    for k, v in table.items():
        if not _is_table(v, top):
            continue
        sub = path + [_toml_key(k)]
        if isinstance(v, dict):
            lines += _toml_table(v, sub, f"[{'.'.join(sub)}]")
        else:
            for item in v:
                lines += ["", f"[[{'.'.join(sub)}]]", *_toml_table(item, sub)]
    return lines
