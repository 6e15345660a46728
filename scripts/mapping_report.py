"""Hardware mapping against round-robin, as JSON, 4 ranks (one chip each): Brunel (order
500) on a 2 x 2 Loihi mesh, the microcircuit (scale 0.1) on a 2 x 2 SpiNNaker toroid, and
the two spatially structured networks with explicit connections (FromList) on both: the
sensor example (64 x 64 DVS pixels, edge detectors, motion units) and the NIR convolutional
network distsim/examples/data/conv_snn.nir.

    .venv/bin/python scripts/mapping_report.py [--ranks 4] [--table]

Each report (partition.hardware_mapping.mapping_report) gives the expected spike traffic per
second between chips (one packet per spike per destination chip), the hop-weighted traffic,
mean hops per inter-chip packet and the maximum and mean link load, for the mapping and for
round-robin over the same chips, plus the cores used, neurons per core, the limit that sets
each population's core size, the limits the profile does not allow to check and the rank
grid.  ``--table`` prints one line per case instead.
"""

import argparse
import json
import time
from pathlib import Path

from distsim.examples import brunel, microcircuit
from distsim.partition import hardware, mapping_report

CONV = Path(__file__).resolve().parents[1] / "distsim" / "examples" / "data" / "conv_snn.nir"


def _sensor():
    from distsim.examples.sensor import sensor

    return sensor()


def _conv():
    from distsim.nir_convert import import_nir

    return import_nir(str(CONV))


CASES = [
    ("brunel order 500", lambda: brunel(order=500), "loihi", "mesh:2x2"),
    ("brunel order 500", lambda: brunel(order=500), "spinnaker", "spinnaker:2x2"),
    ("microcircuit scale 0.1", lambda: microcircuit(scale=0.1), "spinnaker", "spinnaker:2x2"),
    ("sensor 64 x 64", _sensor, "loihi", "mesh:2x2"),
    ("sensor 64 x 64", _sensor, "spinnaker", "spinnaker:2x2"),
    ("conv_snn.nir", _conv, "loihi", "mesh:2x2"),
    ("conv_snn.nir", _conv, "spinnaker", "spinnaker:2x2"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, default=4)
    parser.add_argument("--table", action="store_true", help="one line per case")
    args = parser.parse_args()
    out, nets = [], {}
    for name, make, profile, fabric in CASES:
        net = nets.setdefault(name, make())
        start = time.perf_counter()
        dec = hardware(net, args.ranks, profile=profile, fabric=fabric)
        seconds = time.perf_counter() - start
        out.append({"network": name, "mapping_s": round(seconds, 3), **mapping_report(net, dec)})
    if not args.table:
        print(json.dumps(out, indent=1))
        return
    keys = ("cut_traffic", "max_link_load", "mean_hops")
    print(
        f"{'network':<24}{'profile':<11}{'fabric':<15}{'cores':>6}"
        + "".join(f"{k + ' map / rr':>28}" for k in keys)
    )
    for r in out:
        m, rr = r["mapping"], r["round_robin"]
        print(
            f"{r['network']:<24}{r['profile']:<11}{r['fabric']:<15}{r['cores_used']:>6}"
            + "".join(
                f"{m[k]:>14,.{3 if k == 'mean_hops' else 0}f} / "
                f"{rr[k]:<11,.{3 if k == 'mean_hops' else 0}f}"
                for k in keys
            )
        )


if __name__ == "__main__":
    main()
