"""stdp_pl_synapse_hom: power-law STDP (Morrison et al. 2007)."""

import dataclasses
from typing import ClassVar

from ...kernels.plasticity import STDP_PL_HOM
from .base import PlasticRule


@dataclasses.dataclass(frozen=True)
class StdpPlSynapseHom(PlasticRule):
    r"""NEST's ``stdp_pl_synapse_hom`` (power-law STDP, Morrison et al. 2007; the plastic
    synapse of NEST's hpc_benchmark):

    .. math::
        \mathrm{facilitate}(w, k) = w + \lambda w^{\mu} k \qquad
        \mathrm{depress}(w, k) = \max(0, w - \lambda \alpha w k)
    """

    tau_plus: float = 20.0
    lambda_: float = 0.1
    alpha: float = 1.0
    mu: float = 0.4
    kind: ClassVar[int] = STDP_PL_HOM
    name: ClassVar[str] = "stdp_pl_synapse_hom"
    nest_names: ClassVar[dict] = {"lambda": "lambda_"}
