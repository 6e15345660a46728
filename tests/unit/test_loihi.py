"""loihi_cuba_lif against a separate integer reference of Lava's bit-accurate LIF
(hardware.md section 2; lava-nc does not install here), spike for spike and state for state."""

import numpy as np
import pytest

from distsim import FromList, Network, Simulation
from distsim.errors import ModelError


def lava_reference(weights, in_spikes, du, dv, vth, bias_mant, bias_exp, weight_exp, steps):
    """u, v (steps x n) and spikes of Lava's PyLifModelBitAcc fed by a Dense process whose
    output reaches the neurons one step later; ``in_spikes[t]`` are the inputs spiking at t."""
    n = weights.shape[0]
    u = np.zeros(n, np.int64)
    v = np.zeros(n, np.int64)
    us, vs, out = [], [], []
    buffered = np.zeros(n, np.int64)
    for t in range(1, steps + 1):
        a_in = buffered
        s_in = np.zeros(weights.shape[1], np.int64)
        s_in[in_spikes.get(t, [])] = 1
        acc = weights @ s_in
        buffered = acc << weight_exp if weight_exp >= 0 else acc >> -weight_exp
        tmp = u * (4096 - (du + 1))
        u = np.sign(tmp) * (np.abs(tmp) >> 12) + (a_in << 6)
        u = np.where(u > 2**23, u - 2**24, u)
        u = np.where(u <= -(2**23), u + 2**24, u)
        tmp = v * (4096 - dv)
        v = np.sign(tmp) * (np.abs(tmp) >> 12) + u + (bias_mant << bias_exp)
        v = np.clip(v, -(2**23 - 1), 2**23 - 1)
        s = v > (vth << 6)
        v[s] = 0
        us.append(u.copy())
        vs.append(v.copy())
        out.append(np.flatnonzero(s))
    return np.array(us), np.array(vs), out


@pytest.mark.parametrize(
    "du, dv, vth, bias_mant, bias_exp, weight_exp, scale",
    [
        (410, 205, 80, 0, 0, 0, 40),  # ordinary leaky integration and spiking
        (4095, 0, 20, 3, 2, 1, 60),  # current reset each step, no voltage leak, bias
        (0, 100, 131071, -7, 3, 7, 255),  # no current decay: the 24-bit current wraps
        (50, 4095, 1000, 4095, 7, -3, 255),  # saturating voltage, right-shifted input
    ],
)
def test_matches_lava_bit_accurate_lif(du, dv, vth, bias_mant, bias_exp, weight_exp, scale):
    rng = np.random.default_rng(du + dv)
    n_in, n, steps = 12, 7, 300
    weights = rng.integers(-scale, scale + 1, size=(n, n_in))
    weights[:, :3] = np.abs(weights[:, :3])
    in_spikes = {}
    times = []
    for i in range(n_in):
        ts = np.unique(rng.integers(1, steps - 1, size=40))
        times.append(list(ts * 1.0))
        for t in ts:
            in_spikes.setdefault(int(t), []).append(i)
    params = dict(
        du=du, dv=dv, vth=vth, bias_mant=bias_mant, bias_exp=bias_exp, weight_exp=weight_exp
    )
    net = Network(dt=1.0, seed=1)
    net.add_population("in", "spike_source", n_in, {"spike_times": times})
    net.add_population("lif", "loihi_cuba_lif", n, {k: float(x) for k, x in params.items()})
    tgt, src = np.nonzero(weights)
    net.connect("in", "lif", FromList(src, tgt), weight=weights[tgt, src].astype(float), delay=1.0)
    net.record_spikes("lif")
    net.record_state("lif", ["u", "v"], interval=1.0)
    sim = Simulation(net)
    sim.run(float(steps))
    rec = sim.states()
    u_ref, v_ref, out_ref = lava_reference(weights, in_spikes, steps=steps, **params)
    assert np.array_equal(rec["u"], u_ref) and np.array_equal(rec["v"], v_ref)
    times, gids = sim.spikes()
    ref = sorted((t + 1, i + n_in) for t, idx in enumerate(out_ref) for i in idx)
    assert sorted(zip(times.astype(int).tolist(), gids.tolist())) == ref
    if weight_exp >= 0 and bias_mant >= 0:
        assert len(ref) > 0  # the case exercises spiking


def test_weights_and_registers_are_the_chips_integers():
    net = Network(dt=1.0)
    net.add_population("in", "spike_source", 2, {"spike_times": [[1.0], [2.0]]})
    with pytest.raises(ModelError, match="du = 4096.0 is not an integer in \\[0, 4095\\]"):
        net.add_population("bad", "loihi_cuba_lif", 2, {"du": 4096.0})
    net.add_population("lif", "loihi_cuba_lif", 2)
    with pytest.raises(ModelError, match="weight 1.5 onto a loihi_cuba_lif population"):
        net.connect("in", "lif", "one_to_one", weight=1.5)
    with pytest.raises(ModelError, match="weight 300.0"):
        net.connect("in", "lif", FromList([0, 1], [0, 1]), weight=[3.0, 300.0])
    from distsim import Normal

    with pytest.raises(ModelError, match="drawn weights"):
        net.connect("in", "lif", "one_to_one", weight=Normal(3.0, 1.0))
