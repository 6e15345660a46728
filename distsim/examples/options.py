"""Command-line options of the built-in examples: each example declares its own (``OPTIONS``
in its module), with the keyword it sets, its type, default, help and allowed range; the
command line offers them and refuses one the chosen example does not take."""

import math
from dataclasses import dataclass, field

from distsim.errors import ConfigError


@dataclass(frozen=True)
class Option:
    """``--flag VALUE`` setting keyword ``keyword`` of the example's network function.
    ``low``/``high``: the allowed range (``low_open``: low itself excluded); ``choices``: the
    allowed values; ``switch``: a flag without a value (True when given); ``convert``: from the
    command-line value to the keyword's (default: as it is)."""

    flag: str
    keyword: str
    type: type
    default: object
    help: str
    low: float = None
    high: float = None
    low_open: bool = False
    choices: tuple = field(default=())
    switch: bool = False
    convert: object = None

    def keyword_value(self, value):
        return value if self.convert is None else self.convert(value)

    def check(self, value, where):
        """``value`` if it is allowed, else ConfigError naming the option, rule and fix."""
        if value is None:  # not given, and no default: the function's own
            return None
        if self.choices and value not in self.choices:
            raise ConfigError(
                f"{where}: {self.flag} {value!r} is not one of {', '.join(map(str, self.choices))}"
            )
        if self.type in (int, float):
            if not math.isfinite(value):
                raise ConfigError(
                    f"{where}: {self.flag} {value} is not a finite number; {self.range_text()}"
                )
            too_low = self.low is not None and (
                value <= self.low if self.low_open else value < self.low
            )
            too_high = self.high is not None and value > self.high
            if too_low or too_high:
                raise ConfigError(
                    f"{where}: {self.flag} {value} is out of range; {self.range_text()}"
                )
        return value

    def range_text(self):
        low = "" if self.low is None else f"{self.low} {'<' if self.low_open else '<='} "
        high = "" if self.high is None else f" <= {self.high}"
        return f"use {low}{self.flag[2:].replace('-', '_')}{high}"


@dataclass(frozen=True)
class Example:
    """A built-in example: its network function, its options and whether the network depends
    on the run's model time (``t_sim``, e.g. a scene generated for that long)."""

    build: object
    options: tuple
    uses_t_sim: bool = False
