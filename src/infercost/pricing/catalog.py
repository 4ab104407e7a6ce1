"""The built-in catalog (data/*.csv, each row with its source and as-of date), user catalogs and SkyPilot files.

Domain layer (pricing).
"""

from __future__ import annotations

import csv
import difflib
import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError, field_validator

from infercost.errors import CatalogError
from infercost.textfiles import one_line, read_text

_RATE_COLUMN = {"fp32": "fp32_tflops", "fp16": "fp16_tflops", "bf16": "bf16_tflops", "int8": "int8_tops",
                "fp8": "fp8_tflops", "fp4": "fp4_tflops"}
# SkyPilot's accelerator names mapped to this catalog's.
_SKYPILOT_NAMES = {"A100": "A100-40GB", "A100-80GB": "A100-80GB", "H100-MEGA": "H100", "H100": "H100",
                   "Inferentia": "Inferentia", "Inferentia2": "Inferentia2"}
SKYPILOT_COLUMNS = ("InstanceType", "AcceleratorName", "AcceleratorCount", "vCPUs", "MemoryGiB", "Price",
                    "SpotPrice", "Region")
# Hosts the classic study attached Elastic Inference accelerators to.
EI_HOSTS = ("c5.large", "c5.xlarge", "m5.xlarge")


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class Accelerator(BaseModel):
    """A GPU, ASIC or CPU with its peak dense rates; CPU rates are per physical core."""

    name: str
    kind: str
    vendor: str | None = None
    fp32_tflops: float | None = None
    fp16_tflops: float | None = None
    bf16_tflops: float | None = None
    int8_tops: float | None = None
    memory_gib: float | None = None
    memory_bandwidth_gb_s: float | None = None
    vcpus_per_core: int | None = None
    confirmed: str = "no"
    source: str
    as_of: str
    notes: str | None = None
    generation: str | None = None  # the architecture: Kepler ... Hopper, or a CPU microarchitecture
    fp8_tflops: float | None = None
    fp4_tflops: float | None = None
    interconnect: str | None = None  # between the accelerators of one instance: NVLink 4, PCIe Gen4 x16, ...
    interconnect_gb_s: float | None = None  # its bandwidth per accelerator, both directions together

    _none = field_validator("*", mode="before")(_blank_to_none)

    def peak_flops(self, precision: str) -> float | None:
        """Peak dense operations per second at a precision (per core for CPUs), or None when it has none."""
        rate = getattr(self, _RATE_COLUMN.get(precision, ""), None)
        return rate * 1e12 if rate else None


class Instance(BaseModel):
    provider: str
    name: str
    region: str | None = None
    accelerator: str | None = None
    accelerator_count: int = 0
    vcpus: int | None = None
    memory_gib: float | None = None
    cpu: str | None = None
    price_per_hour_usd: float
    spot_price_per_hour_usd: float | None = None
    status: str = "current"
    kind: str = "instance"
    confirmed: str = "no"
    source: str
    as_of: str

    _none = field_validator("*", mode="before")(_blank_to_none)

    @field_validator("price_per_hour_usd")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value is None or value <= 0:
            raise ValueError("price per hour must be positive")
        return value

    @field_validator("spot_price_per_hour_usd")
    @classmethod
    def _positive_spot(cls, value: float | None) -> float | None:
        if value is not None and value <= 0:
            raise ValueError("spot price per hour must be positive")
        return value

    def price(self, spot: bool = False) -> float:
        if spot:
            if self.spot_price_per_hour_usd is None:
                raise CatalogError(f"{self.name} has no spot price in the catalog")
            return self.spot_price_per_hour_usd
        return self.price_per_hour_usd


def _rows(path: Path | str, text: str) -> list[tuple[int, dict]]:
    reader = csv.DictReader(text.splitlines())
    try:
        rows = [(number, row) for number, row in enumerate(reader, 2)]
    except csv.Error as exc:
        raise CatalogError(f"{path}:{reader.line_num}: not a CSV catalog ({one_line(exc)})") from None
    for number, row in rows:
        if None in row or None in row.values():
            raise CatalogError(f"{path}:{number}: the row has {'more' if None in row else 'fewer'} fields than "
                               f"the header")
    return rows


def _parse(model: type[BaseModel], rows: list[tuple[int, dict]], where: str) -> list:
    parsed = []
    for number, row in rows:
        try:
            parsed.append(model.model_validate(row))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "row"
            raise CatalogError(f"{where}:{number}: {field}: {first['msg']}") from None
    return parsed


def _builtin(name: str) -> str:
    return resources.files("infercost.pricing").joinpath("data", name).read_text(encoding="utf-8")


class Catalog:
    def __init__(self, instances: list[Instance], accelerators: list[Accelerator]) -> None:
        self.instances = {i.name: i for i in instances}
        self.accelerators = {a.name: a for a in accelerators}

    def merge(self, other: Catalog) -> Catalog:
        """Rows of `other` add to or override rows of the same name."""
        return Catalog(list({**self.instances, **other.instances}.values()),
                       list({**self.accelerators, **other.accelerators}.values()))

    def instance(self, name: str) -> Instance:
        if name in self.instances:
            return self.instances[name]
        if "+" in name:
            host, _, attached = name.partition("+")
            return self._attached(self.instance(host), self.instance(attached))
        close = difflib.get_close_matches(name, list(self.instances), n=3, cutoff=0.3)
        raise CatalogError(f"unknown instance {name!r}" + (f"; closest: {', '.join(close)}" if close else ""))

    def _attached(self, host: Instance, attached: Instance) -> Instance:
        """An Elastic Inference accelerator priced as host plus accelerator."""
        spot = None
        if host.spot_price_per_hour_usd and attached.spot_price_per_hour_usd:
            spot = host.spot_price_per_hour_usd + attached.spot_price_per_hour_usd
        return Instance(provider=host.provider, name=f"{host.name}+{attached.name}", region=host.region,
                        accelerator=attached.accelerator, accelerator_count=1, vcpus=host.vcpus,
                        memory_gib=host.memory_gib, cpu=host.cpu,
                        price_per_hour_usd=host.price_per_hour_usd + attached.price_per_hour_usd,
                        spot_price_per_hour_usd=spot, status=attached.status, kind="instance",
                        confirmed="yes" if host.confirmed == attached.confirmed == "yes" else "no",
                        source=f"host: {host.source}; accelerator: {attached.source}",
                        as_of=min(host.as_of, attached.as_of))

    def cpu_cores(self, instance: Instance) -> int | None:
        """A CPU instance's physical cores (its vCPUs over the CPU's vCPUs per core); None for an accelerator's."""
        acc = self.accelerators.get(instance.cpu or "") if not instance.accelerator else None
        if acc is None or acc.kind != "cpu" or not instance.vcpus:
            return None
        return max(1, instance.vcpus // (acc.vcpus_per_core or 2))

    def accelerator(self, name: str) -> Accelerator:
        if name in self.accelerators:
            return self.accelerators[name]
        lowered = {a.lower(): a for a in self.accelerators}
        if name.lower() in lowered:
            return self.accelerators[lowered[name.lower()]]
        close = difflib.get_close_matches(name, list(self.accelerators), n=3, cutoff=0.3)
        raise CatalogError(f"unknown accelerator {name!r}" + (f"; closest: {', '.join(close)}" if close else ""))

    def listing(self, provider: str | None = None, accelerator: str | None = None,
                include_attachments: bool = False) -> list[Instance]:
        """Instances you can rent, with the classic Elastic Inference host+accelerator pairs."""
        rows = [i for i in self.instances.values() if include_attachments or i.kind != "attachment"]
        for attached in (i for i in self.instances.values() if i.kind == "attachment"):
            rows += [self._attached(self.instances[h], attached) for h in EI_HOSTS if h in self.instances]
        if provider:
            rows = [i for i in rows if i.provider.lower() == provider.lower()]
        if accelerator:
            rows = [i for i in rows if (i.accelerator or "").lower() == accelerator.lower()
                    or (not i.accelerator and (i.cpu or "").lower() == accelerator.lower())]
        return rows


def builtin_catalog() -> Catalog:
    return Catalog(_parse(Instance, _rows("instances.csv", _builtin("instances.csv")), "instances.csv"),
                   _parse(Accelerator, _rows("accelerators.csv", _builtin("accelerators.csv")), "accelerators.csv"))


def _skypilot(path: Path, rows: list[tuple[int, dict]]) -> Catalog:
    """A SkyPilot vms.csv as it is: one row per type, region and zone; keep each type's cheapest priced row."""
    provider = path.stem.lower() if path.stem.lower() in ("aws", "gcp", "azure") else "skypilot"
    best: dict[str, tuple[int, dict]] = {}
    for number, row in rows:
        price = (row.get("Price") or "").strip()
        if not price:
            continue  # SkyPilot lists zones without a price; a type with none anywhere is left out
        name = row["InstanceType"]
        try:
            cheaper = name not in best or float(price) < float(best[name][1]["Price"])
        except ValueError:
            raise CatalogError(f"{path}:{number}: Price {price!r} is not a number") from None
        if cheaper:
            best[name] = (number, row)
    converted = []
    for number, row in best.values():
        accel = (row.get("AcceleratorName") or "").strip() or None
        converted.append((number, {
            "provider": provider, "name": row["InstanceType"], "region": row.get("Region"),
            "accelerator": _SKYPILOT_NAMES.get(accel, accel) if accel else None,
            "accelerator_count": int(float(row.get("AcceleratorCount") or 0)), "vcpus": row.get("vCPUs"),
            "memory_gib": row.get("MemoryGiB"), "price_per_hour_usd": row["Price"],
            "spot_price_per_hour_usd": row.get("SpotPrice"), "source": f"SkyPilot catalog file {path.name}",
            "as_of": _mtime(path), "confirmed": "yes"}))
    return Catalog(_parse(Instance, converted, str(path)), [])


def _mtime(path: Path) -> str:
    import datetime as dt

    return dt.date.fromtimestamp(path.stat().st_mtime).isoformat()


def _user_file(path: Path) -> Catalog:
    text = read_text(path, "catalog file", CatalogError)
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else str(path)
            raise CatalogError(f"{where}: not valid YAML ({one_line(getattr(exc, 'problem', None) or exc)})") \
                from None
        if not isinstance(data, dict):
            raise CatalogError(f"{path}: expected a mapping with 'instances' and/or 'accelerators'")
        defaults = {"source": f"user catalog {path.name}", "as_of": _mtime(path)}
        instances = [(i + 1, {**defaults, **row}) for i, row in enumerate(_yaml_rows(data, "instances", path))]
        accelerators = [(i + 1, {"kind": "gpu", **defaults, **row})
                        for i, row in enumerate(_yaml_rows(data, "accelerators", path))]
        return Catalog(_parse(Instance, instances, f"{path} instance"),
                       _parse(Accelerator, accelerators, f"{path} accelerator"))
    rows = _rows(path, text)
    header = set(rows[0][1]) if rows else set()
    if set(SKYPILOT_COLUMNS) <= header:
        return _skypilot(path, rows)
    defaults = {"source": f"user catalog {path.name}", "as_of": _mtime(path)}
    return Catalog(_parse(Instance, [(n, {**defaults, **{k: v for k, v in r.items() if v}}) for n, r in rows],
                          str(path)), [])


def _yaml_rows(data: dict, key: str, path: Path) -> list[dict]:
    rows = data.get(key) or []
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise CatalogError(f"{path}: '{key}' must be a list of mappings, one per {key[:-1]}")
    return rows


def config_catalog_path() -> Path | None:
    """$INFERCOST_CATALOG, else ~/.config/infercost/catalog.{yaml,yml,csv} when present."""
    env = os.environ.get("INFERCOST_CATALOG")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "infercost"
    return next((base / f"catalog.{ext}" for ext in ("yaml", "yml", "csv") if (base / f"catalog.{ext}").is_file()),
                None)


def cpu_ceiling(env: dict | None = None) -> tuple[dict[str, float], str] | None:
    """This CPU's theoretical peaks from the catalog (probe.theoretical_peaks), for the probe to take as a ceiling."""
    from infercost.env import fingerprint
    from infercost.probe import theoretical_peaks

    return theoretical_peaks(env if env is not None else fingerprint(), load_catalog().accelerators)


def load_catalog(*extra: str | Path | None) -> Catalog:
    """The built-in catalog, then the config location's file, then each file given, later rows winning."""
    catalog = builtin_catalog()
    for path in (config_catalog_path(), *extra):
        if path:
            catalog = catalog.merge(_user_file(Path(path)))
    return catalog
