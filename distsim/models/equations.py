"""Neuron models written as equations, in the style of Brian2: ``equations_model(...)``.

The strings are NESTML's expressions and units; they become a NESTML model (written into the
kernel cache, named by the hash of its text) that ``load_nestml`` compiles like any other, so
the model gets NESTML's analysis: exact propagators where ODE-toolbox finds them, RKF45
otherwise.  A model has

    equations    one ODE a line, NESTML syntax:  V_m' = (E_L - V_m) / tau_m + I_syn / C_m
    state        {name: "initial value with unit"}, e.g. {"V_m": "-70 mV"}; the first is the
                 membrane, held while refractory
    parameters   {name: "value with unit"}
    threshold    the condition of a spike, e.g. "V_m >= V_th"
    reset        statements after a spike, separated by ";", e.g. "V_m = V_reset; w += b"
    refractory   the refractory period, e.g. "2 ms" (None: none)
    on_spike     statements at spike input, with ``weight`` the summed weights of the step
                 (a number): one string for one port of signed weights, or
                 {"excitatory": ..., "inhibitory": ...} for the positive weights and the
                 magnitude of the negative ones

and the continuous input ``I_stim`` (pA: DC and other current stimuli) to use in the
equations.
"""

import hashlib
import re
from pathlib import Path

from ..errors import ModelError
from ..kernels.kernel_cache import kernel_cache_dir, write_once
from .nestml import load_nestml

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_WEIGHT = re.compile(r"\bweight\b")


def equations_model(
    name,
    equations,
    state,
    parameters,
    threshold,
    reset,
    refractory=None,
    on_spike="",
    step_control="solution",
):
    """The neuron model of these equations (module docstring), registered as ``name``."""
    text = nestml_text(name, equations, state, parameters, threshold, reset, refractory, on_spike)
    key = hashlib.sha256(text.encode()).hexdigest()[:16]
    folder = Path(kernel_cache_dir()) / "nestml"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"equations_{name}_{key}.nestml"
    write_once(path, text)
    return load_nestml(path, step_control)


def nestml_text(name, equations, state, parameters, threshold, reset, refractory, on_spike):
    """The NESTML model of ``equations_model``'s arguments."""
    where = f"equations model {name!r}"
    if not isinstance(name, str) or not _NAME.match(name):
        raise ModelError(f"{where}: a model name is an identifier, e.g. 'adaptive_lif'")
    for kind, table in (("state", state), ("parameters", parameters)):
        if not isinstance(table, dict) or (kind == "state" and not table):
            raise ModelError(f'{where}: {kind} is a dict of name -> "value unit", e.g. '
                             f'{{"V_m": "-70 mV"}}')  # fmt: skip
    if not isinstance(on_spike, (str, dict)) or (
        isinstance(on_spike, dict) and not set(on_spike) <= {"excitatory", "inhibitory"}
    ):
        raise ModelError(
            f"{where}: on_spike is a string, or a dict with keys excitatory and inhibitory"
        )
    membrane = next(iter(state))
    lines = [f"model {name}:", "    state:"]
    lines += [f"        {n} {_unit(v)} = {v}" for n, v in state.items()]
    if refractory:
        lines.append("        refr_t ms = 0 ms")
    lines.append("    equations:")
    lines += [f"        {e.strip()}" for e in equations.strip().splitlines() if e.strip()]
    if refractory:
        lines.append("        refr_t' = -1")
    lines.append("    parameters:")
    lines += [f"        {n} {_unit(v)} = {v}" for n, v in parameters.items()]
    if refractory:
        lines.append(f"        refr_T ms = {refractory}")
    ports = on_spike if isinstance(on_spike, dict) else ({"": on_spike} if on_spike else {})
    port_names = {"": "spikes", "excitatory": "exc_spikes", "inhibitory": "inh_spikes"}
    lines.append("    input:")
    lines += [
        f"        {port_names[k]} <- {k} spike".replace("<-  spike", "<- spike") for k in ports
    ]
    lines += ["        I_stim pA <- continuous", "    output:", "        spike", "    update:"]
    if refractory:
        others = ", ".join(n for n in state if n != membrane)
        lines += [
            "        if refr_t > 0 ms:",
            f"            integrate_odes({others + ', ' if others else ''}refr_t)",
            "        else:",
            f"            integrate_odes({', '.join(state)})",
        ]
    else:
        lines.append("        integrate_odes()")
    for kind, statements in ports.items():
        weight = f"({port_names[kind]} * 1 s)"
        lines.append(f"    onReceive({port_names[kind]}):")
        lines += ["        " + _WEIGHT.sub(weight, s) for s in _statements(statements)]
    condition = f"refr_t <= 0 ms and ({threshold})" if refractory else threshold
    lines.append(f"    onCondition({condition}):")
    lines += [f"        {s}" for s in _statements(reset)]
    if refractory:
        lines.append("        refr_t = refr_T")
    lines.append("        emit_spike()")
    return "\n".join(lines) + "\n"


def _statements(text):
    return [s.strip() for s in re.split(r"[;\n]", text) if s.strip()]


def _unit(value):
    """The NESTML type of a value "number unit" (its unit), or real."""
    parts = str(value).split()
    return parts[-1] if len(parts) > 1 and re.match(r"[A-Za-z]", parts[-1]) else "real"
