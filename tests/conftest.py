"""Every test runs in its own fresh temporary folder: whatever a test (or a distsim command it
starts) writes to a default or relative path lands there, never in the checkout."""
import pytest


@pytest.fixture(autouse=True)
def _in_a_fresh_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
