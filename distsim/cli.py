"""Command line: ``distsim run [EXAMPLE] [options]``.

``distsim run`` with no arguments simulates the built-in Brunel network (order 2500, 1 s)
and prints a summary ending in the spike digest, the SHA-256 of all recorded spikes as
sorted (step, gid) pairs, which is equal for equal spike trains on any machine.
"""
import argparse
import json
import sys

from .errors import DistsimError
from .examples import EXAMPLES


def _parser():
    parser = argparse.ArgumentParser(prog="distsim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate a built-in example network")
    run.add_argument("example", nargs="?", default="brunel", choices=sorted(EXAMPLES),
                     help="example network (default: brunel)")
    run.add_argument("--order", type=int, default=2500,
                     help="brunel: network order (NE = 4 order, NI = order; default 2500)")
    run.add_argument("--t-sim", type=float, default=1000.0, help="model time in ms (default 1000)")
    run.add_argument("--dt", type=float, default=0.1, help="step in ms (default 0.1)")
    run.add_argument("--seed", type=int, default=1, help="seed of all random streams (default 1)")
    run.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    return parser


def _print_summary(s):
    rows = [
        ("neurons", f"{s['neurons']:,}"),
        ("synapses", f"{s['synapses']:,}"),
        ("spikes", f"{s['spikes']:,}"),
        ("mean rate", f"{s['mean_rate_hz']:.3f} Hz"),
        ("model time", f"{s['t_model_ms']:.1f} ms"),
        ("build time", f"{s['build_s']:.2f} s"),
        ("wall time", f"{s['wall_s']:.2f} s"),
        ("real-time factor", f"{s['rtf']:.2f} (wall s per model s)"),
        ("synaptic events/s", f"{s['synaptic_events'] / max(s['wall_s'], 1e-12) / 1e6:.1f} M"),
        ("spike digest", s["digest"]),
    ]
    for name, value in rows:
        print(f"{name:<18} {value}")


def cmd_run(args):
    from .simulation import Simulation

    build = EXAMPLES[args.example]
    net = build(order=args.order, dt=args.dt, seed=args.seed)
    sim = Simulation(net)
    sim.run(args.t_sim)
    summary = sim.summary()
    summary["example"] = args.example
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"distsim run {args.example}: order {args.order}, seed {args.seed}, "
              f"dt {args.dt} ms, {args.t_sim} ms")
        _print_summary(summary)
    return 0


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        return {"run": cmd_run}[args.command](args)
    except DistsimError as exc:
        print(f"distsim: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
