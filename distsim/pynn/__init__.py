"""distsim as a PyNN backend: ``import distsim.pynn as sim`` (PyNN 0.13, the ``pynn`` extra).

PyNN's scripts run unchanged, distributed under mpiexec as with pyNN.nest, with distsim's
additions as options of ``setup`` (simulator.py): ``backend``, ``threads``,
``decomposition``, ``store``, ``checkpoint_dir``, ``hardware``, ``fabric``, ``seed``.
PyNN's common classes do the API; the modules here keep the description in native units and
write it into a distsim Network at the first run.
"""

from pyNN import errors, random, space  # noqa: F401
from pyNN.connectors import *  # noqa: F403
from pyNN.network import Network  # noqa: F401
from pyNN.random import GSLRNG, NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.recording import *  # noqa: F403
from pyNN.space import Space  # noqa: F401
from pyNN.standardmodels import StandardCellType

from .control import (  # noqa: F401
    end,
    get_current_time,
    get_max_delay,
    get_min_delay,
    get_time_step,
    initialize,
    num_processes,
    rank,
    reset,
    run,
    run_for,
    run_until,
    setup,
)
from .populations import Assembly, Population, PopulationView  # noqa: F401
from .procedural_api import connect, create, record, record_gsyn, record_v  # noqa: F401
from .projections import Projection  # noqa: F401
from .standardmodels import *  # noqa: F403


def list_standard_models():
    """The standard cell types distsim runs."""
    return [
        obj.__name__
        for obj in globals().values()
        if isinstance(obj, type) and issubclass(obj, StandardCellType)
    ]
