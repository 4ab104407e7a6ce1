"""Python environments of their own for frameworks whose pins can't share one with the rest (MXNet 1.9 needs numpy
older than 1.24): created with venv and pip on first use, cached, and run by the case's child process.

An environment holds the framework, numpy and pydantic, not infercost itself or PyTorch: the child imports infercost
from a folder that holds only a link to this installation's package, so the main environment's site-packages (and
its numpy) never leak in.

Runtime layer (venvs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from infercost.errors import BackendUnavailableError
from infercost.paths import cache_dir

REQUIREMENTS = {
    "mxnet": ["mxnet==1.9.1", "numpy<1.24", "pydantic>=2.5,<3"],
    "tensorflow": ["tensorflow-cpu>=2.16,<2.21", "pydantic>=2.5,<3"],
}
READY = "infercost-env.json"  # written last: an environment without it is incomplete and is rebuilt


def env_dir(name: str) -> Path:
    return cache_dir("envs") / name


def explicit_python(name: str) -> str | None:
    """INFERCOST_PYTHON_MXNET=/path/to/python (or --python) names an interpreter the user prepared."""
    return os.environ.get(f"INFERCOST_PYTHON_{name.upper()}")


def python_for(name: str) -> Path | None:
    """The interpreter for this framework: the one the user named, else the cached environment if complete."""
    explicit = explicit_python(name)
    if explicit:
        return Path(explicit)
    root = env_dir(name)
    return root / "bin" / "python" if (root / READY).is_file() else None


def describe(name: str) -> dict:
    """What the environment holds (versions), without starting it."""
    if explicit_python(name):
        return {"python": explicit_python(name), "managed": False}
    marker = env_dir(name) / READY
    return {**json.loads(marker.read_text()), "managed": True} if marker.is_file() else {}


def create(name: str, log=print) -> Path:
    """venv + pip install of the framework's pinned requirements; minutes for TensorFlow (a large download)."""
    if name not in REQUIREMENTS:
        raise BackendUnavailableError(f"no managed environment for {name!r}")
    root = env_dir(name)
    (root / READY).unlink(missing_ok=True)
    log(f"creating the {name} environment in {root} (pip install {' '.join(REQUIREMENTS[name])}); this happens once")
    _run([sys.executable, "-m", "venv", "--clear", str(root)], f"creating a venv for {name}")
    python = root / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *REQUIREMENTS[name]],
         f"installing {name}")
    versions = _run([str(python), "-c", "import importlib.metadata as m, json, sys; print(json.dumps({d: m.version(d) "
                     "for d in sys.argv[1:]}))", *[r.split("=")[0].split("<")[0].split(">")[0]
                                                   for r in REQUIREMENTS[name]]], f"reading {name}'s versions")
    (root / READY).write_text(json.dumps({"python": str(python), "versions": json.loads(versions)}))
    return python


def package_path() -> Path:
    """A folder whose only entry links to this installation's infercost package: the child's PYTHONPATH."""
    source = Path(__file__).resolve().parent  # the infercost package this module belongs to
    folder = cache_dir("envs", "pythonpath")
    link = folder / "infercost"
    if not (link.is_symlink() and link.resolve() == source):
        tmp = folder / f".infercost-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(source, target_is_directory=True)
        os.replace(tmp, link)
    return folder


def _run(cmd: list[str], what: str) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise BackendUnavailableError(f"{what} failed: {tail[0][:300]}")
    return proc.stdout.strip()
