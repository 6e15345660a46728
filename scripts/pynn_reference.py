#!/usr/bin/env python3
"""Reference data of the PyNN backend: the PyNN scripts of scripts/pynn_cases.py run on
pyNN.nest (NEST 3.10, spikes on the time grid), written to tests/data/pynn_nest_reference.json.

    /path/to/python/with/nest/and/pyNN scripts/pynn_reference.py [--out FILE]

The balanced network and the microcircuit run with seeds 1, 2 and 3 (PyNN's and NEST's random
numbers), so that tests/unit/test_pynn.py can compare distsim's statistics with NEST's spread
over seeds.  The microcircuit takes its numbers from distsim.examples.microcircuit: distsim
must be importable in the NEST environment (pip install -e this checkout there).
"""

import argparse
import json
import sys
from pathlib import Path

import nest
import pyNN
import pyNN.nest as sim

sys.path.insert(0, str(Path(__file__).parent))
from pynn_cases import CASES  # noqa: E402

OPTIONS = {"spike_precision": "on_grid"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out", default=str(Path(__file__).parents[1] / "tests/data/pynn_nest_reference.json")
    )
    a = ap.parse_args()
    out = {"nest_version": nest.__version__, "pynn_version": pyNN.__version__, "cases": {}}
    for name, case in CASES.items():
        if name in ("balanced", "microcircuit"):
            out["cases"][name] = [case(sim, {**OPTIONS, "rng_seed": s}, seed=s) for s in (1, 2, 3)]
        else:
            out["cases"][name] = case(sim, OPTIONS)
        print(name, "done", file=sys.stderr)
    Path(a.out).write_text(json.dumps(out))


if __name__ == "__main__":
    main()
