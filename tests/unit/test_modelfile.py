"""Model files (TOML, YAML): hierarchy, inheritance, group connections, errors with key paths."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from distsim import Network, Simulation
from distsim.errors import ModelFileError
from distsim.modelfile import load_model_file, write_model_file

MODEL = """
[network]
dt = 0.1
seed = 3

[defaults]
model = "iaf_psc_exp"
params = { C_m = 250.0, tau_m = 10.0, I_e = 100.0 }

[areas.V1]
params = { I_e = 450.0 }

[areas.V1.populations.E]
size = 80
params = { V_m = { distribution = "uniform", low = -70.0, high = -55.0 } }

[areas.V1.populations.I]
size = 20
model = "iaf_psc_alpha"
params = { tau_m = 8.0 }

[areas.V1.areas.deep.populations.L5]
size = 30

[populations.input]
model = "spike_source"
size = 2
params = { spike_times = [[10.0], [20.0]] }

[[projections]]
source = "V1"
target = "*"
rule = { rule = "fixed_indegree", indegree = 5 }
weight = 50.0
delay = { distribution = "normal", mean = 1.5, std = 0.5, low = 0.1 }

[[projections]]
source = "input"
target = "V1.deep"
rule = "all_to_all"
weight = 300.0

[[stimuli.poisson]]
target = "V1.E"
rate = 8000.0
weight = 60.0

[[record.spikes]]
population = "*"

[[record.state]]
population = "V1.deep.L5"
variables = ["V_m"]
interval = 1.0
"""


def _write(tmp_path, text, name="model.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_hierarchy_inheritance_and_groups(tmp_path):
    net = load_model_file(_write(tmp_path, MODEL))
    pops = net.populations
    assert list(pops) == ["input", "V1.E", "V1.I", "V1.deep.L5"]
    assert pops["V1.E"].model.I_e == 450.0 and pops["V1.E"].model.tau_m == 10.0  # area < defaults
    assert pops["V1.I"].model.name == "iaf_psc_alpha" and pops["V1.I"].model.tau_m == 8.0
    assert pops["V1.deep.L5"].model.I_e == 450.0  # inherited through the nested area
    # V1 (3 populations) x * (4 populations, spike sources cannot be targets: 3) + input x deep
    assert len(net.projections) == 3 * 3 + 1
    assert net.seed == 3 and len(net.spike_recorders) == 4 and len(net.state_recorders) == 1
    sim = Simulation(net)
    sim.run(50.0)
    assert sim.summary()["recorded_spikes"] > 0


def test_yaml_describes_the_same_network(tmp_path):
    import tomllib

    doc = tomllib.loads(MODEL)
    toml_net = load_model_file(_write(tmp_path, MODEL))
    yaml_net = load_model_file(_write(tmp_path, yaml.safe_dump(doc), "model.yaml"))
    assert json.dumps(yaml_net.to_dict(), sort_keys=True) == json.dumps(
        toml_net.to_dict(), sort_keys=True
    )


@pytest.mark.parametrize(
    "change, message",
    [
        (
            ("weight = 50.0", 'weight = { distribution = "normal", mean = "abc", std = 1.0 }'),
            r"projections\[0\]: .*weight",
        ),
        (
            ("indegree = 5", "indegree = -5"),
            r"projections\[0\]: .*indegree -5 is not a non-negative",
        ),
        (
            ('target = "*"', 'target = "V9"'),
            r"projections\[0\].target: value 'V9' is not allowed; name a population or area",
        ),
        (
            ("size = 80", "size = 80\ncolour = 3"),
            r"areas.V1.populations.E.colour: unknown key; allowed keys here: model, nestml, params, size",
        ),
        (
            ('model = "iaf_psc_alpha"', 'model = "iaf_psc_beta"'),
            r"areas.V1.populations.I: Population 'V1.I': neuron model 'iaf_psc_beta' is not known",
        ),
        (("rate = 8000.0", "rate = -1.0"), r"stimuli.poisson\[0\]: PoissonInput .*rate -1.0 Hz"),
        (("dt = 0.1", "dt = 0.1\nsteps = 3"), r"network.steps: unknown key"),
    ],
)
def test_errors_name_file_key_path_value(tmp_path, change, message):
    path = _write(tmp_path, MODEL.replace(*change, 1))
    with pytest.raises(ModelFileError, match=message) as err:
        load_model_file(path)
    assert str(err.value).startswith(str(path))


def test_syntax_error_and_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="not valid toml"):
        load_model_file(_write(tmp_path, "[network\ndt = 0.1"))
    with pytest.raises(ModelFileError, match="cannot be read"):
        load_model_file(tmp_path / "none.toml")


def test_cli_runs_a_model_file(tmp_path):
    path = _write(tmp_path, MODEL)
    r = subprocess.run(
        [str(Path(sys.executable).parent / "distsim"), "run", str(path), "--t-sim", "50", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    s = json.loads(r.stdout.strip().splitlines()[-1])
    assert s["neurons"] == 130 and s["store"].endswith("model.zarr")


@pytest.mark.parametrize("suffix", [".toml", ".yaml"])
def test_written_model_file_loads_back_into_the_same_network(tmp_path, suffix):
    """write_model_file inverts load_model_file: the same description (names, hence random
    streams, included: any projection or stimulus name comes back) and spikes."""
    from distsim import FromList

    net = load_model_file(
        _write(
            tmp_path, MODEL.replace('rule = "all_to_all"', 'rule = "all_to_all"\nname = "drive"')
        )
    )
    net.add_population(
        "integrator", "iaf_psc_delta", 3, {"tau_m": float("inf"), "V_th": float("inf")}
    )
    net.connect(
        "V1.E",
        "V1.I",
        FromList([0, 3, 3], [1, 2, 2]),
        weight=[1.5, -2.0, 3.25],
        delay=[0.5, 1.0, 2.0],
    )
    net.connect("V1.E", "V1.I", {"rule": "pairwise_bernoulli", "p": 0.1}, weight=10.0)
    net.add_dc_input("V1.I", 20.0, start=5.0, stop=40.0, neurons=[0, 2])
    net.record_state("integrator", ["V_m"], interval=0.5)
    names = [p.name for p in net.projections]
    assert "drive:input->V1.deep.L5" in names and names[-1] == "V1.E->V1.I#11"
    path = tmp_path / f"written{suffix}"
    write_model_file(net, path)
    again = load_model_file(path)
    assert again.to_dict() == net.to_dict()
    a, b = Simulation(net), Simulation(again)
    a.run(50.0)
    b.run(50.0)
    assert a.summary()["recorded_spikes"] > 0 and a.digest() == b.digest()
    odd = Network(dt=0.1)
    odd.add_population("A", "iaf_psc_delta", 2)
    for _ in range(2):
        odd.connect("A", "A", "all_to_all", name="recurrent")  # recurrent, recurrent#1
    odd.add_poisson_input("A", 10.0, name="drive")
    write_model_file(odd, path)
    assert load_model_file(path).to_dict() == odd.to_dict()
    assert "full_name" in path.read_text()


def _examples():
    """Every example network, small: name -> a function making it."""
    from distsim.examples import brunel, hpc_benchmark, microcircuit, sensor
    from distsim.examples.pattern_learning import afferent_trains, pattern_network
    from distsim.hardware import PCM
    from distsim.nir_convert import import_nir

    nir = Path(__file__).parents[2] / "distsim" / "examples" / "data" / "conv_snn.nir"
    return {
        "brunel": lambda: brunel(order=50),
        "pcm_drift": lambda: brunel(order=50, device=PCM(drift_compensation=True)),
        "microcircuit": lambda: microcircuit(scale=0.01),
        "hpc_benchmark": lambda: hpc_benchmark(scale=0.01),
        "hpc_benchmark_plastic": lambda: hpc_benchmark(scale=0.01, plastic=True),
        "sensor": lambda: sensor(t_sim=200.0),
        "pattern_learning": lambda: pattern_network(afferent_trains(n=200, t_sim=500.0)),
        "nir": lambda: import_nir(nir),
    }


@pytest.mark.parametrize("suffix", [".toml", ".yaml"])
@pytest.mark.parametrize("example", sorted(_examples()))
def test_every_example_loads_back_equal(tmp_path, example, suffix):
    """write_model_file writes every example so that it loads back equal (plasticity,
    devices, names, spike sources, from_list synapses and per-synapse delays included);
    arrays of more than ARRAY_INLINE values go to .npy files beside the model file."""
    net = _examples()[example]()
    path = tmp_path / f"{example}{suffix}"
    write_model_file(net, path)
    assert load_model_file(path).to_dict() == net.to_dict()
    if example == "sensor":  # spike times and from_list synapses in side files
        assert len(list(tmp_path.glob("sensor.*.npy"))) >= 4
        assert path.stat().st_size < 10_000


def test_plastic_synapses_devices_and_weight_recorders_round_trip(tmp_path):
    """Every plastic model of models/synapses.py (a volume transmitter for
    stdp_dopamine_synapse, receptor 1 of a parrot_neuron), a device, weight recorders: the
    file says them all and loads back equal, and the loaded network runs the same."""
    from distsim.models.synapses import SYNAPSES

    net = Network(dt=0.1, seed=5)
    net.add_population("src", "spike_source", 3, {"spike_times": [[1.0, 5.0], [2.0], [9.0]]})
    net.add_population("DA", "spike_source", 1, {"spike_times": [[3.0]]})
    net.add_population("post", "iaf_psc_alpha", 4, {"I_e": 400.0})
    net.add_population("parrot", "parrot_neuron", 3)
    for name in SYNAPSES:
        synapse = {
            "synapse_model": name,
            **({"vt": "DA", "vt_delay": 0.5} if name == "stdp_dopamine_synapse" else {}),
        }
        net.connect("src", "post", "all_to_all", weight=10.0, delay=1.0, synapse=synapse, name=name)
    net.connect("src", "parrot", "one_to_one", weight=1.0)
    net.connect(
        "src",
        "parrot",
        "one_to_one",
        weight=2.0,
        receptor_type=1,
        synapse={"synapse_model": "stdp_synapse", "lambda": 0.05, "Wmax": 5.0},
    )
    net.connect("post", "post", "all_to_all", weight=5.0, device={"device": "rram"})
    net.record_weights("stdp_synapse", interval=5.0, neurons=[0, 2], bins=[0.0, 50.0, 100.0])
    net.record_weights(f"src->parrot#{len(SYNAPSES) + 1}")  # after one projection per model
    net.record_spikes("post")
    for suffix in (".toml", ".yaml"):
        write_model_file(net, tmp_path / f"plastic{suffix}")
        text = (tmp_path / f"plastic{suffix}").read_text()
        assert "stdp_dopamine_synapse" in text and "record" in text and "rram" in text
        again = load_model_file(tmp_path / f"plastic{suffix}")
        assert again.to_dict() == net.to_dict()
    a, b = Simulation(net), Simulation(again)
    a.run(20.0)
    b.run(20.0)
    assert a.summary()["recorded_spikes"] > 0 and a.digest() == b.digest()
    assert np.array_equal(
        a.connections("stdp_synapse")["weight"], b.connections("stdp_synapse")["weight"]
    )


FROM_FILES = """
[populations.src]
model = "spike_source"
size = 3
params = { spike_times = { file = "spikes.csv" } }

[populations.N]
model = "iaf_psc_exp"
size = 4
params = { V_m = { file = "v_m.npy" }, I_e = { file = "i_e.csv" } }

[[projections]]
source = "src"
target = "N"
rule = { rule = "from_list", sources = { file = "sources.csv" }, targets = [0, 3, 3] }
weight = { file = "weights.npy" }

[[record.spikes]]
population = "N"
neurons = { file = "recorded.npy" }
"""


def test_arrays_and_spike_times_from_files(tmp_path):
    """Per-neuron values, from_list synapses, per-synapse weights, neuron indices and spike
    times (one row per spike: neuron, time) come from .npy and .csv files named relative to
    the model file; the network equals the one with the same values inline."""
    (tmp_path / "spikes.csv").write_text("neuron,time_ms\n# input\n2,7.5\n0,1.0\n0,0.5\n")
    np.save(tmp_path / "v_m.npy", np.array([-70.0, -65.0, -60.0, -58.5]))
    (tmp_path / "i_e.csv").write_text("100\n200.5\n300\n0\n")
    (tmp_path / "sources.csv").write_text("2\n0\n1\n")
    np.save(tmp_path / "weights.npy", np.array([10.0, 20.0, -5.0]))
    np.save(tmp_path / "recorded.npy", np.array([1, 3]))
    path = _write(tmp_path, FROM_FILES)
    net = load_model_file(path)
    inline = Network(dt=0.1, seed=1)
    inline.add_population("src", "spike_source", 3, {"spike_times": [[1.0, 0.5], [], [7.5]]})
    inline.add_population(
        "N",
        "iaf_psc_exp",
        4,
        {"V_m": [-70.0, -65.0, -60.0, -58.5], "I_e": [100.0, 200.5, 300.0, 0.0]},
    )
    from distsim import FromList

    inline.connect("src", "N", FromList([2, 0, 1], [0, 3, 3]), weight=[10.0, 20.0, -5.0])
    inline.record_spikes("N", [1, 3])
    assert net.to_dict() == inline.to_dict()
    np.save(tmp_path / "spikes.npy", np.array([[0, 1.0], [0, 0.5], [2, 7.5]]))
    again = load_model_file(_write(tmp_path, FROM_FILES.replace("spikes.csv", "spikes.npy")))
    assert again.to_dict() == inline.to_dict()


def _bad_files(tmp_path):
    """(file name, content, expected message) of files that must give one clean line."""
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(tmp_path / "three_d.npy", np.zeros((2, 2, 2)))
    np.save(tmp_path / "short.npy", np.zeros(8))
    (tmp_path / "short.npy").write_bytes((tmp_path / "short.npy").read_bytes()[:150])
    (tmp_path / "garbage.csv").write_text("1,2\n3,x\n")
    (tmp_path / "three.csv").write_text("0,1.0,2\n")
    population = '[populations.E]\nmodel = "iaf_psc_exp"\nsize = 3\n'
    return [
        (
            "binary.toml",
            bytes(range(256)) * 4,
            r"byte 0x80 at offset 128 is not UTF-8 text; "
            r"a model file is TOML or YAML text",
        ),
        ("empty.toml", b"", r"describes no population; add one"),
        ("empty.yaml", b"", r"describes no population"),
        ("deep.toml", b"a = " + b"[" * 5000 + b"]" * 5000, r"nests too deeply to be parsed"),
        ("dotted.toml", b"a." * 100 + b"b = 1", r"nests deeper than 64 tables and lists"),
        ("deep.yaml", b"a: " + b"[" * 100 + b"]" * 100, r"line 1: nests deeper than 64"),
        (
            "laughs.yaml",
            b'a: &a ["lol", "lol"]\nb: &b [*a, *a]\nc: [*b, *b]\n',
            r"line 2: alias \*a: a model file takes no YAML aliases",
        ),
        ("keys.yaml", b"1: 2\n", r"\(top level\): key 1 is not a name; keys are strings"),
        ("date.yaml", b"network: {dt: 2001-13-45}\n", r"not valid yaml: month must be in"),
        (
            "nan.toml",
            (
                population + '[[projections]]\nsource = "E"\ntarget = "E"\n'
                'rule = "all_to_all"\nweight = nan\n'
            ).encode(),
            r"projections\[0\]: Projection 'E->E': weight: value nan is not a finite number",
        ),
        (
            "mean.toml",
            (
                population + 'params = { V_m = { distribution = "normal", '
                "mean = nan, std = 1.0 } }\n"
            ).encode(),
            r"populations.E: Population 'E': iaf_psc_exp.V_m: Normal: mean: value nan is not a "
            r"finite number",
        ),
        (
            "size.toml",
            b'[populations.E]\nmodel = "iaf_psc_exp"\nsize = 1e12\n',
            r"populations.E: Population 'E': size 1000000000000.0 is not a positive integer",
        ),
        (
            "defaults.toml",
            b"[defaults]\nparams = { tau_mm = 1.0 }\n" + population.encode(),
            r"defaults.params.tau_mm: unknown parameter: no population in the file has a model "
            r"with it .*; did you mean 'tau_m'\?",
        ),
        (
            "area.toml",
            b"[areas.A]\nparams = { tau_minu = 1.0 }\n"
            b'[areas.A.populations.S]\nmodel = "spike_source"\nsize = 1\n'
            b"params = { spike_times = [[1.0]] }\n"
            b'[areas.A.populations.P]\nmodel = "parrot_neuron"\nsize = 1\n',
            r"areas.A.params.tau_minu: unknown parameter: no population below this area has a "
            r"model with it \(their parameters: spike_times, tau_minus, tau_minus_triplet\); "
            r"did you mean 'tau_minus'\?",
        ),
        (
            "key.toml",
            population.replace("size", "sise").encode(),
            r"populations.E.sise: unknown key; allowed keys here: model, nestml, params, size; did you "
            r"mean 'size'\?",
        ),
        (
            "synapse.toml",
            (
                population + '[[projections]]\nsource = "E"\ntarget = "E"\n'
                'rule = "all_to_all"\nsynapse = { synapse_model = '
                '"stdp_synapse", lamda = 0.1 }\n'
            ).encode(),
            r"projections\[0\]: Projection 'E->E': stdp_synapse has no parameter 'lamda'.*did "
            r"you mean 'lambda'\?",
        ),
        (
            "missing.toml",
            (population + 'params = { V_m = { file = "none.npy" } }\n').encode(),
            r"populations.E.params.V_m.file: .*none.npy: cannot be read \(No such file",
        ),
        (
            "missing_csv.toml",
            (population + 'params = { V_m = { file = "none.csv" } }\n').encode(),
            r"populations.E.params.V_m.file: .*none.csv: cannot be read \(No such",
        ),
        (
            "suffix.toml",
            (population + 'params = { V_m = { file = "x.txt" } }\n').encode(),
            r"V_m.file: value 'x.txt' is not allowed; name a .npy or .csv file",
        ),
        (
            "objects.toml",
            (population + 'params = { V_m = { file = "objects.npy" } }\n').encode(),
            r"objects.npy is not a usable .npy file: it holds a 1-d array of object",
        ),
        (
            "three_d.toml",
            (population + 'params = { V_m = { file = "three_d.npy" } }\n').encode(),
            r"three_d.npy is not a usable .npy file: it holds a 3-d array",
        ),
        (
            "short.toml",
            (population + 'params = { V_m = { file = "short.npy" } }\n').encode(),
            r"short.npy is not a usable .npy file: its header says 8 values of float64 \(64 "
            r"bytes\) but",
        ),
        (
            "garbage.toml",
            (population + 'params = { V_m = { file = "garbage.csv" } }\n').encode(),
            r"garbage.csv is not numbers separated by commas",
        ),
        (
            "spikes.toml",
            b'[populations.S]\nmodel = "spike_source"\nsize = 2\n'
            b'params = { spike_times = { file = "three.csv" } }\n',
            r"populations.S.params.spike_times: a spike-time file holds one row per spike, "
            r"\(neuron index, time in ms\); it holds an array of shape \(1, 3\)",
        ),
        (
            "full_name.toml",
            (
                population + '[[projections]]\nsource = "E"\ntarget = "*"\n'
                'rule = "all_to_all"\nfull_name = "x"\nname = "y"\n'
            ).encode(),
            r"projections\[0\].full_name: value 'x' is not allowed; full_name names the one",
        ),
        (
            "star.toml",
            b'[populations."*"]\nmodel = "iaf_psc_exp"\nsize = 1\n',
            r"populations.\"\*\": value '\*' is not allowed; a group name",
        ),
        (
            "target.toml",
            (
                population + '[[projections]]\nsource = "E"\ntarget = "EE"\nrule = "all_to_all"\n'
            ).encode(),
            r"projections\[0\].target: value 'EE' is not allowed; name a population or area: \*, "
            r"E; did you mean 'E'\?",
        ),
    ]


def test_bad_model_files_give_one_clean_error(tmp_path):
    for name, content, message in _bad_files(tmp_path):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ModelFileError, match=message) as err:
            load_model_file(path)
        assert str(err.value).startswith(str(path)) and "\n" not in str(err.value), name


def test_file_size_is_bounded_before_reading(tmp_path, monkeypatch):
    import distsim.modelfile as modelfile

    monkeypatch.setattr(modelfile, "MAX_FILE_BYTES", 1000)
    path = _write(tmp_path, MODEL + "#" * 1000)
    with pytest.raises(
        ModelFileError,
        match=r"larger than 0 MiB, the most a model file may "
        r"hold; put large arrays in .npy files",
    ):
        load_model_file(path)


def test_spike_table_neurons_must_be_indices_of_the_population(tmp_path):
    (tmp_path / "spikes.csv").write_text("0,1.0\n5,2.0\n")
    path = _write(
        tmp_path,
        '[populations.S]\nmodel = "spike_source"\nsize = 2\n'
        'params = { spike_times = { file = "spikes.csv" } }\n',
    )
    with pytest.raises(
        ModelFileError,
        match=r"populations.S.params.spike_times: row 1: neuron "
        r"5 is not an index of the population's 2 "
        r"neurons; use 0..1",
    ):
        load_model_file(path)
