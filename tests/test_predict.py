"""The profiler's totals, the roofline's ordering across accelerators, calibration and held-out validation."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner

from infercost.cli import cli
from infercost.models import ZOO
from infercost.predict import DeviceSpec, profile_model
from infercost.predict.calibrate import Sample, fit, predict_sample, validate
from infercost.predict.roofline import Efficiency, predict
from infercost.pricing import load_catalog

IMAGE_MODELS = [name for name, spec in ZOO.items() if spec.images_of_any_size]  # the four the study measures
FIELDS = ("model", "accelerator", "instance", "precision", "batch_size", "height", "width", "latency_s",
          "latency_low_s", "latency_high_s", "throughput_per_s", "bound", "fits_in_memory", "calibrated_from",
          "predicted")


@pytest.mark.parametrize("name", IMAGE_MODELS)
def test_profile_totals_match_the_zoo(name):
    prof = profile_model(name, 1, 64, width=64)
    assert prof.flops == ZOO[name].flops(64, 64) and prof.params == ZOO[name].params()
    with torch.device("meta"):
        buffers = sum(b.numel() for b in ZOO[name].create().buffers() if b.is_floating_point())  # BN statistics
    assert 4 * (prof.params + buffers) <= prof.weight_bytes <= 4 * (prof.params + 2 * buffers)  # a buffer read twice
    assert profile_model(name, 1, 64, width=64, precision="int8").weight_bytes * 4 == prof.weight_bytes


def test_profile_sees_functional_ops_and_names_them_after_their_module():
    kinds = {layer.kind for layer in profile_model("resnet50", 1, 64, width=64).layers}
    assert {"convolution", "add_", "addmm", "max_pool2d_with_indices"} <= kinds or {"convolution", "add"} <= kinds
    edsr = profile_model("edsr", 1, 32, width=32).layers
    assert any(layer.kind == "pixel_shuffle" for layer in edsr)
    adds = [layer for layer in edsr if layer.kind.startswith("add")]
    assert adds and all(layer.flops == 0 and layer.activation_bytes == 3 * 4 * 64 * 32 * 32
                        for layer in adds if layer.name.startswith("body."))


def latency(model, accelerator, precision="fp32", batch=8):
    device = DeviceSpec.from_accelerator(load_catalog().accelerator(accelerator))
    return predict(profile_model(model, batch, 224, width=224, precision=precision), device).latency_s


def test_compute_bound_model_follows_peak_rates():
    assert latency("vgg19", "V100") < latency("vgg19", "T4") < latency("vgg19", "K80")
    assert latency("resnet50", "V100", "fp16") < latency("resnet50", "V100", "fp32")


def test_out_of_memory_is_predicted():
    device = DeviceSpec.from_accelerator(load_catalog().accelerator("eia1.medium"))
    assert predict(profile_model("vgg19", 64, 224, width=224), device).fits_in_memory is False


def test_bf16_on_a_gpu_without_it_is_unsupported():
    device = DeviceSpec.from_accelerator(load_catalog().accelerator("T4"))
    result = predict(profile_model("resnet50", 1, 64, width=64, precision="bf16"), device)
    assert not result.supported and "bf16" in result.note


class FakeRecord:
    def __init__(self, model, batch, latency, size=64):
        self.model, self.batch_size, self.height, self.width, self.precision = model, batch, size, size, "fp32"
        self.backend, self.latency_s = "torch", latency
        self.size_label = f"{size}x{size}"


def synthetic_points(truth: Efficiency, sizes=(64,)) -> list[Sample]:
    device = DeviceSpec("box", "cpu", {"fp32": 2e11}, 5e9, 8e9, "test")  # activations matter for every model
    points = []
    for model, size in ((m, s) for m in IMAGE_MODELS for s in sizes):
        for batch in (1, 2, 8):
            sample = Sample.__new__(Sample)
            prof = profile_model(model, batch, size, width=size)
            sample.device, sample.peak = device, 2e11
            from infercost.predict.roofline import layer_arrays

            sample.flops, sample.bytes, sample.weights = layer_arrays(prof)
            sample.record = FakeRecord(model, batch, 0.0, size)
            sample.measured = predict_sample(sample, truth)
            points.append(sample)
    return points


def test_calibration_recovers_known_factors_and_validates():
    truth = Efficiency(0.3, 0.5, 20e-6, form="weights-stream")
    points = synthetic_points(truth)
    fitted = fit(points)
    errors = [abs(predict_sample(p, fitted) - p.measured) / p.measured for p in points]
    assert max(errors) < 0.1
    rows = validate(points)
    assert {r["held_out"] for r in rows} == {f"model {m}" for m in IMAGE_MODELS}
    # Held out, a model is predicted from factors fitted on a grid to the others: close, not exact.
    assert all(r["median_error"] < 0.25 for r in rows)


def test_validation_can_hold_out_each_resolution():
    points = synthetic_points(Efficiency(0.3, 0.5, 20e-6, form="weights-stream"), sizes=(48, 64))
    rows = validate(points, "resolution")
    assert {r["held_out"] for r in rows} == {"resolution 48x48", "resolution 64x64"}
    assert all(r["points"] == 12 and r["median_error"] < 0.25 for r in rows)


def test_predict_cli_json_has_every_field():
    """A chip the corpus knows is calibrated on it; an ASIC it doesn't gets the stated, unvalidated default band."""
    result = CliRunner().invoke(cli, ["predict", "unet", "--accelerator", "L4", "--resolution", "128", "--json"])
    data = json.loads(result.output)
    assert all(key in data for key in FIELDS)
    assert data["predicted"] is True and data["calibrated_from"] == "published corpus" and data["error_band"] > 0
    asic = json.loads(CliRunner().invoke(cli, ["predict", "unet", "--accelerator", "Inferentia2", "--resolution",
                                               "128", "--json"]).output)
    assert all(key in asic for key in FIELDS)
    assert asic["calibrated_from"] is None and asic["error_band"] == 0.5


def test_predict_instance_uses_one_replica_per_accelerator():
    one = json.loads(CliRunner().invoke(cli, ["predict", "resnet50", "--instance", "g4dn.xlarge", "--json"]).output)
    four = json.loads(CliRunner().invoke(cli, ["predict", "resnet50", "--instance", "g4dn.12xlarge", "--json"]).output)
    assert four["throughput_per_s"] == pytest.approx(4 * one["throughput_per_s"])


def test_profile_cli():
    data = json.loads(CliRunner().invoke(cli, ["profile", "resnet50", "--resolution", "64", "--json"]).output)
    assert data["total"]["params"] == 25_557_032 and len(data["layers"]) > 100


def test_an_onnx_file_profiles_like_the_module_it_came_from(tmp_path):
    pytest.importorskip("onnx")
    from infercost.models import resolve_model

    path = tmp_path / "squeeze.onnx"
    torch.onnx.export(resolve_model("torchvision:squeezenet1_1").create(), (torch.rand(1, 3, 64, 64),), str(path),
                      dynamo=False, input_names=["x"], dynamic_axes={"x": {0: "n", 2: "h", 3: "w"}})
    onnx_profile = profile_model(str(path), 2, 96, width=96)
    torch_profile = profile_model("torchvision:squeezenet1_1", 2, 96, width=96)
    assert onnx_profile.flops == torch_profile.flops
    assert onnx_profile.weight_bytes == torch_profile.weight_bytes
    assert {layer.kind for layer in onnx_profile.layers} >= {"Conv", "Concat", "MaxPool"}
