"""`infercost backends`: what each runtime can do on this machine, or why it can't.

Command layer: a thin entry point that Python callers use as the CLI does.
"""

from __future__ import annotations

from infercost.backends import BACKENDS, backend_class


def list_backends() -> list[dict]:
    rows = []
    for name in BACKENDS:
        cls = backend_class(name)
        reason = cls.unavailable_reason()
        devices: list[str] = []
        if reason is None:
            try:
                devices = cls.devices()
            except Exception as exc:  # noqa: BLE001 - a runtime that can't list devices is reported, not fatal
                reason = f"cannot list devices: {exc}"
        rows.append({"name": name, "available": reason is None and bool(devices), "version": cls.version(),
                     "devices": devices, "precisions": list(cls.precisions), "extra": cls.extra,
                     "reason": reason or (None if devices else "no device here")})
    return rows
