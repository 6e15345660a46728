"""``distsim run --ranks N``: start N MPI ranks on this machine, and stand guard over them.

The ranks are started by the mpich wheel's mpiexec beside this Python (``pip install
distsim[mpich]``), else by the site's MPI that mpi4py was built against: ``mpiexec`` or
``mpirun`` on PATH, or ``srun`` inside a Slurm allocation (its MPI plugin is the site's
default, or ``SLURM_MPI_TYPE``).

- Ctrl-C, SIGTERM and SIGUSR1 reach the ranks once (mpiexec runs in a process group of its
  own, so a terminal's Ctrl-C is not delivered to it twice, which hydra takes as "abort
  now"); the ranks then stop cleanly (checkpointing.py).
- If this launcher is killed, even by SIGKILL, the kernel sends mpiexec SIGTERM
  (PR_SET_PDEATHSIG), which it forwards to the ranks: none runs on unwatched.
- Every rank writes, into a folder this launcher made (``DISTSIM_LAUNCH_DIR``), its pid, host
  and the MPICH shared-memory files it mapped (comm/mpi.py), and rank 0 the run store.  When
  a rank dies of a signal, hydra names its pid; the launcher says which rank it was and which
  signal, marks a store the ranks could not close "failed" with that reason, and unlinks the
  job's leftover shared-memory files (only those its own ranks listed).
"""

import atexit
import ctypes
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from .errors import ConfigError

log = logging.getLogger(__name__)

LAUNCH_DIR = "DISTSIM_LAUNCH_DIR"  # environment variable the ranks read (comm/mpi.py)
LAUNCHER_PID = "DISTSIM_LAUNCHER_PID"
_LOGS = ("stdout", "stderr")
_PR_SET_PDEATHSIG = 1
_HYDRA_PID = re.compile(rb"PID (\d+) RUNNING AT (\S+)")
_HYDRA_SIGNAL = re.compile(rb"(?:KILLED BY SIGNAL: |\(signal )(\d+)")
_HYDRA_REMARK = re.compile(
    rb"\[mpiexec@[^\]]*\] |=|YOUR APPLICATION TERMINATED|This typically "
    rb"refers|Please see the FAQ|\s*$"
)


def announce(rank, **info):
    """A rank started by ``launch`` tells the launcher its pid, host and ``info`` (merged
    into what it said before); nothing when started otherwise."""
    folder = os.environ.get(LAUNCH_DIR)
    if not folder or not os.path.isdir(folder):
        return
    path = os.path.join(folder, f"rank-{rank}.json")
    if rank == 0 and not os.path.exists(path):
        atexit.register(_clean_up_if_orphaned, folder)
    said = {}
    if os.path.exists(path):
        with open(path) as f:
            said = json.load(f)
    said.update(pid=os.getpid(), host=socket.gethostname(), **info)
    with open(path + ".tmp", "w") as f:
        json.dump(said, f)
    os.replace(path + ".tmp", path)


def _clean_up_if_orphaned(folder):
    """At rank 0's exit: if the launcher died (killed), nobody else removes its folder."""
    try:
        os.kill(int(os.environ[LAUNCHER_PID]), 0)
    except (KeyError, ValueError, ProcessLookupError):
        if os.path.isdir(folder):
            remove_launch_folder(folder)
    except PermissionError:  # alive, another user's pid: not ours to judge
        pass


def launch_command(n_ranks, threads=1):
    """The command that starts ``n_ranks`` ranks of ``threads`` threads each, up to the
    program: the mpich wheel's mpiexec beside this Python, else mpiexec or mpirun on PATH,
    else srun inside a Slurm allocation."""
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = beside if os.path.exists(beside) else shutil.which("mpiexec") or shutil.which("mpirun")
    if found:
        cmd = [found, "-n", str(n_ranks)]
        if threads > 1 and _is_open_mpi(found):  # it binds each rank to one core by default
            cmd += ["--bind-to", "none"]
        return cmd
    srun = shutil.which("srun")
    if srun and os.environ.get("SLURM_JOB_ID"):
        return [srun, f"--ntasks={n_ranks}", f"--cpus-per-task={threads}", "--kill-on-bad-exit=1"]
    raise ConfigError(
        f"distsim run --ranks {n_ranks}: no MPI launcher found: no mpiexec beside this Python "
        f"({os.path.dirname(sys.executable)}), no mpiexec or mpirun on PATH and no srun "
        f"inside a Slurm allocation; install the mpich wheel (pip install 'distsim[mpich]'), "
        f"load the site's MPI module, or start the ranks yourself (mpiexec -n {n_ranks} "
        f"distsim run ...)"
    )


def _is_open_mpi(mpiexec):
    """True when ``mpiexec`` is Open MPI's (it says so in --version)."""
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return "Open MPI" in out.stdout + out.stderr or "OpenRTE" in out.stdout + out.stderr


def _die_with_parent():
    """In the child before exec: receive SIGTERM when the launcher dies (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the launcher's handlers still forward
        pass


def launch(n_ranks, argv, threads=1):
    """Run ``distsim argv`` on ``n_ranks`` ranks of ``threads`` threads; returns the exit
    status to give.

    mpiexec writes into files of the launch folder, which the launcher copies to its own
    stdout and stderr as they grow: a pipe would break when the launcher dies, and hydra
    would then kill the ranks before they can stop cleanly."""
    cmd = [*launch_command(n_ranks, threads), sys.executable, "-m", "distsim.cli", *argv]
    folder = tempfile.mkdtemp(prefix="distsim-launch-")
    logs = {name: open(os.path.join(folder, f"{name}.log"), "wb") for name in _LOGS}
    child = subprocess.Popen(
        cmd,
        stdout=logs["stdout"],
        stderr=logs["stderr"],
        start_new_session=True,
        preexec_fn=_die_with_parent,
        env={**os.environ, LAUNCH_DIR: folder, LAUNCHER_PID: str(os.getpid())},
    )
    for f in logs.values():
        f.close()
    seen = bytearray()
    done = threading.Event()
    copier = threading.Thread(target=_follow, args=(folder, seen, done), daemon=True)
    copier.start()
    first_dead = []
    watcher = threading.Thread(
        target=_watch_ranks, args=(folder, n_ranks, child, first_dead), daemon=True
    )
    watcher.start()
    previous = {
        sig: signal.signal(sig, lambda signum, frame: child.send_signal(signum))
        for sig in (signal.SIGTERM, signal.SIGUSR1, signal.SIGINT)
    }
    try:
        status = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    done.set()
    copier.join(timeout=10)
    watcher.join(timeout=10)
    try:
        ranks = _read_ranks(folder)
        if status != 0:
            _report_dead_rank(bytes(seen), ranks, first_dead[0] if first_dead else None)
        _release_shared_memory(ranks)
    finally:
        remove_launch_folder(folder)
    return status


def _follow(folder, seen, done):
    """Copy what mpiexec writes to stdout.log and stderr.log, as it grows, to this process's
    stdout and stderr (until ``done`` and all is copied).  Hydra's own remarks (forwarding
    Ctrl-C, a rank's bad termination) go to stderr and into ``seen``: stdout stays what
    distsim prints (e.g. --json)."""
    files = {name: open(os.path.join(folder, f"{name}.log"), "rb") for name in _LOGS}
    pending = b""
    try:
        while True:
            last = done.is_set()
            err = files["stderr"].read()
            if err:
                sys.stderr.buffer.write(err)
                sys.stderr.flush()
                seen += err
            lines = (pending + files["stdout"].read()).split(b"\n")
            pending = lines.pop()
            if last and pending:
                lines.append(pending)
                pending = b""
            for line in lines:
                if _HYDRA_REMARK.match(line):
                    sys.stderr.buffer.write(line + b"\n")
                    seen += line + b"\n"
                else:
                    sys.stdout.buffer.write(line + b"\n")
            sys.stdout.flush()
            sys.stderr.flush()
            del seen[:-65536]
            if last:
                return
            time.sleep(0.05)
    finally:
        for f in files.values():
            f.close()


def _read_ranks(folder):
    """{rank: what it wrote (pid, host, shm, store)} of the ranks that started."""
    ranks = {}
    for name in os.listdir(folder):
        m = re.fullmatch(r"rank-(\d+)\.json", name)
        if m:
            try:
                with open(os.path.join(folder, name)) as f:
                    ranks[int(m.group(1))] = json.load(f)
            except (OSError, ValueError):
                pass
    return ranks


def _watch_ranks(folder, n_ranks, child, first_dead):
    """Note in ``first_dead`` the rank that ends first while mpiexec runs (a pidfd per rank,
    opened once the ranks have announced themselves): when one is killed, hydra kills the
    others a moment later, and reports whichever it saw end."""
    import select

    fds = {}
    while child.poll() is None and len(fds) < n_ranks:
        for rank, info in _read_ranks(folder).items():
            if rank not in fds and "pid" in info:
                try:
                    fds[rank] = os.pidfd_open(info["pid"])
                except (OSError, AttributeError):  # gone already, or no pidfd here
                    fds[rank] = None
        time.sleep(0.05)
    live = {fd: rank for rank, fd in fds.items() if fd is not None}
    try:
        while live and child.poll() is None:
            ready, _, _ = select.select(list(live), [], [], 0.5)
            if ready:
                first_dead.append(live[ready[0]])
                return
    finally:
        for fd in live:
            os.close(fd)


def _report_dead_rank(stderr, ranks, first_dead):
    """Say which rank ended first (``first_dead``, else hydra's report) and with which signal
    (hydra's report), and mark the run store of a run that could not close it."""
    pid = _HYDRA_PID.search(stderr)
    sig = _HYDRA_SIGNAL.search(stderr)
    if first_dead is not None and "pid" in ranks.get(first_dead, {}):
        which, pid_text = first_dead, str(ranks[first_dead]["pid"])
        host = ranks[first_dead].get("host", "?")
    elif pid:
        pid_text, host = pid.group(1).decode(), pid.group(2).decode()
        which = next((r for r, info in ranks.items() if info.get("pid") == int(pid_text)), None)
    else:
        return
    name = "an unknown signal"
    if sig:
        number = int(sig.group(1))
        try:
            name = f"signal {number} ({signal.Signals(number).name})"
        except ValueError:
            name = f"signal {number}"
    who = f"rank {which}" if which is not None else "a rank"
    reason = f"{who} (pid {pid_text} on {host}) was killed by {name}"
    store = ranks.get(0, {}).get("store")
    if store:
        reason_marked = _mark_store(store, reason)
        if reason_marked:
            reason += f"; run store {store} marked failed"
    log.error(reason)


def _mark_store(path, reason):
    """Mark a run store its ranks left "running" as failed (none of them holds it any
    more); True when it was marked."""
    import zarr

    from .store.ownership import RUN_STORE, is_locked, kind_of
    from .store.writer import set_attrs

    if kind_of(path) != RUN_STORE or is_locked(path):
        return False
    root = zarr.open_group(path, mode="a")
    if root.attrs.get("status") != "running":
        return False
    set_attrs(root, {"status": "failed", "reason": reason})
    return True


def _release_shared_memory(ranks):
    """Unlink the MPICH shared-memory files the job's ranks mapped, where they are left."""
    for info in ranks.values():
        for path in info.get("shm", []):
            if re.fullmatch(r"/dev/shm/mpich_shm_[A-Za-z0-9_]+", path) and os.path.isfile(path):
                try:
                    os.unlink(path)
                except OSError:
                    pass


def remove_launch_folder(folder):
    """Remove the launch folder's own files, then the folder if nothing else is there."""
    for name in os.listdir(folder):
        if re.fullmatch(r"rank-\d+\.json(\.tmp)?|(stdout|stderr)\.log", name):
            os.unlink(os.path.join(folder, name))
    try:
        os.rmdir(folder)
    except OSError:  # something else was put there: leave it
        log.warning("launch folder %s kept: it holds files distsim did not write", folder)
