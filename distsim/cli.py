"""Command line: ``distsim run [EXAMPLE|FILE] [options]``, ``distsim inspect``, ``distsim
partition``, ``distsim analyze STORE``, ``distsim export STORE FILE``, ``distsim convert IN
OUT`` (NIR graphs <-> model files), ``distsim slurm KIND`` (Slurm job scripts).

``distsim run`` with no arguments simulates the built-in Brunel network (order 2500, 1 s)
and prints a summary ending in the spike digest, the SHA-256 of all recorded spikes as
sorted (step, gid) pairs, which is equal for equal spike trains on any machine and any
number of ranks.  Started under ``mpiexec -n N`` (or ``srun``) it uses the N ranks;
``--ranks N`` starts mpiexec itself on this machine (launcher.py).

The command line only reads and checks options: ``run`` builds a RunConfig for the runner
(runner.py); every option is checked for its range and for whether it applies to the chosen
model, and every error is one line ``distsim: error: ...`` with exit status 2 (1 for a run
that fails), without a traceback.
"""

import json
import logging
import os
import sys
import time

from .errors import ConfigError, DistsimError, failure_reason
from .options import RANKS_PER_CORE, build_parser, network_settings, run_config

_T0 = time.perf_counter()
log = logging.getLogger("distsim")
_RANK_BASELINE_BYTES = 200e6  # an idle rank: interpreter, numba, MPI, zarr (170-191 MB)


def _check_ranks(args):
    """--ranks x --threads within the cores (x RANKS_PER_CORE with --oversubscribe) and the
    memory."""
    from .memory_limit import budget

    cores = len(os.sched_getaffinity(0))
    limit = cores * (RANKS_PER_CORE if args.oversubscribe else 1)
    used = args.ranks * args.threads
    if used > limit:
        more = (
            f"at most {limit} ({RANKS_PER_CORE} per core) with --oversubscribe"
            if args.oversubscribe
            else f"or --oversubscribe to run up to {cores * RANKS_PER_CORE} on {cores} cores"
        )
        what = f"--ranks {args.ranks}" + (
            f" x --threads {args.threads} = {used} threads" if args.threads > 1 else ""
        )
        raise ConfigError(
            f"distsim run: {what} exceeds the {cores} cores available here; give "
            f"{cores} or fewer{' in all' if args.threads > 1 else ''}, {more}"
        )
    need = args.ranks * _RANK_BASELINE_BYTES
    limit = budget(ranks=1)  # this launcher, for all its ranks
    if need > limit.total:
        raise ConfigError(
            f"distsim run: --ranks {args.ranks} needs about {need / 1e9:.1f} GB "
            f"before any network ({_RANK_BASELINE_BYTES / 1e6:.0f} MB per rank) "
            f"but {limit.total / 1e9:.1f} GB are available ({limit.where()}); give fewer ranks"
        )


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
    rep["counters"] = {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in counters.items()}
    if store:
        import zarr

        from distsim.store.writer import set_attrs

        set_attrs(
            zarr.open_group(store, mode="a"),
            {"hardware": json.loads(json.dumps(rep, default=float))},
        )
    return rep


def _print_hardware(rep):
    e, lat = rep["energy"], rep["latency"]
    m = rep["mapping"]

    def joules(x):
        return "unknown" if x is None else f"{x:.4g} J"

    print(
        f"{'hardware':<18} {e['title']} on {m['fabric']}: {m['chips']} chips, "
        f"{m['cores']} cores ({e['scope']} energy constants)"
    )
    print(
        f"{'energy':<18} {joules(e['total_J'])} (known terms {joules(e['known_J'])}); "
        f"{joules(e['per_synaptic_event_J'])} per synaptic event, "
        f"{joules(e['per_spike_J'])} per spike"
    )
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
    print(
        f"{'latency':<18} {micros(step)} per step ({total}): compute "
        f"{micros(lat['compute_per_step_s'])}, fabric {micros(lat['fabric_per_step_s'])}, "
        f"sync {micros(lat['sync_per_step_s'])}"
    )


def _print_summary(s):
    parts = ", ".join(
        f"{name} {s[key]:.2f}"
        for name, key in (
            ("build", "build_s"),
            ("compile", "compile_s"),
            ("simulation", "simulate_s"),
            ("store writes", "store_s"),
            ("checkpoints", "checkpoint_s"),
            ("other", "other_s"),
        )
    )
    rows = [
        ("neurons", f"{s['neurons']:,}"),
        ("synapses", f"{s['synapses']:,}"),
        ("spikes", f"{s['spikes']:,}"),
        ("mean rate", f"{s['mean_rate_hz']:.3f} Hz"),
        ("model time", f"{s['t_model_ms']:.1f} ms"),
        ("ranks", f"{s['ranks_total']} ({s['exchange']}, {s['decomposition']} balancer)"),
        ("wall time", f"{s['wall_s']:.2f} s ({parts})"),
        ("real-time factor", f"{s['rtf']:.2f} (simulation wall s per model s)"),
        (
            "synaptic events/s",
            f"{s['synaptic_events'] / max(s['simulate_s'], 1e-12) / 1e6:.1f} "
            f"M (of simulation time)",
        ),
    ]
    for name, value in rows:
        print(f"{name:<18} {value}")
    if s["ranks_total"] > 1:
        print(
            f"{'rank':>4} {'neurons':>9} {'spikes':>9} {'sent':>9} {'received':>9} "
            f"{'messages':>9} {'MB sent':>8} {'compute s':>9} {'remote s':>8} {'wait s':>7} "
            f"{'other s':>7}"
        )
        for r in s["ranks"]:
            print(
                f"{r['rank']:>4} {r['neurons']:>9} {r['spikes']:>9} {r['spikes_sent']:>9} "
                f"{r['spikes_received']:>9} {r['messages_sent']:>9} "
                f"{r['bytes_sent'] / 1e6:>8.2f} {r['compute_s']:>9.2f} {r['remote_s']:>8.2f} "
                f"{r['wait_s']:>7.2f} {r['bookkeeping_s']:>7.2f}"
            )
        from .comm.exchange import exchange_per_step

        e = exchange_per_step(s["ranks"])
        wait, other = e["wait_us_per_step"], e["bookkeeping_us_per_step"]
        print(
            f"{'exchange':<18} {e['windows']:,} windows; per step (rank mean): wait "
            f"{wait:.1f} us, other {other:.1f} us (packing, posting, testing, Python)"
        )
    print(f"{'spike digest':<18} {s['digest']}")


def cmd_run(args):
    from .runner import run_to_end, start_run, store_summary

    config = run_config(args)
    sim, plan = start_run(config)
    ended = run_to_end(sim, plan)
    # with a store, the digest comes from it (the whole run, resumed parts included)
    summary = sim.summary(digest=plan["store"] is None)
    example = plan["example"]
    sensor_report = None
    if example == "sensor" and not config.resume:
        from .examples.sensor import sensor_report as report

        sensor_report = report(sim, config.t_sim_ms)
        summary["sensor"] = sensor_report
    hardware_report = None
    if config.hardware:
        hardware_report = _hardware_report(sim, plan["store"])
        summary["hardware"] = hardware_report
    if plan["store"] is not None:
        summary.update(store_summary(sim))
    summary["wall_s"] = sim.context.allreduce(time.perf_counter() - _T0, "max")
    summary["other_s"] = max(
        0.0,
        summary["wall_s"]
        - sum(
            summary[k] for k in ("build_s", "compile_s", "simulate_s", "store_s", "checkpoint_s")
        ),
    )
    if sim.context.rank == 0:
        summary.update(
            example=example, store=plan["store"], ended=ended, stopped=ended != "complete"
        )
        if args.json:
            print(json.dumps(summary))
        else:
            what = ", ".join(
                f"{k} {v}" for k, v in plan.get("options", {}).items() if v is not None
            )
            print(
                f"distsim run {example}: {what + ', ' if what else ''}seed {sim.network.seed}, "
                f"dt {sim.dt} ms, to {plan['t_end_ms']:.10g} ms"
            )
            _print_summary(summary)
            if plan["store"]:
                print(f"{'store':<18} {plan['store']} ({ended})")
            if hardware_report:
                _print_hardware(hardware_report)
            if sensor_report:
                print(
                    f"{'sensor responses':<18} {sensor_report['responses']} (units of the "
                    f"preferred direction; {sensor_report['null_direction_units']} of the null)"
                )
                if sensor_report["responses"]:
                    print(
                        f"{'response latency':<18} median {sensor_report['latency_ms_median']:.1f} "
                        f"ms (min {sensor_report['latency_ms_min']:.1f}, max "
                        f"{sensor_report['latency_ms_max']:.1f}): first edge event in a "
                        f"unit's receptive field -> its first spike"
                    )
        if ended == "stopped":
            log.warning(
                "stopped by a signal at %.10g ms; continue with: distsim run --resume %s "
                "--t-sim %.10g",
                sim.t,
                plan["folder"].path,
                plan["t_end_ms"],
            )
        elif ended == "interrupted":
            log.warning(
                "interrupted by a signal at %.10g ms; the store keeps the spikes up to "
                "there and says 'interrupted'",
                sim.t,
            )
    if ended == "interrupted":
        return 128 + int(plan["signals"].caught or 2)
    return 0


def cmd_inspect(args):
    from .inspect import describe
    from .runner import build_network

    where = f"distsim {args.command}"
    example, options, dt, seed = network_settings(args, where)
    net = build_network(example, options, dt, seed)
    if args.ranks > net.n_neurons:
        raise ConfigError(
            f"{where} {example}: --ranks {args.ranks} exceeds the network's "
            f"{net.n_neurons:,} neurons; give --ranks {net.n_neurons} or fewer"
        )
    _check_inspect_memory(net, where, example)
    if args.command == "partition" and args.hardware:
        return _hardware_partition(net, args)
    if args.command == "partition" and (args.fabric or args.bits_per_synapse is not None):
        raise ConfigError(f"{where}: --fabric and --bits-per-synapse need --hardware PROFILE")
    from distsim.partition import BALANCERS

    balancers = (
        [args.balancer]
        if args.command == "inspect"
        else sorted(b for b in BALANCERS if b != "hardware")
    )  # that one: distsim partition --hardware
    reports = [describe(net, args.ranks, b) for b in balancers]
    if args.json:
        print(json.dumps(reports if args.command == "partition" else reports[0]))
        return 0
    d = reports[0]
    print(
        f"{example}: {d['neurons']:,} neurons, {d['synapses_expected']:,.0f} synapses "
        f"expected, smallest delay {d['smallest_delay_ms']} ms, dt {d['dt_ms']} ms"
    )
    for rep in reports:
        print(
            f"{rep['ranks']} ranks, {rep['balancer']} balancer: work imbalance "
            f"{rep['imbalance']:.3f}"
        )
        _print_ranks(rep["per_rank"])
    for w in d["warnings"]:
        log.warning(w)
    return 0


_RANK_COLUMNS = (  # (heading, width, key, scale, format) of distsim inspect's table
    ("neurons", 9, "neurons", 1, ",.0f"),
    ("stored syn", 14, "synapses_expected", 1, ",.0f"),
    ("procedural", 14, "procedural_synapses_expected", 1, ",.0f"),
    ("memory GB", 10, "memory_estimate_bytes", 1e-9, ".2f"),
    ("work", 7, "work_share", 1, ".4f"),
    ("spikes out/step", 16, "spikes_out_per_step", 1, ",.1f"),
    ("in/step", 10, "spikes_in_per_step", 1, ",.1f"),
)


def _print_ranks(per_rank):
    """One line per rank; beyond 16 ranks the minimum, median and maximum over ranks of each
    column, and the memory of the largest rank by part."""
    import numpy as np

    head = f"{'rank':>6} " + " ".join(f"{h:>{w}}" for h, w, *_ in _RANK_COLUMNS)

    def row(label, values):
        return f"{label:>6} " + " ".join(
            f"{v * s:>{w}{f}}" for v, (_, w, _, s, f) in zip(values, _RANK_COLUMNS)
        )

    print(head)
    table = np.array([[r[key] for _, _, key, *_ in _RANK_COLUMNS] for r in per_rank], float)
    if len(per_rank) <= 16:
        for r, values in zip(per_rank, table):
            print(row(r["rank"], values))
        return
    for label, values in (
        ("min", table.min(axis=0)),
        ("median", np.median(table, axis=0)),
        ("max", table.max(axis=0)),
    ):
        print(row(label, values))
    big = max(per_rank, key=lambda r: r["memory_estimate_bytes"])
    parts = ", ".join(
        f"{k} {v / 1e9:.3g}" for k, v in big["memory_parts_bytes"].items() if v >= 1e6
    )
    print(f"largest rank {big['rank']}: {big['memory_estimate_bytes'] / 1e9:.2f} GB ({parts})")


_INSPECT_BYTES_PER_NEURON = 64  # the estimate's per-neuron arrays (decomposition, work)


def _check_inspect_memory(net, where, example):
    """The estimate itself holds a few arrays per neuron: refuse a network for which even
    they do not fit."""
    from .memory_limit import budget

    need = _INSPECT_BYTES_PER_NEURON * net.n_neurons
    limit = budget()
    if need > limit.per_rank:
        raise ConfigError(
            f"{where} {example}: {net.n_neurons:,} neurons; describing them needs "
            f"about {need / 1e9:.3g} GB but {limit.per_rank / 1e9:.2f} GB are available "
            f"({limit.where()}); describe a smaller network"
        )


def _hardware_partition(net, args):
    from distsim.partition import hardware, mapping_report

    rep = mapping_report(
        net,
        hardware(
            net,
            args.ranks,
            profile=args.hardware,
            fabric=args.fabric,
            bits_per_synapse=args.bits_per_synapse,
        ),
    )
    if args.json:
        print(json.dumps(rep))
        return 0
    per_core = ", ".join(f"{p} {n}" for p, n in rep["neurons_per_core"].items())
    print(
        f"{args.example} on {rep['profile']}, fabric {rep['fabric']}: {rep['neurons']:,} "
        f"neurons on {rep['cores_used']:,} cores of {rep['chips_used']} chips, "
        f"{rep['ranks']} ranks (neurons per core: {per_core})"
    )
    print(f"limits checked: {', '.join(rep['limits_checked']) or 'none'}")
    for key, why in rep["limits_unchecked"].items():
        print(f"not checked: {key} ({why})")
    print(f"{'expected, per s':<22} {'mapping':>14} {'round-robin':>14}")
    for key in (
        "cut_traffic",
        "cut_fraction",
        "hop_traffic",
        "mean_hops",
        "max_link_load",
        "mean_link_load",
    ):
        a, b = rep["mapping"][key], rep["round_robin"][key]
        fmt = ",.3f" if key in ("cut_fraction", "mean_hops") else ",.0f"
        print(f"{key.replace('_', ' '):<22} {a:>14{fmt}} {b:>14{fmt}}")
    return 0


def cmd_compile(args):
    from .precompile import precompile
    from .runner import build_network

    args.example = args.example or "brunel"
    example, options, dt, seed = network_settings(args, "distsim compile")
    if args.hardware:
        from .hardware.profiles import load_profile

        load_profile(args.hardware)
    net = build_network(example, options, dt, seed)
    t0 = time.perf_counter()
    ranks = args.ranks or 1
    done = precompile(net, ranks, args.balancer, args.threads)
    for text, seconds in done:
        print(f"{seconds:7.2f} s  {text}")
    print(
        f"{example}: {len(done)} kernel set(s) for {ranks} rank(s) in "
        f"{time.perf_counter() - t0:.1f} s, in the kernel cache"
    )
    return 0


def cmd_analyze(args):
    from .analysis import analyze
    from .analysis.report import format_table

    summary = analyze(
        args.store,
        out_dir=args.out,
        scheduler=args.scheduler,
        t_start_ms=args.t_start,
        plots=not args.no_plots,
        overwrite=args.overwrite,
        n_sample=args.sample,
        raster_neurons=args.raster_neurons,
        raster_ms=args.raster_ms,
        corr_bin_ms=args.corr_bin,
        fano_bin_ms=args.fano_bin,
        pop_rate_bin_ms=args.pop_rate_bin,
        rate_hist_bin_hz=args.rate_hist_bin,
        cv_hist_bin=args.cv_hist_bin,
    )
    state = "complete" if summary["complete"] else f"{summary['status']} (not complete)"
    print(
        f"{args.store}: {summary['spikes']:,} spikes, {summary['t_start_ms']:g}-"
        f"{summary['t_end_ms']:g} ms, run {state}"
    )
    print(format_table(summary))
    print(f"summary and plots in {summary['out_dir']}")
    return 0


def cmd_export(args):
    from .store.export import export_spikes

    fmt = args.format or ("parquet" if args.out.endswith(".parquet") else "nest")
    n = export_spikes(args.store, args.out, fmt, overwrite=args.overwrite)
    print(f"{n:,} spikes written to {args.out} ({fmt})")
    return 0


def cmd_convert(args):
    from .nir_convert import convert

    if os.path.lexists(args.output):
        raise ConfigError(
            f"distsim convert: {args.output} exists; distsim does not replace "
            f"files; give a new path"
        )
    net = convert(args.input, args.output, dt=args.dt, time_unit=args.time_unit)
    print(
        f"{args.input} -> {args.output}: {len(net.populations)} populations, "
        f"{net.n_neurons:,} neurons, {len(net.projections)} projections, dt {net.dt} ms"
    )
    return 0


class _Formatter(logging.Formatter):
    def format(self, record):
        text = record.getMessage()
        if record.levelno >= logging.WARNING:
            return f"distsim: {record.levelname.lower()}: {text}"
        return f"distsim: {text}"


def configure_logging(verbose=0, quiet=0, rank=0):
    """distsim's messages on stderr through ``logging``: info and up by default, debug with
    -v, warnings only with -q, errors only with -qq; ranks other than 0 warnings and up."""
    level = (
        logging.DEBUG
        if verbose
        else {0: logging.INFO, 1: logging.WARNING}.get(quiet, logging.ERROR)
    )
    if rank:
        level = max(level, logging.WARNING)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["slurm"]:  # its own parser: options it does not know go to distsim run
        from .slurm import main as slurm_main

        return slurm_main(argv[1:])
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # a usage error (one line, exit 2), --help or --version (0)
        return exc.code
    from distsim.comm import default_context, launched_under_mpi

    under_mpi = launched_under_mpi()
    context = default_context() if under_mpi else None
    configure_logging(args.verbose, args.quiet, context.rank if context else 0)
    try:
        if args.command == "run" and args.ranks is not None and not under_mpi:
            run_config(args)  # every option checked before any rank starts
            _check_ranks(args)
            from .launcher import launch

            return launch(args.ranks, _without_ranks(argv), args.threads)
        return {
            "run": cmd_run,
            "compile": cmd_compile,
            "analyze": cmd_analyze,
            "export": cmd_export,
            "inspect": cmd_inspect,
            "partition": cmd_inspect,
            "convert": cmd_convert,
        }[args.command](args)
    except DistsimError as exc:
        return _fail(exc, context, 1 if isinstance(exc, RuntimeError) else 2)
    except KeyboardInterrupt:
        log.error("interrupted (SIGINT)")
        return 130
    except (OSError, MemoryError) as exc:
        return _fail(exc, context, 1)


def _fail(exc, context, status):
    """One line on stderr (rank 0's only for an error every rank raised) and ``status``; a
    rank alone with its error ends the job (MPI_Abort)."""
    collective = getattr(exc, "collective", False)
    if context is None or context.rank == 0 or not collective:
        where = f" on rank {context.rank}" if context is not None and not collective else ""
        text = str(exc) if isinstance(exc, DistsimError) else failure_reason(exc)
        sys.stderr.write(f"distsim: error{where}: {text}\n")
        sys.stderr.flush()
    if context is not None and context.size > 1 and not collective:
        context.abort(status)
    return status


def _without_ranks(argv):
    """``argv`` without --ranks N and --oversubscribe (the ranks get the rest)."""
    rest, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--ranks":
            skip = True
        elif not a.startswith("--ranks=") and a != "--oversubscribe":
            rest.append(a)
    return rest


if __name__ == "__main__":
    sys.exit(main())
