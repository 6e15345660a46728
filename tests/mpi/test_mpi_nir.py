"""The shipped NIR example (conv -> LIF -> pool -> affine -> delay -> CubaLIF), imported by
`distsim run FILE.nir`, gives the same spikes on 1 and 2 ranks."""

import json
import subprocess
import sys
from pathlib import Path

from mpirun import mpiexec

from distsim.nir_convert import EXAMPLE

DISTSIM = str(Path(sys.executable).parent / "distsim")
ARGS = ["run", str(EXAMPLE), "--t-sim", "300", "--no-store", "--json"]


def _summary(stdout):
    return json.loads(stdout.strip().splitlines()[-1])


def test_imported_graph_same_digest_on_1_and_2_ranks():
    ref = _summary(
        subprocess.run(
            [DISTSIM, *ARGS], capture_output=True, text=True, check=True, timeout=300
        ).stdout
    )
    assert ref["ranks_total"] == 1 and ref["recorded_spikes"] > 100
    r = mpiexec(2, [DISTSIM, *ARGS, "--balancer", "round_robin", "--backend", "async"])
    assert r.returncode == 0, r.stderr[-2000:]
    s = _summary(r.stdout)
    assert s["ranks_total"] == 2 and all(x["spikes_received"] > 0 for x in s["ranks"])
    assert s["digest"] == ref["digest"] and s["recorded_spikes"] == ref["recorded_spikes"]
