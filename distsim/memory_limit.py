"""The memory a rank may use: the smallest of the limits on this node, shared by the ranks
on the node.

Limits on the node (bytes):

- the cgroup of this process and of its ancestors: cgroup v2 ``memory.max``, v1
  ``memory.limit_in_bytes`` (Slurm's task/cgroup plugin, a container, systemd), found
  through /proc/self/cgroup and /proc/self/mountinfo;
- the job's Slurm request: ``SLURM_MEM_PER_NODE`` (MB), else ``SLURM_MEM_PER_CPU`` (MB)
  times ``SLURM_CPUS_ON_NODE`` (else the CPUs of the tasks on the node);
- the memory available on the node now.

The ranks on the node: ``MPI_LOCALNRANKS`` (MPICH's and Intel MPI's mpiexec),
``OMPI_COMM_WORLD_LOCAL_SIZE`` (Open MPI), else, for a task of an srun step, the step's tasks
on this node (``SLURM_STEP_TASKS_PER_NODE`` at ``SLURM_NODEID``); 1 otherwise.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

PROC_CGROUP = "/proc/self/cgroup"
PROC_MOUNTINFO = "/proc/self/mountinfo"
_NO_LIMIT = 2**60  # cgroup v1 writes "no limit" as a number near 2^63
_MB = 2**20  # Slurm's MB


@dataclass(frozen=True)
class Budget:
    """``per_rank`` bytes for each of ``ranks`` ranks of ``total`` bytes on this node, the
    limit named by ``source``."""

    per_rank: float
    total: float
    ranks: int
    source: str

    def where(self):
        """Where the budget comes from, for messages."""
        share = f", shared by {self.ranks} ranks on this node" if self.ranks > 1 else ""
        return f"{self.source}: {self.total / 1e9:.3g} GB{share}"


def budget(ranks=None):
    """The memory each of ``ranks`` ranks (default: the ranks on this node) may use."""
    import psutil

    ranks = ranks_on_node() if ranks is None else ranks
    limits = [(psutil.virtual_memory().available, "available on this node")]
    cgroup = cgroup_limit()
    if cgroup is not None:
        limits.append(cgroup)
    slurm = slurm_limit(ranks)
    if slurm is not None:
        limits.append(slurm)
    total, source = min(limits, key=lambda limit: limit[0])
    return Budget(total / max(ranks, 1), float(total), max(ranks, 1), source)


def _number(text):
    """The non-negative integer ``text`` says, else None."""
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def ranks_on_node():
    """The ranks of this job on this node (1 outside MPI)."""
    env = os.environ
    for var in ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE"):
        if _number(env.get(var)):
            return _number(env[var])
    tasks = env.get("SLURM_STEP_TASKS_PER_NODE", "")
    if tasks and ("PMI_RANK" in env or "PMIX_RANK" in env):  # a rank started by srun
        counts = []  # "2(x3),1": 2 tasks on each of 3 nodes, then 1
        for m in re.finditer(r"(\d+)(?:\(x(\d+)\))?", tasks):
            counts += [int(m[1])] * int(m[2] or 1)
        node = _number(env.get("SLURM_NODEID"))
        if counts:
            return counts[node] if node is not None and node < len(counts) else max(counts)
    return 1


def slurm_limit(ranks):
    """(bytes, source) of the job's Slurm memory request on this node, ``ranks`` ranks
    here; None without one (or ``--mem=0``: the whole node)."""
    env = os.environ
    per_node = _number(env.get("SLURM_MEM_PER_NODE"))
    if per_node:
        return per_node * _MB, "Slurm's --mem"
    per_cpu = _number(env.get("SLURM_MEM_PER_CPU"))
    if per_cpu:
        cpus = _number(env.get("SLURM_CPUS_ON_NODE")) or ranks * (
            _number(env.get("SLURM_CPUS_PER_TASK")) or 1
        )
        return per_cpu * _MB * cpus, f"Slurm's --mem-per-cpu x {cpus} CPUs"
    return None


def cgroup_limit():
    """(bytes, source) of the smallest memory limit of this process's cgroups (v2 and v1)
    and their ancestors; None without one."""
    try:
        groups = Path(PROC_CGROUP).read_text().splitlines()
        mounts = Path(PROC_MOUNTINFO).read_text().splitlines()
    except OSError:
        return None
    paths = {}  # file system type -> this process's cgroup
    for line in groups:
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and not controllers:
            paths["cgroup2"] = path
        elif "memory" in controllers.split(","):
            paths["cgroup"] = path
    limits = []
    for line in mounts:
        left, sep, right = line.partition(" - ")
        fields, fs = left.split(), right.split()
        if not sep or len(fields) < 5 or len(fs) < 3 or fs[0] not in paths:
            continue
        if fs[0] == "cgroup" and "memory" not in fs[2].split(","):
            continue
        root, point = _unescaped(fields[3]), Path(_unescaped(fields[4]))
        path = paths[fs[0]]
        if root != "/" and (path + "/").startswith(root.rstrip("/") + "/"):
            path = path[len(root.rstrip("/")) :]  # the mount shows a subtree of the hierarchy
        name = "memory.max" if fs[0] == "cgroup2" else "memory.limit_in_bytes"
        folder = point / path.strip("/")
        for group in (folder, *folder.parents):
            value = _read_limit(group / name)
            if value is not None:
                limits.append((value, f"the cgroup's {name}"))
            if group == point:
                break
    return min(limits, key=lambda limit: limit[0]) if limits else None


def _read_limit(path):
    """The limit in a cgroup file (None: none, or no such file)."""
    try:
        value = _number(path.read_text())
    except OSError:
        return None
    return value if value is not None and value < _NO_LIMIT else None


def _unescaped(field):
    r"""A mountinfo path field with its octal escapes (\040 for a space) decoded."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), field)
