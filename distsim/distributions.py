"""Values that are constant or drawn per neuron / per synapse from a counter-based stream.

A value in a network description is either a number or one of the distributions below.
Drawing is vectorised and keyed, ``values = dist.draw(key_per_item, counters)``, so the value
of neuron (or synapse) x depends only on (seed, purpose, stream, x) and never on the rank
that draws it.

    Normal(mean, std, low, high)   mean + std * N(0, 1), clipped to [low, high] (or, with
                                   redraw=True, drawn again until inside)
    Uniform(low, high)             low + (high - low) * U[0, 1)
    LogNormal(mu, sigma)           exp(mu + sigma * N(0, 1))  (NEST's lognormal: mu, sigma
                                   are the mean and std of the underlying normal)
"""
from dataclasses import asdict, dataclass, fields

import numba as nb
import numpy as np

from .errors import NetworkError
from .rng import GOLDEN, splitmix64, standard_normal, uniform


@nb.njit(cache=True)
def _draw_normal(keys, counters, mean, std, low, high):
    out = np.empty(keys.shape[0])
    for i in range(keys.shape[0]):
        v = mean + std * standard_normal(keys[i], counters[i])
        out[i] = min(max(v, low), high)
    return out


@nb.njit(cache=True)
def _draw_normal_redraw(keys, counters, mean, std, low, high):
    """Normal values redrawn until inside [low, high] (NEST's nest.math.redraw): draw k of
    item i comes from the sub-stream splitmix64(key_i + counter_i * GOLDEN)."""
    out = np.empty(keys.shape[0])
    for i in range(keys.shape[0]):
        sub = splitmix64(keys[i] + np.uint64(counters[i]) * GOLDEN)
        k = 0
        while True:
            v = mean + std * standard_normal(sub, k)
            k += 1
            if low <= v <= high or k > 10000:
                break
        out[i] = min(max(v, low), high)
    return out


@nb.njit(cache=True)
def _draw_uniform(keys, counters, low, high):
    out = np.empty(keys.shape[0])
    for i in range(keys.shape[0]):
        out[i] = low + (high - low) * uniform(keys[i], counters[i])
    return out


@nb.njit(cache=True)
def _draw_lognormal(keys, counters, mu, sigma):
    out = np.empty(keys.shape[0])
    for i in range(keys.shape[0]):
        out[i] = np.exp(mu + sigma * standard_normal(keys[i], counters[i]))
    return out


@dataclass(frozen=True)
class Normal:
    """Normal distribution bounded to [low, high]: values outside are set to the bound, or,
    with ``redraw``, drawn again until inside (NEST's ``nest.math.redraw``)."""

    mean: float
    std: float
    low: float = -np.inf
    high: float = np.inf
    redraw: bool = False

    def __post_init__(self):
        if not self.std >= 0:
            raise NetworkError(f"Normal: std {self.std} is negative; use std >= 0")
        if not self.low <= self.high:
            raise NetworkError(f"Normal: low {self.low} > high {self.high}; use low <= high")

    def draw(self, keys, counters):
        fn = _draw_normal_redraw if self.redraw else _draw_normal
        return fn(keys, counters, float(self.mean), float(self.std), float(self.low),
                  float(self.high))

    @property
    def bounds(self):
        return float(self.low), float(self.high)


@dataclass(frozen=True)
class Uniform:
    """Uniform distribution on [low, high)."""

    low: float
    high: float

    def __post_init__(self):
        if not self.low <= self.high:
            raise NetworkError(f"Uniform: low {self.low} > high {self.high}; use low <= high")

    def draw(self, keys, counters):
        return _draw_uniform(keys, counters, float(self.low), float(self.high))

    @property
    def bounds(self):
        return float(self.low), float(self.high)


@dataclass(frozen=True)
class LogNormal:
    """Log-normal distribution; ``mu`` and ``sigma`` are those of the underlying normal."""

    mu: float
    sigma: float

    def __post_init__(self):
        if not self.sigma >= 0:
            raise NetworkError(f"LogNormal: sigma {self.sigma} is negative; use sigma >= 0")

    def draw(self, keys, counters):
        return _draw_lognormal(keys, counters, float(self.mu), float(self.sigma))

    @property
    def bounds(self):
        return 0.0, np.inf


DISTRIBUTIONS = {"normal": Normal, "uniform": Uniform, "lognormal": LogNormal}


def as_value(value, where):
    """A number or a distribution from ``value`` (number, distribution, or a dict such as
    ``{"distribution": "normal", "mean": 1.0, "std": 0.1}``); ``where`` names it in errors."""
    if isinstance(value, (Normal, Uniform, LogNormal)):
        return value
    if isinstance(value, dict):
        spec = dict(value)
        kind = spec.pop("distribution", None)
        if kind not in DISTRIBUTIONS:
            raise NetworkError(
                f"{where}: distribution {kind!r} is not known; use one of {sorted(DISTRIBUTIONS)}")
        cls = DISTRIBUTIONS[kind]
        valid = [f.name for f in fields(cls)]
        unknown = sorted(set(spec) - set(valid))
        if unknown:
            raise NetworkError(
                f"{where}: {kind} distribution has no parameter {unknown[0]!r}; valid: {valid}")
        for k, v in spec.items():
            if k == "redraw" and isinstance(v, bool):
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise NetworkError(f"{where}: {kind} distribution parameter {k} = {v!r} is not a "
                                   f"number; give numbers for {valid}")
        try:
            return cls(**{k: (v if k == "redraw" else float(v)) for k, v in spec.items()})
        except TypeError as exc:
            raise NetworkError(f"{where}: {kind} distribution needs {valid}: {exc}") from None
    if isinstance(value, (bool, np.bool_)):
        return float(value)  # flags such as refractory_input are stored as 0.0 / 1.0
    if not isinstance(value, (int, float, np.integer, np.floating)):
        raise NetworkError(
            f"{where}: value {value!r} is neither a number nor a distribution; use a number, "
            f"Normal/Uniform/LogNormal, or a dict with a 'distribution' key")
    return float(value)


def to_spec(value):
    """Serialisable form of a value (inverse of :func:`as_value`; per-synapse arrays of
    the from_list rule become lists)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (Normal, Uniform, LogNormal)):
        name = {Normal: "normal", Uniform: "uniform", LogNormal: "lognormal"}[type(value)]
        return {"distribution": name,
                **{k: (v if isinstance(v, bool) else float(v)) for k, v in asdict(value).items()}}
    return value


def is_distribution(value):
    return isinstance(value, (Normal, Uniform, LogNormal))


def varies_per_synapse(value):
    """True for values stored per synapse: distributions and from_list arrays."""
    return is_distribution(value) or isinstance(value, np.ndarray)
