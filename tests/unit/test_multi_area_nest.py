"""V1 and V2 of the multi-area model at full in-degree (scale 0.05: 17,744 neurons, 53 M
procedural synapses), ground state, against NEST 3.10 built from the same data
(tests/data/nest_multi_area_V1V2_scale0.05.json, made by scripts/nest_multi_area.py): per
population, the Kolmogorov-Smirnov distances between distsim's rates and ISI CVs and NEST's
lie within the distances between NEST's own seeds (issue 18, point 4)."""

import json
from pathlib import Path

import numpy as np
import pytest

from distsim import Simulation
from distsim.analysis.validation import ks_distance, population_statistics
from distsim.examples.multi_area import multi_area

pytestmark = pytest.mark.slow  # a long run (the fast tier leaves it out)

REF = json.loads(
    (Path(__file__).parents[1] / "data" / "nest_multi_area_V1V2_scale0.05.json").read_text()
)
# NEST's samples are kept as 201 quantiles (steps of 0.005 in probability), rounded to 1e-3 Hz
# and 1e-4: a KS distance against them is off by up to about 0.005 + the rounding
SLACK = 0.01
MIN_CVS = 20  # populations with fewer ISI CVs (neurons with >= 3 spikes) are too noisy


def _ours(pop):
    return pop.replace("-", ".")


@pytest.fixture(scope="module")
def runs():
    """Two distsim seeds (pooled: less sampling noise than one NEST seed)."""
    out = []
    for seed in (1, 2):
        net = multi_area(
            state=REF["state"],
            scale=REF["scale"],
            areas=REF["areas"],
            storage="procedural",
            seed=seed,
        )
        sim = Simulation(net)
        sim.run(REF["t_presim_ms"] + REF["t_sim_ms"])
        out.append((net, sim.spike_steps()))
    return out


def test_same_network_as_the_reference(runs):
    net, _ = runs[0]
    pops = REF["params"]["populations"]
    assert [net.populations[_ours(p)].size for p in pops] == REF["params"]["num_neurons"]
    expected = {
        (_ours(pops[j]), _ours(pops[i])): n
        for i, row in enumerate(REF["params"]["num_synapses"])
        for j, n in enumerate(row)
        if n > 0
    }
    ours = {(p.source, p.target): p.rule.N for p in net.projections}
    assert ours == expected


@pytest.mark.parametrize("stat", ["rates", "cv"])
def test_per_population_distributions_within_nest_seed_variability(runs, stat):
    dt = REF["dt"]
    step0 = int(round(REF["t_presim_ms"] / dt))
    step1 = step0 + int(round(REF["t_sim_ms"] / dt))
    report, failing = {}, {}
    for pop in REF["params"]["populations"]:
        ours = np.concatenate(
            [
                population_statistics(
                    steps, gids, p.first_gid, p.size, step0, step1, dt, n_sample=2
                )[stat]
                for net, (steps, gids) in runs
                for p in [net.populations[_ours(pop)]]
            ]
        )
        nest = [seed["populations"][pop] for seed in REF["seeds"]]
        if stat == "cv" and min([ours.size] + [s["n_cv"] for s in nest]) < MIN_CVS:
            continue
        d = float(np.median([ks_distance(ours, s[stat]) for s in nest]))
        limit = max(REF["between_seed_ks"][pop][stat]) + SLACK
        report[pop] = (round(d, 4), round(limit, 4))
        if d > limit:
            failing[pop] = report[pop]
    print(stat, report)
    assert len(report) >= (16 if stat == "rates" else 8)
    assert not failing, f"{stat}: (median KS to NEST seeds, limit) {failing}; all {report}"
