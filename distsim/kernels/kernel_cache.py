"""Where numba keeps distsim's compiled kernels, so that a cached kernel is never stale.

Numba's cache checks only the file of the function it cached, while a kernel carries the code of
every function it calls, often from other files (a model's update, the rules of plasticity);
after a change there it would load a stale kernel.  So the cache lives in a folder named by the
hash of every source file of distsim that defines numba code: any change there gives a new,
empty folder (a change elsewhere, e.g. in the command line, does not).  The base is
``DISTSIM_CACHE_DIR``, else ``NUMBA_CACHE_DIR``, else ``$XDG_CACHE_HOME/distsim``
(``~/.cache/distsim``).  ``configure()`` runs when distsim is imported, before any kernel is
defined (numba reads the folder when it defines one).
"""

import hashlib
import importlib.util
import os
import sys
from pathlib import Path

import numba

_SUBPACKAGES = ("distsim.comm", "distsim.partition", "distsim.hardware")  # installed from
_CONFIGURED = []  # folders of their own


def _base():
    for var in ("DISTSIM_CACHE_DIR", "NUMBA_CACHE_DIR"):
        if os.environ.get(var):
            return Path(os.environ[var])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "distsim"


def _source_folders():
    """distsim's folder and those of its subpackages installed from elsewhere."""
    folders = [Path(__file__).resolve().parents[1]]
    for name in _SUBPACKAGES:  # found without importing them
        spec = importlib.util.find_spec(name)
        folders += [Path(p).resolve() for p in spec.submodule_search_locations or []]
    return list(dict.fromkeys(folders))


def source_hash():
    """SHA-256 (hex, 16 digits) of distsim's source files that define numba code."""
    h = hashlib.sha256()
    for folder in _source_folders():
        for f in sorted(folder.rglob("*.py")):
            text = f.read_bytes()
            if b"njit" in text:
                h.update(f.name.encode())
                h.update(text)
    return h.hexdigest()[:16]


def kernel_cache_dir():
    """The cache folder of this version of the kernels (made on first use)."""
    return configure()


def configure():
    """Point numba's cache at this version's folder (once per process); returns it."""
    if not _CONFIGURED:
        folder = _base() / f"kernels-{source_hash()}"
        numba.config.CACHE_DIR = str(folder)
        _CONFIGURED.append(str(folder))
    return _CONFIGURED[0]


def write_once(path, text):
    """Write ``text`` to ``path`` unless it exists, atomically: ranks that race write the same
    text, and a file is never replaced once written (its mtime keys numba's cache)."""
    path = str(path)
    if os.path.exists(path):
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    os.unlink(tmp)


def import_file(name, path):
    """The module ``name`` of the file ``path`` (imported once per process)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
