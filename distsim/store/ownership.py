"""What distsim may write into and remove.

distsim writes only into a path that does not exist yet, an empty folder, or a folder of its
own of the same kind; replacing one of its own needs ``overwrite``.  Any other existing path
is refused, whatever it is (``/``, ``~``, ``.``, a folder of results, a file).  Removing a
folder of its own deletes only the files distsim writes there (zarr metadata and chunk files,
its own JSON and marker files) and then the folders left empty; anything else, and every
symbolic link, stays where it is.

Kinds (recognised by what distsim writes into them):

    run store          zarr group, root attribute format "distsim-run"
    checkpoint         zarr group, root attribute format "distsim-checkpoint"
    checkpoint folder  run.json with format "distsim-checkpoints" (older ones: run.json and
                       checkpoint.zarr)
    analysis           summary.json with format "distsim-analysis" and the list of files it
                       wrote

A folder being written is locked: the writing process holds an exclusive ``flock`` on the
folder itself, which the kernel releases when the process ends, however it ends; a second
writer is refused with the first one's host and process id, and a reader can tell a run
that is still going from one whose writer died.
"""

import fcntl
import json
import os
import re
import socket

from distsim.errors import OutputError

RUN_STORE, CHECKPOINT = "run store", "checkpoint"
CHECKPOINT_FOLDER, ANALYSIS = "checkpoint folder", "analysis"
_ZARR_FORMAT = {RUN_STORE: "distsim-run", CHECKPOINT: "distsim-checkpoint"}
CHECKPOINTS_FORMAT = "distsim-checkpoints"  # run.json of a checkpoint folder
ANALYSIS_FORMAT = "distsim-analysis"  # summary.json of an analysis folder
_CHECKPOINT_FILES = ("run.json", "catching-signals")
_CHUNK_NAME = re.compile(r"\d+")  # zarr v3 default chunk keys: c/0/1/...


def _read_json(path):
    try:
        with open(path, "rb") as f:
            return json.loads(f.read(1 << 24))
    except (OSError, ValueError):
        return None


def kind_of(path):
    """The kind of distsim folder ``path`` is (one of the kinds above), or None."""
    path = str(path)
    if not os.path.isdir(path) or os.path.islink(path):
        return None
    meta = _read_json(os.path.join(path, "zarr.json"))
    if isinstance(meta, dict):
        fmt = (meta.get("attributes") or {}).get("format")
        for kind, name in _ZARR_FORMAT.items():
            if fmt == name:
                return kind
    run = _read_json(os.path.join(path, "run.json"))
    if isinstance(run, dict) and (
        run.get("format") == CHECKPOINTS_FORMAT
        or ("example" in run and os.path.isdir(os.path.join(path, "checkpoint.zarr")))
    ):
        return CHECKPOINT_FOLDER
    summary = _read_json(os.path.join(path, "summary.json"))
    if isinstance(summary, dict) and summary.get("format") == ANALYSIS_FORMAT:
        return ANALYSIS
    return None


class FolderLock:
    """An exclusive ``flock`` on a folder, held until ``release`` or the process ends."""

    def __init__(self, path, kind, what):
        self.path = str(path)
        self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            self.fd = None
            raise OutputError(
                f"{what} {self.path}: this {kind} is being written by another "
                f"run{_owner_text(self.path)}; wait for it to end or give "
                f"another path"
            ) from None
        self.owner = {"host": socket.gethostname(), "pid": os.getpid()}

    def release(self):
        if self.fd is not None:
            os.close(self.fd)  # closing the last descriptor drops the flock
            self.fd = None


def _owner_text(path):
    meta = _read_json(os.path.join(path, "zarr.json")) or {}
    owner = (meta.get("attributes") or {}).get("writer") if isinstance(meta, dict) else None
    if isinstance(owner, dict) and "pid" in owner:
        return f" (pid {owner.get('pid')} on {owner.get('host')}, since {owner.get('since')})"
    return ""


def is_locked(path):
    """True when a process holds the lock of folder ``path`` (a run is writing it)."""
    try:
        fd = os.open(str(path), os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)


def check_target(path, kind, overwrite=False, what="--out", append=False):
    """The absolute path of ``path`` if distsim may write a ``kind`` there (see ``claim``);
    raises OutputError naming the path, the rule and the fix.  Changes nothing."""
    path = os.path.abspath(os.path.expanduser(str(path)))
    if os.path.lexists(path) and not os.path.isdir(path):
        raise OutputError(
            f"{what} {path}: is a file, not a folder; give the path of a new folder for the {kind}"
        )
    if os.path.islink(path):
        raise OutputError(f"{what} {path}: is a symbolic link; give the folder itself")
    if append:
        if kind_of(path) != kind:
            raise OutputError(
                f"{what} {path}: is not a distsim {kind}; give the {kind} of the run to continue"
            )
    elif os.path.isdir(path):
        entries = _entries(path, what)
        found = kind_of(path)
        if entries and found != kind:
            raise OutputError(
                f"{what} {path}: is a folder with {len(entries)} "
                f"entr{'y' if len(entries) == 1 else 'ies'} that is not a distsim "
                f"{kind}{f' (it is a distsim {found})' if found else ''}; distsim writes only "
                f"into a new or empty folder or a {kind} of its own, and never deletes what it "
                f"did not write; give a new path, e.g. {os.path.join(path, _example_name(kind))}"
            )
        if entries and not overwrite:
            raise OutputError(
                f"{what} {path}: holds an earlier distsim {kind}; give "
                f"--overwrite to replace it, or a new path"
            )
    else:
        parent = os.path.dirname(path)
        while not os.path.exists(parent):
            parent = os.path.dirname(parent)
        if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
            raise OutputError(
                f"{what} {path}: cannot be created ({parent} is not a folder "
                f"you can write to); give a path in a folder you can write to"
            )
    if os.path.isdir(path) and not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(
            f"{what} {path}: is not writable; give a path in a folder you can write to"
        )
    return path


def claim(path, kind, overwrite=False, what="--out", lock=True, append=False):
    """Make ``path`` a folder distsim may write a ``kind`` into and return its lock (None
    without ``lock``): a new path (parents are created), an empty folder, or, with
    ``overwrite``, a folder of that kind whose distsim files are removed first; with
    ``append``, an existing folder of that kind, kept as it is.  Anything else raises
    OutputError naming the path, the rule and the fix."""
    path = check_target(path, kind, overwrite, what, append)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{what} {path}: cannot be created ({exc.strerror}); give a path in "
            f"a folder you can write to"
        ) from None
    held = FolderLock(path, kind, what) if lock else None
    if not append and overwrite and kind_of(path) == kind:
        remove_owned(path, kind, keep_root=True)
    return held


def _entries(path, what):
    try:
        return os.listdir(path)
    except OSError as exc:
        raise OutputError(
            f"{what} {path}: cannot be read ({exc.strerror}); give a path in a "
            f"folder you can read and write"
        ) from None


def _example_name(kind):
    return {
        RUN_STORE: "run.zarr",
        CHECKPOINT: "checkpoint.zarr",
        CHECKPOINT_FOLDER: "checkpoints",
        ANALYSIS: "analysis",
    }[kind]


def remove_owned(path, kind, keep_root=False):
    """Remove what distsim wrote into its ``kind`` folder ``path`` (which must be one), then
    every folder below it left empty (and ``path`` itself unless ``keep_root``).  Returns the
    paths of what stayed because distsim did not write it."""
    path = str(path)
    if kind_of(path) != kind:
        raise OutputError(f"{path}: is not a distsim {kind}; distsim removes only its own")
    if kind in _ZARR_FORMAT:
        files = _zarr_files(path)
    elif kind == CHECKPOINT_FOLDER:
        files = [os.path.join(path, name) for name in _CHECKPOINT_FILES]
        for name in _entries(path, path):
            sub = os.path.join(path, name)
            if name.endswith(".zarr") and kind_of(sub) == CHECKPOINT:
                remove_owned(sub, CHECKPOINT)
    else:
        summary = _read_json(os.path.join(path, "summary.json"))
        files = [os.path.join(path, "summary.json")] + [
            os.path.join(path, name)
            for name in summary.get("files", [])
            if isinstance(name, str) and os.path.basename(name) == name
        ]
    for f in files:
        if os.path.isfile(f) and not os.path.islink(f):
            os.unlink(f)
    kept = []
    for dirpath, dirnames, filenames in os.walk(path, topdown=False):
        kept += [os.path.join(dirpath, n) for n in filenames]
        kept += [
            os.path.join(dirpath, n) for n in dirnames if os.path.islink(os.path.join(dirpath, n))
        ]
        if (dirpath != path or not keep_root) and not os.listdir(dirpath):
            os.rmdir(dirpath)
    return kept


def _zarr_files(root):
    """The zarr metadata files and chunk files of the zarr hierarchy at ``root``."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
        if "zarr.json" not in filenames:
            continue
        out.append(os.path.join(dirpath, "zarr.json"))
        meta = _read_json(os.path.join(dirpath, "zarr.json"))
        if isinstance(meta, dict) and meta.get("node_type") == "array":
            out += _chunk_files(os.path.join(dirpath, "c"))
    return out


def _chunk_files(chunks):
    out = []
    for dirpath, dirnames, filenames in os.walk(chunks):
        dirnames[:] = [
            d
            for d in dirnames
            if _CHUNK_NAME.fullmatch(d) and not os.path.islink(os.path.join(dirpath, d))
        ]
        out += [os.path.join(dirpath, f) for f in filenames if _CHUNK_NAME.fullmatch(f)]
    return out
