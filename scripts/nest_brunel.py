#!/usr/bin/env python3
"""Brunel (2000) model A in NEST: reference rates and timings for distsim.

Run with the separate NEST virtualenv (NEST is *not* a distsim dependency)::

    /work/nestenv/bin/python scripts/nest_brunel.py --seeds 1 2 3 --threads 2 \
        --t-sim 1000 --out tests/data/nest_brunel_rates.json

The network uses the parameters of NEST's ``brunel_delta_nest.py`` example:
order 2500 (NE = 10000, NI = 2500), fixed in-degrees CE = 1000 / CI = 250
(autapses and multapses allowed, NEST's defaults), ``iaf_psc_delta`` with
C_m 1, tau_m 20, t_ref 2, E_L 0, V_reset 10, V_m 0, V_th 20; J = 0.1 mV,
g = 5 (J_in = -g J), eta = 2, delay 1.5 ms, dt 0.1 ms; a single
``poisson_generator`` with rate 1000 * eta * nu_th * CE Hz
(nu_th = V_th / (J CE tau_m)) connected all-to-all with weight J and delay
1.5 ms (NEST draws an independent train for every target).  The spikes of
all 12,500 neurons are recorded by one ``spike_recorder``.

Each seed runs in its own subprocess (so that ``peak_rss_bytes`` -- the
process's ``ru_maxrss`` right after ``nest.Simulate`` -- belongs to that run
alone).  One JSON object is printed as the LAST line of stdout.

Per run: ``mean_rate_hz`` = n_spikes / (N * t_sim / 1000) over all neurons;
``build_s`` = wall time of Create + Connect; ``sim_s`` = wall time of
``nest.Simulate``; ``rtf`` = sim_s / (t_sim / 1000);
``n_syn_events`` = sum over all recorded spikes of the sender's exact number of
outgoing recurrent synapses (counted with ``nest.GetConnections`` after the
simulation, grouping neurons by spike count; Poisson input events are not
included); ``syn_events_per_s`` = n_syn_events / sim_s.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import nest_seeds

GENERATOR = "scripts/nest_brunel.py"

ORDER = 2500
NE = 4 * ORDER
NI = 1 * ORDER
EPSILON = 0.1
CE = int(EPSILON * NE)  # 1000
CI = int(EPSILON * NI)  # 250
DT = 0.1
DELAY = 1.5
TAU_M = 20.0
THETA = 20.0
J = 0.1
G = 5.0
ETA = 2.0
J_EX = J
J_IN = -G * J
NU_TH = THETA / (J * CE * TAU_M)
NU_EX = ETA * NU_TH
P_RATE = 1000.0 * NU_EX * CE
NEURON_PARAMS = {
    "C_m": 1.0,
    "tau_m": TAU_M,
    "t_ref": 2.0,
    "E_L": 0.0,
    "V_reset": 10.0,
    "V_m": 0.0,
    "V_th": THETA,
}


def params_dict():
    return {
        "order": ORDER,
        "NE": NE,
        "NI": NI,
        "N": NE + NI,
        "epsilon": EPSILON,
        "CE": CE,
        "CI": CI,
        "J": J,
        "g": G,
        "J_ex": J_EX,
        "J_in": J_IN,
        "eta": ETA,
        "delay": DELAY,
        "dt": DT,
        "nu_th": NU_TH,
        "nu_ex": NU_EX,
        "p_rate": P_RATE,
        "neuron_model": "iaf_psc_delta",
        "neuron_params": dict(NEURON_PARAMS),
        "conn_rule": "fixed_indegree",
        "allow_autapses": True,
        "allow_multapses": True,
        "poisson_generators": 1,
        "record": "all",
    }


def run_one(seed: int, threads: int, t_sim: float) -> dict:
    """Build and simulate one network in this process; return the run record."""
    import nest
    import numpy as np

    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:  # pragma: no cover - older NEST
        nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.set(
        resolution=DT,
        rng_seed=seed,
        local_num_threads=threads,
        print_time=False,
        overwrite_files=True,
    )

    t0 = time.perf_counter()
    nodes_ex = nest.Create("iaf_psc_delta", NE, params=NEURON_PARAMS)
    nodes_in = nest.Create("iaf_psc_delta", NI, params=NEURON_PARAMS)
    noise = nest.Create("poisson_generator", params={"rate": P_RATE})
    spikes = nest.Create("spike_recorder")
    nest.CopyModel("static_synapse", "excitatory", {"weight": J_EX, "delay": DELAY})
    nest.CopyModel("static_synapse", "inhibitory", {"weight": J_IN, "delay": DELAY})
    all_nodes = nodes_ex + nodes_in
    nest.Connect(noise, all_nodes, syn_spec="excitatory")
    nest.Connect(all_nodes, spikes)
    nest.Connect(nodes_ex, all_nodes, {"rule": "fixed_indegree", "indegree": CE}, "excitatory")
    nest.Connect(nodes_in, all_nodes, {"rule": "fixed_indegree", "indegree": CI}, "inhibitory")
    build_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    nest.Simulate(t_sim)
    sim_s = time.perf_counter() - t0
    # ru_maxrss is in KiB on Linux
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    ev = spikes.get("events")
    senders = np.asarray(ev["senders"], dtype=np.int64)
    n_spikes = int(senders.size)
    n_total = NE + NI
    first_id = int(all_nodes[0].global_id)

    # Exact recurrent synaptic event count: sum over spikes of the sender's
    # out-degree.  Reading every connection's source via SynapseCollection.get
    # is far too slow/memory hungry in NEST 3.10 (~10 us and >2 kB per
    # connection), so neurons are grouped by their spike count k and
    # events = sum_k k * (len(GetConnections(source=group_k)) - |group_k|)
    # (each neuron has one extra connection, to the spike_recorder), which
    # touches every connection at most once.  A ``target=`` filter would make
    # this ~4x slower.  Validated against the per-connection bincount on a
    # small network.
    t_count = time.perf_counter()
    spike_counts = np.bincount(senders - first_id, minlength=n_total)
    n_syn_events = 0
    n_conn_firing = 0
    for k in np.unique(spike_counts):
        if k == 0:
            continue
        ids = (np.nonzero(spike_counts == k)[0] + first_id).tolist()
        # every neuron also has exactly one connection to the spike_recorder
        n_out = len(nest.GetConnections(source=nest.NodeCollection(ids))) - len(ids)
        n_conn_firing += n_out
        n_syn_events += int(k) * n_out
    print(f"[seed {seed}] event count: {time.perf_counter() - t_count:.1f} s", file=sys.stderr)
    n_conn = int(nest.GetKernelStatus("num_connections")) - 2 * n_total  # minus noise + recorder
    if n_conn != n_total * (CE + CI) or n_conn_firing > n_conn:
        raise RuntimeError(f"unexpected number of recurrent connections {n_conn}")
    n_ex = int(spike_counts[:NE].sum())

    return {
        "seed": seed,
        "mean_rate_hz": n_spikes / (n_total * t_sim / 1000.0),
        "rate_ex_hz": n_ex / (NE * t_sim / 1000.0),
        "rate_in_hz": (n_spikes - n_ex) / (NI * t_sim / 1000.0),
        "n_spikes": n_spikes,
        "n_recurrent_connections": n_conn,
        "n_syn_events": n_syn_events,
        "build_s": build_s,
        "sim_s": sim_s,
        "rtf": sim_s / (t_sim / 1000.0),
        "syn_events_per_s": n_syn_events / sim_s,
        "peak_rss_bytes": int(peak_rss),
    }


def main(argv=None):
    args = nest_seeds.parse("Brunel model A reference run in NEST", [1], 1, 1000.0, argv)
    if args.worker:
        return nest_seeds.worker(run_one, args)
    runs = []
    for line in nest_seeds.seed_lines(__file__, args):
        r = json.loads(line)
        runs.append(r)
        print(
            f"seed {r['seed']}: {r['mean_rate_hz']:.3f} Hz, build {r['build_s']:.1f} s, "
            f"sim {r['sim_s']:.1f} s",
            file=sys.stderr,
        )

    import nest  # only for the version string (prints NEST's banner to stdout)

    result = {
        "generator": GENERATOR,
        "nest_version": nest.__version__,
        "threads": args.threads,
        "t_sim_ms": args.t_sim,
        "params": params_dict(),
        "runs": runs,
    }
    nest_seeds.print_result(result, args.out)


if __name__ == "__main__":
    main()
