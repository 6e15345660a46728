"""Model files: a network described in TOML (or YAML), validated before anything is built.

Hierarchy: a network of areas, areas of populations (areas may nest).  ``params`` and
``model`` (or ``nestml``, a NESTML file relative to the model file: models/nestml.py) are
inherited downwards (network defaults < area < population); an inherited
parameter applies to the populations whose model has it, and must be a parameter of at least
one of them.  A population is named by its path, e.g. ``V1.L23E``; a *group* is a
population path, an area path (all populations below it) or ``"*"`` (all).  A connection
between groups connects every (source population, target population) pair of the groups
with the rule, weight and delay (spike sources in a target group are skipped: they receive
no input).

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

    [areas.V1.populations.L23I]
    size = 500
    params = { V_m = { file = "L23I_V_m.npy" } }   # one value per neuron, from a file

    [populations.input]              # populations outside any area
    model = "spike_source"
    size = 2
    params = { spike_times = [[10.0], [20.0]] }    # or { file = "input_spikes.csv" }

    [[projections]]
    source = "V1"
    target = "V1.L23E"
    rule = { rule = "fixed_indegree", indegree = 100 }
    weight = 87.8
    delay = { distribution = "normal", mean = 1.5, std = 0.75, low = 0.1 }

    [[projections]]
    source = "V1.L23E"
    target = "V1.L23E"
    rule = { rule = "fixed_indegree", indegree = 10 }
    weight = 50.0
    synapse = { synapse_model = "stdp_synapse", lambda = 0.01, Wmax = 100.0 }
    name = "stdp"                    # the projection is called stdp:V1.L23E->V1.L23E

    [[stimuli.poisson]]     target (a group), rate, weight, delay, start, stop, neurons, name
    [[stimuli.dc]]          target (a group), amplitude, start, stop, delay, neurons, name
    [[record.spikes]]       population (a group), neurons
    [[record.state]]        population (a group), variables, interval, neurons
    [[record.weights]]      projection (a plastic projection's name, e.g.
                            "stdp:V1.L23E->V1.L23E"), interval, neurons (of its target), bins

A projection also takes ``name`` (its projections are called NAME:SOURCE->TARGET) or
``full_name`` (the whole name of the one projection of an entry from one population to one
population), ``synapse`` (any plastic model of models/synapses.py with NEST's parameter
names; the volume transmitter ``vt`` of a stdp_dopamine_synapse names a population by its
path), ``device`` (e.g. ``{ device = "pcm", drift_compensation = true }``,
hardware/devices.py), ``receptor_type`` and ``storage = "procedural"`` (synapses regenerated
at every spike instead of stored; Network.connect).  A stimulus's ``name`` keys its random stream
(default KIND->TARGET#INDEX).  Keys, values and units are those of the Python API
(``Network``); what is not given takes the API's default.

Arrays from files: wherever a list of numbers is taken (per-neuron parameter values, a
from_list rule's ``sources`` and ``targets``, its per-synapse weights and delays, neuron
indices, a compact ``spike_times = { times = ..., counts = ... }``), ``{ file = "NAME" }``
reads it from a ``.npy`` file (integer or float, 1-d) or a ``.csv`` file (one value per
line; ``#`` comments and a header line allowed), NAME relative to the model file.  A
spike_source's ``spike_times = { file = "NAME" }`` reads a table of one row per spike,
(neuron index, time in ms): a 2-column ``.npy`` or a ``.csv`` with lines ``neuron,time``.

Every error names the file, the key path (e.g. ``projections[3].weight.mean``), the value and
what is allowed; an unknown name comes with the closest known one.  A model file is at most
MAX_FILE_BYTES and nests at most MAX_DEPTH tables and lists; YAML aliases are refused (a few
of them expand to gigabytes: "billion laughs").  ``write_model_file`` writes a Network as
such a file (populations at the top level, in gid order), which loads back into the same
Network, with arrays of more than ARRAY_INLINE values in ``.npy`` files beside it.
"""

import io
import json
import math
import re
import tomllib
import warnings
from pathlib import Path

import numpy as np

from .errors import DistsimError, ModelFileError
from .memory import check_available
from .messages import did_you_mean, listing, shown
from .models import get_model
from .network import MAX_NEURONS, Network

MAX_FILE_BYTES = 32 * 2**20  # a model file or a .csv file it names; arrays go to .npy
MAX_DEPTH = 64  # nested tables and lists (a deep area tree needs about 20)
# a spike_source's description per neuron (its times' view and spike count), for the memory
# check before a spike-time table is split by neuron
SPIKE_SOURCE_BYTES_PER_NEURON = 128

_TOP = {"network", "defaults", "areas", "populations", "projections", "stimuli", "record"}
_NETWORK = {"dt", "seed"}
_NODE = {"model", "nestml", "params"}
_AREA = _NODE | {"areas", "populations"}
_POPULATION = _NODE | {"size"}
_PROJECTION = {
    "source",
    "target",
    "rule",
    "weight",
    "delay",
    "name",
    "full_name",
    "synapse",
    "device",
    "receptor_type",
    "storage",
}
_STIMULI = {"poisson", "dc"}
_POISSON = {"target", "rate", "weight", "delay", "start", "stop", "neurons", "name"}
_DC = {"target", "amplitude", "start", "stop", "delay", "neurons", "name"}
_RECORD = {"spikes", "state", "weights"}
_SPIKES = {"population", "neurons"}
_STATE = {"population", "variables", "interval", "neurons"}
_WEIGHTS = {"projection", "interval", "neurons", "bins"}


def _key(parent, name):
    """The key path of ``name`` in the table at ``parent`` (names quoted as in TOML)."""
    name = _toml_key(name)
    return f"{parent}.{name}" if parent else name


class _Reader:
    """Reads one model file: its text, its document (arrays from files included), its
    tables, with errors naming the file and the key path."""

    def __init__(self, path):
        self.path = path

    def error(self, key, message):
        return ModelFileError(f"{self.path}: {key}: {message}")

    def fail(self, key, value, allowed):
        raise self.error(key, f"value {shown(value)} is not allowed; {allowed}")

    def table(self, value, key, allowed):
        if not isinstance(value, dict):
            self.fail(key, value, "expected a table")
        unknown = sorted(set(value) - allowed) if allowed is not None else []
        if unknown:
            raise self.error(
                _key("" if key == "(top level)" else key, unknown[0]),
                f"unknown key; allowed keys here: {', '.join(sorted(allowed))}"
                f"{did_you_mean(unknown[0], allowed)}",
            )
        return value

    def items(self, value, key):
        if not isinstance(value, list):
            self.fail(key, value, "expected a list of tables ([[...]])")
        return value

    def require(self, spec, key, names, what):
        for name in names:
            if name not in spec:
                raise self.error(_key(key, name), f"missing; every {what} needs {name}")

    def model(self, spec, key, inherited):
        """The model name a node gives (``model``, or ``nestml``: a NESTML file relative to
        the model file, loaded and registered under its model's name), else ``inherited``."""
        if "model" in spec and "nestml" in spec:
            raise self.error(
                _key(key, "nestml"), "give either model or nestml (a NESTML file), not both"
            )
        if "nestml" not in spec:
            return spec.get("model", inherited)
        name = spec["nestml"]
        if not isinstance(name, str) or not name.endswith(".nestml"):
            self.fail(_key(key, "nestml"), name, "name a .nestml file, relative to the model file")
        from .models.nestml import load_nestml

        return self.call(_key(key, "nestml"), load_nestml, self.path.parent / name).name

    def call(self, key, fn, *args, **kwargs):
        """``fn(*args, **kwargs)``; a DistsimError becomes a ModelFileError at ``key``."""
        try:
            return fn(*args, **kwargs)
        except DistsimError as exc:
            raise self.error(key, str(exc)) from None

    # ---------------------------------------------------------------- the document
    def document(self):
        """The parsed file, each ``{file = ...}`` table replaced by the array it names."""
        data = self.read(
            self.path,
            str(self.path),
            "a model file",
            'put large arrays in .npy files it names ({ file = "x.npy" })',
        )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ModelFileError(
                f"{self.path}: byte {data[exc.start]:#04x} at offset {exc.start} is not UTF-8 "
                f"text; a model file is TOML or YAML text (is this a binary file?)"
            ) from None
        doc = self.yaml(text) if self.path.suffix in (".yaml", ".yml") else self.toml(text)
        return self.resolve(doc, "", 1)

    @staticmethod
    def read(path, where, what, fix):
        """The bytes of ``path``, refused beyond MAX_FILE_BYTES (read no further); ``where``
        begins the errors, ``what`` the file is and ``fix`` what to do about its size."""
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise ModelFileError(f"{where}: cannot be read ({exc.strerror or exc})") from None
        if len(data) > MAX_FILE_BYTES:
            raise ModelFileError(
                f"{where}: larger than {MAX_FILE_BYTES // 2**20} MiB, the "
                f"most {what} may hold; {fix}"
            )
        return data

    def toml(self, text):
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ModelFileError(
                f"{self.path}: not valid "
                f"{self.path.suffix.lstrip('.') or 'TOML'}: "
                f"{' '.join(str(exc).split())}"
            ) from None
        except RecursionError:
            raise ModelFileError(
                f"{self.path}: nests too deeply to be parsed; a model file "
                f"nests at most {MAX_DEPTH} tables and lists"
            ) from None

    def yaml(self, text):
        """The YAML document; aliases and nesting deeper than MAX_DEPTH are refused from the
        event stream, before anything is composed."""
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        refusal, depth = None, 0
        try:
            for event in yaml.parse(text, Loader=loader):
                if isinstance(event, yaml.AliasEvent):
                    refusal = (
                        event,
                        f"alias *{event.anchor}: a model file takes no YAML "
                        f"aliases (a few bytes of them can expand to gigabytes); "
                        f"write the values out",
                    )
                    break
                if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                    depth += 1
                    if depth > MAX_DEPTH:
                        refusal = (
                            event,
                            f"nests deeper than {MAX_DEPTH} mappings and lists, "
                            f"the most a model file may",
                        )
                        break
                elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                    depth -= 1
            doc = None if refusal else yaml.load(text, Loader=loader)
        except (yaml.YAMLError, ValueError) as exc:  # ValueError: e.g. a date 2001-13-45
            raise ModelFileError(
                f"{self.path}: not valid {self.path.suffix.lstrip('.')}: "
                f"{' '.join(str(exc).split())}"
            ) from None
        if refusal:
            event, message = refusal
            raise ModelFileError(f"{self.path}: line {event.start_mark.line + 1}: {message}")
        return {} if doc is None else doc

    def resolve(self, value, key, depth):
        """``value`` with each ``{file = ...}`` table replaced by its array; keys must be
        strings and tables and lists nest at most MAX_DEPTH deep."""
        if isinstance(value, (dict, list)) and depth > MAX_DEPTH:
            raise self.error(
                key, f"nests deeper than {MAX_DEPTH} tables and lists, the most a model file may"
            )
        if isinstance(value, dict):
            if set(value) == {"file"}:
                return self.array_file(value["file"], _key(key, "file"))
            for k in value:
                if not isinstance(k, str):
                    raise self.error(
                        key or "(top level)", f"key {shown(k)} is not a name; keys are strings"
                    )
            return {k: self.resolve(v, _key(key, k), depth + 1) for k, v in value.items()}
        if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
            return [self.resolve(v, f"{key}[{i}]", depth + 1) for i, v in enumerate(value)]
        return value

    # ---------------------------------------------------------------- arrays from files
    def array_file(self, name, key):
        """The array in the .npy or .csv file ``name`` (relative to the model file)."""
        if not isinstance(name, str) or not name.endswith((".npy", ".csv")):
            self.fail(key, name, "name a .npy or .csv file, relative to the model file")
        path = self.path.parent / name
        if name.endswith(".csv"):
            return self.csv(path, key)
        return self.npy(path, key)

    def npy(self, path, key):
        """A 1-d or 2-d integer or float array from a .npy file, its header checked against
        the file's length and the memory available before any data is read."""
        try:
            with open(path, "rb") as f:
                shape, fortran, dtype = _npy_header(f)
                offset = f.tell()
            data_bytes = path.stat().st_size - offset
        except OSError as exc:
            raise self.error(key, f"{path}: cannot be read ({exc.strerror or exc})") from None
        except ValueError as exc:
            raise self.error(
                key, f"{path} is not a usable .npy file: {' '.join(str(exc).split())}"
            ) from None
        count = math.prod(shape)
        if data_bytes != count * dtype.itemsize:
            raise self.error(
                key,
                f"{path} is not a usable .npy file: its header says {count} "
                f"values of {dtype} ({count * dtype.itemsize} bytes) but "
                f"{data_bytes} bytes follow",
            )
        self.call(key, check_available, data_bytes, str(path), "use a smaller array")
        try:
            values = np.fromfile(path, dtype, count, offset=offset)
        except OSError as exc:
            raise self.error(key, f"{path}: cannot be read ({exc.strerror or exc})") from None
        return values.reshape(shape, order="F" if fortran else "C")

    def csv(self, path, key):
        """Numbers separated by commas, one row per line (``#`` comments and a first header
        line skipped), as float64, or int64 when they are all integers."""
        text = self.read(
            path, f"{self.path}: {key}: {path}", "a .csv file", "use a .npy file"
        ).decode("utf-8", "replace")
        first = next(
            (
                (n, line)
                for n, line in enumerate(io.StringIO(text))
                if line.strip() and not line.lstrip().startswith("#")
            ),
            None,
        )
        if first is None:
            raise self.error(key, f"{path} holds no numbers; give one value (or row) per line")
        header = not _numbers_only(first[1])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # e.g. "input contained no data"
                values = np.loadtxt(
                    io.StringIO(text),
                    delimiter=",",
                    ndmin=2,
                    skiprows=first[0] + 1 if header else 0,
                )
        except (ValueError, Warning) as exc:
            raise self.error(
                key,
                f"{path} is not numbers separated by commas, one row per "
                f"line: {' '.join(str(exc).split())}",
            ) from None
        if values.shape[1] == 1:
            values = values[:, 0]  # one value per line
        if np.all(np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 2.0**53)):
            return values.astype(np.int64)
        return values

    def spike_table(self, table, size, key):
        """A spike-time table (a 2-d array, one row per spike: neuron index, time in ms) as
        the compact ``{"times", "counts"}`` of a spike_source of ``size`` neurons, times in
        row order within a neuron."""
        if table.shape[1] != 2:
            raise self.error(
                key,
                f"a spike-time file holds one row per spike, (neuron index, "
                f"time in ms); it holds an array of shape {table.shape}",
            )
        neuron = table[:, 0]
        bad = np.flatnonzero(~((neuron >= 0) & (neuron < size) & (neuron == np.round(neuron))))
        if bad.size:
            raise self.error(
                key,
                f"row {int(bad[0])}: neuron {neuron[bad[0]]} is not an index "
                f"of the population's {size} neurons; use 0..{size - 1}",
            )
        self.call(
            key,
            check_available,
            size * SPIKE_SOURCE_BYTES_PER_NEURON,
            f"a spike_source of {size:,} neurons",
            "use a smaller population",
        )
        order = np.argsort(neuron, kind="stable")
        return {
            "times": table[order, 1].astype(np.float64),
            "counts": np.bincount(neuron.astype(np.int64), minlength=size),
        }


def _npy_header(f):
    """(shape, Fortran order, dtype) from the header of the .npy file open as ``f``, which
    is left at the first byte of data; ValueError unless a 1-d or 2-d array of numbers."""
    fmt = np.lib.format
    version = fmt.read_magic(f)
    if version not in ((1, 0), (2, 0), (3, 0)):
        raise ValueError(f"format version {version} is not known")
    read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, fortran, dtype = read(f)
    if dtype.kind not in "iuf" or len(shape) not in (1, 2):
        raise ValueError(
            f"it holds a {len(shape)}-d array of {dtype}; give a 1-d or 2-d "
            f"array of integers or floats"
        )
    return shape, fortran, dtype


def _numbers_only(line):
    try:
        [float(x) for x in line.split(",")]
    except ValueError:
        return False
    return True


def load_model_file(path):
    """The Network described by the TOML or YAML file ``path``."""
    r = _Reader(Path(path))
    return _network(r, r.document())


def network_from_document(doc, name):
    """The Network of a model-file document given as Python tables (dicts, lists, numbers,
    strings; arrays as numpy arrays or ``{file = ...}`` relative to the working folder),
    as a model file ``name`` would describe it (errors name ``name``)."""
    r = _Reader(Path(name))
    return _network(r, r.resolve(doc, "", 1))


def _network(r, doc):
    """The Network of document ``doc`` read by ``r``."""
    doc = r.table(doc, "(top level)", _TOP)
    net_spec = r.table(doc.get("network", {}), "network", _NETWORK)
    net = r.call("network", Network, **net_spec)
    defaults = r.table(doc.get("defaults", {}), "defaults", _NODE)
    groups = {}  # group path -> list of population names

    def add_group(name, members, key):
        if name in groups or name == "*":
            r.fail(
                key,
                name,
                "a group name (population or area path) must be unique and not "
                "'*' (which means all populations); rename one",
            )
        groups[name] = members

    def add_population(name, spec, key, inherited):
        """Add the population; the names of its model's parameters."""
        spec = r.table(spec, key, _POPULATION)
        model = r.model(spec, key, inherited["model"])
        if model is None:
            r.fail(_key(key, "model"), None, "give a model here or in an enclosing area/defaults")
        cls = r.call(key, get_model, model, f"Population '{name}'")
        known = set(cls.parameter_names())
        own = r.table(spec.get("params", {}), _key(key, "params"), None)
        # inherited parameters apply where the model has them; a population's own are checked
        params = {**{k: v for k, v in inherited["params"].items() if k in known}, **own}
        r.require(spec, key, ["size"], "population")
        size = spec["size"]
        table = params.get("spike_times")
        if (
            cls.is_source_only
            and isinstance(table, np.ndarray)
            and table.ndim == 2
            and type(size) is int
            and 0 < size <= MAX_NEURONS
        ):
            params["spike_times"] = r.spike_table(
                table, size, _key(_key(key, "params"), "spike_times")
            )
        r.call(key, net.add_population, name, model, size, params)
        return known

    def add_area(prefix, spec, key, inherited):
        """Add the populations of the area (recursively); their names and the names of
        their models' parameters."""
        spec = r.table(spec, key or "(top level)", _AREA)
        params_key = _key(key, "params") if key else "defaults.params"
        own = r.table(spec.get("params", {}), params_key, None)
        here = {
            "model": r.model(spec, key or "defaults", inherited["model"]),
            "params": {**inherited["params"], **own},
        }
        members, known = [], set()
        for kind in ("populations", "areas"):
            kind_key = _key(key, kind)
            for name, sub in r.table(spec.get(kind, {}), kind_key, None).items():
                full = f"{prefix}.{name}" if prefix else name
                sub_key = _key(kind_key, name)
                if kind == "populations":
                    known |= add_population(full, sub, sub_key, here)
                    sub_members = [full]
                else:
                    sub_members, sub_known = add_area(full, sub, sub_key, here)
                    known |= sub_known
                add_group(full, sub_members, sub_key)
                members += sub_members
        for name in own:
            if name not in known:
                raise r.error(
                    _key(params_key, name),
                    f"unknown parameter: no population "
                    f"{'below this area' if key else 'in the file'} has a model with "
                    f"it (their parameters: {listing(sorted(known))})"
                    f"{did_you_mean(name, known)}",
                )
        return members, known

    root = {
        **{k: defaults[k] for k in ("model", "nestml") if k in defaults},
        "params": defaults.get("params", {}),
        "populations": doc.get("populations", {}),
        "areas": doc.get("areas", {}),
    }
    everything, _ = add_area("", root, "", {"model": None, "params": {}})
    if not everything:
        raise ModelFileError(
            f"{r.path}: describes no population; add one, e.g. [populations.E] with model and size"
        )
    groups["*"] = everything

    def group(value, key):
        if not isinstance(value, str) or value not in groups:
            r.fail(
                key,
                value,
                f"name a population or area: {listing(sorted(groups))}"
                f"{did_you_mean(value, groups)}",
            )
        return groups[value]

    for i, p in enumerate(r.items(doc.get("projections", []), "projections")):
        key = f"projections[{i}]"
        p = r.table(p, key, _PROJECTION)
        r.require(p, key, ("source", "target", "rule"), "projection")
        name, full_name = p.get("name"), p.get("full_name")
        for k, value in (("name", name), ("full_name", full_name)):
            if value is not None and not (isinstance(value, str) and value):
                r.fail(_key(key, k), value, f"a projection's {k} is a non-empty string")
        targets = group(p["target"], _key(key, "target"))
        if len(targets) > 1 or targets != [p["target"]]:  # a group: only neuron populations
            targets = [t for t in targets if not net.populations[t].model.is_source_only]
        sources = group(p["source"], _key(key, "source"))
        if full_name is not None and (name is not None or len(sources) * len(targets) != 1):
            r.fail(
                _key(key, "full_name"),
                full_name,
                "full_name names the one projection of "
                "an entry from one population to one population, without name; use name "
                "(NAME:SOURCE->TARGET) for groups",
            )
        for src in sources:
            for tgt in targets:
                r.call(
                    key,
                    net.connect,
                    src,
                    tgt,
                    p["rule"],
                    p.get("weight", 1.0),
                    p.get("delay", 1.0),
                    full_name or (f"{name}:{src}->{tgt}" if name else None),
                    p.get("device"),
                    p.get("synapse"),
                    p.get("receptor_type", 0),
                    p.get("storage", "stored"),
                )
    stimuli = r.table(doc.get("stimuli", {}), "stimuli", _STIMULI)
    record = r.table(doc.get("record", {}), "record", _RECORD)
    # (list, key, keys, required keys, what, Network method, group key or None)
    for items, key, keys, required, what, add, target in (
        (
            stimuli.get("poisson", []),
            "stimuli.poisson",
            _POISSON,
            ("target", "rate"),
            "poisson stimulus",
            net.add_poisson_input,
            "target",
        ),
        (
            stimuli.get("dc", []),
            "stimuli.dc",
            _DC,
            ("target", "amplitude"),
            "dc stimulus",
            net.add_dc_input,
            "target",
        ),
        (
            record.get("spikes", []),
            "record.spikes",
            _SPIKES,
            ("population",),
            "spike recorder",
            net.record_spikes,
            "population",
        ),
        (
            record.get("state", []),
            "record.state",
            _STATE,
            ("population", "variables"),
            "state recorder",
            net.record_state,
            "population",
        ),
        (
            record.get("weights", []),
            "record.weights",
            _WEIGHTS,
            ("projection",),
            "weight recorder",
            net.record_weights,
            None,
        ),
    ):
        for i, s in enumerate(r.items(items, key)):
            item_key = f"{key}[{i}]"
            s = r.table(s, item_key, keys)
            r.require(s, item_key, required, what)
            if target is None:
                r.call(item_key, add, **s)
                continue
            options = {k: v for k, v in s.items() if k != target}
            for pop in group(s[target], _key(item_key, target)):
                r.call(item_key, add, pop, **options)
    return net


def write_model_file(net, path):
    """Write ``net`` to the TOML or YAML (by suffix) file ``path``; ``load_model_file`` gives
    it back, equal (``Network.to_dict``).  Every population, projection, stimulus and
    recorder is written explicitly, in order; a projection is named only where the loader
    would not derive its name, and a name the format cannot give back (it names projections
    NAME:SOURCE->TARGET) is refused.  Arrays of more than ARRAY_INLINE values go to .npy files
    beside ``path``, named STEM.KEY_PATH.npy (files of those names are replaced)."""
    path = Path(path)
    arrays = {}
    doc = _with_side_files(_document(net, arrays), arrays, path, "", set())
    if path.suffix in (".yaml", ".yml"):
        import yaml

        class NoAliases(yaml.SafeDumper):  # repeated values written out: no aliases
            def ignore_aliases(self, data):
                return True

        text = yaml.dump(doc, Dumper=NoAliases, sort_keys=False, default_flow_style=None, width=100)
    else:
        text = "\n".join(_toml_table(doc, [])).lstrip() + "\n"
    path.write_text(text)


def _document(net, arrays):
    """The model-file structure of ``net`` (plain dicts, lists and numbers; large arrays as
    ``{"$array": key}`` with the array in ``arrays``, see ``Network.to_dict``)."""
    d = net.to_dict(arrays)
    doc = {
        "network": {"dt": d["dt"], "seed": d["seed"]},
        "populations": {
            p["name"]: {**_model_key(net, p), "size": p["size"], "params": p["params"]}
            for p in d["populations"]
        },
    }
    names, projections = [], []
    for p in d["projections"]:
        entry = {k: p[k] for k in ("source", "target", "rule", "weight", "delay")}
        entry.update({k: p[k] for k in ("synapse", "device") if p[k] is not None})
        if p["receptor_type"]:
            entry["receptor_type"] = p["receptor_type"]
        if p["storage"] != "stored":
            entry["storage"] = p["storage"]
        entry.update(_naming(p, names))
        names.append(p["name"])
        projections.append(entry)
    stimuli = {}
    for kind, keys in (
        ("poisson", ("target", "rate", "weight", "delay", "start", "stop")),
        ("dc", ("target", "amplitude", "start", "stop", "delay")),
    ):
        for i, s in enumerate(d[f"{kind}_inputs"]):
            entry = {key: s[key] for key in keys}
            if s["name"] != f"{kind}->{s['target']}#{i}":  # the name the loader would give
                entry["name"] = s["name"]
            stimuli.setdefault(kind, []).append(_with_neurons(entry, s["neurons"]))
    record = {}
    for r in d["spike_recorders"]:
        record.setdefault("spikes", []).append(
            _with_neurons({"population": r["population"]}, r["neurons"])
        )
    for r in d["state_recorders"]:
        record.setdefault("state", []).append(
            _with_neurons({k: r[k] for k in ("population", "variables", "interval")}, r["neurons"])
        )
    for r in d["weight_recorders"]:
        record.setdefault("weights", []).append(r)
    for key, value in (("projections", projections), ("stimuli", stimuli), ("record", record)):
        if value:
            doc[key] = value
    return doc


def _model_key(net, p):
    """``model`` of a population, or ``nestml`` (the absolute path of its NESTML file)."""
    origin = getattr(net.populations[p["name"]].model, "nestml", None)
    return {"nestml": origin["path"]} if origin else {"model": p["model"]}


def _with_side_files(value, arrays, path, key, taken):
    """``value`` with each ``{"$array": k}`` replaced by ``{"file": NAME}``, ``arrays[k]``
    written to NAME (STEM.KEY_PATH.npy beside ``path``; ``taken``: names used so far)."""
    if isinstance(value, dict):
        if set(value) == {"$array"}:
            label = re.sub(r"[^A-Za-z0-9_.-]", "_", key)[:100]
            name, n = f"{path.stem}.{label}.npy", 1
            while name in taken:
                n += 1
                name = f"{path.stem}.{label}-{n}.npy"
            taken.add(name)
            np.save(path.parent / name, arrays[value["$array"]])
            return {"file": name}
        return {
            k: _with_side_files(v, arrays, path, f"{key}.{k}" if key else k, taken)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_with_side_files(v, arrays, path, f"{key}.{i}", taken) for i, v in enumerate(value)]
    return value


def _naming(p, names):
    """The key naming projection ``p`` in its entry: none where the loader derives its name
    (SOURCE->TARGET), ``name`` where it is NAME:SOURCE->TARGET, else ``full_name``;
    ``names``: the names of the projections before it."""
    suffix = f":{p['source']}->{p['target']}"
    bases = list(dict.fromkeys((p["name"], re.sub(r"#\d+$", "", p["name"]))))  # #i: a repeat
    for key, given in (
        (None, None),
        *(
            ("name", b[: -len(suffix)])
            for b in bases
            if b.endswith(suffix) and len(b) > len(suffix)
        ),
        *(("full_name", b) for b in bases),
    ):
        name = {
            None: f"{p['source']}->{p['target']}",
            "name": f"{given}{suffix}",
            "full_name": given,
        }[key]
        if (f"{name}#{len(names)}" if name in names else name) == p["name"]:  # as connect does
            return {key: given} if key else {}
    raise ModelFileError(
        f"Projection '{p['name']}': its name repeats an earlier projection's "
        f"and cannot be given back by Network.connect; rename it"
    )


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
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return (
            "{ "
            + ", ".join(
                f"{_toml_key(k)} = {_toml_value(v, True)}"
                for k, v in value.items()
                if v is not None
            )
            + " }"
        )
    items = [_toml_value(v, True) for v in value]
    if inline or sum(len(i) + 2 for i in items) < 80:
        return "[" + ", ".join(items) + "]"
    if any(isinstance(v, list) for v in value):  # e.g. spike times: one line per neuron
        lines = items
    else:
        lines = [", ".join(items[i : i + 10]) for i in range(0, len(items), 10)]
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
    values = [
        f"{_toml_key(k)} = {_toml_value(v)}"
        for k, v in table.items()
        if v is not None and not _is_table(v, top)
    ]
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
