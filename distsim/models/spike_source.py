"""spike_source: neurons that emit spikes at given times (NEST's spike_generator as a population)."""
import dataclasses

import numpy as np

from ..errors import ModelError

MODEL_ID = 4


@dataclasses.dataclass(frozen=True)
class SpikeSource:
    """A population whose neuron i fires at ``spike_times[i]`` (ms, on the dt grid, > 0).

    A spike at time t is emitted in step t/dt and, over a connection with delay d, reaches
    its target at t + d, as a spike of NEST's ``spike_generator`` does.  Sources receive no
    input.
    """

    spike_times: tuple

    name = "spike_source"
    model_id = MODEL_ID
    recordables = ()
    is_source_only = True

    @staticmethod
    def rests_below_threshold():
        """Sources are not computed at all; they emit their schedule (see engine.advance)."""
        return False

    def __post_init__(self):
        object.__setattr__(self, "spike_times",
                           tuple(tuple(float(t) for t in np.atleast_1d(ts)) for ts in self.spike_times))

    @classmethod
    def parameter_names(cls):
        return ["spike_times"]

    @classmethod
    def from_params(cls, params, where=None):
        params = dict(params or {})
        unknown = sorted(set(params) - {"spike_times"})
        if unknown or "spike_times" not in params:
            raise ModelError(
                f"{where or 'spike_source'}: model 'spike_source' takes exactly the parameter "
                f"'spike_times' (one list of times in ms per neuron); got {sorted(params)}")
        return cls(params["spike_times"])

    def to_dict(self):
        return {"spike_times": [list(ts) for ts in self.spike_times]}

    def schedule(self, dt, where):
        """Spike steps per neuron: list of sorted int64 arrays; rejects off-grid or duplicate times."""
        out = []
        for i, ts in enumerate(self.spike_times):
            t = np.asarray(ts, dtype=float)
            steps = np.rint(t / dt).astype(np.int64)
            off = np.abs(steps * dt - t) > 1e-9 * np.maximum(1.0, np.abs(t))
            if np.any(off) or np.any(steps < 1):
                bad = float(t[off | (steps < 1)][0])
                raise ModelError(
                    f"{where}: spike time {bad!r} ms of neuron {i} is not a positive multiple of "
                    f"dt = {dt} ms; use times k * dt with k >= 1")
            steps = np.sort(steps)
            if np.any(np.diff(steps) == 0):
                dup = float(steps[:-1][np.diff(steps) == 0][0] * dt)
                raise ModelError(
                    f"{where}: neuron {i} has two spikes at {dup!r} ms; give each time once "
                    f"(use a larger weight for a stronger input)")
            out.append(steps)
        return out
