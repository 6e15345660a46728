"""Model files (TOML, YAML): hierarchy, inheritance, group connections, errors with key paths."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from distsim import Simulation
from distsim.errors import ModelFileError
from distsim.modelfile import load_model_file

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
    assert json.dumps(yaml_net.to_dict(), sort_keys=True) == json.dumps(toml_net.to_dict(), sort_keys=True)


@pytest.mark.parametrize("change, message", [
    (("weight = 50.0", 'weight = { distribution = "normal", mean = "abc", std = 1.0 }'),
     r"projections\[0\]: .*weight"),
    (("indegree = 5", "indegree = -5"), r"projections\[0\]: .*indegree -5 is not a non-negative"),
    (('target = "*"', 'target = "V9"'), r"projections\[0\].target: value 'V9' is not allowed; name a population or area"),
    (("size = 80", "size = 80\ncolour = 3"), r"areas.V1.populations.E.colour: unknown key; allowed keys here: model, params, size"),
    (('model = "iaf_psc_alpha"', 'model = "iaf_psc_beta"'), r"areas.V1.populations.I: Population 'V1.I': neuron model 'iaf_psc_beta' is not known"),
    (("rate = 8000.0", "rate = -1.0"), r"stimuli.poisson\[0\]: PoissonInput .*rate -1.0 Hz"),
    (("dt = 0.1", "dt = 0.1\nsteps = 3"), r"network.steps: unknown key"),
])
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
    r = subprocess.run([str(Path(sys.executable).parent / "distsim"), "run", str(path), "--t-sim",
                        "50", "--json"], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    s = json.loads(r.stdout.strip().splitlines()[-1])
    assert s["neurons"] == 130 and s["store"].endswith("model.zarr")


@pytest.mark.parametrize("suffix", [".toml", ".yaml"])
def test_written_model_file_loads_back_into_the_same_network(tmp_path, suffix):
    """write_model_file inverts load_model_file: the same description (names, hence random
    streams, included) and spikes; a name the format cannot give back is refused."""
    from distsim import FromList, Network
    from distsim.modelfile import write_model_file
    net = load_model_file(_write(tmp_path, MODEL.replace(
        'rule = "all_to_all"', 'rule = "all_to_all"\nname = "drive"')))
    net.add_population("integrator", "iaf_psc_delta", 3, {"tau_m": float("inf"),
                                                          "V_th": float("inf")})
    net.connect("V1.E", "V1.I", FromList([0, 3, 3], [1, 2, 2]), weight=[1.5, -2.0, 3.25],
                delay=[0.5, 1.0, 2.0])
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
    odd.connect("A", "A", "all_to_all", name="recurrent")
    with pytest.raises(ModelFileError, match=r"Projection 'recurrent': a model file names "
                                             r"projections NAME:SOURCE->TARGET"):
        write_model_file(odd, path)
