"""``distsim slurm KIND ...``: Slurm batch scripts for distsim, printed ready to submit.

Kinds: ``run`` (one distributed run), ``chain`` (a run longer than the wall-time limit:
checkpoints when Slurm signals the end, requeues itself, resumes), ``scaling`` (strong and
weak scaling, an array job), ``sweep`` (a parameter grid, an array job), ``analyze`` (dask
on the runs of a directory, inside its own allocation; chain it with
``--dependency=afterok``).  The templates in ``slurm/`` are this module's output for the
command line in their header.  Options that are not Slurm options are checked against
``distsim run`` (or ``distsim analyze``) and passed on to it.

Each rank gets ``--threads`` CPUs (``#SBATCH --cpus-per-task``, passed on to srun and to
distsim run) and the memory distsim estimates for the largest rank, with a margin
(``#SBATCH --mem`` per node with ``--nodes``, else ``--mem-per-cpu``); ``--sbatch`` adds
lines of the site's own.

Inside the jobs, ``distsim slurm point`` gives an array task its scaling point and
``distsim slurm check`` checks a run's summary (one summary, the rank count asked for, the
store's status) and labels it with the job's ids.
"""

import argparse
import itertools
import json
import math
import os
import re
import shlex
import sys
from pathlib import Path

from .errors import ConfigError, JobError

KINDS = ("run", "chain", "scaling", "sweep", "analyze")
STOPPED = 75  # exit status of `check` for a run stopped by a signal (resumable)
_WORD = re.compile(r"[A-Za-z0-9_./:=,+@%-]+")
_TIME = re.compile(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?")
_SBATCH = re.compile(r"--([A-Za-z][A-Za-z0-9-]*)(?:=\S+)?")
_MPI = re.compile(r"[a-z][a-z0-9_]*")
_MEMORY = {"mem", "mem-per-cpu", "mem-per-gpu"}  # sbatch's memory requests
MEMORY_MARGIN = 1.3  # x the estimate of the largest rank (memory.py), + a rank's baseline
# sbatch options the script writes itself: option -> the option of distsim slurm that sets it
_SBATCH_OWN = {
    "job-name": "--job-name",
    "ntasks": "--ranks (--workers)",
    "time": "--time",
    "nodes": "--nodes",
    "partition": "--partition",
    "account": "--account",
    "cpus-per-task": "--threads",
    "array": "--ranks/--studies (scaling) or --vary (sweep)",
}
# options the scripts set themselves: dest -> (option, why)
_SCRIPT_SETS = {
    "run": {
        "store": ("--out", "the store goes to DISTSIM_OUT, see --out-dir"),
        "no_store": ("--no-store", "runs keep their store, scaling runs have none"),
        "checkpoint_dir": (
            "--checkpoint-dir",
            "distsim slurm chain checkpoints to DISTSIM_OUT/checkpoint",
        ),
        "resume": ("--resume", "distsim slurm chain resumes by itself"),
        "json": ("--json", "the summary is written to DISTSIM_OUT"),
    },
    "analyze": {
        "out": ("--out", "results go to STORE.analysis"),
        "scheduler": (
            "--scheduler, --scheduler-file, --cluster*",
            "the job starts its own dask cluster",
        ),
    },
}


# ---------------------------------------------------------------------------------------------
# the command line


def _parsers():
    from .options import Parser

    site = Parser(add_help=False)
    g = site.add_argument_group("Slurm and site options")
    g.add_argument(
        "--time", default=None, help="wall-time limit in Slurm's format (MM, HH:MM:SS, D-HH:MM:SS)"
    )
    g.add_argument("--partition", default=None, help="#SBATCH --partition (default: none)")
    g.add_argument("--account", default=None, help="#SBATCH --account (default: none)")
    g.add_argument("--nodes", type=int, default=None, help="#SBATCH --nodes (default: any)")
    g.add_argument(
        "--module", action="append", default=[], help="a module to load before the run (repeatable)"
    )
    g.add_argument(
        "--venv",
        default=None,
        help="virtualenv with distsim installed (default: .venv in the directory "
        "sbatch is run from)",
    )
    g.add_argument(
        "--launcher",
        choices=["srun", "mpiexec"],
        default="srun",
        help="srun (default) or mpiexec (the mpich wheel's in the venv, else the site's)",
    )
    g.add_argument(
        "--mpi",
        default="pmi2",
        metavar="{pmi2,pmix,none,...}",
        help="srun's --mpi for the ranks: pmi2 (default; the mpich wheel needs it) or what "
        "the site's MPI speaks, often pmix (srun --mpi=list shows them)",
    )
    g.add_argument(
        "--sbatch",
        action="append",
        default=[],
        metavar="--OPTION[=VALUE]",
        help="an #SBATCH line of the site's, e.g. --sbatch --constraint=cpu (repeatable); "
        "--mem or --mem-per-cpu replaces distsim's estimate",
    )
    g.add_argument("--job-name", default=None, help="default: distsim-KIND")
    g.add_argument(
        "--out-dir",
        default=None,
        help="directory of the job's outputs (default: distsim-runs/KIND-JOBID)",
    )

    fmt = argparse.RawDescriptionHelpFormatter
    parser = Parser(
        prog="distsim slurm",
        allow_abbrev=False,
        formatter_class=fmt,
        description=__doc__.split("\n\n")[0],
        epilog="""examples:
  distsim slurm run brunel --ranks 8 --time 2:00:00 --order 10000 > run.sh
  distsim slurm chain microcircuit --ranks 16 --time 24:00:00 --t-sim 600000 > chain.sh
  distsim slurm scaling brunel --ranks 1 2 4 8 16 --t-sim 1000 > scaling.sh
  distsim slurm sweep brunel --ranks 4 --vary state=SR,AI --vary seed=1,2,3 > sweep.sh
  distsim slurm analyze runs/sweep --workers 4 --t-start 100 > analyze.sh
options that are not listed under a kind's --help go to distsim run (distsim analyze)""",
    )
    sub = parser.add_subparsers(dest="kind", required=True)
    texts = {
        "run": "one distributed run",
        "chain": "a run longer than the wall-time limit: checkpoint, requeue, resume",
        "scaling": "strong and weak scaling over rank counts (array job)",
        "sweep": "a grid of distsim run options (array job)",
        "analyze": "distsim analyze with a dask cluster in the allocation",
    }
    kinds = {
        k: sub.add_parser(k, parents=[site], help=texts[k], formatter_class=fmt, allow_abbrev=False)
        for k in KINDS
    }
    for kind in ("run", "chain", "scaling", "sweep"):
        kinds[kind].usage = (
            f"distsim slurm {kind} [options] [MODEL] [distsim run options]"
            f"\n  MODEL: an example or a model file, as for distsim run "
            f"(default brunel)"
        )
    for kind in ("run", "chain", "sweep"):
        kinds[kind].add_argument("--ranks", type=int, default=4, help="MPI ranks (default 4)")
    kinds["chain"].add_argument(
        "--checkpoint-every",
        default="30min",
        type=_interval,
        help="wall-clock interval between checkpoints (default 30min)",
    )
    kinds["chain"].add_argument(
        "--signal-margin",
        type=int,
        default=300,
        help="seconds before the limit at which Slurm signals the run "
        "to checkpoint and stop (default 300)",
    )
    kinds["chain"].add_argument(
        "--max-restarts",
        type=int,
        default=20,
        help="requeues before the chain gives up (default 20)",
    )
    kinds["scaling"].add_argument(
        "--ranks", type=int, nargs="+", default=[1, 2, 4, 8], help="rank counts (default 1 2 4 8)"
    )
    kinds["scaling"].add_argument(
        "--studies",
        nargs="+",
        choices=["strong", "weak"],
        default=["strong", "weak"],
        help="default: strong weak",
    )
    kinds["sweep"].add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="NAME=V1,V2,..",
        required=True,
        help="an option of distsim run and its values (repeatable: the grid of all combinations)",
    )
    kinds["analyze"].usage = (
        "distsim slurm analyze [options] [RUNS] [distsim analyze "
        "options]\n  RUNS: the directory of the run stores (*.zarr) "
        "to analyse (default: $DISTSIM_OUT at submission)"
    )
    kinds["analyze"].add_argument(
        "--workers", type=int, default=4, help="dask workers, one Slurm task each (default 4)"
    )

    point = sub.add_parser(
        "point",
        allow_abbrev=False,
        help="(inside scaling jobs) the study, rank count and size options of one array task",
    )
    point.add_argument(
        "--index", type=int, required=True, help="the array task's index (SLURM_ARRAY_TASK_ID)"
    )
    point.add_argument(
        "--ranks", type=int, nargs="+", required=True, help="the study's rank counts"
    )
    point.add_argument(
        "--studies",
        nargs="+",
        choices=["strong", "weak"],
        required=True,
        help="the studies, outermost first",
    )
    point.add_argument("run_args", nargs=argparse.REMAINDER, help="-- MODEL [distsim run options]")
    check = sub.add_parser(
        "check",
        allow_abbrev=False,
        help="(inside jobs) check a distsim run --json summary and label it with the job's ids",
    )
    check.add_argument("summary", help="the file distsim run --json wrote")
    check.add_argument(
        "--ranks",
        type=int,
        required=True,
        help="the rank count the job launched (the summary must show as many)",
    )
    check.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="add KEY=VALUE to the summary (repeatable), e.g. the job's ids",
    )
    return parser


def _interval(text):
    """``text`` if distsim run --checkpoint-every takes it (90s, 30min, 2h)."""
    from .options import positive_duration

    positive_duration(text)
    return text


def main(argv):
    """``distsim slurm ...``; returns the exit status."""
    parser = _parsers()
    args, extra = parser.parse_known_args(_sbatch_joined(argv))
    try:
        if args.kind in ("point", "check") and extra:
            raise ConfigError(
                f"distsim slurm {args.kind}: unexpected {' '.join(extra)}; see "
                f"distsim slurm {args.kind} --help"
            )
        if args.kind == "point":
            run_args = args.run_args[1:] if args.run_args[:1] == ["--"] else args.run_args
            points = study_points(run_args, args.ranks, args.studies)
            if not 0 <= args.index < len(points):
                raise ConfigError(
                    f"distsim slurm point: array index {args.index} is outside "
                    f"the {len(points)} points of the study; submit with "
                    f"--array=0-{len(points) - 1}"
                )
            study, ranks, size = points[args.index]
            print(study, ranks, " ".join(size))
            return 0
        if args.kind == "check":
            return check_summary(args.summary, args.ranks, args.label)
        first = extra[:1] if extra[:1] and not extra[0].startswith("-") else []
        print(job_script(args, first[0] if first else None, extra[len(first) :], argv), end="")
        return 0
    except (ConfigError, JobError) as exc:
        print(f"distsim: error: {exc}", file=sys.stderr)
        return 2


def _sbatch_joined(argv):
    """``--sbatch --constraint=cpu`` as ``--sbatch=--constraint=cpu`` (argparse takes a
    value that starts with -- for an option of its own)."""
    out, words = [], iter(argv)
    for word in words:
        value = next(words, None) if word == "--sbatch" else None
        out.append(word if value is None else f"--sbatch={value}")
    return out


def _sbatch_lines(kind, given, written):
    """The extra #SBATCH options ``given`` (--sbatch), checked: each --option[=value], none
    of the options ``written`` by the script itself (nor partition or account)."""
    for line in given:
        m = _SBATCH.fullmatch(line)
        if not m:
            raise ConfigError(
                f"distsim slurm {kind}: --sbatch {line!r} is not an sbatch option of the form "
                f"--option or --option=value (no spaces); e.g. --sbatch --constraint=cpu"
            )
        if m[1] in written | {"partition", "account"}:
            fix = f"give {_SBATCH_OWN[m[1]]} instead" if m[1] in _SBATCH_OWN else "leave it out"
            raise ConfigError(
                f"distsim slurm {kind}: --sbatch {line} sets --{m[1]}, which the script "
                f"writes itself; {fix}"
            )
    return list(given)


def _run_options(kind, model, extra):
    """The options ``extra`` of distsim run (analyze for kind analyze), parsed; ConfigError
    unless the job script does not set them itself and each passes as one shell word."""
    from .options import build_parser, network_settings

    command = "analyze" if kind == "analyze" else "run"
    head = [command, "STORE" if kind == "analyze" else model]
    parsed, unknown = build_parser().parse_known_args(head + list(extra))
    if unknown:
        raise ConfigError(
            f"distsim slurm {kind}: {' '.join(unknown)} is neither an option of "
            f"distsim slurm {kind} nor of distsim {command}; see distsim slurm "
            f"{kind} --help and distsim {command} --help"
        )
    defaults = vars(build_parser().parse_args(head))
    for dest, (option, why) in _SCRIPT_SETS[command].items():
        if vars(parsed)[dest] != defaults[dest]:
            raise ConfigError(
                f"distsim slurm {kind}: {option} is set by the job script itself "
                f"({why}); leave it out"
            )
    if command == "run":
        network_settings(parsed, f"distsim slurm {kind}")  # options that apply, in range
    for word in extra:  # DISTSIM_ARGS is split into words by the shell
        if not _WORD.fullmatch(word):
            raise ConfigError(
                f"distsim slurm {kind}: argument {word!r} has characters the job "
                f"script cannot pass on as one word (spaces, quotes, $); use "
                f"letters, digits and _./:=,+@%- only"
            )
    return parsed


def _without_threads(extra):
    """``extra`` without --threads T (the script passes the allocation's CPUs per task)."""
    rest, skip = [], False
    for word in extra:
        if skip:
            skip = False
        elif word == "--threads":
            skip = True
        elif not word.startswith("--threads="):
            rest.append(word)
    return rest


def rank_memory_request(networks, threads, nodes=None):
    """The #SBATCH memory line for ranks of ``threads`` CPUs each: ``networks`` is
    [(network, ranks, balancer, store)], the jobs's runs; each rank gets MEMORY_MARGIN x
    the estimate of the largest rank of any of them plus a rank's baseline (memory.py); per
    node (``--mem``) with ``nodes``, else per CPU (``--mem-per-cpu``).  Returns (line, note)."""
    from .memory import BASE_BYTES, MPI_BYTES, STORE_BYTES, largest_rank_bytes

    estimate, ranks = max(
        (largest_rank_bytes(net, n, balancer, store), n) for net, n, balancer, store in networks
    )
    baseline = BASE_BYTES + MPI_BYTES + STORE_BYTES  # an idle rank's: what runs beside
    per_rank = MEMORY_MARGIN * estimate + baseline
    note = (
        f"# memory per rank: {MEMORY_MARGIN} x distsim's estimate of the largest rank "
        f"({estimate / 1e9:.3g} GB on {ranks} ranks) + {baseline / 1e9:.2g} GB = "
        f"{per_rank / 1e9:.3g} GB"
    )
    if nodes:
        most = max(-(-n // nodes) for _, n, _, _ in networks)  # ranks on the fullest node
        line, other = f"--mem={math.ceil(most * per_rank / 2**20)}M", "--mem-per-cpu"
    else:
        line, other = f"--mem-per-cpu={math.ceil(per_rank / threads / 2**20)}M", "--mem"
    option = line.split("=")[0]
    note += (
        f"\n# (other memory at submission: sbatch {option}=SIZE; sbatch refuses {other} with it)"
    )
    return line, note


def study_points(run_args, ranks, studies):
    """[(study, ranks, size options)] of a scaling study, studies outermost.  Strong: the
    network of ``run_args`` on every rank count.  Weak: R times the neurons on R ranks at a
    constant number of synapses per neuron (brunel: --order x R and an --epsilon that keeps
    the in-degree; hpc_benchmark: --scale x R)."""
    from .options import build_parser, network_settings

    if not run_args:
        raise ConfigError("distsim slurm point: no model given after --")
    args = build_parser().parse_known_args(["run", *run_args])[0]
    args.example, options, _, _ = network_settings(args, "distsim slurm scaling")
    args.options = options
    points = []
    for study in studies:
        for r in ranks:
            if r < 1:
                raise ConfigError(f"distsim slurm scaling: rank count {r} is not positive")
            points.append((study, r, [] if study == "strong" else _weak_size(args, r)))
    return points


def _weak_size(args, r):
    """The size options of the network of ``args`` (distsim run's) made R times larger."""
    if args.example == "brunel":
        order, eps = args.options["order"], args.options["epsilon"]
        ne = 4 * order * r
        ce = int(eps * 4 * order)
        epsilon = eps / r
        if int(epsilon * ne) != ce:  # keep the in-degree exact (brunel truncates epsilon NE)
            epsilon = (ce + 0.5) / ne
        return ["--order", str(order * r), "--epsilon", repr(epsilon)]
    if args.example == "hpc_benchmark":
        return ["--scale", repr(args.options["scale"] * r)]
    raise ConfigError(
        f"distsim slurm scaling: weak scaling of {args.example!r} is not defined: "
        f"it needs a network whose synapses per neuron stay constant as it grows "
        f"(brunel, hpc_benchmark; the microcircuit's --scale also scales its "
        f"in-degrees); use --studies strong"
    )


def slurm_seconds(text):
    """Seconds of a Slurm time limit (MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS)."""
    m = _TIME.fullmatch(text or "")
    if not m:
        raise ConfigError(
            f"distsim slurm: --time {text!r} is not a Slurm time; use minutes, "
            f"HH:MM:SS or D-HH:MM:SS"
        )
    days, a, b, c = (int(x) if x else None for x in m.groups())
    if days is None:
        h, mi, s = (0, a, b or 0) if c is None else (a, b, c)
    else:
        h, mi, s = a, b or 0, c or 0
    return (((days or 0) * 24 + h) * 60 + mi) * 60 + s


# ---------------------------------------------------------------------------------------------
# the scripts

_DEFAULT_TIME = {
    "run": "01:00:00",
    "chain": "24:00:00",
    "scaling": "01:00:00",
    "sweep": "01:00:00",
    "analyze": "00:30:00",
}

_TITLE = {
    "run": "one distributed distsim run",
    "chain": "a distsim run longer than the wall-time limit, in parts",
    "scaling": "a strong and weak scaling study of distsim (array job)",
    "sweep": "a parameter sweep of distsim runs (array job)",
    "analyze": "dask analysis of the run stores of a directory, inside this allocation",
}

_USAGE = {
    "run": """\
# Writes DISTSIM_OUT/run.zarr (the run store) and DISTSIM_OUT/summary.json (distsim run --json,
# checked and labelled with the job's ids), the log to %x-%j.out.
#   sbatch run.sh                                   ranks from srun --mpi=$DISTSIM_MPI
#   DISTSIM_LAUNCHER=mpiexec sbatch run.sh          mpiexec on PATH inside the allocation""",
    "chain": """\
# Slurm sends USR1 to this script --signal-margin seconds before the time limit (up to 60 s
# earlier: Slurm checks limits periodically); the script passes it to distsim, which writes a
# checkpoint, marks the store "stopped" and exits; the script then requeues the job
# (scontrol requeue: same job id, log appended), and the next part resumes from the
# checkpoint in DISTSIM_OUT/checkpoint on the ranks it gets.  Slurm holds a requeued job for
# AuthInfo's cred_expire (120 s by default) before it starts again.  Where requeueing is not
# allowed, submit the same script again with the same DISTSIM_OUT: it resumes just the same.
# Outputs: DISTSIM_OUT/run.zarr, DISTSIM_OUT/part-N.json (N = 0, 1, ...: one per part),
# DISTSIM_OUT/checkpoint.
#   DISTSIM_OUT=$PWD/runs/long sbatch chain.sh""",
    "scaling": """\
# Each array task runs one point (study, ranks) with --no-store (the run, not the file
# system, is measured) and writes DISTSIM_OUT/STUDY-RANKS.json; --exclusive keeps other jobs
# off the node while it is timed.  Strong: the same network on every rank count (equal spike
# digests).  Weak: R times the neurons on R ranks, synapses per neuron constant.  Then:
#   python scripts/scaling_study.py DISTSIM_OUT       table, plots and scaling.json
# To change DISTSIM_RANKS or DISTSIM_STUDIES at submission, give --ntasks (the largest
# rank count) and --array=0-(points - 1) to sbatch as well.  Run distsim once before (numba
# compiles on the first run, which would be timed), and repeat the study into another
# DISTSIM_OUT to keep the fastest of each point: scaling_study.py DIR1 DIR2.""",
    "sweep": """\
# Array task i runs distsim run with the i-th set of options of DISTSIM_SWEEP (sets separated
# by ';') and writes DISTSIM_OUT/task-i.zarr and DISTSIM_OUT/task-i.json.  Analyse them when
# all tasks succeeded:
#   export DISTSIM_OUT=$PWD/runs/sweep1
#   jid=$(sbatch --parsable sweep.sh)
#   sbatch --dependency=afterok:$jid analyze.sh       cancelled if any task fails""",
    "analyze": """\
# Starts a dask scheduler in this script and one dask worker per Slurm task (srun), then
# runs distsim analyze --scheduler-file on every run store DISTSIM_OUT/*.zarr: STORE.analysis/
# holds summary.json and the plots.  Chain it after the runs:
#   sbatch --dependency=afterok:$jid analyze.sh     (with DISTSIM_OUT exported)""",
}

_HEADER = """\
#!/bin/bash
# distsim on Slurm: {title}.
# Generated by: {command}
{usage}
#
# Per site, edit here (or regenerate with the option in brackets):
#   partition, account  the ##SBATCH lines: delete one '#' [--partition, --account]
#   modules             the 'module load' line [--module, repeatable]
#   virtualenv          DISTSIM_VENV, a venv with distsim installed [--venv]
#   MPI launcher        DISTSIM_LAUNCHER: srun or mpiexec [--launcher]; DISTSIM_MPI: srun's
#                       --mpi, pmi2 for the mpich wheel, often pmix for the site's MPI [--mpi]
#   threads, memory     --cpus-per-task: threads per rank [--threads]; --mem or --mem-per-cpu:
#                       distsim's estimate with a margin [--sbatch --mem=...]
#   other #SBATCH lines [--sbatch --constraint=..., repeatable]
# Each DISTSIM_* setting below can also be set in the environment of sbatch, which passes
# it to the job (e.g. DISTSIM_ARGS="--order 100 --t-sim 500" sbatch THIS.sh); sbatch
# options on its command line override the #SBATCH lines (sbatch --cpus-per-task=8: 8
# threads per rank).
"""

_SETUP = """\
set -euo pipefail

# site setup
{modules}
DISTSIM_VENV=${{DISTSIM_VENV:-{venv}}}
if [ ! -x "$DISTSIM_VENV/bin/distsim" ]; then
  echo "DISTSIM_VENV=$DISTSIM_VENV has no bin/distsim; set DISTSIM_VENV to a virtualenv" \\
       "with distsim installed (pip install -e DISTSIM_SOURCE)" >&2
  exit 2
fi
export PATH="$DISTSIM_VENV/bin:$PATH"

# run settings
{settings}
{threads}
mkdir -p "$DISTSIM_OUT"
echo "job ${{SLURM_JOB_ID}} on $(hostname): DISTSIM_OUT=$DISTSIM_OUT"
"""

_RANK_THREADS = """\
threads=${SLURM_CPUS_PER_TASK:-1}  # per rank: the CPUs of each task (sbatch --cpus-per-task)
export OMP_NUM_THREADS=$threads NUMBA_NUM_THREADS=$threads"""
_ANALYZE_THREADS = "export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}  # per dask worker"

_LAUNCH = """
launcher() {  # launcher N: LAUNCH is then the command that starts N MPI ranks
  case $DISTSIM_LAUNCHER in
    # --mpi explicitly: the mpich wheel needs pmi2 (it cannot use PMIx, many sites' default);
    # --cpus-per-task explicitly: srun (Slurm >= 22.05) does not take it from sbatch;
    # a rank that fails ends them all, as under mpiexec
    srun) LAUNCH=(srun --mpi="$DISTSIM_MPI" --cpus-per-task="$threads" --kill-on-bad-exit=1
                  --ntasks="$1") ;;
    # mpiexec on PATH (the mpich wheel's in the venv, else the site's) starts its ranks
    # through srun in the allocation
    mpiexec) LAUNCH=(mpiexec -n "$1") ;;
    *) echo "DISTSIM_LAUNCHER=$DISTSIM_LAUNCHER is not a launcher; use srun or mpiexec" >&2
       exit 2 ;;
  esac
}
"""

_BODY = {
    "run": """
distsim compile "$DISTSIM_MODEL" $DISTSIM_ARGS --ranks "$SLURM_NTASKS" --threads "$threads"
launcher "$SLURM_NTASKS"  # (compiled once above, not per rank)
"${LAUNCH[@]}" distsim run "$DISTSIM_MODEL" $DISTSIM_ARGS --threads "$threads" \\
  --out "$DISTSIM_OUT/run.zarr" --json > "$DISTSIM_OUT/summary.json"
distsim slurm check "$DISTSIM_OUT/summary.json" --ranks "$SLURM_NTASKS"
""",
    "chain": """
# --signal=B:USR1@... signals this shell only, perhaps already while distsim compiles (the
# default action would end the job silently): hold it, and pass it on (distsim checkpoints
# and stops) once distsim has written $ready (every rank catches it; before, it would kill
# a rank that is still starting)
part=0
pending=0
trap 'echo "part $part: USR1, checkpointing"; pending=1' USR1
parts=("$DISTSIM_OUT"/part-*.json)
[ -e "${parts[0]}" ] && part=${#parts[@]}  # parts of earlier submissions and requeues
checkpoint="$DISTSIM_OUT/checkpoint"
if [ -e "$checkpoint/checkpoint.zarr" ]; then
  echo "part $part: resuming from $checkpoint"
  set -- "$DISTSIM_MODEL" $DISTSIM_ARGS --resume "$checkpoint"
else
  echo "part $part: starting"
  set -- "$DISTSIM_MODEL" $DISTSIM_ARGS --out "$DISTSIM_OUT/run.zarr" --checkpoint-dir "$checkpoint"
fi
summary="$DISTSIM_OUT/part-$part.json"
ready="$checkpoint/catching-signals"  # distsim writes it (runner.CATCHING_SIGNALS)
rm -f "$ready"
distsim compile "$DISTSIM_MODEL" $DISTSIM_ARGS --ranks "$SLURM_NTASKS" --threads "$threads"
launcher "$SLURM_NTASKS"  # (compiled once above, not per rank)
"${LAUNCH[@]}" distsim run "$@" --threads "$threads" \\
  --checkpoint-every "$DISTSIM_CHECKPOINT_EVERY" --json > "$summary" &
pid=$!
while kill -0 "$pid" 2>/dev/null; do  # a signal ends the wait for sleep at once
  if [ "$pending" = 1 ] && [ -e "$ready" ]; then
    kill -USR1 "$pid" || true
    pending=0
  fi
  sleep 1 &
  wait $! || true
done
status=0
wait "$pid" || status=$?  # the run's exit status (a held signal it never caught is dropped)
if [ "$status" -ne 0 ]; then
  echo "part $part: distsim run exited with status $status" >&2
  exit "$status"
fi
status=0
distsim slurm check "$summary" --ranks "$SLURM_NTASKS" --label "part=$part" || status=$?
if [ "$status" -eq {stopped} ]; then
  if [ "${SLURM_RESTART_COUNT:-0}" -ge "$DISTSIM_MAX_RESTARTS" ]; then
    echo "part $part: stopped, and DISTSIM_MAX_RESTARTS=$DISTSIM_MAX_RESTARTS requeues are" \\
         "used up; submit again with the same DISTSIM_OUT to continue" >&2
    exit 1
  fi
  echo "part $part: stopped before the time limit; requeueing job $SLURM_JOB_ID"
  scontrol requeue "$SLURM_JOB_ID"
  exit 0
fi
exit "$status"
""",
    "scaling": """
point=$(distsim slurm point --index "$SLURM_ARRAY_TASK_ID" --ranks $DISTSIM_RANKS \\
        --studies $DISTSIM_STUDIES -- "$DISTSIM_MODEL" $DISTSIM_ARGS)
read -r study ranks size_args <<< "$point"
name=$(printf '%s-%05d' "$study" "$ranks")
echo "task $SLURM_ARRAY_TASK_ID: $study scaling, $ranks ranks, $DISTSIM_ARGS $size_args"
distsim compile "$DISTSIM_MODEL" $DISTSIM_ARGS $size_args --ranks "$ranks" \\
  --threads "$threads"  # not timed
launcher "$ranks"
"${LAUNCH[@]}" distsim run "$DISTSIM_MODEL" $DISTSIM_ARGS $size_args --threads "$threads" \\
  --no-store --json > "$DISTSIM_OUT/$name.json"
distsim slurm check "$DISTSIM_OUT/$name.json" --ranks "$ranks" --label "study=$study" \\
  --label "size_args=$size_args"
""",
    "sweep": """
IFS=';' read -r -a sets <<< "$DISTSIM_SWEEP"
i=$SLURM_ARRAY_TASK_ID
if [ "$i" -ge "${#sets[@]}" ]; then
  echo "array task $i: DISTSIM_SWEEP has ${#sets[@]} sets; submit with" \\
       "--array=0-$((${#sets[@]} - 1))" >&2
  exit 2
fi
name=$(printf 'task-%05d' "$i")
echo "task $i: ${sets[$i]}"
distsim compile "$DISTSIM_MODEL" $DISTSIM_ARGS ${sets[$i]} --ranks "$SLURM_NTASKS" \\
  --threads "$threads"
launcher "$SLURM_NTASKS"
"${LAUNCH[@]}" distsim run "$DISTSIM_MODEL" $DISTSIM_ARGS ${sets[$i]} --threads "$threads" \\
  --out "$DISTSIM_OUT/$name.zarr" --json > "$DISTSIM_OUT/$name.json"
distsim slurm check "$DISTSIM_OUT/$name.json" --ranks "$SLURM_NTASKS" --label "set=${sets[$i]}"
""",
    "analyze": """
stores=("$DISTSIM_OUT"/*.zarr)
if [ ! -e "${stores[0]}" ]; then
  echo "DISTSIM_OUT=$DISTSIM_OUT has no run stores (*.zarr); set it to the DISTSIM_OUT of the" \\
       "runs to analyse" >&2
  exit 2
fi
# a dask cluster in this allocation: the scheduler here, one worker per Slurm task
export DASK_LOGGING__DISTRIBUTED=warning
scheduler_file="$DISTSIM_OUT/dask-scheduler-$SLURM_JOB_ID.json"
rm -f "$scheduler_file"  # a requeued job's old one
dask scheduler --scheduler-file "$scheduler_file" --port 0 --no-dashboard &
scheduler_pid=$!
srun --mpi=none --ntasks="$SLURM_NTASKS" --cpus-per-task="${SLURM_CPUS_PER_TASK:-1}" \\
  dask worker --scheduler-file "$scheduler_file" \\
  --nthreads "${SLURM_CPUS_PER_TASK:-1}" --no-nanny --no-dashboard \\
  --local-directory "${TMPDIR:-/tmp}" &
workers_pid=$!
trap 'kill "$workers_pid" "$scheduler_pid" 2>/dev/null || true' EXIT
echo "dask scheduler file $scheduler_file, $SLURM_NTASKS workers"
for store in "${stores[@]}"; do  # each waits up to 120 s for the scheduler and its workers
  distsim analyze "$store" --scheduler-file "$scheduler_file" \\
    --cluster-workers "$SLURM_NTASKS" --cluster-timeout 120 $DISTSIM_ANALYZE_ARGS
done
python -c 'import sys; from distributed import Client
Client(scheduler_file=sys.argv[1]).shutdown()' "$scheduler_file"
wait
""",
}


def job_script(args, first, extra, argv):
    """The job script of ``args.kind``: ``first`` is the model (the runs directory for
    analyze) or None, ``extra`` the options for distsim run (analyze)."""
    kind = args.kind
    model = None if kind == "analyze" else (first or "brunel")
    parsed = _run_options(kind, model, extra)
    threads = 1 if kind == "analyze" else parsed.threads
    extra = _without_threads(extra)  # the script passes the allocation's (below)
    if not _MPI.fullmatch(args.mpi):
        raise ConfigError(
            f"distsim slurm {kind}: --mpi {args.mpi!r} is not an MPI type of srun; use "
            f"pmi2, pmix, none or another that srun --mpi=list shows"
        )
    time = args.time or _DEFAULT_TIME[kind]
    limit = slurm_seconds(time)
    ranks = (
        max(args.ranks) if kind == "scaling" else args.workers if kind == "analyze" else args.ranks
    )
    if ranks < 1:
        raise ConfigError(f"distsim slurm {kind}: --ranks/--workers {ranks} is not positive")
    array = kind in ("scaling", "sweep")
    sbatch = [
        f"--job-name={args.job_name or 'distsim-' + kind}",
        f"--ntasks={ranks}",
        f"--time={time}",
    ] + ([f"--nodes={args.nodes}"] if args.nodes else [])
    runs = []  # (network, ranks, balancer, store) of the job's runs: its memory
    if kind != "analyze":
        sbatch.append(f"--cpus-per-task={threads}")
    job_id = "$SLURM_ARRAY_JOB_ID" if array else "$SLURM_JOB_ID"
    out = args.out_dir or f"distsim-runs/{kind}-{job_id}"
    notes = []
    if kind == "analyze":  # no default directory: the runs come from another job
        settings = [("DISTSIM_OUT", first), ("DISTSIM_ANALYZE_ARGS", " ".join(extra))]
    else:
        settings = [
            ("DISTSIM_MODEL", model),
            ("DISTSIM_ARGS", " ".join(extra)),
            ("DISTSIM_LAUNCHER", args.launcher),
            ("DISTSIM_MPI", args.mpi),
            ("DISTSIM_OUT", out),
        ]
    if kind == "chain":
        if not 0 < args.signal_margin < limit:
            raise ConfigError(
                f"distsim slurm chain: --signal-margin {args.signal_margin} s is "
                f"not within the time limit {time} ({limit} s); use a margin "
                f"shorter than the limit that leaves time to write a checkpoint"
            )
        sbatch += [f"--signal=B:USR1@{args.signal_margin}", "--requeue", "--open-mode=append"]
        settings += [
            ("DISTSIM_CHECKPOINT_EVERY", args.checkpoint_every),
            ("DISTSIM_MAX_RESTARTS", str(args.max_restarts)),
        ]
    if kind == "analyze":  # cancelled when a job it depends on fails, whatever the site's
        sbatch.append("--kill-on-invalid-dep=yes")  # DependencyParameters
    if kind == "scaling":
        points = study_points([model, *extra], args.ranks, args.studies)
        sbatch += [f"--array=0-{len(points) - 1}", "--exclusive"]
        settings += [
            ("DISTSIM_RANKS", " ".join(map(str, args.ranks))),
            ("DISTSIM_STUDIES", " ".join(args.studies)),
        ]
        notes = ["# array task: study, ranks, size options"] + [
            f"#   {i}: {s} {r} {' '.join(size)}".rstrip() for i, (s, r, size) in enumerate(points)
        ]
        runs = [(*_network(kind, model, extra + size), r, False) for _, r, size in points]
    if kind == "sweep":
        sets = sweep_sets(args.vary, model, extra)
        sbatch.append(f"--array=0-{len(sets) - 1}")
        settings.append(("DISTSIM_SWEEP", ";".join(sets)))
        notes = ["# array task: options"] + [f"#   {i}: {s}" for i, s in enumerate(sets)]
        runs = [(*_network(kind, model, extra + s.split()), args.ranks, True) for s in sets]
    if kind in ("run", "chain"):
        runs = [(*_network(kind, model, extra), args.ranks, True)]
    sbatch.append(f"--output={'%x-%A_%a.out' if array else '%x-%j.out'}")
    own = _sbatch_lines(kind, args.sbatch, {line.split("=")[0][2:] for line in sbatch})
    if runs and not any(_SBATCH.fullmatch(line)[1] in _MEMORY for line in own):
        memory, note = rank_memory_request(
            [(net, n, balancer, store) for net, balancer, n, store in runs], threads, args.nodes
        )
        sbatch.append(memory)
        notes.append(note)
    sbatch += own
    lines = [f"#SBATCH {s}" for s in sbatch] + [
        f"#SBATCH --partition={args.partition}"
        if args.partition
        else "##SBATCH --partition=PARTITION",
        f"#SBATCH --account={args.account}" if args.account else "##SBATCH --account=ACCOUNT",
    ]
    modules = (
        "\n".join(f"module load {shlex.quote(m)}" for m in args.module)
        if args.module
        else "# module load python/3.11   (none needed for distsim's pip wheels)"
    )
    text = _HEADER.format(
        title=_TITLE[kind], command=shlex.join(["distsim", "slurm", *argv]), usage=_USAGE[kind]
    )
    text += "\n".join(notes + lines) + "\n\n"
    text += _SETUP.format(
        modules=modules,
        venv=_quoted(args.venv) if args.venv else '"$SLURM_SUBMIT_DIR/.venv"',
        settings="\n".join(_setting(k, v) for k, v in settings),
        threads=_ANALYZE_THREADS if kind == "analyze" else _RANK_THREADS,
    )
    return (
        text
        + ("" if kind == "analyze" else _LAUNCH)
        + _BODY[kind].replace("{stopped}", str(STOPPED))
    )


def _network(kind, model, words):
    """(network, balancer) of ``distsim run MODEL WORDS``."""
    from .options import build_parser, network_settings
    from .runner import build_network

    args = build_parser().parse_known_args(["run", model, *words])[0]
    example, options, dt, seed = network_settings(args, f"distsim slurm {kind}")
    return build_network(example, options, dt, seed), args.balancer


def _setting(key, value):
    """``KEY=${KEY:-"value"}``: the environment of sbatch wins; no value: KEY must be set."""
    if value is None:
        return f"{key}=${{{key}:?set {key} to the directory of the run stores to analyse}}"
    return f"{key}=${{{key}:-{_quoted(value)}}}"


def _quoted(value):
    """``value`` in double quotes for the script; ``$`` stays live for $SLURM_* defaults."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") + '"'


def sweep_sets(vary, model, extra):
    """The option sets of the grid ``vary`` (["state=SR,AI", "seed=1,2"]): one string per
    combination, each checked as options of distsim run."""
    axes = []
    for item in vary:
        name, _, values = item.partition("=")
        if not name or not values:
            raise ConfigError(
                f"distsim slurm sweep: --vary {item!r} is not NAME=V1,V2,...; "
                f"e.g. --vary seed=1,2,3"
            )
        option = "--" + name.lstrip("-").replace("_", "-")
        if option == "--threads":
            raise ConfigError(
                "distsim slurm sweep: --vary threads is not possible: every array task has "
                "the job's --cpus-per-task; give --threads T, one sweep per thread count"
            )
        axes.append([[option, v] for v in values.split(",")])
    sets = [sum(combo, []) for combo in itertools.product(*axes)]
    for s in sets:
        _run_options("sweep", model, [*extra, *s])
    return [" ".join(s) for s in sets]


# ---------------------------------------------------------------------------------------------
# inside the jobs


def check_summary(path, ranks, labels):
    """Check the ``distsim run --json`` output at ``path`` of a job on ``ranks`` ranks, add
    the job's ids and ``labels`` (KEY=VALUE) under "slurm", print one line; 0 for a complete
    run, STOPPED for one stopped by a signal (its store marked so)."""
    import warnings

    from .store import open_run

    lines = Path(path).read_text().split("\n") if Path(path).exists() else []
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise JobError(
            f"{path}: no summary; distsim run printed none (its error is in the job's log above)"
        )
    if len(lines) > 1:
        raise JobError(
            f"{path}: {len(lines)} summaries instead of one: the ranks ran as "
            f"separate single-rank runs; launch them with srun --mpi=pmi2 (or the PMI "
            f"the site's MPI speaks, e.g. pmix; not --mpi=none) or mpiexec"
        )
    s = json.loads(lines[0])
    if s["ranks_total"] != ranks:
        raise JobError(
            f"{path}: distsim ran on {s['ranks_total']} rank(s), the job launched "
            f"{ranks}; launch with srun --mpi=pmi2 (or the PMI the site's MPI speaks, "
            f"e.g. pmix) or mpiexec"
        )
    if s.get("store"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an incomplete store is checked here
            status = open_run(s["store"]).status
        expected = "stopped" if s["stopped"] else "complete"
        if status != expected:
            raise JobError(
                f"{path}: the run store {s['store']} has status {status!r}, not "
                f"{expected!r}; see the job's log"
            )
    job = {
        key.lower(): os.environ[key]
        for key in (
            "SLURM_JOB_ID",
            "SLURM_ARRAY_JOB_ID",
            "SLURM_ARRAY_TASK_ID",
            "SLURM_RESTART_COUNT",
        )
        if key in os.environ
    }
    for label in labels:
        key, sep, value = label.partition("=")
        if not sep:
            raise ConfigError(f"distsim slurm check: --label {label!r} is not KEY=VALUE")
        job[key] = value
    s["slurm"] = job
    Path(path).write_text(json.dumps(s) + "\n")
    state = f"stopped at {s['t_model_ms']:g} ms" if s["stopped"] else "complete"
    print(
        f"distsim run {state}: {s['ranks_total']} ranks, {s['neurons']:,} neurons, "
        f"{s['spikes']:,} spikes, RTF {s['rtf']:.3g}, digest {s['digest']}"
    )
    return STOPPED if s["stopped"] else 0
