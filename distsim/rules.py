"""Connection rules (NEST's names and defaults: autapses and multapses allowed).

Each rule is a frozen dataclass; ``rule_from_spec`` accepts NEST-style dicts such as
``{"rule": "fixed_indegree", "indegree": 1000, "allow_autapses": False}``.
"""

import dataclasses
from dataclasses import dataclass

import numpy as np

from .errors import ConnectionRuleError
from .messages import did_you_mean, shown


@dataclass(frozen=True)
class FixedIndegree:
    """Each target draws exactly ``indegree`` sources uniformly from the source population."""

    indegree: int
    allow_autapses: bool = True
    allow_multapses: bool = True
    rule = "fixed_indegree"


@dataclass(frozen=True)
class FixedOutdegree:
    """Each source draws exactly ``outdegree`` targets uniformly from the target population."""

    outdegree: int
    allow_autapses: bool = True
    allow_multapses: bool = True
    rule = "fixed_outdegree"


@dataclass(frozen=True)
class PairwiseBernoulli:
    """Each (source, target) pair is connected independently with probability ``p``."""

    p: float
    allow_autapses: bool = True
    rule = "pairwise_bernoulli"


@dataclass(frozen=True)
class FixedTotalNumber:
    """Exactly ``N`` synapses, each pair drawn uniformly from all (source, target) pairs."""

    N: int
    allow_autapses: bool = True
    allow_multapses: bool = True
    rule = "fixed_total_number"


@dataclass(frozen=True)
class OneToOne:
    """Source i connects to target i; both populations have the same size."""

    rule = "one_to_one"


@dataclass(frozen=True)
class AllToAll:
    """Every source connects to every target."""

    allow_autapses: bool = True
    rule = "all_to_all"


@dataclass(frozen=True, eq=False)
class FromList:
    """Explicit synapses ``sources[k] -> targets[k]`` (neuron indices within the source and
    target populations), as NEST's Connect with index arrays or PyNN's FromListConnector.
    ``Network.connect`` then also takes one weight and one delay per synapse (sequences in
    list order)."""

    sources: object
    targets: object
    rule = "from_list"

    def __post_init__(self):
        src = np.asarray(self.sources)
        tgt = np.asarray(self.targets)
        for name, a in (("sources", src), ("targets", tgt)):
            if a.ndim != 1 or (a.size and not np.issubdtype(a.dtype, np.integer)):
                raise ConnectionRuleError(
                    f"rule from_list: {name} must be a flat sequence of integer neuron indices, "
                    f"got an array of shape {a.shape} and type {a.dtype}"
                )
        if src.size != tgt.size:
            raise ConnectionRuleError(
                f"rule from_list: {src.size} sources but {tgt.size} targets; give one source "
                f"and one target per synapse"
            )
        object.__setattr__(self, "sources", src.astype(np.int64))
        object.__setattr__(self, "targets", tgt.astype(np.int64))

    def selection(self, local_offsets, n_targets):
        """Indices into the list of the synapses onto the given (sorted) target offsets,
        grouped by target, in list order within a target."""
        wanted = np.zeros(n_targets, np.bool_)
        wanted[local_offsets] = True
        sel = np.flatnonzero(wanted[self.targets])
        return sel[np.argsort(self.targets[sel], kind="stable")]

    def to_spec(self):
        return {
            "rule": self.rule,
            "sources": self.sources.tolist(),
            "targets": self.targets.tolist(),
        }


RULES = {
    cls.rule: cls
    for cls in (
        FixedIndegree,
        FixedOutdegree,
        PairwiseBernoulli,
        FixedTotalNumber,
        OneToOne,
        AllToAll,
        FromList,
    )
}


def rule_from_spec(spec, where):
    """A rule object from a rule object, a rule name, or a NEST-style conn_spec dict."""
    if isinstance(spec, tuple(RULES.values())):
        return spec
    if isinstance(spec, str):
        spec = {"rule": spec}
    if not isinstance(spec, dict):
        raise ConnectionRuleError(
            f"{where}: connection rule {shown(spec)} is not a rule; use a rule object or a "
            f"dict with 'rule' in {sorted(RULES)}"
        )
    spec = dict(spec)
    name = spec.pop("rule", None)
    if not isinstance(name, str) or name not in RULES:
        raise ConnectionRuleError(
            f"{where}: connection rule {shown(name)} is not known; use one of "
            f"{sorted(RULES)}{did_you_mean(name, RULES)}"
        )
    cls = RULES[name]
    valid = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(map(str, set(spec) - set(valid)))
    if unknown:
        raise ConnectionRuleError(
            f"{where}: rule '{name}' has no option {unknown[0]!r}; valid options: "
            f"{valid}{did_you_mean(unknown[0], valid)}"
        )
    missing = [
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.name not in spec
    ]
    if missing:
        raise ConnectionRuleError(f"{where}: rule '{name}' needs {missing[0]!r}")
    return cls(**spec)


def rule_to_spec(rule):
    if isinstance(rule, FromList):
        return rule.to_spec()
    return {"rule": rule.rule, **dataclasses.asdict(rule)}
