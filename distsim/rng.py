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
SPLIT = 8  # binomial splits of procedural synapse counts over target blocks
COUNTS = 9  # the per-source synapse counts of procedural fixed_total_number

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


@nb.njit(cache=True, inline="always")
def open_uniform(key, counter):
    """u in (0, 1), the counter-th number of the stream ``key`` (the midpoints of uniform's
    2**53 cells: never 0 or 1, so a quantile function is finite)."""
    z = splitmix64(key + np.uint64(counter) * GOLDEN)
    return (np.float64(z >> _S11) + 0.5) * INV_2_53


# Wichura's rational approximations of the normal quantile (Algorithm AS 241, Appl. Statist.
# 37: 477, 1988; PPND16, relative error about 1e-16): numerator and denominator coefficients,
# highest power first, for |p - 1/2| <= 0.425 (in r = 0.180625 - q^2) and for the tails (in
# r = sqrt(-log(min(p, 1 - p))) - 1.6 up to r = 5, - 5 beyond)
_AS241_A = (
    2.5090809287301226727e3,
    3.3430575583588128105e4,
    6.7265770927008700853e4,
    4.5921953931549871457e4,
    1.3731693765509461125e4,
    1.9715909503065514427e3,
    1.3314166789178437745e2,
    3.3871328727963666080e0,
)
_AS241_B = (
    5.2264952788528545610e3,
    2.8729085735721942674e4,
    3.9307895800092710610e4,
    2.1213794301586595867e4,
    5.3941960214247511077e3,
    6.8718700749205790830e2,
    4.2313330701600911252e1,
    1.0,
)
_AS241_C = (
    7.74545014278341407640e-4,
    2.27238449892691845833e-2,
    2.41780725177450611770e-1,
    1.27045825245236838258e0,
    3.64784832476320460504e0,
    5.76949722146069140550e0,
    4.63033784615654529590e0,
    1.42343711074968357734e0,
)
_AS241_D = (
    1.05075007164441684324e-9,
    5.47593808499534494600e-4,
    1.51986665636164571966e-2,
    1.48103976427480074590e-1,
    6.89767334985100004550e-1,
    1.67638483018380384940e0,
    2.05319162663775882187e0,
    1.0,
)
_AS241_E = (
    2.01033439929228813265e-7,
    2.71155556874348757815e-5,
    1.24266094738807843860e-3,
    2.65321895265761230930e-2,
    2.96560571828504891230e-1,
    1.78482653991729133580e0,
    5.46378491116411436990e0,
    6.65790464350110377720e0,
)
_AS241_F = (
    2.04426310338993978564e-15,
    1.42151175831644588870e-7,
    1.84631831751005468180e-5,
    7.86869131145613259100e-4,
    1.48753612908506148525e-2,
    1.36929880922735805310e-1,
    5.99832206555887937690e-1,
    1.0,
)


@nb.njit(cache=True, inline="always")
def _poly(c, x):
    """Horner: c[0] x^7 + ... + c[7]."""
    v = c[0]
    for k in range(1, 8):
        v = v * x + c[k]
    return v


@nb.njit(cache=True)
def normal_quantile(p):
    """The standard normal quantile Phi^-1(p) for p in (0, 1) (AS 241): one rational function
    near the median (85 % of draws), a square root and a logarithm in the tails."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * _poly(_AS241_A, r) / _poly(_AS241_B, r)
    r = math.sqrt(-math.log(p if q < 0.0 else 1.0 - p))
    if r <= 5.0:
        r -= 1.6
        v = _poly(_AS241_C, r) / _poly(_AS241_D, r)
    else:
        r -= 5.0
        v = _poly(_AS241_E, r) / _poly(_AS241_F, r)
    return -v if q < 0.0 else v


def _ziggurat_tables(layers=256, r=3.6541528853610088, v=0.00492867323399):
    """Marsaglia & Tsang's (2000) ziggurat for N(0, 1): layer i in 0 .. 255 spans
    x in [0, X[i]] and y in [f(X[i]), f(X[i + 1])] under f(x) = exp(-x^2 / 2), each of area
    v; layer 0 is the base strip [0, r] with the tail beyond r (X[0] = v / f(r)); X[256] = 0.
    Returns (X, f(X))."""
    x = np.zeros(layers + 1)
    x[0], x[1] = v / math.exp(-0.5 * r * r), r
    for i in range(2, layers):
        x[i] = math.sqrt(-2.0 * math.log(v / x[i - 1] + math.exp(-0.5 * x[i - 1] ** 2)))
    top = x[layers - 1] * (1.0 - math.exp(-0.5 * x[layers - 1] ** 2))
    assert abs(top - v) < 1e-9, top  # the layers close at the mode
    return x, np.exp(-0.5 * x * x)


_ZIG_X, _ZIG_F = _ziggurat_tables()
_ZIG_R = 3.6541528853610088
_ZIG_SALT = np.uint64(0xD6E8FEB86659FD93)
_M8 = np.uint64(255)
_ONE = np.uint64(1)
_S8 = np.uint64(8)


@nb.njit(cache=True)
def _ziggurat_slow(key, i, x):
    """The ziggurat's rare path for layer i and abscissa x (about 1.2 % of draws): the tail
    beyond r (i = 0) or the wedge test, then fresh draws from the sub-stream ``key``."""
    k = 0
    while True:
        if i == 0:  # the tail: Marsaglia's exponential rejection
            while True:
                a = -math.log(1.0 - uniform(key, k)) / _ZIG_R
                b = -math.log(1.0 - uniform(key, k + 1))
                k += 2
                if b + b >= a * a:
                    return _ZIG_R + a
        if _ZIG_F[i] + uniform(key, k) * (_ZIG_F[i + 1] - _ZIG_F[i]) < math.exp(-0.5 * x * x):
            return x
        z = splitmix64(key + np.uint64(k + 1) * GOLDEN)
        k += 2
        i = np.int64(z & _M8)
        x = np.float64(z >> _S11) * INV_2_53 * _ZIG_X[i]
        if x < _ZIG_X[i + 1]:
            return x


@nb.njit(cache=True, inline="always")
def normal_ziggurat(key, counter):
    """N(0, 1), the counter-th of stream ``key``, by the ziggurat (about 98.8 % of draws:
    one 64-bit number, a layer from its low 8 bits, the sign from bit 8, the abscissa from
    the top 53 bits; the rest from the sub-stream of (key, counter))."""
    z = splitmix64(key + np.uint64(counter) * GOLDEN)
    i = np.int64(z & _M8)
    x = np.float64(z >> _S11) * INV_2_53 * _ZIG_X[i]
    if x >= _ZIG_X[i + 1]:
        x = _ziggurat_slow(splitmix64(z ^ _ZIG_SALT), i, x)
    return -x if (z >> _S8) & _ONE else x


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
