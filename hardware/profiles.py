"""Chip profiles: the constants of a neuromorphic chip or a CPU node, each with its source.

A profile is one JSON file in ``hardware/profiles/`` (package data) with the sections
``limits``, ``energy``, ``latency`` and ``layout``; every key of ``KEYS`` is present in
every profile, and every constant is an object

    {"value": 23.6, "unit": "pJ", "status": "known", "scope": "per_term",
     "basis": "simulated", "provenance": "S", "source": "Davies et al. 2018, Table 2", "note": ""}

status      known (value given) | unknown (a real gap: value null, the note says why) |
            included (value null: the cost is counted in another term, e.g. TrueNorth's
            all-in figure) | unlimited (value null: the chip has no such limit) |
            not_applicable (value null: the chip has no such part, e.g. no on-chip mesh)
scope       per_term (one operation or resource) | all_in (everything at one operating
            point: no other energy may be added on top of it)
basis       simulated | measured | modelled | datasheet
provenance  the tag of ../shared/reference/hardware.md: R repository, P paper, D vendor
            documentation, S secondary quote, M memory (placeholder), X derived (the note
            shows the arithmetic)

Values are written in the source's unit (pJ, ns, mW, KiB, ...); ``Constant.si`` is the value
in J, s, W, bytes, bits or a plain count.  Unknown constants are never filled in: the mapping
reports the limits it could not check and the energy model reports terms it could not price.
"""

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from distsim.errors import HardwareError

# unit -> (dimension, factor to SI)
UNITS = {
    "pJ": ("energy", 1e-12),
    "nJ": ("energy", 1e-9),
    "uJ": ("energy", 1e-6),
    "J": ("energy", 1.0),
    "ns": ("time", 1e-9),
    "us": ("time", 1e-6),
    "ms": ("time", 1e-3),
    "s": ("time", 1.0),
    "mW": ("power", 1e-3),
    "W": ("power", 1.0),
    "bytes": ("memory", 1.0),
    "KiB": ("memory", 1024.0),
    "MiB": ("memory", 2.0**20),
    "GiB": ("memory", 2.0**30),
    "bits": ("bits", 1.0),
    "cores": ("count", 1.0),
    "neurons": ("count", 1.0),
    "synapses": ("count", 1.0),
    "axons": ("count", 1.0),
    "edges": ("count", 1.0),
    "entries": ("count", 1.0),
    "tiles": ("count", 1.0),
    "x": ("ratio", 1.0),
}

# section -> key -> (dimension, meaning)
KEYS = {
    "limits": {
        "cores_per_chip": ("count", "cores that can hold neurons, per chip"),
        "neurons_per_core": ("count", "neurons (compartments) per core"),
        "synapses_per_neuron": ("count", "incoming synapses per neuron"),
        "synapse_memory_per_core": ("memory", "synapse storage per core"),
        "synapse_memory_per_chip": ("memory", "synapse storage shared by a chip's cores"),
        "bits_per_synapse": ("bits", "storage of one synapse"),
        "fan_in_per_core": ("count", "distinct presynaptic neurons (input axons) per core"),
        "fan_out_per_core": ("count", "core-to-core output edges (neuron x target core) per core"),
        "fan_out_per_neuron": ("count", "target cores per neuron"),
        "router_entries_per_chip": ("count", "multicast routing-table entries per chip"),
    },
    "energy": {
        "synaptic_op": ("energy", "per synaptic event (one synapse reached by a spike)"),
        "neuron_update_active": ("energy", "per update of a neuron that has input or spikes"),
        "neuron_update_idle": ("energy", "per update of a neuron without input"),
        "spike": ("energy", "per spike: generation and delivery within the core's tile"),
        "noc_hop_x": ("energy", "per on-chip hop between tiles along x (east-west)"),
        "noc_hop_y": ("energy", "per on-chip hop between tiles along y (north-south)"),
        "router_packet": ("energy", "per packet handled by a chip's router"),
        "link_hop": ("energy", "per packet crossing one chip-to-chip link"),
        "static_power_per_chip": ("power", "static (leakage, idle) power of a chip"),
        "active_core_power": ("power", "extra power of a core that holds neurons"),
    },
    "latency": {
        "synaptic_op": ("time", "per synaptic event, within a core"),
        "neuron_update_active": ("time", "per active neuron update, within a core"),
        "neuron_update_idle": ("time", "per idle neuron update, within a core"),
        "spike": ("time", "per spike within a tile"),
        "noc_hop_x": ("time", "per on-chip tile hop along x"),
        "noc_hop_y": ("time", "per on-chip tile hop along y"),
        "link_hop": ("time", "per chip-to-chip link hop"),
        "sync_chip": ("time", "end-of-step barrier across one chip"),
        "sync_system": ("time", "end-of-step barrier across many chips"),
        "timestep": ("time", "fixed hardware tick per model step"),
        "speedup": ("ratio", "model time / hardware time of an accelerated chip"),
    },
    "layout": {
        "tiles_x": ("count", "tiles per chip along x (on-chip mesh)"),
        "tiles_y": ("count", "tiles per chip along y"),
        "cores_per_tile": ("count", "cores per tile"),
    },
}
STATUSES = ("known", "unknown", "included", "unlimited", "not_applicable")
SCOPES = ("per_term", "all_in")
BASES = ("simulated", "measured", "modelled", "datasheet")
PROVENANCE = ("R", "P", "D", "S", "M", "X")
_FIELDS = ("value", "unit", "status", "scope", "basis", "provenance", "source", "note")
_TOP = ("name", "title", "description") + tuple(KEYS)
# the neuron models a chip runs: {"models": [names] or "any", "provenance", "source", "note"};
# a profile without it leaves them unchecked
_NEURON_KEYS = ("models", "provenance", "source", "note")
RELAYS = ("spike_source", "parrot_neuron")  # spike sources and relays: every chip routes spikes
PROFILE_DIR = "profiles"


@dataclass(frozen=True)
class Constant:
    """One constant of a profile; ``value`` in ``unit``, None unless status is "known"."""

    name: str
    value: float | None
    unit: str
    status: str
    scope: str
    basis: str | None = None
    provenance: str | None = None
    source: str | None = None
    note: str = ""

    @property
    def known(self):
        return self.status == "known"

    @property
    def si(self):
        """The value in J, s, W, bytes, bits or a count; None unless known."""
        return None if self.value is None else self.value * UNITS[self.unit][1]

    def to_dict(self):
        return {f: getattr(self, f) for f in _FIELDS}


@dataclass(frozen=True)
class Profile:
    """A chip profile: ``limits``, ``energy``, ``latency``, ``layout`` map key -> Constant."""

    name: str
    title: str
    description: str
    limits: dict
    energy: dict
    latency: dict
    layout: dict
    neuron_models: dict | None = None  # as in the JSON; None: not stated

    def runs(self, model):
        """True when the chip runs neuron model ``model`` (a name), False when it cannot,
        None when the profile does not say."""
        if self.neuron_models is None:
            return None
        models = self.neuron_models["models"]
        return models == "any" or model in models or model in RELAYS

    def value(self, section, key):
        """SI value of ``section.key`` (None unless its status is known)."""
        return getattr(self, section)[key].si

    @property
    def all_in(self):
        """The all-in energy constant (e.g. TrueNorth's 26 pJ per synaptic event), or None."""
        return next((c for c in self.energy.values() if c.scope == "all_in" and c.known), None)

    def unknown(self):
        """``section.key`` of every constant whose value is unknown."""
        return [
            f"{s}.{k}" for s in KEYS for k, c in getattr(self, s).items() if c.status == "unknown"
        ]

    def to_dict(self):
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            **{s: {k: c.to_dict() for k, c in getattr(self, s).items()} for s in KEYS},
            **({"neuron_models": self.neuron_models} if self.neuron_models else {}),
        }


def list_profiles():
    """Names of the profiles shipped with distsim."""
    folder = resources.files("distsim.hardware") / PROFILE_DIR
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def load_profile(name):
    """The profile ``name`` (one of ``list_profiles()``) or of a path to a .json file."""
    if isinstance(name, Profile):
        return name
    if str(name) in list_profiles():
        path = resources.files("distsim.hardware") / PROFILE_DIR / f"{name}.json"
        return _load(str(name), path.read_text(encoding="utf-8"))
    path = Path(name)
    if path.suffix == ".json" and path.is_file():
        return _load(str(path), path.read_text(encoding="utf-8"))
    raise HardwareError(
        f"hardware profile {str(name)!r} is not known; use one of "
        f"{', '.join(list_profiles())} or a path to a .json profile"
    )


@cache
def _load(where, text):
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HardwareError(f"hardware profile {where!r}: not valid JSON ({exc})") from None
    return parse_profile(data, where)


def parse_profile(data, where="profile"):
    """A Profile from its dict form, validated; errors name the key path and the fix."""
    if not isinstance(data, dict):
        raise HardwareError(f"hardware profile {where!r}: expected a JSON object at the top")
    _keys(data, _TOP + ("neuron_models",), _TOP, f"hardware profile {where!r}")
    neurons = data.get("neuron_models")
    if neurons is not None:
        what = f"hardware profile {where!r}: neuron_models"
        if not isinstance(neurons, dict):
            raise HardwareError(f"{what} must be an object with keys {', '.join(_NEURON_KEYS)}")
        _keys(neurons, _NEURON_KEYS, _NEURON_KEYS, what)
        models = neurons["models"]
        if models != "any" and not (
            isinstance(models, list) and all(isinstance(m, str) for m in models)
        ):
            raise HardwareError(f'{what}.models must be "any" or a list of model names')
        if neurons["provenance"] not in PROVENANCE:
            raise HardwareError(f"{what}.provenance must be one of {', '.join(PROVENANCE)}")
    sections = {}
    for section, keys in KEYS.items():
        block = data[section]
        if not isinstance(block, dict):
            raise HardwareError(f"hardware profile {where!r}: {section} must be an object")
        _keys(block, keys, keys, f"hardware profile {where!r}: {section}")
        sections[section] = {
            k: _constant(block[k], f"{section}.{k}", keys[k][0], where) for k in keys
        }
    all_in = [c.name for c in sections["energy"].values() if c.scope == "all_in" and c.known]
    mixed = [c.name for c in sections["energy"].values() if c.scope == "per_term" and c.known]
    if all_in and mixed:
        raise HardwareError(
            f"hardware profile {where!r}: {all_in[0]} is an all-in figure, so per-term energies "
            f"cannot be added on top of it, but {', '.join(mixed)} "
            f'{"is" if len(mixed) == 1 else "are"} known; mark them status "included"'
        )
    lay, lim = sections["layout"], sections["limits"]
    if all(c.known for c in lay.values()) and lim["cores_per_chip"].known:
        tiles = lay["tiles_x"].value * lay["tiles_y"].value * lay["cores_per_tile"].value
        if tiles != lim["cores_per_chip"].value:
            raise HardwareError(
                f"hardware profile {where!r}: layout {lay['tiles_x'].value:g} x "
                f"{lay['tiles_y'].value:g} tiles x {lay['cores_per_tile'].value:g} cores = "
                f"{tiles:g} cores, but limits.cores_per_chip is "
                f"{lim['cores_per_chip'].value:g}; make them agree"
            )
    return Profile(
        str(data["name"]),
        str(data["title"]),
        str(data["description"]),
        **sections,
        neuron_models=dict(neurons) if neurons is not None else None,
    )


def _keys(block, allowed, required, what):
    unknown = sorted(set(block) - set(allowed))
    if unknown:
        raise HardwareError(f"{what}: unknown key {unknown[0]!r}; valid keys: {', '.join(allowed)}")
    missing = [k for k in required if k not in block]
    if missing:
        raise HardwareError(
            f"{what}: missing key {missing[0]!r}; every profile lists all of "
            f"{', '.join(required)} (null with a note when unknown)"
        )


def _constant(entry, path, dimension, where):
    what = f"hardware profile {where!r}: {path}"
    if not isinstance(entry, dict):
        raise HardwareError(f"{what}: expected an object with keys {', '.join(_FIELDS)}")
    status = entry.get("status")
    required = ("value", "unit", "status", "scope") + (
        ("basis", "provenance", "source") if status == "known" else ("note",)
    )
    _keys(entry, _FIELDS, required, what)
    for field, allowed in (
        ("status", STATUSES),
        ("scope", SCOPES),
        ("basis", BASES),
        ("provenance", PROVENANCE),
    ):
        if entry.get(field) is not None and entry[field] not in allowed:
            raise HardwareError(
                f"{what}: {field} {entry[field]!r} is not one of {', '.join(allowed)}"
            )
    unit, value = entry["unit"], entry["value"]
    if unit not in UNITS or UNITS[unit][0] != dimension:
        fits = [u for u, (d, _) in UNITS.items() if d == dimension]
        raise HardwareError(
            f"{what}: unit {unit!r} is not a unit of {dimension}; use one of {', '.join(fits)}"
        )
    if status == "known":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise HardwareError(
                f"{what}: value {value!r} is not a positive number; give the "
                f'number, or null with status "unknown" and a note'
            )
    elif value is not None or not str(entry.get("note", "")).strip():
        raise HardwareError(
            f"{what}: status {status!r} needs value null and a note saying why "
            f"(got value {value!r})"
        )
    return Constant(
        path.split(".")[1],
        value,
        unit,
        status,
        entry["scope"],
        entry.get("basis"),
        entry.get("provenance"),
        entry.get("source"),
        str(entry.get("note", "")),
    )
