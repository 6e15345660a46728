"""How PCM conductance drift changes a network's activity over hours to a year.

    python -m distsim.examples.pcm_drift [--order 500] [--t-run 500] [--plot drift.png]

The network is Brunel's (2000) model A (``brunel``: g 5, eta 2, the asynchronous irregular
state) with every recurrent weight stored in a PCM differential pair (hardware/devices.py,
aihwkit's PCMLikeNoiseModel).  The devices are programmed once; the network then runs
``t_run`` ms (after 200 ms of warm-up) at each device age (time since programming), with a
new read of every device,
once without and once with global drift compensation.  Drift lowers every conductance by
(t / t0)^-nu: excitation and inhibition both weaken, the external drive does not, so the
rate rises as the recurrent inhibition (g = 5 times stronger) loses more absolute weight;
compensation rescales the weights back and keeps the rate near its value at programming.
"""
import argparse
import json

import numpy as np

from ..simulation import Simulation
from .brunel import brunel

AGES_S = {"programmed": 0.0, "1 min": 60.0, "1 hour": 3600.0, "1 day": 86400.0,
          "1 month": 30 * 86400.0, "1 year": 365 * 86400.0}


def drift_study(order=500, t_run=500.0, seed=1, compensation=False):
    """Mean rate (Hz) of the network at each of AGES_S (after ``t_run`` ms at that age)."""
    from distsim.hardware.devices import PCM
    net = brunel(order=order, seed=seed, device=PCM(drift_compensation=compensation))
    sim = Simulation(net)
    sim.run(200.0)  # past the onset transient
    rates = {}
    for label, age in AGES_S.items():
        sim.age_devices(age)
        before = sim.summary(digest=False)["spikes"]
        sim.run(t_run)
        spikes = sim.summary(digest=False)["spikes"] - before
        rates[label] = spikes / net.n_neurons / (t_run / 1000.0)
    return rates


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--order", type=int, default=500)
    p.add_argument("--t-run", type=float, default=500.0)
    p.add_argument("--plot", default=None, help="write a PNG of rate vs age")
    args = p.parse_args(argv)
    result = {name: drift_study(args.order, args.t_run, compensation=comp)
              for name, comp in (("uncompensated", False), ("compensated", True))}
    print(f"{'device age':<12} {'rate (Hz)':>10} {'compensated':>12}")
    for label in AGES_S:
        print(f"{label:<12} {result['uncompensated'][label]:>10.2f} "
              f"{result['compensated'][label]:>12.2f}")
    print(json.dumps(result))
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        ages = np.maximum(np.array(list(AGES_S.values())), 1.0)
        fig, ax = plt.subplots(figsize=(5, 3.2))
        for name, rates in result.items():
            ax.plot(ages, list(rates.values()), "o-", label=name)
        ax.set_xscale("log")
        ax.set_xlabel("device age (s; programming drawn at 1 s)")
        ax.set_ylabel("mean rate (Hz)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
    return result


if __name__ == "__main__":
    main()
