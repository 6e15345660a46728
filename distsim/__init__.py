"""distsim: distributed event-driven simulation of spiking neural networks.

net = Network(dt=0.1, seed=1)
net.add_population("E", "iaf_psc_exp", 100)
net.connect("E", "E", FixedIndegree(10), weight=20.0, delay=1.5)
net.add_poisson_input("E", rate=8000.0, weight=20.0)
net.record_spikes("E")
sim = Simulation(net)
sim.run(1000.0)
times, gids = sim.spikes()
"""

from .kernels.kernel_cache import configure as _configure_kernel_cache

_configure_kernel_cache()  # before any kernel is defined (kernels/kernel_cache.py)

from .distributions import LogNormal, Normal, Uniform  # noqa: E402
from .network import Network  # noqa: E402
from .rules import (  # noqa: E402
    AllToAll,
    FixedIndegree,
    FixedOutdegree,
    FixedTotalNumber,
    FromList,
    OneToOne,
    PairwiseBernoulli,
)  # noqa: E402
from .simulation import Simulation, spike_digest  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Network",
    "Simulation",
    "spike_digest",
    "Normal",
    "Uniform",
    "LogNormal",
    "FixedIndegree",
    "FixedOutdegree",
    "PairwiseBernoulli",
    "FixedTotalNumber",
    "OneToOne",
    "AllToAll",
    "FromList",
]
