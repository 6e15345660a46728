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

import math
from dataclasses import asdict, dataclass, fields

import numba as nb
import numpy as np

from .errors import NetworkError
from .messages import did_you_mean, shown
from .rng import GOLDEN, splitmix64, standard_normal, uniform

# distribution kinds of ``draw_one`` (each class's ``kind``; ``params`` fills ``par``)
NORMAL, NORMAL_REDRAW, UNIFORM, LOGNORMAL = 0, 1, 2, 3


@nb.njit(cache=True)
def draw_one(kind, par, key, counter):
    """The ``counter``-th value of stream ``key`` of distribution ``kind`` with parameters
    ``par``: Normal (mean, std, low, high), Uniform (low, high), LogNormal (mu, sigma).
    NORMAL_REDRAW is NEST's nest.math.redraw: draw k of an item comes from the sub-stream
    splitmix64(key + counter * GOLDEN)."""
    if kind == NORMAL:
        v = par[0] + par[1] * standard_normal(key, counter)
        return min(max(v, par[2]), par[3])
    if kind == NORMAL_REDRAW:
        sub = splitmix64(key + np.uint64(counter) * GOLDEN)
        k = 0
        while True:
            v = par[0] + par[1] * standard_normal(sub, k)
            k += 1
            if par[2] <= v <= par[3] or k > 10000:
                break
        return min(max(v, par[2]), par[3])
    if kind == UNIFORM:
        return par[0] + (par[1] - par[0]) * uniform(key, counter)
    return np.exp(par[0] + par[1] * standard_normal(key, counter))


@nb.njit(cache=True)
def draw_many(kind, par, keys, counters):
    """``draw_one`` for every (key, counter) pair."""
    out = np.empty(keys.shape[0])
    for i in range(keys.shape[0]):
        out[i] = draw_one(kind, par, keys[i], counters[i])
    return out


class _Drawn:
    """Vectorised draws of a distribution class with ``kind`` and ``params``."""

    def draw(self, keys, counters):
        return draw_many(self.kind, self.params, keys, counters)

    def _floats(self, **infinity):
        """Make every numeric field a float; each must be a finite number, or the infinity
        ``infinity[field]`` (an open bound)."""
        for f in fields(self):
            if f.name != "redraw":
                object.__setattr__(
                    self,
                    f.name,
                    as_number(
                        getattr(self, f.name),
                        f"{type(self).__name__}: {f.name}",
                        infinity.get(f.name),
                    ),
                )


@dataclass(frozen=True)
class Normal(_Drawn):
    """Normal distribution bounded to [low, high]: values outside are set to the bound, or,
    with ``redraw``, drawn again until inside (NEST's ``nest.math.redraw``)."""

    mean: float
    std: float
    low: float = -np.inf
    high: float = np.inf
    redraw: bool = False

    def __post_init__(self):
        self._floats(low=-math.inf, high=math.inf)
        if not isinstance(self.redraw, (bool, np.bool_)):
            raise NetworkError(f"Normal: redraw {shown(self.redraw)} is not true or false")
        if not self.std >= 0:
            raise NetworkError(f"Normal: std {self.std} is negative; use std >= 0")
        if not self.low <= self.high:
            raise NetworkError(f"Normal: low {self.low} > high {self.high}; use low <= high")

    @property
    def kind(self):
        return NORMAL_REDRAW if self.redraw else NORMAL

    @property
    def params(self):
        return np.array([self.mean, self.std, self.low, self.high], float)

    @property
    def bounds(self):
        return float(self.low), float(self.high)


@dataclass(frozen=True)
class Uniform(_Drawn):
    """Uniform distribution on [low, high)."""

    low: float
    high: float

    def __post_init__(self):
        self._floats()
        if not self.low <= self.high:
            raise NetworkError(f"Uniform: low {self.low} > high {self.high}; use low <= high")

    kind = UNIFORM

    @property
    def params(self):
        return np.array([self.low, self.high], float)

    @property
    def bounds(self):
        return float(self.low), float(self.high)


@dataclass(frozen=True)
class LogNormal(_Drawn):
    """Log-normal distribution; ``mu`` and ``sigma`` are those of the underlying normal."""

    mu: float
    sigma: float

    def __post_init__(self):
        self._floats()
        if not self.sigma >= 0:
            raise NetworkError(f"LogNormal: sigma {self.sigma} is negative; use sigma >= 0")

    kind = LOGNORMAL

    @property
    def params(self):
        return np.array([self.mu, self.sigma], float)

    @property
    def bounds(self):
        return 0.0, np.inf


DISTRIBUTIONS = {"normal": Normal, "uniform": Uniform, "lognormal": LogNormal}


def as_number(value, where, infinity=None, error=NetworkError):
    """``value`` as a float: a number (not a bool), finite or the one ``infinity`` (``inf`` or
    ``-inf``) that means something there; ``where`` names the value in errors, which are of
    type ``error``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        raise error(f"{where}: value {shown(value)} is not a number; give a number")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        number = math.copysign(math.inf, value)
    if not math.isfinite(number) and number != infinity:
        also = f" (or {infinity}, which means something here)" if infinity else ""
        raise error(f"{where}: value {number} is not a finite number; give a finite number{also}")
    return number


def as_numbers(value, where, what, infinity=None, error=NetworkError):
    """``value`` (a list, tuple or 1-d array of numbers) as a read-only float64 array; ``what``
    says what it holds in errors (e.g. "one number per neuron"), which are of type ``error``;
    NaN and infinities other than ``infinity`` are refused."""
    try:
        given = np.asarray(value)
    except (TypeError, ValueError, OverflowError):  # ragged nesting
        given = None
    if given is None or given.ndim != 1 or given.dtype.kind not in "biuf":
        count = given.size if given is not None else len(value)
        raise error(
            f"{where}: {type(value).__name__} of {count} values is not {what}; give a "
            f"flat sequence of numbers (no NaN)"
        )
    out = given.astype(np.float64)
    bad = np.flatnonzero(np.isnan(out) | (np.isinf(out) & (out != infinity)))
    if bad.size:
        also = f" (or {infinity})" if infinity else ""
        raise error(
            f"{where}: value {out[bad[0]]} at index {int(bad[0])} is not a finite "
            f"number; give finite numbers{also}"
        )
    out.flags.writeable = False
    return out


def as_value(value, where, infinity=None):
    """A number or a distribution from ``value`` (number, distribution, or a dict such as
    ``{"distribution": "normal", "mean": 1.0, "std": 0.1}``); ``where`` names it in errors.
    A number is finite, or the one ``infinity`` that means something there."""
    if isinstance(value, (Normal, Uniform, LogNormal)):
        return value
    if isinstance(value, dict):
        spec = dict(value)
        kind = spec.pop("distribution", None)
        if not isinstance(kind, str) or kind not in DISTRIBUTIONS:
            raise NetworkError(
                f"{where}: distribution {shown(kind)} is not known; use one of "
                f"{sorted(DISTRIBUTIONS)}{did_you_mean(kind, DISTRIBUTIONS)}"
            )
        cls = DISTRIBUTIONS[kind]
        valid = [f.name for f in fields(cls)]
        unknown = sorted(map(str, set(spec) - set(valid)))
        if unknown:
            raise NetworkError(
                f"{where}: {kind} distribution has no parameter {unknown[0]!r}; valid: "
                f"{valid}{did_you_mean(unknown[0], valid)}"
            )
        for k, v in spec.items():
            if k == "redraw" and isinstance(v, bool):
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise NetworkError(
                    f"{where}: {kind} distribution parameter {k} = {shown(v)} is "
                    f"not a number; give numbers for {valid}"
                )
        try:
            return cls(**spec)
        except TypeError as exc:
            raise NetworkError(f"{where}: {kind} distribution needs {valid}: {exc}") from None
        except NetworkError as exc:
            raise NetworkError(f"{where}: {exc}") from None
    if isinstance(value, (bool, np.bool_)):
        return float(value)  # flags such as refractory_input are stored as 0.0 / 1.0
    if not isinstance(value, (int, float, np.integer, np.floating)):
        raise NetworkError(
            f"{where}: value {shown(value)} is neither a number nor a distribution; use a "
            f"number, Normal/Uniform/LogNormal, or a dict with a 'distribution' key"
        )
    return as_number(value, where, infinity)


def to_spec(value):
    """Serialisable form of a value (inverse of :func:`as_value`; per-synapse arrays of
    the from_list rule become lists)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (Normal, Uniform, LogNormal)):
        name = {Normal: "normal", Uniform: "uniform", LogNormal: "lognormal"}[type(value)]
        return {
            "distribution": name,
            **{k: (v if isinstance(v, bool) else float(v)) for k, v in asdict(value).items()},
        }
    return value


def is_distribution(value):
    return isinstance(value, (Normal, Uniform, LogNormal))


def varies_per_synapse(value):
    """True for values stored per synapse: distributions and from_list arrays."""
    return is_distribution(value) or isinstance(value, np.ndarray)
