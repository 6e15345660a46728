"""PyNN scripts that run on any PyNN backend: ``CASES[name](sim, setup_options)`` runs one on
the backend module ``sim`` (pyNN.nest or distsim.pynn) and returns its results as JSON-able
data.  scripts/pynn_reference.py runs them on pyNN.nest (NEST 3.10) into
tests/data/pynn_nest_reference.json; tests/unit/test_pynn.py runs them on distsim.pynn and
compares."""

import numpy as np

T_CELLS = 300.0


def _spikes(segment):
    return [list(map(float, st.magnitude)) for st in segment.spiketrains]


def _signal(segment, name):
    for sig in segment.analogsignals:
        if sig.name == name:
            return np.asarray(sig.magnitude).T.tolist()
    return []


def single_cells(sim, options):
    """One neuron of every standard cell type under a DC pulse, a step current and spike
    input through static excitatory and inhibitory synapses; their spikes and traces."""
    sim.setup(timestep=0.1, min_delay=0.1, **options)
    types = {
        "IF_curr_exp": (sim.IF_curr_exp(tau_syn_E=2.0, tau_syn_I=4.0), 0.5, -0.5, ["v"]),
        "IF_curr_alpha": (sim.IF_curr_alpha(tau_syn_E=1.5), 0.5, -0.5, ["v"]),
        "IF_curr_delta": (sim.IF_curr_delta(), 1.0, -1.0, []),  # pyNN.nest cannot record its v
        "IF_cond_exp": (sim.IF_cond_exp(), 0.01, 0.02, ["v", "gsyn_exc", "gsyn_inh"]),
        "IF_cond_alpha": (sim.IF_cond_alpha(), 0.01, 0.02, ["v", "gsyn_exc"]),
        "EIF_cond_exp_isfa_ista": (sim.EIF_cond_exp_isfa_ista(), 0.01, 0.02, ["v", "w"]),
        "EIF_cond_alpha_isfa_ista": (sim.EIF_cond_alpha_isfa_ista(), 0.01, 0.02, ["v"]),
        "Izhikevich": (sim.Izhikevich(), 2.0, -2.0, ["v", "u"]),
    }
    source = sim.Population(
        2, sim.SpikeSourceArray(spike_times=[[20.0, 22.0, 24.0, 150.0], [60.0, 61.0, 200.0]])
    )
    pops = {}
    for name, (celltype, w_exc, w_inh, variables) in types.items():
        p = sim.Population(1, celltype, label=name)
        if name == "IF_curr_delta":  # pyNN.nest leaves its v at NEST's -70 mV (no variable map)
            p.initialize(v=-70.0)
        sim.Projection(
            source[0:1],
            p,
            sim.AllToAllConnector(),
            sim.StaticSynapse(weight=w_exc, delay=1.0),
            receptor_type="excitatory",
        )
        sim.Projection(
            source[1:2],
            p,
            sim.AllToAllConnector(),
            sim.StaticSynapse(weight=w_inh, delay=1.5),
            receptor_type="inhibitory",
        )
        amp = 0.02 if name == "Izhikevich" else 1.0
        sim.DCSource(amplitude=amp, start=50.0, stop=110.0).inject_into(p)
        sim.StepCurrentSource(
            times=[180.0, 230.0, 260.0], amplitudes=[0.8 * amp, 1.2 * amp, 0.0]
        ).inject_into(p)
        p.record(["spikes"] + variables, sampling_interval=0.5)
        pops[name] = (p, variables)
    sim.run(T_CELLS)
    out = {}
    for name, (p, variables) in pops.items():
        seg = p.get_data().segments[0]
        out[name] = {"spikes": _spikes(seg)[0], **{v: _signal(seg, v)[0] for v in variables}}
    sim.end()
    return out


def hh_cell(sim, options):
    """HH_cond_exp (NEST's hh_cond_exp_traub; on distsim the nestml library's model of it)
    under spike input and a DC pulse: its spikes and membrane potential."""
    sim.setup(timestep=0.1, min_delay=0.1, **options)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[20.0, 22.0, 24.0, 150.0]))
    cell = sim.Population(1, sim.HH_cond_exp(), label="hh")
    sim.Projection(src, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.05, delay=1.0),
                   receptor_type="excitatory")  # fmt: skip
    sim.DCSource(amplitude=0.5, start=50.0, stop=110.0).inject_into(cell)
    cell.record(["spikes", "v"], sampling_interval=0.5)
    sim.run(200.0)
    seg = cell.get_data().segments[0]
    sim.end()
    return {"spikes": _spikes(seg)[0], "v": _signal(seg, "v")[0]}


def current_sources(sim, options):
    """A cell under an ACSource (its potential), and 50 cells under a NoisyCurrentSource (the
    mean and standard deviation of their potentials over the last 900 ms: the noise's draws
    differ between simulators)."""
    sim.setup(timestep=0.1, min_delay=0.1, **options)
    ac = sim.Population(1, sim.IF_curr_exp(v_thresh=100.0), label="ac")
    sim.ACSource(amplitude=0.5, offset=0.1, frequency=20.0, phase=30.0, start=10.0,
                 stop=160.0).inject_into(ac)  # fmt: skip
    noisy = sim.Population(50, sim.IF_curr_exp(v_thresh=100.0), label="noisy")
    sim.NoisyCurrentSource(mean=0.2, stdev=0.5, start=50.0, stop=1000.0, dt=1.0).inject_into(noisy)
    ac.record("v", sampling_interval=0.5)
    noisy.record("v", sampling_interval=0.5)
    sim.run(1000.0)
    v_ac = _signal(ac.get_data().segments[0], "v")[0]
    v = np.array(_signal(noisy.get_data().segments[0], "v"))[:, -1800:]
    sim.end()
    return {"ac_v": v_ac, "noise_mean": float(v.mean()), "noise_std": float(v.std())}


def connectors(sim, options):
    """The connections every connector makes between two populations (PyNN's random
    numbers, seed 42), as (pre, post) index lists."""
    sim.setup(timestep=0.1, min_delay=0.1, **options)
    pre = sim.Population(36, sim.IF_curr_exp(), structure=sim.space.Grid2D(aspect_ratio=1.0))
    post = sim.Population(25, sim.IF_curr_exp(), structure=sim.space.Grid2D(aspect_ratio=1.0))
    rng = sim.NumpyRNG(seed=42)
    conns = {
        "AllToAll": sim.AllToAllConnector(),
        "OneToOne": sim.OneToOneConnector(),
        "FixedProbability": sim.FixedProbabilityConnector(0.2, rng=rng),
        "FixedNumberPre": sim.FixedNumberPreConnector(5, rng=rng),
        "FixedNumberPost": sim.FixedNumberPostConnector(4, rng=rng),
        "FixedTotalNumber": sim.FixedTotalNumberConnector(150, rng=rng),
        "FromList": sim.FromListConnector([(0, 1, 0.1, 1.0), (3, 2, 0.2, 2.0), (7, 7, 0.3, 1.5)]),
        "FromFile": sim.FromFileConnector(_connection_file()),
        "DistanceDependentProbability": sim.DistanceDependentProbabilityConnector(
            "exp(-d/2.0)", rng=rng
        ),
    }
    out = {}
    for name, connector in conns.items():
        target = post if name != "OneToOne" else pre
        prj = sim.Projection(pre, target, connector, sim.StaticSynapse(weight=0.1, delay=1.0))
        pairs = sorted((int(c[0]), int(c[1])) for c in prj.get(["weight"], format="list"))
        out[name] = pairs
    sim.end()
    return out


def _connection_file():
    """A connection file of PyNN's text format (i j weight delay), in a new folder."""
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "connections.txt"
    path.write_text(
        "# columns = ['i', 'j', 'weight', 'delay']\n0 4 0.1 1.0\n5 2 0.2 1.5\n9 9 0.1 2.0\n"
    )
    return str(path)


def short_term(sim, options):
    """A burst and a pause through a TsodyksMarkramSynapse (depressing, then
    facilitating) onto a current-based cell: its synaptic current and potential."""
    sim.setup(timestep=0.1, min_delay=0.1, **options)
    times = [10.0, 20.0, 30.0, 40.0, 50.0, 300.0, 310.0, 320.0]
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=times))
    out = {}
    for name, syn in (
        (
            "depressing",
            sim.TsodyksMarkramSynapse(U=0.5, tau_rec=200.0, tau_facil=0.0, weight=1.0, delay=1.0),
        ),
        (
            "facilitating",
            sim.TsodyksMarkramSynapse(U=0.1, tau_rec=50.0, tau_facil=400.0, weight=1.0, delay=1.0),
        ),
    ):
        cell = sim.Population(1, sim.IF_curr_exp(tau_syn_E=3.0, v_thresh=100.0), label=name)
        sim.Projection(src, cell, sim.AllToAllConnector(), syn, receptor_type="excitatory")
        cell.record("v")
        out[name] = cell
    sim.run(400.0)
    result = {}
    for name, cell in out.items():
        seg = cell.get_data().segments[0]
        result[name] = {"v": _signal(seg, "v")[0]}
    sim.end()
    return result


def stdp(sim, options):
    """Pair-based STDP with an additive, a multiplicative and a power-law (Gutig) weight
    dependence: the weights
    of 10 synapses (one presynaptic train each) onto a cell driven to fire regularly, read
    every 100 ms."""
    sim.setup(timestep=0.1, min_delay=0.1, **options)
    rng = np.random.default_rng(3)
    # whole milliseconds: pyNN.nest moves a SpikeSourceArray's times min_delay earlier for its
    # parrot neurons, and NEST rounds such a time up when the subtraction leaves it a last bit
    # above the grid (74.4 ms fires at 74.5)
    trains = [sorted(set(np.round(rng.uniform(1, 500, 20)).tolist())) for _ in range(10)]
    pre = sim.Population(10, sim.SpikeSourceArray(spike_times=trains))
    out = {}
    for name, wdep in (
        ("additive", sim.AdditiveWeightDependence(w_min=0.0, w_max=0.05)),
        ("multiplicative", sim.MultiplicativeWeightDependence(w_min=0.0, w_max=0.05)),
        # mu 0.5: pyNN.nest leaves NEST's mu_plus and mu_minus at 0.5 whatever it is given
        ("power_law", sim.GutigWeightDependence(w_min=0.0, w_max=0.05, mu_plus=0.5, mu_minus=0.5)),
    ):
        post = sim.Population(1, sim.IF_curr_exp(i_offset=0.8, tau_refrac=2.0), label=name)
        mech = sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(
                tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.012
            ),
            weight_dependence=wdep,
            weight=0.02,
            delay=1.0,
            dendritic_delay_fraction=1.0,
        )
        out[name] = sim.Projection(
            pre, post, sim.AllToAllConnector(), mech, receptor_type="excitatory"
        )
    weights = {name: [] for name in out}
    for _ in range(5):
        sim.run(100.0)
        for name, prj in out.items():
            w = sorted((int(a), float(x)) for a, _, x in prj.get("weight", format="list"))
            weights[name].append([x for _, x in w])
    sim.end()
    return weights


def balanced(sim, options, seed=1):
    """A sparse balanced network (Brunel's model A, 1,000 neurons, IF_curr_exp), Poisson
    input from a SpikeSourcePoisson population (a train of its own per neuron),
    connectivity from PyNN's random numbers: the mean rate and CV of the interspike
    intervals of the excitatory neurons."""
    sim.setup(timestep=0.1, min_delay=1.5, **options)
    rng = sim.NumpyRNG(seed=seed)
    params = {"tau_m": 20.0, "cm": 0.25, "tau_refrac": 2.0, "v_rest": -70.0, "v_reset": -60.0,
              "v_thresh": -50.0, "tau_syn_E": 0.5, "tau_syn_I": 0.5}  # fmt: skip
    exc = sim.Population(800, sim.IF_curr_exp(**params), label="E")
    inh = sim.Population(200, sim.IF_curr_exp(**params), label="I")
    exc.initialize(v=sim.RandomDistribution("uniform", (-70.0, -50.0), rng=rng))
    inh.initialize(v=sim.RandomDistribution("uniform", (-70.0, -50.0), rng=rng))
    noise = sim.Population(1000, sim.SpikeSourcePoisson(rate=6000.0))  # one train per cell
    cells = exc + inh
    j = 0.12
    sim.Projection(
        noise,
        cells,
        sim.OneToOneConnector(),
        sim.StaticSynapse(weight=j, delay=1.5),
        receptor_type="excitatory",
    )
    sim.Projection(
        exc,
        cells,
        sim.FixedNumberPreConnector(80, rng=rng),
        sim.StaticSynapse(weight=j, delay=1.5),
        receptor_type="excitatory",
    )
    sim.Projection(
        inh,
        cells,
        sim.FixedNumberPreConnector(20, rng=rng),
        sim.StaticSynapse(weight=-5 * j, delay=1.5),
        receptor_type="inhibitory",
    )
    exc.record("spikes")
    sim.run(1000.0)
    trains = exc.get_data().segments[0].spiketrains
    sim.end()
    counts = np.array([len(st) for st in trains])
    cvs = [np.std(np.diff(st.magnitude)) / np.mean(np.diff(st.magnitude))
           for st in trains if len(st) > 2]  # fmt: skip
    return {"rate_hz": float(counts.mean()), "cv_isi": float(np.mean(cvs))}


def microcircuit(sim, options, seed=55, scale=0.05, t_sim=600.0):
    """The Potjans-Diesmann microcircuit written in PyNN (IF_curr_exp; the numbers of
    distsim.examples.microcircuit.scaled_parameters, with its DC compensation of the scaled
    in-degrees; Poisson background as one SpikeSourcePoisson train per neuron): the mean rate
    and CV of the ISIs of each population after the first 100 ms."""
    from importlib import import_module

    pd14 = import_module("distsim.examples.microcircuit")  # the module, not its function

    p = pd14.scaled_parameters(scale, poisson_input=True)
    sim.setup(timestep=0.1, min_delay=0.1, **options)
    rng = sim.NumpyRNG(seed=seed)
    nrn = pd14.NEURON
    pops = []
    for i, name in enumerate(pd14.POPULATIONS):
        cell = sim.IF_curr_exp(
            cm=nrn["C_m"] / 1000.0, tau_m=nrn["tau_m"], tau_syn_E=nrn["tau_syn_ex"],
            tau_syn_I=nrn["tau_syn_in"], tau_refrac=nrn["t_ref"], v_rest=nrn["E_L"],
            v_thresh=nrn["V_th"], v_reset=nrn["V_reset"], i_offset=p["dc"][i] / 1000.0,
        )  # fmt: skip
        pop = sim.Population(int(p["n"][i]), cell, label=name)
        pop.initialize(
            v=sim.RandomDistribution("normal", (pd14.V0_MEAN[i], pd14.V0_STD[i]), rng=rng)
        )
        pop.record("spikes")
        background = sim.Population(
            pop.size, sim.SpikeSourcePoisson(rate=pd14.BG_RATE_HZ * float(p["k_ext"][i]))
        )
        sim.Projection(background, pop, sim.OneToOneConnector(),
                       sim.StaticSynapse(weight=p["psc_ext"] / 1000.0, delay=pd14.DELAY_POISSON),
                       receptor_type="excitatory")  # fmt: skip
        pops.append(pop)
    for t, target in enumerate(pops):
        for s, source in enumerate(pops):
            if p["n_syn"][t, s] <= 0:
                continue
            w = p["psc"][t, s] / 1000.0  # nA
            low, high = (0.0, np.inf) if w > 0 else (-np.inf, 0.0)
            weight = sim.RandomDistribution("normal_clipped", mu=w, sigma=abs(w) * pd14.WEIGHT_REL_STD,
                                            low=low, high=high, rng=rng)  # fmt: skip
            d = pd14.DELAY_E if s % 2 == 0 else pd14.DELAY_I
            delay = sim.RandomDistribution("normal_clipped", mu=d, sigma=d * pd14.DELAY_REL_STD,
                                           low=0.1, high=np.inf, rng=rng)  # fmt: skip
            sim.Projection(source, target,
                           sim.FixedTotalNumberConnector(int(p["n_syn"][t, s]), with_replacement=True, rng=rng),
                           sim.StaticSynapse(weight=weight, delay=delay),
                           receptor_type="excitatory" if w > 0 else "inhibitory")  # fmt: skip
    sim.run(t_sim)
    out = {}
    for pop in pops:
        trains = [
            st.magnitude[st.magnitude > 100.0] for st in pop.get_data().segments[0].spiketrains
        ]
        isi = [np.diff(t) for t in trains if t.size > 2]
        out[pop.label] = {
            "rate_hz": float(
                sum(t.size for t in trains) / len(trains) / ((t_sim - 100.0) / 1000.0)
            ),
            "cv_isi": float(np.mean([np.std(i) / np.mean(i) for i in isi])) if isi else 0.0,
        }
    sim.end()
    return out


CASES = {
    "single_cells": single_cells,
    "hh_cell": hh_cell,
    "current_sources": current_sources,
    "connectors": connectors,
    "short_term": short_term,
    "stdp": stdp,
    "balanced": balanced,
    "microcircuit": microcircuit,
}
