#!/usr/bin/env python3
"""Regenerates tests/import/fixtures with PyTorch (Debian's python3-torch) and the exporter.

    apt-get install python3-torch python3-onnx
    /usr/bin/python3 tests/import/generate.py

Each model below goes through examples/pytorch/ctnn_export.py, as a user's would: the generated
type (NAME.hpp), the weights (NAME.ctnn), the golden activations of every layer (NAME.golden)
and the embedded weights (NAME_weights.hpp); the onnx_* models go through torch.onnx.export and
examples/pytorch/ctnn_onnx.py instead (needs python3-onnx). It also writes RTNeural-format JSON files
(rtneural_*.json) from PyTorch models, in the layout RTNeural's Keras exporter writes (kernels
[in][out], Keras gate orders), with the same golden activations. tests/import/*.cpp read these
files and need no Python. Every parameter is drawn from a seeded generator, batch-norm running
statistics included, so that folding is exercised with values far from the identity. The
golden values come from PyTorch's float64 kernels, which may round differently on another CPU
(a few units in the last place): regenerate only the fixtures a change needs.
"""
import io
import json
import os
import shutil
import subprocess
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "pytorch"))
import ctnn_export  # noqa: E402
import ctnn_onnx  # noqa: E402
import onnx  # noqa: E402 (Debian's python3-onnx)


def randomized(model, seed):
    """Parameters and batch-norm statistics from a seeded generator (init defaults are too tame)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.5 if "weight" in name else 0.2))
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.3)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
    return model.eval()


class LastStep(nn.Module):
    """A recurrent model as people write it: out, _ = rnn(x); head(out[-1])."""

    def __init__(self, rnn, head, batch_first=False):
        super().__init__()
        self.rnn, self.head, self.batch_first = rnn, head, batch_first

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1] if self.batch_first else out[-1])


def layer_models():
    """One model per supported layer (and option), each small."""
    return {
        "layer_dense": (nn.Sequential(nn.Linear(7, 5)), (7,), False),
        "layer_dense_no_bias": (nn.Sequential(nn.Linear(7, 5, bias=False)), (7,), False),
        "layer_activations": (nn.Sequential(nn.Linear(6, 9), nn.ReLU(), nn.Linear(9, 9), nn.Tanh(),
                                            nn.Linear(9, 9), nn.Sigmoid(), nn.Linear(9, 9), nn.GELU(),
                                            nn.Linear(9, 9), nn.LeakyReLU(0.125), nn.Linear(9, 4),
                                            nn.Softmax(dim=1)), (6,), False),
        "layer_conv2d": (nn.Sequential(nn.Conv2d(2, 4, 3), nn.ReLU(), nn.Conv2d(4, 3, (3, 2), stride=(2, 1),
                                                                                padding=(1, 2), dilation=(1, 2)),
                                       nn.Conv2d(3, 2, 3, padding="same")), (2, 9, 8), False),
        "layer_conv1d": (nn.Sequential(nn.Conv1d(3, 4, 3, stride=2, padding=1), nn.Tanh(),
                                       nn.Conv1d(4, 2, 2, dilation=2)), (3, 17), False),
        "layer_pool2d": (nn.Sequential(nn.MaxPool2d(2), nn.AvgPool2d(3, stride=1, padding=1),
                                       nn.MaxPool2d((2, 3), stride=(1, 2), padding=1, dilation=(2, 1)),
                                       nn.AdaptiveAvgPool2d(1), nn.Flatten()), (3, 12, 11), False),
        "layer_pool1d": (nn.Sequential(nn.MaxPool1d(3, stride=2), nn.AvgPool1d(2), nn.Flatten()), (2, 15), False),
        "layer_batch_norm": (nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                                           nn.Linear(27, 4), nn.BatchNorm1d(4)), (2, 5, 5), False),
        "layer_rnn": (LastStep(nn.RNN(3, 5), nn.Linear(5, 2)), (6, 3), True),
        "layer_rnn_relu": (LastStep(nn.RNN(3, 5, nonlinearity="relu", batch_first=True), nn.Linear(5, 2), True),
                           (6, 3), True),
        "layer_lstm": (LastStep(nn.LSTM(3, 6, num_layers=2), nn.Linear(6, 2)), (5, 3), True),
        "layer_gru": (LastStep(nn.GRU(4, 5, batch_first=True), nn.Linear(5, 3), True), (7, 4), True),
    }


def later_layer_models():
    """Layers added after the first fixtures: seeded after all of them, so those stay as they were."""
    return {
        "layer_layer_norm": (nn.Sequential(nn.Conv2d(2, 3, 3), nn.LayerNorm([3, 3, 3]), nn.Flatten(), nn.Linear(27, 5),
                                           nn.LayerNorm(5), nn.LogSoftmax(dim=1)), (2, 5, 5), False),
        # batch norms that follow no Linear or Conv: ctnn's batch_norm layer, not folded
        "layer_batch_norm_layer": (nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.BatchNorm2d(3), nn.Flatten(),
                                                 nn.Linear(27, 6), nn.Tanh(), nn.BatchNorm1d(6), nn.Linear(6, 2)),
                                   (2, 5, 5), False),
        "layer_batch_norm_1d": (nn.Sequential(nn.Conv1d(2, 3, 3), nn.ReLU(), nn.BatchNorm1d(3), nn.Flatten(),
                                              nn.Linear(15, 2)), (2, 7), False),
        # a decoder's layers
        "layer_decoder": (nn.Sequential(nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                                        nn.Upsample(scale_factor=2), nn.ConvTranspose2d(3, 2, (2, 3), dilation=(2, 1)),
                                        nn.Upsample(scale_factor=(1, 2)), nn.Flatten(), nn.Linear(2 * 14 * 28, 4)),
                          (2, 3, 3), False),
    }


class BasicBlock(nn.Module):
    """torchvision's ResNet BasicBlock as written there (out += identity; a strided block takes a
    1x1 convolution and a batch norm on the skip path)."""

    def __init__(self, c, out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c, out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(out, out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.downsample = None if stride == 1 and c == out else \
            nn.Sequential(nn.Conv2d(c, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        identity = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        out = self.relu(out)
        return out


class SmallResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.layer1 = BasicBlock(4, 4)
        self.layer2 = BasicBlock(4, 8, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


class InvertedResidual(nn.Module):
    """MobileNetV2's block: expand 1x1, depthwise 3x3, project 1x1, x + block(x)."""

    def __init__(self, c, expand):
        super().__init__()
        h = c * expand
        self.conv = nn.Sequential(nn.Conv2d(c, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU6(inplace=True),
                                  nn.Conv2d(h, h, 3, padding=1, groups=h, bias=False), nn.BatchNorm2d(h),
                                  nn.ReLU6(inplace=True), nn.Conv2d(h, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return x + self.conv(x)


class Inception(nn.Module):
    """Branches side by side, concatenated with the input (torch.cat over the channels)."""

    def __init__(self):
        super().__init__()
        self.b1 = nn.Conv2d(3, 2, 1)
        self.b2 = nn.Sequential(nn.Conv2d(3, 2, 1), nn.ReLU(), nn.Conv2d(2, 3, 3, padding=1))
        self.b3 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(3, 1, 1))
        self.fc = nn.Linear(9 * 5 * 5, 2)

    def forward(self, x):
        y = torch.cat([F.relu(self.b1(x)), self.b2(x), self.b3(x), x], 1)
        return self.fc(torch.flatten(y, 1))


class PolicyValue(nn.Module):
    """Two heads on one trunk: forward returns (policy logits, value)."""

    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU())
        self.policy = nn.Linear(16, 4)
        self.value = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1), nn.Tanh())

    def forward(self, x):
        z = self.trunk(x)
        return self.policy(z), self.value(z)


class GatedSkip(nn.Module):
    """A gated unit plus a linear path: tanh(a(x)) * sigmoid(b(x)) + c(x)."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(4, 3), nn.Linear(4, 3), nn.Linear(4, 3)
        self.out = nn.Linear(3, 2)

    def forward(self, x):
        return self.out(torch.tanh(self.a(x)) * torch.sigmoid(self.b(x)) + self.c(x))


class PricesAndFeatures(nn.Module):
    """Two inputs (forward(window, features)): an LSTM over a window (batch_first) and a dense
    branch over static features, concatenated; then two heads."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(2, 6, batch_first=True)
        self.static = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
        self.body = nn.Linear(10, 8)
        self.signal = nn.Linear(8, 1)
        self.regime = nn.Linear(8, 3)

    def forward(self, window, features):
        out, _ = self.lstm(window)
        z = torch.relu(self.body(torch.cat([out[:, -1], self.static(features)], dim=1)))
        return self.signal(z), self.regime(z)


def graph_layer_models():
    """Layers and networks of the graphs issue (seeded after every earlier fixture): grouped and
    depthwise convolutions in a MobileNet-style block; graphs as people write them (ResNet's
    BasicBlock, MobileNetV2's inverted residual, an Inception module, two heads, a gated skip)."""
    return {
        "graph_resnet": (SmallResNet(), (3, 8, 8), False),
        "graph_mobilenet": (nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), InvertedResidual(4, 3),
                                          InvertedResidual(4, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                          nn.Dropout(0.2), nn.Linear(4, 3)), (3, 6, 6), False),
        "graph_inception": (Inception(), (3, 5, 5), False),
        "graph_heads": (PolicyValue(), (6,), False),
        "graph_gated": (GatedSkip(), (4,), False),
        "graph_two_inputs": (PricesAndFeatures(), [(5, 2), (3,)], [True, False]),
        "layer_prelu": (nn.Sequential(nn.Conv2d(2, 3, 3), nn.PReLU(3), nn.Flatten(), nn.Linear(27, 4), nn.PReLU(),
                                      nn.Linear(4, 2)), (2, 5, 5), False),
        "layer_grouped": (nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False), nn.BatchNorm2d(4),
                                        nn.ReLU6(), nn.Conv2d(4, 8, 1), nn.Hardswish(),
                                        nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=4), nn.SiLU(),
                                        nn.Flatten(),
                                        nn.Linear(8 * 3 * 4, 3)), (4, 6, 7), False),
    }


class MnistNet(nn.Module):
    """pytorch/examples' mnist/main.py Net as written there (functional relu, max_pool2d, flatten and
    log_softmax between modules), at a size for a fixture: 12x12 inputs, fewer channels."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(128, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


class FunctionalNet(nn.Module):
    """Functions with keywords, tensor methods, dropout as people switch it, views that flatten."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 6, 3, padding=1)
        self.conv2 = nn.Conv2d(6, 6, 3)
        self.drop = nn.Dropout2d(0.2)
        self.fc1 = nn.Linear(6, 12)
        self.fc2 = nn.Linear(12, 5)

    def forward(self, x):
        x = F.relu(self.conv1(x), inplace=True)
        x = F.max_pool2d(x, kernel_size=2, stride=2)
        x = self.drop(x)
        x = F.leaky_relu(self.conv2(x), 0.2)
        x = F.avg_pool2d(x, 2)
        x = x.view(x.size(0), -1)
        x = F.dropout(x, p=0.3, training=self.training)
        x = self.fc1(x).relu()
        x = x.contiguous()
        return F.softmax(self.fc2(x), dim=1)


class MethodNet(nn.Module):
    """Views by shape and by -1, adaptive pooling to 1, tensor methods, torch.* functions."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 8)
        self.fc3 = nn.Linear(8, 3)

    def forward(self, x):
        x = self.conv(x).tanh()
        x = F.adaptive_avg_pool2d(x, 1)
        x = x.reshape(x.shape[0], -1)
        x = torch.sigmoid(self.fc1(x))
        x = x.view(-1, 8)
        x = F.gelu(self.fc2(x))
        x = torch.flatten(x, start_dim=1)
        return torch.log_softmax(self.fc3(x), dim=-1)


class ActivationNet(nn.Module):
    """The activations of MobileNet- and EfficientNet-style models, as modules and as functions."""

    def __init__(self):
        super().__init__()
        self.fc = nn.ModuleList([nn.Linear(6 if i == 0 else 9, 9) for i in range(10)])
        self.silu, self.elu, self.relu6 = nn.SiLU(), nn.ELU(alpha=0.5), nn.ReLU6()
        self.hardtanh, self.hardswish, self.hardsigmoid = nn.Hardtanh(-2, 3), nn.Hardswish(), nn.Hardsigmoid()
        self.out = nn.Linear(9, 3)

    def forward(self, x):
        x = self.silu(self.fc[0](x))
        x = F.silu(self.fc[1](x))
        x = self.elu(self.fc[2](x))
        x = F.elu(self.fc[3](x))
        x = self.relu6(self.fc[4](x))
        x = F.hardtanh(self.fc[5](x), -2.0, 3.0)
        x = self.hardtanh(self.fc[6](x))
        x = self.hardswish(self.fc[7](x))
        x = F.hardsigmoid(self.fc[8](x))
        x = F.relu6(self.fc[9](x))
        return self.out(x)


def idiom_models():
    """forward() as people write it (functions with keywords, methods, views): added after the layer
    fixtures, seeded after all of them."""
    return {
        "idiom_mnist": (MnistNet(), (1, 12, 12), False),
        "idiom_functional": (FunctionalNet(), (2, 9, 9), False),
        "idiom_methods": (MethodNet(), (3, 6, 6), False),
        "idiom_activations": (ActivationNet(), (6,), False),
    }


def network_models():
    """Whole networks of each kind, the sizes people deploy."""
    mlp = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    cnn = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 6 * 6, 32),
                        nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 10))
    lstm = LastStep(nn.LSTM(2, 16), nn.Sequential(nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 1)))
    return {
        "net_mlp": (mlp, (16,), False),
        "net_cnn": (cnn, (1, 28, 28), False),
        "net_lstm": (lstm, (12, 2), True),
    }


# ---------------------------------------------------------------------------------------------
# RTNeural's JSON format, written from PyTorch models the way RTNeural's Keras exporter lays it
# out: {"in_shape": [null, null, F], "layers": [{"type", "activation", "shape", "weights"}]}.
# dense: weights [kernel [in][out], bias]; lstm: [W [in][4H] (i, f, c, o), U [H][4H], bias [4H]];
# gru: [W [in][3H] (z, r, h), U [H][3H], bias [2][3H] (input, recurrent)].

def _keras_gru(w, h):
    """PyTorch's r, z, n blocks -> Keras's z, r, h; transposed."""
    r, z, n = w[:h], w[h:2 * h], w[2 * h:]
    return torch.cat([z, r, n]).t()


def rtneural_json(model, steps, features):
    layers = []
    mods = list(model.rnn.modules())[:1] + list(model.head.modules())[1:] if hasattr(model, "rnn") else \
        list(model.modules())[1:]
    for m in mods:
        if isinstance(m, nn.Linear):
            layers.append({"type": "dense", "activation": "", "shape": [None, m.out_features],
                           "weights": [m.weight.t().tolist(), m.bias.tolist()]})
        elif isinstance(m, (nn.Tanh, nn.ReLU, nn.Sigmoid)):
            name = {nn.Tanh: "tanh", nn.ReLU: "relu", nn.Sigmoid: "sigmoid"}[type(m)]
            if layers and layers[-1]["type"] == "dense" and not layers[-1]["activation"]:
                layers[-1]["activation"] = name  # Keras: Dense(..., activation=name)
            else:
                layers.append({"type": name, "shape": layers[-1]["shape"] if layers else [None, features]})
        elif isinstance(m, nn.LSTM):
            layers.append({"type": "lstm", "activation": "", "shape": [None, None, m.hidden_size],
                           "weights": [m.weight_ih_l0.t().tolist(), m.weight_hh_l0.t().tolist(),
                                       (m.bias_ih_l0 + m.bias_hh_l0).tolist()]})
        elif isinstance(m, nn.GRU):
            h = m.hidden_size
            layers.append({"type": "gru", "activation": "", "shape": [None, None, h],
                           "weights": [_keras_gru(m.weight_ih_l0, h).tolist(), _keras_gru(m.weight_hh_l0, h).tolist(),
                                       [_keras_gru(m.bias_ih_l0.reshape(-1, 1), h).reshape(-1).tolist(),
                                        _keras_gru(m.bias_hh_l0.reshape(-1, 1), h).reshape(-1).tolist()]]})
    in_shape = [None, None, features] if steps else [None, features]
    return {"in_shape": in_shape, "layers": layers}


def rtneural_models():
    dense = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2), nn.Sigmoid())
    gru = LastStep(nn.GRU(1, 8), nn.Sequential(nn.Linear(8, 1)))
    lstm = LastStep(nn.LSTM(2, 6), nn.Sequential(nn.Linear(6, 4), nn.Tanh(), nn.Linear(4, 1)))
    return {
        "rtneural_dense": (dense, (4,), False),
        "rtneural_gru": (gru, (9, 1), True),
        "rtneural_lstm": (lstm, (7, 2), True),
    }


# RTNeural's other layer kinds, written as RTNeural's python/model_utils.py writes them from Keras
# (conv1d kernels [K][C / G][F], batchnorm [gamma, beta, mean, variance] with Keras's epsilon,
# prelu [[alpha]], dense without a bias, time-distributed-dense, standalone activations), with
# the expected outputs of every ctnn layer computed here in float64 from the same values.

class _RtLayer:
    """A ctnn layer (C++ spelling, name, output shape) and how its output follows in float64."""

    def __init__(self, cpp, name, shape, fn, sequence=False):
        self.layer = ctnn_export.Layer(cpp, name, shape, sequence=sequence, source="RTNeural JSON")
        self.fn = fn


def _u(*shape):
    return torch.empty(*shape, dtype=torch.float64).uniform_(-0.5, 0.5)


def _rt_conv(cin, cout, k, d, g, steps, activation):
    w, b = _u(cout, cin // g, k), _u(cout)
    doc = {"type": "conv1d", "activation": activation, "shape": [None, None, cout], "kernel_size": [k],
           "dilation": [d], "groups": g, "weights": [w.permute(2, 1, 0).tolist(), b.tolist()]}
    fn = lambda x: F.conv1d(F.pad(x.transpose(1, 2), ((k - 1) * d, 0)), w, b, dilation=d, groups=g).transpose(1, 2)
    opts = "" if d == 1 else ", ctnn::dilation<%d>" % d
    opts += "" if g == 1 else ", ctnn::groups<%d>" % g
    name_opts = "" if d == 1 else ", dilation<%d, %d>" % (d, d)
    name_opts += "" if g == 1 else ", groups<%d>" % g
    return doc, _RtLayer("ctnn::conv1d<%d, %d, ctnn::causal%s>" % (cout, k, opts),
                         "conv1d<%d, %d, causal%s>" % (cout, k, name_opts), (steps, cout), fn, True)


def _rt_batchnorm(f, affine, shape, sequence, eps=1e-3):
    gamma, beta = (_u(f) + 1, _u(f)) if affine else (torch.ones(f, dtype=torch.float64),
                                                     torch.zeros(f, dtype=torch.float64))
    mean, var = _u(f), _u(f) + 1.0
    weights = [gamma.tolist(), beta.tolist()] if affine else []
    doc = {"type": "batchnorm", "activation": "", "shape": [None, None, f] if sequence else [None, f],
           "epsilon": eps, "weights": weights + [mean.tolist(), var.tolist()]}
    fn = lambda x: (x - mean) / torch.sqrt(var + eps) * gamma + beta
    wrap = (lambda c: "ctnn::per_step<%s>" % c, lambda c: "per_step<%s>" % c) if sequence else \
        (lambda c: c, lambda c: c)
    return doc, _RtLayer(wrap[0]("ctnn::batch_norm"), wrap[1]("batch_norm"), shape, fn, sequence)


def _rt_prelu(f, shape, sequence):
    a = _u(f)
    doc = {"type": "prelu", "activation": "", "shape": [None, None, f] if sequence else [None, f],
           "weights": [[a.tolist()]]}
    fn = lambda x: torch.where(x > 0, x, a * x)
    cpp, name = ("ctnn::per_step<ctnn::channel_prelu>", "per_step<channel_prelu>") if sequence else \
        ("ctnn::channel_prelu", "channel_prelu")
    return doc, _RtLayer(cpp, name, shape, fn, sequence)


def _rt_dense(fin, fout, bias, activation, steps=0, kind="dense"):
    w = _u(fout, fin)
    b = _u(fout) if bias else torch.zeros(fout, dtype=torch.float64)
    doc = {"type": kind, "activation": activation, "shape": [None, None, fout] if steps else [None, fout],
           "weights": [w.t().tolist()] + ([b.tolist()] if bias else [])}
    fn = lambda x: x @ w.t() + b
    if steps:
        return doc, _RtLayer("ctnn::per_step<ctnn::dense<%d>>" % fout, "per_step<dense<%d>>" % fout, (steps, fout), fn,
                             True)
    return doc, _RtLayer("ctnn::dense<%d>" % fout, "dense<%d>" % fout, (fout,), fn)


def _rt_activation(name, shape, sequence):
    cpp, cname, fn = {"tanh": ("ctnn::tanh", "tanh", torch.tanh), "relu": ("ctnn::relu", "relu", torch.relu),
                      "sigmoid": ("ctnn::sigmoid", "sigmoid", torch.sigmoid),
                      "elu": ("ctnn::elu", "elu_alpha<1, 1>", F.elu),
                      "softmax": ("ctnn::softmax", "softmax", lambda x: F.softmax(x, -1))}[name]
    return _RtLayer(cpp, cname, shape, fn, sequence)


def _rt_gru(fin, h, steps):
    m = nn.GRU(fin, h, batch_first=True).double()
    for p in m.parameters():
        torch.nn.init.uniform_(p, -0.5, 0.5)
    doc = {"type": "gru", "activation": "", "shape": [None, None, h],
           "weights": [_keras_gru(m.weight_ih_l0, h).tolist(), _keras_gru(m.weight_hh_l0, h).tolist(),
                       [_keras_gru(m.bias_ih_l0.reshape(-1, 1), h).reshape(-1).tolist(),
                        _keras_gru(m.bias_hh_l0.reshape(-1, 1), h).reshape(-1).tolist()]]}
    return doc, _RtLayer("ctnn::gru<%d>" % h, "gru<%d>" % h, (steps, h), lambda x: m(x)[0], True)


def _rt_conv2d(cin, cout, fin, kt, kf, d, s, padding, steps, activation=""):
    """RTNeural's Conv2D (causal in time, dilated in time, strided in features) over frames
    [steps, fin, cin]; padding "valid" or "same" (TensorFlow's, here symmetric)."""
    w, b = _u(cout, cin, kt, kf), _u(cout)
    rest = fin % s if fin % s else s
    total = max(kf - rest, 0) if padding == "same" else 0
    assert total % 2 == 0, "ctnn's padding<0, P> is symmetric"
    p = total // 2
    fout = (fin + 2 * p - kf) // s + 1
    doc = {"type": "conv2d", "activation": activation, "shape": [None, steps - (kt - 1) * d, fout, cout],
           "kernel_size_time": kt, "kernel_size_feature": kf, "dilation": d, "strides": s, "num_filters_in": cin,
           "num_features_in": fin, "num_filters_out": cout, "padding": padding,
           "weights": [w.permute(2, 3, 1, 0).tolist(), b.tolist()]}
    fn = lambda x: F.conv2d(F.pad(x.permute(0, 3, 1, 2), (p, p, (kt - 1) * d, 0)), w, b, dilation=(d, 1),
                            stride=(1, s)).permute(0, 2, 3, 1)
    opts, name_opts = "", ""
    for kind, (h, v), default in (("dilation", (d, 1), (1, 1)), ("stride", (1, s), (1, 1)),
                                  ("padding", (0, p), (0, 0))):
        if (h, v) != default:
            opts += ", ctnn::%s<%d, %d>" % (kind, h, v)
            name_opts += ", %s<%d, %d>" % (kind, h, v)
    return doc, _RtLayer("ctnn::conv2d<%d, ctnn::kernel<%d, %d>, ctnn::causal%s>" % (cout, kt, kf, opts),
                         "conv2d<%d, kernel<%d, %d>, causal%s>" % (cout, kt, kf, name_opts), (steps, fout, cout), fn,
                         True)


def _rt_batchnorm2d(c, fin, affine, steps, eps):
    gamma, beta = (_u(c) + 1, _u(c)) if affine else (torch.ones(c, dtype=torch.float64),
                                                     torch.zeros(c, dtype=torch.float64))
    mean, var = _u(c), _u(c) + 1.0
    weights = [gamma.tolist(), beta.tolist()] if affine else []
    doc = {"type": "batchnorm2d", "activation": "", "shape": [None, steps, fin, c], "epsilon": eps,
           "num_filters_in": c, "num_features_in": fin, "weights": weights + [mean.tolist(), var.tolist()]}
    fn = lambda x: (x - mean) / torch.sqrt(var + eps) * gamma + beta  # the channels are last
    return doc, _RtLayer("ctnn::batch_norm", "batch_norm", (steps, fin, c), fn, True)


def rtneural_layer_models():
    """name -> (in_shape, sequence, [(json layer or None, _RtLayer or None)...])"""
    torch.manual_seed(2401)
    T = 12
    tcn = [_rt_conv(2, 6, 3, 1, 1, T, "tanh"), (None, _rt_activation("tanh", (T, 6), True))]
    conv2 = _rt_conv(6, 6, 3, 2, 2, T, "relu")
    tcn += [conv2, (None, _rt_activation("relu", (T, 6), True)),
            _rt_batchnorm(6, True, (T, 6), True), _rt_prelu(6, (T, 6), True),
            ({"type": "activation", "activation": "elu", "shape": [None, None, 6], "weights": []},
             _rt_activation("elu", (T, 6), True)),
            _rt_dense(6, 3, False, "", T, "time-distributed-dense"), _rt_gru(3, 4, T), _rt_dense(4, 2, True, "", T)]
    mlp = [_rt_dense(5, 8, False, "elu"), (None, _rt_activation("elu", (8,), False)),
           _rt_batchnorm(8, False, (8,), False), _rt_prelu(8, (8,), False), _rt_dense(8, 3, True, "softmax"),
           (None, _rt_activation("softmax", (3,), False))]
    # RTNeural's conv2d test model (python/conv2d.py), smaller: valid, dilated in time; "same" with
    # a feature stride of 2; batchnorm2d with and without scale and centre
    S = 10
    frames = [_rt_conv2d(1, 2, 9, 3, 3, 2, 1, "valid", S), _rt_batchnorm2d(2, 7, False, S, 0.5),
              ({"type": "activation", "activation": "relu", "shape": [None, S, 7, 2], "weights": []},
               _rt_activation("relu", (S, 7, 2), True)),
              _rt_conv2d(2, 3, 7, 2, 3, 1, 2, "same", S), _rt_batchnorm2d(3, 4, True, S, 0.01),
              _rt_conv2d(3, 1, 4, 2, 3, 3, 1, "valid", S, "tanh"), (None, _rt_activation("tanh", (S, 2, 1), True))]
    return {"rtneural_tcn": ((T, 2), True, tcn), "rtneural_mlp": ((5,), False, mlp),
            "rtneural_frames": ((S, 9, 1), True, frames)}


def write_rtneural_layer_models():
    for name, (shape, sequence, parts) in rtneural_layer_models().items():
        doc = {"in_shape": [None, *shape] if len(shape) == 3 else [None, None, shape[-1]] if sequence else
               [None, shape[-1]],
               "layers": [d for d, _ in parts if d is not None]}
        first = ctnn_export.Layer("ctnn::input<ctnn::%s<%s>>" % ("sequence" if sequence else "shape",
                                                                 ", ".join(map(str, shape))),
                                  "input<%s<%s>>" % ("sequence" if sequence else "shape", ", ".join(map(str, shape))),
                                  shape, sequence=sequence, source="input")
        layers = [first] + [l.layer for _, l in parts if l is not None]
        torch.manual_seed(77)
        x = torch.randn(4, *shape, dtype=torch.float64)
        first.golden = x.reshape(4, -1).clone()
        for _, l in parts:
            if l is None:
                continue
            x = l.fn(x)
            l.layer.golden = x.reshape(4, -1).clone()
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(doc, f, indent=1)
        ctnn_export.write_golden(layers, os.path.join(OUT, name + ".golden"))
        ctnn_export.write_header(layers, name, os.path.join(OUT, name + ".hpp"), "tests/import/generate.py")
        print("%-22s %2d layers, %d RTNeural layers" % (name, len(layers), len(doc["layers"])))


class SequenceHead(nn.Module):
    """Linear on every step of a sequence (ctnn's per_step<dense<N>>), the output a sequence."""

    def __init__(self):
        super().__init__()
        self.rnn, self.fc = nn.GRU(2, 3, batch_first=True), nn.Linear(3, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out)


class PerStepThenLast(nn.Module):
    """A per-step Linear and activation between recurrent layers, then x[:, -1] and a head."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(3, 6)
        self.lstm = nn.LSTM(6, 5, batch_first=True)
        self.proj = nn.Linear(5, 4)
        self.gru = nn.GRU(4, 4, batch_first=True)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        x = torch.tanh(self.embed(x))
        x, _ = self.lstm(x)
        x = F.relu(self.proj(x))
        x, _ = self.gru(x)
        return self.head(x[:, -1])


def sequence_models():
    """nn.Linear on every step of a sequence: added after the graph fixtures, seeded after them."""
    return {
        "seq_per_step_output": (SequenceHead(), (6, 2), True),
        "seq_per_step_last": (PerStepThenLast(), (7, 3), True),
    }


class FixedBatchView(nn.Module):
    """A view that fixes the batch size: not a per-sample shape."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 2)

    def forward(self, x):
        return self.fc(x.view(4, 6))


class DropoutAlways(nn.Module):
    """F.dropout without training=self.training: active at inference too."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(F.dropout(x, 0.5))


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(4, 2)

    def forward(self, x):
        return self.attn(x, x, x)[0]


class SubtractSkip(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)

    def forward(self, x):
        return x - self.lin(x)


class SharedLinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)

    def forward(self, x):
        return self.lin(self.lin(x))


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)

    def forward(self, x, y):
        return self.lin(x) + y


# ---------------------------------------------------------------------------------------------
# ONNX: models exported from PyTorch with torch.onnx.export (opset 13, static shapes), imported by
# examples/pytorch/ctnn_onnx.py; the module the graph is read into must equal the original model.

class OnnxCnn(nn.Module):
    """Conv + BatchNorm (ONNX folds it) + ReLU, a residual add, max pool, flatten, Linear,
    log_softmax."""

    def __init__(self):
        super().__init__()
        self.c1, self.bn, self.c2 = nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.Conv2d(4, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 3 * 3, 3)

    def forward(self, x):
        x = F.relu(self.bn(self.c1(x)))
        x = x + self.c2(x)
        x = F.max_pool2d(x, 2)
        return F.log_softmax(self.fc(torch.flatten(x, 1)), 1)


class OnnxBranches(nn.Module):
    """An Inception-style concat (grouped conv, avg pool with padding), LeakyReLU, ELU, a batch
    norm after an activation (kept as batch_norm), PReLU per channel, Hardswish, global average
    pool, then two heads (a tuple of outputs)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(4, 4, 1)
        self.b = nn.Conv2d(4, 4, 3, padding=1, groups=2)
        self.pool_proj = nn.Conv2d(4, 2, 1)
        self.bn = nn.BatchNorm2d(10)
        self.prelu = nn.PReLU(10)
        self.policy, self.value = nn.Linear(10, 5), nn.Linear(10, 1)

    def forward(self, x):
        y = torch.cat([F.leaky_relu(self.a(x), 0.1), F.elu(self.b(x)),
                       self.pool_proj(F.avg_pool2d(x, 3, stride=1, padding=1))], 1)
        y = F.hardswish(self.prelu(self.bn(F.relu(y))))
        y = torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)
        return F.softmax(self.policy(y), 1), torch.tanh(self.value(y))


class OnnxRecurrent(nn.Module):
    """LSTM, Linear on every step (MatMul + Add in ONNX), GRU, out[:, -1], Linear."""

    def __init__(self):
        super().__init__()
        self.lstm, self.proj = nn.LSTM(3, 6, batch_first=True), nn.Linear(6, 4)
        self.gru, self.head = nn.GRU(4, 5, batch_first=True), nn.Linear(5, 2)

    def forward(self, x):
        x, _ = self.lstm(x)
        x, _ = self.gru(torch.sigmoid(self.proj(x)))
        return self.head(x[:, -1])


def onnx_models():
    return {
        "onnx_mlp": (nn.Sequential(nn.Linear(6, 16), nn.ReLU6(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3),
                                   nn.Softmax(1)), (6,)),
        "onnx_cnn": (OnnxCnn(), (2, 6, 6)),
        "onnx_branches": (OnnxBranches(), (4, 5, 5)),
        "onnx_recurrent": (OnnxRecurrent(), (9, 3)),
    }


def onnx_of(model, shape):
    f = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), torch.randn(1, *shape), f, opset_version=13)
    return onnx.load_from_string(f.getvalue())


def onnx_idiom_models():
    """The pytorch/examples idioms above through ONNX: Squeeze after a view, a Reshape to the
    shape the input has, before an LSTM."""
    return {"onnx_device_branch": (DeviceBranch(), (6, 1, 1)), "onnx_reshaped_sequence": (ReshapedSequence(), (6, 5))}


def write_onnx_models(seed, models=None):
    for name, (model, shape) in (models or onnx_models()).items():
        randomized(model, seed)
        seed += 1
        layers, module = ctnn_onnx.import_onnx(onnx_of(model, shape), name, OUT, origin="tests/import/generate.py")
        x = torch.randn(5, *shape)
        want, got = model(x), module(x)
        for w, g in zip(want if isinstance(want, tuple) else (want,), got if isinstance(got, tuple) else (got,)):
            assert float((w.reshape(5, -1) - g.reshape(5, -1)).abs().max()) < 1e-5, name  # the graph read back is the model
        print("%-22s %2d layers (from ONNX)" % (name, len(layers)))
    return seed


def check_onnx_refusals():
    """Operators ctnn cannot import are refused naming the node and its op type."""
    class Sine(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            return torch.sin(self.fc(x))

    class Shifted(nn.Module):
        def forward(self, x):
            return x + 1.0

    class Bidirectional(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(2, 3, batch_first=True, bidirectional=True)

        def forward(self, x):
            return self.rnn(x)[0][:, -1]

    cases = [(Sine(), (4,), "node /Sin (Sin): not an operator ctnn imports"),
             (Shifted(), (4,), "(Add): a constant operand"),
             (nn.Sequential(nn.Conv2d(1, 2, 3), nn.MaxPool2d(2, ceil_mode=True)), (1, 6, 6), "ceil_mode=1"),
             (Bidirectional(), (5, 2), "direction=")]
    for model, shape, expected in cases:
        try:
            ctnn_onnx.import_onnx(onnx_of(model, shape), "refused", "/nonexistent")
        except ctnn_export.UnsupportedModel as e:
            assert expected in str(e), "refusal %r does not name %r" % (str(e), expected)
            print("refused as expected: %s" % e)
        else:
            raise AssertionError("imported an ONNX model it should refuse (%s)" % expected)


# Idioms of pytorch/examples' other models, as written there: DCGAN's `if (x.is_cuda or x.is_xpu)
# and self.ngpu > 1` branch and its discriminator's `output.view(-1, 1).squeeze(1)`, mnist_rnn's
# `x.reshape(-1, 28, 28)` of an input that already has that shape, regression's bare nn.Linear,
# siamese_network's view(x.size()[0], -1).

class DeviceBranch(nn.Module):
    def __init__(self, ngpu=1):
        super().__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(nn.ConvTranspose2d(6, 4, 3, 1, 0, bias=False), nn.BatchNorm2d(4), nn.ReLU(True),
                                  nn.Conv2d(4, 1, 3, 1, 0, bias=False), nn.Flatten(), nn.Linear(1, 1), nn.Sigmoid())

    def forward(self, input):
        if (input.is_cuda or input.is_xpu) and self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)
        return output.view(-1, 1).squeeze(1)


class ReshapedSequence(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(input_size=5, hidden_size=8, batch_first=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, input):
        input = input.reshape(-1, 6, 5)
        output, hidden = self.rnn(input)
        return F.log_softmax(self.fc(output[:, -1, :]), dim=1)


class SizeIndexView(nn.Module):
    """siamese_network's `output.view(output.size()[0], -1)`."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv2d(1, 3, 3), nn.Linear(3 * 4 * 4, 2)

    def forward(self, x):
        output = F.relu(self.conv(x))
        output = output.view(output.size()[0], -1)
        return self.fc(output)


def public_idiom_models():
    return {
        "idiom_size_index": (SizeIndexView(), (1, 6, 6), False),
        "idiom_device_branch": (DeviceBranch(), (6, 1, 1), False),
        "idiom_reshaped_sequence": (ReshapedSequence(), (6, 5), True),
        "idiom_bare_linear": (nn.Linear(4, 1), (4,), False),
    }


def check_refusals():
    """What the exporter cannot express is refused, naming the module's path and type."""
    cases = [
        (nn.Sequential(nn.Linear(4, 8), nn.PReLU(3)), (4,), False, "1 (PReLU): num_parameters=3"),
        (nn.Sequential(nn.Sequential(nn.Linear(4, 4), nn.Softplus())), (4,), False, "0.1 (Softplus)"),
        (nn.Sequential(nn.Linear(4, 4), nn.Hardtanh(-0.5, 2.0)), (4,), False, "1 (Hardtanh): min_val=-0.5"),
        (LastStep(nn.LSTM(2, 3, bidirectional=True), nn.Linear(6, 1)), (5, 2), True, "rnn (LSTM): bidirectional"),
        (nn.Sequential(nn.ConvTranspose2d(2, 2, 3, groups=2)), (2, 5, 5), False, "0 (ConvTranspose2d): groups=2"),
        (nn.Sequential(nn.ReLU(), nn.BatchNorm1d(4, track_running_stats=False)), (4,), False,
         "1 (BatchNorm1d): track_running_stats=False"),
        (nn.Sequential(nn.Linear(4, 4)), (2, 4), False, "0 (Linear): expects a vector"),
        (FixedBatchView(), (2, 3), False, "keep the batch first and flatten the rest, as x.view(x.size(0), -1)"),
        (DropoutAlways(), (4,), False, "training=True (its default) drops values at inference too"),
        (Attention(), (5, 4), True, "(MultiheadAttention): not supported yet"),
        (SubtractSkip(), (4,), False, "which is not an addition, a product or torch.cat"),
        (SharedLinear(), (4,), False, "lin (Linear): used twice"),
        (TwoInputs(), (4,), False, "forward takes 2 inputs"),
    ]
    for model, shape, sequence, expected in cases:
        try:
            ctnn_export.export(model.eval(), shape, "refused", "/nonexistent", sequence=sequence)
        except ctnn_export.UnsupportedModel as e:
            assert expected in str(e), "refusal %r does not name %r" % (str(e), expected)
            print("refused as expected: %s" % e)
        else:
            raise AssertionError("exported a model it should refuse (%s)" % expected)


def check_missing_class():
    """A model saved from a script whose class Python cannot import: the CLI asks for --import FILE."""
    import contextlib
    import io
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        script = os.path.join(d, "tiny_model.py")
        with open(script, "w") as f:
            f.write("import torch\nimport torch.nn as nn\n\nclass Tiny(nn.Module):\n    def __init__(self):\n"
                    "        super().__init__()\n        self.fc = nn.Linear(4, 2)\n\n    def forward(self, x):\n"
                    "        return self.fc(x)\n\nif __name__ == '__main__':\n"
                    "    torch.save(Tiny(), %r)\n" % os.path.join(d, "tiny.pt"))
        subprocess.run([sys.executable, script], check=True)
        args = [os.path.join(d, "tiny.pt"), "--input-shape", "4", "--name", "tiny", "--out", d]
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            status = ctnn_export.main(args)
        assert status == 2 and "--import FILE" in err.getvalue(), err.getvalue()
        print("missing class: %s" % err.getvalue().strip())
        with contextlib.redirect_stdout(io.StringIO()):
            assert ctnn_export.main(args + ["--import", script]) == 0


def main():
    check_refusals()
    check_onnx_refusals()
    check_missing_class()
    os.makedirs(OUT, exist_ok=True)
    torch.set_grad_enabled(False)
    seed = 1
    for name, (model, shape, sequence) in {**layer_models(), **network_models()}.items():
        randomized(model, seed)
        seed += 1
        layers = ctnn_export.export(model, shape, name, OUT, sequence=sequence, origin="tests/import/generate.py")
        print("%-22s %2d layers" % (name, len(layers)))
    for name, (model, shape, sequence) in rtneural_models().items():
        randomized(model, seed)
        seed += 1
        # the golden activations and the C++ type from the exporter, the weights as RTNeural JSON
        layers = ctnn_export.export(model, shape, name, OUT, sequence=sequence, origin="tests/import/generate.py")
        for stale in (name + ".ctnn", name + "_weights.hpp"):
            os.remove(os.path.join(OUT, stale))
        doc = rtneural_json(model, shape[0] if sequence else 0, shape[-1])
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(doc, f, indent=1)
        print("%-22s %2d layers, %d RTNeural layers" % (name, len(layers), len(doc["layers"])))
    for name, (model, shape, sequence) in {**later_layer_models(), **idiom_models()}.items():
        randomized(model, seed)
        seed += 1
        layers = ctnn_export.export(model, shape, name, OUT, sequence=sequence, origin="tests/import/generate.py")
        print("%-22s %2d layers" % (name, len(layers)))
    for name, (model, shape, sequence) in {**graph_layer_models(), **sequence_models()}.items():
        randomized(model, seed)
        seed += 1
        layers = ctnn_export.export(model, shape, name, OUT, sequence=sequence, origin="tests/import/generate.py")
        print("%-22s %2d layers" % (name, len(layers)))
    write_rtneural_layer_models()
    seed = write_onnx_models(seed)
    for name, (model, shape, sequence) in public_idiom_models().items():
        randomized(model, seed)
        seed += 1
        layers = ctnn_export.export(model, shape, name, OUT, sequence=sequence, origin="tests/import/generate.py")
        print("%-22s %2d layers" % (name, len(layers)))
    write_onnx_models(seed, onnx_idiom_models())
    # the repository's C++ files follow .clang-format (.ci/format checks them)
    if shutil.which("clang-format"):
        subprocess.run(["clang-format", "-i"] + sorted(os.path.join(OUT, f) for f in os.listdir(OUT)
                                                       if f.endswith(".hpp")), check=True)


if __name__ == "__main__":
    main()
