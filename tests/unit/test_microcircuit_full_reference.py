"""The full-scale NEST 3.10 reference of the microcircuit (tests/data/nest_microcircuit_full_dc.json,
made by scripts/nest_microcircuit.py, read by scripts/microcircuit_validity.py) is what it says:
distsim's network, consistent samples, between-seed distances that follow from them; and the
validity script's margin never fails NEST against itself in the 5-seed scale-0.1 reference."""

import itertools
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from distsim.analysis.validation import ks_distance
from distsim.examples import microcircuit
from distsim.examples.microcircuit import CONN_PROBS, POPULATIONS

DATA = Path(__file__).parents[1] / "data"
REF = json.loads((DATA / "nest_microcircuit_full_dc.json").read_text())
CORR_PAIRS = 3000  # scripts/nest_microcircuit.py CORR_SAMPLE_PAIRS


def test_generated_by_nest_at_full_scale_with_dc_drive():
    assert REF["generator"] == "scripts/nest_microcircuit.py"
    assert REF["nest_version"].startswith("3.10")
    assert (REF["scale"], REF["dt"], REF["t_presim_ms"], REF["t_sim_ms"]) == (1, 0.1, 100, 1000)
    assert REF["params"]["background"] == "dc" and REF["params"]["N_scaling"] == 1
    assert len(REF["seeds"]) >= 3
    assert len({s["seed"] for s in REF["seeds"]}) == len(REF["seeds"])


def test_the_same_network_as_distsim():
    net = microcircuit(scale=REF["scale"], poisson_input=False, record=False)
    params = REF["params"]
    assert params["populations"] == POPULATIONS
    assert [net.populations[p].size for p in POPULATIONS] == params["num_neurons"]
    for seed in REF["seeds"]:
        assert [seed["populations"][p]["n"] for p in POPULATIONS] == params["num_neurons"]
        assert seed["num_connections"] == params["num_synapses_total"] + sum(
            params["num_neurons"]
        )  # + one recorder connection per neuron
    synapses = np.zeros((8, 8), np.int64)
    for proj in net.projections:
        synapses[POPULATIONS.index(proj.target), POPULATIONS.index(proj.source)] = proj.rule.N
    assert synapses.tolist() == params["num_synapses"]
    assert params["conn_probs"] == CONN_PROBS.tolist()
    assert not net.poisson_inputs
    assert np.allclose(
        [net.populations[p].model.I_e for p in POPULATIONS], params["dc_amp_pA"], rtol=1e-12
    )


@pytest.mark.parametrize("seed", REF["seeds"], ids=lambda s: f"seed{s['seed']}")
def test_samples_are_consistent(seed):
    seconds = REF["t_sim_ms"] / 1000.0
    for p in POPULATIONS:
        pop = seed["populations"][p]
        counts = np.asarray(pop["rates"]) * seconds
        assert counts.size == pop["n"]
        assert np.array_equal(counts, np.round(counts)), p  # 1 s: whole numbers of Hz
        assert counts.sum() == pop["n_spikes"]
        assert pop["mean_rate_hz"] == pytest.approx(pop["n_spikes"] / (pop["n"] * seconds))
        assert len(pop["cv"]) == pop["n_cv"] == np.count_nonzero(counts >= 3), p
        assert 0 <= min(pop["cv"]) and max(pop["cv"]) < 3
        k = pop["corr_n_neurons"]
        assert k == min(200, np.count_nonzero(counts)) and pop["corr_n"] == k * (k - 1) // 2
        q, sample = np.asarray(pop["corr"]), np.asarray(pop["corr_sample"])
        assert q.size == 201 and np.all(np.diff(q) >= 0)
        assert sample.size == min(CORR_PAIRS, pop["corr_n"])
        assert q[0] - 5e-5 <= sample.min() and sample.max() <= q[-1] + 5e-5  # q: 1e-4
        assert sample.mean() == pytest.approx(pop["corr_mean"], abs=0.005)


def test_between_seed_distances_follow_from_the_samples():
    seeds = REF["seeds"]
    pairs = list(itertools.combinations(range(len(seeds)), 2))
    assert REF["between_seed_ks_pairs"] == [[seeds[a]["seed"], seeds[b]["seed"]] for a, b in pairs]
    for p in POPULATIONS:

        def ks(key, p=p):
            return [
                ks_distance(seeds[a]["populations"][p][key], seeds[b]["populations"][p][key])
                for a, b in pairs
            ]

        stored = REF["between_seed_ks"][p]
        # rates are exact; CVs are stored rounded to 1e-4 (the stored distance is of the
        # unrounded CVs); correlations: the stored subsamples' distances
        assert np.allclose(ks("rates"), stored["rates"], atol=6e-5), p
        assert np.allclose(ks("cv"), stored["cv"], atol=1e-3), p
        assert np.allclose(ks("corr_sample"), REF["between_seed_ks_corr_sample"][p], atol=6e-5)
        for stat, values in stored.items():
            assert REF["between_seed_ks_range"][p][stat] == [min(values), max(values)]


def test_margin_never_fails_nest_against_itself():
    """scripts/microcircuit_validity.py's MARGIN: in the 5-seed scale-0.1 reference, split
    3 + 2, the median cross distance stays within MARGIN x the largest within distance."""
    sys.path.insert(0, str(Path(__file__).parents[2] / "scripts"))
    from microcircuit_validity import MARGIN, STATS

    seeds = json.loads((DATA / "nest_microcircuit.json").read_text())["seeds"]
    ratios = []
    for p in POPULATIONS:
        for key in STATS.values():
            samples = [s["populations"][p][key] for s in seeds]
            ks = {
                (a, b): ks_distance(samples[a], samples[b])
                for a, b in itertools.combinations(range(len(seeds)), 2)
            }
            for within in itertools.combinations(range(len(seeds)), 3):
                rest = [i for i in range(len(seeds)) if i not in within]
                cross = [ks[tuple(sorted((a, b)))] for a in within for b in rest]
                top = max(ks[pair] for pair in itertools.combinations(within, 2))
                ratios.append(np.median(cross) / top)
    assert len(ratios) == 240
    assert 1.5 < max(ratios) <= MARGIN  # the bound is needed, and enough
