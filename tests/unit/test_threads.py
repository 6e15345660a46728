"""Threads inside a rank (kernels/threads.py): the split of neurons and of target lists, and
the same spikes, weights and counts for 1 and 2 threads on every kind of network part
(event-driven groups, DC input, per-synapse weights and delays, plastic synapses, hardware
counters, unsorted target lists)."""

import numba
import numpy as np
import pytest
from test_event_driven import _net as event_driven_net

from distsim import Simulation
from distsim.errors import ConfigError
from distsim.examples import hpc_benchmark, microcircuit
from distsim.kernels.threads import group_segments, list_splits, move_cuts
from distsim.simulation.threads import BALANCE_STEPS, check_threads, neuron_work, thread_bounds


def test_list_splits_of_sorted_and_unsorted_lists():
    ptr = np.array([0, 5, 5, 9], np.int64)
    targets = np.array([0, 2, 2, 6, 9, 4, 1, 7, 3], np.uint16)  # the third list is unsorted
    split = list_splits(ptr, targets, np.array([0, 3, 7, 10], np.int64))
    assert split.tolist() == [[0, 3, 4, 5], [5, 5, 5, 5], [-1, -1, -1, -1]]


def test_thread_bounds_balance_updates_and_synapses():
    indegree = np.r_[np.full(100, 300), np.full(300, 100)]  # cost 1 + d / mean(d) = 3.0 / 1.67
    bounds = thread_bounds(2, neuron_work(indegree))
    cost = 1 + indegree / indegree.mean()
    assert bounds[0] == 0 and bounds[-1] == 400
    halves = cost[: bounds[1]].sum(), cost[bounds[1] :].sum()
    assert abs(halves[0] - halves[1]) <= 2 * cost.max()  # a neuron on either side of the cut
    assert thread_bounds(3, neuron_work(np.zeros(0))).tolist() == [0, 0, 0, 0]
    assert thread_bounds(2, neuron_work(np.zeros(4))).tolist() == [0, 2, 4]  # no synapses


def _grouped(seg, split, syn_target, bounds):
    """Whether each thread's part of every grouped segment holds exactly its targets."""
    for s in range(seg.shape[0] - 1):
        if split[s, 0] < 0:
            continue
        for k in range(bounds.size - 1):
            t = seg[s, 4] + syn_target[split[s, k] : split[s, k + 1]].astype(np.int64)
            if t.size and (t.min() < bounds[k] or t.max() >= bounds[k + 1]):
                return False
    return True


def test_moving_cuts_moves_the_synapses_onto_the_neurons_that_change_thread():
    rng = np.random.default_rng(3)
    n, old, new = 60, np.array([0, 20, 40, 60]), np.array([0, 27, 33, 60])  # both inward
    # segments: drawn weights and delays; one weight and delay, targets from neuron 10;
    # empty; not movable (sorted targets)
    sizes = [200, 150, 0, 20]
    seg = np.zeros((len(sizes) + 1, 5), np.int64)
    seg[1:, 0] = np.cumsum(sizes)
    seg[:4, 1:] = [[5, -1, 0, 0], [7, 2, -1, 10], [5, 2, -1, 0], [9, 3, -1, 0]]
    target = np.concatenate(
        [rng.integers(0, n, 200), rng.integers(0, n - 10, 150), np.sort(rng.integers(0, n, 20))]
    ).astype(np.uint16)
    weight, delay = rng.random(200).astype(np.float32), rng.integers(1, 9, 200).astype(np.uint8)
    movable = np.array([True, True, True, False])
    split = group_segments(seg, movable, target, weight, delay, old)
    triples = sorted(zip(target[:200].tolist(), weight.tolist(), delay.tolist()))
    second = sorted(target[200:350].tolist())
    move_cuts(seg, movable, target, weight, delay, old, new, split)
    assert _grouped(seg, split, target, new) and split.min() >= 0
    assert sorted(zip(target[:200].tolist(), weight.tolist(), delay.tolist())) == triples
    assert sorted(target[200:350].tolist()) == second


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_bad_thread_counts_are_refused(bad):
    with pytest.raises(ConfigError, match="threads"):
        check_threads(bad)


def test_more_threads_than_numba_has_are_refused_with_the_fix():
    limit = numba.config.NUMBA_NUM_THREADS
    with pytest.raises(ConfigError, match=f"NUMBA_NUM_THREADS={limit + 1}"):
        check_threads(limit + 1)


def _runs(make, t_ms, **options):
    """Summaries (and plastic weights, hardware counts) of 1 and 2 threads."""
    out = []
    for threads in (1, 2):
        sim = Simulation(make(), threads=threads, **options)
        sim.run(t_ms)
        entry = {"summary": sim.summary()}
        if any(p.synapse is not None for p in sim.network.projections):
            c = sim.connections()  # a source's synapses grouped by thread: in canonical order
            order = np.lexsort((c["weight"], c["target"], c["source"], c["projection"]))
            entry["weights"] = c["weight"][order]
        if options.get("hardware_counters"):
            entry["counts"] = sim.hardware_counts()
        out.append(entry)
    return out


def _same(one, two):
    assert one["summary"]["spikes"] > 100
    assert one["summary"]["digest"] == two["summary"]["digest"]
    assert one["summary"]["synaptic_events"] == two["summary"]["synaptic_events"]
    if "weights" in one:
        assert np.array_equal(one["weights"], two["weights"])
    if "counts" in one:
        for key, value in one["counts"].items():
            assert np.array_equal(np.asarray(value), np.asarray(two["counts"][key])), key


def test_event_driven_groups_with_threads():
    _same(*_runs(lambda: event_driven_net(poisson=True), 300.0))


def test_microcircuit_dc_drive_drawn_weights_and_delays_and_hardware_counters():
    _same(
        *_runs(lambda: microcircuit(scale=0.1, poisson_input=False), 200.0, hardware_counters=True)
    )


def test_plastic_synapses_with_threads():
    _same(*_runs(lambda: hpc_benchmark(scale=0.02, plastic=True), 50.0))


def test_unsorted_target_lists_are_split_by_checking_every_target():
    one = Simulation(microcircuit(scale=0.03), threads=1)
    two = Simulation(microcircuit(scale=0.03), threads=2)
    a = two.threads.arrays
    two.threads.arrays = a._replace(
        seg_split=np.full_like(a.seg_split, -1), pz_split=np.full_like(a.pz_split, -1)
    )
    for sim in (one, two):
        sim.run(150.0)
    assert one.summary()["spikes"] > 100 and one.digest() == two.digest()


def test_ranges_follow_the_measured_work_and_the_spikes_do_not_change():
    one = Simulation(microcircuit(scale=0.03))
    two = Simulation(microcircuit(scale=0.03), threads=2)
    one.run(150.0)
    two.run(40.0)
    th = two.threads
    assert th.balance_at == two.step - 400 + BALANCE_STEPS  # measured from the first step
    assert th.arrays.cyc[:, 3].min() > 0  # each thread's cycles add up
    before = th.arrays.bounds.copy()
    th.arrays.cyc[:, 3] = [3_000_000, 1_000_000]  # thread 0 worked three times as long
    assert th.balance() and th.balance_at == -1
    cut = th.arrays.bounds[1]
    assert 0 < cut < before[1]  # thread 0 gives neurons away ...
    w0, w1 = th.work[:cut].sum(), th.work[cut:].sum()
    assert abs(w0 - w1) <= 2 * th.work.max()  # ... until the measured work is shared equally
    assert th.work[: before[1]].sum() == pytest.approx(3 * th.work[before[1] :].sum())
    assert _grouped(two.table.seg, th.arrays.seg_split, two.table.syn_target, th.arrays.bounds)
    two.run(110.0)
    assert one.summary()["spikes"] > 100 and one.digest() == two.digest()
    even = Simulation(microcircuit(scale=0.03), threads=2)
    even.threads.arrays.cyc[:, 3] = [1_010_000, 1_000_000]  # within the tolerance
    assert not even.threads.balance()
    assert even.threads.arrays.bounds.tolist() == before.tolist()


def test_ranks_times_threads_beyond_the_cores_are_refused(capsys, monkeypatch):
    from distsim.cli import main

    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1})
    assert main(["run", "--ranks", "2", "--threads", "2", "--order", "5"]) == 2
    err = capsys.readouterr().err
    assert "--ranks 2 x --threads 2 = 4 threads exceeds the 2 cores" in err
    assert len(err.strip().splitlines()) == 1


def test_static_networks_run_windows_of_their_shortest_delay():
    from distsim.examples import brunel

    for state in ("SR", "AI"):  # regular high rates (record buffers fill), irregular
        one, two = (Simulation(brunel(order=200, state=state), threads=t) for t in (1, 2))
        assert two.threads.arrays.window[0] == two.table.min_delay == 15
        for sim in (one, two):
            sim.run(60.0)
            sim.run(90.0)  # a window cut at the end of a run
        assert one.summary()["spikes"] > 500
        assert one.digest() == two.digest()
    plastic = Simulation(hpc_benchmark(scale=0.02, plastic=True), threads=2)
    assert plastic.threads.arrays.window[0] == 1  # plastic synapses: step by step
