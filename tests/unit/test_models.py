"""Every model round-trips through its serialised form; networks round-trip too."""
import json

import pytest

from distsim import FixedIndegree, Network, Normal, Simulation, Uniform
from distsim.models import MODELS


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_round_trip(name):
    cls = MODELS[name]
    if name == "spike_source":
        model = cls.from_params({"spike_times": [[1.0, 2.5], []]})
    else:
        params = {p: getattr(cls(), p) for p in cls.parameter_names()}
        first = cls.parameter_names()[0]
        params[first] = Normal(float(params[first]), 1.0)
        model = cls.from_params(params)
    again = cls.from_params(json.loads(json.dumps(model.to_dict())))
    assert again == model
    assert cls.__doc__ and ("math::" in cls.__doc__ or name == "spike_source")


def test_network_round_trip_gives_identical_spikes():
    net = Network(dt=0.1, seed=7)
    net.add_population("E", "iaf_psc_alpha", 40, {"V_m": Uniform(-70.0, -55.0)})
    net.add_population("I", "izhikevich", 10, {"a": Normal(0.02, 0.002)})
    net.connect("E", "I", FixedIndegree(5), weight=Normal(2.0, 0.2), delay=Uniform(0.5, 2.0))
    net.connect("I", "E", {"rule": "pairwise_bernoulli", "p": 0.3}, weight=-50.0, delay=1.0)
    net.add_poisson_input("E", rate=15000.0, weight=40.0)
    net.add_dc_input("I", 5.0)
    net.record_spikes("E")
    net.record_spikes("I")
    again = Network.from_dict(json.loads(json.dumps(net.to_dict())))
    assert again.to_dict() == net.to_dict()
    a, b = Simulation(net), Simulation(again)
    a.run(100.0)
    b.run(100.0)
    assert a.summary()["recorded_spikes"] > 0
    assert a.digest() == b.digest()
