"""What every plastic rule shares: parameters as finite floats (NEST's names where they
differ: ``nest_names``), its row of the kernels' rule table (kind, parameters, pairing;
kernels/plasticity.py), its serialised form, and the sign rule of its weights."""

import dataclasses
from typing import ClassVar

import numpy as np

from ...distributions import as_number
from ...errors import ModelError
from ...kernels.plasticity import N_RULE_PAR, PAIR_ALL


@dataclasses.dataclass(frozen=True)
class PlasticRule:
    kind: ClassVar[int] = -1
    pairing: ClassVar[int] = PAIR_ALL
    name: ClassVar[str] = ""
    nest_names: ClassVar[dict] = {}  # NEST parameter name -> field, where they differ
    # float64 values kept per synapse besides its weight (the kernels' syn_dopa columns)
    per_synapse_state: ClassVar[int] = 0
    reads_post: ClassVar[bool] = True  # reads its targets' spike history (STDP)
    may_be_zero: ClassVar[tuple] = ()  # time constants for which 0 means "off"

    def __post_init__(self):
        """Parameters are finite numbers (kept as floats), time constants positive; ``vt``,
        a population name, is checked by the network."""
        back = {v: k for k, v in self.nest_names.items()}
        for f in dataclasses.fields(self):
            if f.name != "vt":
                object.__setattr__(
                    self,
                    f.name,
                    as_number(
                        getattr(self, f.name),
                        f"{self.name} {back.get(f.name, f.name)}",
                        error=ModelError,
                    ),
                )
            value = getattr(self, f.name)
            if f.name.startswith("tau") and not (
                value > 0 or (value == 0 and f.name in self.may_be_zero)
            ):
                zero = " (0 switches it off)" if f.name in self.may_be_zero else ""
                raise ModelError(
                    f"{self.name} {f.name} = {value} ms is not positive; use a positive time "
                    f"constant{zero}"
                )

    def initial_state(self):
        """The segment's initial row of the kernels' pl_state (STDP: traces 0, last spike at
        step 0)."""
        return np.zeros(4)

    def rule_row(self):
        """The kernels' row: kind, the numeric fields in declaration order, zeros, and the
        pairing scheme in the last column (C_PAIRING)."""
        values = [
            float(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if not isinstance(getattr(self, f.name), str)
        ]
        return np.array(
            [
                float(self.kind),
                *values,
                *[0.0] * (N_RULE_PAR - 2 - len(values)),
                float(self.pairing),
            ]
        )

    def to_spec(self):
        back = {v: k for k, v in self.nest_names.items()}
        return {
            "synapse_model": self.name,
            **{back.get(f.name, f.name): getattr(self, f.name) for f in dataclasses.fields(self)},
        }

    def check_weights(self, weight, where):
        """Weights keep the sign of Wmax (NEST's models keep w between 0 and Wmax; the
        power-law rule needs w >= 0)."""
        low, high = (
            weight.bounds
            if hasattr(weight, "bounds")
            else (float(np.min(weight)), float(np.max(weight)))
        )
        wmax = getattr(self, "Wmax", 1.0)
        if (wmax > 0 and low < 0) or (wmax < 0 and high > 0):
            raise ModelError(
                f"{where}: {self.name} weights must have the sign of Wmax = {wmax} (they stay "
                f"between 0 and Wmax); got weights in [{low}, {high}]; use weights of that sign"
            )
