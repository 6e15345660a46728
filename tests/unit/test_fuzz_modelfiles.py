"""Hostile model files and command lines thrown at ``distsim inspect FILE`` and ``distsim
run FILE --t-sim 1 --no-store`` (in process, ``distsim.cli.main``): the only acceptable
outcomes are exit 0, or exit 2 with one line ``distsim: error ...`` on stderr, never a
traceback.

The files: random bytes and byte-level mutations of a valid file; small networks using
every section, model, rule, distribution, plastic synapse model and device, as TOML or YAML,
with up to three mutations each (a value replaced by NaN, inf, a huge number, a wrong type or
a bad .npy/.csv file reference; a key misspelt or dropped); deep nesting; YAML alias bombs.
A valid network stays small (at most 8 neurons per population; a mutation puts in numbers up
to 1000 or absurd ones, which must be refused before anything proportional to them is
allocated), so a run takes well under a second.  Deterministic (``derandomize``), no example
database.
"""

import copy
import dataclasses
import json
import math
import tomllib

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from distsim.cli import main
from distsim.modelfile import _toml_table
from distsim.models import MODELS
from distsim.models.synapses import SYNAPSES

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

NAN, INF = math.nan, math.inf
# what a mutation puts in place of a value: wrong kinds, NaN, infinities, absurd magnitudes
# (which must be refused before anything proportional to them is allocated) and numbers of
# a size a small run can take
BAD = st.one_of(
    st.sampled_from(
        [
            NAN,
            INF,
            -INF,
            None,
            True,
            False,
            "1.0",
            "",
            "nan",
            [],
            {},
            [1, "x"],
            {"a": 1},
            [[1.0]],
            0,
            -1,
            0.0,
            -0.0,
            1.5,
            5e-324,
            1e300,
            -1e300,
            10**12,
            2**40 - 1,
            2**40,
            2**63,
            2**64,
            -(2**70),
            {"file": "side.npy"},
            {"file": "side.csv"},
            {"file": "none.npy"},
            {"file": "model.toml"},
            {"distribution": "normal", "mean": NAN},
            {"distribution": "lognormal", "mu": 1e300, "sigma": 1e300},
        ]
    ),
    st.floats(-1e3, 1e3),
    st.integers(-1000, 1000),
    st.text(max_size=4),
)
DEFAULTS = {
    name: {f.name: f.default for f in dataclasses.fields(cls)}
    for name, cls in MODELS.items()
    if name != "spike_source"
}
TIMES = [1.0, 2.0, 3.0, 5.0]  # ms, multiples of every dt drawn


@st.composite
def parameters(draw, model, size):
    """Some parameters of ``model`` near their defaults: numbers, one per neuron, or
    narrow distributions; a spike source's times inline or from a file."""
    if model == "spike_source":
        return {
            "spike_times": draw(
                st.one_of(
                    st.lists(
                        st.lists(st.sampled_from(TIMES), max_size=3, unique=True),
                        min_size=size,
                        max_size=size,
                    ),
                    st.just({"file": "spikes.csv"}),
                )
            )
        }
    params = {}
    for name in draw(st.lists(st.sampled_from(sorted(DEFAULTS[model])), max_size=3, unique=True)):
        x = DEFAULTS[model][name]
        if math.isfinite(x):
            x = x * draw(st.sampled_from([1.0, 0.9, 1.1]))
        form = draw(st.sampled_from(["number", "per neuron", "distribution"]))
        params[name] = (
            {
                "number": x,
                "per neuron": [x] * size,
                "distribution": {"distribution": "uniform", "low": x, "high": x},
            }[form]
            if math.isfinite(x)
            else x
        )
    return params


@st.composite
def plausible_documents(draw):
    """A small network using every section of the format, most often valid."""
    dt = draw(st.sampled_from([0.1, 0.5, 1.0]))
    doc = {"network": {"dt": dt, "seed": draw(st.integers(0, 9))}}
    models = {}  # population (full name) -> model
    for name in draw(
        st.lists(st.sampled_from(["A", "B", "C"]), min_size=1, max_size=3, unique=True)
    ):
        model = draw(st.sampled_from(sorted([*DEFAULTS, "spike_source"])))  # as imported
        size = draw(st.integers(1, 8))
        spec = {"model": model, "size": size, "params": draw(parameters(model, size))}
        in_area = draw(st.booleans())
        area = doc.setdefault("areas", {}).setdefault("V1", {}) if in_area else doc
        area.setdefault("populations", {})[name] = spec
        models[f"V1.{name}" if in_area else name] = model
    names = sorted(models)
    neurons = [n for n in names if models[n] != "spike_source"]
    plastic_targets = [n for n in names if "tau_minus" in DEFAULTS.get(models[n], {})]
    if draw(st.booleans()):
        doc["defaults"] = {"params": {"tau_minus": 25.0}}
    projections = []
    for _ in range(draw(st.integers(0, 3)) if neurons else 0):
        target = draw(st.sampled_from(neurons + ["*"]))
        listed = {"rule": "from_list", "sources": [0, 0], "targets": [0, 0]}
        rule = draw(
            st.sampled_from(
                [
                    "all_to_all",
                    "one_to_one",
                    {"rule": "fixed_indegree", "indegree": 2},
                    listed,
                    {"rule": "fixed_outdegree", "outdegree": 2, "allow_autapses": False},
                    {"rule": "pairwise_bernoulli", "p": 0.5},
                    {"rule": "fixed_total_number", "N": 5},
                ]
            )
        )
        entry = {
            "source": draw(st.sampled_from(names)),
            "target": target,
            "rule": rule,
            "weight": [20.0, 30.0]
            if rule == listed
            else draw(
                st.sampled_from(
                    [20.0, 5.0, {"distribution": "normal", "mean": 20.0, "std": 2.0, "low": 0.0}]
                )
            ),
            "delay": draw(
                st.sampled_from([1.0, 2.0, {"distribution": "uniform", "low": 1.0, "high": 2.0}])
            ),
        }
        synapse = (
            draw(st.sampled_from([None, *sorted(SYNAPSES)])) if target in plastic_targets else None
        )
        if synapse == "stdp_dopamine_synapse":
            entry["synapse"] = {
                "synapse_model": synapse,
                "vt": draw(st.sampled_from(names)),
                "vt_delay": 1.0,
                "Wmax": 200.0,
            }
        elif synapse:
            entry["synapse"] = {"synapse_model": synapse}
        elif draw(st.booleans()):
            entry["device"] = draw(
                st.sampled_from([{"device": "pcm"}, {"device": "rram", "drift_compensation": True}])
            )
        if draw(st.booleans()):
            entry["name"] = "n"
        projections.append(entry)
    if projections:
        doc["projections"] = projections
    if neurons:
        doc["stimuli"] = {
            "poisson": [
                {
                    "target": draw(st.sampled_from(neurons)),
                    "rate": draw(st.sampled_from([10.0, 8000.0])),
                    "weight": 20.0,
                    "neurons": [0],
                }
            ],
            "dc": [
                {
                    "target": draw(st.sampled_from(neurons)),
                    "amplitude": 400.0,
                    "start": 0.0,
                    "stop": 2.0,
                }
            ],
        }
    doc["record"] = {"spikes": [{"population": "*"}]}
    sampled = [n for n in names if models[n] not in ("spike_source", "parrot_neuron")]
    if sampled:
        pop = draw(st.sampled_from(sampled))
        doc["record"]["state"] = [
            {
                "population": pop,
                "interval": dt,
                "variables": [draw(st.sampled_from(MODELS[models[pop]].recordables))],
            }
        ]
    plastic = [p for p in projections if "synapse" in p and p["target"] != "*"]
    if plastic:
        p = plastic[0]
        doc["record"]["weights"] = [
            {
                "projection": f"n:{p['source']}->{p['target']}"
                if "name" in p
                else f"{p['source']}->{p['target']}",
                "interval": dt,
                "bins": [0.0, 50.0, 200.0],
            }
        ]
    return doc


def _places(value):
    """Every (container, key) of the document, in a fixed order."""
    out = []
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for k, v in items:
        out.append((value, k))
        out += _places(v)
    return out


@st.composite
def documents(draw):
    """A plausible document with up to three mutations: a value replaced by a bad one, a
    key misspelt or renamed, a key dropped."""
    doc = copy.deepcopy(draw(plausible_documents()))  # the strategies' values stay intact
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        places = _places(doc)
        container, key = places[draw(st.integers(0, len(places) - 1))]
        action = draw(st.sampled_from(["value", "value", "key", "drop"]))
        if action == "value" or isinstance(container, list):
            container[key] = copy.deepcopy(draw(BAD))
        elif action == "key":
            container[draw(st.sampled_from([key[:-1] + "x", "unknown", key.upper()]))] = (
                container.pop(key)
            )
        else:
            del container[key]
    return doc


SIDE_NPY = st.one_of(
    st.builds(
        lambda shape, kind, fill: np.full(shape, fill).astype(kind),
        st.sampled_from([(0,), (3,), (8,), (4, 2), (2, 3), (2, 2, 2)]),
        st.sampled_from(["f8", "i8", "u1", "f4", "O", "c16", "U3"]),
        st.sampled_from([0, 1, 7, -1, 2.5]),
    ),
    st.binary(max_size=200),
)
SIDE_CSV = st.one_of(
    st.lists(
        st.sampled_from(
            [
                "0",
                "1",
                "2.5",
                "-70",
                "nan",
                "inf",
                "x",
                "1,2",
                "0,1.0",
                "# c",
                "",
                "neuron,time",
                "1e999",
                "3,4,5",
            ]
        ),
        max_size=9,
    ).map("\n".join),
    st.text(max_size=100),
)
SPIKES_CSV = st.lists(
    st.tuples(st.sampled_from([0, 0, 0, 1, -1, 8]), st.sampled_from(TIMES + [0.05, NAN])),
    max_size=6,
).map(lambda rows: "neuron,time\n" + "".join(f"{n},{t}\n" for n, t in rows))
VALID = b"""[network]
dt = 0.1
seed = 3

[defaults]
model = "iaf_psc_exp"
params = { I_e = 380.0 }

[populations.A]
size = 5
params = { V_m = { distribution = "uniform", low = -70.0, high = -55.0 } }

[populations.S]
model = "spike_source"
size = 2
params = { spike_times = [[0.5], [0.8]] }

[[projections]]
source = "*"
target = "A"
rule = { rule = "fixed_indegree", indegree = 3 }
weight = 20.0
delay = 0.5
synapse = { synapse_model = "stdp_synapse", Wmax = 100.0 }

[[stimuli.poisson]]
target = "A"
rate = 8000.0

[[record.spikes]]
population = "*"

[[record.weights]]
projection = "A->A"
interval = 0.5
"""
INSPECT_OPTIONS = st.lists(
    st.sampled_from(
        [
            ["--ranks", "2"],
            ["--ranks", "3"],
            ["--ranks", "0"],
            ["--ranks", "-1"],
            ["--ranks", "1000000"],
            ["--balancer", "round_robin"],
            ["--balancer", "balanced"],
            ["--balancer", "population"],
            ["--json"],
        ]
    ),
    max_size=2,
)
RUN_OPTIONS = st.lists(
    st.sampled_from(
        [
            ["--seed", "0"],
            ["--seed", "9"],
            ["--seed", "-1"],
            ["--seed", str(2**63)],
            ["--seed", str(2**70)],
            ["--dt", "0.1"],
            ["--dt", "0.5"],
            ["--balancer", "balanced"],
            ["--backend", "async"],
            ["--json"],
        ]
    ),
    max_size=2,
)


def _outcome(argv, capsys):
    """Run the command line: it exits 0, or 2 with one line 'distsim: error ...'; (exit
    code, stdout)."""
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    assert code in (0, 2), (code, err)
    if code == 2:
        assert len(err.splitlines()) == 1 and err.startswith("distsim: error"), err
    return code, out


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def _serialise(doc, yaml_format):
    """YAML (without aliases for repeated values), or TOML (which has no null: None values
    are left out)."""
    if yaml_format:
        return yaml.dump(doc, Dumper=_NoAliases, allow_unicode=False).encode()
    return ("\n".join(_toml_table(_without_none(doc), [])) + "\n").encode()


def _without_none(value):
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value if v is not None]
    return value


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A fresh folder, the working directory of the commands (they write nothing)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@settings(FUZZ, max_examples=100)
@given(
    doc=documents(),
    yaml_format=st.booleans(),
    npy=SIDE_NPY,
    csv=SIDE_CSV,
    spikes=SPIKES_CSV,
    inspect_options=INSPECT_OPTIONS,
    run_options=RUN_OPTIONS,
)
def test_generated_documents(
    folder, capsys, doc, yaml_format, npy, csv, spikes, inspect_options, run_options
):
    """Small networks with mutations, beside side files of good and bad content."""
    path = folder / ("model.yaml" if yaml_format else "model.toml")
    path.write_bytes(_serialise(doc, yaml_format))
    if isinstance(npy, bytes):
        (folder / "side.npy").write_bytes(npy)
    else:
        np.save(folder / "side.npy", npy, allow_pickle=True)
    (folder / "side.csv").write_text(csv, errors="replace")
    (folder / "spikes.csv").write_text(spikes)
    _outcome(["inspect", str(path), *sum(inspect_options, [])], capsys)
    _outcome(["run", str(path), "--t-sim", "1", "--no-store", *sum(run_options, [])], capsys)


@settings(FUZZ, max_examples=400)
@given(
    data=st.one_of(
        st.binary(max_size=3000),
        st.lists(
            st.tuples(st.integers(0, len(VALID) - 1), st.binary(max_size=4), st.integers(0, 3)),
            min_size=1,
            max_size=4,
        ),
    ),
    suffix=st.sampled_from([".toml", ".yaml", ".yml"]),
)
def test_random_and_mutated_bytes(folder, capsys, data, suffix):
    """Random bytes, or the valid file (in the suffix's format) with a few spans replaced by
    random bytes."""
    if isinstance(data, list):
        text = _serialise(tomllib.loads(VALID.decode()), suffix != ".toml")
        for at, new, cut in data:
            at %= len(text)
            text = text[:at] + new + text[at + cut :]
        data = text
    path = folder / f"model{suffix}"
    path.write_bytes(data)
    if _outcome(["inspect", str(path)], capsys)[0] == 0:
        _outcome(["run", str(path), "--t-sim", "1", "--no-store"], capsys)


@pytest.mark.parametrize("yaml_format", [False, True])
def test_the_valid_file_runs(folder, capsys, yaml_format):
    """The file the mutations start from is a valid network, plasticity included."""
    path = folder / ("model.yaml" if yaml_format else "model.toml")
    path.write_bytes(_serialise(tomllib.loads(VALID.decode()), yaml_format))
    code, out = _outcome(["run", str(path), "--t-sim", "5", "--no-store", "--json"], capsys)
    assert code == 0 and json.loads(out.splitlines()[-1])["recorded_spikes"] > 0


@settings(FUZZ, max_examples=40)
@given(
    depth=st.integers(60, 3000),
    kind=st.sampled_from(
        ["toml_array", "toml_inline", "toml_dotted", "yaml_flow", "yaml_block", "yaml_mapping"]
    ),
    laughs=st.tuples(st.integers(1, 9), st.integers(2, 12)),
)
def test_deep_nesting_and_alias_bombs(folder, capsys, depth, kind, laughs):
    texts = {
        "toml_array": ("a = " + "[" * depth + "]" * depth, ".toml"),
        "toml_inline": ("a = " + "{b = " * depth + "1" + "}" * depth, ".toml"),
        "toml_dotted": ("a." * depth + "b = 1", ".toml"),
        "yaml_flow": ("a: " + "[" * depth + "]" * depth, ".yaml"),
        "yaml_block": (
            "a:\n" + "".join("  " * i + "- \n" for i in range(min(depth, 400))),
            ".yaml",
        ),
        "yaml_mapping": ("".join("  " * i + f"k{i}:\n" for i in range(min(depth, 400))), ".yaml"),
    }
    text, suffix = texts[kind]
    levels, width = laughs
    bomb = (
        "l0: &l0 ["
        + ", ".join(['"lol"'] * width)
        + "]\n"
        + "".join(
            f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]\n" for i in range(1, levels)
        )
    )
    for content, name in ((text, f"deep{suffix}"), (bomb, "bomb.yaml")):
        path = folder / name
        path.write_text(content)
        assert _outcome(["inspect", str(path)], capsys)[0] == 2
