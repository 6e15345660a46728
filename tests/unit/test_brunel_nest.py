"""Brunel (2000) model A at order 2500 against NEST 3.10 (tests/data/nest_brunel_rates.json,
made by scripts/nest_brunel.py): mean rate within 5 % over the same seeds."""

import json
from pathlib import Path

import numpy as np
import pytest

from distsim import Simulation
from distsim.examples import brunel

pytestmark = pytest.mark.slow  # a long run (the fast tier leaves it out)

REF = json.loads((Path(__file__).parents[1] / "data" / "nest_brunel_rates.json").read_text())


def test_parameters_are_those_of_the_reference():
    p = REF["params"]
    net = brunel(order=p["order"], g=p["g"], eta=p["eta"], J=p["J"], delay=p["delay"], dt=p["dt"])
    assert net.n_neurons == p["N"] == 12500
    e = net.populations["E"].model
    for key, value in p["neuron_params"].items():
        assert getattr(e, key) == value
    rates = {s.target: s.rate for s in net.poisson_inputs}
    assert rates == {"E": p["p_rate"], "I": p["p_rate"]}
    indegrees = {pr.name: pr.rule.indegree for pr in net.projections}
    assert indegrees["E->E"] == p["CE"] and indegrees["I->E"] == p["CI"]


def test_mean_rate_within_5_percent_of_nest():
    seeds = [r["seed"] for r in REF["runs"]]
    nest = np.mean([r["mean_rate_hz"] for r in REF["runs"]])
    ours = []
    for seed in seeds:
        sim = Simulation(brunel(order=2500, seed=seed))
        sim.run(REF["t_sim_ms"])
        ours.append(sim.summary()["mean_rate_hz"])
    assert len(seeds) >= 3
    assert abs(np.mean(ours) / nest - 1.0) < 0.05, (ours, nest)
    assert all(abs(r / nest - 1.0) < 0.05 for r in ours), (ours, nest)
