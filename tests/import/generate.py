#!/usr/bin/env python3
"""Regenerates tests/import/fixtures with PyTorch (Debian's python3-torch) and the exporter.

    apt-get install python3-torch
    /usr/bin/python3 tests/import/generate.py

Each model below goes through examples/pytorch/ctnn_export.py, as a user's would: the generated
type (NAME.hpp), the weights (NAME.ctnn), the golden activations of every layer (NAME.golden)
and the embedded weights (NAME_weights.hpp). It also writes RTNeural-format JSON files
(rtneural_*.json) from PyTorch models, in the layout RTNeural's Keras exporter writes (kernels
[in][out], Keras gate orders), with the same golden activations. tests/import/*.cpp read these
files and need no Python. Every parameter is drawn from a seeded generator, batch-norm running
statistics included, so that folding is exercised with values far from the identity.
"""
import json
import os
import sys

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "pytorch"))
import ctnn_export  # noqa: E402


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


def check_refusals():
    """What the exporter cannot express is refused, naming the module's path and type."""
    cases = [
        (nn.Sequential(nn.Linear(4, 8), nn.PReLU()), (4,), False, "1 (PReLU)"),
        (nn.Sequential(nn.Sequential(nn.Linear(4, 4), nn.Hardswish())), (4,), False, "0.1 (Hardswish)"),
        (LastStep(nn.LSTM(2, 3, bidirectional=True), nn.Linear(6, 1)), (5, 2), True, "rnn (LSTM): bidirectional"),
        (nn.Sequential(nn.Conv2d(2, 2, 3, groups=2)), (2, 5, 5), False, "0 (Conv2d): groups=2"),
        (nn.Sequential(nn.ReLU(), nn.BatchNorm1d(4, track_running_stats=False)), (4,), False,
         "1 (BatchNorm1d): track_running_stats=False"),
        (nn.Sequential(nn.Linear(4, 4)), (2, 4), False, "0 (Linear): expects a vector"),
    ]
    for model, shape, sequence, expected in cases:
        try:
            ctnn_export.export(model.eval(), shape, "refused", "/nonexistent", sequence=sequence)
        except ctnn_export.UnsupportedModel as e:
            assert expected in str(e), "refusal %r does not name %r" % (str(e), expected)
            print("refused as expected: %s" % e)
        else:
            raise AssertionError("exported a model it should refuse (%s)" % expected)


def main():
    check_refusals()
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
    for name, (model, shape, sequence) in later_layer_models().items():
        randomized(model, seed)
        seed += 1
        layers = ctnn_export.export(model, shape, name, OUT, sequence=sequence, origin="tests/import/generate.py")
        print("%-22s %2d layers" % (name, len(layers)))


if __name__ == "__main__":
    main()
