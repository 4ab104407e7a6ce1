"""MXNet Gluon, hybridized: VGG19 and ResNet50 from the Gluon model zoo, UNet and EDSR with the PyTorch zoo's layers.
Runs in the mxnet environment (MXNet 1.9.1, numpy < 1.24). Random weights (Xavier, seeded): not the PyTorch ones."""

from __future__ import annotations

from infercost.foreign import Unsupported

DIV2K_RGB_MEAN = (0.4488, 0.4371, 0.4040)


def versions() -> dict:
    import mxnet
    import numpy

    return {"mxnet": mxnet.__version__, "numpy": numpy.__version__}


def _blocks():
    from mxnet.gluon import nn

    class DoubleConv(nn.HybridSequential):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            with self.name_scope():
                for c_in in (cin, cout):
                    self.add(nn.Conv2D(cout, 3, padding=1, use_bias=False, in_channels=c_in),
                             nn.BatchNorm(in_channels=cout), nn.Activation("relu"))

    class Up(nn.HybridBlock):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            with self.name_scope():
                self.up = nn.Conv2DTranspose(cin // 2, 2, strides=2, in_channels=cin)
                self.conv = DoubleConv(cin, cout)

        def hybrid_forward(self, F, x, skip):  # noqa: N803 - Gluon's signature
            return self.conv(F.concat(skip, self.up(x), dim=1))

    class UNet(nn.HybridBlock):
        """The zoo's UNet: four levels from 64 channels, batch norm; the input is padded to a multiple of 16."""

        def __init__(self, in_channels: int = 3, num_classes: int = 2, base: int = 64) -> None:
            super().__init__()
            widths = [base * 2**i for i in range(5)]
            with self.name_scope():
                self.inc = DoubleConv(in_channels, widths[0])
                self.downs = nn.HybridSequential()
                self.ups = nn.HybridSequential()
                for i in range(4):
                    self.downs.add(DoubleConv(widths[i], widths[i + 1]))
                for i in reversed(range(4)):
                    self.ups.add(Up(widths[i + 1], widths[i]))
                self.outc = nn.Conv2D(num_classes, 1, in_channels=widths[0])

        def hybrid_forward(self, F, x):  # noqa: N803
            skips = [self.inc(x)]
            for down in self.downs:
                skips.append(down(F.Pooling(skips[-1], kernel=(2, 2), stride=(2, 2), pool_type="max")))
            x = skips.pop()
            for up in self.ups:
                x = up(x, skips.pop())
            return self.outc(x)

    class ResBlock(nn.HybridBlock):
        def __init__(self, features: int) -> None:
            super().__init__()
            with self.name_scope():
                self.body = nn.HybridSequential()
                self.body.add(nn.Conv2D(features, 3, padding=1, in_channels=features), nn.Activation("relu"),
                              nn.Conv2D(features, 3, padding=1, in_channels=features))

        def hybrid_forward(self, F, x):  # noqa: N803
            return x + self.body(x)

    class EDSR(nn.HybridBlock):
        """The zoo's EDSR baseline x2: 16 blocks of 64 features, a sub-pixel (depth-to-space) upsampler."""

        def __init__(self, scale: int = 2, blocks: int = 16, features: int = 64, channels: int = 3) -> None:
            super().__init__()
            if scale not in (2, 4):
                raise Unsupported(f"the MXNet EDSR has scales 2 and 4, not {scale}")
            with self.name_scope():
                self.rgb_mean = self.params.get_constant("rgb_mean", [[[[v]] for v in DIV2K_RGB_MEAN[:channels]]])
                self.head = nn.Conv2D(features, 3, padding=1, in_channels=channels)
                self.body = nn.HybridSequential()
                for _ in range(blocks):
                    self.body.add(ResBlock(features))
                self.body.add(nn.Conv2D(features, 3, padding=1, in_channels=features))
                self.ups = nn.HybridSequential()
                for _ in range({2: 1, 4: 2}[scale]):
                    self.ups.add(nn.Conv2D(4 * features, 3, padding=1, in_channels=features))
                self.last = nn.Conv2D(channels, 3, padding=1, in_channels=features)

        def hybrid_forward(self, F, x, rgb_mean):  # noqa: N803
            x = self.head(F.broadcast_sub(x, rgb_mean))
            x = x + self.body(x)
            for conv in self.ups:
                x = F.depth_to_space(conv(x), 2)
            return F.broadcast_add(self.last(x), rgb_mean)

    return UNet, EDSR


def network(case):
    from mxnet.gluon.model_zoo import vision

    unet, edsr = _blocks()
    options = dict(case.options)
    if case.model == "resnet50":
        return vision.resnet50_v1(pretrained=False)
    if case.model == "vgg19":
        return vision.vgg19(pretrained=False)
    if case.model == "unet":
        return unet()
    if case.model == "edsr":
        if options.get("variant", "baseline") != "baseline":
            raise Unsupported("the MXNet EDSR is the baseline only")
        return edsr(scale=int(options.get("scale", 2)))
    raise Unsupported(f"no MXNet version of {case.model}; MXNet runs vgg19, resnet50, unet and edsr")


def trainable_params(net) -> int:
    return sum(p.data().size for p in net.collect_params().values() if p.grad_req != "null")


class Stack:
    def __init__(self, case, input_path: str) -> None:
        import mxnet as mx
        import numpy as np

        if case.precision not in ("fp32", "fp16"):
            raise Unsupported(f"MXNet runs fp32 and fp16, not {case.precision}")
        if case.device.startswith("cuda"):
            if mx.context.num_gpus() == 0:
                raise Unsupported("this MXNet build sees no GPU")
            ctx = mx.gpu(int(case.device.partition(":")[2] or 0))
        else:
            if case.precision == "fp16":
                raise Unsupported("MXNet has no fp16 GEMM on the CPU (\"FP16 gemm on cpu not implemented\")")
            ctx = mx.cpu()
        mx.random.seed(0)
        self.net = network(case)
        self.net.initialize(mx.init.Xavier(), ctx=ctx)
        dtype = "float16" if case.precision == "fp16" else "float32"
        data = np.load(input_path)
        self.height, self.width = data.shape[-2:]
        self.padded = case.model == "unet"
        if self.padded:  # pad to a multiple of 16 as the PyTorch UNet does (here outside the graph)
            pad = (-self.height % 16, -self.width % 16)
            data = np.pad(data, ((0, 0), (0, 0), (0, pad[0]), (0, pad[1])))
        self.net(mx.nd.array(data[:1], ctx=ctx))  # deferred shapes resolved before the cast
        if dtype == "float16":
            self.net.cast(dtype)
        self.net.hybridize(static_alloc=True, static_shape=True)
        self.x = mx.nd.array(data, ctx=ctx, dtype=dtype)
        self.out = None
        self.describe = {"backend": "mxnet", "hybridized": True, "precision": case.precision, "context": str(ctx),
                         "params": trainable_params(self.net), "weights": "random (Xavier), not PyTorch's"}
        if case.model == "unet":
            self.describe["note"] = "input padded to a multiple of 16 outside the graph"

    def run(self):
        self.out = self.net(self.x)
        return self.out

    def sync(self) -> None:
        if self.out is not None:
            self.out.wait_to_read()  # MXNet's engine is asynchronous: wait inside the clock

    def first_output(self):
        out = self.run().asnumpy()[:1].astype("float32")
        return out[..., : self.height, : self.width] if self.padded else out


def build(case, input_path: str) -> Stack:
    return Stack(case, input_path)
