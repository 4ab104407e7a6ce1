"""The model zoo (VGG19, ResNet50, UNet, EDSR) and loaders for user models.

Runtime layer (models).
"""

from infercost.models.loaders import check_size_axis, register_model, resolve_model
from infercost.models.zoo import CLASSIFICATION, IMAGE_TO_IMAGE, ZOO, ModelSpec

__all__ = ["CLASSIFICATION", "IMAGE_TO_IMAGE", "ZOO", "ModelSpec", "check_size_axis", "register_model", "resolve_model"]
