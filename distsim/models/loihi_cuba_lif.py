"""loihi_cuba_lif: Loihi's fixed-point current-based LIF neuron, bit-exact with Lava."""

import dataclasses

import numba as nb
import numpy as np

from ..distributions import is_distribution
from ..errors import ModelError
from ..kernels.fixed import FIXED_BITS
from .base import S_V, NeuronModel, empty_rows

MODEL_ID = 5
P_DU, P_DV, P_VTH, P_BIAS, P_WEXP = 6, 7, 8, 9, 10
S_U = 2
UV_MAX = 2**23  # u and v are 24-bit
LIMITS = {
    "du": (0, 4095),
    "dv": (0, 4095),
    "vth": (0, 131071),
    "bias_mant": (-4096, 4095),
    "bias_exp": (0, 7),
    "weight_exp": (-8, 7),
    "u": (-UV_MAX + 1, UV_MAX),
    "v": (-UV_MAX + 1, UV_MAX - 1),
}
WEIGHT_MAX = 255  # 8-bit weight magnitude (Lava's bit-accurate Dense: 8-bit weights)


@dataclasses.dataclass(frozen=True)
class LoihiCubaLif(NeuronModel):
    r"""Loihi's CUBA LIF neuron in integer arithmetic, as Lava's bit-accurate model
    (``lava.proc.lif.models.PyLifModelBitAcc``; Davies et al., IEEE Micro 38:82, 2018).

    One simulation step is one Loihi time step.  With ``a`` the summed integer weights of
    the spikes arriving in the step, shifted by ``weight_exp`` (left if >= 0, else
    arithmetic right):

    .. math::
        u &\leftarrow \mathrm{wrap}_{24}\big(\mathrm{trunc}(u (4096 - du - 1) / 4096)
              + a \cdot 2^6\big) \\
        v &\leftarrow \mathrm{clip}_{\pm(2^{23}-1)}\big(\mathrm{trunc}(v (4096 - dv) / 4096)
              + u + b_m 2^{b_e}\big)

    where trunc rounds toward zero, wrap_24 wraps the current into (-2^23, 2^23] and the
    voltage saturates; ``v > vth * 2^6`` emits a spike and sets v = 0.  No refractory period
    (as Lava's model).  Spikes cross a connection of delay 1 step as Lava's Dense process
    hands them on one step later.  ``weight_exp`` applies to the neuron's summed input (Lava:
    per Dense process; the same when one Dense feeds the population or all share it).

    Units: integers of the chip.  du, dv in 1/4096 per step (0..4095); vth (mantissa,
    0..131071), bias_mant (-4096..4095), bias_exp (0..7), weight_exp (-8..7); initial u, v
    in 24-bit state units; synaptic weights integers with |w| <= 255, constant per projection
    or given per synapse.
    """

    name = "loihi_cuba_lif"
    model_id = MODEL_ID
    recordables = ("u", "v")

    du: object = 0.0
    dv: object = 0.0
    vth: object = 10.0
    bias_mant: object = 0.0
    bias_exp: object = 0.0
    weight_exp: object = 0.0
    u: object = 0.0
    v: object = 0.0

    def check(self, v):
        for name, (lo, hi) in LIMITS.items():
            if name in v:
                x = v[name]
                bad = (x != np.round(x)) | (x < lo) | (x > hi)
                if np.any(bad):
                    raise ModelError(
                        f"model {self.name}: parameter {name} = {float(x[bad][0])!r} is not an "
                        f"integer in [{lo}, {hi}] (the register's range); use an integer there"
                    )

    @classmethod
    def check_weights(cls, weights, where):
        """Weights onto this model are the chip's integers: |w| <= 255, not drawn."""
        if is_distribution(weights):
            raise ModelError(
                f"{where}: drawn weights onto a {cls.name} population are not integers; give "
                f"integer weights, constant or one per synapse (from_list)"
            )
        w = np.asarray(weights, dtype=float)
        bad = (w != np.round(w)) | (np.abs(w) > WEIGHT_MAX)
        if np.any(bad):
            raise ModelError(
                f"{where}: weight {float(w[bad].flat[0])!r} onto a {cls.name} population is not "
                f"an integer in [-{WEIGHT_MAX}, {WEIGHT_MAX}] (8-bit weights; scale with the "
                f"target's weight_exp); use integer weights, constant or per synapse"
            )

    def lower(self, v, dt):
        par, st = empty_rows(v["v"].shape[0])
        par[P_DU], par[P_DV] = v["du"], v["dv"]
        par[P_VTH] = v["vth"] * 64.0
        par[P_BIAS] = v["bias_mant"] * 2.0 ** v["bias_exp"]
        par[P_WEXP] = v["weight_exp"]
        st[S_V], st[S_U] = v["v"], v["u"]
        return par, st

    @staticmethod
    def record(name, par, st, idx, cols):
        return st[S_V if name == "v" else S_U, idx].copy()


@nb.njit(cache=True)
def update(lo, hi, pbase, pstride, par, st, refr, h, ex_line, in_line, cur_line, spiked, nspk):
    """One step of Loihi CUBA LIF neurons lo..hi-1 in integers (Lava's bit-accurate model):
    u and v are integers held exactly in float64; products stay below 2^36.  ``refr`` and
    ``h`` are unused (no refractoriness; one step is one Loihi time step)."""
    for i in range(lo, hi):
        c = pbase + (i - lo) * pstride
        a = (ex_line[i] + in_line[i]) >> FIXED_BITS  # integer weights are exact in fixed point
        ex_line[i] = 0
        in_line[i] = 0
        cur_line[i] = 0.0
        wexp = np.int64(par[P_WEXP, c])
        a = a << wexp if wexp >= 0 else a >> -wexp
        u = np.int64(st[S_U, i])
        tmp = u * (4096 - np.int64(par[P_DU, c]) - 1)
        u = (tmp >> 12 if tmp >= 0 else -((-tmp) >> 12)) + (a << 6)
        if u > UV_MAX:
            u -= 2 * UV_MAX
        elif u <= -UV_MAX:
            u += 2 * UV_MAX
        v = np.int64(st[S_V, i])
        tmp = v * (4096 - np.int64(par[P_DV, c]))
        v = (tmp >> 12 if tmp >= 0 else -((-tmp) >> 12)) + u + np.int64(par[P_BIAS, c])
        v = min(max(v, -UV_MAX + 1), UV_MAX - 1)
        if v > par[P_VTH, c]:
            v = 0
            spiked[nspk] = i
            nspk += 1
        st[S_V, i] = v
        st[S_U, i] = u
    return nspk
