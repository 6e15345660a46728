#!/usr/bin/env python3
"""Generate single-neuron NEST reference traces for distsim's tests.

Run with the separate NEST virtualenv (NEST is *not* a distsim dependency)::

    /work/nestenv/bin/python scripts/nest_reference.py [--out tests/data/nest_single_neuron.json]

Every case is simulated in a fresh kernel (``nest.ResetKernel()``) with
``resolution=0.1``, ``rng_seed=1`` and ``local_num_threads=1``.  A single
neuron receives input from fixed ``spike_generator`` trains (``static_synapse``
with explicit weights and delays) and/or a ``dc_generator``; ``V_m`` (plus
``U_m`` for izhikevich and ``I_syn_ex``/``I_syn_in`` for iaf_psc_exp/alpha) is
recorded by a ``multimeter`` with ``interval=0.1`` and the neuron's spikes by a
``spike_recorder``.

Output format (``tests/data/nest_single_neuron.json``)
------------------------------------------------------
Top level: ``generator``, ``nest_version``, ``dt`` and ``cases``.  Each case has
``name``, ``model``, ``t_sim``, ``params`` (exactly the dict passed to
``nest.Create(model, params=...)``, NEST names), ``inputs`` (one entry per
spike_generator: ``spike_times``/``weight``/``delay``), ``dc`` (one entry per
dc_generator: ``amplitude``/``start``/``stop``/``delay``; empty list if none),
``record`` (``times`` plus one list per recordable), ``spike_times`` and
``nest_defaults`` (``nest.GetDefaults(model)`` restricted to bool/int/float
entries; non-finite floats such as ``V_min = -inf`` are written as the strings
``"inf"``/``"-inf"``/``"nan"`` so that the file is strict JSON).

Times are written exactly as NEST reports them, i.e. ``step * 0.1`` in double
precision (e.g. ``6.1000000000000005``); convert with ``round(t / dt)``.

NEST 3.10 timing semantics (verified on every run by ``check_timing_semantics``;
the script aborts if any of them does not hold).  "Recorded time t" means the
multimeter sample whose ``times`` entry is t; it holds the state *after* the
update of the step (t - dt, t].

1. Spike input.  A ``spike_generator`` spike at time t (on the grid) sent
   through a connection with delay d first changes ``V_m`` of ``iaf_psc_delta``
   at recorded time **t + d**: the sample at t + d - dt is unchanged and the
   sample at t + d already contains the full jump of ``weight`` mV
   (checked for d = 0.1, 1.0 and 2.3 ms; e.g. t = 10.0, d = 1.0: the neuron at
   rest at -70 mV reads -69.0 at recorded time 11.0).  For iaf_psc_exp and
   iaf_psc_alpha the same input first changes ``I_syn_*`` at recorded time
   t + d (the current jumps by ``weight`` pA for psc_exp, the alpha current is
   still 0 at t + d and non-zero from t + d + dt) and ``V_m`` from t + d + dt.
2. DC input.  A ``dc_generator`` with ``start`` s, ``stop`` e connected with
   delay d acts on the neuron during the steps (s + d, e + d]: ``V_m`` of
   iaf_psc_delta first deviates from rest at recorded time **s + d + dt** (the
   first step whose integration includes the current) and the current is last
   integrated in the step ending at recorded time **e + d**; from
   e + d + dt on the membrane relaxes again.  E.g. s = 5, e = 15, d = 1: first
   change at 6.1, V_m maximal at 16.0, decaying from 16.1.  (Equivalently: the
   generator output "amplitude during (s, e]" is delayed by d.)
3. Multimeter.  With ``interval = 0.1`` and default ``start = 0`` the first
   recorded time is **0.1** (= dt, the state after the first update; the initial
   state at t = 0 is *not* recorded, e.g. with V_m(0) = -62, E_L = -70,
   tau_m = 10, I_e = 0 the first sample is -70 + 8 exp(-0.01)).  Samples are on
   the grid dt, 2 dt, ..., but NEST delivers the samples of the last min_delay
   interval of a ``Simulate(T)`` call only during the next call, i.e. after
   ``Simulate(T)`` the last sample is T - min_delay.  To obtain the complete
   window (0, t_sim] this script simulates ``t_sim + PAD_MS`` and truncates
   the samples and spikes to times <= t_sim (the dynamics are causal, so the
   extra time does not influence the stored data).

Further observations (asserted for every generated iaf case by
``check_refractory_clamp``): a spike reported by the spike_recorder at time s
has its reset already visible in the sample at recorded time s
(``V_m == V_reset``), and ``V_m`` stays exactly ``V_reset`` for the samples
s, s + dt, ..., s + t_ref (t_ref / dt + 1 samples); free evolution resumes in
the sample s + t_ref + dt.  Spike times are on the grid (multiples of dt).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import nest
import numpy as np

DT = 0.1
T_SIM = 300.0
PAD_MS = 3.0  # > every delay / min_delay used below; see docstring item 3
GENERATOR = "scripts/nest_reference.py"


def _quiet() -> None:
    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:  # pragma: no cover - older NEST
        nest.set_verbosity("M_ERROR")


def _reset() -> None:
    nest.ResetKernel()
    nest.set(resolution=DT, rng_seed=1, local_num_threads=1, print_time=False)


def _jsonable_defaults(model: str) -> dict:
    out = {}
    for key, val in sorted(nest.GetDefaults(model).items()):
        if isinstance(val, (bool, np.bool_)):
            out[key] = bool(val)
        elif isinstance(val, (int, np.integer)):
            out[key] = int(val)
        elif isinstance(val, (float, np.floating)):
            val = float(val)
            out[key] = val if math.isfinite(val) else repr(val)
    return out


def _steps(t: float) -> int:
    return int(round(t / DT))


def simulate_case(model, params, inputs, dc, record_from, t_sim=T_SIM):
    """Run one case; return (record dict, spike time list)."""
    _reset()
    neuron = nest.Create(model, params=params)
    for inp in inputs:
        gen = nest.Create("spike_generator", params={"spike_times": list(inp["spike_times"])})
        nest.Connect(
            gen,
            neuron,
            syn_spec={
                "synapse_model": "static_synapse",
                "weight": inp["weight"],
                "delay": inp["delay"],
            },
        )
    for d in dc:
        gen = nest.Create(
            "dc_generator",
            params={"amplitude": d["amplitude"], "start": d["start"], "stop": d["stop"]},
        )
        nest.Connect(
            gen,
            neuron,
            syn_spec={"synapse_model": "static_synapse", "weight": 1.0, "delay": d["delay"]},
        )
    mm = nest.Create("multimeter", params={"interval": DT, "record_from": list(record_from)})
    nest.Connect(mm, neuron)
    sr = nest.Create("spike_recorder")
    nest.Connect(neuron, sr)
    nest.Simulate(t_sim + PAD_MS)

    ev = mm.get("events")
    times = np.asarray(ev["times"], dtype=float)
    keep = np.array([_steps(t) <= _steps(t_sim) for t in times], dtype=bool)
    order = np.argsort(times[keep], kind="stable")
    record = {"times": times[keep][order].tolist()}
    for name in record_from:
        record[name] = np.asarray(ev[name], dtype=float)[keep][order].tolist()
    steps = [_steps(t) for t in record["times"]]
    if steps != list(range(1, _steps(t_sim) + 1)):
        raise RuntimeError(f"{model}: multimeter samples are not exactly dt..t_sim")
    spikes = sorted(
        float(t) for t in sr.get("events")["times"] if _steps(float(t)) <= _steps(t_sim)
    )
    return record, spikes


# --------------------------------------------------------------------------
# timing-semantics probes (documented in the module docstring)
# --------------------------------------------------------------------------
def _idx(record, t):
    return _steps(t) - 1  # sample k holds recorded time (k + 1) * dt


def check_timing_semantics() -> list[str]:
    findings = []
    rest = {"I_e": 0.0}  # iaf_psc_delta at rest at E_L = -70 mV
    # (3) first recorded time, and that sample k is the state after step k+1
    rec, _ = simulate_case("iaf_psc_delta", {"V_m": -62.0, "I_e": 0.0}, [], [], ["V_m"], t_sim=20.0)
    assert _steps(rec["times"][0]) == 1, rec["times"][:3]
    expected = -70.0 + 8.0 * math.exp(-DT / 10.0)
    assert abs(rec["V_m"][0] - expected) < 1e-12, (rec["V_m"][0], expected)
    findings.append(
        f"multimeter first recorded time = {rec['times'][0]!r} (state after first step)"
    )

    # (1) spike input with delay d first changes V_m at t + d
    for d in (0.1, 1.0, 2.3):
        t_sp = 10.0
        rec, _ = simulate_case(
            "iaf_psc_delta",
            rest,
            [{"spike_times": [t_sp], "weight": 1.0, "delay": d}],
            [],
            ["V_m"],
            t_sim=20.0,
        )
        v = rec["V_m"]
        first = next(k for k, x in enumerate(v) if x != -70.0)
        assert _steps(rec["times"][first]) == _steps(t_sp + d), (d, rec["times"][first])
        assert abs(v[first] - (-69.0)) < 1e-12
        findings.append(
            f"spike at {t_sp} delay {d}: first V_m change at recorded time {rec['times'][first]!r}"
        )
    # same probe for the current-based models: I_syn changes at t + d, V_m at t + d + dt
    for model in ("iaf_psc_exp", "iaf_psc_alpha"):
        rec, _ = simulate_case(
            model,
            rest,
            [{"spike_times": [10.0], "weight": 100.0, "delay": 1.0}],
            [],
            ["V_m", "I_syn_ex"],
            t_sim=20.0,
        )
        k_i = next(k for k, x in enumerate(rec["I_syn_ex"]) if x != 0.0)
        k_v = next(k for k, x in enumerate(rec["V_m"]) if x != -70.0)
        exp_i = 110 if model == "iaf_psc_exp" else 111
        assert (k_i + 1, k_v + 1) == (exp_i, 111), (model, k_i + 1, k_v + 1)
        if model == "iaf_psc_exp":
            assert rec["I_syn_ex"][k_i] == 100.0
        findings.append(
            f"{model}: spike at 10.0 delay 1.0: I_syn_ex first nonzero at "
            f"{rec['times'][k_i]!r}, V_m first changes at {rec['times'][k_v]!r}"
        )

    # (2) DC window
    s, e, d = 5.0, 15.0, 1.0
    rec, _ = simulate_case(
        "iaf_psc_delta",
        rest,
        [],
        [{"amplitude": 100.0, "start": s, "stop": e, "delay": d}],
        ["V_m"],
        t_sim=30.0,
    )
    v = rec["V_m"]
    first = next(k for k, x in enumerate(v) if x != -70.0)
    assert _steps(rec["times"][first]) == _steps(s + d + DT)
    diffs = [v[k + 1] - v[k] for k in range(len(v) - 1)]
    last_up = max(k + 1 for k, x in enumerate(diffs) if x > 0)  # index of last rising sample
    assert _steps(rec["times"][last_up]) == _steps(e + d)
    assert diffs[last_up] < 0  # decays from e + d + dt
    findings.append(
        f"dc start {s} stop {e} delay {d}: first V_m change at {rec['times'][first]!r}, "
        f"last step with current ends at {rec['times'][last_up]!r}"
    )
    return findings


def check_refractory_clamp(case, record, spikes):
    """Assert the V_m == V_reset clamp described in the module docstring."""
    params = case["params"]
    if case["model"] == "izhikevich":
        return
    t_ref = params.get("t_ref", nest.GetDefaults(case["model"], "t_ref"))
    n_ref = _steps(t_ref)
    v = record["V_m"]
    for t in spikes:
        s = _steps(t)
        if s + n_ref + 1 > len(v):
            continue
        window = v[s - 1 : s + n_ref]  # samples at recorded steps s .. s + n_ref
        assert all(x == params["V_reset"] for x in window), (case["name"], t)
        assert v[s + n_ref] != params["V_reset"], (case["name"], t)


# --------------------------------------------------------------------------
# case definitions
# --------------------------------------------------------------------------
def _grid(values):
    return [round(float(x), 1) for x in values]


# Input trains (ms, on the 0.1 ms grid, all > 0).
REGULAR = _grid(np.arange(10.0, 300.0, 10.0))  # every 10 ms
IRREGULAR = _grid(
    [
        5.3,
        17.8,
        17.9,
        42.1,
        42.2,
        63.7,
        88.8,
        120.4,
        120.5,
        120.6,
        155.5,
        201.7,
        233.3,
        250.0,
        287.9,
    ]
)
INHIB = _grid([15.0, 37.3, 60.0, 95.5, 150.2, 151.0, 210.0, 270.1, 295.5])
SAME_STEP = _grid([20.0, 50.0, 130.0, 220.0])  # coincides with REGULAR (same delay -> same step)
DENSE = _grid(np.arange(100.0, 180.0, 0.7))  # every 0.7 ms: lands inside refractory periods
DC_SPIKE = _grid([20.0, 120.0, 250.0])

# weight scales per model: (exc, inh, same-step exc, dense exc)
WEIGHTS = {
    "iaf_psc_delta": (1.5, -2.0, 1.0, 0.5),  # mV
    "iaf_psc_exp": (300.0, -400.0, 200.0, 100.0),  # pA
    "iaf_psc_alpha": (300.0, -400.0, 200.0, 100.0),  # pA
    "izhikevich": (5.0, -5.0, 3.0, 1.0),  # mV
}


def spike_inputs(model):
    w_ex, w_in, w_same, w_dense = WEIGHTS[model]
    return [
        {"spike_times": REGULAR, "weight": w_ex, "delay": 1.0},
        {"spike_times": IRREGULAR, "weight": w_ex, "delay": 0.1},
        {"spike_times": INHIB, "weight": w_in, "delay": 2.3},
        {"spike_times": SAME_STEP, "weight": w_same, "delay": 1.0},
        {"spike_times": DENSE, "weight": w_dense, "delay": 1.0},
    ]


def dc_inputs(model):
    amp = 15.0 if model == "izhikevich" else 500.0
    return [{"amplitude": amp, "start": 50.0, "stop": 200.0, "delay": 1.0}]


def dc_spike_input(model):
    return [{"spike_times": DC_SPIKE, "weight": WEIGHTS[model][0], "delay": 1.0}]


IAF_BASE = {"C_m": 200.0, "t_ref": 3.0, "V_reset": -65.0, "V_m": -62.0}


def build_cases(has_refractory_input: bool):
    cases = []

    def add(name, model, params, inputs, dc):
        cases.append({"name": name, "model": model, "params": params, "inputs": inputs, "dc": dc})

    # iaf_psc_delta (weights in mV)
    add(
        "iaf_psc_delta_spikes",
        "iaf_psc_delta",
        {**IAF_BASE, "I_e": 400.0},
        spike_inputs("iaf_psc_delta"),
        [],
    )
    add(
        "iaf_psc_delta_dc",
        "iaf_psc_delta",
        {**IAF_BASE, "I_e": 0.0},
        dc_spike_input("iaf_psc_delta"),
        dc_inputs("iaf_psc_delta"),
    )
    if has_refractory_input:
        add(
            "iaf_psc_delta_refractory_input",
            "iaf_psc_delta",
            {**IAF_BASE, "I_e": 400.0, "refractory_input": True},
            spike_inputs("iaf_psc_delta"),
            [],
        )

    # iaf_psc_exp (weights in pA)
    exp_p = {**IAF_BASE, "tau_syn_ex": 1.5, "tau_syn_in": 3.0}
    add(
        "iaf_psc_exp_spikes",
        "iaf_psc_exp",
        {**exp_p, "I_e": 400.0},
        spike_inputs("iaf_psc_exp"),
        [],
    )
    add(
        "iaf_psc_exp_dc",
        "iaf_psc_exp",
        {**exp_p, "I_e": 0.0},
        dc_spike_input("iaf_psc_exp"),
        dc_inputs("iaf_psc_exp"),
    )
    # singular propagator: tau_syn_ex == tau_m (tau_syn_in differs)
    add(
        "iaf_psc_exp_singular",
        "iaf_psc_exp",
        {**IAF_BASE, "tau_m": 10.0, "tau_syn_ex": 10.0, "tau_syn_in": 3.0, "I_e": 400.0},
        spike_inputs("iaf_psc_exp"),
        [],
    )

    # iaf_psc_alpha (weights in pA)
    add(
        "iaf_psc_alpha_spikes",
        "iaf_psc_alpha",
        {**exp_p, "I_e": 400.0},
        spike_inputs("iaf_psc_alpha"),
        [],
    )
    add(
        "iaf_psc_alpha_dc",
        "iaf_psc_alpha",
        {**exp_p, "I_e": 0.0},
        dc_spike_input("iaf_psc_alpha"),
        dc_inputs("iaf_psc_alpha"),
    )

    # izhikevich (weights in mV, currents in "pA" of the dimensionless model)
    izh = {"V_m": -62.0, "U_m": -12.0, "d": 6.0}
    add("izhikevich_spikes", "izhikevich", {**izh, "I_e": 10.0}, spike_inputs("izhikevich"), [])
    add(
        "izhikevich_dc",
        "izhikevich",
        {**izh, "I_e": 0.0},
        dc_spike_input("izhikevich"),
        dc_inputs("izhikevich"),
    )
    add(
        "izhikevich_spikes_inconsistent",
        "izhikevich",
        {**izh, "I_e": 10.0, "consistent_integration": False},
        spike_inputs("izhikevich"),
        [],
    )
    return cases


def record_from_for(model):
    recordables = [str(r) for r in nest.GetDefaults(model, "recordables")]
    wanted = {
        "izhikevich": ["V_m", "U_m"],
        "iaf_psc_exp": ["V_m", "I_syn_ex", "I_syn_in"],
        "iaf_psc_alpha": ["V_m", "I_syn_ex", "I_syn_in"],
    }.get(model, ["V_m"])
    return [r for r in wanted if r in recordables]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument(
        "--out", default=os.path.join(here, "..", "tests", "data", "nest_single_neuron.json")
    )
    args = ap.parse_args(argv)
    _quiet()

    findings = check_timing_semantics()
    for f in findings:
        print("verified:", f, file=sys.stderr)

    has_ref_in = "refractory_input" in nest.GetDefaults("iaf_psc_delta")
    out_cases = []
    for case in build_cases(has_ref_in):
        model = case["model"]
        rec_from = record_from_for(model)
        record, spikes = simulate_case(model, case["params"], case["inputs"], case["dc"], rec_from)
        check_refractory_clamp(case, record, spikes)
        out_cases.append(
            {
                "name": case["name"],
                "model": model,
                "t_sim": T_SIM,
                "params": case["params"],
                "inputs": case["inputs"],
                "dc": case["dc"],
                "record": record,
                "spike_times": spikes,
                "nest_defaults": _jsonable_defaults(model),
            }
        )
        print(f"{case['name']}: {len(spikes)} spikes", file=sys.stderr)

    doc = {"generator": GENERATOR, "nest_version": nest.__version__, "dt": DT, "cases": out_cases}
    out = os.path.normpath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as fh:
        json.dump(doc, fh, allow_nan=False, separators=(",", ":"))
        fh.write("\n")
    print(f"wrote {out} ({os.path.getsize(out)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
