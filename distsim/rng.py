"""Counter-based random streams keyed by (seed, purpose, stream, gid[, step]).

Every random number in distsim is a pure function of its key and a counter, so any rank can
reproduce exactly the numbers that belong to the neurons it owns, whatever the partition:

    key   = mix(mix(mix(mix(seed) ^ purpose) ^ stream) ^ gid)
    u_k   = (splitmix64(key + k * GOLDEN) >> 11) * 2**-53            in [0, 1)

``splitmix64`` is the finaliser of Steele, Lea & Flood (2014), a bijective 64-bit mixer that
passes BigCrush as a counter-based generator.  ``purpose`` separates connectivity, weights,
delays, parameters, initial states and stimuli; ``stream`` is a projection, stimulus or
parameter id.  All functions here are numba-compiled so that kernels can draw in place.
"""

import math
import zlib

import numba as nb
import numpy as np

# purposes (fixed forever: changing one changes every network)
CONNECT = 1
WEIGHT = 2
DELAY = 3
PARAM = 4
INIT = 5
POISSON = 6
SHUFFLE = 7

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
INV_2_53 = 1.0 / 9007199254740992.0


def stream_id(name):
    """Stable 32-bit id of a name (projection, stimulus, parameter), independent of Python's
    hash."""
    return zlib.crc32(name.encode("utf-8"))


@nb.njit(nb.uint64(nb.uint64), cache=True, inline="always")
def splitmix64(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@nb.njit(cache=True, inline="always")
def make_key(seed, purpose, stream, gid):
    """Key of one stream; all arguments are non-negative integers."""
    k = splitmix64(np.uint64(seed) + GOLDEN)
    k = splitmix64(k ^ np.uint64(purpose))
    k = splitmix64(k ^ np.uint64(stream))
    return splitmix64(k ^ np.uint64(gid))


@nb.njit(cache=True, inline="always")
def uniform(key, counter):
    """u in [0, 1), the counter-th number of the stream ``key``."""
    z = splitmix64(key + np.uint64(counter) * GOLDEN)
    return np.float64(z >> _S11) * INV_2_53


@nb.njit(cache=True, inline="always")
def uniform_index(key, counter, n):
    """Integer in [0, n) (53-bit resolution, bias < n / 2**53)."""
    return np.int64(uniform(key, counter) * n)


@nb.njit(cache=True, inline="always")
def standard_normal(key, counter):
    """N(0, 1) by Box-Muller from uniforms 2*counter and 2*counter+1."""
    u1 = uniform(key, 2 * counter)
    u2 = uniform(key, 2 * counter + 1)
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)


@nb.njit(cache=True)
def poisson_ptrs(key, lam):
    """Poisson variate for lam >= 10: transformed rejection with squeeze (Hormann 1993, PTRS)."""
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    c = 1
    while True:
        u = uniform(key, c) - 0.5
        v = uniform(key, c + 1)
        c += 2
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return np.int64(k)
        if k < 0 or (us < 0.013 and v > us):
            continue
        if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)) <= (
            -lam + k * loglam - math.lgamma(k + 1.0)
        ):
            return np.int64(k)


POISSON_TABLE = 64  # entries of a Poisson CDF table and of its guide table
POISSON_INVERSION_MAX = 10.0  # inversion of the CDF table below this mean, PTRS above


def poisson_tables(lam):
    """CDF of Poisson(lam) at k = 0 .. POISSON_TABLE-1 (last entry 1) and its guide table
    (Chen & Asau 1974): guide[g] = smallest k with cdf[k] > g / POISSON_TABLE.  A count is
    then drawn by exact inversion of one uniform u, starting the search at guide[floor(u *
    POISSON_TABLE)], about one comparison per draw.  Ones when lam >= POISSON_INVERSION_MAX
    (PTRS is used)."""
    cdf = np.ones(POISSON_TABLE)
    if lam < POISSON_INVERSION_MAX:
        p = math.exp(-lam)
        acc = p
        for k in range(POISSON_TABLE - 1):
            cdf[k] = min(acc, 1.0)
            p *= lam / (k + 1)
            acc += p
    guide = np.array(
        [np.argmax(cdf > g / POISSON_TABLE) for g in range(POISSON_TABLE)], dtype=np.int64
    )
    return cdf, guide
