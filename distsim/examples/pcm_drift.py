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
import os

import numpy as np

from ..simulation import Simulation
from .brunel import brunel

AGES_S = {
    "programmed": 0.0,
    "1 min": 60.0,
    "1 hour": 3600.0,
    "1 day": 86400.0,
    "1 month": 30 * 86400.0,
    "1 year": 365 * 86400.0,
}


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


def plot(result, path, order, t_run):
    """Write the mean rate against device age, with and without compensation, to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ages = np.maximum(np.array(list(AGES_S.values())), 1.0)  # "programmed" drawn at 1 s
    fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    for name, rates in result.items():
        on = "on" if name == "compensated" else "off"
        ax.plot(ages, list(rates.values()), "o-", label=f"{name} (global drift compensation {on})")
    ax.set_xscale("log")
    ax.set_xticks(ages, list(AGES_S), rotation=30)
    ax.minorticks_off()
    ax.set(
        xlabel="device age: time since the weights were programmed\n(log scale; "
        "'programmed' drawn at 1 s)",
        ylabel=f"mean rate of all {5 * order:,} neurons (Hz)",
        title=f"Brunel network (order {order}) with PCM weights:\nrate over {t_run:g} ms "
        f"at each device age",
    )
    fig.legend(loc="outside lower center", fontsize=8, frameon=False)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    from ..options import number

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--order",
        type=number(int, 1, 10**6, what="order"),
        default=500,
        help="network order: 4 order E and order I neurons (default 500)",
    )
    p.add_argument(
        "--t-run",
        type=number(float, 0.0, 1e7, low_open=True, what="t_run"),
        default=500.0,
        help="model time in ms at each device age (default 500)",
    )
    p.add_argument(
        "--plot", default=None, help="write a PNG of rate vs device age to this new path"
    )
    args = p.parse_args(argv)
    if args.plot and os.path.lexists(args.plot):
        p.error(f"--plot {args.plot}: exists; pcm_drift does not replace files; give a new path")
    result = {
        name: drift_study(args.order, args.t_run, compensation=comp)
        for name, comp in (("uncompensated", False), ("compensated", True))
    }
    print(f"{'device age':<12} {'rate (Hz)':>10} {'compensated':>12}")
    for label in AGES_S:
        print(
            f"{label:<12} {result['uncompensated'][label]:>10.2f} "
            f"{result['compensated'][label]:>12.2f}"
        )
    print(json.dumps(result))
    if args.plot:
        plot(result, args.plot, args.order, args.t_run)
    return result


if __name__ == "__main__":
    main()
