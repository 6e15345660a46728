"""Neuron models with NEST's semantics and their lowering into flat arrays for the kernels."""

from ..errors import ModelError
from ..messages import did_you_mean, shown
from .aeif_cond_alpha import AeifCondAlpha
from .aeif_cond_exp import AeifCondExp
from .aeif_psc_exp import AeifPscExp
from .equations import equations_model
from .hh_psc_alpha import HhPscAlpha
from .iaf_cond_alpha import IafCondAlpha
from .iaf_cond_exp import IafCondExp
from .iaf_psc_alpha import IafPscAlpha
from .iaf_psc_delta import IafPscDelta
from .iaf_psc_exp import IafPscExp
from .izhikevich import Izhikevich
from .loihi_cuba_lif import LoihiCubaLif
from .nestml import library_file, load_nestml
from .parrot_neuron import ParrotNeuron
from .spike_source import SpikeSource

MODELS = {
    cls.name: cls
    for cls in (
        IafPscDelta,
        IafPscExp,
        IafPscAlpha,
        Izhikevich,
        SpikeSource,
        LoihiCubaLif,
        ParrotNeuron,
        IafCondExp,
        IafCondAlpha,
        AeifCondExp,
        AeifCondAlpha,
        AeifPscExp,
        HhPscAlpha,
    )
}


def get_model(name, where):
    """The model class called ``name``; ``where`` names the object asking, for the error."""
    try:
        return MODELS[name]
    except (KeyError, TypeError):
        raise ModelError(
            f"{where}: neuron model {shown(name)} is not known; available models: "
            f"{', '.join(sorted(MODELS))}{did_you_mean(name, MODELS)}"
        ) from None


__all__ = [
    "MODELS",
    "get_model",
    "IafPscDelta",
    "IafPscExp",
    "IafPscAlpha",
    "Izhikevich",
    "SpikeSource",
    "LoihiCubaLif",
    "ParrotNeuron",
    "IafCondExp",
    "IafCondAlpha",
    "AeifCondExp",
    "AeifCondAlpha",
    "AeifPscExp",
    "HhPscAlpha",
    "load_nestml",
    "equations_model",
    "library_file",
]
