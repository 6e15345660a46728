"""`distsim run` under mpiexec uses every rank and prints the same digest for every N;
`--ranks N` starts mpiexec itself."""

import json
import re
import subprocess
import sys
from pathlib import Path

from mpirun import mpiexec

DISTSIM = str(Path(sys.executable).parent / "distsim")
ARGS = ["run", "--order", "300", "--t-sim", "100", "--json"]


def _summary(stdout):
    return json.loads(stdout.strip().splitlines()[-1])


def test_digest_equal_for_every_rank_count():
    ref = _summary(
        subprocess.run([DISTSIM, *ARGS], capture_output=True, text=True, check=True).stdout
    )
    assert ref["ranks_total"] == 1 and ref["spikes"] > 0
    for n, extra in (
        (2, ["--backend", "async"]),
        (3, ["--balancer", "round_robin"]),
        (4, ["--balancer", "balanced", "--backend", "async"]),
    ):
        r = mpiexec(n, [DISTSIM, *ARGS, *extra])
        assert r.returncode == 0, r.stderr[-2000:]
        s = _summary(r.stdout)
        assert s["ranks_total"] == n
        assert s["digest"] == ref["digest"] and s["spikes"] == ref["spikes"]
        assert len(s["ranks"]) == n and sum(x["neurons"] for x in s["ranks"]) == 1500
        assert all(x["spikes_sent"] > 0 and x["spikes_received"] > 0 for x in s["ranks"])


def test_ranks_option_starts_mpiexec():
    r = subprocess.run(
        [DISTSIM, *ARGS, "--ranks", "2"], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr[-2000:]
    s = _summary(r.stdout)
    assert s["ranks_total"] == 2 and r.stdout.count('"digest"') == 1  # rank 0 prints alone


def test_routed_run_on_a_chip_mapping_with_link_latency():
    """4 ranks holding 2x2-chip blocks of a Loihi mesh:4x4: no two chips are more than 6
    links apart, so the 1.5 ms delays allow 0.25 ms per link (a rank hop, 2 links, 0.5 ms);
    rank 0's and rank 3's chips are at least 2 links apart, so 1 ms per link is refused."""
    ref = _summary(
        subprocess.run([DISTSIM, *ARGS], capture_output=True, text=True, check=True).stdout
    )
    hw = ["--backend", "routed", "--hardware", "loihi", "--fabric", "mesh:4x4"]
    r = mpiexec(4, [DISTSIM, *ARGS, *hw, "--link-latency", "0.25"])
    assert r.returncode == 0, r.stderr[-2000:]
    s = _summary(r.stdout)
    assert s["digest"] == ref["digest"]
    assert s["exchange"] == "routed exchange on a 2x2 mesh of ranks, 0.5 ms per hop"
    assert s["hardware"]["mapping"]["rank_grid"]["chips_per_rank"] == [2, 2]
    assert sum(x["packets_forwarded"] for x in s["ranks"]) > 0  # rank 0 -> 3 goes via 1
    r = mpiexec(4, [DISTSIM, *ARGS, *hw, "--link-latency", "1"])
    assert r.returncode != 0
    assert re.search(
        r"projection '\w+->\w+': synapses cross [2-6] chip links of 1 ms \([2-6] ms\) "
        r"but have delays down to 1.5 ms on mesh:4x4",
        r.stderr,
    ), r.stderr[-2000:]
