"""`distsim inspect` / `partition`: expected sizes, memory per rank, traffic, warnings."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from distsim.examples import brunel
from distsim.inspect import describe, ranks_needed

DISTSIM = str(Path(sys.executable).parent / "distsim")


def test_describe_brunel():
    d = describe(brunel(), 1)
    assert d["neurons"] == 12500 and d["synapses_expected"] == 15_625_000
    assert d["smallest_delay_ms"] == 1.5
    # measured peak of a one-process Brunel run here: 0.22 GB without a store, 0.28 GB with
    assert (
        0.18e9
        < describe(brunel(), 1, store=False)["per_rank"][0]["memory_estimate_bytes"]
        < 0.25e9
        < d["per_rank"][0]["memory_estimate_bytes"]
        < 0.34e9
    )
    two = describe(brunel(), 2, "round_robin")
    assert sum(r["neurons"] for r in two["per_rank"]) == 12500
    assert two["imbalance"] == pytest.approx(1.0, abs=0.01)
    assert all(r["spike_sends_per_s_expected"] > 0 for r in two["per_rank"])
    assert ranks_needed(brunel(), 0.3e9) == 1
    assert ranks_needed(brunel(), 0.2e9) == math.inf  # the process baseline alone is 0.2 GB


def test_memory_estimate_matches_a_measured_build():
    """The estimate of a small build with drawn weights and delays (microcircuit at scale
    0.2: 12 M synapses) lies within 20 % of the peak RSS of a fresh process that builds it
    and runs 10 ms (scripts/check_memory_estimate.py does this for larger networks).  The
    estimate is that of a process whose kernels come from numba's cache; one that compiles
    them holds about 0.6 GB more.  So the process first builds a tiny microcircuit (which
    compiles whatever is not cached), resets its peak (/proc/self/clear_refs), and the
    growth of its peak over that point is compared with the estimate without its process
    baseline."""
    from distsim.examples import microcircuit

    code = (
        "from distsim import Simulation; from distsim.examples import microcircuit; "
        "Simulation(microcircuit(scale=0.02, poisson_input=False)).run(1.0); "
        "open('/proc/self/clear_refs', 'w').write('5'); "
        "kb = lambda k: int([l for l in open('/proc/self/status') if l.startswith(k)][0]"
        ".split()[1]); before = kb('VmRSS'); "
        "sim = Simulation(microcircuit(scale=0.2, poisson_input=False)); sim.run(10.0); "
        "print((kb('VmHWM') - before) * 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    growth = int(out.stdout.split()[-1])
    est = describe(microcircuit(scale=0.2, poisson_input=False), 1, store=False)["per_rank"][0]
    expected = est["memory_estimate_bytes"] - est["memory_parts_bytes"]["base"]
    assert 0.8 < growth / expected < 1.2
    assert est["memory_parts_bytes"]["synapse_table"] > 0.25 * est["memory_estimate_bytes"]


def test_run_refuses_a_network_beyond_the_memory_per_rank(monkeypatch):
    """distsim run checks the estimate before building and names the ranks it needs."""
    from collections import namedtuple

    import psutil

    from distsim.errors import ConfigError
    from distsim.examples import microcircuit
    from distsim.runner import check_memory

    net = microcircuit(scale=0.3, poisson_input=False)
    one = describe(net, 1, store=False)["per_rank"][0]["memory_estimate_bytes"]
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS"):
        monkeypatch.delenv(var, raising=False)
    memory = namedtuple("memory", "available")
    monkeypatch.setattr(psutil, "virtual_memory", lambda: memory(0.85 * one))
    with pytest.raises(
        ConfigError,
        match=r"needs about 0\.39 GB per rank on 1 rank\(s\) but "
        r"0\.33 GB .* at least 2 ranks with 0\.33 GB each",
    ):
        check_memory(net, "block", store=False)
    monkeypatch.setattr(psutil, "virtual_memory", lambda: memory(1.05 * one))
    check_memory(net, "block", store=False)


def test_cli_inspect_and_partition():
    r = subprocess.run(
        [DISTSIM, "inspect", "brunel", "--order", "100", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(r.stdout)["neurons"] == 500
    r = subprocess.run(
        [DISTSIM, "partition", "brunel", "--order", "100", "--ranks", "3"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert r.stdout.count("ranks,") == 4 and "spikes out/step" in r.stdout
