#!/usr/bin/env python3
"""The sensor example's cost follows its events: run time of a scene and of the same scene
with about ten times fewer DVS events, event-driven and step by step.

    python scripts/bench_sensor.py [--t-sim 2000] [--size 64] [--repeats 5] [--out FILE]

Scenes (distsim/examples/sensor.py): ``full`` (a bar as tall as the field, contrast
threshold 0.1), ``short_bar`` (a bar 6 of 64 rows tall: the same local activity on a tenth
of the area) and ``high_threshold`` (threshold 1.0: the same area, a tenth of the events per
edge crossing, so fewer events fall on one neuron in one step).  Prints one JSON object:
per (scene, mode) the input events, synaptic events, spikes, build and run seconds (best of
``--repeats`` runs, each on a fresh Simulation, after a warm-up that compiles the kernels)
and the response latency; and per mode and reduced scene ``events_ratio`` (events of
``full`` / of the scene) and ``speedup`` (run time of ``full`` / of the scene).
"""

import argparse
import json
import time

from distsim import Simulation
from distsim.examples.sensor import moving_bar, response_latency, sensor

SCENES = {"full": {}, "short_bar": {"bar_rows": 6}, "high_threshold": {"threshold": 1.0}}


def measure(scene_name, event_driven, args):
    options = dict(SCENES[scene_name])
    if "bar_rows" in options:
        options["bar_rows"] = max(1, round(options["bar_rows"] * args.size / 64))
    scene = moving_bar(args.size, args.size, args.t_sim, **options)
    net = sensor(scene=scene)
    runs, build = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        sim = Simulation(net, event_driven=event_driven)
        build.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sim.run(args.t_sim)
        runs.append(time.perf_counter() - t0)
    s = sim.summary()
    times, gids = sim.spikes()
    return {
        "scene": scene_name,
        **options,
        "event_driven": event_driven,
        "input_events": scene.n_events,
        "synaptic_events": s["synaptic_events"],
        "spikes": s["spikes"],
        "neurons": s["neurons"],
        "build_s": min(build),
        "run_s": min(runs),
        "runs_s": runs,
        "rtf": min(runs) / (args.t_sim / 1000.0),
        "digest": s["digest"],
        **response_latency(net, scene, times, gids),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--t-sim", type=float, default=2000.0)
    p.add_argument("--size", type=int, default=64, help="pixels per side (default 64)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", default=None)
    args = p.parse_args()
    warm = sensor(width=8, height=8, t_sim=50.0)
    for mode in (True, False):
        Simulation(warm, event_driven=mode).run(50.0)  # compile outside the timings
    results = [measure(name, mode, args) for mode in (True, False) for name in SCENES]
    summary = {"benchmark": "sensor", "t_sim_ms": args.t_sim, "size": args.size, "runs": results}
    for mode, key in ((True, "event_driven"), (False, "step_by_step")):
        full, *reduced = [r for r in results if r["event_driven"] == mode]
        summary[key] = {
            r["scene"]: {
                "events_ratio": full["input_events"] / r["input_events"],
                "speedup": full["run_s"] / r["run_s"],
            }
            for r in reduced
        }
    text = json.dumps(summary)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
