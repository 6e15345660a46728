"""setup, run, reset, end and the state queries of PyNN on distsim."""

from pyNN import common
from pyNN.common.control import DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.recording import get_io

from . import simulator


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """PyNN's setup; distsim's options (simulator.py) among ``extra_params``."""
    max_delay = extra_params.get("max_delay", "auto")
    common.setup(timestep, min_delay, **extra_params)
    simulator.state.clear()
    extra = {k: v for k, v in extra_params.items() if k not in ("max_delay", "horizon")}
    simulator.state.configure(timestep, min_delay, max_delay, extra)
    simulator.state.horizon_given = extra_params.get("horizon")
    return rank()


def end(compatible_output=True):
    """Write the data asked for with write_on_end; close the run store."""
    for population, variables, filename in simulator.state.write_on_end:
        population.write_data(get_io(filename), variables)
    simulator.state.write_on_end = []
    if simulator.state.sim is not None and simulator.state.sim.writer is not None:
        simulator.state.sim.end_run("complete")


run, run_until = common.build_run(simulator)
run_for = run
reset = common.build_reset(simulator)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = (
    common.build_state_queries(simulator)
)
