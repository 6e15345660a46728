"""The memory a rank may use (memory_limit.py): the job's cgroup and Slurm limits and the
node's available memory, shared by the ranks on the node; fake /proc and cgroup files in
tmp_path and a fake environment, never a real limit."""

from collections import namedtuple

import psutil
import pytest

from distsim import memory_limit
from distsim.cli import main
from distsim.errors import ConfigError
from distsim.memory_limit import budget, cgroup_limit, ranks_on_node, slurm_limit

GB = 10**9
VARS = (
    "SLURM_MEM_PER_NODE",
    "SLURM_MEM_PER_CPU",
    "SLURM_CPUS_ON_NODE",
    "SLURM_CPUS_PER_TASK",
    "SLURM_STEP_TASKS_PER_NODE",
    "SLURM_NODEID",
    "MPI_LOCALNRANKS",
    "OMPI_COMM_WORLD_LOCAL_SIZE",
    "PMI_RANK",
    "PMIX_RANK",
    "PMI_SIZE",
    "OMPI_COMM_WORLD_SIZE",
)


@pytest.fixture
def node(tmp_path, monkeypatch):
    """No limit but 16 GB available, until a test writes one."""
    for var in VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(memory_limit, "PROC_CGROUP", str(tmp_path / "proc-cgroup"))
    monkeypatch.setattr(memory_limit, "PROC_MOUNTINFO", str(tmp_path / "proc-mountinfo"))
    memory = namedtuple("memory", "available")
    monkeypatch.setattr(psutil, "virtual_memory", lambda: memory(16 * GB))
    return tmp_path


def cgroups(tmp, groups, mounts, limits):
    """/proc/self/cgroup lines, mountinfo (fs type, mount root, folder under tmp, super
    options) and {file under tmp: content}."""
    (tmp / "proc-cgroup").write_text("\n".join(groups) + "\n")
    (tmp / "proc-mountinfo").write_text(
        "".join(
            f"{30 + i} 24 0:{40 + i} {root} {tmp / folder} rw,nosuid shared:{i} - {fs} {fs} {opts}\n"
            for i, (fs, root, folder, opts) in enumerate(mounts)
        )
    )
    for name, content in limits.items():
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_text(content + "\n")


def test_cgroup_v2_limit_of_the_process_or_an_ancestor_the_smallest_wins(node):
    job = "cg/system.slice/slurmstepd.scope/job_42"
    cgroups(
        node,
        ["0::/system.slice/slurmstepd.scope/job_42/step_0/user/task_0"],
        [("cgroup2", "/", "cg", "rw,nsdelegate")],
        {
            f"{job}/memory.max": str(4 * 2**30),
            f"{job}/step_0/memory.max": "max",
            f"{job}/step_0/user/memory.max": str(6 * 2**30),
            "cg/system.slice/memory.max": "max",
        },
    )
    assert cgroup_limit() == (4 * 2**30, "the cgroup's memory.max")


def test_cgroup_v1_memory_controller_beside_a_v2_hierarchy(node):
    cgroups(
        node,
        ["9:name=systemd:/", "4:memory:/slurm/uid_0/job_7/step_0", "3:cpuset:/", "0::/"],
        [
            ("cgroup", "/", "v1/cpuset", "rw,cpuset"),
            ("cgroup", "/", "v1/memory", "rw,memory"),
            ("cgroup2", "/", "unified", "rw"),
        ],
        {
            "v1/memory/memory.limit_in_bytes": "9223372036854771712",  # no limit
            "v1/memory/slurm/uid_0/job_7/memory.limit_in_bytes": str(2 * GB),
            "v1/cpuset/slurm/uid_0/job_7/memory.limit_in_bytes": "1000",  # not memory's
        },
    )
    assert cgroup_limit() == (2 * GB, "the cgroup's memory.limit_in_bytes")


def test_a_container_mounts_its_own_cgroup_as_the_root(node):
    cgroups(
        node,
        ["4:memory:/docker/abc"],
        [("cgroup", "/docker/abc", "memory", "rw,memory")],
        {
            "memory/memory.limit_in_bytes": str(3 * GB),
            # a child cgroup of this container's called docker/abc: not this process's
            "memory/docker/abc/memory.limit_in_bytes": str(GB),
        },
    )
    assert cgroup_limit() == (3 * GB, "the cgroup's memory.limit_in_bytes")


def test_no_cgroup_files_or_no_limit_is_no_limit(node):
    assert cgroup_limit() is None
    cgroups(node, ["0::/user.slice"], [("cgroup2", "/", "cg", "rw")], {"cg/memory.max": "max"})
    assert cgroup_limit() is None


def test_slurm_limit_per_node_or_per_cpu(node, monkeypatch):
    assert slurm_limit(2) is None
    monkeypatch.setenv("SLURM_MEM_PER_CPU", "500")
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "4")
    assert slurm_limit(2) == (500 * 2**20 * 8, "Slurm's --mem-per-cpu x 8 CPUs")
    monkeypatch.setenv("SLURM_CPUS_ON_NODE", "6")
    assert slurm_limit(2) == (500 * 2**20 * 6, "Slurm's --mem-per-cpu x 6 CPUs")
    monkeypatch.setenv("SLURM_MEM_PER_NODE", "3000")
    assert slurm_limit(2) == (3000 * 2**20, "Slurm's --mem")
    monkeypatch.setenv("SLURM_MEM_PER_NODE", "0")  # --mem=0: the whole node
    monkeypatch.delenv("SLURM_MEM_PER_CPU")
    assert slurm_limit(2) is None


def test_ranks_on_the_node_from_the_mpi_launcher_or_the_srun_step(node, monkeypatch):
    assert ranks_on_node() == 1
    monkeypatch.setenv("SLURM_STEP_TASKS_PER_NODE", "4(x2),3")
    monkeypatch.setenv("SLURM_NODEID", "2")
    assert ranks_on_node() == 1  # not a task of the step (e.g. the batch script)
    monkeypatch.setenv("PMI_RANK", "9")
    assert ranks_on_node() == 3
    monkeypatch.setenv("SLURM_NODEID", "1")
    assert ranks_on_node() == 4
    monkeypatch.setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "5")
    assert ranks_on_node() == 5
    monkeypatch.setenv("MPI_LOCALNRANKS", "2")
    assert ranks_on_node() == 2


def test_the_smallest_limit_shared_by_the_ranks_on_the_node(node, monkeypatch):
    assert budget() == memory_limit.Budget(16 * GB, 16 * GB, 1, "available on this node")
    cgroups(node, ["0::/job"], [("cgroup2", "/", "cg", "rw")], {"cg/job/memory.max": str(8 * GB)})
    monkeypatch.setenv("MPI_LOCALNRANKS", "4")
    assert budget().per_rank == 2 * GB and budget().source == "the cgroup's memory.max"
    monkeypatch.setenv("SLURM_MEM_PER_NODE", "6000")
    limit = budget()
    assert limit.per_rank == 6000 * 2**20 / 4
    assert limit.where() == "Slurm's --mem: 6.29 GB, shared by 4 ranks on this node"


def test_run_refuses_a_network_beyond_the_jobs_limit_and_says_which(node, monkeypatch):
    from distsim.examples import brunel
    from distsim.runner import check_memory

    net = brunel(order=5)
    check_memory(net, "block", store=False)  # 16 GB
    monkeypatch.setenv("SLURM_MEM_PER_NODE", "100")
    with pytest.raises(
        ConfigError, match=r"GB are available per rank \(Slurm's --mem: 0\.105 GB\)"
    ):
        check_memory(net, "block", store=False)


def test_ranks_of_the_launcher_must_fit_the_jobs_limit(node, monkeypatch, capsys):
    monkeypatch.setenv("SLURM_MEM_PER_CPU", "100")
    monkeypatch.setenv("SLURM_CPUS_ON_NODE", "3")
    assert main(["run", "--ranks", "2", "--oversubscribe", "--order", "5"]) == 2
    err = capsys.readouterr().err
    assert "--ranks 2 needs about 0.4 GB before any network" in err
    assert "0.3 GB are available (Slurm's --mem-per-cpu x 3 CPUs: 0.315 GB)" in err
