"""Energy and latency model against hand-computed numbers on a tiny two-chip case."""

import json

import numpy as np
import pytest

from distsim.errors import HardwareError
from distsim.hardware.energy import COUNTERS, empty_counters, energy_report, latency_report, report


def _tiny(link_packets=(0, 0), max_hops=0):
    """Two chips, 10 steps of 1 ms: chip 0 has 2 active cores, chip 1 one."""
    c = empty_counters(2, 2)
    c.update(
        synaptic_ops=[1000, 500],
        neuron_updates_active=[10, 5],
        neuron_updates_idle=[90, 95],
        spikes=[4, 2],
        noc_hops_x=[3, 0],
        noc_hops_y=[1, 0],
        packets=[6, 3],
        link_packets=list(link_packets),
        cores_active=[2, 1],
        steps=10,
        dt_ms=1.0,
        max_hops=max_hops,
    )
    return c


def test_loihi_by_hand():
    e = energy_report(_tiny(), "loihi", window_ms=5.0)
    dynamic = (1500 * 23.6 + 15 * 81 + 185 * 52 + 6 * 1.7 + 3 * 3.0 + 1 * 4.0) * 1e-12
    static = 2 * 0.104 * 0.010  # 2 chips x 104 mW x 10 ms real time
    assert e["terms"]["synaptic_op"]["energy_J"] == pytest.approx(1500 * 23.6e-12)
    assert e["terms"]["router_packet"]["status"] == "included"
    assert e["terms"]["link_hop"]["status"] == "no events"  # unknown, but never used
    assert e["total_J"] == pytest.approx(dynamic + static)
    assert e["per_synaptic_event_J"] == pytest.approx((dynamic + static) / 1500)
    assert e["per_spike_J"] == pytest.approx((dynamic + static) / 6)
    assert e["per_window_J"] == pytest.approx((dynamic + static) / 2)
    chip1 = (500 * 23.6 + 5 * 81 + 95 * 52 + 2 * 1.7) * 1e-12 + 0.104 * 0.010
    assert e["per_chip_J"][1] == pytest.approx(chip1)
    assert e["assumptions"] == ["static power over model time: the chips run in real time"]
    assert json.loads(json.dumps(e)) == e


def test_unknown_terms_are_not_zero():
    e = energy_report(_tiny(link_packets=(2, 1), max_hops=1), "loihi")
    assert e["terms"]["link_hop"]["energy_J"] is None and e["unknown_terms"] == ["link_hop"]
    assert e["total_J"] is None and e["per_synaptic_event_J"] is None
    assert e["known_J"] == pytest.approx(energy_report(_tiny(), "loihi")["total_J"])
    assert e["per_chip_J"] is not None  # link energy is not a chip's
    spin = energy_report(_tiny(), "spinnaker")  # synaptic events are software: unknown
    assert set(spin["unknown_terms"]) == {
        "synaptic_op",
        "neuron_update_active",
        "neuron_update_idle",
    }
    assert spin["per_chip_J"] is None
    assert spin["known_J"] == pytest.approx(9 * 1e-9 + 2 * 0.35 * 0.01 + 3 * 0.034 * 0.01)


def test_truenorth_all_in():
    e = energy_report(_tiny(link_packets=(2, 1)), "truenorth")
    assert e["scope"] == "all_in"
    assert e["total_J"] == pytest.approx(1500 * 26e-12)  # nothing on top of it
    assert e["per_synaptic_event_J"] == pytest.approx(26e-12)
    assert all(t["energy_J"] == 0.0 for k, t in e["terms"].items() if k != "synaptic_op")
    assert "all-in" in e["assumptions"][-1]


def test_accelerated_chip_time():
    e = energy_report(_tiny(), "brainscales2")
    assert e["hardware_time_s"] == pytest.approx(0.010 / 1000)
    assert e["terms"]["static"]["count"] == pytest.approx(2 * 0.010 / 1000)
    assert energy_report(_tiny(), "loihi", hardware_time_s=1.0)["terms"]["static"][
        "energy_J"
    ] == pytest.approx(2 * 0.104)


def test_latency_by_hand():
    lat = latency_report(_tiny(), "loihi", window_ms=5.0)
    chip0 = (1000 * 3.5 + 10 * 8.4 + 90 * 5.3 + 4 * 2.1) * 1e-9 / (10 * 2)
    chip1 = (500 * 3.5 + 5 * 8.4 + 95 * 5.3 + 2 * 2.1) * 1e-9 / (10 * 1)
    assert lat["compute_per_step_s"] == pytest.approx(max(chip0, chip1))
    assert lat["sync_per_step_s"] == pytest.approx(16.2e-6)  # two chips: system barrier
    assert lat["step_s"] == pytest.approx(max(chip0, chip1) + 16.2e-6)
    assert lat["per_window_s"] == pytest.approx(5 * lat["step_s"])
    assert latency_report(_tiny(max_hops=2), "loihi")["step_s"] is None  # link latency unknown
    tick = latency_report(_tiny(max_hops=2), "spinnaker")
    assert tick["step_s"] == 1e-3 and tick["compute_per_step_s"] is None
    assert set(report(_tiny(), "cpu")) == {"energy", "latency"}


def test_counters_are_validated():
    c = _tiny()
    c["synops"] = np.zeros(2)
    with pytest.raises(HardwareError, match=r"unknown counter 'synops'; the counters are "):
        energy_report(c, "loihi")
    c = _tiny()
    del c["max_hops"]
    with pytest.raises(HardwareError, match=r"missing counter 'max_hops'"):
        energy_report(c, "loihi")
    c = _tiny()
    c["spikes"] = np.zeros(3)
    with pytest.raises(HardwareError, match=r"one length \(one entry per chip\)"):
        energy_report(c, "loihi")
    c = _tiny()
    c["packets"] = np.array([-1, 0])
    with pytest.raises(HardwareError, match=r"packets has a negative"):
        latency_report(c, "loihi")
    with pytest.raises(HardwareError, match=r"steps 0 and dt_ms 0.1 must be positive"):
        energy_report(empty_counters(1, 0), "loihi")
    assert set(empty_counters(3, 4)) == set(COUNTERS)
