#!/usr/bin/env python3
"""Build the example NIR graph shipped with distsim and write it as a .nir file.

    .venv/bin/python scripts/make_nir_example.py [--out distsim/examples/data/conv_snn.nir]

A small convolutional spiking network, 510 neurons, time constants in seconds (NIR's usual
convention):

    input (1x10x10 spike sources, 40 Hz Poisson trains for 1 s, in the Input's metadata)
    -> conv (Conv2d, 4 channels 3x3, padding 1, one bias per channel)
    -> lif (LIF 4x10x10, tau 20 ms)          -> output_lif
    -> pool (SumPool2d 2x2) -> flat (Flatten) -> fc (Affine 10x100)
    -> delay (Delay 1 ms) -> cuba (CubaLIF 10, tau_syn 5 ms, tau_mem 10 ms) -> output

Everything is drawn from numpy's default_rng(2024), so the file is the same on every run
(tests/unit/test_nir.py checks that the shipped file equals this script's graph).
"""

import argparse
from pathlib import Path

import nir
import numpy as np

OUT = Path(__file__).parents[1] / "distsim" / "examples" / "data" / "conv_snn.nir"
DT_MS = 0.1


def input_spikes(rng, n, rate_hz=40.0, t_ms=1000.0):
    """Poisson trains on the dt grid: (neuron index, time in ms) of every spike."""
    neuron, times = [], []
    for i in range(n):
        steps = np.flatnonzero(rng.random(int(t_ms / DT_MS)) < rate_hz * DT_MS / 1000.0) + 1
        neuron += [i] * steps.size
        times += (steps * DT_MS).round(6).tolist()
    return np.array(neuron, np.int64), np.array(times)


def build_graph():
    rng = np.random.default_rng(2024)
    neuron, times = input_spikes(rng, 100)
    lif_shape, n_out = (4, 10, 10), 10
    nodes = {
        "input": nir.Input(
            input_type={"input": np.array([1, 10, 10])},
            metadata={"spike_neuron": neuron, "spike_time_ms": times},
        ),
        "conv": nir.Conv2d(
            input_shape=(10, 10),
            weight=rng.uniform(0.0, 0.008, (4, 1, 3, 3)),
            stride=1,
            padding=1,
            dilation=1,
            groups=1,
            bias=np.array([-0.5, 0.0, 0.2, 0.4]),
        ),
        "lif": nir.LIF(
            tau=np.full(lif_shape, 0.02),
            r=np.ones(lif_shape),
            v_leak=np.zeros(lif_shape),
            v_threshold=np.ones(lif_shape),
            v_reset=np.zeros(lif_shape),
        ),
        "pool": nir.SumPool2d(
            kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])
        ),
        "flat": nir.Flatten(input_type={"input": np.array([4, 5, 5])}, start_dim=0),
        "fc": nir.Affine(weight=rng.normal(5e-5, 2e-4, (n_out, 100)), bias=np.zeros(n_out)),
        "delay": nir.Delay(delay=np.full(n_out, 0.001)),
        "cuba": nir.CubaLIF(
            tau_syn=np.full(n_out, 0.005),
            tau_mem=np.full(n_out, 0.01),
            r=np.ones(n_out),
            v_leak=np.zeros(n_out),
            v_threshold=np.ones(n_out),
            v_reset=np.zeros(n_out),
            w_in=np.ones(n_out),
        ),
        "output_lif": nir.Output(output_type={"output": np.array(lif_shape)}),
        "output": nir.Output(output_type={"output": np.array([n_out])}),
    }
    edges = [
        ("input", "conv"),
        ("conv", "lif"),
        ("lif", "output_lif"),
        ("lif", "pool"),
        ("pool", "flat"),
        ("flat", "fc"),
        ("fc", "delay"),
        ("delay", "cuba"),
        ("cuba", "output"),
    ]
    return nir.NIRGraph(
        nodes=nodes,
        edges=edges,
        type_check=False,
        metadata={"distsim_dt_ms": DT_MS, "time_unit": "s"},
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(OUT), help=f"the .nir file (default {OUT})")
    args = parser.parse_args()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    nir.write(args.out, build_graph())
    print(args.out)


if __name__ == "__main__":
    main()
