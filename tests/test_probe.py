"""Peaks that hold: the CPU's theoretical ceiling from its microarchitecture, and which one its ISA flags name."""

from __future__ import annotations

import pytest

from infercost.probe import cpu_chip, theoretical_peaks


@pytest.mark.parametrize(("model", "flags", "chip"), [
    ("Intel(R) Xeon(R) Platinum 8488C", ["avx512f", "avx512_vnni", "amx_bf16", "amx_tile"], "Xeon Sapphire Rapids"),
    ("Intel(R) Xeon(R) Platinum 8275CL", ["avx512f", "avx512_vnni"], "Xeon Cascade Lake"),
    ("Intel(R) Xeon(R) Platinum 8124M", ["avx2", "avx512f"], "Xeon Skylake"),
    ("AMD EPYC 9R14", ["avx2", "avx512f", "avx512_bf16"], "EPYC Genoa"),
    ("AMD EPYC 7R13", ["avx2"], "EPYC Milan"),
    ("Neoverse-V1", ["asimd", "sve"], None),
])
def test_the_isa_flags_name_the_microarchitecture(model, flags, chip):
    assert cpu_chip({"cpu_model": model, "isa_flags": flags}) == chip


def test_the_theoretical_peak_is_the_catalog_rate_times_the_cores():
    from infercost.pricing import load_catalog

    chips = load_catalog().accelerators
    peaks, how = theoretical_peaks({"cpu_model": "AMD EPYC", "isa_flags": ["avx512f"], "cpu_cores": 4}, chips)
    assert peaks["fp32"] == pytest.approx(4 * 0.1184e12) and peaks["bf16"] == pytest.approx(4 * 0.2368e12)
    assert "EPYC Genoa x 4 cores" in how
    assert theoretical_peaks({"cpu_model": "Apple M2", "isa_flags": [], "cpu_cores": 8}, chips) is None


def test_the_other_runtimes_matmuls_run():
    pytest.importorskip("onnxruntime")
    pytest.importorskip("openvino")
    from infercost.probe import _runtime_matmuls

    names = {p: [name for _, name in _runtime_matmuls(p, 32)] for p in ("fp32", "bf16", "int8")}
    assert "ONNX Runtime MatMulInteger" in names["int8"] and any("OpenVINO" in n for n in names["bf16"])
    for precision in names:
        for fn, _ in _runtime_matmuls(precision, 32):
            fn()
