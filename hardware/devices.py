"""Device synapses: weights held in phase-change memory (PCM), with programming noise,
conductance drift and read noise, after IBM aihwkit's ``PCMLikeNoiseModel`` (Nandakumar
et al., ICECS 2019; Joshi et al., Nat. Commun. 11:2473, 2020; constants and formulas in
/work/shared/reference/hardware.md section 4.1).

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
        for name in ("g_max", "prog_noise_scale", "drift_scale", "read_noise_scale"):
            if not getattr(self, name) >= 0:
                raise NetworkError(f"PCM: {name} = {getattr(self, name)!r} is negative; use a "
                                   f"value >= 0")
        if self.w_max is not None and not self.w_max > 0:
            raise NetworkError(f"PCM: w_max = {self.w_max!r} is not positive; give the weight "
                               f"mapped to g_max, or None for the largest |weight|")

    def to_spec(self):
        return {"device": "pcm", **asdict(self)}


DEVICES = {"pcm": PCM}


def device_from_spec(spec, where):
    """A device object from an object, None, or a dict ``{"device": "pcm", ...}``."""
    if spec is None or isinstance(spec, tuple(DEVICES.values())):
        return spec
    if not isinstance(spec, dict) or spec.get("device") not in DEVICES:
        raise NetworkError(f"{where}: device {spec!r} is not known; use one of "
                           f"{sorted(DEVICES)} (e.g. {{'device': 'pcm'}}) or None")
    args = {k: v for k, v in spec.items() if k != "device"}
    cls = DEVICES[spec["device"]]
    valid = set(cls.__dataclass_fields__)
    unknown = sorted(set(args) - valid)
    if unknown:
        raise NetworkError(f"{where}: device '{spec['device']}' has no option {unknown[0]!r}; "
                           f"valid options: {sorted(valid)}")
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
    the weight array, keys, programmed conductances and drift exponents of both devices."""

    def __init__(self, device, seed, projection, index, weights, source, target, w_max):
        order = np.lexsort((target, source))  # pairs together, generation order kept
        self.device, self.index = device, index
        self.scale = device.g_max / w_max
        g_target = np.abs(weights) * self.scale
        self.positive = weights >= 0
        self.keys = np.empty(index.size, np.uint64)
        self.keys[order] = device_keys(seed, stream_id(projection), source[order], target[order])
        self.g_prog, self.nu, self.x = [], [], []
        for d, g_t in enumerate((g_target, np.zeros_like(g_target))):
            x = np.minimum(g_t / device.g_max, 1.0)
            self.x.append(x)
            noise = device.prog_noise_scale * _sigma_prog(x, device.g_max)
            self.g_prog.append(np.maximum(g_t + noise * normals(self.keys, 2 * PROG + d), 0.0))
            self.nu.append(_nu(x, self.keys, 2 * NU + d, device.drift_scale))
        self.reads = 0

    def weights_at(self, age_s):
        """Weights of a new read of every device at age ``age_s`` (s) after programming."""
        dev = self.device
        t = age_s + T0_S
        read = READ0 + self.reads
        self.reads += 1
        g = []
        for d, (g_prog, nu, x) in enumerate(zip(self.g_prog, self.nu, self.x)):
            g_t = g_prog * (t / T0_S) ** -nu if t > T0_S else g_prog
            q = np.minimum(0.0088 / np.maximum(x ** 0.65, 1e-3), 0.2)
            sigma = dev.read_noise_scale * q * np.sqrt(np.log((t + T_READ_S) / (2 * T_READ_S)))
            g.append(np.maximum(g_t + np.abs(g_t) * sigma * normals(self.keys, 2 * read + d), 0.0))
        w = (g[0] - g[1]) / self.scale
        return np.where(self.positive, w, -w)
