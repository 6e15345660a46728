#!/usr/bin/env python3
"""Generate single-neuron NEST reference traces for distsim's tests.

Run with the separate NEST virtualenv (NEST is *not* a distsim dependency)::

    /work/nestenv/bin/python scripts/nest_reference.py [--out tests/data/nest_single_neuron.json]
    /work/nestenv/bin/python scripts/nest_reference.py --set conductance \
        [--out tests/data/nest_conductance_neurons.json]
    /work/nestenv/bin/python scripts/nest_reference.py --set short_term \
        [--out tests/data/nest_short_term.json]

``--set single`` (the default) writes the current-based cases described first;
``--set conductance`` writes the conductance-based and adaptive cases described
in the section "Conductance set", in the same format and with the same timing
conventions; ``--set short_term`` writes the short-term plasticity synapse cases
of the section "Short-term plasticity set" at the end (own per-case format, same
kernel settings, top-level fields and recording conventions).

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

Conductance set (``--set conductance``, ``tests/data/nest_conductance_neurons.json``)
-------------------------------------------------------------------------------------
Models and recordables (names as in ``nest.GetDefaults(model)["recordables"]``):
iaf_cond_exp, iaf_cond_alpha: ``V_m``, ``g_ex``, ``g_in``; aeif_cond_exp,
aeif_cond_alpha: ``V_m``, ``g_ex``, ``g_in``, ``w``; aeif_psc_exp: ``V_m``,
``I_syn_ex``, ``I_syn_in``, ``w``; hh_psc_alpha: ``V_m``, ``I_syn_ex``,
``I_syn_in``, ``Act_m``, ``Inact_h``, ``Act_n``.  Same per-case format as above;
``t_sim`` differs per case (``COND_T_SIM`` = 200 ms, the bursting cases 300 ms,
the multi-spike case 30 ms).  Synaptic weights are nS for the ``*_cond_*``
models and pA for the ``*_psc_*`` models; a negative weight is inhibitory (NEST
routes it to ``g_in``/``I_syn_in`` with its magnitude).  Note the signs NEST
records: ``g_in`` and the ``I_syn_in`` of aeif_psc_exp are >= 0, the
``I_syn_in`` of hh_psc_alpha is <= 0.

Cases per model (``build_conductance_cases``): ``<model>_dc_steps`` (two
dc_generator pulses, a sub-threshold one at 20-70 ms and a supra-threshold one
at 100-180 ms that makes the neuron fire repetitively), ``<model>_spikes``
(excitatory/inhibitory spike_generator trains with bursts and pauses; some
excitatory bursts fire the neuron; several pairs of spikes arrive in the same
step, from two generators or as an excitatory and an inhibitory spike),
``<model>_near_above``/``<model>_near_below`` (``I_e`` 0.5 % above/below the
rheobase, found on every run by bisection with NEST: the smallest constant
``I_e`` (from t = 0, neuron at its default initial state) that produces a spike
within the case's ``t_sim``; the rheobase itself is ``I_e / 1.005`` of the
"above" case up to the 3-decimal rounding), ``<model>_nondefault``
(non-default E_L, C_m, tau_syn_*, ... including ``t_ref = 0`` for aeif, plus a
non-default initial ``V_m`` (and ``w`` for aeif), driven by spikes and
``I_e``).  aeif_cond_exp and aeif_cond_alpha additionally have ``_bursting``
(the "regular bursting" parameters of Naud et al. 2008, see ``NAUD_BURSTING``)
and ``_delta_t0`` (``Delta_T = 0``, the integrate-and-fire limit: NEST then uses
``V_th`` as the spike threshold instead of ``V_peak``; ``t_ref = 2`` so that the
refractory clamp of aeif is covered), and aeif_cond_exp an edge case
``aeif_cond_exp_multispike_step`` (see below).  Every run also checks the
integrate-and-fire limit (``check_iaf_limit``): aeif_cond_exp/alpha with
``Delta_T = a = b = 0`` spike in the same steps as iaf_cond_exp/alpha with the
same parameters, and their ``V_m`` traces agree to ~1e-5 mV.

Timing, verified on every conductance run by ``check_conductance_timing``
(baseline-subtracted, so it also holds for hh_psc_alpha, whose default initial
state is not exactly at rest): a spike at t with delay d makes ``g_ex``/``g_in``
(``I_syn_*``) of the exponential models jump by exactly ``|weight|`` at recorded
time t + d, those of the alpha models (iaf_cond_alpha, aeif_cond_alpha,
hh_psc_alpha) become non-zero at t + d + dt, and ``V_m`` first changes at
t + d + dt for all six models; dc_generator windows act as in item 2 (first
``V_m`` change at s + d + dt).  The refractory clamp described above
(``V_m == V_reset`` for t_ref / dt + 1 samples from the spike sample on) also
holds for iaf_cond_* and for aeif_* with ``t_ref > 0`` and is asserted for those
cases.  It does not apply to hh_psc_alpha (no reset; a spike is reported at
the first recorded time s with ``V_m(s) >= 0`` and ``V_m(s) < V_m(s - dt)``,
i.e. one step after the sampled peak of the action potential, also asserted;
``t_ref`` only suppresses further reports) nor to aeif with ``t_ref = 0``: NEST resets
``V_m`` to ``V_reset`` and adds ``b`` to ``w`` inside its adaptive RKF45 loop
and then goes on integrating the rest of the step, so the sample at the spike
time is no longer ``V_reset``, and a strong enough input can produce several
spikes in one step; the spike_recorder then reports the same time several
times (``aeif_cond_exp_multispike_step``: one 5000 nS excitatory spike).
NEST integrates all these models with GSL's adaptive RKF45 (aeif: tolerance
``gsl_error_tol`` = 1e-6; iaf_cond_*: a much coarser one, e.g. the free decay
of ``g_ex`` of iaf_cond_exp differs from the exact exponential by ~2e-5
relative), so the traces are only reproducible with a tolerance.

Short-term plasticity set (``--set short_term``, ``tests/data/nest_short_term.json``)
-------------------------------------------------------------------------------------
Reference for NEST's ``tsodyks2_synapse`` and ``tsodyks_synapse``.  Each case
has one or more ``spike_generator`` s, each connected one_to_one to its own
``parrot_neuron`` (``static_synapse``, weight 1, delay ``PARROT_DELAY`` = 1.0
ms); the parrots connect to ONE target ``iaf_psc_exp`` with
``STP_TARGET_PARAMS`` (``V_th`` = 1e9: it never fires, so its ``I_syn_ex``
/ ``I_syn_in`` show exactly what the synapses sent) through the case's synapse
model, all connections of a case in one ``nest.Connect`` call with arrays of
node IDs (a repeated source makes a multapse; NEST accepts it).  The
multimeter records ``I_syn_ex``, ``I_syn_in`` and ``V_m`` of the target
(interval 0.1, window (0, t_sim] as in item 3).

Per case: ``name``, ``synapse_model``, ``syn_spec`` (exactly the dict of
synapse parameters passed to Connect besides synapse_model/weight/delay; NEST
names; ``{}`` = the model's defaults), ``spike_trains`` (one list of
spike_generator times per generator; parrot ``i`` re-emits train ``i``
``parrot_delay`` later), ``connections`` (in the order of
``nest.GetConnections(target=target, synapse_model=model)``: ``source`` (parrot
index), ``weight`` (pA), ``delay`` (ms, the value passed to Connect; NEST
reports steps * dt, e.g. 2.3000000000000003) and ``state_after``: NEST's
``x``/``u`` (tsodyks2) or ``x``/``y``/``u`` (tsodyks) after the simulation,
i.e. after the last spike), ``parrot_delay``, ``target_model``,
``target_params``, ``t_sim``, ``record`` (``times``, ``I_syn_ex``,
``I_syn_in``, ``V_m``) and ``nest_defaults`` (``nest.GetDefaults(model)``,
int/float entries only).

What NEST 3.10 does (``send()`` of the two models, reimplemented in
``stp_release`` and asserted on every run to ~1e-16 of the largest current):
a generator spike at time s makes its parrot spike at t = s + parrot_delay;
passing the synapse, that spike is delivered with weight ``weight * f`` and
makes ``I_syn_ex`` (weight >= 0) or ``I_syn_in`` (weight < 0; recorded
negative) of the target jump by ``weight * f`` at recorded time t + delay
(the jump ``I(k) - exp(-dt / tau_syn) I(k - 1)`` equals it to rounding).
With h the time since the previous parrot spike of the same connection:

* tsodyks2_synapse: the first spike is sent with the initial ``f = x * u``
  (no update); each later one first updates ``x = 1 + (x - x u - 1)
  exp(-h / tau_rec)``, ``u = U + u (1 - U) exp(-h / tau_fac)`` (the exponential
  is 0 for ``tau_fac = 0``) and sends ``f = x * u``;
* tsodyks_synapse: ``t_lastspike`` starts at 0, so the first spike already
  propagates the initial state over h = its time (this matters when ``x + y <
  1``); with ``z = 1 - x - y``: ``u *= exp(-h / tau_fac)`` (0 for ``tau_fac =
  0``), ``x += Pxy y - Pzz z``, ``y *= exp(-h / tau_psc)``, then ``u += U (1 -
  u)``, ``f = u x``, ``x -= f``, ``y += f``, where ``Pzz = expm1(-h / tau_rec)``
  and ``Pxy = (Pzz tau_rec - (exp(-h / tau_psc) - 1) tau_psc) / (tau_psc -
  tau_rec)``.  ``tau_psc`` (3 ms here) only enters the synapse's own state;
  the target's current decays with its ``tau_syn`` (2 ms).

Every run asserts that the currents are exactly 0 before the first arrival and
non-zero (with the channel's sign) at every sample from the first arrival of a
channel to t_sim, that the jumps of the first burst decrease (depressing
cases) or increase (facilitating cases), and for the multapse case that the
two synapses of one source keep separate, identical states (their jumps have
the ratio of their weights at every spike); it prints the first-burst jumps and
the connections.  Cases (``build_short_term_cases``): tsodyks2 with defaults
(100 pA; the train has a 1 s pause), tsodyks2 facilitating (U = u = 0.1,
tau_rec 100, tau_fac 1000; 50 pA), tsodyks2 with initial x 0.7, u 0.3
(-80 pA, delay 2.3; its first spike is smaller than the second), tsodyks with
defaults (100 pA), tsodyks facilitating (Tsodyks et al. 2000: U 0.03,
tau_psc 3, tau_rec 130, tau_fac 530; 250 pA), tsodyks with initial x 0.9,
y 0.05, u 0.1, tau_fac 0 (-150 pA), and two sources converging through
tsodyks2 synapses, source 0 with two of them (30 pA delay 1.0 and 70 pA delay
3.0), source 1 with one (50 pA delay 1.5).  The trains contain 50 Hz bursts
of 8 spikes, 200 ms pauses, 20 Hz trains, single spikes, two spikes 0.1 ms
apart and 100 Hz bursts; the facilitating cases start with the 20 Hz train
(at 50 Hz the tsodyks2 case facilitates for 4 spikes only, then depresses).
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
    return _record_and_run(neuron, record_from, t_sim, model)


def _record_and_run(neuron, record_from, t_sim, label):
    """Attach a multimeter and a spike_recorder to ``neuron``, simulate and return the
    window (0, t_sim] as (record dict, spike time list); see docstring item 3."""
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
        raise RuntimeError(f"{label}: multimeter samples are not exactly dt..t_sim")
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


# models without a V_m == V_reset clamp after a spike (see module docstring)
NO_RESET_CLAMP = ("izhikevich", "hh_psc_alpha")


def check_refractory_clamp(case, record, spikes):
    """Assert the V_m == V_reset clamp described in the module docstring."""
    params = case["params"]
    if case["model"] in NO_RESET_CLAMP:
        return
    t_ref = params.get("t_ref", nest.GetDefaults(case["model"], "t_ref"))
    if t_ref == 0.0:
        return  # aeif with t_ref = 0 goes on integrating after the reset
    params = {"V_reset": nest.GetDefaults(case["model"], "V_reset"), **params}
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


# --------------------------------------------------------------------------
# conductance set (--set conductance): conductance-based and adaptive models
# --------------------------------------------------------------------------
COND_T_SIM = 200.0
COND_RECORD = {
    "iaf_cond_exp": ["V_m", "g_ex", "g_in"],
    "iaf_cond_alpha": ["V_m", "g_ex", "g_in"],
    "aeif_cond_exp": ["V_m", "g_ex", "g_in", "w"],
    "aeif_cond_alpha": ["V_m", "g_ex", "g_in", "w"],
    "aeif_psc_exp": ["V_m", "I_syn_ex", "I_syn_in", "w"],
    "hh_psc_alpha": ["V_m", "I_syn_ex", "I_syn_in", "Act_m", "Inact_h", "Act_n"],
}
COND_MODELS = tuple(COND_RECORD)

# Input trains for the conductance set (ms, on the 0.1 ms grid, all < COND_T_SIM).
COND_EXC_WEAK = _grid(
    [5.3, 12.0, 17.8, 17.9, 25.7, 31.4, 44.4, 52.0, 66.6, 71.3, 78.0, 110.2, 118.8]
    + [127.5, 135.0, 160.1, 171.7, 185.5, 193.3]
)
# three excitatory bursts separated by pauses
COND_EXC_BURSTS = _grid(
    list(np.arange(30.0, 35.0, 0.5))  # 10 spikes, 0.5 ms apart
    + list(np.arange(80.0, 90.0, 0.4))  # 25 spikes, 0.4 ms apart
    + list(np.arange(140.0, 143.0, 0.2))  # 15 spikes, 0.2 ms apart
)
# same times and delay as spikes of COND_EXC_BURSTS -> two spikes in the same step
COND_SAME_STEP = _grid([30.0, 31.5, 82.0, 86.0, 141.0])
# inhibitory (delay 2.0): bursts in the pauses and inside the excitatory bursts;
# 29.5 and 139.0 arrive in the same step as the excitatory 30.5 and 140.0 (delay 1.0)
COND_INHIB = _grid(
    [20.0, 20.5, 21.0, 29.5, 55.0, 56.0, 57.0, 58.0, 84.0, 84.3, 84.6, 120.0, 139.0]
    + [141.5, 175.0, 175.2]
)

# weight scales per model: (weak exc, burst exc, inh, same-step exc); nS or pA
COND_WEIGHTS = {
    "iaf_cond_exp": (10.0, 60.0, -40.0, 30.0),  # nS
    "iaf_cond_alpha": (10.0, 60.0, -40.0, 30.0),  # nS
    "aeif_cond_exp": (10.0, 100.0, -40.0, 50.0),  # nS
    "aeif_cond_alpha": (10.0, 60.0, -40.0, 30.0),  # nS
    "aeif_psc_exp": (1500.0, 10000.0, -4000.0, 5000.0),  # pA
    "hh_psc_alpha": (300.0, 1000.0, -400.0, 500.0),  # pA
}

# dc_steps: (sub-threshold, supra-threshold) amplitude in pA
COND_DC = {
    "iaf_cond_exp": (200.0, 500.0),
    "iaf_cond_alpha": (200.0, 500.0),
    "aeif_cond_exp": (400.0, 1000.0),
    "aeif_cond_alpha": (400.0, 1000.0),
    "aeif_psc_exp": (400.0, 1000.0),
    "hh_psc_alpha": (150.0, 800.0),
}
SUB_WINDOW = (20.0, 70.0)
SUPRA_WINDOW = (100.0, 180.0)

# non-default parameters (plus non-default initial V_m, and w for aeif), with
# spike inputs scaled by the factor given here (longer tau_syn -> more charge)
_IAF_COND_ND = {
    "C_m": 180.0,
    "g_L": 12.0,
    "E_L": -65.0,
    "V_th": -52.0,
    "V_reset": -63.0,
    "t_ref": 1.5,
    "E_ex": -5.0,
    "E_in": -80.0,
    "tau_syn_ex": 1.5,
    "tau_syn_in": 6.0,
    "I_e": 100.0,
    "V_m": -58.0,
}
_AEIF_ND = {
    "t_ref": 0.0,
    "C_m": 200.0,
    "g_L": 12.0,
    "E_L": -65.0,
    "V_th": -52.0,
    "V_reset": -55.0,
    "V_peak": -10.0,
    "Delta_T": 1.5,
    "a": 1.0,
    "b": 40.0,
    "tau_w": 80.0,
    "tau_syn_ex": 1.0,
    "tau_syn_in": 4.0,
    "I_e": 150.0,
    "V_m": -60.0,
    "w": 20.0,
}
COND_NONDEFAULT = {
    "iaf_cond_exp": (_IAF_COND_ND, 0.25),
    "iaf_cond_alpha": (_IAF_COND_ND, 0.25),
    "aeif_cond_exp": ({**_AEIF_ND, "E_ex": -5.0, "E_in": -80.0}, 0.25),
    "aeif_cond_alpha": ({**_AEIF_ND, "E_ex": -5.0, "E_in": -80.0}, 0.25),
    "aeif_psc_exp": (_AEIF_ND, 0.25),
    "hh_psc_alpha": (
        {
            "C_m": 120.0,
            "E_L": -56.0,
            "g_Na": 11000.0,
            "t_ref": 1.5,
            "tau_syn_ex": 0.5,
            "tau_syn_in": 1.5,
            "I_e": 50.0,
            "V_m": -60.0,
        },
        0.5,
    ),
}

# Naud R, Marcille N, Clopath C, Gerstner W (2008) Firing patterns in the
# adaptive exponential integrate-and-fire model. Biol Cybern 99:335-347,
# Table 1, "regular bursting" (step current I = 210 pA); V_peak (0 mV), t_ref (0)
# and the synaptic parameters stay at NEST's defaults, V_m starts at E_L.
NAUD_BURSTING = {
    "C_m": 200.0,
    "g_L": 10.0,
    "E_L": -58.0,
    "V_th": -50.0,
    "Delta_T": 2.0,
    "a": 2.0,
    "tau_w": 120.0,
    "b": 100.0,
    "V_reset": -46.0,
    "V_m": -58.0,
}
NAUD_CURRENT = 210.0
BURST_T_SIM = 300.0
MULTISPIKE_T_SIM = 30.0


def cond_spike_inputs(model, scale=1.0):
    w_weak, w_burst, w_in, w_same = (scale * w for w in COND_WEIGHTS[model])
    return [
        {"spike_times": COND_EXC_WEAK, "weight": w_weak, "delay": 1.0},
        {"spike_times": COND_EXC_BURSTS, "weight": w_burst, "delay": 1.0},
        {"spike_times": COND_SAME_STEP, "weight": w_same, "delay": 1.0},
        {"spike_times": COND_INHIB, "weight": w_in, "delay": 2.0},
    ]


def cond_dc_steps(model):
    sub, supra = COND_DC[model]
    return [
        {"amplitude": sub, "start": SUB_WINDOW[0], "stop": SUB_WINDOW[1], "delay": 1.0},
        {"amplitude": supra, "start": SUPRA_WINDOW[0], "stop": SUPRA_WINDOW[1], "delay": 1.0},
    ]


def find_rheobase(model, params, t_sim, lo=0.0, hi=2000.0, rel_tol=1e-6):
    """Smallest constant I_e (pA) that makes ``model`` spike within t_sim, by bisection."""

    def fires(i_e):
        return bool(simulate_case(model, {**params, "I_e": i_e}, [], [], ["V_m"], t_sim)[1])

    if fires(lo) or not fires(hi):
        raise RuntimeError(f"{model}: rheobase not in [{lo}, {hi}] pA")
    while hi - lo > rel_tol * hi:
        mid = 0.5 * (lo + hi)
        if fires(mid):
            hi = mid
        else:
            lo = mid
    return hi


def build_conductance_cases():
    """Cases of the conductance set; ``expect`` (not written) drives ``check_conductance_case``."""
    cases = []

    def add(name, model, params, inputs, dc, expect, t_sim=COND_T_SIM):
        cases.append(
            {
                "name": name,
                "model": model,
                "t_sim": t_sim,
                "params": params,
                "inputs": inputs,
                "dc": dc,
                "expect": expect,
            }
        )

    burst_windows = [(31.0, 40.0), (81.0, 95.0), (141.0, 150.0)]  # arrival + 5 ms
    for model in COND_MODELS:
        add(
            f"{model}_dc_steps",
            model,
            {},
            [],
            cond_dc_steps(model),
            {
                # sub-threshold pulse acts during (21, 71]: silent up to the supra pulse
                "silent": [(0.0, SUPRA_WINDOW[0] + 1.0), (SUPRA_WINDOW[1] + 5.0, COND_T_SIM)],
                "fires": [(SUPRA_WINDOW[0] + 1.0, SUPRA_WINDOW[1] + 5.0, 3)],
            },
        )
        add(
            f"{model}_spikes",
            model,
            {},
            cond_spike_inputs(model),
            [],
            {"fires_in_any": burst_windows, "min_spikes": 3},
        )
        rheo = find_rheobase(model, {}, COND_T_SIM)
        print(
            f"{model}: rheobase (I_e from t = 0, t_sim {COND_T_SIM}) {rheo!r} pA", file=sys.stderr
        )
        add(
            f"{model}_near_above",
            model,
            {"I_e": round(rheo * 1.005, 3)},
            [],
            [],
            {"min_spikes": 1},
        )
        add(
            f"{model}_near_below",
            model,
            {"I_e": round(rheo * 0.995, 3)},
            [],
            [],
            {"silent": [(0.0, COND_T_SIM)], "silent_long": 1000.0},
        )
        nd_params, nd_scale = COND_NONDEFAULT[model]
        add(
            f"{model}_nondefault",
            model,
            dict(nd_params),
            cond_spike_inputs(model, nd_scale),
            [],
            {"min_spikes": 3},
        )
        if model in ("aeif_cond_exp", "aeif_cond_alpha"):
            add(
                f"{model}_bursting",
                model,
                dict(NAUD_BURSTING),
                [],
                [{"amplitude": NAUD_CURRENT, "start": 20.0, "stop": BURST_T_SIM, "delay": 1.0}],
                {"bursts": 2},
                t_sim=BURST_T_SIM,
            )
            add(
                f"{model}_delta_t0",
                model,
                {"Delta_T": 0.0, "t_ref": 2.0},
                cond_spike_inputs(model),
                cond_dc_steps(model),
                {"min_spikes": 3, "below_V_th": True},
            )
    # edge case: with t_ref = 0 (aeif default) one huge conductance jump makes
    # NEST report several spikes in one step (see module docstring)
    add(
        "aeif_cond_exp_multispike_step",
        "aeif_cond_exp",
        {"t_ref": 0.0},
        [{"spike_times": [10.0], "weight": 5000.0, "delay": 1.0}],
        [],
        {"same_step_spikes": True},
        t_sim=MULTISPIKE_T_SIM,
    )
    return cases


def _bursts(spikes, gap=50.0):
    """Split a spike train into groups separated by ISIs > gap."""
    groups = []
    for t in spikes:
        if groups and t - groups[-1][-1] <= gap:
            groups[-1].append(t)
        else:
            groups.append([t])
    return groups


def check_conductance_case(case, record, spikes) -> str:
    """Assert the case's ``expect`` entries; return a one-line summary."""
    exp = case["expect"]
    name, model, params = case["name"], case["model"], case["params"]
    n = len(spikes)
    for a, b in exp.get("silent", []):
        bad = [t for t in spikes if a < t <= b]
        assert not bad, (name, "spikes in silent window", (a, b), bad)
    for a, b, k in exp.get("fires", []):
        got = [t for t in spikes if a < t <= b]
        assert len(got) >= k, (name, "too few spikes in", (a, b), got)
    if "fires_in_any" in exp:
        assert any(a < t <= b for t in spikes for a, b in exp["fires_in_any"]), (name, spikes)
    assert n >= exp.get("min_spikes", 0), (name, n)
    notes = []
    if "silent_long" in exp:
        t_long = exp["silent_long"]
        _, long_spikes = simulate_case(model, params, case["inputs"], case["dc"], ["V_m"], t_long)
        assert not long_spikes, (name, "fires within", t_long, long_spikes)
        notes.append(f"silent for {t_long:g} ms")
    if "bursts" in exp:
        groups = _bursts(spikes)
        assert len(groups) >= exp["bursts"] and all(len(g) >= 2 for g in groups), (name, groups)
        intra = [b - a for g in groups for a, b in zip(g, g[1:])]
        assert max(intra) < 10.0, (name, groups)
        isis = [round(b - a, 1) for a, b in zip(spikes, spikes[1:])]
        notes.append(f"bursts {[len(g) for g in groups]}, ISIs {isis}")
    if exp.get("below_V_th"):
        v_th = params.get("V_th", nest.GetDefaults(model, "V_th"))
        assert max(record["V_m"]) < v_th, (name, max(record["V_m"]))
        notes.append(f"max V_m {max(record['V_m']):.3f} < V_th {v_th}")
    if model == "hh_psc_alpha":  # spike = first falling sample >= 0 mV (module docstring)
        v = record["V_m"]
        for t in spikes:
            k = _steps(t) - 1
            assert v[k] >= 0.0 and v[k] < v[k - 1], (name, t, v[k - 1 : k + 1])
    if exp.get("same_step_spikes"):
        steps = [_steps(t) for t in spikes]
        assert len(set(steps)) < len(steps), (name, spikes)
        notes.append(f"spike times {spikes}")
    return f"{name}: {n} spikes" + (f" ({'; '.join(notes)})" if notes else "")


def check_conductance_timing() -> list[str]:
    """Probe the input timing of the conductance-set models (module docstring)."""
    findings = []

    def first_change(rec, base, key):
        return next(k for k, (x, y) in enumerate(zip(rec[key], base[key])) if x != y)

    for model in COND_MODELS:
        rec_from = record_from_for(model)
        syn_ex, syn_in = rec_from[1], rec_from[2]
        weight = 10.0 if "_cond_" in model else 100.0
        base, _ = simulate_case(model, {}, [], [], rec_from, t_sim=20.0)
        alpha = model.endswith("_alpha")
        for sign, key in ((1.0, syn_ex), (-1.0, syn_in)):
            rec, _ = simulate_case(
                model,
                {},
                [{"spike_times": [10.0], "weight": sign * weight, "delay": 1.0}],
                [],
                rec_from,
                t_sim=20.0,
            )
            k_s, k_v = first_change(rec, base, key), first_change(rec, base, "V_m")
            assert (k_s + 1, k_v + 1) == (111 if alpha else 110, 111), (model, key, k_s, k_v)
            if not alpha:
                assert abs(rec[key][k_s]) == weight, (model, key, rec[key][k_s])
            findings.append(
                f"{model}: spike at 10.0 delay 1.0 (weight {sign * weight:g}): {key} first "
                f"changes at {rec['times'][k_s]!r} (to {rec[key][k_s]!r}), V_m at "
                f"{rec['times'][k_v]!r}"
            )
        s, e, d = 5.0, 15.0, 1.0
        base, _ = simulate_case(model, {}, [], [], ["V_m"], t_sim=30.0)
        rec, _ = simulate_case(
            model, {}, [], [{"amplitude": 100.0, "start": s, "stop": e, "delay": d}], ["V_m"], 30.0
        )
        k_v = first_change(rec, base, "V_m")
        assert _steps(rec["times"][k_v]) == _steps(s + d + DT), (model, k_v)
        findings.append(
            f"{model}: dc start {s} delay {d}: first V_m change at {rec['times'][k_v]!r}"
        )
    return findings


def check_iaf_limit() -> list[str]:
    """aeif_cond_* with Delta_T = 0, a = b = 0 against iaf_cond_* with the same parameters."""
    findings = []
    shared = ("C_m", "g_L", "E_L", "V_th", "V_reset", "E_ex", "E_in", "tau_syn_ex", "tau_syn_in")
    for aeif, iaf in (("aeif_cond_exp", "iaf_cond_exp"), ("aeif_cond_alpha", "iaf_cond_alpha")):
        common = {k: nest.GetDefaults(aeif, k) for k in shared}
        common.update(t_ref=2.0, V_m=common["E_L"])
        inputs, dc = cond_spike_inputs(aeif), cond_dc_steps(aeif)
        ra, sa = simulate_case(
            aeif, {**common, "Delta_T": 0.0, "a": 0.0, "b": 0.0}, inputs, dc, ["V_m"], COND_T_SIM
        )
        ri, si = simulate_case(iaf, common, inputs, dc, ["V_m"], COND_T_SIM)
        assert len(sa) == len(si) and all(abs(x - y) < 1.5 * DT for x, y in zip(sa, si)), (
            aeif,
            sa,
            si,
        )
        dv = max(abs(x - y) for x, y in zip(ra["V_m"], ri["V_m"]))
        same = sum(x == y for x, y in zip(sa, si))
        findings.append(
            f"{aeif} (Delta_T = a = b = 0) vs {iaf}: {len(sa)} spikes, {same} at the same step, "
            f"max |dV_m| {dv:.3g} mV"
        )
    return findings


def record_from_for(model):
    recordables = [str(r) for r in nest.GetDefaults(model, "recordables")]
    wanted = {
        "izhikevich": ["V_m", "U_m"],
        "iaf_psc_exp": ["V_m", "I_syn_ex", "I_syn_in"],
        "iaf_psc_alpha": ["V_m", "I_syn_ex", "I_syn_in"],
        **COND_RECORD,
    }.get(model, ["V_m"])
    if model in COND_RECORD:
        missing = [r for r in wanted if r not in recordables]
        if missing:
            raise RuntimeError(f"{model}: not recordable: {missing} (has {recordables})")
    return [r for r in wanted if r in recordables]


# --------------------------------------------------------------------------
# short-term plasticity set (--set short_term): tsodyks2_synapse, tsodyks_synapse
# --------------------------------------------------------------------------
STP_TARGET = "iaf_psc_exp"
STP_TARGET_PARAMS = {"tau_syn_ex": 2.0, "tau_syn_in": 2.0, "V_th": 1e9, "tau_m": 10.0}
STP_RECORD = ["I_syn_ex", "I_syn_in", "V_m"]
PARROT_DELAY = 1.0  # spike_generator -> parrot_neuron (static_synapse, weight 1)
STP_STATE = {"tsodyks2_synapse": ("x", "u"), "tsodyks_synapse": ("x", "y", "u")}


def _regular(start, rate_hz, n):
    return [start + i * 1000.0 / rate_hz for i in range(n)]


def _train(*blocks):
    return _grid(sorted(t for block in blocks for t in block))


# Presynaptic trains (spike_generator times; the parrots re-emit them PARROT_DELAY later).
# depressing cases: 50 Hz burst of 8, 200 ms pause, 20 Hz train, a single spike, two
# spikes 0.1 ms apart, a 100 Hz burst
STP_DEP = _train(
    _regular(10.0, 50, 8), _regular(350.0, 20, 4), [570.0, 610.0, 610.1], _regular(650.0, 100, 5)
)
STP_DEP_T_SIM = 710.0
# the same with a 1 s pause after the 20 Hz train (recovery with tau_rec = 800 ms)
STP_LONG = _train(
    _regular(10.0, 50, 8),
    _regular(350.0, 20, 4),
    [1500.0, 1550.0, 1550.1],
    _regular(1600.0, 100, 5),
)
STP_LONG_T_SIM = 1660.0
# facilitating cases: a 20 Hz train first (at 50 Hz tsodyks2 with tau_rec = 100 ms
# facilitates for 4 spikes only, then depresses), 200 ms pause, 50 Hz burst of 8, ...
STP_FAC = _train(
    _regular(10.0, 20, 8), _regular(560.0, 50, 8), [750.0, 780.0, 780.1], _regular(820.0, 100, 5)
)
STP_FAC_T_SIM = 880.0
# two converging sources (no two arrivals share a step, see check_short_term_case)
STP_MULTI = [
    _train(_regular(10.0, 50, 6), [200.0], _regular(260.0, 100, 4)),
    _grid([45.5, 95.5, 145.5, 150.5, 155.5, 230.0, 230.1]),
]
STP_MULTI_T_SIM = 320.0


def build_short_term_cases():
    """Cases of the short-term set; ``expect`` (not written) drives ``check_short_term_case``."""
    cases = []

    def add(name, model, syn_spec, trains, conns, t_sim, expect):
        cases.append(
            {
                "name": name,
                "synapse_model": model,
                "syn_spec": syn_spec,
                "spike_trains": trains,
                "connections": [{"source": s, "weight": w, "delay": d} for s, w, d in conns],
                "t_sim": t_sim,
                "expect": expect,
            }
        )

    add(
        "tsodyks2_depressing_defaults",
        "tsodyks2_synapse",
        {},
        [STP_LONG],
        [(0, 100.0, 1.0)],
        STP_LONG_T_SIM,
        {"trend": "decreasing"},
    )
    add(
        "tsodyks2_facilitating",
        "tsodyks2_synapse",
        {"U": 0.1, "u": 0.1, "tau_rec": 100.0, "tau_fac": 1000.0},
        [STP_FAC],
        [(0, 50.0, 1.0)],
        STP_FAC_T_SIM,
        {"trend": "increasing"},
    )
    # the first spike is sent with the initial x * u = 0.21, the second with
    # x * U after the update (~0.25): decreasing from the second spike on
    add(
        "tsodyks2_initial_state_inhibitory",
        "tsodyks2_synapse",
        {"x": 0.7, "u": 0.3},
        [STP_DEP],
        [(0, -80.0, 2.3)],
        STP_DEP_T_SIM,
        {"trend": "decreasing", "from": 1},
    )
    add(
        "tsodyks_depressing_defaults",
        "tsodyks_synapse",
        {},
        [STP_DEP],
        [(0, 100.0, 1.0)],
        STP_DEP_T_SIM,
        {"trend": "decreasing"},
    )
    # Tsodyks, Uziel & Markram (2000) facilitating synapses
    add(
        "tsodyks_facilitating",
        "tsodyks_synapse",
        {"U": 0.03, "tau_psc": 3.0, "tau_rec": 130.0, "tau_fac": 530.0},
        [STP_FAC],
        [(0, 250.0, 1.0)],
        STP_FAC_T_SIM,
        {"trend": "increasing"},
    )
    add(
        "tsodyks_initial_state_inhibitory",
        "tsodyks_synapse",
        {"x": 0.9, "y": 0.05, "u": 0.1, "tau_fac": 0.0},
        [STP_DEP],
        [(0, -150.0, 1.0)],
        STP_DEP_T_SIM,
        {"trend": "decreasing"},
    )
    # source 0 has two synapses (multapse) of the same projection onto the target
    add(
        "tsodyks2_two_sources_multapse",
        "tsodyks2_synapse",
        {"U": 0.3, "u": 0.3, "tau_rec": 200.0, "tau_fac": 100.0},
        STP_MULTI,
        [(0, 30.0, 1.0), (0, 70.0, 3.0), (1, 50.0, 1.5)],
        STP_MULTI_T_SIM,
        {"multapse": (0, 1)},
    )
    return cases


def simulate_short_term_case(case):
    """Run one short-term case; return (record, target spikes, connections as listed by
    ``nest.GetConnections`` with source parrot index, weight, delay and final state)."""
    _reset()
    model, trains = case["synapse_model"], case["spike_trains"]
    target = nest.Create(STP_TARGET, params=STP_TARGET_PARAMS)
    gens = nest.Create("spike_generator", len(trains), params=[{"spike_times": t} for t in trains])
    parrots = nest.Create("parrot_neuron", len(trains))
    nest.Connect(
        gens,
        parrots,
        "one_to_one",
        syn_spec={"synapse_model": "static_synapse", "weight": 1.0, "delay": PARROT_DELAY},
    )
    ids = parrots.tolist()
    conns = case["connections"]
    # one Connect call with arrays of node IDs: a repeated source makes a multapse
    nest.Connect(
        np.array([ids[c["source"]] for c in conns], dtype=np.int64),
        np.array([target.global_id] * len(conns), dtype=np.int64),
        "one_to_one",
        syn_spec={
            "synapse_model": model,
            **case["syn_spec"],
            "weight": np.array([float(c["weight"]) for c in conns]),
            "delay": np.array([float(c["delay"]) for c in conns]),
        },
    )
    record, spikes = _record_and_run(target, STP_RECORD, case["t_sim"], case["name"])
    got = nest.GetConnections(target=target, synapse_model=model)
    keys = ["source", "weight", "delay", *STP_STATE[model]]
    info = got.get(keys)
    info = {k: (v if isinstance(v, list) else [v]) for k, v in info.items()}
    listed, todo = [], list(conns)
    for i in range(len(info["source"])):
        src, w, d = ids.index(info["source"][i]), float(info["weight"][i]), info["delay"][i]
        # match the requested connection; NEST reports the delay as steps * dt
        # (2.3000000000000003), the file keeps the value passed to Connect
        match = [
            c
            for c in todo
            if (c["source"], float(c["weight"]), _steps(c["delay"])) == (src, w, _steps(d))
        ]
        assert match, (case["name"], "unexpected connection", src, w, d)
        todo.remove(match[0])
        entry = {"source": src, "weight": w, "delay": float(match[0]["delay"])}
        entry["state_after"] = {k: float(info[k][i]) for k in STP_STATE[model]}
        listed.append(entry)
    assert not todo, (case["name"], "connections missing", todo)
    return record, spikes, listed


def stp_release(model, params, times):
    """The factor NEST 3.10 multiplies ``weight`` with for each spike ``times`` passing the
    synapse (its ``send()``: tsodyks2 ``x * u``, tsodyks ``delta_y``); ``params`` complete."""
    p, out = params, []
    x, u = p["x"], p["u"]
    if model == "tsodyks2_synapse":
        t_last = -1.0  # the first spike is sent with the initial x * u
        for t in times:
            if t_last >= 0.0:
                h = t - t_last
                x_decay = math.exp(-h / p["tau_rec"])
                u_decay = 0.0 if p["tau_fac"] == 0 else math.exp(-h / p["tau_fac"])
                x = 1.0 + (x - x * u - 1.0) * x_decay
                u = p["U"] + u * (1.0 - p["U"]) * u_decay
            out.append(x * u)
            t_last = t
        return out
    y, t_last = p["y"], 0.0  # tsodyks_synapse: t_lastspike = 0 initially
    tau_psc, tau_rec = p["tau_psc"], p["tau_rec"]
    for t in times:
        h = t - t_last
        p_uu = 0.0 if p["tau_fac"] == 0.0 else math.exp(-h / p["tau_fac"])
        p_yy = math.exp(-h / tau_psc)
        p_zz = math.expm1(-h / tau_rec)
        p_xy = (p_zz * tau_rec - (p_yy - 1.0) * tau_psc) / (tau_psc - tau_rec)
        z = 1.0 - x - y
        u *= p_uu
        x += p_xy * y - p_zz * z
        y *= p_yy
        u += p["U"] * (1.0 - u)
        out.append(u * x)
        x -= u * x
        y += out[-1]
        t_last = t
    return out


def _psc_jumps(trace, tau_syn):
    """What arrived in each step: I(k) - exp(-dt / tau_syn) I(k - 1); index k = step k + 1."""
    p11 = math.exp(-DT / tau_syn)
    return [trace[0]] + [trace[k] - p11 * trace[k - 1] for k in range(1, len(trace))]


def check_short_term_case(case, record, spikes, defaults):
    """Assert what the synapses sent (jumps of I_syn_*) and the case's ``expect``;
    return (one-line summary, first-burst jumps of the first connection)."""
    name, model, exp = case["name"], case["synapse_model"], case["expect"]
    assert not spikes, (name, "target fired", spikes)
    params = {**defaults, **case["syn_spec"]}
    channel = {1: "I_syn_ex", -1: "I_syn_in"}
    jumps = {ch: _psc_jumps(record[ch], STP_TARGET_PARAMS["tau_syn_ex"]) for ch in STP_RECORD[:2]}
    expected = {ch: {} for ch in jumps}  # arrival step -> summed PSC amplitude (pA)
    arrivals = []  # per requested connection: arrival steps of its spikes
    for c in case["connections"]:
        train = case["spike_trains"][c["source"]]
        sent = [_steps(t) + _steps(PARROT_DELAY) for t in train]  # parrot spike steps
        factors = stp_release(model, params, [s * DT for s in sent])
        steps = [s + _steps(c["delay"]) for s in sent]
        ch = channel[1 if c["weight"] >= 0 else -1]
        for s, f in zip(steps, factors):
            expected[ch][s] = expected[ch].get(s, 0.0) + f * c["weight"]
        arrivals.append((ch, steps))
    first = min(s for _, steps in arrivals for s in steps)
    max_dev = 0.0
    for ch, jump in jumps.items():
        trace = record[ch]
        scale = max(1.0, max(abs(v) for v in trace))
        assert all(v == 0.0 for v in trace[: first - 1]), (name, ch, "non-zero before arrival")
        if expected[ch]:  # non-zero from the first arrival of this channel to t_sim
            k0 = min(expected[ch]) - 1
            assert all(v != 0.0 for v in trace[k0:]), (name, ch, "zero after first arrival")
            sign = 1.0 if ch == "I_syn_ex" else -1.0
            assert all(sign * v > 0.0 for v in trace[k0:]), (name, ch, "sign")
        else:
            assert all(v == 0.0 for v in trace), (name, ch, "unused channel non-zero")
        for k, j in enumerate(jump):
            dev = abs(j - expected[ch].get(k + 1, 0.0)) / scale
            assert dev < 1e-9, (name, ch, record["times"][k], j, expected[ch].get(k + 1, 0.0))
            max_dev = max(max_dev, dev)
    # first burst of the first connection (groups of spikes with ISIs <= 50 ms)
    ch, steps = arrivals[0]
    n_burst = len(_bursts(case["spike_trains"][case["connections"][0]["source"]])[0])
    burst = [jumps[ch][s - 1] for s in steps[:n_burst]]
    notes = [f"max |jump - NEST send()| {max_dev:.2g} x max|I|"]
    if "trend" in exp:
        amp = [abs(j) for j in burst[exp.get("from", 0) :]]
        pairs = list(zip(amp, amp[1:]))
        ok = (
            all(b < a for a, b in pairs)
            if exp["trend"] == "decreasing"
            else all(b > a for a, b in pairs)
        )
        assert ok, (name, exp, burst)
        notes.append(f"{exp['trend']} within the first burst from spike {exp.get('from', 0)}")
    if "multapse" in exp:
        a, b = exp["multapse"]
        ca, cb = case["connections"][a], case["connections"][b]
        assert ca["source"] == cb["source"]
        all_steps = [s for _, steps in arrivals for s in steps]
        assert len(set(all_steps)) == len(all_steps), (name, "arrivals share a step")
        ratios = [
            jumps[ch][sb - 1] / jumps[ch][sa - 1] for sa, sb in zip(arrivals[a][1], arrivals[b][1])
        ]
        want = cb["weight"] / ca["weight"]
        assert all(abs(r - want) < 1e-9 * want for r in ratios), (name, ratios)
        notes.append(
            f"the two synapses of source {ca['source']} keep separate identical states: "
            f"PSC ratio {want:g} at all {len(ratios)} spikes"
        )
    return f"{name}: " + "; ".join(notes), burst


def run_short_term_set():
    out_cases = []
    for case in build_short_term_cases():
        model = case["synapse_model"]
        defaults = {k: v for k, v in _jsonable_defaults(model).items() if not isinstance(v, bool)}
        record, spikes, listed = simulate_short_term_case(case)
        summary, burst = check_short_term_case(case, record, spikes, defaults)
        print(summary, file=sys.stderr)
        print(f"  first-burst PSC jumps (pA): {[round(j, 4) for j in burst]}", file=sys.stderr)
        print(f"  connections (GetConnections order): {listed}", file=sys.stderr)
        out_cases.append(
            {
                "name": case["name"],
                "synapse_model": model,
                "syn_spec": case["syn_spec"],
                "spike_trains": case["spike_trains"],
                "connections": listed,
                "parrot_delay": PARROT_DELAY,
                "target_model": STP_TARGET,
                "target_params": STP_TARGET_PARAMS,
                "t_sim": case["t_sim"],
                "record": record,
                "nest_defaults": defaults,
            }
        )
    return out_cases


SETS = {
    "single": "nest_single_neuron.json",
    "conductance": "nest_conductance_neurons.json",
    "short_term": "nest_short_term.json",
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument(
        "--set",
        choices=sorted(SETS),
        default="single",
        help="single: current-based models (default); conductance: conductance-based/adaptive;"
        " short_term: tsodyks2_synapse/tsodyks_synapse",
    )
    ap.add_argument("--out", default=None, help="default: tests/data/<file of the set>")
    args = ap.parse_args(argv)
    if args.out is None:
        args.out = os.path.join(here, "..", "tests", "data", SETS[args.set])
    _quiet()

    findings = check_timing_semantics()
    if args.set == "conductance":
        findings += check_conductance_timing() + check_iaf_limit()
    for f in findings:
        print("verified:", f, file=sys.stderr)

    if args.set == "short_term":
        cases, out_cases = [], run_short_term_set()
    elif args.set == "conductance":
        cases, out_cases = build_conductance_cases(), []
    else:
        cases = build_cases("refractory_input" in nest.GetDefaults("iaf_psc_delta"))
        out_cases = []
    for case in cases:
        model = case["model"]
        t_sim = case.get("t_sim", T_SIM)
        rec_from = record_from_for(model)
        record, spikes = simulate_case(
            model, case["params"], case["inputs"], case["dc"], rec_from, t_sim
        )
        check_refractory_clamp(case, record, spikes)
        out_cases.append(
            {
                "name": case["name"],
                "model": model,
                "t_sim": t_sim,
                "params": case["params"],
                "inputs": case["inputs"],
                "dc": case["dc"],
                "record": record,
                "spike_times": spikes,
                "nest_defaults": _jsonable_defaults(model),
            }
        )
        if "expect" in case:
            print(check_conductance_case(case, record, spikes), file=sys.stderr)
        else:
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
