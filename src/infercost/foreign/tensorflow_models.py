"""TensorFlow / Keras: VGG19 and ResNet50 from keras.applications (weights=None), UNet and EDSR with the PyTorch zoo's
layers; fp32 or a mixed fp16/bf16 policy; `tensorflow-xla` compiles with XLA, `tflite` converts to TensorFlow Lite.
Runs in the tensorflow environment. Inputs arrive NCHW and are transposed once to Keras's NHWC, outside the clock."""

from __future__ import annotations

from infercost.foreign import Unsupported

DIV2K_RGB_MEAN = (0.4488, 0.4371, 0.4040)
POLICIES = {"fp32": "float32", "fp16": "mixed_float16", "bf16": "mixed_bfloat16"}


def versions() -> dict:
    import numpy
    import tensorflow as tf

    return {"tensorflow": tf.__version__, "keras": tf.keras.__version__ if hasattr(tf.keras, "__version__") else "",
            "numpy": numpy.__version__}


def _unet(keras, height: int, width: int, num_classes: int = 2, base: int = 64):
    layers = keras.layers

    def double(x, cout):
        for _ in range(2):
            x = layers.Conv2D(cout, 3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization(epsilon=1e-5)(x)
            x = layers.ReLU()(x)
        return x

    widths = [base * 2**i for i in range(5)]
    inputs = keras.Input((height, width, 3))
    skips = [double(inputs, widths[0])]
    for w in widths[1:]:
        skips.append(double(layers.MaxPooling2D(2)(skips[-1]), w))
    x = skips.pop()
    for w in reversed(widths[:4]):
        up = layers.Conv2DTranspose(w, 2, strides=2)(x)
        x = double(layers.Concatenate()([skips.pop(), up]), w)
    outputs = layers.Conv2D(num_classes, 1, dtype="float32")(x)
    return keras.Model(inputs, outputs, name="unet")


def _edsr(keras, tf, height: int, width: int, scale: int = 2, blocks: int = 16, features: int = 64):
    layers = keras.layers
    if scale not in (2, 4):
        raise Unsupported(f"the TensorFlow EDSR has scales 2 and 4, not {scale}")
    mean = tf.constant(DIV2K_RGB_MEAN, shape=(1, 1, 1, 3))
    inputs = keras.Input((height, width, 3))
    x = head = layers.Conv2D(features, 3, padding="same")(layers.Lambda(lambda t: t - tf.cast(mean, t.dtype))(inputs))
    for _ in range(blocks):
        y = layers.Conv2D(features, 3, padding="same", activation="relu")(x)
        x = layers.Add()([x, layers.Conv2D(features, 3, padding="same")(y)])
    x = layers.Add()([head, layers.Conv2D(features, 3, padding="same")(x)])
    for _ in range({2: 1, 4: 2}[scale]):
        x = layers.Lambda(lambda t: tf.nn.depth_to_space(t, 2))(layers.Conv2D(4 * features, 3, padding="same")(x))
    x = layers.Conv2D(3, 3, padding="same", dtype="float32")(x)
    outputs = layers.Lambda(lambda t: t + tf.cast(mean, t.dtype), dtype="float32")(x)
    return keras.Model(inputs, outputs, name="edsr")


def network(case, keras, tf, *, height: int, width: int):
    options = dict(case.options)
    if case.model == "resnet50":
        return keras.applications.ResNet50(weights=None, input_shape=(height, width, 3))
    if case.model == "vgg19":
        return keras.applications.VGG19(weights=None, input_shape=(height, width, 3))
    if case.model == "unet":
        return _unet(keras, height + -height % 16, width + -width % 16)
    if case.model == "edsr":
        if options.get("variant", "baseline") != "baseline":
            raise Unsupported("the TensorFlow EDSR is the baseline only")
        return _edsr(keras, tf, height, width, int(options.get("scale", 2)))
    raise Unsupported(f"no TensorFlow version of {case.model}; TensorFlow runs vgg19, resnet50, unet and edsr")


class Stack:
    def __init__(self, case, input_path: str) -> None:
        import numpy as np
        import tensorflow as tf

        keras = tf.keras
        if case.precision not in POLICIES or (case.backend == "tflite" and case.precision == "bf16"):
            raise Unsupported(f"{case.backend} runs {', '.join(POLICIES)}, not {case.precision}")
        if case.device.startswith("cuda") and not tf.config.list_physical_devices("GPU"):
            raise Unsupported("this TensorFlow build sees no GPU")
        tf.keras.utils.set_random_seed(0)
        keras.mixed_precision.set_global_policy(POLICIES[case.precision] if case.backend != "tflite" else "float32")
        data = np.load(input_path)
        self.height, self.width = data.shape[-2:]
        self.padded = case.model == "unet"
        if self.padded:  # pad to a multiple of 16 as the PyTorch UNet does (here outside the graph)
            data = np.pad(data, ((0, 0), (0, 0), (0, -self.height % 16), (0, -self.width % 16)))
        self.model = network(case, keras, tf, height=data.shape[-2], width=data.shape[-1])
        nhwc = np.ascontiguousarray(data.transpose(0, 2, 3, 1))
        trainable = int(sum(np.prod(w.shape) for w in self.model.trainable_weights))
        self.describe = {"backend": case.backend, "precision": case.precision, "params": trainable,
                         "weights": "random (Keras initialisers), not PyTorch's", "layout": "NHWC"}
        if case.backend == "tflite":
            self._tflite(tf, nhwc, case.precision)
        else:
            device = "/GPU:0" if case.device.startswith("cuda") else "/CPU:0"
            self.x = tf.constant(nhwc)
            self.fn = tf.function(self.model, jit_compile=case.backend == "tensorflow-xla")
            self.device = tf.device(device)
            self.describe.update(xla=case.backend == "tensorflow-xla", device=device)
        self.out = None

    def _tflite(self, tf, nhwc, precision: str) -> None:
        converter = tf.lite.TFLiteConverter.from_keras_model(self.model)
        if precision == "fp16":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_types = [tf.float16]
        self.interpreter = tf.lite.Interpreter(model_content=converter.convert(), num_threads=None)
        index = self.interpreter.get_input_details()[0]["index"]
        self.interpreter.resize_tensor_input(index, nhwc.shape)
        self.interpreter.allocate_tensors()
        self.interpreter.set_tensor(index, nhwc)
        self.output_index = self.interpreter.get_output_details()[0]["index"]
        self.describe.update(tflite=True, weights_stored="fp16" if precision == "fp16" else "fp32")

    def run(self):
        if hasattr(self, "interpreter"):
            self.interpreter.invoke()
            self.out = self.interpreter.get_tensor(self.output_index)
        else:
            with self.device:
                self.out = self.fn(self.x, training=False)
        return self.out

    def sync(self) -> None:
        if self.out is not None and hasattr(self.out, "numpy"):
            self.out.numpy()  # returns once the result exists, on any device

    def first_output(self):
        import numpy as np

        out = np.asarray(self.run(), dtype="float32")[:1]
        if out.ndim == 4:
            out = out.transpose(0, 3, 1, 2)  # back to NCHW, to compare with PyTorch
            if self.padded:
                out = out[..., : self.height, : self.width]
        return out


def build(case, input_path: str) -> Stack:
    return Stack(case, input_path)
