"""The command line's options: argparse types that check ranges, the options that describe
a network (each example declares its own: examples/options.py), and the parser of
``distsim`` (run, inspect, partition, analyze, export, convert; ``distsim slurm`` builds its
own from the same pieces).  ``run_config`` turns ``distsim run``'s options into the frozen
RunConfig of the runner (runner.py), every option checked for its range and for whether it
applies to the chosen model.
"""

import argparse
import math

from .errors import ConfigError
from .examples import EXAMPLES

MODEL_FILES = (".toml", ".yaml", ".yml")
RANKS_PER_CORE = 4  # --oversubscribe: at most this many ranks per available core
INSPECT_MAX_RANKS = 1 << 20
_RESUME_KEEPS = {
    "store": "--out",
    "no_store": "--no-store",
    "overwrite": "--overwrite",
    "checkpoint_dir": "--checkpoint-dir",
    "hardware": "--hardware",
    "fabric": "--fabric",
    "link_latency": "--link-latency",
    "bits_per_synapse": "--bits-per-synapse",
}


def positive_duration(text):
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
            f"duration {text!r} is not understood; use e.g. 90s, 30min or 2h"
        ) from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"duration {text!r} must be a positive, finite time")
    return value


def number(kind, low=None, high=None, low_open=False, what="value"):
    """An argparse type: ``kind`` (int or float), finite, within [low, high] (low excluded
    when ``low_open``)."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not {'an integer' if kind is int else 'a number'}"
            ) from None
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
    """Each example option once (the first declaration's type; the help names the examples
    that take it, with their values: ``network_settings`` checks a value against the chosen
    example's declaration, e.g. --state of brunel and of multi_area)."""
    flags = {}
    for name, example in EXAMPLES.items():
        for opt in example.options:
            first, users = flags.setdefault(opt.flag, (opt, []))
            values = f"; one of {', '.join(map(str, opt.choices))}" if opt.choices else ""
            default = "" if opt.switch or opt.default is None else f"; default {opt.default}"
            users.append(f"{name}: {opt.help}{values}{default}")
    return flags


def _cluster_field(field):
    """An argparse action that sets ``field`` of the analysis' dask cluster: one
    ``distsim.analysis.Cluster`` in the option's dest (``scheduler``)."""

    class ClusterField(argparse.Action):
        def __call__(self, parser, namespace, value, option_string=None):
            import dataclasses

            from .analysis.cluster import Cluster

            cluster = getattr(namespace, self.dest, None) or Cluster()
            setattr(namespace, self.dest, dataclasses.replace(cluster, **{field: value}))

    return ClusterField


def add_network_options(parser, optional_example=False):
    """The options that describe a network (shared by run, inspect, partition and slurm);
    ``optional_example``: the model may be left out (run: brunel)."""
    parser.add_argument(
        "example",
        nargs="?" if optional_example else None,
        default=None,
        help=f"an example ({', '.join(sorted(EXAMPLES))}"
        f"{'; default brunel' if optional_example else ''}), a model "
        f"file (.toml, .yaml) or a NIR graph (.nir)",
    )
    for flag, (opt, users) in _example_flags().items():
        text = " | ".join(users)
        if opt.switch:
            parser.add_argument(
                flag, dest=opt.keyword, action="store_true", default=None, help=text
            )
        else:
            parser.add_argument(
                flag,
                dest=f"opt_{flag[2:].replace('-', '_')}",
                type=opt.type,
                default=None,
                metavar=flag[2:].upper(),
                help=text,
            )
    parser.add_argument(
        "--dt",
        type=number(float, 0.0, 100.0, low_open=True, what="dt"),
        default=None,
        help="examples and NIR graphs: time step in ms (default 0.1; a model file sets its own)",
    )
    parser.add_argument(
        "--seed",
        type=number(int, 0, 2**63 - 1, what="seed"),
        default=None,
        help="seed of every random stream (default: the example's, 1, or the model file's)",
    )


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
                raise ConfigError(
                    f"{where} {example}: {flag} does not apply to {example}; "
                    f"its options are {', '.join(own) or 'none'} (and --dt, --seed)"
                )
        options = {
            opt.keyword: opt.keyword_value(
                opt.check(given.get(opt.flag, opt.default), f"{where} {example}")
            )
            for opt in own.values()
        }
        return example, options, args.dt, args.seed
    if given:
        raise ConfigError(
            f"{where} {example}: {next(iter(given))} is an option of the built-in "
            f"examples; a model file or NIR graph describes its network itself"
        )
    if example.endswith(MODEL_FILES) and args.dt is not None:
        raise ConfigError(
            f"{where} {example}: --dt does not apply to a model file; set dt in "
            f"the file's [network] table"
        )
    if not example.endswith((*MODEL_FILES, ".nir")):
        raise ConfigError(
            f"{where}: {example!r} is neither an example "
            f"({', '.join(sorted(EXAMPLES))}) nor a model file (.toml, .yaml, "
            f".yml) or NIR graph (.nir)"
        )
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


def add_run_options(parser):
    """The options of ``distsim run`` besides the network's (also taken by ``distsim
    compile``, so that a job script can give it the same command line)."""
    from distsim.comm.exchange import BACKENDS
    from distsim.partition import BALANCERS

    parser.add_argument(
        "--t-sim",
        type=number(float, 0.0, what="t_sim"),
        default=1000.0,
        help="model time in ms to reach (default 1000)",
    )
    parser.add_argument(
        "--ranks",
        type=number(int, 1, what="ranks"),
        default=None,
        help="start this many MPI ranks on this machine (the mpich wheel's mpiexec, "
        "else the site's mpiexec, mpirun or srun), at most one per available core unless "
        "--oversubscribe; "
        "under mpiexec/srun the launcher's ranks are used",
    )
    parser.add_argument(
        "--threads",
        type=number(int, 1, what="threads"),
        default=1,
        help="threads per rank: the rank's neurons are split among them, each thread "
        "updating its neurons and delivering into them (default 1; spikes are the same "
        "bits for any ranks x threads)",
    )
    parser.add_argument(
        "--oversubscribe",
        action="store_true",
        help=f"with --ranks: allow up to {RANKS_PER_CORE} ranks per core (slower; "
        f"for testing communication)",
    )
    parser.add_argument(
        "--backend",
        default="collective",
        choices=sorted(BACKENDS),
        help="spike exchange between ranks (default collective)",
    )
    parser.add_argument(
        "--balancer",
        default="block",
        choices=sorted(BALANCERS),
        help="how neurons are distributed over ranks (default block)",
    )
    parser.add_argument(
        "--hardware",
        default=None,
        metavar="PROFILE",
        help="map the network onto chips of this profile (loihi, loihi2, "
        "spinnaker, spinnaker2, truenorth, brainscales2, cpu) with the "
        "hardware balancer, count per chip and link, and print the energy "
        "and latency report (also written to the store)",
    )
    parser.add_argument(
        "--fabric",
        default=None,
        metavar="SPEC",
        help="with --hardware: mesh:WxH, torus:WxH, spinnaker:WxH or "
        "boards:BxB(mesh:WxH) (default: the smallest square mesh that fits)",
    )
    parser.add_argument(
        "--link-latency",
        type=number(float, 0.0, what="latency"),
        default=None,
        metavar="MS",
        help="latency of one chip-to-chip link in ms of model time, for the "
        "routed exchange's link clocks and, with --hardware, checked "
        "against every synapse between chips (default: the profile's "
        "link latency at real time, when known, else 0)",
    )
    parser.add_argument(
        "--bits-per-synapse",
        type=number(float, 0.0, low_open=True, what="bits"),
        default=None,
        metavar="N",
        help="with --hardware: bits one synapse takes, to check synapse memory "
        "where the profile does not know it (e.g. loihi, spinnaker)",
    )
    parser.add_argument(
        "--out",
        "--store",
        dest="store",
        default=None,
        metavar="STORE",
        help="zarr run store for the recorded spikes: a new path or an empty "
        "folder (default: EXAMPLE.zarr here, or EXAMPLE-2.zarr, ... if taken)",
    )
    parser.add_argument("--no-store", action="store_true", help="keep the spikes in memory only")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an earlier distsim run store at --out (and checkpoints at "
        "--checkpoint-dir); only files distsim wrote are removed",
    )
    parser.add_argument(
        "--checkpoint-dir",
        default=None,
        metavar="DIR",
        help="write checkpoints (and what --resume needs) to this folder: a new "
        "path or an empty folder",
    )
    parser.add_argument(
        "--checkpoint-every",
        default=None,
        type=positive_duration,
        metavar="TIME",
        help="with --checkpoint-dir: wall-clock interval between checkpoints, "
        "e.g. 90s, 30min, 2h (default 30min); also at the end and on "
        "SIGINT/SIGTERM/SIGUSR1",
    )
    parser.add_argument(
        "--resume",
        default=None,
        metavar="DIR",
        help="continue the run checkpointed in DIR up to --t-sim, appending to "
        "its store (any --ranks, --balancer, --backend)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")


def build_parser():
    """The parser of ``distsim`` (``distsim slurm`` has its own: slurm.py)."""
    from distsim import __version__
    from distsim.partition import BALANCERS

    verbosity = Parser(add_help=False)
    verbosity.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="say more (debug messages)",
    )
    verbosity.add_argument(
        "-q",
        "--quiet",
        action="count",
        default=argparse.SUPPRESS,
        help="say less: no progress (-qq: errors only)",
    )
    parser = Parser(
        prog="distsim",
        description="distsim: distributed event-driven simulation of spiking neural networks",
        parents=[verbosity],
    )
    parser.set_defaults(verbose=0, quiet=0)
    parser.add_argument("--version", action="version", version=f"distsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    fmt = argparse.RawDescriptionHelpFormatter
    run = sub.add_parser(
        "run",
        help="simulate an example network or a model file",
        formatter_class=fmt,
        parents=[verbosity],
        epilog="""examples:
  distsim run                                   Brunel order 2500, 1 s, store brunel.zarr
  distsim run microcircuit --scale 0.1 --t-sim 2000
  distsim run net.toml --ranks 4 --backend async --balancer balanced
  mpiexec -n 8 distsim run hpc_benchmark --scale 2
  distsim run --t-sim 600000 --checkpoint-dir ck --checkpoint-every 30min
  distsim run --resume ck --t-sim 600000 --ranks 2
  distsim run brunel --order 500 --ranks 4 --hardware loihi --fabric mesh:2x2 --backend routed
exit codes: 0 success (also: stopped by a signal after a checkpoint), 2 usage or model error,
1 run failure, 128 + N stopped by signal N without a checkpoint""",
    )
    add_network_options(run, optional_example=True)
    add_run_options(run)

    for name, text in (
        (
            "inspect",
            "sizes, smallest delay, memory per rank and warnings, before anything is built",
        ),
        ("partition", "load balance and expected spike traffic per rank, for every balancer"),
    ):
        ins = sub.add_parser(
            name,
            help=text,
            formatter_class=fmt,
            parents=[verbosity],
            epilog=f"example:\n  distsim {name} microcircuit --scale 0.1 "
            f"--ranks {1 if name == 'inspect' else 4}",
        )
        add_network_options(ins)
        ins.add_argument(
            "--ranks",
            type=number(int, 1, INSPECT_MAX_RANKS, what="ranks"),
            default=1 if name == "inspect" else 2,
            help=f"number of ranks to describe (default "
            f"{1 if name == 'inspect' else 2}; any count, nothing is started)",
        )
        ins.add_argument(
            "--balancer",
            default="block",
            choices=sorted(BALANCERS),
            help="how neurons are distributed over ranks (default block"
            f"{'' if name == 'inspect' else '; partition compares all'})",
        )
        ins.add_argument("--json", action="store_true", help="print the report as JSON")
        if name == "partition":
            ins.add_argument(
                "--hardware",
                default=None,
                metavar="PROFILE",
                help="map onto chips of this profile (loihi, spinnaker, truenorth, "
                "...) and compare with round-robin: cut traffic, hops, link "
                "loads",
            )
            ins.add_argument(
                "--fabric",
                default=None,
                metavar="SPEC",
                help="with --hardware: mesh:WxH, torus:WxH, spinnaker:WxH or "
                "boards:BXxBY(KIND:WxH) (default: the smallest square mesh)",
            )
            ins.add_argument(
                "--bits-per-synapse",
                type=number(float, 0.0, low_open=True, what="bits"),
                default=None,
                metavar="N",
                help="with --hardware: bits one synapse takes, to check synapse "
                "memory where the profile does not know it",
            )

    cp = sub.add_parser(
        "compile",
        help="compile a network's kernels ahead of a batch job",
        formatter_class=fmt,
        parents=[verbosity],
        epilog="""examples:
  distsim compile                             the default run's kernels (brunel)
  distsim compile microcircuit --ranks 64     every kernel 64 ranks of it will use
It takes distsim run's command line; --ranks is the run's rank count (nothing is started).
The kernels go to the kernel cache (DISTSIM_CACHE_DIR, else NUMBA_CACHE_DIR, else
~/.cache/distsim); a run finds them there instead of compiling them on every rank.""",
    )
    add_network_options(cp, optional_example=True)
    add_run_options(cp)  # the run's command line: --ranks, --balancer, --hardware matter

    an = sub.add_parser(
        "analyze",
        help="statistics and plots of a run store (dask)",
        formatter_class=fmt,
        parents=[verbosity],
        epilog="""examples:
  distsim analyze brunel.zarr --t-start 100
  distsim analyze run.zarr --scheduler tcp://scheduler:8786 --out results/
  distsim analyze run.zarr --scheduler-file scheduler.json      (e.g. dask-mpi's)
  distsim analyze run.zarr --cluster slurm --cluster-workers 8 --cluster-cores 16 \\
    --cluster-memory 64GB --cluster-walltime 01:00:00""",
    )
    an.add_argument("store", help="the run store (a .zarr folder)")
    an.add_argument(
        "--out",
        default=None,
        help="output folder: a new path or an empty folder (default: STORE.analysis)",
    )
    an.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an earlier analysis in --out (only its own files)",
    )
    dc = an.add_argument_group(
        "dask cluster",
        "where the work runs (default: a local cluster in this process); the workers\n"
        "read the store from its path: a file system they share",
    )
    dc.add_argument(
        "--scheduler",
        action=_cluster_field("scheduler"),
        dest="scheduler",
        default=None,
        metavar="ADDRESS",
        help="address of a running dask scheduler, e.g. tcp://node17:8786",
    )
    dc.add_argument(
        "--scheduler-file",
        action=_cluster_field("scheduler_file"),
        dest="scheduler",
        metavar="FILE",
        help="the file a running dask scheduler wrote (dask scheduler --scheduler-file FILE, "
        "dask-mpi --scheduler-file FILE), waited for up to --cluster-timeout",
    )
    dc.add_argument(
        "--cluster",
        action=_cluster_field("kind"),
        dest="scheduler",
        choices=("local", "slurm"),
        help="the cluster distsim starts and closes: local (default), or slurm: "
        "dask-jobqueue's SLURMCluster, one Slurm job per worker (partition, account, ... "
        "from dask's jobqueue.slurm configuration)",
    )
    dc.add_argument(
        "--cluster-workers",
        action=_cluster_field("workers"),
        dest="scheduler",
        type=number(int, 1, what="workers"),
        metavar="N",
        help="local: N worker processes (default: one worker in this process); slurm: N "
        "worker jobs (default 1); with a running scheduler: wait until N workers joined",
    )
    dc.add_argument(
        "--cluster-cores",
        action=_cluster_field("cores"),
        dest="scheduler",
        type=number(int, 1, what="cores"),
        metavar="C",
        help="threads per worker: local (default 2 in this process, 1 per process) and "
        "slurm (cores per job, default 1)",
    )
    dc.add_argument(
        "--cluster-memory",
        action=_cluster_field("memory"),
        dest="scheduler",
        metavar="SIZE",
        help="slurm: memory per worker job, e.g. 16GB (default 4GB)",
    )
    dc.add_argument(
        "--cluster-walltime",
        action=_cluster_field("walltime"),
        dest="scheduler",
        metavar="TIME",
        help="slurm: time limit per worker job, e.g. 02:00:00 (default dask-jobqueue's, 30 min)",
    )
    dc.add_argument(
        "--cluster-timeout",
        action=_cluster_field("timeout"),
        dest="scheduler",
        type=positive_duration,
        metavar="S",
        help="how long to wait for the scheduler and the workers, e.g. 90s or 5min "
        "(default 60 s; slurm: 1 h for the first worker, as its job may queue)",
    )
    an.add_argument(
        "--t-start",
        type=number(float, 0.0, what="t_start"),
        default=0.0,
        help="leave out spikes before this time (ms), e.g. the transient",
    )
    an.add_argument("--no-plots", action="store_true", help="only the table and summary.json")
    an.add_argument(
        "--sample",
        type=number(int, 2, what="neurons"),
        default=200,
        metavar="N",
        help="neurons drawn per population whose pairs give the correlations (default 200)",
    )
    an.add_argument(
        "--raster-neurons",
        type=number(int, 1, what="neurons"),
        default=50,
        metavar="N",
        help="neurons per population in the raster (default 50)",
    )
    an.add_argument(
        "--raster-ms",
        type=number(float, 0.0, low_open=True, what="time"),
        default=1000.0,
        metavar="MS",
        help="the raster shows the last MS ms of the analysed time (default 1000)",
    )
    an.add_argument(
        "--corr-bin",
        type=number(float, 0.0, low_open=True, what="bin"),
        default=1.0,
        metavar="MS",
        help="spike counts in bins of MS ms give the correlations (default 1)",
    )
    an.add_argument(
        "--fano-bin",
        type=number(float, 0.0, low_open=True, what="bin"),
        default=10.0,
        metavar="MS",
        help="population spike counts in bins of MS ms give the Fano factor (default 10)",
    )
    an.add_argument(
        "--pop-rate-bin",
        type=number(float, 0.0, low_open=True, what="bin"),
        default=5.0,
        metavar="MS",
        help="bin of the population rate plot in ms (default 5)",
    )
    an.add_argument(
        "--rate-hist-bin",
        type=number(float, 0.0, low_open=True, what="bin"),
        default=None,
        metavar="HZ",
        help="bin of the rate histograms in Hz, rounded to a whole number of 1/T "
        "(T: the analysed time in s; rates are spike counts / T) (default: "
        "1, 2, 5, 10, ... x 1/T, at most 40 bins)",
    )
    an.add_argument(
        "--cv-hist-bin",
        type=number(float, 0.0, low_open=True, what="bin"),
        default=None,
        metavar="W",
        help="bin of the ISI CV histograms (default: 0.01, 0.02, 0.05, ..., at most 40 bins)",
    )

    sub.add_parser(
        "slurm",
        add_help=False,
        help="print a Slurm job script: run, chain, scaling, sweep, analyze (distsim slurm --help)",
    )

    ex = sub.add_parser(
        "export",
        help="write a run store's spikes as NEST ASCII or Parquet",
        formatter_class=fmt,
        parents=[verbosity],
        epilog="""examples:
  distsim export brunel.zarr spikes.dat          NEST's ASCII format (sender = gid + 1)
  distsim export brunel.zarr spikes.parquet""",
    )
    ex.add_argument("store", help="the run store (a .zarr folder)")
    ex.add_argument("out", help="the file to write (a new path)")
    ex.add_argument(
        "--format",
        choices=["nest", "parquet"],
        default=None,
        help="default: from the file name (.parquet, else nest)",
    )
    ex.add_argument(
        "--overwrite", action="store_true", help="replace a file an earlier distsim export wrote"
    )

    cv = sub.add_parser(
        "convert",
        help="convert between NIR graphs (.nir) and model files (.toml, .yaml)",
        formatter_class=fmt,
        parents=[verbosity],
        epilog="""examples:
  distsim convert net.nir net.toml            NIR graph -> model file (NIR times in s)
  distsim convert net.toml net.nir            model file -> NIR graph
  distsim convert net.nir net.yaml --dt 0.05 --time-unit ms
units and node mapping: the docstring of distsim/nir_convert.py
exit codes: 0 success, 2 unreadable input or one the other format cannot express""",
    )
    cv.add_argument("input", help="a .nir, .toml, .yaml or .yml file")
    cv.add_argument("output", help="the file to write (a new path; format from its suffix)")
    cv.add_argument(
        "--dt",
        type=number(float, 0.0, 100.0, low_open=True, what="dt"),
        default=None,
        help="step (ms) of a network imported from NIR (default: the graph's "
        "metadata distsim_dt_ms, else 0.1)",
    )
    cv.add_argument(
        "--time-unit",
        default=None,
        choices=["s", "ms", "us"],
        help="unit of the NIR time constants and delays (default: a read graph's "
        "metadata time_unit, else s)",
    )
    return parser


def run_config(args):
    """The RunConfig of ``distsim run`` options ``args``, every option checked.  With
    --resume the model and its options may be repeated (as job scripts do); the runner
    checks them against the checkpointed run's."""
    from .runner import RunConfig

    if args.resume:
        given = [flag for dest, flag in _RESUME_KEEPS.items() if getattr(args, dest)]
        if given:
            raise ConfigError(
                f"distsim run --resume: {given[0]} does not apply to --resume "
                f"(the run continues as it was set up); leave it out"
            )
        example, dt, seed = args.example, args.dt, args.seed
        if example is not None:
            network_settings(args, "distsim run")  # the options apply to the model given
        options = {
            opt.keyword: opt.keyword_value(opt.check(_given(args, opt), "distsim run"))
            for opt, _ in _example_flags().values()
            if _given(args, opt) is not None
        }
    else:
        args.example = args.example or "brunel"
        example, options, dt, seed = network_settings(args, "distsim run")
    for flag, needs in (
        ("fabric", "--hardware"),
        ("bits_per_synapse", "--hardware"),
        ("checkpoint_every", "--checkpoint-dir or --resume"),
    ):
        if getattr(args, flag) is not None and not (
            args.hardware if needs == "--hardware" else args.checkpoint_dir or args.resume
        ):
            raise ConfigError(f"distsim run: --{flag.replace('_', '-')} needs {needs}")
    if args.store is not None and args.no_store:
        raise ConfigError("distsim run: --out and --no-store contradict each other; give one")
    if args.overwrite and args.store is None and args.checkpoint_dir is None:
        raise ConfigError(
            "distsim run: --overwrite needs --out or --checkpoint-dir (the "
            "default store name is always a new one)"
        )
    if args.oversubscribe and args.ranks is None:
        raise ConfigError("distsim run: --oversubscribe needs --ranks")
    if args.hardware:
        from .hardware.profiles import load_profile

        load_profile(args.hardware)  # an unknown profile is refused before the build
    return RunConfig(
        example=example,
        options=options,
        dt=dt,
        seed=seed,
        t_sim_ms=args.t_sim,
        backend=args.backend,
        threads=args.threads,
        balancer=args.balancer,
        hardware=args.hardware,
        fabric=args.fabric,
        link_latency_ms=args.link_latency,
        bits_per_synapse=args.bits_per_synapse,
        store=None if args.no_store else (args.store or "default"),
        overwrite=args.overwrite,
        checkpoint_dir=args.checkpoint_dir,
        checkpoint_every_s=args.checkpoint_every or 1800.0,
        resume=args.resume,
        progress=args.quiet == 0,
    )
