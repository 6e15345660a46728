"""Device synapses: weights held in phase-change memory (``PCM``), with programming noise,
conductance drift and read noise, after IBM aihwkit's ``PCMLikeNoiseModel`` (Nandakumar
et al., ICECS 2019; Joshi et al., Nat. Commun. 11:2473, 2020; constants and formulas in
/work/shared/reference/hardware.md section 4.1), or in resistive memory (``RRAM``, after
aihwkit's ``ReRamWan2022NoiseModel``: see its docstring).

A projection made with ``Network.connect(..., device=PCM())`` stores each weight w in a
differential pair of conductances, ``w = (g+ - g-) / scale`` with ``scale = g_max / w_max``
(``w_max``: the largest |w| of the projection unless given).  With x = g_T / g_max:

    programming (t = 0)  g = max(g_T + prog_noise_scale * sigma_prog(x) * N(0,1), 0),
                         sigma_prog = (0.26348 + 1.9650 x - 1.1731 x^2) uS * g_max / 25 uS
    drift exponent       nu = |mu_nu(x) + sigma_nu(x) N(0,1)| * drift_scale,
                         mu_nu = clip(-0.0155 ln x + 0.0244, 0.049, 0.1),
                         sigma_nu = clip(-0.0125 ln x - 0.0059, 0.008, 0.045)
    at age t_s (s)       t = t_s + t0;  g(t) = g * (t / t0)^-nu
    read noise           g <- max(g + |g| * read_noise_scale * Q_s(x) *
                         sqrt(ln((t + t_read) / (2 t_read))) * N(0,1), 0),
                         Q_s = min(0.0088 / max(x^0.65, 1e-3), 0.2)

with t0 = 20 s and t_read = 250 ns; the unused device of a pair (target 0) is programmed,
drifts and is read the same way.  ``drift_compensation`` rescales the projection's weights
by sum |w(0)| / sum |w(t)| (aihwkit's GlobalDriftCompensation: the response to an all-ones
input, read once at programming and once at age t).  Each device's random numbers come from
a stream keyed by (seed, projection, source gid, target gid, occurrence of the pair), so
the weights do not depend on the partition; ``Simulation.age_devices(t_s)`` draws a new
read of every device at each call.
"""

from dataclasses import asdict, dataclass

import numba as nb
import numpy as np

from distsim.errors import NetworkError
from distsim.rng import GOLDEN, make_key, splitmix64, standard_normal, stream_id

DEVICE = 8  # random-stream purpose of device properties (after rng.SHUFFLE)
PROG_COEFF = (0.26348, 1.9650, -1.1731)  # uS at g_max = 25 uS
G_MAX_REFERENCE = 25.0
T0_S, T_READ_S = 20.0, 250e-9
# draws of a synapse's stream: device d (0: the weight's, 1: the other of the pair) takes
# draw 2 k + d for k = 0 programming, 1 drift exponent, 2 + r its r-th read
PROG, NU, READ0 = 0, 1, 2


@dataclass(frozen=True)
class PCM:
    """A PCM differential pair per synapse (see module); g_max in uS, w_max in weight units
    (None: the projection's largest |weight|), times in s."""

    g_max: float = 25.0
    w_max: object = None
    prog_noise_scale: float = 1.0
    drift_scale: float = 1.0
    read_noise_scale: float = 1.0
    drift_compensation: bool = False

    def __post_init__(self):
        _check_device(self)

    def to_spec(self):
        return {"device": "pcm", **asdict(self)}

    def program(self, x, keys, d):
        """(programmed conductance, drift exponent) of device d of each pair."""
        g_t = x * self.g_max
        noise = self.prog_noise_scale * _sigma_prog(x, self.g_max)
        g = np.maximum(g_t + noise * normals(keys, 2 * PROG + d), 0.0)
        return g, _nu(x, keys, 2 * NU + d, self.drift_scale)

    def read(self, programmed, x, age_s, keys, read, d):
        """Conductance of device d read at ``age_s``: drift, then read noise."""
        g_prog, nu = programmed
        t = age_s + T0_S
        g_t = g_prog * (t / T0_S) ** -nu if t > T0_S else g_prog
        q = np.minimum(0.0088 / np.maximum(x**0.65, 1e-3), 0.2)
        sigma = self.read_noise_scale * q * np.sqrt(np.log((t + T_READ_S) / (2 * T_READ_S)))
        return np.maximum(g_t + np.abs(g_t) * sigma * normals(keys, 2 * read + d), 0.0)


# Wan et al. (Nature 608:504, 2022) RRAM: conductance spread sigma (uS, fitted at g_max =
# 40 uS) after programming, 4th-order polynomials in x = g_T / g_max, ascending powers, per
# age (s)
WAN2022_COEFF = {
    1.0: (0.348, 16.030, -43.853, 45.393, -16.815),
    86400.0: (0.701, 22.086, -50.773, 47.095, -16.458),
    172800.0: (0.782, 20.274, -43.507, 37.062, -11.934),
}


@dataclass(frozen=True)
class RRAM:
    """An RRAM differential pair per synapse after aihwkit's ``ReRamWan2022NoiseModel``
    (hardware.md section 4.2): at age t (1 s, 1 day or 2 days, the ages Wan et al.
    measured) each device's conductance is g_T + prog_noise_scale * sigma_t(x) * N(0, 1)
    with sigma_t the measured polynomial in x = g_T / g_max (uS, scaled by g_max / 40 uS,
    the explicit reference aihwkit intends), clipped to [0, g_max]; the N(0, 1) of a device
    is drawn once (its offset grows with the spread), and every read adds
    ``read_noise_scale`` x 1 % of g_max (aihwkit's forward w_noise = 0.01).  No drift."""

    g_max: float = 40.0
    w_max: object = None
    prog_noise_scale: float = 1.0
    read_noise_scale: float = 1.0
    drift_compensation: bool = False

    def __post_init__(self):
        _check_device(self)

    def to_spec(self):
        return {"device": "rram", **asdict(self)}

    def program(self, x, keys, d):
        return normals(keys, 2 * PROG + d)

    def read(self, offset, x, age_s, keys, read, d):
        ages = sorted(WAN2022_COEFF)
        age = min(ages, key=lambda a: abs(a - max(age_s, 1.0)))
        if abs(age - max(age_s, 1.0)) > 1e-6 * age:
            raise NetworkError(
                f"RRAM: age {age_s} s was not measured; Wan et al. (2022) give "
                f"the spread at {', '.join(f'{a:g}' for a in ages)} s; use one "
                f"of them (0 counts as 1 s)"
            )
        sigma = sum(c * x**k for k, c in enumerate(WAN2022_COEFF[age]))  # uS at 40 uS
        g = x * self.g_max + self.prog_noise_scale * sigma * (self.g_max / 40.0) * offset
        g = g + self.read_noise_scale * 0.01 * self.g_max * normals(keys, 2 * read + d)
        return np.clip(g, 0.0, self.g_max)


DEVICES = {"pcm": PCM, "rram": RRAM}


def _check_device(device):
    """Non-negative constants and scales, a positive w_max (or None)."""
    name = type(device).__name__
    for field in device.__dataclass_fields__:
        value = getattr(device, field)
        if field not in ("w_max", "drift_compensation") and not value >= 0:
            raise NetworkError(f"{name}: {field} = {value!r} is negative; use a value >= 0")
    if device.w_max is not None and not device.w_max > 0:
        raise NetworkError(
            f"{name}: w_max = {device.w_max!r} is not positive; give the "
            f"weight mapped to g_max, or None for the largest |weight|"
        )


def device_from_spec(spec, where):
    """A device object from an object, None, or a dict ``{"device": "pcm", ...}``."""
    if spec is None or isinstance(spec, tuple(DEVICES.values())):
        return spec
    if not isinstance(spec, dict) or spec.get("device") not in DEVICES:
        raise NetworkError(
            f"{where}: device {spec!r} is not known; use one of "
            f"{sorted(DEVICES)} (e.g. {{'device': 'pcm'}}) or None"
        )
    args = {k: v for k, v in spec.items() if k != "device"}
    cls = DEVICES[spec["device"]]
    valid = set(cls.__dataclass_fields__)
    unknown = sorted(set(args) - valid)
    if unknown:
        raise NetworkError(
            f"{where}: device '{spec['device']}' has no option {unknown[0]!r}; "
            f"valid options: {sorted(valid)}"
        )
    return cls(**args)


@nb.njit(cache=True)
def device_keys(seed, stream, source, target):
    """One key per synapse from (seed, stream, source gid, target gid, occurrence of the pair
    in the given order, which is the order of generation for multapses)."""
    n = source.shape[0]
    keys = np.empty(n, np.uint64)
    occ = 0
    for k in range(n):
        if k > 0 and source[k] == source[k - 1] and target[k] == target[k - 1]:
            occ += 1
        else:
            occ = 0
        base = make_key(seed, DEVICE, stream, source[k])
        keys[k] = splitmix64(base ^ (np.uint64(target[k]) * GOLDEN) ^ np.uint64(occ))
    return keys


def _sigma_prog(x, g_max):
    c0, c1, c2 = PROG_COEFF
    return (c0 + c1 * x + c2 * x * x) * (g_max / G_MAX_REFERENCE)


def _nu(x, keys, counter, drift_scale):
    lx = np.log(np.maximum(x, 1e-7))
    mu = np.clip(-0.0155 * lx + 0.0244, 0.049, 0.1)
    sd = np.clip(-0.0125 * lx - 0.0059, 0.008, 0.045)
    return np.abs(mu + sd * normals(keys, counter)) * drift_scale


@nb.njit(cache=True)
def normals(keys, counter):
    """N(0, 1) number ``counter`` of each key's stream."""
    out = np.empty(keys.shape[0])
    for k in range(keys.shape[0]):
        out[k] = standard_normal(keys[k], counter)
    return out


class DeviceState:
    """The programmed pairs of one device projection on this rank: synapse indices into
    the weight array, per synapse a random-stream key, and per device of the pair (0: the
    weight's, 1: the other) the target x = g_T / g_max and what ``device.program`` keeps."""

    def __init__(self, device, seed, projection, index, weights, source, target, w_max):
        order = np.lexsort((target, source))  # pairs together, generation order kept
        self.device, self.index = device, index
        self.scale = device.g_max / w_max
        self.positive = weights >= 0
        self.keys = np.empty(index.size, np.uint64)
        self.keys[order] = device_keys(seed, stream_id(projection), source[order], target[order])
        x_weight = np.minimum(np.abs(weights) * self.scale / device.g_max, 1.0)
        self.x = (x_weight, np.zeros_like(x_weight))
        self.programmed = [device.program(x, self.keys, d) for d, x in enumerate(self.x)]
        self.reads = 0

    def weights_at(self, age_s):
        """Weights of a new read of every device at age ``age_s`` (s) after programming."""
        read = READ0 + self.reads
        self.reads += 1
        g = [
            self.device.read(prog, x, float(age_s), self.keys, read, d)
            for d, (prog, x) in enumerate(zip(self.programmed, self.x))
        ]
        w = (g[0] - g[1]) / self.scale
        return np.where(self.positive, w, -w)
