"""Hardware you don't own: profile a model layer by layer and project its speed onto catalog accelerators."""

from infercost.predict.profile import LayerProfile, ModelProfile, profile_model
from infercost.predict.roofline import DeviceSpec, Efficiency, Prediction, predict

__all__ = ["DeviceSpec", "Efficiency", "LayerProfile", "ModelProfile", "Prediction", "predict", "profile_model"]
