"""stdp_dopamine_synapse with a volume transmitter of simulated neurons (issue 7): the
dopamine arrivals kept in time order as spikes come, results equal to those of a spike_source
at the neurons' spike times, learning driven by the dopamine, split runs and checkpoints,
and the errors a user can cause.  (NEST comparisons: test_stdp_nest.py; several ranks and
backends: tests/mpi/test_mpi_dopamine.py.)"""

import math

import numpy as np
import pytest

from distsim import FixedIndegree, Network, Simulation, Uniform
from distsim.errors import DelayError, ModelError, NetworkError
from distsim.kernels.plasticity import (
    DA_CAP,
    DA_KNOWN,
    DA_LEN,
    DA_START,
    N_DA_COLS,
    dopamine_arrival,
)

W0 = 15.0
DOPA = {
    "synapse_model": "stdp_dopamine_synapse",
    "vt": "DA",
    "tau_c": 200.0,
    "tau_n": 100.0,
    "A_minus": 1.0,
    "Wmax": 60.0,
}


def network(dopamine_rate=4000.0, da_times=None):
    """E neurons with plastic E->E and P->E synapses whose volume transmitter is DA:
    iaf_psc_alpha neurons driven by Poisson input (``dopamine_rate`` Hz), or a spike_source
    at ``da_times`` (the same gids)."""
    net = Network(dt=0.1, seed=21)
    net.add_population("P", "iaf_psc_alpha", 10)
    if da_times is None:
        net.add_population("DA", "iaf_psc_alpha", 10)
        net.add_poisson_input("DA", rate=dopamine_rate, weight=20.0, delay=1.0, name="da_drive")
    else:
        net.add_population("DA", "spike_source", 10, {"spike_times": da_times})
    net.add_population("E", "iaf_psc_alpha", 30)
    net.add_poisson_input("P", rate=3600.0, weight=20.0, delay=1.0, name="p_drive")
    net.add_poisson_input("E", rate=3400.0, weight=20.0, delay=1.0, name="e_drive")
    net.connect("P", "E", FixedIndegree(4), weight=W0, delay=1.0, synapse={**DOPA, "vt_delay": 2.0})
    net.connect(
        "E",
        "E",
        FixedIndegree(6),
        weight=W0,
        delay=Uniform(1.0, 3.0),
        synapse={**DOPA, "vt_delay": 1.0},
    )
    for pop in ("P", "DA", "E"):
        net.record_spikes(pop)
    return net


def plastic(sim):
    st = sim.plasticity.state()
    return st["syn_w"], st["syn_dopa"]


def test_arrivals_in_time_order_with_multiplicities_and_late_ones_refused():
    h = 0.1
    da_ptr = np.zeros((2, N_DA_COLS), np.int64)
    da_ptr[:, DA_START] = (0, 8)
    da_ptr[:, DA_CAP] = 8
    da_ptr[:, DA_LEN] = 1  # the pseudo spike (0 ms, multiplicity 0)
    da_ptr[:, DA_KNOWN] = -1
    times, mults = np.zeros(16), np.zeros(16)
    for step in (30, 50, 40, 50, 30, 60, 45):  # a local neuron's and late remote batches
        assert dopamine_arrival(da_ptr, times, mults, 1, step, h)
    n = da_ptr[1, DA_LEN]
    assert list(times[8 : 8 + n]) == [0.0] + [s * h for s in (30, 40, 45, 50, 60)]
    assert list(mults[8 : 8 + n]) == [0.0, 2.0, 1.0, 1.0, 2.0, 1.0]
    assert da_ptr[0, DA_LEN] == 1 and not times[:8].any()  # the other rule untouched
    da_ptr[1, DA_KNOWN] = 60  # a presynaptic spike at step 60 was processed
    assert not dopamine_arrival(da_ptr, times, mults, 1, 60, h)
    assert not dopamine_arrival(da_ptr, times, mults, 1, 55, h)
    assert da_ptr[1, DA_LEN] == n and mults[8 + n - 1] == 1.0
    assert dopamine_arrival(da_ptr, times, mults, 1, 61, h)


def test_simulated_dopamine_neurons_equal_a_spike_source_at_their_spike_times():
    """The same weights and spikes, bit for bit, whether the volume transmitter's neurons
    are simulated or a spike_source replaying their spikes; more arrivals than the initial
    capacity (the arrays grow)."""
    live = Simulation(network())
    live.run(150.0)
    live.run(150.0)
    t, g = live.spikes("DA")
    first = live.network.populations["DA"].first_gid
    times = [list(t[g == first + k]) for k in range(10)]
    assert sum(map(len, times)) > 100
    da_ptr = live.plasticity.arrays.da_ptr
    assert da_ptr[0, DA_LEN] > 64 and da_ptr[0, DA_CAP] >= da_ptr[0, DA_LEN]
    replay = Simulation(network(da_times=times))
    replay.run(300.0)
    for a, b in zip(plastic(live), plastic(replay)):
        assert a.tobytes() == b.tobytes()
    for pop in ("P", "E"):
        for a, b in zip(live.spikes(pop), replay.spikes(pop)):
            assert np.array_equal(a, b)
    a0, n = da_ptr[0, DA_START], da_ptr[0, DA_LEN]
    r_ptr, r_time, r_mult = replay.plasticity.dopamine()
    b0 = r_ptr[0, DA_START]
    assert r_ptr[0, DA_LEN] >= n  # the spike source's arrivals go on past the end
    assert live.plasticity.arrays.da_time[a0 : a0 + n].tobytes() == r_time[b0 : b0 + n].tobytes()
    assert live.plasticity.arrays.da_mult[a0 : a0 + n].tobytes() == r_mult[b0 : b0 + n].tobytes()


def test_the_weights_change_because_of_the_dopamine():
    """b = 0: without dopamine spikes dw/dt = c n = 0 and no weight moves; with them most do."""
    silent = Simulation(network(dopamine_rate=0.0))
    silent.run(200.0)
    assert silent.spikes("DA")[0].size == 0 and silent.spikes("E")[0].size > 50
    assert np.all(plastic(silent)[0] == W0)
    assert np.any(plastic(silent)[1][:, 0] != 0.0)  # the eligibility traces did move
    sim = Simulation(network())
    sim.run(200.0)
    w = plastic(sim)[0]
    assert np.mean(w != W0) > 0.9 and w.min() < W0 < w.max()


def test_split_runs_and_a_checkpoint_continue_bit_identically(tmp_path):
    """Arrivals still to come at the end of a run (a dopamine spike 0.5 ms before it, vt
    delays 1 and 2 ms) survive the next run() and a checkpoint."""
    whole = Simulation(network())
    whole.run(200.0)
    t_da, _ = whole.spikes("DA")
    split_step = int(round(t_da[t_da > 50.0][0] / 0.1)) + 5
    split = Simulation(network())
    split.run(split_step * 0.1)
    da_ptr, da_time = split.plasticity.dopamine()[:2]
    for r in (0, 1):  # both rules hold an arrival after the split
        assert da_time[da_ptr[r, DA_START] + da_ptr[r, DA_LEN] - 1] > split_step * 0.1
    split.checkpoint(tmp_path / "ckpt.zarr")
    split.run(200.0 - split_step * 0.1)
    restored = Simulation.restore(tmp_path / "ckpt.zarr")
    assert list(restored.plasticity.arrays.da_ptr[:, DA_KNOWN]) == [split_step, split_step]
    restored.run(200.0 - split_step * 0.1)
    t_whole, g_whole = whole.spikes()
    later = t_whole > split_step * 0.1 + 1e-9
    for sim in (split, restored):
        assert sim.step == 2000
        for a, b in zip(plastic(whole), plastic(sim)):
            assert a.tobytes() == b.tobytes()
        t, g = sim.spikes()
        mine = t > split_step * 0.1 + 1e-9
        assert np.array_equal(t[mine], t_whole[later]) and np.array_equal(g[mine], g_whole[later])


def _net_with(**synapse):
    net = Network(dt=0.1)
    net.add_population("A", "iaf_psc_alpha", 2)
    net.add_poisson_input("A", rate=100.0, name="drive")
    return net, {"synapse_model": "stdp_dopamine_synapse", **synapse}


@pytest.mark.parametrize(
    "synapse, error, message",
    [
        (
            {"vt": "nowhere"},
            NetworkError,
            r"Projection 'A->A': the volume transmitter vt = 'nowhere' of a stdp_dopamine_synapse is "
            r"not a population; populations: A; add the dopamine neurons' population",
        ),
        (
            {"vt": "drive"},
            NetworkError,
            r"vt = 'drive' of a stdp_dopamine_synapse is a Poisson input, which emits no spikes of "
            r"its own; .* add a parrot_neuron population driven by it",
        ),
        ({}, NetworkError, r"a stdp_dopamine_synapse needs vt, the population of dopamine neurons"),
        (
            {"vt": "A", "vt_delay": 0.04},
            DelayError,
            r"vt_delay 0.04 ms of a stdp_dopamine_synapse is shorter than one step \(dt = 0.1 ms\).*"
            r"use vt_delay >= 0.1 ms or a smaller dt",
        ),
        (
            {"vt": "A", "vt_delay": math.nan},
            ModelError,
            r"stdp_dopamine_synapse vt_delay: value nan is not a finite number",
        ),
    ],
)
def test_volume_transmitter_errors(synapse, error, message):
    net, spec = _net_with(**synapse)
    with pytest.raises(error, match=message):
        net.connect("A", "A", "all_to_all", weight=1.0, synapse=spec)


def test_a_population_of_any_model_is_a_volume_transmitter():
    for model in (
        "iaf_psc_alpha",
        "iaf_psc_exp",
        "iaf_psc_delta",
        "izhikevich",
        "parrot_neuron",
        "loihi_cuba_lif",
        "spike_source",
    ):
        net, spec = _net_with(vt="D")
        net.add_population(
            "D", model, 1, {"spike_times": [[2.0]]} if model == "spike_source" else None
        )
        net.connect("A", "A", "all_to_all", weight=1.0, synapse=spec)
        sim = Simulation(net)
        sim.run(5.0)


def test_memory_estimate_counts_the_dopamine_arrivals():
    """Every rank keeps each volume transmitter's arrivals (16 bytes each; two projections
    here): a spike_source's, one per spike at most, known at the build, which the built
    arrays hold; simulated neurons start with the initial capacity."""
    from distsim.inspect import describe
    from distsim.memory import DOPAMINE_ARRIVAL_BYTES
    from distsim.simulation.plasticity import DA_INITIAL_CAPACITY as _DA_INITIAL_CAPACITY

    def table_bytes(net):
        return describe(net, 1)["per_rank"][0]["memory_parts_bytes"]["synapse_table"]

    few = network(da_times=[[5.0 + i] for i in range(10)])
    many = network(da_times=[list((np.arange(1, 1001) + 1000 * i) * 0.1) for i in range(10)])
    live = network()
    assert table_bytes(many) - table_bytes(few) == 2 * DOPAMINE_ARRIVAL_BYTES * 9990
    assert table_bytes(live) - table_bytes(few) == 2 * DOPAMINE_ARRIVAL_BYTES * (
        _DA_INITIAL_CAPACITY - 11
    )
    sim = Simulation(many)
    da_ptr, da_time, da_mult = sim.plasticity.dopamine()
    assert da_time.nbytes + da_mult.nbytes <= 2 * DOPAMINE_ARRIVAL_BYTES * 10001
    assert np.all(da_ptr[:, DA_LEN] == 10001) and da_ptr[:, DA_CAP].sum() == da_time.size
