"""Energy and latency of a run on a chip profile, from counters per chip and per link.

Counters (a dict of numpy arrays and scalars; ``empty_counters`` makes a zeroed set).  Per
chip arrays have one entry per chip of the fabric (idle chips included), per link arrays one
entry per directed link in ``Fabric.links`` order:

    synaptic_ops            chip    events    synaptic events: one per synapse a spike reaches
                                              (counted on the chip of the target neuron)
    neuron_updates_active   chip    updates   neuron updates of neurons that received
                                              synaptic or external input in that step
    neuron_updates_idle     chip    updates   the other neuron updates (neurons x steps -
                                              active): hardware updates every neuron each step
    spikes                  chip    spikes    spikes emitted by the chip's neurons
    noc_hops_x, noc_hops_y  chip    hops      on-chip tile hops of spike messages between the
                                              chip's cores, along x and y (fabric.tile_hops)
    packets                 chip    packets   spike packets handled by the chip's router:
                                              injected, forwarded or delivered (a packet over
                                              h links passes h + 1 routers)
    link_packets            link    packets   packets crossing each chip-to-chip link
    cores_active            chip    cores     cores holding neurons (from the mapping)
    steps                   scalar  steps     simulated steps
    dt_ms                   scalar  ms        model time per step
    max_hops                scalar  links     the longest chip-to-chip route a packet took

Energy (J) = sum of the terms below, each counter x the profile's ``energy`` constant:

    synaptic_op             synaptic_ops x energy.synaptic_op
    neuron_update_active    neuron_updates_active x energy.neuron_update_active
    neuron_update_idle      neuron_updates_idle x energy.neuron_update_idle
    spike                   spikes x energy.spike
    noc_hop_x, noc_hop_y    noc_hops_x, noc_hops_y x energy.noc_hop_x, noc_hop_y
    router_packet           packets x energy.router_packet
    link_hop                link_packets x energy.link_hop
    static                  chips x hardware time x energy.static_power_per_chip
    active_core             cores_active x hardware time x energy.active_core_power

Hardware time = model time / latency.speedup (an accelerated chip such as BrainScaleS-2), or
model time (real time) when the profile has no speedup; ``hardware_time_s`` overrides it.  A
term whose constant is unknown and whose counter is not zero is reported as unknown (None),
never as zero, and so are the totals that include it (``known_J`` is then a lower bound).  A
constant marked "included" (e.g. everything besides TrueNorth's all-in 26 pJ per synaptic
event) or "not_applicable" adds nothing.

Latency per step = compute + fabric + sync, where compute is the busiest chip's
(synaptic_ops x latency.synaptic_op + updates x latency.neuron_update_* + spikes x
latency.spike) / (steps x its active cores), its cores working in parallel; fabric is
max_hops x latency.link_hop; sync is latency.sync_system on several chips, else sync_chip.
A profile with a fixed tick (latency.timestep, e.g. SpiNNaker's 1 ms) takes one tick per
step instead.
"""

import numpy as np

from distsim.errors import HardwareError

from .profiles import load_profile

COUNTERS = {
    "synaptic_ops": "chip",
    "neuron_updates_active": "chip",
    "neuron_updates_idle": "chip",
    "spikes": "chip",
    "noc_hops_x": "chip",
    "noc_hops_y": "chip",
    "packets": "chip",
    "link_packets": "link",
    "cores_active": "chip",
    "steps": "scalar",
    "dt_ms": "scalar",
    "max_hops": "scalar",
}
# term -> (counter, profile constant, unit of the count); "static" and "active_core" are
# powers x hardware time ("static" counts every chip)
TERMS = {
    "synaptic_op": ("synaptic_ops", "synaptic_op", "events"),
    "neuron_update_active": ("neuron_updates_active", "neuron_update_active", "updates"),
    "neuron_update_idle": ("neuron_updates_idle", "neuron_update_idle", "updates"),
    "spike": ("spikes", "spike", "spikes"),
    "noc_hop_x": ("noc_hops_x", "noc_hop_x", "hops"),
    "noc_hop_y": ("noc_hops_y", "noc_hop_y", "hops"),
    "router_packet": ("packets", "router_packet", "packets"),
    "link_hop": ("link_packets", "link_hop", "packets"),
    "static": (None, "static_power_per_chip", "chip-seconds"),
    "active_core": ("cores_active", "active_core_power", "core-seconds"),
}
COMPUTE_TERMS = ("synaptic_op", "neuron_update_active", "neuron_update_idle", "spike")


def empty_counters(n_chips, n_links):
    """A zeroed counter set for ``n_chips`` chips and ``n_links`` links (steps 0, dt 0.1)."""
    out = {
        k: np.zeros(n_chips if kind == "chip" else n_links, np.int64)
        for k, kind in COUNTERS.items()
        if kind != "scalar"
    }
    out.update(steps=0, dt_ms=0.1, max_hops=0)
    return out


def check_counters(counters):
    """The counters as float arrays, validated (keys, shapes, signs)."""
    unknown = sorted(set(counters) - set(COUNTERS))
    missing = [k for k in COUNTERS if k not in counters]
    if unknown or missing:
        what = f"unknown counter {unknown[0]!r}" if unknown else f"missing counter {missing[0]!r}"
        raise HardwareError(
            f"energy counters: {what}; the counters are {', '.join(COUNTERS)} "
            f"(see the docstring of distsim.hardware.energy)"
        )
    out = {k: np.asarray(v, dtype=float) for k, v in counters.items()}
    n_chips = {out[k].shape for k, kind in COUNTERS.items() if kind == "chip"}
    if len(n_chips) != 1 or len(next(iter(n_chips))) != 1 or next(iter(n_chips))[0] < 1:
        raise HardwareError(
            f"energy counters: per-chip counters must be 1-d arrays of one "
            f"length (one entry per chip), got shapes {sorted(n_chips)}"
        )
    for k, kind in COUNTERS.items():
        if (kind == "scalar") != (out[k].ndim == 0) or (kind == "link" and out[k].ndim != 1):
            raise HardwareError(
                f"energy counters: {k} must be {'a number' if kind == 'scalar' else 'a 1-d array'}"
            )
        if np.any(out[k] < 0) or not np.all(np.isfinite(out[k])):
            raise HardwareError(f"energy counters: {k} has a negative or non-finite value")
    if out["steps"] <= 0 or out["dt_ms"] <= 0:
        raise HardwareError(
            f"energy counters: steps {counters['steps']!r} and dt_ms "
            f"{counters['dt_ms']!r} must be positive (a run that advanced)"
        )
    return out


def energy_report(counters, profile, window_ms=None, hardware_time_s=None):
    """Energy by term and in total, per synaptic event, per spike, per inference window of
    ``window_ms`` (default: the whole run) and per chip (link energy excluded); see the
    module docstring."""
    prof = load_profile(profile)
    c = check_counters(counters)
    model_ms = float(c["steps"] * c["dt_ms"])
    speedup = prof.latency["speedup"]
    assumptions = []
    if hardware_time_s is None:
        hardware_time_s = model_ms / 1000.0 / (speedup.value if speedup.known else 1.0)
        powered = (
            prof.energy["static_power_per_chip"].known or prof.energy["active_core_power"].known
        )
        if powered and not speedup.known:
            assumptions.append("static power over model time: the chips run in real time")
    n_chips = c["synaptic_ops"].size
    terms, per_chip = {}, np.zeros(n_chips)
    chip_known = True
    for term, (counter, key, unit) in TERMS.items():
        const = prof.energy[key]
        on_chips = counter is None or COUNTERS[counter] == "chip"
        if counter is None:
            count = np.full(n_chips, hardware_time_s)
        elif key.endswith("_power"):
            count = c[counter] * hardware_time_s
        else:
            count = c[counter]
        total = float(count.sum())
        entry = {
            "count": total,
            "unit": unit,
            "constant": const.value,
            "constant_unit": const.unit,
            "status": const.status,
            "scope": const.scope,
            "note": const.note,
        }
        if const.known:
            entry["energy_J"] = total * const.si
            if on_chips:
                per_chip += count * const.si
        elif const.status == "unknown" and total > 0:
            entry["energy_J"] = None
            chip_known = chip_known and not on_chips
        else:
            entry["energy_J"] = 0.0
            if const.status == "unknown":
                entry["status"] = "no events"
        terms[term] = entry
    unknown = [t for t, e in terms.items() if e["energy_J"] is None]
    known = float(sum(e["energy_J"] for e in terms.values() if e["energy_J"] is not None))
    total = None if unknown else known
    window_ms = model_ms if window_ms is None else float(window_ms)
    syn, spikes = float(c["synaptic_ops"].sum()), float(c["spikes"].sum())

    def per(n):
        return None if total is None or n == 0 else total / n

    out = {
        "profile": prof.name,
        "title": prof.title,
        "scope": "all_in" if prof.all_in else "per_term",
        "model_time_ms": model_ms,
        "hardware_time_s": hardware_time_s,
        "window_ms": window_ms,
        "terms": terms,
        "unknown_terms": unknown,
        "total_J": total,
        "known_J": known,
        "per_synaptic_event_J": per(syn),
        "per_spike_J": per(spikes),
        "per_window_J": None if total is None else total * window_ms / model_ms,
        "per_chip_J": per_chip.tolist() if chip_known else None,
        "assumptions": assumptions,
    }
    if prof.all_in:
        out["assumptions"].append(
            f"{prof.all_in.name} is an all-in figure ({prof.all_in.note}); nothing is added "
            f"on top of it"
        )
    return out


def latency_report(counters, profile, window_ms=None):
    """Latency per step and per inference window of ``window_ms`` (default: the whole run),
    and busy time by term; see the module docstring."""
    prof = load_profile(profile)
    c = check_counters(counters)
    steps = float(c["steps"])
    model_ms = steps * float(c["dt_ms"])
    lat = prof.latency
    busy = np.zeros(c["synaptic_ops"].size)
    terms, compute_known = {}, True
    for term in COMPUTE_TERMS:
        counter, key, _ = TERMS[term]
        count = c[counter]
        time = _times(count.sum(), lat[key])
        if lat[key].known:
            busy += count * lat[key].si
        compute_known = compute_known and time is not None
        terms[term] = {"time_s": time, "status": lat[key].status, "note": lat[key].note}
    compute = (
        float((busy / (steps * np.maximum(c["cores_active"], 1))).max()) if compute_known else None
    )
    fabric = _times(c["max_hops"], lat["link_hop"])
    several = np.count_nonzero(c["cores_active"]) > 1
    sync = _times(1.0, lat["sync_system" if several else "sync_chip"])
    parts = (compute, fabric, sync)
    step = None if any(p is None for p in parts) else sum(parts)
    tick = lat["timestep"]
    if tick.known:
        step = tick.si
    window_ms = model_ms if window_ms is None else float(window_ms)
    return {
        "profile": prof.name,
        "terms": terms,
        "compute_per_step_s": compute,
        "fabric_per_step_s": fabric,
        "sync_per_step_s": sync,
        "tick_s": tick.si,
        "step_s": step,
        "window_ms": window_ms,
        "per_window_s": None if step is None else step * steps * window_ms / model_ms,
    }


def _times(count, const):
    """count x a latency constant (s); 0 when there is nothing to count or the constant is
    included or not applicable; None when it is unknown."""
    if const.known:
        return float(count) * const.si
    return None if (const.status == "unknown" and count > 0) else 0.0


def report(counters, profile, window_ms=None, hardware_time_s=None):
    """``{"energy": energy_report(...), "latency": latency_report(...)}``."""
    return {
        "energy": energy_report(counters, profile, window_ms, hardware_time_s),
        "latency": latency_report(counters, profile, window_ms),
    }
