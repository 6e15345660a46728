"""Chip profiles: every shipped profile loads, every constant carries its source, unknown
constants stay unknown, invalid files are refused with the key path and the fix."""

import copy
import json

import pytest

from distsim.errors import HardwareError
from distsim.hardware.profiles import KEYS, list_profiles, load_profile, parse_profile

SHIPPED = {"loihi", "loihi2", "spinnaker", "spinnaker2", "truenorth", "brainscales2", "cpu"}


def test_every_profile_loads_with_sources():
    assert set(list_profiles()) == SHIPPED
    for name in SHIPPED:
        prof = load_profile(name)
        for section in KEYS:
            for key, const in getattr(prof, section).items():
                if const.known:
                    assert const.source and const.basis and const.provenance, (name, key)
                    assert const.si > 0
                else:
                    assert const.value is None and const.note, (name, key)
        assert json.loads(json.dumps(prof.to_dict()))["name"] == name


def test_values_and_unknowns():
    loihi = load_profile("loihi")
    assert loihi.energy["synaptic_op"].si == pytest.approx(23.6e-12)
    assert loihi.energy["synaptic_op"].basis == "simulated"
    assert loihi.latency["noc_hop_y"].si == pytest.approx(6.5e-9)
    assert loihi.limits["synapse_memory_per_core"].si == 128 * 1024
    assert "energy.link_hop" in loihi.unknown()  # cross-chip energy: not published
    assert loihi.all_in is None
    tn = load_profile("truenorth")
    assert tn.all_in.name == "synaptic_op" and tn.all_in.si == pytest.approx(26e-12)
    assert all(c.status == "included" for k, c in tn.energy.items() if k != "synaptic_op")
    assert load_profile("spinnaker").energy["router_packet"].si == pytest.approx(1e-9)
    assert load_profile("brainscales2").latency["speedup"].value == 1000
    assert "energy.synaptic_op" in load_profile("loihi2").unknown()


def _loihi_dict():
    return copy.deepcopy(load_profile("loihi").to_dict())


def test_unknown_and_missing_keys_are_refused(tmp_path):
    data = _loihi_dict()
    data["energy"]["synaptic_op"]["valu"] = 1.0
    with pytest.raises(HardwareError, match=r"energy.synaptic_op: unknown key 'valu'; valid keys"):
        parse_profile(data, "x")
    data = _loihi_dict()
    data["energy"]["synaptic_opp"] = data["energy"].pop("synaptic_op")
    with pytest.raises(HardwareError, match=r"energy: unknown key 'synaptic_opp'"):
        parse_profile(data, "x")
    data = _loihi_dict()
    del data["latency"]["sync_chip"]
    with pytest.raises(HardwareError, match=r"latency: missing key 'sync_chip'.*null with a note"):
        parse_profile(data, "x")
    data = _loihi_dict()
    data["colour"] = "blue"
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(data))
    with pytest.raises(HardwareError, match=r"mine.json.*unknown key 'colour'"):
        load_profile(str(path))
    with pytest.raises(HardwareError, match=r"'loihi3' is not known; use one of .*loihi2"):
        load_profile("loihi3")


def test_invalid_constants_are_refused():
    data = _loihi_dict()
    data["energy"]["synaptic_op"]["unit"] = "ns"
    with pytest.raises(HardwareError, match=r"unit 'ns' is not a unit of energy; use one of pJ"):
        parse_profile(data)
    data = _loihi_dict()
    data["energy"]["link_hop"]["value"] = 0.0  # unknown must stay null
    with pytest.raises(HardwareError, match=r"link_hop: status 'unknown' needs value null"):
        parse_profile(data)
    data = _loihi_dict()
    data["energy"]["synaptic_op"]["value"] = None
    with pytest.raises(HardwareError, match=r"value None is not a positive number"):
        parse_profile(data)
    data = _loihi_dict()
    data["energy"]["synaptic_op"]["basis"] = "guessed"
    with pytest.raises(HardwareError, match=r"basis 'guessed' is not one of simulated"):
        parse_profile(data)
    data = copy.deepcopy(load_profile("truenorth").to_dict())
    data["energy"]["spike"].update(
        value=1.0, status="known", basis="measured", provenance="M", source="x", scope="per_term"
    )
    with pytest.raises(HardwareError, match=r"synaptic_op is an all-in figure.*spike is known"):
        parse_profile(data)
    data = _loihi_dict()
    data["layout"]["tiles_x"]["value"] = 4
    with pytest.raises(HardwareError, match=r"layout 4 x 4 tiles x 4 cores = 64 cores"):
        parse_profile(data)
