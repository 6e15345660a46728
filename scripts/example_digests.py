"""Spike digests (and plastic-weight hashes) of every example network, on one process, as
one JSON object: a refactor that must change no bit is checked by running this before and
after it and comparing the two outputs.

    python scripts/example_digests.py [--quick] [--threads T] > digests.json

(``--threads``: the same networks with T threads per process: the digests must not change.)

Each entry: the digest of all recorded spikes, the spike count, and for plastic networks
the SHA-256 of the final weights in the order of ``Simulation.connections``.
"""

import argparse
import hashlib
import json
import time


def cases(quick):
    from distsim.examples import brunel, hpc_benchmark, microcircuit, sensor
    from distsim.examples.pattern_learning import afferent_trains, pattern_network
    from distsim.nir_convert import import_nir

    scale = 0.5 if quick else 1.0
    yield "brunel", brunel(order=int(500 * scale)), 500.0
    for state in ("SR", "SI_fast", "SI_slow"):
        yield f"brunel_{state}", brunel(order=200, state=state), 300.0
    yield "microcircuit_poisson", microcircuit(scale=0.1 * scale), 300.0
    yield "microcircuit_dc", microcircuit(scale=0.1 * scale, poisson_input=False), 500.0
    yield "hpc_benchmark", hpc_benchmark(scale=0.05 * scale), 200.0
    yield "hpc_benchmark_plastic", hpc_benchmark(scale=0.05 * scale, plastic=True), 200.0
    yield "sensor", sensor(t_sim=300.0), 300.0
    yield "pattern_learning", pattern_network(afferent_trains(t_sim=2000.0)), 2000.0
    yield "nir_conv_snn", import_nir(_nir_example()), 100.0
    for model in ("iaf_psc_alpha", "izhikevich", "loihi_cuba_lif"):
        yield f"model_{model}", _one_model(model), 300.0
    yield "dopamine", _dopamine(), 500.0


def _nir_example():
    from pathlib import Path

    import distsim.examples

    return Path(distsim.examples.__file__).parent / "data" / "conv_snn.nir"


def _one_model(model):
    from distsim import FixedIndegree, Network

    net = Network(dt=0.1 if model != "loihi_cuba_lif" else 1.0, seed=3)
    params = {
        "loihi_cuba_lif": {"du": 400, "dv": 300, "vth": 2000, "bias_mant": 3000, "bias_exp": 6},
        "izhikevich": {"I_e": 8.0},
    }.get(model, {"I_e": 380.0})
    net.add_population("A", model, 200, params)
    weight = 20 if model == "loihi_cuba_lif" else 2.0
    net.connect(
        "A", "A", FixedIndegree(20), weight=weight, delay=1.0 if model == "loihi_cuba_lif" else 1.5
    )
    net.record_spikes("A")
    return net


def _dopamine():
    from distsim import FixedIndegree, Network

    net = Network(dt=0.1, seed=5)
    net.add_population(
        "src",
        "spike_source",
        40,
        {"spike_times": [[5.0 + 7.0 * k + i % 5 for k in range(60)] for i in range(40)]},
    )
    net.add_population("da", "parrot_neuron", 4)
    net.add_population("post", "iaf_psc_alpha", 30, {"I_e": 300.0})
    net.connect("src", "da", FixedIndegree(3), weight=1.0, delay=1.0)
    net.connect(
        "src",
        "post",
        FixedIndegree(10),
        weight=40.0,
        delay=1.5,
        synapse={"synapse_model": "stdp_dopamine_synapse", "vt": "da", "vt_delay": 2.0},
    )
    net.record_spikes("post")
    return net


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller networks")
    ap.add_argument("--threads", type=int, default=1, help="threads per process (default 1)")
    args = ap.parse_args()
    from distsim import Simulation

    out = {}
    for name, net, t_ms in cases(args.quick):
        t0 = time.perf_counter()
        sim = Simulation(net, threads=args.threads)
        sim.run(t_ms)
        entry = {
            "digest": sim.digest(),
            "spikes": int(sim.spike_steps()[0].size),
            "wall_s": round(time.perf_counter() - t0, 2),
        }
        if any(p.synapse is not None for p in net.projections):
            w = sim.connections()["weight"]
            entry["weights_sha256"] = hashlib.sha256(w.astype("<f8").tobytes()).hexdigest()
        out[name] = entry
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
