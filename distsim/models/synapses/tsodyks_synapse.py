"""tsodyks2_synapse and tsodyks_synapse: short-term depression and facilitation (Tsodyks &
Markram), with NEST's semantics; kernels/short_term.py computes them."""

import dataclasses
from typing import ClassVar

import numpy as np

from ...errors import ModelError
from ...kernels.plasticity import TSODYKS, TSODYKS2
from .base import PlasticRule


@dataclasses.dataclass(frozen=True)
class ShortTermRule(PlasticRule):
    """What the short-term rules share: no postsynaptic spike history, a state per segment
    (``initial_state``: the kernels' pl_state row), weights of either sign unchanged (the
    state scales what a spike sends), tau_fac = 0 switching facilitation off."""

    reads_post: ClassVar[bool] = False
    may_be_zero: ClassVar[tuple] = ("tau_fac",)

    def __post_init__(self):
        super().__post_init__()
        if not 0.0 <= self.U <= 1.0:
            raise ModelError(
                f"{self.name} U = {self.U} is outside [0, 1] (a release probability); use a "
                f"value in [0, 1]"
            )

    def check_weights(self, weight, where):
        """Any sign: the target's excitatory or inhibitory input, as NEST's."""


@dataclasses.dataclass(frozen=True)
class Tsodyks2Synapse(ShortTermRule):
    r"""NEST's ``tsodyks2_synapse`` (Maass & Markram 2002; Tsodyks & Markram 1997): at each
    presynaptic spike n + 1, h ms after spike n,

    .. math::
        x_{n+1} = 1 + (x_n - x_n u_n - 1) e^{-h/\tau_{rec}}, \qquad
        u_{n+1} = U + u_n (1 - U) e^{-h/\tau_{fac}}

    and the spike is sent with weight x u w (the first spike with the initial x and u).
    ``x`` (resources), ``u`` (utilisation, initially U) are the initial state; times in ms.
    """

    U: float = 0.5
    u: float = 0.5
    x: float = 1.0
    tau_rec: float = 800.0
    tau_fac: float = 0.0
    kind: ClassVar[int] = TSODYKS2
    name: ClassVar[str] = "tsodyks2_synapse"

    def initial_state(self):
        return np.array([self.x, self.u, -1.0, 0.0])  # x, u, t_last (none yet)


@dataclasses.dataclass(frozen=True)
class TsodyksSynapse(ShortTermRule):
    r"""NEST's ``tsodyks_synapse`` (Tsodyks, Uziel & Markram 2000): resources in three
    states, recovered x, active y (decaying on tau_psc) and inactive z = 1 - x - y, with
    utilisation u.  At a presynaptic spike h ms after the previous one (the first: h ms
    after 0), the state is propagated exactly,

    .. math::
        u \leftarrow u e^{-h/\tau_{fac}}, \quad
        x \leftarrow x + P_{xy} y + (1 - e^{-h/\tau_{rec}}) z, \quad
        y \leftarrow y e^{-h/\tau_{psc}}, \quad u \leftarrow u + U (1 - u),

    with P_xy = ((e^{-h/tau_rec} - 1) tau_rec - (e^{-h/tau_psc} - 1) tau_psc) /
    (tau_psc - tau_rec); then the spike sends u x w and moves u x from x to y.
    ``x``, ``y``, ``u`` are the initial state; times in ms.
    """

    tau_psc: float = 3.0
    tau_fac: float = 0.0
    tau_rec: float = 800.0
    U: float = 0.5
    x: float = 1.0
    y: float = 0.0
    u: float = 0.0
    kind: ClassVar[int] = TSODYKS
    name: ClassVar[str] = "tsodyks_synapse"

    def __post_init__(self):
        super().__post_init__()
        if self.tau_psc == self.tau_rec:
            raise ModelError(
                f"{self.name} tau_psc = tau_rec = {self.tau_psc} ms divides by zero in the "
                f"propagator; use different time constants"
            )

    def initial_state(self):
        return np.array([self.x, self.y, self.u, 0.0])  # x, y, u, t_last (0 ms)
