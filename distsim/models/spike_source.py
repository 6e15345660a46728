"""spike_source: neurons that emit spikes at given times (NEST's spike_generator as a
population)."""

import dataclasses

import numpy as np

from ..distributions import as_numbers
from ..errors import ModelError
from ..messages import shown
from .base import parameter_dict

MODEL_ID = 4


@dataclasses.dataclass(frozen=True, eq=False)
class SpikeSource:
    """A population whose neuron i fires at ``spike_times[i]`` (ms, on the dt grid, > 0).

    ``spike_times`` is given as one sequence (or number) per neuron, or compactly as
    ``{"times": all times, "counts": spikes per neuron}``; it is kept as read-only float64
    arrays, views into one array (8 B per spike).  A spike at time t is emitted in step
    t/dt and, over a connection with delay d, reaches its target at t + d, as a spike of
    NEST's ``spike_generator`` does.  Sources receive no input.
    """

    spike_times: tuple

    name = "spike_source"
    model_id = MODEL_ID
    recordables = ()
    is_source_only = True
    event_driven = False

    @staticmethod
    def rests_below_threshold():
        """Sources are not computed at all; they emit their schedule (see engine.advance)."""
        return False

    def __post_init__(self):
        given = self.spike_times
        if isinstance(given, dict):
            unknown = sorted(map(str, set(given) - {"times", "counts"}))
            if unknown:
                raise ModelError(
                    f"spike_source: compact spike_times has no key {unknown[0]!r}; "
                    f"give 'times' (all spike times) and 'counts' (per neuron)"
                )
            times = as_numbers(
                given.get("times", ()),
                "spike_source: spike_times times",
                "a flat list of times",
                error=ModelError,
            )
            counts = as_numbers(
                given.get("counts", ()),
                "spike_source: spike_times counts",
                "one count per neuron",
                error=ModelError,
            )
            not_counts = (counts < 0) | (counts != np.round(counts))
            if not_counts.any():
                raise ModelError(
                    f"spike_source: spike_times counts hold "
                    f"{counts[not_counts][0]:g}; give one non-negative integer "
                    f"count per neuron"
                )
            if counts.sum() != times.size:
                raise ModelError(
                    f"spike_source: spike_times counts sum to {counts.sum():g} "
                    f"but {times.size} times are given; give one count per "
                    f"neuron, summing to the number of times"
                )
            counts = counts.astype(np.int64)
        elif isinstance(given, (list, tuple, np.ndarray)):
            trains = [_train(ts, i) for i, ts in enumerate(given)]
            counts = np.array([t.size for t in trains], np.int64)
            times = np.concatenate(trains) if trains else np.empty(0)  # a new array
        else:
            raise ModelError(
                f"spike_source: spike_times {shown(given)} is not one list of times (ms) per neuron"
            )
        times.flags.writeable = False
        counts.flags.writeable = False
        object.__setattr__(self, "_compact", (times, counts))
        object.__setattr__(
            self,
            "spike_times",
            tuple(np.split(times, np.cumsum(counts)[:-1])) if counts.size else (),
        )

    def __eq__(self, other):
        return (
            isinstance(other, SpikeSource)
            and len(self.spike_times) == len(other.spike_times)
            and all(np.array_equal(a, b) for a, b in zip(self.spike_times, other.spike_times))
        )

    __hash__ = None

    def compact(self):
        """(all spike times, spikes per neuron): the form ``{"times", "counts"}``, the
        arrays ``spike_times`` are views of (read-only)."""
        return self._compact

    @classmethod
    def parameter_names(cls):
        return ["spike_times"]

    @classmethod
    def from_params(cls, params, where=None):
        params = parameter_dict(params, cls, where)
        if "spike_times" not in params:
            raise ModelError(
                f"{where or 'spike_source'}: model 'spike_source' needs the parameter "
                f"'spike_times' (one list of times in ms per neuron)"
            )
        try:
            return cls(params["spike_times"])
        except ModelError as exc:
            raise ModelError(f"{where}: {exc}") if where else exc from None

    def to_dict(self):
        return {"spike_times": [ts.tolist() for ts in self.spike_times]}

    def schedule(self, dt, where):
        """Spike steps per neuron: list of sorted int64 arrays; rejects off-grid or duplicate
        times."""
        out = []
        for i, ts in enumerate(self.spike_times):
            t = np.asarray(ts, dtype=float)
            steps = np.rint(t / dt).astype(np.int64)
            off = np.abs(steps * dt - t) > 1e-9 * np.maximum(1.0, np.abs(t))
            if np.any(off) or np.any(steps < 1):
                bad = float(t[off | (steps < 1)][0])
                raise ModelError(
                    f"{where}: spike time {bad!r} ms of neuron {i} is not a positive multiple of "
                    f"dt = {dt} ms; use times k * dt with k >= 1"
                )
            steps = np.sort(steps)
            if np.any(np.diff(steps) == 0):
                dup = float(steps[:-1][np.diff(steps) == 0][0] * dt)
                raise ModelError(
                    f"{where}: neuron {i} has two spikes at {dup!r} ms; give each time once "
                    f"(use a larger weight for a stronger input)"
                )
            out.append(steps)
        return out


def _train(times, neuron):
    """The spike times of one neuron (a number or a flat sequence of numbers), float64."""
    given = (
        np.atleast_1d(times)
        if isinstance(times, np.ndarray)
        else (times if isinstance(times, (list, tuple)) else [times])
    )
    return as_numbers(
        given, f"spike_source: spike_times of neuron {neuron}", "a list of times", error=ModelError
    )
