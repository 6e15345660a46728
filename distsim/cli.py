"""Command line: ``distsim run [EXAMPLE|FILE] [options]``, ``distsim inspect``, ``distsim
partition``, ``distsim analyze STORE``, ``distsim export STORE FILE``, ``distsim convert IN
OUT`` (NIR graphs <-> model files).

``distsim run`` with no arguments simulates the built-in Brunel network (order 2500, 1 s)
and prints a summary ending in the spike digest, the SHA-256 of all recorded spikes as
sorted (step, gid) pairs, which is equal for equal spike trains on any machine and any
number of ranks.  Started under ``mpiexec -n N`` (or ``srun``) it uses the N ranks;
``--ranks N`` starts mpiexec itself on this machine.  ``distsim slurm KIND`` prints a Slurm
job script (distsim/slurm.py).
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys

from .errors import ConfigError, DistsimError
from .examples import EXAMPLES


def _parser():
    from distsim.comm.exchange import BACKENDS
    from distsim.partition import BALANCERS


    parser = argparse.ArgumentParser(prog="distsim", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    fmt = argparse.RawDescriptionHelpFormatter
    run = sub.add_parser("run", help="simulate an example network or a model file",
                         formatter_class=fmt, epilog="""examples:
  distsim run                                   Brunel order 2500, 1 s, store brunel.zarr
  distsim run microcircuit --scale 0.1 --t-sim 2000
  distsim run net.toml --ranks 4 --backend async --balancer balanced
  mpiexec -n 8 distsim run hpc_benchmark --scale 2
  distsim run --t-sim 600000 --checkpoint-dir ck --checkpoint-every 30min
  distsim run --resume ck --t-sim 600000 --ranks 2
  distsim run brunel --order 500 --ranks 4 --hardware loihi --fabric mesh:2x2 --backend routed
exit codes: 0 success, 2 usage or model error, 1 run failure""")
    run.add_argument("example", nargs="?", default="brunel",
                     help=f"an example ({', '.join(sorted(EXAMPLES))}; default brunel), a "
                          f"model file (.toml, .yaml) or a NIR graph (.nir)")
    run.add_argument("--order", type=int, default=2500,
                     help="brunel: network order (NE = 4 order, NI = order; default 2500)")
    run.add_argument("--epsilon", type=float, default=0.1,
                     help="brunel: connection probability, in-degree epsilon NE (default 0.1)")
    run.add_argument("--state", default=None, choices=["SR", "AI", "SI_fast", "SI_slow"],
                     help="brunel: one of Brunel's (2000) four states (default: g 5, eta 2 = AI)")
    run.add_argument("--scale", type=float, default=1.0,
                     help="microcircuit: scale of neuron numbers and in-degrees; hpc_benchmark: "
                          "of neuron numbers (default 1.0)")
    run.add_argument("--plastic", action="store_true",
                     help="hpc_benchmark: NEST's plastic E->E synapses (stdp_pl_synapse_hom; "
                          "default static)")
    run.add_argument("--background", default="poisson", choices=["poisson", "dc"],
                     help="microcircuit: external drive, Poisson trains or their DC equivalent "
                          "(default poisson)")
    run.add_argument("--t-sim", type=float, default=1000.0, help="model time in ms (default 1000)")
    run.add_argument("--dt", type=float, default=None,
                     help="examples: step in ms (default 0.1; a model file sets its own)")
    run.add_argument("--seed", type=int, default=None,
                     help="seed of all random streams (default 1, or the model file's)")
    run.add_argument("--ranks", type=int, default=None,
                     help="start this many MPI ranks on this machine (mpiexec from the mpich "
                          "wheel); under mpiexec/srun the launcher's ranks are used")
    run.add_argument("--backend", default="collective", choices=sorted(BACKENDS),
                     help="spike exchange between ranks (default collective)")
    run.add_argument("--balancer", default="block", choices=sorted(BALANCERS),
                     help="how neurons are distributed over ranks (default block)")
    run.add_argument("--hardware", default=None, metavar="PROFILE",
                     help="map the network onto chips of this profile (loihi, loihi2, "
                          "spinnaker, spinnaker2, truenorth, brainscales2, cpu) with the "
                          "hardware balancer, count per chip and link, and print the energy "
                          "and latency report (also written to the store)")
    run.add_argument("--fabric", default=None, metavar="SPEC",
                     help="with --hardware: mesh:WxH, torus:WxH, spinnaker:WxH or "
                          "boards:BxB(mesh:WxH) (default: the smallest square mesh that fits)")
    run.add_argument("--link-latency", type=float, default=None, metavar="MS",
                     help="latency of one chip-to-chip link in ms of model time, for the "
                          "routed exchange's link clocks and, with --hardware, checked "
                          "against every synapse between chips (default: the profile's "
                          "link latency at real time, when known, else 0)")
    run.add_argument("--bits-per-synapse", type=float, default=None, metavar="N",
                     help="with --hardware: bits one synapse takes, to check synapse memory "
                          "where the profile does not know it (e.g. loihi, spinnaker)")
    run.add_argument("--out", "--store", dest="store", default=None, metavar="STORE",
                     help="zarr run store for the recorded spikes (default: EXAMPLE.zarr here)")
    run.add_argument("--no-store", action="store_true", help="keep the spikes in memory only")
    run.add_argument("--checkpoint-dir", default=None,
                     help="write checkpoints (and what --resume needs) to this directory")
    run.add_argument("--checkpoint-every", default="30min", type=_duration,
                     help="wall-clock interval between checkpoints, e.g. 90s, 30min, 2h "
                          "(default 30min); also at the end and on SIGTERM/SIGUSR1")
    run.add_argument("--resume", default=None, metavar="DIR",
                     help="continue the run checkpointed in DIR up to --t-sim, appending to "
                          "its store (any --ranks, --balancer, --backend)")
    run.add_argument("--json", action="store_true", help="print the summary as one JSON object")

    for name, text in (("inspect", "sizes, smallest delay, memory per rank and warnings, "
                                   "before anything is built"),
                       ("partition", "load balance and expected spike traffic per rank, for "
                                     "every balancer")):
        ins = sub.add_parser(name, help=text, formatter_class=fmt,
                             epilog=f"example:\n  distsim {name} microcircuit --scale 0.1 "
                                    f"--ranks {1 if name == 'inspect' else 4}")
        ins.add_argument("example", help="an example name or a model file")
        ins.add_argument("--ranks", type=int, default=1 if name == "inspect" else 2)
        ins.add_argument("--balancer", default="block", choices=sorted(BALANCERS))
        ins.add_argument("--order", type=int, default=2500)
        ins.add_argument("--scale", type=float, default=1.0)
        ins.add_argument("--state", default=None)
        ins.add_argument("--background", default="poisson", choices=["poisson", "dc"])
        ins.add_argument("--json", action="store_true")
        if name == "partition":
            ins.add_argument("--hardware", default=None, metavar="PROFILE",
                             help="map onto chips of this profile (loihi, spinnaker, truenorth, "
                                  "...) and compare with round-robin: cut traffic, hops, link "
                                  "loads")
            ins.add_argument("--fabric", default=None, metavar="SPEC",
                             help="with --hardware: mesh:WxH, torus:WxH, spinnaker:WxH or "
                                  "boards:BXxBY(KIND:WxH) (default: the smallest square mesh)")
            ins.add_argument("--bits-per-synapse", type=float, default=None, metavar="N",
                             help="with --hardware: bits one synapse takes, to check synapse "
                                  "memory where the profile does not know it")

    an = sub.add_parser("analyze", help="statistics and plots of a run store (dask)",
                        formatter_class=fmt, epilog="""examples:
  distsim analyze brunel.zarr --t-start 100
  distsim analyze run.zarr --scheduler tcp://scheduler:8786 --out results/""")
    an.add_argument("store", help="the run store (a .zarr directory)")
    an.add_argument("--out", default=None, help="output directory (default: STORE.analysis)")
    an.add_argument("--scheduler", default=None,
                    help="address of a dask.distributed scheduler (default: a local cluster)")
    an.add_argument("--t-start", type=float, default=0.0,
                    help="leave out spikes before this time (ms), e.g. the transient")
    an.add_argument("--no-plots", action="store_true", help="only the table and summary.json")

    sub.add_parser("slurm", add_help=False,
                   help="print a Slurm job script: run, chain, scaling, sweep, analyze "
                        "(distsim slurm --help)")

    ex = sub.add_parser("export", help="write a run store's spikes as NEST ASCII or Parquet",
                        formatter_class=fmt, epilog="""examples:
  distsim export brunel.zarr spikes.dat          NEST's ASCII format (sender = gid + 1)
  distsim export brunel.zarr spikes.parquet""")
    ex.add_argument("store", help="the run store (a .zarr directory)")
    ex.add_argument("out", help="the file to write")
    ex.add_argument("--format", choices=["nest", "parquet"], default=None,
                    help="default: from the file name (.parquet, else nest)")

    cv = sub.add_parser("convert", help="convert between NIR graphs (.nir) and model files "
                                        "(.toml, .yaml)", formatter_class=fmt, epilog="""examples:
  distsim convert net.nir net.toml            NIR graph -> model file (NIR times in s)
  distsim convert net.toml net.nir            model file -> NIR graph
  distsim convert net.nir net.yaml --dt 0.05 --time-unit ms
units and node mapping: the docstring of distsim/nir_convert.py
exit codes: 0 success, 2 unreadable input or one the other format cannot express""")
    cv.add_argument("input", help="a .nir, .toml, .yaml or .yml file")
    cv.add_argument("output", help="the file to write (format from its suffix)")
    cv.add_argument("--dt", type=float, default=None,
                    help="step (ms) of a network imported from NIR (default: the graph's "
                         "metadata distsim_dt_ms, else 0.1)")
    cv.add_argument("--time-unit", default=None, choices=["s", "ms", "us"],
                    help="unit of the NIR time constants and delays (default: a read graph's "
                         "metadata time_unit, else s)")
    return parser


def _hardware_report(sim, store):
    """Energy and latency of the run on its chips (collective); rank 0 also writes it to
    the run store's attributes (``hardware``) and returns it."""
    from distsim.hardware.counters import chip_counters
    from distsim.hardware.energy import report

    counters = chip_counters(sim)
    if sim.context.rank != 0:
        return None
    rep = report(counters, sim.decomposition.hardware["profile"])
    rep["mapping"] = sim.decomposition.hardware
    rep["counters"] = {k: (v.tolist() if hasattr(v, "tolist") else v)
                       for k, v in counters.items()}
    if store:
        import zarr

        from distsim.store.writer import set_attrs
        set_attrs(zarr.open_group(store, mode="a"), {"hardware": json.loads(json.dumps(
            rep, default=float))})
    return rep


def _print_hardware(rep):
    e, lat = rep["energy"], rep["latency"]
    m = rep["mapping"]

    def joules(x):
        return "unknown" if x is None else f"{x:.4g} J"

    print(f"{'hardware':<18} {e['title']} on {m['fabric']}: {m['chips']} chips, "
          f"{m['cores']} cores ({e['scope']} energy constants)")
    print(f"{'energy':<18} {joules(e['total_J'])} (known terms {joules(e['known_J'])}); "
          f"{joules(e['per_synaptic_event_J'])} per synaptic event, "
          f"{joules(e['per_spike_J'])} per spike")
    for term, t in e["terms"].items():
        if t["energy_J"]:
            share = t["energy_J"] / e["known_J"] if e["known_J"] else 0.0
            print(f"{'':<18} {term:<22} {t['energy_J']:.4g} J ({100 * share:.1f} %)")
    if e["unknown_terms"]:
        print(f"{'':<18} unknown: {', '.join(e['unknown_terms'])}")
    def micros(x):
        return "unknown" if x is None else f"{x * 1e6:.3g} us"

    step = lat["step_s"]
    total = "unknown" if step is None else f"{lat['per_window_s']:.4g} s for the run"
    print(f"{'latency':<18} {micros(step)} per step ({total}): compute "
          f"{micros(lat['compute_per_step_s'])}, fabric {micros(lat['fabric_per_step_s'])}, "
          f"sync {micros(lat['sync_per_step_s'])}")


def _duration(text):
    """Seconds from '90s', '30min', '2h' or a plain number of seconds."""
    units = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            number = text[: -len(unit)]
            break
    else:
        number, unit = text, "s"
    try:
        value = float(number) * units[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"duration {text!r} is not understood; use e.g. 90s, 30min or 2h") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"duration {text!r} must be positive")
    return value


def _print_summary(s):
    rows = [
        ("neurons", f"{s['neurons']:,}"),
        ("synapses", f"{s['synapses']:,}"),
        ("spikes", f"{s['spikes']:,}"),
        ("mean rate", f"{s['mean_rate_hz']:.3f} Hz"),
        ("model time", f"{s['t_model_ms']:.1f} ms"),
        ("ranks", f"{s['ranks_total']} ({s['exchange']}, {s['decomposition']} balancer)"),
        ("build time", f"{s['build_s']:.2f} s"),
        ("wall time", f"{s['wall_s']:.2f} s"),
        ("real-time factor", f"{s['rtf']:.2f} (wall s per model s)"),
        ("synaptic events/s", f"{s['synaptic_events'] / max(s['wall_s'], 1e-12) / 1e6:.1f} M"),
    ]
    for name, value in rows:
        print(f"{name:<18} {value}")
    if s["ranks_total"] > 1:
        print(f"{'rank':>4} {'neurons':>9} {'spikes':>9} {'sent':>9} {'received':>9} "
              f"{'messages':>9} {'MB sent':>8} {'compute s':>9} {'wait s':>7}")
        for r in s["ranks"]:
            print(f"{r['rank']:>4} {r['neurons']:>9} {r['spikes']:>9} {r['spikes_sent']:>9} "
                  f"{r['spikes_received']:>9} {r['messages_sent']:>9} "
                  f"{r['bytes_sent'] / 1e6:>8.2f} {r['compute_s']:>9.2f} {r['wait_s']:>7.2f}")
    print(f"{'spike digest':<18} {s['digest']}")


def _relaunch(args, argv):
    """Run the same command under mpiexec with ``--ranks`` ranks."""
    if args.ranks < 1:
        raise ConfigError(f"distsim run: --ranks {args.ranks} is not a positive rank count")
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if not os.path.exists(mpiexec):
        mpiexec = shutil.which("mpiexec")
    if mpiexec is None:
        raise ConfigError("distsim run --ranks: no mpiexec found next to this Python (the mpich "
                          "wheel installs one); install distsim's dependencies")
    rest, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--ranks":
            skip = True
        elif not a.startswith("--ranks="):
            rest.append(a)
    cmd = [mpiexec, "-n", str(args.ranks), sys.executable, "-m", "distsim.cli", *rest]
    child = subprocess.Popen(cmd)
    for sig in (signal.SIGTERM, signal.SIGUSR1, signal.SIGINT):  # as Slurm signals the job
        signal.signal(sig, lambda signum, frame: child.send_signal(signum))
    return child.wait()


def cmd_run(args):
    from .checkpointing import run_with_checkpoints, start_run

    if args.bits_per_synapse is not None and not args.hardware:
        raise ConfigError("distsim run: --bits-per-synapse needs --hardware PROFILE")
    sim, plan = start_run(args)
    stopped = run_with_checkpoints(sim, plan)
    # with a store, the digest comes from it (the whole run, resumed parts included)
    summary = sim.summary(digest=plan["store"] is None)
    sensor_report = None
    if plan["example"] == "sensor" and not args.resume:
        from .examples.sensor import sensor_report as report
        sensor_report = report(sim, args.t_sim)
        summary["sensor"] = sensor_report
    hardware_report = None
    if args.hardware and not args.resume:
        hardware_report = _hardware_report(sim, plan["store"])
        summary["hardware"] = hardware_report
    if plan["store"] is not None:
        summary.update(plan["store_summary"](sim))
    if sim.context.rank == 0:
        summary["example"] = plan["example"]
        summary["store"] = plan["store"]
        summary["stopped"] = stopped
        if args.json:
            print(json.dumps(summary))
        else:
            what = {"brunel": f"order {plan.get('order')}, ",
                    "microcircuit": f"scale {plan.get('scale')}, {plan.get('background')} "
                                    f"background, ",
                    "hpc_benchmark": f"scale {plan.get('scale')}, "}.get(plan["example"], "")
            print(f"distsim run {plan['example']}: {what}seed {sim.network.seed}, "
                  f"dt {sim.dt} ms, to {plan['t_end_ms']} ms")
            _print_summary(summary)
            if plan["store"]:
                print(f"{'store':<18} {plan['store']}")
            if hardware_report:
                _print_hardware(hardware_report)
            if sensor_report:
                print(f"{'sensor responses':<18} {sensor_report['responses']} (units of the "
                      f"preferred direction; {sensor_report['null_direction_units']} of the null)")
                if sensor_report["responses"]:
                    print(f"{'response latency':<18} median {sensor_report['latency_ms_median']:.1f} "
                          f"ms (min {sensor_report['latency_ms_min']:.1f}, max "
                          f"{sensor_report['latency_ms_max']:.1f}): first edge event in a "
                          f"unit's receptive field -> its first spike")
            if stopped:
                print(f"stopped by a signal at {sim.t:g} ms; continue with: distsim run "
                      f"--resume {plan['checkpoint_dir']} --t-sim {plan['t_end_ms']:g}")
    return 0


def cmd_inspect(args):
    from .checkpointing import build_network
    from .inspect import describe

    net = build_network(args.example, {"order": args.order, "scale": args.scale,
                                       "state": args.state, "background": args.background},
                        None, None)
    if args.command == "partition" and args.hardware:
        return _hardware_partition(net, args)
    if getattr(args, "bits_per_synapse", None) is not None:
        raise ConfigError("distsim partition: --bits-per-synapse needs --hardware PROFILE")
    from distsim.partition import BALANCERS
    balancers = [args.balancer] if args.command == "inspect" else sorted(
        b for b in BALANCERS if b != "hardware")  # that one: distsim partition --hardware
    reports = [describe(net, args.ranks, b) for b in balancers]
    if args.json:
        print(json.dumps(reports if args.command == "partition" else reports[0]))
        return 0
    d = reports[0]
    print(f"{args.example}: {d['neurons']:,} neurons, {d['synapses_expected']:,.0f} synapses "
          f"expected, smallest delay {d['smallest_delay_ms']} ms, dt {d['dt_ms']} ms")
    for rep in reports:
        print(f"{rep['ranks']} ranks, {rep['balancer']} balancer: work imbalance "
              f"{rep['imbalance']:.3f}")
        print(f"{'rank':>5} {'neurons':>9} {'synapses':>13} {'memory GB':>10} {'work':>7} "
              f"{'sends/s':>10}")
        for r in rep["per_rank"]:
            print(f"{r['rank']:>5} {r['neurons']:>9} {r['synapses_expected']:>13,.0f} "
                  f"{r['memory_estimate_bytes'] / 1e9:>10.2f} {r['work_share']:>7.3f} "
                  f"{r['spike_sends_per_s_expected']:>10,.0f}")
    for w in d["warnings"]:
        print(f"warning: {w}")
    return 0


def _hardware_partition(net, args):
    from distsim.partition import hardware, mapping_report

    rep = mapping_report(net, hardware(net, args.ranks, profile=args.hardware,
                                       fabric=args.fabric,
                                       bits_per_synapse=args.bits_per_synapse))
    if args.json:
        print(json.dumps(rep))
        return 0
    per_core = ", ".join(f"{p} {n}" for p, n in rep["neurons_per_core"].items())
    print(f"{args.example} on {rep['profile']}, fabric {rep['fabric']}: {rep['neurons']:,} "
          f"neurons on {rep['cores_used']:,} cores of {rep['chips_used']} chips, "
          f"{rep['ranks']} ranks (neurons per core: {per_core})")
    print(f"limits checked: {', '.join(rep['limits_checked']) or 'none'}")
    for key, why in rep["limits_unchecked"].items():
        print(f"not checked: {key} ({why})")
    print(f"{'expected, per s':<22} {'mapping':>14} {'round-robin':>14}")
    for key in ("cut_traffic", "cut_fraction", "hop_traffic", "mean_hops", "max_link_load",
                "mean_link_load"):
        a, b = rep["mapping"][key], rep["round_robin"][key]
        fmt = ",.3f" if key in ("cut_fraction", "mean_hops") else ",.0f"
        print(f"{key.replace('_', ' '):<22} {a:>14{fmt}} {b:>14{fmt}}")
    return 0


def cmd_analyze(args):
    from .analysis import analyze
    from .analysis.report import format_table

    summary = analyze(args.store, out_dir=args.out, scheduler=args.scheduler,
                      t_start_ms=args.t_start, plots=not args.no_plots)
    state = "complete" if summary["complete"] else f"{summary['status']} (interrupted)"
    print(f"{args.store}: {summary['spikes']:,} spikes, {summary['t_start_ms']:g}-"
          f"{summary['t_end_ms']:g} ms, run {state}")
    print(format_table(summary))
    out = os.path.dirname(next(iter(summary.get("plots", {}).values()), "")) or args.out
    print(f"summary and plots in {out or str(args.store).rstrip('/') + '.analysis'}")
    return 0


def cmd_export(args):
    from .store.export import export_spikes

    fmt = args.format or ("parquet" if args.out.endswith(".parquet") else "nest")
    n = export_spikes(args.store, args.out, fmt)
    print(f"{n:,} spikes written to {args.out} ({fmt})")
    return 0


def cmd_convert(args):
    from .nir_convert import convert

    net = convert(args.input, args.output, dt=args.dt, time_unit=args.time_unit)
    print(f"{args.input} -> {args.output}: {len(net.populations)} populations, "
          f"{net.n_neurons:,} neurons, {len(net.projections)} projections, dt {net.dt} ms")
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["slurm"]:  # its own parser: options it does not know go to distsim run
        from .slurm import main as slurm_main
        return slurm_main(argv[1:])
    args = _parser().parse_args(argv)
    from distsim.comm import default_context, launched_under_mpi

    try:
        if args.command == "run" and args.ranks is not None and not launched_under_mpi():
            return _relaunch(args, argv)
        return {"run": cmd_run, "analyze": cmd_analyze, "export": cmd_export,
                "inspect": cmd_inspect, "partition": cmd_inspect,
                "convert": cmd_convert}[args.command](args)
    except DistsimError as exc:
        context = default_context() if launched_under_mpi() else None
        where = f" on rank {context.rank}" if context else ""
        print(f"distsim: error{where}: {exc}", file=sys.stderr)
        if context is not None:
            context.abort(2)
        return 2


if __name__ == "__main__":
    sys.exit(main())
