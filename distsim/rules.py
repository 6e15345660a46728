"""Connection rules (NEST's names and defaults: autapses and multapses allowed).

Each rule is a frozen dataclass; ``rule_from_spec`` accepts NEST-style dicts such as
``{"rule": "fixed_indegree", "indegree": 1000, "allow_autapses": False}``.
"""
import dataclasses
from dataclasses import dataclass

from .errors import ConnectionRuleError


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


RULES = {cls.rule: cls for cls in (FixedIndegree, FixedOutdegree, PairwiseBernoulli,
                                   FixedTotalNumber, OneToOne, AllToAll)}


def rule_from_spec(spec, where):
    """A rule object from a rule object, a rule name, or a NEST-style conn_spec dict."""
    if isinstance(spec, tuple(RULES.values())):
        return spec
    if isinstance(spec, str):
        spec = {"rule": spec}
    if not isinstance(spec, dict):
        raise ConnectionRuleError(
            f"{where}: connection rule {spec!r} is not a rule; use a rule object or a dict "
            f"with 'rule' in {sorted(RULES)}")
    spec = dict(spec)
    name = spec.pop("rule", None)
    if name not in RULES:
        raise ConnectionRuleError(
            f"{where}: connection rule {name!r} is not known; use one of {sorted(RULES)}")
    cls = RULES[name]
    valid = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(spec) - set(valid))
    if unknown:
        raise ConnectionRuleError(
            f"{where}: rule '{name}' has no option {unknown[0]!r}; valid options: {valid}")
    missing = [f.name for f in dataclasses.fields(cls)
               if f.default is dataclasses.MISSING and f.name not in spec]
    if missing:
        raise ConnectionRuleError(f"{where}: rule '{name}' needs {missing[0]!r}")
    return cls(**spec)


def rule_to_spec(rule):
    return {"rule": rule.rule, **dataclasses.asdict(rule)}
