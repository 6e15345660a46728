"""Neuron models written in NESTML, NEST's modelling language: ``load_nestml(path)``.

The model's kernel is generated once (models/nestml_codegen.py, with the ``nestml``
package) into a module of the kernel cache named by the hash of the file's text, the
options and NESTML's version; later loads, on any rank or node, import that module without
running NESTML again, and numba compiles it only when a network uses the model (its own
cache=True then).  The model is a NeuronModel like the built-in ones: its fields are the
NESTML parameters and state variables (NESTML's names and units: mV, pA, pF, nS, ms), with
NESTML's defaults; it is registered under the NESTML model's name (``Population(...,
model="iaf_psc_exp_neuron")``, ``model = "..."`` in model files, where ``nestml = "FILE"``
loads it).

    par[0 ..]   the parameters, then the internals (NESTML's internals block and the
                propagators ODE-toolbox derived; computed per neuron by ``derive``)
    st[0 ..]    the state variables, then the continuous input of the step, then the
                suggested step of the numeric solver (if any)
"""

import dataclasses
import hashlib
import importlib.metadata
import math
from pathlib import Path
from typing import ClassVar

import numpy as np

from ..errors import ModelError
from ..kernels.kernel_cache import import_file, kernel_cache_dir, write_once
from .base import N_PAR_ROWS, NeuronModel
from .nestml_codegen import generate

STEP_CONTROLS = ("solution", "derivative")
_LOADED = {}  # (resolved path, step control, file hash) -> model class


@dataclasses.dataclass(frozen=True)
class NestmlModel(NeuronModel):
    """Base of the models loaded from NESTML; ``kernel`` is the generated module."""

    kernel: ClassVar[object] = None

    def lower(self, v, dt):
        k = self.kernel
        n = next(iter(v.values())).shape[0]
        par = np.zeros((self.par_rows, n))
        st = np.zeros((self.state_rows, n))
        for row, (name, _) in enumerate(k.PARAMETERS):
            par[row] = v[name]
        for row, (name, initial, settable) in enumerate(k.STATES):
            st[row] = v[name] if settable else initial
        k.derive(par[: k.N_PAR_ROWS], st, dt)
        n_p = len(k.PARAMETERS)
        bad = ~np.isfinite(par[n_p : k.N_PAR_ROWS])
        if np.any(bad):  # e.g. a propagator at its singularity (tau_m == tau_syn)
            row, col = np.argwhere(bad)[0]
            given = ", ".join(f"{name} = {float(v[name][col])!r}" for name, _ in k.PARAMETERS)
            raise ModelError(
                f"model {self.name}: internal {k.INTERNALS[row]} is {par[n_p + row, col]} for "
                f"{given} (NESTML's expression of it is singular there, e.g. equal time "
                f"constants); change the parameters slightly or write the model for that case"
            )
        if k.ROW_STEP >= 0:
            st[k.ROW_STEP] = dt  # NESTML's first integration step: the resolution
        return par, st

    @classmethod
    def record(cls, name, par, st, idx, cols):
        return st[cls.rows[name], idx].copy()


def load_nestml(path, step_control="solution", sha256=None):
    """The neuron model of the NESTML file ``path`` (one neuron per file), registered in
    distsim's models under its NESTML name.  ``step_control``: the error control of the
    numeric solver, NESTML's "solution" (default: |error| against 1e-6 + 1e-6 |y|) or
    "derivative" (against 1e-6 + 1e-6 h |dy/dt|, the control of NEST's aeif models).
    ``sha256``: the hash the file must have (a network description or checkpoint made with
    it records it: a file changed since is refused)."""
    from . import MODELS

    if step_control not in STEP_CONTROLS:
        raise ModelError(
            f"NESTML model {path}: step_control {step_control!r} is not one of "
            f"{', '.join(STEP_CONTROLS)}"
        )
    path = Path(path).expanduser().resolve()
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"NESTML model {path}: cannot be read ({exc.strerror})") from None
    digest = hashlib.sha256(text).hexdigest()
    if sha256 is not None and sha256 != digest:
        raise ModelError(
            f"NESTML model {path}: the file has changed since the network was described "
            f"(sha256 {digest[:12]}, recorded {sha256[:12]}); restore the file it was made with"
        )
    if (str(path), step_control, digest) in _LOADED:
        return _LOADED[(str(path), step_control, digest)]
    try:
        version = importlib.metadata.version("nestml")
    except importlib.metadata.PackageNotFoundError:
        version = "none"
    key = hashlib.sha256(text + f"|{step_control}|{version}".encode()).hexdigest()[:16]
    folder = Path(kernel_cache_dir()) / "nestml"
    found = sorted(folder.glob(f"nestml_*_{key}.py")) if folder.is_dir() else []
    if found:
        module_path = found[0]
    else:
        name, source = generate(path, step_control)
        folder.mkdir(parents=True, exist_ok=True)
        module_path = folder / f"nestml_{name}_{key}.py"
        write_once(module_path, source)
    kernel = import_file(module_path.stem, module_path)
    origin = {"path": str(path), "step_control": step_control, "sha256": digest}
    cls = _model_class(kernel, origin, int(key[:7], 16) + 1000)
    known = MODELS.get(cls.name)
    if known is not None and not issubclass(known, NestmlModel):
        raise ModelError(
            f"NESTML model {path}: its name {cls.name!r} is a built-in model's; rename the "
            f"NESTML model"
        )
    if known is not None and known.nestml["path"] != str(path):
        raise ModelError(
            f"NESTML model {path}: a model named {cls.name!r} is loaded from "
            f"{known.nestml['path']}; rename one of the two models"
        )
    MODELS[cls.name] = cls
    _LOADED[(str(path), step_control, digest)] = cls
    return cls


def library_file(name):
    """The file of model ``name`` (e.g. "iaf_psc_exp_neuron") in the model library that the
    nestml package installs (models/neurons/NAME.nestml)."""
    try:
        files = importlib.metadata.distribution("nestml").files or []
    except importlib.metadata.PackageNotFoundError:
        raise ModelError(
            f"NESTML library model {name!r}: the nestml package is not installed; install it "
            f"with pip install 'distsim[nestml]'"
        ) from None
    neurons = {Path(f).stem: f for f in files if str(f).endswith(".nestml") and "neurons" in str(f)}
    if name not in neurons:
        raise ModelError(
            f"NESTML library model {name!r} is not in nestml's library; its neurons: "
            f"{', '.join(sorted(neurons))}"
        )
    return Path(neurons[name].locate()).resolve()


def _model_class(k, origin, model_id):
    fields = [(n, object, dataclasses.field(default=v)) for n, v in k.PARAMETERS]
    fields += [(n, object, dataclasses.field(default=v)) for n, v, settable in k.STATES if settable]
    rows = {n: r for r, (n, _, _) in enumerate(k.STATES)}
    cls = dataclasses.make_dataclass(
        f"Nestml_{k.NAME}",
        fields,
        bases=(NestmlModel,),
        frozen=True,
        namespace={
            "__doc__": f"NESTML neuron {k.NAME} from {origin['path']} (models/nestml.py).",
            "name": k.NAME,
            "model_id": model_id,
            "recordables": tuple(rows),
            "rows": rows,
            "kernel": k,
            "nestml": origin,
            "par_rows": max(N_PAR_ROWS, k.N_PAR_ROWS),
            # a default that is infinite may stay so (e.g. izhikevich_neuron's V_min)
            "infinite": {n: v for n, v in k.PARAMETERS if math.isinf(v)},
            "state_rows": max(8, k.N_STATE_ROWS),
        },
    )
    cls.__module__ = k.__name__  # the composed kernels import ``update`` from here
    return cls
