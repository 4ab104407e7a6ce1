"""The zoo: parameter counts from the papers and torchvision, FLOPs counted, any input size for UNet."""

from __future__ import annotations

import pytest
import torch

from infercost.errors import UsageError
from infercost.models import ZOO, register_model, resolve_model


@pytest.mark.parametrize(("name", "params"), [("vgg19", 143_667_240), ("resnet50", 25_557_032),
                                             ("vit-b16", 86_567_656),
                                              ("edsr", 1_369_859)])
def test_parameter_counts(name, params):
    assert ZOO[name].params() == params


def test_unet_is_about_31_million():
    assert round(ZOO["unet"].params() / 1e6, 1) == 31.0


def test_edsr_variants():
    edsr = ZOO["edsr"]
    assert edsr.params(scale=4) > edsr.params(scale=2)
    assert edsr.params(variant="full") > 40e6


def test_flops_are_counted_and_scale_with_area_and_batch():
    resnet = ZOO["resnet50"]
    assert 8.0e9 < resnet.flops() < 8.4e9  # the usual 4.1 GMACs
    assert ZOO["edsr"].flops(64, 64) * 4 == pytest.approx(ZOO["edsr"].flops(128, 128), rel=0.01)
    assert resnet.flops(64, 64, batch=4) == 4 * resnet.flops(64, 64)


@pytest.mark.parametrize(("height", "width"), [(37, 50), (64, 64)])
def test_unet_takes_any_size(height, width):
    model = ZOO["unet"].build(base=4).eval()
    with torch.no_grad():
        y = model(torch.rand(1, 3, height, width))
    assert y.shape == (1, 2, height, width)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_edsr_upscales(scale):
    model = ZOO["edsr"].create(scale=scale)
    with torch.no_grad():
        y = model(torch.rand(1, 3, 12, 10))
    assert y.shape == (1, 3, 12 * scale, 10 * scale)


def test_user_models_resolve():
    assert resolve_model("torchvision:mobilenet_v3_large").params() > 5e6
    spec = register_model(torch.nn.Conv2d(3, 4, 3), "tiny-conv", resolution=32)
    assert resolve_model("tiny-conv") is spec and spec.params() == 3 * 4 * 9 + 4


def test_pt2_file_loads(tmp_path):
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU())
    program = torch.export.export(module, (torch.rand(1, 3, 16, 16),))
    path = tmp_path / "m.pt2"
    torch.export.save(program, str(path))
    spec = resolve_model(str(path))
    assert spec.source == "pt2"
    assert spec.create()(torch.rand(1, 3, 16, 16)).shape == (1, 4, 14, 14)


@pytest.mark.parametrize("name", ["nope", "torchvision:resnet5", "missing.onnx", "python:nomodule:f"])
def test_unknown_models_are_usage_errors(name):
    with pytest.raises(UsageError):
        resolve_model(name)


def test_close_names_are_suggested():
    with pytest.raises(UsageError, match="resnet50"):
        resolve_model("resnet5")
