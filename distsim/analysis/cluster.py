"""Where ``analyze`` runs its dask work: a running dask scheduler (its address, or the scheduler
file that ``dask scheduler``, ``dask-mpi`` or a Slurm job wrote), or a cluster that distsim
starts and closes: local (threads in this process, or worker processes) or Slurm
(dask-jobqueue's SLURMCluster, one Slurm job per worker).

The workers read the run store themselves from its path, which must therefore be on a file
system they all see; only results travel to the client."""

import logging
import math
import os
import re
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Integral, Real

from distsim.errors import ConfigError

log = logging.getLogger(__name__)
KINDS = ("local", "slurm")
CONNECT_S = 60.0  # default wait (s) for a scheduler, its file and its workers
QUEUE_S = 3600.0  # default wait (s) for the first Slurm worker: its job may queue
SLURM_MEMORY = "4GB"  # memory per Slurm job when neither given nor in dask's jobqueue config
_WALLTIME = re.compile(r"(\d+-)?\d+(:\d{1,2}){0,2}")


@dataclass(frozen=True)
class Cluster:
    """The dask cluster of an analysis (each field is the ``distsim analyze`` option in
    brackets).

    kind            "local" or "slurm" [--cluster]: the cluster distsim starts, when no
                    scheduler is given, and closes at the end
    scheduler       address of a running scheduler, e.g. "tcp://node17:8786" [--scheduler]
    scheduler_file  the file a running scheduler wrote (``dask scheduler --scheduler-file``,
                    ``dask-mpi --scheduler-file``) [--scheduler-file]; waited for up to
                    ``timeout``
    workers         local: worker processes (None: one worker of two threads inside this
                    process); slurm: Slurm jobs of one worker each (default 1); a running
                    scheduler: wait until that many workers have joined [--cluster-workers]
    cores           threads per worker: local processes (default 1), Slurm jobs (default:
                    dask's jobqueue.slurm.cores, else 1) [--cluster-cores]
    memory          slurm: memory per job, e.g. "16GB" (default: jobqueue.slurm.memory, else
                    4GB) [--cluster-memory]
    walltime        slurm: time limit per job, e.g. "02:00:00" (default: jobqueue.slurm.walltime)
                    [--cluster-walltime]
    timeout         s to wait for the scheduler and the workers (default 60; slurm: 3600, for
                    the first worker, as jobs may queue) [--cluster-timeout]

    A Slurm cluster's other settings (partition, account, network interface, ...) come from
    dask's configuration: ~/.config/dask/jobqueue.yaml or DASK_JOBQUEUE__SLURM__* variables.
    """

    kind: str = "local"
    scheduler: str | None = None
    scheduler_file: str | None = None
    workers: int | None = None
    cores: int | None = None
    memory: str | None = None
    walltime: str | None = None
    timeout: float | None = None

    @property
    def running(self):
        """The running scheduler's address or file (None when distsim starts the cluster)."""
        return self.scheduler or self.scheduler_file

    def check(self):
        """Raise ConfigError for a field out of range or a combination that does not apply."""
        if self.kind not in KINDS:
            raise ConfigError(
                f"analyze: cluster {self.kind!r} is not one of {', '.join(KINDS)}; use "
                f"--cluster local (the default) or --cluster slurm"
            )
        for name in ("workers", "cores", "timeout"):
            value = getattr(self, name)
            if value is None:
                continue
            integer = name != "timeout"
            ok = isinstance(value, Integral if integer else Real) and not isinstance(value, bool)
            ok = ok and (value >= 1 if integer else math.isfinite(value) and value > 0)
            if not ok:
                raise ConfigError(
                    f"analyze: --cluster-{name} {value!r} is not "
                    f"{'an integer >= 1' if integer else 'a positive number of seconds'}; "
                    f"give one or leave it out"
                )
        if self.scheduler and self.scheduler_file:
            raise ConfigError(
                f"analyze: --scheduler {self.scheduler} and --scheduler-file "
                f"{self.scheduler_file} name two schedulers; give one of them"
            )
        if self.running and self.kind != "local":
            raise ConfigError(
                f"analyze: --cluster {self.kind} starts a scheduler of its own, and "
                f"{self._running_option()} names a running one; leave out one of them"
            )
        if self.running and self.cores is not None:
            raise ConfigError(
                f"analyze: --cluster-cores applies to a cluster distsim starts, not to the "
                f"running scheduler of {self._running_option()} (its workers have their "
                f"threads already); leave it out"
            )
        for name in ("memory", "walltime"):
            if getattr(self, name) is not None and self.kind != "slurm":
                raise ConfigError(
                    f"analyze: --cluster-{name} {getattr(self, name)} applies to --cluster "
                    f"slurm only; add --cluster slurm or leave it out"
                )
        if self.memory is not None:
            from dask.utils import parse_bytes

            try:
                parse_bytes(self.memory)
            except (ValueError, TypeError):
                raise ConfigError(
                    f"analyze: --cluster-memory {self.memory!r} is not an amount of memory; "
                    f"use e.g. 16GB or 4000MB"
                ) from None
        if self.walltime is not None and not _WALLTIME.fullmatch(str(self.walltime)):
            raise ConfigError(
                f"analyze: --cluster-walltime {self.walltime!r} is not a Slurm time limit; "
                f"use MM, HH:MM:SS or D-HH:MM:SS, e.g. 02:00:00"
            )

    def _running_option(self):
        if self.scheduler:
            return f"--scheduler {self.scheduler}"
        return f"--scheduler-file {self.scheduler_file}"


@contextmanager
def dask_client(cluster=None):
    """A dask.distributed client on ``cluster``: a Cluster, a scheduler address (str), or None
    (a local cluster of one worker with two threads in this process: no worker processes to
    spawn, so it also works from scripts without a ``__main__`` guard)."""
    if cluster is None or isinstance(cluster, str):
        cluster = Cluster(scheduler=cluster)
    if not isinstance(cluster, Cluster):
        raise ConfigError(
            f"analyze: scheduler {cluster!r} is neither an address nor a Cluster; give "
            f"e.g. 'tcp://host:8786' or Cluster(scheduler_file='scheduler.json')"
        )
    cluster.check()
    start = _connect if cluster.running else _slurm if cluster.kind == "slurm" else _local
    import dask

    # a client makes itself dask's default scheduler and undoes that when it closes; one that
    # fails while connecting may never close: dask's setting is restored here in any case
    with dask.config.set(scheduler=dask.config.get("scheduler", None)), start(cluster) as client:
        workers = client.scheduler_info(n_workers=-1)["workers"].values()
        n = len(workers)
        log.info(
            "analyze: dask scheduler at %s, %d worker%s, %d threads",
            client.scheduler.address,
            n,
            "" if n == 1 else "s",
            sum(w["nthreads"] for w in workers),
        )
        yield client


@contextmanager
def _connect(cluster):
    """A client of the running scheduler, with ``cluster.workers`` workers if given."""
    from distributed import Client

    timeout = cluster.timeout or CONNECT_S
    where = cluster._running_option()
    address = cluster.scheduler or _address_in(cluster.scheduler_file, timeout)
    try:
        client = Client(address, timeout=timeout)
    except ValueError as exc:
        raise ConfigError(
            f"analyze: {where}: {address!r} is not a dask scheduler address ({exc}); use "
            f"e.g. tcp://HOST:8786"
        ) from None
    except (OSError, TimeoutError) as exc:
        raise ConfigError(
            f"analyze: no dask scheduler answered at {address} ({where}) within "
            f"{timeout:g} s ({exc}); start it first, check the address, or wait longer "
            f"(--cluster-timeout)"
        ) from None
    try:
        if cluster.workers:
            _wait_for_workers(client, cluster.workers, timeout, where)
        yield client
    finally:
        client.close()


def _address_in(path, timeout):
    """The address in the scheduler file ``path``, waiting up to ``timeout`` s for it."""
    import json

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ConfigError(
            f"analyze: --scheduler-file {path}: its folder {folder} does not exist; give the "
            f"file the scheduler wrote (dask scheduler --scheduler-file FILE)"
        )
    deadline = time.monotonic() + timeout
    if not os.path.exists(path):
        log.info("analyze: waiting up to %g s for the scheduler file %s", timeout, path)
    while True:
        try:
            with open(path) as f:
                return json.load(f)["address"]
        except FileNotFoundError:
            problem = "does not exist"
        except (OSError, ValueError, KeyError, TypeError) as exc:  # maybe still being written
            problem = f"is not a dask scheduler file ({type(exc).__name__}: {exc})"
        if time.monotonic() > deadline:
            raise ConfigError(
                f"analyze: --scheduler-file {path} {problem} after {timeout:g} s; start the "
                f"scheduler first (dask scheduler --scheduler-file {path}) and give the file "
                f"it writes, or wait longer (--cluster-timeout)"
            )
        time.sleep(0.1)


def _wait_for_workers(client, n, timeout, where):
    try:
        client.wait_for_workers(n, timeout=timeout)
    except TimeoutError as exc:
        joined = getattr(exc, "available_workers", "fewer")
        raise ConfigError(
            f"analyze: {joined} of the {n} workers (--cluster-workers) joined the scheduler "
            f"of {where} within {timeout:g} s; start them, ask for fewer, or wait longer "
            f"(--cluster-timeout)"
        ) from None


@contextmanager
def _local(cluster):
    """LocalCluster of ``cluster.workers`` processes, or one worker in this process; its
    HTTP server on a free port (not 8787: analyses side by side do not collide)."""
    from distributed import Client, LocalCluster

    if cluster.workers is None:
        kwargs = {"n_workers": 1, "threads_per_worker": cluster.cores or 2, "processes": False}
    else:
        kwargs = {"n_workers": cluster.workers, "threads_per_worker": cluster.cores or 1}
    with LocalCluster(dashboard_address=":0", **kwargs) as local, Client(local) as client:
        yield client


@contextmanager
def _slurm(cluster):
    """SLURMCluster of ``cluster.workers`` jobs; waits for the first worker, the others join
    as their jobs start; cancels the jobs at the end."""
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise ConfigError(
            "analyze: --cluster slurm needs the package dask-jobqueue, which is not "
            "installed; pip install dask-jobqueue (or use --scheduler-file with a dask "
            "cluster started otherwise)"
        ) from None
    if shutil.which("sbatch") is None:
        raise ConfigError(
            "analyze: --cluster slurm submits its workers with sbatch, which is not on PATH "
            "(no Slurm here); run analyze where sbatch works, or use --cluster local or "
            "--scheduler-file"
        )
    import dask
    from distributed import Client

    def setting(name, fallback):
        return dask.config.get(f"jobqueue.slurm.{name}", None) or fallback

    options = {
        "cores": cluster.cores or setting("cores", 1),
        "memory": cluster.memory or setting("memory", SLURM_MEMORY),
        "processes": 1,
    }
    if cluster.walltime:
        options["walltime"] = cluster.walltime
    jobs = cluster.workers or 1
    timeout = cluster.timeout or QUEUE_S
    with SLURMCluster(**options) as slurm, Client(slurm) as client:
        _test_submit(slurm.job_script())
        slurm.scale(jobs=jobs)
        log.info(
            "analyze: %d Slurm job(s) submitted for dask workers (%s core(s), %s each)",
            jobs,
            options["cores"],
            options["memory"],
        )
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise ConfigError(
                f"analyze: none of the {jobs} Slurm jobs of --cluster slurm started a dask "
                f"worker within {timeout:g} s; see squeue and the jobs' output files, or "
                f"wait longer (--cluster-timeout)"
            ) from None
        yield client


def _test_submit(script):
    """Raise ConfigError unless ``sbatch --test-only`` accepts the worker job ``script``
    (dask-jobqueue would only log the failure of the real submission, and wait)."""
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".sh", prefix="distsim-worker-") as f:
        f.write(script)
        f.flush()
        r = subprocess.run(
            ["sbatch", "--test-only", f.name], capture_output=True, text=True, timeout=120
        )
    if r.returncode:
        why = (r.stderr or r.stdout).strip().splitlines()
        raise ConfigError(
            f"analyze: --cluster slurm: sbatch rejects the worker job ({why[-1] if why else ''}"
            f"); fix --cluster-cores, --cluster-memory, --cluster-walltime or dask's "
            f"jobqueue.slurm settings (partition, account), or run where Slurm works"
        )
