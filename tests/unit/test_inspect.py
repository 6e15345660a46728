"""`distsim inspect` / `partition`: expected sizes, memory per rank, traffic, warnings."""
import json
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
    # measured peak of a one-process Brunel run here: 0.65-0.77 GB
    assert 0.5e9 < d["per_rank"][0]["memory_estimate_bytes"] < 0.9e9
    two = describe(brunel(), 2, "round_robin")
    assert sum(r["neurons"] for r in two["per_rank"]) == 12500
    assert two["imbalance"] == pytest.approx(1.0, abs=0.01)
    assert all(r["spike_sends_per_s_expected"] > 0 for r in two["per_rank"])
    assert ranks_needed(brunel(), 0.3e9) > 1


def test_cli_inspect_and_partition():
    r = subprocess.run([DISTSIM, "inspect", "brunel", "--order", "100", "--json"],
                       capture_output=True, text=True, check=True)
    assert json.loads(r.stdout)["neurons"] == 500
    r = subprocess.run([DISTSIM, "partition", "brunel", "--order", "100", "--ranks", "3"],
                       capture_output=True, text=True, check=True)
    assert r.stdout.count("ranks,") == 4 and "sends/s" in r.stdout
