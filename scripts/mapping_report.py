"""Hardware mapping against round-robin, as JSON: Brunel (order 500) on a 2 x 2 Loihi mesh
and the microcircuit (scale 0.1) on a 2 x 2 SpiNNaker toroid, 4 ranks (one chip each).

    .venv/bin/python scripts/mapping_report.py [--ranks 4]

Each report (partition.hardware_mapping.mapping_report) gives the expected spike traffic per
second between chips (one packet per spike per destination chip), the hop-weighted traffic,
mean hops per inter-chip packet and the maximum and mean link load, for the mapping and for
round-robin over the same chips, plus the cores used, neurons per core, the limit that sets
each population's core size and the limits the profile does not allow to check.
"""
import argparse
import json
import time

from distsim.examples import brunel, microcircuit
from distsim.partition import hardware, mapping_report

CASES = [("brunel order 500", lambda: brunel(order=500), "loihi", "mesh:2x2"),
         ("microcircuit scale 0.1", lambda: microcircuit(scale=0.1), "spinnaker",
          "spinnaker:2x2")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, default=4)
    args = parser.parse_args()
    out = []
    for name, make, profile, fabric in CASES:
        net = make()
        start = time.perf_counter()
        dec = hardware(net, args.ranks, profile=profile, fabric=fabric)
        seconds = time.perf_counter() - start
        out.append({"network": name, "mapping_s": round(seconds, 3),
                    **mapping_report(net, dec)})
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
