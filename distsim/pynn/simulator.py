"""The state of a PyNN session on distsim: the network being described, then the Simulation.

PyNN describes a network step by step (populations, projections, current sources,
recorders) and may change parameters until the first ``run``; distsim builds a network once.
So the session keeps PyNN's description (populations.py, projections.py, standardmodels.py
hold it in native units: NEST's names, ms, mV, pA, pF, nS) and, at the first ``run``,
writes it into a ``distsim.Network`` and builds the ``Simulation``; later runs continue it.
``reset()`` builds a new Simulation of the same network (t = 0, a new Neo segment).
Options of ``setup`` beyond PyNN's go to distsim: ``backend``, ``threads``,
``decomposition``, ``store`` (a zarr run store), ``checkpoint_dir`` (a checkpoint after each
run, as ``distsim run --checkpoint-dir``), ``hardware`` and ``fabric`` (a chip mapping and
its counters), ``seed``, and ``horizon`` (ms): how far the inputs drawn at the build reach
(SpikeSourcePoisson trains, AC and noise currents; default: the end of the first run).
"""

from pyNN import common

from ..errors import ConfigError

name = "distsim"

OPTIONS = ("backend", "threads", "decomposition", "store", "checkpoint_dir", "hardware", "fabric")


class ID(int, common.IDMixin):
    """A neuron of a PyNN session: its distsim gid (populations are laid out in order)."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    """PyNN's simulator state (time, segments, recorders) and distsim's network and run."""

    def __init__(self):
        super().__init__()
        self.mpi_rank, self.num_processes = _mpi()
        self.dt, self.min_delay, self.max_delay = 0.1, 0.1, 10.0
        self.seed, self.options = 1, {}
        self.horizon_given, self.horizon = None, 0.0  # how far drawn inputs reach (ms)
        self.clear()

    def clear(self):
        self.populations, self.projections, self.current_sources = [], [], []
        self.recorders = set()
        self.id_counter = 0
        self.segment_counter = -1
        self.sim, self.folder = None, None
        self.reset()

    def reset(self):
        """t = 0: the next run builds a new Simulation of the same network."""
        self.running = False
        self.t = 0.0
        self.t_start = 0.0
        self.segment_counter += 1
        self.sim = None

    def configure(self, timestep, min_delay, max_delay, extra):
        unknown = sorted(set(extra) - set(OPTIONS) - {"seed", "rng_seed", "spike_precision"})
        if unknown:
            raise ConfigError(
                f"distsim.pynn.setup: option {unknown[0]!r} is not known; distsim's options: "
                f"{', '.join(OPTIONS)}, seed"
            )
        if extra.get("spike_precision", "on_grid") != "on_grid":
            raise ConfigError(
                "distsim.pynn.setup: spike_precision 'off_grid' is not supported; distsim "
                "computes on the grid of the time step"
            )
        self.dt = float(timestep)
        self.min_delay = self.dt if min_delay == "auto" else float(min_delay)
        self.max_delay = 10.0 if max_delay == "auto" else float(max_delay)
        self.seed = int(extra.get("seed", extra.get("rng_seed", 1)))
        self.options = {k: extra[k] for k in OPTIONS if k in extra}

    # ------------------------------------------------------------------ running
    def run(self, simtime):
        self.run_until(self.t + simtime)

    def run_until(self, tstop):
        if self.sim is None:
            self.horizon = self.horizon_given or tstop
            self.sim = self.build()
        elif tstop > self.horizon + 1e-9 and self._drawn():
            raise ConfigError(
                f"distsim.pynn: run to {tstop} ms, but the inputs of {', '.join(self._drawn())} "
                f"were drawn up to {self.horizon} ms (the end of the first run); give "
                f"setup(horizon=...) the whole duration"
            )
        steps = round((tstop - self.t) / self.dt)
        if steps > 0:
            self.sim.run(steps * self.dt)
        self.t = self.sim.t
        self.running = True
        if self.folder is not None:
            self.folder.write(self.sim)

    def _drawn(self):
        """What is drawn at the build up to the horizon: SpikeSourcePoisson populations, AC
        and noise current sources."""
        drawn = [
            p.label
            for p in self.populations
            if type(p.celltype).__name__ == "SpikeSourcePoisson" and not p._private
        ]
        drawn += [type(c).__name__ for c in self.current_sources
                  if type(c).__name__ in ("ACSource", "NoisyCurrentSource")]  # fmt: skip
        return drawn

    def build(self):
        """The distsim Network of the session's description, and its Simulation."""
        from distsim import Network, Simulation

        from .projections import private_poisson_sources

        net = Network(dt=self.dt, seed=self.seed)
        private = private_poisson_sources(self.populations, self.projections)
        for pop in self.populations:
            pop._private = pop._index in private  # its trains become Poisson inputs
            pop._add_to(net)
        for prj in self.projections:
            prj._add_to(net)
        for source in self.current_sources:
            source._add_to(net, self.min_delay)
        for rec in sorted(self.recorders, key=lambda r: r.population._index):
            rec._add_to(net)
        options = {k: v for k, v in self.options.items() if k in ("backend", "threads", "store")}
        decomposition = self.options.get("decomposition")
        if self.options.get("hardware"):
            from distsim.partition.hardware_mapping import hardware

            decomposition = hardware(
                net, self.num_processes, profile=self.options["hardware"],
                fabric=self.options.get("fabric"),
            )  # fmt: skip
            options["hardware_counters"] = True
        sim = Simulation(net, decomposition=decomposition, **options)
        if self.options.get("checkpoint_dir") and self.folder is None:
            from distsim.runner import CheckpointFolder
            from distsim.store.ownership import CHECKPOINTS_FORMAT

            self.folder = CheckpointFolder(self.options["checkpoint_dir"], "checkpoint_dir")
            plan = {
                "format": CHECKPOINTS_FORMAT,
                "example": "pynn",
                "options": {},
                "dt": self.dt,
                "seed": self.seed,
                "store": self.options.get("store"),
            }
            if self.mpi_rank == 0:
                self.folder.start(plan, overwrite=False)
        return sim


def _mpi():
    """(rank, size) of this process (one of mpiexec's, or alone)."""
    from distsim.comm import default_context

    ctx = default_context()
    return ctx.rank, ctx.size


state = State()
