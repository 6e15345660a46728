"""distsim analyze on a dask cluster of separate worker processes (a running scheduler, given
by its file or address): the same summary as the default local cluster, the store's chunks
read and the statistics computed by the workers; and one clean error line for a cluster
that cannot be reached or started."""

import json
import socket
import sys
import types

import pytest

from distsim import Simulation
from distsim.analysis import Cluster, analyze
from distsim.cli import main
from distsim.errors import ConfigError
from distsim.examples.brunel import brunel

VOLATILE = ("analysis_s", "out_dir", "store")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Brunel, 250 neurons, 300 ms (about 7,000 spikes) in chunks of 512 spikes."""
    from distsim.store import writer

    path = tmp_path_factory.mktemp("cluster") / "brunel.zarr"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(writer, "CHUNK", 512)
        Simulation(brunel(order=50), store=path).run(300.0)
    return path


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two worker processes of one thread, and the scheduler's file."""
    from distributed import Client, LocalCluster

    folder = tmp_path_factory.mktemp("scheduler")
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as local,
        Client(local) as client,
    ):
        client.write_scheduler_file(str(folder / "scheduler.json"))
        yield client, folder / "scheduler.json"


@pytest.fixture(scope="module")
def reference(store, tmp_path_factory):
    """The summary with the default local cluster (threads in this process)."""
    return analyze(store, out_dir=tmp_path_factory.mktemp("ref") / "out", plots=False)


def same(a, b):
    return {k: v for k, v in a.items() if k not in VOLATILE} == {
        k: v for k, v in b.items() if k not in VOLATILE
    }


def test_cli_with_a_scheduler_file_gives_the_local_summary(
    store, cluster, reference, tmp_path, capsys
):
    client, scheduler_file = cluster
    code = main(
        [
            "analyze",
            str(store),
            "--out",
            "out",
            "--no-plots",
            "--scheduler-file",
            str(scheduler_file),
            "--cluster-workers",
            "2",
        ]
    )
    assert code == 0
    address = client.scheduler.address
    assert f"dask scheduler at {address}, 2 workers, 2 threads" in capsys.readouterr().err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["spikes"] > 5000 and same(summary, reference)


def test_workers_read_the_store_and_compute_the_statistics(
    store, cluster, reference, tmp_path, monkeypatch
):
    """Spike chunks read in this process are recorded: none with the worker processes (the
    default local cluster, threads here, reads them all); the ISI CVs and correlations are
    tasks the workers ran."""
    from dask.utils import key_split
    from distributed import get_task_stream
    from zarr.storage import LocalStore

    client, _ = cluster
    read = []
    get = LocalStore.get

    async def recording_get(self, key, *args, **kwargs):
        read.append(key)
        return await get(self, key, *args, **kwargs)

    monkeypatch.setattr(LocalStore, "get", recording_get)
    with get_task_stream(client) as tasks:
        summary = analyze(
            store, out_dir=tmp_path / "remote", plots=False, scheduler=client.scheduler.address
        )
    spike_chunks = [k for k in read if "/spike_" in k and "/c/" in k]
    assert spike_chunks == [] and read  # metadata and network here, spikes there
    ran = {key_split(t["key"]) for t in tasks.data}
    assert {"from-zarr", "bincount_agg-partial", "block_cv", "correlations"} <= ran, ran
    assert {t["worker"] for t in tasks.data} == set(client.scheduler_info()["workers"])
    assert same(summary, reference)
    read.clear()
    analyze(store, out_dir=tmp_path / "local", plots=False)
    assert len({k for k in read if "/spike_" in k and "/c/" in k}) > 20  # 2 x 14 chunks


def _dead_address():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.parametrize(
    "options, message",
    [
        (
            ["--scheduler-file", "missing.json", "--cluster-timeout", "0.3"],
            "--scheduler-file missing.json does not exist after 0.3 s; start the scheduler",
        ),
        (
            ["--scheduler", "DEAD", "--cluster-timeout", "1"],
            "no dask scheduler answered at tcp://127.0.0.1:",
        ),
        (["--scheduler", "nowhere"], "'nowhere' is not a dask scheduler address"),
        (
            ["--scheduler-file", "SCHEDULER", "--cluster-workers", "3", "--cluster-timeout", "1"],
            "2 of the 3 workers (--cluster-workers) joined",
        ),
        (["--cluster", "slurm"], "needs the package dask-jobqueue, which is not installed; pip"),
        (["--cluster", "slurm", "FAKE_JOBQUEUE"], "sbatch, which is not on PATH"),
        (["--cluster-memory", "4GB"], "--cluster-memory 4GB applies to --cluster slurm only"),
        (["--cluster", "slurm", "--cluster-walltime", "2h"], "is not a Slurm time limit"),
        (
            ["--scheduler", "tcp://a:1", "--scheduler-file", "s.json"],
            "name two schedulers; give one of them",
        ),
        (["--scheduler", "tcp://a:1", "--cluster", "slurm"], "leave out one of them"),
    ],
)
def test_errors_are_one_line_with_status_2(
    options, message, store, cluster, tmp_path, monkeypatch, capsys
):
    fake_jobqueue = "FAKE_JOBQUEUE" in options
    swap = {"DEAD": _dead_address(), "SCHEDULER": str(cluster[1])}
    options = [swap.get(o, o) for o in options if o != "FAKE_JOBQUEUE"]
    if fake_jobqueue:  # dask-jobqueue importable, but no sbatch on PATH
        fake = types.SimpleNamespace(SLURMCluster=None)
        monkeypatch.setitem(sys.modules, "dask_jobqueue", fake)
        monkeypatch.setenv("PATH", str(tmp_path))
    else:  # dask-jobqueue not installed
        monkeypatch.setitem(sys.modules, "dask_jobqueue", None)
    capsys.readouterr()
    assert main(["analyze", str(store), "--out", "out", *options]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("distsim: error: analyze: ") and message in err[-1], err
    assert not (tmp_path / "out").exists()


def test_cluster_fields_are_checked():
    with pytest.raises(ValueError, match="--cluster-workers 0 is not an integer >= 1"):
        Cluster(workers=0).check()
    with pytest.raises(ValueError, match="--cluster-timeout inf is not a positive number"):
        Cluster(timeout=float("inf")).check()
    with pytest.raises(ValueError, match="cluster 'pbs' is not one of local, slurm"):
        Cluster(kind="pbs").check()
    Cluster(kind="slurm", workers=4, cores=8, memory="16GB", walltime="1-02:00:00").check()


def test_a_client_that_never_closes_leaves_dask_s_default_scheduler_as_it_was(monkeypatch):
    """A client sets itself as dask's default scheduler and undoes that when it closes; one
    that fails while connecting may never close (it then broke later tests' reads of a store,
    which asked for a distributed client that was gone)."""
    import contextlib

    import dask

    from distsim.analysis import cluster as module

    @contextlib.contextmanager
    def leaky(cluster):
        dask.config.set(scheduler="dask.distributed")  # as Client(...) does, never undone
        raise ConfigError("analyze: no dask scheduler answered")
        yield

    monkeypatch.setattr(module, "_local", leaky)
    with dask.config.set(scheduler="synchronous"):  # whatever was set before
        with pytest.raises(ConfigError), module.dask_client(Cluster()):
            pass
        assert dask.config.get("scheduler") == "synchronous"
