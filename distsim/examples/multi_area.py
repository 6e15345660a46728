"""Multi-area model of macaque visual cortex (Schmidt et al. 2018, Brain Struct Funct 223:1409
and PLoS Comput Biol 14:e1006359): 32 areas of 8 populations (TH: 6), 4.13 M iaf_psc_exp
neurons, 24.1 G synapses at full scale, built from data/multi_area_model.json (the numbers
of the model's public code, INM-6/multi-area-model; the file's ``source`` names the commit).

The network is written as a model-file document (modelfile.py): one area per cortical area,
its populations (23E, 23I, 4E, 4I, 5E, 5I, 6E, 6I) inside, named ``AREA.POP``
(``multi_area_document``; ``distsim`` builds it with ``network_from_document``, and
``write_model_file`` writes it out).  Every number comes from the data file:

- neurons: N = int(N_float * scale) (at scale 1 the file's ``N_int_as_built_in_NEST``);
  NEST's iaf_psc_exp parameters of ``neuron_model``; initial V_m ~ normal(-150, 50) mV;
- synapses: ``fixed_total_number`` per (target, source) pair with N = int(synapses * scale),
  synapses = ``connectivity.stabilized_K_prime`` (both states), autapses and multapses
  allowed: ``scale`` scales the neuron numbers at fixed in-degree;
- weights (pA): normal(w, 0.1 |w|), redrawn to keep their sign ([0, inf) for excitatory
  sources and between areas, (-inf, 0] for inhibitory sources in an area), w from the PSP
  of the parameter set: W_E = PSP_e PSC/PSP (87.8 pA), g W_E for inhibitory sources, the
  doubled 4E -> 23E, and between areas chi W_E onto excitatory and chi chi_I W_E onto
  inhibitory targets (ground state chi = chi_I = 1; metastable chi = 1.9, chi_I = 2);
- delays (ms): normal(d, 0.5 d) redrawn below dt, d = 1.5 (excitatory) or 0.75
  (inhibitory source) in an area, distance / 3.5 mm/ms between areas (up to 18 ms);
- external drive: Poisson at 10 Hz x K_ext per neuron (the set's K_ext: boosted 5E, 6E and
  TH 23E/5E), weight W_ext, delay 1 ms;
- ``areas``: a subset of areas; the cortico-cortical input from areas left out is dropped
  (as in scripts/nest_multi_area.py, the NEST reference);
- ``storage``: "procedural" (default: nothing per synapse is kept; kernels/procedural.py) or
  "stored" (about 9 bytes per synapse: the full model would need ~220 GB).

``reference_rates(state)`` gives the data file's mean-field rates of the ground state per
population (none for the metastable state, which has no stable fixed point).
"""

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .microcircuit import psc_over_psp
from .options import Option

DATA = Path(__file__).parent / "data" / "multi_area_model.json"
STATES = {"ground": "ground_state", "metastable": "metastable"}
POISSON_DELAY = 1.0  # ms (NEST's default, which the model keeps)

OPTIONS = (
    Option(
        "--state",
        "state",
        str,
        "ground",
        "parameter set: ground (chi = 1) or metastable (chi = 1.9)",
        choices=tuple(STATES),
    ),
    Option(
        "--scale",
        "scale",
        float,
        1.0,
        "scale of the neuron numbers at full in-degree (N = int(N_full * scale))",
        low=0.0,
        high=1.0,
        low_open=True,
    ),
    Option(
        "--areas",
        "areas",
        str,
        None,
        "comma-separated areas to simulate (default: all 32), e.g. V1,V2",
        convert=lambda v: [a.strip() for a in v.split(",")] if v else None,
    ),
    Option(
        "--storage",
        "storage",
        str,
        "procedural",
        "synapses regenerated at every spike (procedural) or stored",
        choices=("procedural", "stored"),
    ),
)


@lru_cache(maxsize=1)
def data():
    """The data file (parsed once)."""
    return json.loads(DATA.read_text())


def area_names():
    return list(data()["areas"])


def _selected(areas):
    """The simulated areas in the file's order; ConfigError naming an unknown one."""
    known = area_names()
    if areas is None:
        return known
    if isinstance(areas, str):
        areas = [a.strip() for a in areas.split(",")]
    unknown = [a for a in areas if a not in known]
    if unknown or not areas or len(set(areas)) != len(areas):
        from ..messages import did_you_mean

        what = f"area {unknown[0]!r} is not one of the model's" if unknown else "list"
        hint = did_you_mean(unknown[0], known) if unknown else ""
        raise ConfigError(
            f"multi_area: areas {','.join(map(str, areas))!r}: {what} (each once); the areas "
            f"are {', '.join(known)}{hint}"
        )
    return [a for a in known if a in areas]


def multi_area_document(
    state="ground", scale=1.0, areas=None, storage="procedural", seed=1, dt=None, record=True
):
    """The model-file document (Python tables) of the model: areas of populations,
    fixed_total_number projections, Poisson drive, spike recording of every population
    (``dt``: default the model's, 0.1 ms)."""
    if state not in STATES:
        raise ConfigError(f"multi_area: state {state!r} is not one of {', '.join(STATES)}")
    if not (isinstance(scale, (int, float)) and 0.0 < scale <= 1.0):
        raise ConfigError(f"multi_area: scale {scale!r} is out of range; use 0 < scale <= 1")
    d = data()
    chosen = _selected(areas)
    pset = d["parameter_sets"][STATES[state]]
    p = pset["params"]
    order = d["population_order"]
    index = [k for k, name in enumerate(order) if name.split("-")[0] in chosen]
    name_of = {k: order[k].replace("-", ".") for k in index}
    n_full = np.asarray(d["neurons"]["N_float"], float)
    n = (
        np.asarray(d["neurons"]["N_int_as_built_in_NEST"], np.int64)
        if scale == 1.0
        else np.floor(n_full * scale).astype(np.int64)
    )
    empty = [name_of[k] for k in index if n[k] < 1]
    if empty:
        smallest = min(n_full[k] for k in index)
        raise ConfigError(
            f"multi_area: scale {scale} leaves population {empty[0]} without neurons; use "
            f"scale >= {1.0 / smallest:.2g}"
        )
    syn = np.asarray(d["connectivity"]["stabilized_K_prime"]["synapses"], np.int64)
    neuron = d["neuron_model"]["params"]
    r = psc_over_psp(neuron["C_m"], neuron["tau_m"], neuron["tau_syn_ex"])
    w_e, w_23_4 = p["PSP_e_mV"] * r, p["PSP_e_23_4_mV"] * r
    chi, chi_i = p["cc_weights_factor_chi"], p["cc_weights_I_factor_chi_I"]
    dist = np.asarray(d["distances_mm"]["matrix"], float)
    area_index = {a: k for k, a in enumerate(d["areas"])}
    dt = float(d["simulation"]["dt_ms"]) if dt is None else dt
    v0 = d["neuron_model"]["initial_V_m"]
    doc = {
        "network": {"dt": dt, "seed": seed},
        "defaults": {
            "model": "iaf_psc_exp",
            "params": {
                **neuron,
                "I_e": float(d["neuron_model"]["I_e_pA"]),
                "V_m": {"distribution": "normal", "mean": v0["mean_mV"], "std": v0["sd_mV"]},
            },
        },
        "areas": {},
        "projections": [],
        "stimuli": {"poisson": []},
        "record": {"spikes": [{"population": "*"}] if record else []},
    }
    for k in index:
        area, pop = order[k].split("-")
        doc["areas"].setdefault(area, {"populations": {}})["populations"][pop] = {"size": int(n[k])}
        doc["stimuli"]["poisson"].append(
            {
                "target": name_of[k],
                "rate": p["rate_ext_Hz"] * pset["K_ext"][k],
                "weight": p["PSP_ext_mV"] * r,
                "delay": POISSON_DELAY,
            }
        )
    for i in index:  # targets
        a_i, t_i = order[i].split("-")
        for j in index:  # sources
            count = int(syn[i, j] * scale) if scale != 1.0 else int(syn[i, j])
            if count <= 0:
                continue
            a_j, t_j = order[j].split("-")
            excitatory = t_j.endswith("E")
            if a_i == a_j:
                w = w_23_4 if (t_i, t_j) == ("23E", "4E") else (w_e if excitatory else p["g"] * w_e)
                delay = p["delay_e_ms"] if excitatory else p["delay_i_ms"]
            else:  # (only excitatory populations project between areas)
                w = chi * w_e * (chi_i if t_i.endswith("I") else 1.0)
                delay = dist[area_index[a_i], area_index[a_j]] / p["interarea_speed_mm_per_ms"]
            weight = {
                "distribution": "normal",
                "mean": w,
                "std": p["PSC_rel_sd"] * abs(w),
                "redraw": True,
                **({"low": 0.0} if w > 0 else {"high": 0.0}),
            }
            doc["projections"].append(
                {
                    "source": name_of[j],
                    "target": name_of[i],
                    "rule": {"rule": "fixed_total_number", "N": count},
                    "weight": weight,
                    "delay": {
                        "distribution": "normal",
                        "mean": delay,
                        "std": p["delay_rel"] * delay,
                        "low": dt,
                        "redraw": True,
                    },
                    "storage": storage,
                }
            )
    return doc


def multi_area(
    state="ground", scale=1.0, areas=None, storage="procedural", seed=1, dt=None, record=True
):
    """The multi-area model (module docstring) as a Network."""
    from ..modelfile import network_from_document

    doc = multi_area_document(state, scale, areas, storage, seed, dt, record)
    return network_from_document(doc, f"multi_area({state}, scale {scale:g})")


def reference_rates(state="ground"):
    """{"AREA.POP": Hz} of the data file's mean-field (Siegert) rates of the ground state;
    None for the metastable state (no stable fixed point)."""
    if state != "ground":
        return None
    ref = data()["reference_rates"]["meanfield_ground_state_computed_here"]
    return {
        name.replace("-", "."): float(rate)
        for name, rate in zip(data()["population_order"], ref["rates_Hz_per_population"])
    }


def full_scale_counts():
    """(neurons, synapses) of the full model (the data file's totals)."""
    t = data()["totals"]
    return int(t["neurons_int_as_built"]), int(t["stabilized_synapses_int_as_built"])
