"""The routed exchange with fabric latency on 1x4, 2x2 and torus rank grids gives the
collective exchange's spikes and plastic weights (fabric_grids.py)."""

import json

from mpirun import mpiexec


def test_fabric_grids_match_the_collective_exchange():
    r = mpiexec(4, ["fabric_grids.py"], timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    for net in ("brunel", "plastic"):
        reference = out[f"{net}/collective"]
        assert reference[2] > 1000  # real activity
        cases = [k for k in out if k.startswith(net + "/")]
        assert len(cases) == 5
        for case in cases:
            assert out[case] == reference, case
