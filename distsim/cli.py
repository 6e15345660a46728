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
import argparse
import json
import logging
import math
import os
import sys
import time

from .errors import ConfigError, DistsimError, failure_reason
from .examples import EXAMPLES

_T0 = time.perf_counter()
log = logging.getLogger("distsim")
_MODEL_FILES = (".toml", ".yaml", ".yml")
_RANKS_PER_CORE = 4  # --oversubscribe: at most this many ranks per available core
_RANK_BASELINE_BYTES = 200e6  # an idle rank: interpreter, numba, zarr, dask, MPI
_INSPECT_MAX_RANKS = 1 << 20


def _positive_duration(text):
    """Seconds from '90s', '30min', '2h' or a plain number of seconds (finite, > 0)."""
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
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"duration {text!r} must be a positive, finite time")
    return value


def _number(kind, low=None, high=None, low_open=False, what="value"):
    """An argparse type: ``kind`` (int or float), finite, within [low, high] (low excluded
    when ``low_open``)."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
        bad = not math.isfinite(value)
        bad |= low is not None and (value <= low if low_open else value < low)
        bad |= high is not None and value > high
        if bad:
            lo = "" if low is None else f"{low} {'<' if low_open else '<='} "
            hi = "" if high is None else f" <= {high}"
            raise argparse.ArgumentTypeError(f"{text} is out of range; use a finite {lo}{what}{hi}")
        return value
    return parse


def _example_flags():
    """Each example option once (the first declaration's type and range; the help names
    the examples that take it)."""
    flags = {}
    for name, example in EXAMPLES.items():
        for opt in example.options:
            first, users = flags.setdefault(opt.flag, (opt, []))
            users.append(f"{name}: {opt.help}")
    return flags


def add_network_options(parser, optional_example=False):
    """The options that describe a network (shared by run, inspect, partition and slurm);
    ``optional_example``: the model may be left out (run: brunel)."""
    parser.add_argument("example", nargs="?" if optional_example else None, default=None,
                        help=f"an example ({', '.join(sorted(EXAMPLES))}"
                             f"{'; default brunel' if optional_example else ''}), a model "
                             f"file (.toml, .yaml) or a NIR graph (.nir)")
    for flag, (opt, users) in _example_flags().items():
        text = "; ".join(users) + (f" (default {opt.default})" if not opt.switch else "")
        if opt.switch:
            parser.add_argument(flag, dest=opt.keyword, action="store_true", default=None,
                                help=text)
        else:
            parser.add_argument(flag, dest=f"opt_{flag[2:].replace('-', '_')}",
                                type=opt.type, default=None,
                                choices=list(opt.choices) or None, help=text)
    parser.add_argument("--dt", type=_number(float, 0.0, 100.0, low_open=True, what="dt"),
                        default=None,
                        help="examples and NIR graphs: time step in ms (default 0.1; a model "
                             "file sets its own)")
    parser.add_argument("--seed", type=_number(int, 0, 2 ** 63 - 1, what="seed"),
                        default=None,
                        help="seed of every random stream (default: the example's, 1, or the "
                             "model file's)")


def network_settings(args, where):
    """(example, keyword options of its network function, dt, seed) from ``args``; an
    option that does not apply to the chosen model, or is out of range, is a ConfigError."""
    example = args.example
    flags = _example_flags()
    given = {flag: _given(args, opt) for flag, (opt, _) in flags.items()}
    given = {flag: value for flag, value in given.items() if value is not None}
    if example in EXAMPLES:
        own = {opt.flag: opt for opt in EXAMPLES[example].options}
        for flag in given:
            if flag not in own:
                raise ConfigError(f"{where} {example}: {flag} does not apply to {example}; "
                                  f"its options are {', '.join(own) or 'none'} (and --dt, --seed)")
        options = {opt.keyword: opt.keyword_value(opt.check(given.get(opt.flag, opt.default),
                                                            f"{where} {example}"))
                   for opt in own.values()}
        return example, options, args.dt, args.seed
    if given:
        raise ConfigError(f"{where} {example}: {next(iter(given))} is an option of the built-in "
                          f"examples; a model file or NIR graph describes its network itself")
    if example.endswith(_MODEL_FILES) and args.dt is not None:
        raise ConfigError(f"{where} {example}: --dt does not apply to a model file; set dt in "
                          f"the file's [network] table")
    if not example.endswith((*_MODEL_FILES, ".nir")):
        raise ConfigError(f"{where}: {example!r} is neither an example "
                          f"({', '.join(sorted(EXAMPLES))}) nor a model file (.toml, .yaml, "
                          f".yml) or NIR graph (.nir)")
    return example, {}, args.dt, args.seed


def _given(args, opt):
    if opt.switch:
        return getattr(args, opt.keyword, None)
    return getattr(args, f"opt_{opt.flag[2:].replace('-', '_')}", None)


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, ``distsim: error: ...`` (exit 2), as
    every other error of distsim; ``--help`` still shows the usage."""

    def error(self, message):
        self.exit(2, f"distsim: error: {self.prog}: {message}; see {self.prog} --help\n")


def build_parser():
    """The parser of ``distsim`` (``distsim slurm`` has its own: slurm.py)."""
    from distsim import __version__
    from distsim.comm.exchange import BACKENDS
    from distsim.partition import BALANCERS

    verbosity = Parser(add_help=False)
    verbosity.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                           help="say more (debug messages)")
    verbosity.add_argument("-q", "--quiet", action="count", default=argparse.SUPPRESS,
                           help="say less: no progress (-qq: errors only)")
    parser = Parser(prog="distsim", description=__doc__.splitlines()[0], parents=[verbosity])
    parser.set_defaults(verbose=0, quiet=0)
    parser.add_argument("--version", action="version", version=f"distsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    fmt = argparse.RawDescriptionHelpFormatter
    run = sub.add_parser("run", help="simulate an example network or a model file",
                         formatter_class=fmt, parents=[verbosity], epilog="""examples:
  distsim run                                   Brunel order 2500, 1 s, store brunel.zarr
  distsim run microcircuit --scale 0.1 --t-sim 2000
  distsim run net.toml --ranks 4 --backend async --balancer balanced
  mpiexec -n 8 distsim run hpc_benchmark --scale 2
  distsim run --t-sim 600000 --checkpoint-dir ck --checkpoint-every 30min
  distsim run --resume ck --t-sim 600000 --ranks 2
  distsim run brunel --order 500 --ranks 4 --hardware loihi --fabric mesh:2x2 --backend routed
exit codes: 0 success (also: stopped by a signal after a checkpoint), 2 usage or model error,
1 run failure, 128 + N stopped by signal N without a checkpoint""")
    add_network_options(run, optional_example=True)
    run.add_argument("--t-sim", type=_number(float, 0.0, what="t_sim"), default=1000.0,
                     help="model time in ms to reach (default 1000)")
    run.add_argument("--ranks", type=_number(int, 1, what="ranks"), default=None,
                     help="start this many MPI ranks on this machine (mpiexec from the mpich "
                          "wheel), at most one per available core unless --oversubscribe; "
                          "under mpiexec/srun the launcher's ranks are used")
    run.add_argument("--oversubscribe", action="store_true",
                     help=f"with --ranks: allow up to {_RANKS_PER_CORE} ranks per core (slower; "
                          f"for testing communication)")
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
    run.add_argument("--link-latency", type=_number(float, 0.0, what="latency"), default=None,
                     metavar="MS",
                     help="latency of one chip-to-chip link in ms of model time, for the "
                          "routed exchange's link clocks and, with --hardware, checked "
                          "against every synapse between chips (default: the profile's "
                          "link latency at real time, when known, else 0)")
    run.add_argument("--bits-per-synapse", type=_number(float, 0.0, low_open=True, what="bits"),
                     default=None, metavar="N",
                     help="with --hardware: bits one synapse takes, to check synapse memory "
                          "where the profile does not know it (e.g. loihi, spinnaker)")
    run.add_argument("--out", "--store", dest="store", default=None, metavar="STORE",
                     help="zarr run store for the recorded spikes: a new path or an empty "
                          "folder (default: EXAMPLE.zarr here, or EXAMPLE-2.zarr, ... if taken)")
    run.add_argument("--no-store", action="store_true", help="keep the spikes in memory only")
    run.add_argument("--overwrite", action="store_true",
                     help="replace an earlier distsim run store at --out (and checkpoints at "
                          "--checkpoint-dir); only files distsim wrote are removed")
    run.add_argument("--checkpoint-dir", default=None, metavar="DIR",
                     help="write checkpoints (and what --resume needs) to this folder: a new "
                          "path or an empty folder")
    run.add_argument("--checkpoint-every", default=None, type=_positive_duration,
                     metavar="TIME",
                     help="with --checkpoint-dir: wall-clock interval between checkpoints, "
                          "e.g. 90s, 30min, 2h (default 30min); also at the end and on "
                          "SIGINT/SIGTERM/SIGUSR1")
    run.add_argument("--resume", default=None, metavar="DIR",
                     help="continue the run checkpointed in DIR up to --t-sim, appending to "
                          "its store (any --ranks, --balancer, --backend)")
    run.add_argument("--json", action="store_true", help="print the summary as one JSON object")

    for name, text in (("inspect", "sizes, smallest delay, memory per rank and warnings, "
                                   "before anything is built"),
                       ("partition", "load balance and expected spike traffic per rank, for "
                                     "every balancer")):
        ins = sub.add_parser(name, help=text, formatter_class=fmt, parents=[verbosity],
                             epilog=f"example:\n  distsim {name} microcircuit --scale 0.1 "
                                    f"--ranks {1 if name == 'inspect' else 4}")
        add_network_options(ins)
        ins.add_argument("--ranks", type=_number(int, 1, _INSPECT_MAX_RANKS, what="ranks"),
                         default=1 if name == "inspect" else 2,
                         help=f"number of ranks to describe (default "
                              f"{1 if name == 'inspect' else 2}; any count, nothing is started)")
        ins.add_argument("--balancer", default="block", choices=sorted(BALANCERS),
                         help="how neurons are distributed over ranks (default block"
                              f"{'' if name == 'inspect' else '; partition compares all'})")
        ins.add_argument("--json", action="store_true", help="print the report as JSON")
        if name == "partition":
            ins.add_argument("--hardware", default=None, metavar="PROFILE",
                             help="map onto chips of this profile (loihi, spinnaker, truenorth, "
                                  "...) and compare with round-robin: cut traffic, hops, link "
                                  "loads")
            ins.add_argument("--fabric", default=None, metavar="SPEC",
                             help="with --hardware: mesh:WxH, torus:WxH, spinnaker:WxH or "
                                  "boards:BXxBY(KIND:WxH) (default: the smallest square mesh)")
            ins.add_argument("--bits-per-synapse",
                             type=_number(float, 0.0, low_open=True, what="bits"),
                             default=None, metavar="N",
                             help="with --hardware: bits one synapse takes, to check synapse "
                                  "memory where the profile does not know it")

    an = sub.add_parser("analyze", help="statistics and plots of a run store (dask)",
                        formatter_class=fmt, parents=[verbosity], epilog="""examples:
  distsim analyze brunel.zarr --t-start 100
  distsim analyze run.zarr --scheduler tcp://scheduler:8786 --out results/""")
    an.add_argument("store", help="the run store (a .zarr folder)")
    an.add_argument("--out", default=None,
                    help="output folder: a new path or an empty folder (default: "
                         "STORE.analysis)")
    an.add_argument("--overwrite", action="store_true",
                    help="replace an earlier analysis in --out (only its own files)")
    an.add_argument("--scheduler", default=None,
                    help="address of a dask.distributed scheduler (default: a local cluster)")
    an.add_argument("--t-start", type=_number(float, 0.0, what="t_start"), default=0.0,
                    help="leave out spikes before this time (ms), e.g. the transient")
    an.add_argument("--no-plots", action="store_true", help="only the table and summary.json")
    an.add_argument("--sample", type=_number(int, 2, what="neurons"), default=200,
                    metavar="N",
                    help="neurons drawn per population whose pairs give the correlations "
                         "(default 200)")
    an.add_argument("--raster-neurons", type=_number(int, 1, what="neurons"), default=50,
                    metavar="N", help="neurons per population in the raster (default 50)")
    an.add_argument("--raster-ms", type=_number(float, 0.0, low_open=True, what="time"),
                    default=1000.0, metavar="MS",
                    help="the raster shows the last MS ms of the analysed time (default 1000)")
    an.add_argument("--corr-bin", type=_number(float, 0.0, low_open=True, what="bin"),
                    default=1.0, metavar="MS",
                    help="spike counts in bins of MS ms give the correlations (default 1)")
    an.add_argument("--fano-bin", type=_number(float, 0.0, low_open=True, what="bin"),
                    default=10.0, metavar="MS",
                    help="population spike counts in bins of MS ms give the Fano factor "
                         "(default 10)")
    an.add_argument("--pop-rate-bin", type=_number(float, 0.0, low_open=True, what="bin"),
                    default=5.0, metavar="MS",
                    help="bin of the population rate plot in ms (default 5)")
    an.add_argument("--rate-hist-bin", type=_number(float, 0.0, low_open=True, what="bin"),
                    default=None, metavar="HZ",
                    help="bin of the rate histograms in Hz, rounded to a whole number of 1/T "
                         "(T: the analysed time in s; rates are spike counts / T) (default: "
                         "1, 2, 5, 10, ... x 1/T, at most 40 bins)")
    an.add_argument("--cv-hist-bin", type=_number(float, 0.0, low_open=True, what="bin"),
                    default=None, metavar="W",
                    help="bin of the ISI CV histograms (default: 0.01, 0.02, 0.05, ..., at "
                         "most 40 bins)")

    sub.add_parser("slurm", add_help=False,
                   help="print a Slurm job script: run, chain, scaling, sweep, analyze "
                        "(distsim slurm --help)")

    ex = sub.add_parser("export", help="write a run store's spikes as NEST ASCII or Parquet",
                        formatter_class=fmt, parents=[verbosity], epilog="""examples:
  distsim export brunel.zarr spikes.dat          NEST's ASCII format (sender = gid + 1)
  distsim export brunel.zarr spikes.parquet""")
    ex.add_argument("store", help="the run store (a .zarr folder)")
    ex.add_argument("out", help="the file to write (a new path)")
    ex.add_argument("--format", choices=["nest", "parquet"], default=None,
                    help="default: from the file name (.parquet, else nest)")
    ex.add_argument("--overwrite", action="store_true",
                    help="replace a file an earlier distsim export wrote")

    cv = sub.add_parser("convert", help="convert between NIR graphs (.nir) and model files "
                                        "(.toml, .yaml)", formatter_class=fmt,
                        parents=[verbosity], epilog="""examples:
  distsim convert net.nir net.toml            NIR graph -> model file (NIR times in s)
  distsim convert net.toml net.nir            model file -> NIR graph
  distsim convert net.nir net.yaml --dt 0.05 --time-unit ms
units and node mapping: the docstring of distsim/nir_convert.py
exit codes: 0 success, 2 unreadable input or one the other format cannot express""")
    cv.add_argument("input", help="a .nir, .toml, .yaml or .yml file")
    cv.add_argument("output", help="the file to write (a new path; format from its suffix)")
    cv.add_argument("--dt", type=_number(float, 0.0, 100.0, low_open=True, what="dt"),
                    default=None,
                    help="step (ms) of a network imported from NIR (default: the graph's "
                         "metadata distsim_dt_ms, else 0.1)")
    cv.add_argument("--time-unit", default=None, choices=["s", "ms", "us"],
                    help="unit of the NIR time constants and delays (default: a read graph's "
                         "metadata time_unit, else s)")
    return parser


_RESUME_KEEPS = {"store": "--out", "no_store": "--no-store", "overwrite": "--overwrite",
                 "checkpoint_dir": "--checkpoint-dir", "hardware": "--hardware",
                 "fabric": "--fabric", "link_latency": "--link-latency",
                 "bits_per_synapse": "--bits-per-synapse"}


def run_config(args):
    """The RunConfig of ``distsim run`` options ``args``, every option checked.  With
    --resume the model and its options may be repeated (as job scripts do); the runner
    checks them against the checkpointed run's."""
    from .runner import RunConfig

    if args.resume:
        given = [flag for dest, flag in _RESUME_KEEPS.items() if getattr(args, dest)]
        if given:
            raise ConfigError(f"distsim run --resume: {given[0]} does not apply to --resume "
                              f"(the run continues as it was set up); leave it out")
        example, dt, seed = args.example, args.dt, args.seed
        if example is not None:
            network_settings(args, "distsim run")  # the options apply to the model given
        options = {opt.keyword: opt.keyword_value(opt.check(_given(args, opt), "distsim run"))
                   for opt, _ in _example_flags().values() if _given(args, opt) is not None}
    else:
        args.example = args.example or "brunel"
        example, options, dt, seed = network_settings(args, "distsim run")
    for flag, needs in (("fabric", "--hardware"), ("bits_per_synapse", "--hardware"),
                        ("checkpoint_every", "--checkpoint-dir or --resume")):
        if getattr(args, flag) is not None and not (
                args.hardware if needs == "--hardware" else args.checkpoint_dir or args.resume):
            raise ConfigError(f"distsim run: --{flag.replace('_', '-')} needs {needs}")
    if args.store is not None and args.no_store:
        raise ConfigError("distsim run: --out and --no-store contradict each other; give one")
    if args.overwrite and args.store is None and args.checkpoint_dir is None:
        raise ConfigError("distsim run: --overwrite needs --out or --checkpoint-dir (the "
                          "default store name is always a new one)")
    if args.oversubscribe and args.ranks is None:
        raise ConfigError("distsim run: --oversubscribe needs --ranks")
    if args.hardware:
        from .hardware.profiles import load_profile
        load_profile(args.hardware)  # an unknown profile is refused before the build
    return RunConfig(example=example, options=options, dt=dt, seed=seed, t_sim_ms=args.t_sim,
                     backend=args.backend, balancer=args.balancer, hardware=args.hardware,
                     fabric=args.fabric, link_latency_ms=args.link_latency,
                     bits_per_synapse=args.bits_per_synapse,
                     store=None if args.no_store else (args.store or "default"),
                     overwrite=args.overwrite, checkpoint_dir=args.checkpoint_dir,
                     checkpoint_every_s=args.checkpoint_every or 1800.0, resume=args.resume,
                     progress=args.quiet == 0)


def _check_ranks(args):
    """--ranks within the cores (x _RANKS_PER_CORE with --oversubscribe) and the memory."""
    import psutil

    cores = len(os.sched_getaffinity(0))
    limit = cores * (_RANKS_PER_CORE if args.oversubscribe else 1)
    if args.ranks > limit:
        more = (f"at most {limit} ({_RANKS_PER_CORE} per core) with --oversubscribe"
                if args.oversubscribe else f"or --oversubscribe to run up to "
                                           f"{cores * _RANKS_PER_CORE} ranks on {cores} cores")
        raise ConfigError(f"distsim run: --ranks {args.ranks} exceeds the {cores} cores "
                          f"available here; give --ranks {cores} or fewer, {more}")
    need = args.ranks * _RANK_BASELINE_BYTES
    free = psutil.virtual_memory().available
    if need > free:
        raise ConfigError(f"distsim run: --ranks {args.ranks} needs about {need / 1e9:.1f} GB "
                          f"before any network ({_RANK_BASELINE_BYTES / 1e6:.0f} MB per rank) "
                          f"but {free / 1e9:.1f} GB are free; give fewer ranks")


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


def _print_summary(s):
    parts = ", ".join(f"{name} {s[key]:.2f}" for name, key in (
        ("build", "build_s"), ("compile", "compile_s"), ("simulation", "simulate_s"),
        ("store writes", "store_s"), ("checkpoints", "checkpoint_s"), ("other", "other_s")))
    rows = [
        ("neurons", f"{s['neurons']:,}"),
        ("synapses", f"{s['synapses']:,}"),
        ("spikes", f"{s['spikes']:,}"),
        ("mean rate", f"{s['mean_rate_hz']:.3f} Hz"),
        ("model time", f"{s['t_model_ms']:.1f} ms"),
        ("ranks", f"{s['ranks_total']} ({s['exchange']}, {s['decomposition']} balancer)"),
        ("wall time", f"{s['wall_s']:.2f} s ({parts})"),
        ("real-time factor", f"{s['rtf']:.2f} (simulation wall s per model s)"),
        ("synaptic events/s", f"{s['synaptic_events'] / max(s['simulate_s'], 1e-12) / 1e6:.1f} "
                              f"M (of simulation time)"),
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
    summary["other_s"] = max(0.0, summary["wall_s"] - sum(
        summary[k] for k in ("build_s", "compile_s", "simulate_s", "store_s", "checkpoint_s")))
    if sim.context.rank == 0:
        summary.update(example=example, store=plan["store"], ended=ended,
                       stopped=ended != "complete")
        if args.json:
            print(json.dumps(summary))
        else:
            what = ", ".join(f"{k} {v}" for k, v in plan.get("options", {}).items()
                             if v is not None)
            print(f"distsim run {example}: {what + ', ' if what else ''}seed {sim.network.seed}, "
                  f"dt {sim.dt} ms, to {plan['t_end_ms']:.10g} ms")
            _print_summary(summary)
            if plan["store"]:
                print(f"{'store':<18} {plan['store']} ({ended})")
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
        if ended == "stopped":
            log.warning("stopped by a signal at %.10g ms; continue with: distsim run --resume %s "
                        "--t-sim %.10g", sim.t, plan["folder"].path, plan["t_end_ms"])
        elif ended == "interrupted":
            log.warning("interrupted by a signal at %.10g ms; the store keeps the spikes up to "
                        "there and says 'interrupted'", sim.t)
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
        raise ConfigError(f"{where} {example}: --ranks {args.ranks} exceeds the network's "
                          f"{net.n_neurons:,} neurons; give --ranks {net.n_neurons} or fewer")
    _check_inspect_memory(net, where, example)
    if args.command == "partition" and args.hardware:
        return _hardware_partition(net, args)
    if args.command == "partition" and (args.fabric or args.bits_per_synapse is not None):
        raise ConfigError(f"{where}: --fabric and --bits-per-synapse need --hardware PROFILE")
    from distsim.partition import BALANCERS
    balancers = [args.balancer] if args.command == "inspect" else sorted(
        b for b in BALANCERS if b != "hardware")  # that one: distsim partition --hardware
    reports = [describe(net, args.ranks, b) for b in balancers]
    if args.json:
        print(json.dumps(reports if args.command == "partition" else reports[0]))
        return 0
    d = reports[0]
    print(f"{example}: {d['neurons']:,} neurons, {d['synapses_expected']:,.0f} synapses "
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
        log.warning(w)
    return 0


_INSPECT_BYTES_PER_NEURON = 64  # the estimate's per-neuron arrays (decomposition, work)


def _check_inspect_memory(net, where, example):
    """The estimate itself holds a few arrays per neuron: refuse a network for which even
    they do not fit."""
    import psutil

    need = _INSPECT_BYTES_PER_NEURON * net.n_neurons
    free = psutil.virtual_memory().available
    if need > free:
        raise ConfigError(f"{where} {example}: {net.n_neurons:,} neurons; describing them needs "
                          f"about {need / 1e9:.3g} GB but {free / 1e9:.2f} GB are free; "
                          f"describe a smaller network")


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
                      t_start_ms=args.t_start, plots=not args.no_plots,
                      overwrite=args.overwrite, n_sample=args.sample,
                      raster_neurons=args.raster_neurons, raster_ms=args.raster_ms,
                      corr_bin_ms=args.corr_bin, fano_bin_ms=args.fano_bin,
                      pop_rate_bin_ms=args.pop_rate_bin, rate_hist_bin_hz=args.rate_hist_bin,
                      cv_hist_bin=args.cv_hist_bin)
    state = "complete" if summary["complete"] else f"{summary['status']} (not complete)"
    print(f"{args.store}: {summary['spikes']:,} spikes, {summary['t_start_ms']:g}-"
          f"{summary['t_end_ms']:g} ms, run {state}")
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
        raise ConfigError(f"distsim convert: {args.output} exists; distsim does not replace "
                          f"files; give a new path")
    net = convert(args.input, args.output, dt=args.dt, time_unit=args.time_unit)
    print(f"{args.input} -> {args.output}: {len(net.populations)} populations, "
          f"{net.n_neurons:,} neurons, {len(net.projections)} projections, dt {net.dt} ms")
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
    level = logging.DEBUG if verbose else {0: logging.INFO, 1: logging.WARNING}.get(
        quiet, logging.ERROR)
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
            return launch(args.ranks, _without_ranks(argv))
        return {"run": cmd_run, "analyze": cmd_analyze, "export": cmd_export,
                "inspect": cmd_inspect, "partition": cmd_inspect,
                "convert": cmd_convert}[args.command](args)
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
