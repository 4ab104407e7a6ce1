"""The machine and software fingerprint stored with every result.

Core layer (env).
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import socket
import subprocess
from importlib import metadata
from pathlib import Path

# ISA flags that change how fast inference runs; the full flag list is noise.
_ISA_FLAGS = (
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
    "avx512_fp16", "avx_vnni", "amx_bf16", "amx_int8", "amx_tile", "asimd", "sve", "sve2", "bf16", "i8mm",
)
_LIBRARIES = ("torch", "torchvision", "numpy", "onnx", "onnxruntime", "onnxruntime-gpu", "openvino", "infercost")
_DMI = Path("/sys/class/dmi/id")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def _cpuinfo() -> tuple[str | None, list[str]]:
    text = _read(Path("/proc/cpuinfo")) or ""
    model, flags = None, set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("model name", "Model") and model is None:
            model = value.strip()
        elif key in ("flags", "Features") and not flags:
            flags = set(value.split())
    return model or platform.processor() or None, [flag for flag in _ISA_FLAGS if flag in flags]


def _ram_bytes() -> int | None:
    for line in (_read(Path("/proc/meminfo")) or "").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return None


def instance_type() -> str | None:
    """The cloud instance type where the machine says it (AWS and others put it in the DMI product name)."""
    name = _read(_DMI / "product_name")
    vendor = (_read(_DMI / "sys_vendor") or "").lower()
    generic = {"standard pc (i440fx + piix, 1996)", "standard pc (q35 + ich9, 2009)", "kvm", "bochs", "none"}
    if not name or name.lower() in generic:
        return None
    if "amazon" in vendor or "." in name or name.startswith(("Standard_", "Google")):
        return name
    return None


def _versions() -> dict[str, str]:
    found = {}
    for name in _LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def _gpus() -> list[dict]:
    """GPU facts through torch when it is already imported (workers), else nvidia-smi; never imports torch."""
    import sys

    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        gpus = []
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            gpus.append({"name": props.name, "memory_bytes": props.total_memory,
                         "capability": f"{props.major}.{props.minor}"})
        return gpus
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [{"name": n.strip(), "memory_bytes": int(float(m)) * 2**20}
            for n, m in (line.split(",") for line in out.strip().splitlines() if "," in line)]


def _driver() -> tuple[str | None, str | None]:
    import sys

    torch = sys.modules.get("torch")
    cuda = getattr(getattr(torch, "version", None), "cuda", None) if torch else None
    driver = _read(Path("/proc/driver/nvidia/version"))
    if driver:
        driver = next((w for w in driver.split() if w[:1].isdigit() and "." in w), driver.splitlines()[0])
    return driver, cuda


@functools.lru_cache(maxsize=1)
def fingerprint() -> dict:
    """Everything about this machine and its software that a result depends on."""
    cpu_model, isa = _cpuinfo()
    driver, cuda = _driver()
    return {
        "host": socket.gethostname(),
        "os": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        "cpu_model": cpu_model,
        "cpu_cores": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "isa_flags": isa,
        "ram_bytes": _ram_bytes(),
        "gpus": _gpus(),
        "gpu_driver": driver,
        "cuda_version": cuda,
        "instance_type": instance_type(),
        "python": platform.python_version(),
        "libraries": _versions(),
    }


def machine_key(env: dict) -> str:
    """What makes two fingerprints the same machine kind: hardware, not host name or library versions. A cluster
    node kind (a name the user gave a group of nodes) is part of it, so each kind's records stay apart."""
    gpus = ",".join(g.get("name", "?") for g in env.get("gpus") or [])
    parts = [env.get("instance_type") or "", env.get("cpu_model"), env.get("cpu_cores"), gpus]
    if env.get("node_kind"):
        parts.append(f"kind={env['node_kind']}")
    return "|".join(str(part) for part in parts)
