"""NIR import and export (distsim/nir_convert.py): closed-form responses fix the unit and
time conventions, every supported node round-trips, composed linear maps equal an
independent dense computation, and what cannot be represented is refused by name."""

import importlib.util
import json
from pathlib import Path

import nir
import numpy as np
import pytest

from distsim import Network, Normal, Simulation
from distsim.cli import main
from distsim.errors import NIRError
from distsim.modelfile import load_model_file, write_model_file
from distsim.nir_convert import EXAMPLE, export_nir, import_nir, write_nir

ROOT = Path(__file__).parents[2]
DT = 0.1


def graph(nodes, edges):
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def single_input(node, w=0.3, name="n"):
    """Input (1 neuron) -> Linear (w) -> node -> Output."""
    n = node_size(node)
    return graph(
        {
            "in": nir.Input(input_type={"input": np.array([1])}),
            "w": nir.Linear(weight=np.full((n, 1), w)),
            name: node,
            "out": nir.Output(output_type={"output": np.array([n])}),
        },
        [("in", "w"), ("w", name), (name, "out")],
    )


def node_size(node):
    return int(np.prod(np.shape(getattr(node, "threshold", getattr(node, "r", None)))))


def trace(net, population, t_ms, record=True):
    if record:
        net.record_state(population, "V_m", interval=DT)
    sim = Simulation(net)
    sim.run(t_ms)
    return sim, sim.states(0)["times"], sim.states(0)["V_m"]


@pytest.mark.parametrize("time_unit,tau", [("s", 0.02), ("ms", 20.0)])
def test_lif_response_is_the_closed_form(time_unit, tau):
    """One spike at t_s through weight w: v = v_leak + (r w / tau) exp(-(t - t_a) / tau_ms),
    t_a = t_s + dt (an edge without Delay takes one step); tau in the given time unit, so the
    jump r w / tau depends on it."""
    r, w, v_leak, t_s = 2.0, 0.3, -1.0, 1.0
    lif = nir.LIF(
        tau=np.array([tau]),
        r=np.array([r]),
        v_leak=np.array([v_leak]),
        v_threshold=np.array([1e9]),
        v_reset=np.array([0.0]),
    )
    net = import_nir(single_input(lif, w), dt=DT, time_unit=time_unit, spike_times={"in": [[t_s]]})
    _, t, v = trace(net, "n", 20.0)
    tau_ms = tau * {"s": 1000.0, "ms": 1.0}[time_unit]
    t_a = t_s + DT
    expected = np.where(t >= t_a - 1e-9, v_leak + r * w / tau * np.exp(-(t - t_a) / tau_ms), v_leak)
    np.testing.assert_allclose(v[:, 0], expected, rtol=1e-6, atol=1e-9)
    assert v[:, 0].max() == pytest.approx(v_leak + r * w / tau, rel=1e-6)


def test_cubalif_response_is_the_double_exponential():
    """I jumps by I0 = w_in w / tau_syn; v - v_leak = r I0 tau_s / (tau_s - tau_m)
    (exp(-s / tau_s) - exp(-s / tau_m)), s = t - t_a (times in ms, taus given in s)."""
    tau_s, tau_m, r, w_in, w, v_leak, t_s = 0.005, 0.01, 1.5, 2.0, 0.1, 0.5, 2.0
    cuba = nir.CubaLIF(
        tau_syn=np.array([tau_s]),
        tau_mem=np.array([tau_m]),
        r=np.array([r]),
        v_leak=np.array([v_leak]),
        v_threshold=np.array([1e9]),
        v_reset=np.array([0.0]),
        w_in=np.array([w_in]),
    )
    net = import_nir(single_input(cuba, w), dt=DT, spike_times={"in": [[t_s]]})
    _, t, v = trace(net, "n", 40.0)
    s = np.clip(t - (t_s + DT), 0.0, None)
    i0 = w_in * w / tau_s
    expected = v_leak + r * i0 * tau_s / (tau_s - tau_m) * (
        np.exp(-s / (1000 * tau_s)) - np.exp(-s / (1000 * tau_m))
    )
    np.testing.assert_allclose(v[:, 0], expected, rtol=1e-6, atol=1e-9)
    assert v[:, 0].max() > v_leak + 10.0  # the response is there (about 15 above rest)


def test_if_and_i_integrate_without_leak():
    """IF: dv/dt = r b (a bias b through an Affine) crosses v_threshold = 1.0025 between
    steps 200 and 201 (v = 0.005 per step), resets to 0 and repeats; I: v = r b t plus a
    lasting jump r w per input spike, recorded by its Output."""
    zeros = np.zeros((1, 1))
    g = graph(
        {
            "in": nir.Input(input_type={"input": np.array([1])}),
            "bias_if": nir.Affine(weight=zeros, bias=np.array([1.0])),
            "if": nir.IF(
                r=np.array([50.0]), v_threshold=np.array([1.0025]), v_reset=np.array([0.0])
            ),
            "bias_i": nir.Affine(weight=np.array([[0.25]]), bias=np.array([0.5])),
            "integ": nir.I(r=np.array([4.0])),
            "out_if": nir.Output(output_type={"output": np.array([1])}),
            "out_i": nir.Output(output_type={"output": np.array([1])}),
        },
        [
            ("in", "bias_if"),
            ("bias_if", "if"),
            ("in", "bias_i"),
            ("bias_i", "integ"),
            ("if", "out_if"),
            ("integ", "out_i"),
        ],
    )
    net = import_nir(g, dt=DT, spike_times={"in": [[5.0]]})
    assert net.populations["if"].model.tau_m == np.inf
    sim = Simulation(net)
    sim.run(65.0)
    times, gids = sim.spikes()
    fired = times[gids == net.populations["if"].first_gid]
    assert fired.tolist() == pytest.approx([20.1, 40.2, 60.3])
    rec = sim.states(0)
    t = rec["times"]
    expected = 4.0 * 0.5 * t / 1000.0 + np.where(t >= 5.1 - 1e-9, 4.0 * 0.25, 0.0)
    np.testing.assert_allclose(rec["V_m"][:, 0], expected, rtol=1e-9, atol=1e-9)


def test_li_never_fires_and_its_output_records_the_membrane():
    li = nir.LI(tau=np.array([0.01]), r=np.array([1.0]), v_leak=np.array([0.2]))
    net = import_nir(single_input(li, 5.0), spike_times={"in": [[1.0, 1.5]]})
    assert [r.population for r in net.state_recorders] == ["n"] and not net.spike_recorders
    sim, t, v = trace(net, "n", 10.0, record=False)
    jump = 1.0 * 5.0 / 0.01
    expected = 0.2 + sum(
        np.where(t >= ta - 1e-9, jump * np.exp(-(t - ta) / 10.0), 0.0) for ta in (1.1, 1.6)
    )
    np.testing.assert_allclose(v[:, 0], expected, rtol=1e-6)
    assert sim.summary()["spikes"] == 2  # the two input spikes only: LI never fires


def test_threshold_fires_when_a_steps_summed_input_exceeds_it():
    """z = H(x - theta) with x the weights arriving in one step: 1.5 > 1 fires, 1.0 = 1 does
    not (NIR's strict >), 0.5 + 0.6 in one step fires, in two steps it does not."""
    w = np.array([[1.5, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.5, 0.6]])
    g = graph(
        {
            "in": nir.Input(input_type={"input": np.array([3])}),
            "w": nir.Linear(weight=w),
            "thr": nir.Threshold(threshold=np.ones(3)),
            "out": nir.Output(output_type={"output": np.array([3])}),
        },
        [("in", "w"), ("w", "thr"), ("thr", "out")],
    )
    net = import_nir(g, spike_times={"in": [[1.0], [2.0, 3.0], [2.0, 3.1]]})
    sim = Simulation(net)
    sim.run(10.0)
    times, gids = sim.spikes("thr")
    first = net.populations["thr"].first_gid
    assert list(zip(np.round(times, 6).tolist(), (gids - first).tolist())) == [(1.1, 0), (2.1, 2)]


def test_delay_node_sets_the_synaptic_delay_and_short_delays_are_refused():
    lif = nir.LIF(
        tau=np.array([0.02]),
        r=np.array([1.0]),
        v_leak=np.array([0.0]),
        v_threshold=np.array([1e9]),
        v_reset=np.array([0.0]),
    )

    def delayed(d):
        return graph(
            {
                "in": nir.Input(input_type={"input": np.array([1])}),
                "w": nir.Linear(weight=np.array([[0.02]])),
                "d": nir.Delay(delay=np.array([d])),
                "n": lif,
                "out": nir.Output(output_type={"output": np.array([1])}),
            },
            [("in", "w"), ("w", "d"), ("d", "n"), ("n", "out")],
        )

    net = import_nir(delayed(0.002), spike_times={"in": [[1.0]]})
    assert net.projections[0].delay == pytest.approx(2.0)
    _, t, v = trace(net, "n", 5.0)
    assert t[np.argmax(v[:, 0] > 0)] == pytest.approx(3.0)  # 1.0 ms + 2 ms, not + dt
    with pytest.raises(
        NIRError,
        match=r"NIR node 'd' \(Delay\): delay\[0\] = 5e-05 s \(0.05 ms\) "
        r"is shorter than one step \(dt = 0.1 ms\)",
    ):
        import_nir(delayed(0.00005))
    with pytest.raises(NIRError, match="0.15 ms is not a multiple of dt = 0.1 ms"):
        import_nir(delayed(0.00015))


def dense_reference(x, conv, pool, fc_w, fc_b):
    """Input (C, H, W) -> conv -> pool -> flatten -> affine, by explicit loops."""
    w, b, stride, pad, dil, groups = conv
    c_out, c_in_g, kh, kw = w.shape
    c_in, h, wd = x.shape
    ho = (h + 2 * pad - dil * (kh - 1) - 1) // stride + 1
    wo = (wd + 2 * pad - dil * (kw - 1) - 1) // stride + 1
    y = np.zeros((c_out, ho, wo))
    for co in range(c_out):
        g = co // (c_out // groups)
        for i in range(ho):
            for j in range(wo):
                acc = b[co]
                for ci in range(c_in_g):
                    for a in range(kh):
                        for e in range(kw):
                            yy, xx = i * stride - pad + a * dil, j * stride - pad + e * dil
                            if 0 <= yy < h and 0 <= xx < wd:
                                acc += w[co, ci, a, e] * x[g * c_in_g + ci, yy, xx]
                y[co, i, j] = acc
    kind, k = pool
    p = np.zeros((c_out, ho // k, wo // k))
    for co in range(c_out):
        for i in range(ho // k):
            for j in range(wo // k):
                window = y[co, i * k : (i + 1) * k, j * k : (j + 1) * k].sum()
                p[co, i, j] = window / (k * k if kind == "avg" else 1)
    return fc_w @ p.ravel() + fc_b


@pytest.mark.parametrize("stride,pad,dil,groups,pool", [(1, 1, 1, 1, "sum"), (2, 2, 2, 2, "avg")])
def test_conv_pool_flatten_affine_compose_into_one_matrix(stride, pad, dil, groups, pool):
    rng = np.random.default_rng(3)
    w = rng.normal(size=(4, 2 // groups, 3, 3))
    b, fc_w, fc_b = (
        rng.normal(size=4),
        rng.normal(size=(5, 4 * 3 * 3 if stride == 1 else 4)),
        rng.normal(size=5),
    )
    lif = nir.LIF(
        tau=np.full(5, 0.02),
        r=np.full(5, 2.0),
        v_leak=np.zeros(5),
        v_threshold=np.ones(5),
        v_reset=np.zeros(5),
    )
    pool_node = (nir.SumPool2d if pool == "sum" else nir.AvgPool2d)(
        kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])
    )
    g = graph(
        {
            "in": nir.Input(input_type={"input": np.array([2, 6, 6])}),
            "conv": nir.Conv2d(
                input_shape=(6, 6),
                weight=w,
                stride=stride,
                padding=pad,
                dilation=dil,
                groups=groups,
                bias=b,
            ),
            "pool": pool_node,
            "flat": nir.Flatten(input_type=None, start_dim=0),
            "fc": nir.Affine(weight=fc_w, bias=fc_b),
            "lif": lif,
            "out": nir.Output(output_type={"output": np.array([5])}),
        },
        [
            ("in", "conv"),
            ("conv", "pool"),
            ("pool", "flat"),
            ("flat", "fc"),
            ("fc", "lif"),
            ("lif", "out"),
        ],
    )
    ref = [
        dense_reference(x.reshape(2, 6, 6), (w, b, stride, pad, dil, groups), (pool, 2), fc_w, fc_b)
        for x in np.eye(72)
    ]
    bias = dense_reference(
        np.zeros((2, 6, 6)), (w, b, stride, pad, dil, groups), (pool, 2), fc_w, fc_b
    )
    matrix = np.array(ref).T - bias[:, None]
    out = export_nir(import_nir(g))
    affine = out.nodes["in->lif"]
    assert isinstance(affine, nir.Affine)
    np.testing.assert_allclose(affine.weight, matrix, rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(affine.bias, bias, rtol=1e-12)


NEURONS = {  # three neurons each, with per-neuron differences
    "LIF": lambda: nir.LIF(
        tau=np.array([0.02, 0.02, 0.03]),
        r=np.array([1.0, 2.0, 2.0]),
        v_leak=np.array([0.0, 0.1, 0.1]),
        v_threshold=np.array([1.0, 1.0, 2.0]),
        v_reset=np.array([-0.5, 0.0, 0.0]),
    ),
    "IF": lambda: nir.IF(
        r=np.array([1.0, 1.0, 3.0]),
        v_threshold=np.array([1.0, 2.0, 2.0]),
        v_reset=np.array([0.0, 0.0, -1.0]),
    ),
    "LI": lambda: nir.LI(tau=np.array([0.01, 0.01, 0.02]), r=np.ones(3), v_leak=np.zeros(3)),
    "I": lambda: nir.I(r=np.array([1.0, 2.0, 2.0])),
    "CubaLIF": lambda: nir.CubaLIF(
        tau_syn=np.full(3, 0.005),
        tau_mem=np.array([0.01, 0.02, 0.02]),
        r=np.ones(3),
        v_leak=np.zeros(3),
        v_threshold=np.ones(3),
        v_reset=np.zeros(3),
        w_in=np.ones(3),
    ),
    "CubaLI": lambda: nir.CubaLI(
        tau_syn=np.full(3, 0.005),
        tau_mem=np.full(3, 0.01),
        r=np.array([1.0, 1.0, 2.0]),
        v_leak=np.zeros(3),
        w_in=np.ones(3),
    ),
    "Threshold": lambda: nir.Threshold(threshold=np.array([0.5, 1.0, 1.0])),
}


@pytest.mark.parametrize("kind", sorted(NEURONS))
def test_every_neuron_node_round_trips(kind, tmp_path):
    """Input -> Linear -> NODE -> Output: import, export (through a .nir file) and compare
    every parameter; per-neuron differences stay in one population, as values per neuron."""
    w = np.array([[0.1, 0.0, 0.2], [0.0, 0.3, 0.0], [0.4, 0.0, 0.5]])
    node = NEURONS[kind]()
    g = graph(
        {
            "in": nir.Input(input_type={"input": np.array([3])}),
            "w": nir.Linear(weight=w),
            "n": node,
            "out": nir.Output(output_type={"output": np.array([3])}),
        },
        [("in", "w"), ("w", "n"), ("n", "out")],
    )
    net = import_nir(g)
    write_nir(net, tmp_path / "g.nir")
    back = nir.read(tmp_path / "g.nir")
    assert type(back.nodes["n"]).__name__ == kind
    for field in (
        "tau",
        "tau_syn",
        "tau_mem",
        "r",
        "v_leak",
        "v_threshold",
        "v_reset",
        "w_in",
        "threshold",
    ):
        if hasattr(node, field):
            np.testing.assert_allclose(
                getattr(back.nodes["n"], field), getattr(node, field), rtol=1e-12, err_msg=field
            )
    np.testing.assert_allclose(back.nodes["in->n"].weight, w, rtol=1e-6)
    assert ("n", "output") in back.edges and ("in", "in->n") in back.edges
    assert float(back.metadata["distsim_dt_ms"]) == DT
    assert import_nir(back).to_dict()["populations"] == net.to_dict()["populations"]


def test_parameters_given_per_neuron_export_as_nir_arrays():
    net = Network(dt=DT)
    net.add_population("a", "spike_source", 3, {"spike_times": [[1.0]] * 3})
    net.add_population(
        "b",
        "iaf_psc_delta",
        3,
        {
            "t_ref": 0.0,
            "V_m": -70.0,
            "C_m": [250.0, 200.0, 300.0],
            "tau_m": np.array([10.0, 12.0, 15.0]),
        },
    )
    net.connect("a", "b", "all_to_all", weight=1.0)
    node = export_nir(net).nodes["b"]
    np.testing.assert_allclose(node.tau, [0.010, 0.012, 0.015], rtol=1e-12)  # s
    np.testing.assert_allclose(node.r, [10.0 / 250.0, 12.0 / 200.0, 15.0 / 300.0], rtol=1e-12)


def test_linear_nodes_round_trip_as_composed_matrices():
    """Scale, Affine (bias), Delay: exported as the Linear / Affine / Delay they compose to."""
    lif = NEURONS["LIF"]()
    g = graph(
        {
            "in": nir.Input(input_type={"input": np.array([3])}),
            "s": nir.Scale(scale=np.array([0.5, -1.0, 2.0])),
            "a": nir.Affine(weight=np.eye(3), bias=np.array([0.1, 0.0, -0.2])),
            "d": nir.Delay(delay=np.full(3, 0.0005)),
            "n": lif,
            "out": nir.Output(output_type={"output": np.array([3])}),
        },
        [("in", "s"), ("s", "a"), ("a", "d"), ("d", "n"), ("n", "out")],
    )
    net = import_nir(g)
    assert [p.name for p in net.populations.values()] == ["in", "n"]
    back = export_nir(net)
    np.testing.assert_allclose(back.nodes["in->n@5"].weight, np.diag([0.5, -1.0, 2.0]), rtol=1e-6)
    np.testing.assert_allclose(back.nodes["delay in->n@5"].delay, np.full(3, 0.0005))
    bias = back.nodes["in->n"]  # a zero-weight Affine without delay carries the bias
    np.testing.assert_allclose(bias.bias, [0.1, 0.0, -0.2])
    assert not bias.weight.any()
    again = import_nir(back)
    assert again.to_dict()["populations"] == net.to_dict()["populations"]


def test_import_refuses_what_distsim_cannot_represent():
    lif = NEURONS["LIF"]()
    li = NEURONS["LI"]()
    inp = nir.Input(input_type={"input": np.array([3])})
    out3 = nir.Output(output_type={"output": np.array([3])})
    cases = [
        (
            {"in": inp, "g": nir.NIRGraph(nodes={}, edges=[], type_check=False), "out": out3},
            [("in", "g"), ("g", "out")],
            r"NIR node 'g' \(NIRGraph\): node type NIRGraph has no "
            r"distsim equivalent",
        ),
        (
            {"in": inp, "w": nir.Linear(weight=np.ones((3, 2))), "n": lif, "out": out3},
            [("in", "w"), ("w", "n"), ("n", "out")],
            r"NIR edge \('in', 'w'\): 'in' delivers 3 values \(shape \(3,\)\) but NIR node 'w' "
            r"\(Linear\) takes 2",
        ),
        (
            {"in": inp, "li": li, "w": nir.Linear(weight=np.eye(3)), "n": lif, "out": out3},
            [("in", "li"), ("li", "w"), ("w", "n"), ("n", "out")],
            r"NIR node 'li' \(LI\): its output is a membrane potential, not spikes",
        ),
        (
            {"in": inp, "n": lif, "w": nir.Linear(weight=np.eye(3)), "out": out3},
            [("in", "n"), ("n", "w"), ("w", "out")],
            r"reads NIR node 'w' \(Linear\), a weighted sum",
        ),
        (
            {
                "in": inp,
                "a": nir.Linear(weight=np.eye(3)),
                "b": nir.Linear(weight=np.eye(3)),
                "n": lif,
                "out": out3,
            },
            [("in", "a"), ("a", "b"), ("b", "a"), ("b", "n"), ("n", "out")],
            "a cycle without a neuron",
        ),
        (
            {
                "in": inp,
                "n": nir.LIF(
                    tau=np.array([np.inf] * 3),
                    r=np.ones(3),
                    v_leak=np.zeros(3),
                    v_threshold=np.ones(3),
                ),
                "out": out3,
            },
            [("in", "n"), ("n", "out")],
            r"tau\[0\] = inf violates tau > 0 and finite; use IF or I",
        ),
        (
            {
                "in": inp,
                "n": nir.IF(r=np.ones(3), v_threshold=np.ones(3), v_reset=np.full(3, 2.0)),
                "out": out3,
            },
            [("in", "n"), ("n", "out")],
            r"NIR node 'n' \(IF\): .*V_reset = 2.0",
        ),
    ]
    for nodes, edges, message in cases:
        with pytest.raises(NIRError, match=message):
            import_nir(graph(nodes, edges))
    ok = graph({"in": inp, "n": lif, "out": out3}, [("in", "n"), ("n", "out")])
    with pytest.raises(NIRError, match="time_unit 'min' is not known"):
        import_nir(ok, time_unit="min")
    with pytest.raises(NIRError, match="spike_times has 2 lists for 3 input neurons"):
        import_nir(ok, spike_times={"in": [[1.0], [2.0]]})
    with pytest.raises(NIRError, match=r"NIR node 'in' \(Input\): .*spike time 0.05 ms"):
        import_nir(ok, spike_times={"in": [[0.05], [], []]})


def test_export_refuses_what_nir_cannot_express():
    def net_with(model="iaf_psc_delta", params=None, poisson=False, size=3):
        net = Network(dt=DT)
        net.add_population("a", "spike_source", size, {"spike_times": [[1.0]] * size})
        net.add_population("b", model, size, {"t_ref": 0.0, "V_m": -70.0, **(params or {})})
        net.connect("a", "b", "all_to_all", weight=1.0)
        if poisson:
            net.add_poisson_input("b", rate=10.0)
        return net

    cases = [
        (net_with(poisson=True), r"1 Poisson and 0 DC inputs: NIR has no stochastic"),
        (net_with("iaf_psc_alpha"), r"Population 'b': model 'iaf_psc_alpha' has no NIR node"),
        (net_with(params={"t_ref": 2.0}), r"parameter t_ref .* needs t_ref = 0"),
        (net_with(params={"V_m": -60.0}), r"parameter V_m .* needs V_m = E_L"),
        (net_with(params={"C_m": Normal(250.0, 10.0)}), r"parameter C_m is a distribution"),
        (net_with("iaf_psc_exp", {"tau_syn_in": 5.0}), r"needs tau_syn_in = tau_syn_ex"),
    ]
    for net, message in cases:
        with pytest.raises(NIRError, match=message):
            export_nir(net)
    with pytest.raises(
        NIRError,
        match=r"Projections 'a' -> 'b': .* 40 x 40 = 1,600 entries, "
        r"beyond max_dense = 1,000",
    ):
        export_nir(net_with(size=40), max_dense=1000)


def test_model_file_round_trip_of_an_imported_graph(tmp_path):
    """NIR -> Network -> TOML / YAML -> Network: the same description and spike trains."""
    net = import_nir(EXAMPLE)
    for suffix in (".toml", ".yaml"):
        write_model_file(net, tmp_path / f"net{suffix}")
        again = load_model_file(tmp_path / f"net{suffix}")
        assert again.to_dict() == net.to_dict()
    a, b = Simulation(net), Simulation(again)
    a.run(100.0)
    b.run(100.0)
    assert a.summary()["recorded_spikes"] > 0 and a.digest() == b.digest()


def test_cli_convert_and_run(tmp_path, capsys):
    toml, nir_file = tmp_path / "net.toml", tmp_path / "net.nir"
    assert main(["convert", str(EXAMPLE), str(toml)]) == 0
    assert main(["convert", str(toml), str(nir_file)]) == 0
    assert "510 neurons" in capsys.readouterr().out
    assert main(["run", str(nir_file), "--t-sim", "50", "--no-store", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["neurons"] == 410 and summary["recorded_spikes"] > 0  # 100 are sources
    (tmp_path / "bad.nir").write_text("not hdf5")
    assert main(["convert", str(tmp_path / "bad.nir"), str(tmp_path / "bad.toml")]) == 2
    assert "bad.nir: not a readable NIR file" in capsys.readouterr().err
    before = toml.read_text()
    assert main(["convert", str(nir_file), str(toml)]) == 2  # never replaces a file
    assert "net.toml exists" in capsys.readouterr().err and toml.read_text() == before
    assert main(["convert", str(toml), str(tmp_path / "net.json")]) == 2
    assert "unknown file type '.json'" in capsys.readouterr().err


def test_shipped_example_is_the_scripts_graph_and_runs():
    spec = importlib.util.spec_from_file_location(
        "make_nir_example", ROOT / "scripts" / "make_nir_example.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    made, shipped = script.build_graph(), nir.read(EXAMPLE)
    assert sorted(made.nodes) == sorted(shipped.nodes)
    assert sorted(made.edges) == sorted(shipped.edges)
    for name, node in made.nodes.items():
        other = shipped.nodes[name]
        assert type(node) is type(other)
        for key, value in node.to_dict().items():
            if key not in ("type", "input_type", "output_type"):
                shipped_value = _plain(other.to_dict()[key])
                assert json.dumps(_plain(value)) == json.dumps(shipped_value), (name, key)
    net = import_nir(EXAMPLE)
    assert net.n_neurons == 510 and len(net.populations) == 3  # one population per node
    assert np.unique(net.populations["lif"].model.I_e).size > 1  # the biases, per neuron
    n_spikes = made.nodes["input"].metadata["spike_time_ms"].size
    assert sum(map(len, net.populations["input"].model.spike_times)) == n_spikes > 3000
    again = import_nir(export_nir(net))  # input spikes travel in the Input node's metadata
    assert again.to_dict()["populations"] == net.to_dict()["populations"]
    sim = Simulation(net)
    sim.run(200.0)
    for node in ("lif", "cuba"):
        assert sim.spikes(node)[0].size > 0, node


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, (np.ndarray, np.generic, list, tuple)):
        return np.asarray(value).tolist()
    return value


def test_conv1d_and_time_unit_metadata_round_trip(tmp_path):
    """Conv1d (stride 2, padding 1) composes to the matrix of np.convolve's correlation; a
    graph exported in ms is read back in ms (its metadata), with the same parameters."""
    w, b = np.array([[[0.5, -1.0, 2.0]]]), np.array([0.25])
    x_len, stride = 8, 2
    lif = nir.LIF(
        tau=np.full(4, 20.0),
        r=np.ones(4),
        v_leak=np.zeros(4),
        v_threshold=np.ones(4),
        v_reset=np.zeros(4),
    )
    g = graph(
        {
            "in": nir.Input(input_type={"input": np.array([1, x_len])}),
            "conv": nir.Conv1d(
                input_shape=x_len, weight=w, stride=stride, padding=1, dilation=1, groups=1, bias=b
            ),
            "n": lif,
            "out": nir.Output(output_type={"output": np.array([4])}),
        },
        [("in", "conv"), ("conv", "n"), ("n", "out")],
    )
    expected = np.zeros((4, x_len))
    for i in range(4):
        for j in range(3):
            col = i * stride - 1 + j
            if 0 <= col < x_len:
                expected[i, col] = w[0, 0, j]
    net = import_nir(g, time_unit="ms")
    assert net.populations["n"].model.tau_m == 20.0
    write_nir(net, tmp_path / "g.nir", time_unit="ms")
    back = nir.read(tmp_path / "g.nir")
    np.testing.assert_allclose(back.nodes["in->n"].weight, expected, rtol=1e-6)
    np.testing.assert_allclose(back.nodes["in->n"].bias, np.full(4, 0.25))
    np.testing.assert_allclose(back.nodes["n"].tau, 20.0)
    again = import_nir(tmp_path / "g.nir").to_dict()  # weights: float32 as simulated
    assert again["populations"] == net.to_dict()["populations"]
    np.testing.assert_allclose(
        again["projections"][0]["weight"], net.to_dict()["projections"][0]["weight"], rtol=1e-6
    )
