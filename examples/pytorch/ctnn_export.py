#!/usr/bin/env python3
"""Exports a trained PyTorch model to ctnn: the C++ type, the weights, and golden activations.

Run with Debian's PyTorch (apt-get install python3-torch; /usr/bin/python3). The C++ build and
tests never need it.

    /usr/bin/python3 examples/pytorch/ctnn_export.py model.pt --input-shape 1,28,28 --name mnist_cnn --out DIR
    /usr/bin/python3 examples/pytorch/ctnn_export.py lstm.pt --sequence 10,1 --name lstm_model --out DIR

or from Python:

    import ctnn_export
    ctnn_export.export(model, input_shape=(1, 28, 28), name="mnist_cnn", out_dir="DIR")

It writes four files into DIR:

    NAME.hpp          namespace NAME { using model = ctnn::network<...>; }  -- the type, generated
    NAME.ctnn         the weights, as ctnn::save writes them (ctnn::load(net, "NAME.ctnn"))
    NAME.golden       golden activations: every layer's output for a few inputs
                      (ctnn::check_layers(net, ctnn::read_golden("NAME.golden")))
    NAME_weights.hpp  the weights as constexpr data (ctnn::make<NAME::model>(NAME::embedded_weights))

Supported modules, in nn.Sequential (nested too) or in a module whose forward torch.fx can trace
(a chain; branches that join by an addition, a product or torch.cat, as parallel<...> blocks;
a tuple of outputs, as heads<...>): Linear, Conv1d, Conv2d (any groups, zero padding), MaxPool1d/2d,
AvgPool1d/2d (count_include_pad), AdaptiveAvgPool1d/2d(1), Flatten, ReLU, LeakyReLU, Sigmoid,
Tanh, GELU (exact), PReLU (one slope, or one per channel), Softmax and LogSoftmax (over a
vector), ConvTranspose2d (groups 1), Upsample
(nearest, whole scale factors), LayerNorm (over the sample, or the
features of each step), RNN/LSTM/GRU (unidirectional, any num_layers, with
`out, _ = rnn(x)` and then `out[-1]` / `out[:, -1]` for the last step), and Identity and Dropout
(no-ops at inference). A BatchNorm1d/2d right after a Linear or Conv is folded into it (its running
statistics, as in eval mode); after anything else it becomes ctnn's batch_norm, with its running
statistics. Anything else is refused naming the module's path and type.
"""
import argparse
import dis
import fractions
import inspect
import math
import operator
import os
import struct
import sys

import torch
import torch.fx
import torch.nn as nn

FORMAT_VERSION = 1


class UnsupportedModel(ValueError):
    """The model uses something ctnn cannot express; the message names the module and its type."""


# ---------------------------------------------------------------------------------------------
# The ctnn layers the exporter emits: their C++ spelling, their name (as ctnn's layer name()
# prints it, for the fingerprint), their output shape and their parameters in PyTorch's order.

class Layer:
    def __init__(self, cpp, name, shape, params=(), sequence=False, source=""):
        self.cpp = cpp              # C++ spelling, e.g. "ctnn::dense<16>"
        self.name = name            # ctnn's name(), e.g. "dense<16>"
        self.shape = tuple(shape)   # output extents
        self.sequence = sequence    # output is a sequence<Steps, Features>
        # float32, as the weight file holds them (a folded batch norm is computed in float64 and
        # rounded once), so that the golden values follow from exactly the weights ctnn loads
        self.params = [p.detach().to(torch.float32).to(torch.float64).reshape(-1) for p in params]
        for p in self.params:
            if not torch.isfinite(p).all():
                raise UnsupportedModel("%s: a parameter is not finite (NaN or infinity); ctnn refuses such weights"
                                       % source)
        self.source = source        # the PyTorch module path it came from
        self.golden = None          # [K, size] float64, filled in by the run

    def shape_string(self):
        if getattr(self, "shape_text", None):  # inputs<...>: every input's shape
            return self.shape_text
        return ("sequence<" if self.sequence else "shape<") + ", ".join(str(d) for d in self.shape) + ">"


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _single(v):
    return v[0] if isinstance(v, (tuple, list)) else v


def _options(items):
    """[(cpp, name)] of window options -> (", cpp..." , ", name...")."""
    return "".join(", " + c for c, _ in items), "".join(", " + n for _, n in items)


def _window_options(stride, padding, dilation, one_d, default_stride, groups=1):
    opts = []
    if stride != default_stride:
        opts.append(("ctnn::stride<%d>" % stride[1] if one_d else "ctnn::stride<%d, %d>" % stride,
                     "stride<%d, %d>" % ((stride[1], stride[1]) if one_d else stride)))
    if padding == "same":
        opts.append(("ctnn::same", "same"))
    elif padding != (0, 0):
        opts.append(("ctnn::padding<%d>" % padding[1] if one_d else "ctnn::padding<%d, %d>" % padding,
                     "padding<%d, %d>" % ((padding[1], padding[1]) if one_d else padding)))
    if dilation != (1, 1):
        opts.append(("ctnn::dilation<%d>" % dilation[1] if one_d else "ctnn::dilation<%d, %d>" % dilation,
                     "dilation<%d, %d>" % ((dilation[1], dilation[1]) if one_d else dilation)))
    if groups != 1:
        opts.append(("ctnn::groups<%d>" % groups, "groups<%d>" % groups))
    return _options(opts)


def _out_extent(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _fold_batch_norm(weight, bias, bn, path):
    """W' = W g / sqrt(var + eps) per output channel, b' = (b - mean) g / sqrt(var + eps) + beta."""
    if bn.running_mean is None or bn.running_var is None:
        raise UnsupportedModel("%s (%s): batch norm without running statistics (track_running_stats=False) "
                               "cannot be folded" % (path, type(bn).__name__))
    w = weight.detach().to(torch.float64)
    b = torch.zeros(w.shape[0], dtype=torch.float64) if bias is None else bias.detach().to(torch.float64)
    gamma = torch.ones_like(b) if bn.weight is None else bn.weight.detach().to(torch.float64)
    beta = torch.zeros_like(b) if bn.bias is None else bn.bias.detach().to(torch.float64)
    scale = gamma / torch.sqrt(bn.running_var.detach().to(torch.float64) + bn.eps)
    w = w * scale.reshape((-1,) + (1,) * (w.dim() - 1))
    b = (b - bn.running_mean.detach().to(torch.float64)) * scale + beta
    return w, b


def _zeros_if_none(bias, n):
    return torch.zeros(n, dtype=torch.float64) if bias is None else bias


def _layer_for_module(m, path, in_shape, in_sequence, folded_bn):
    """The ctnn layers (a list: stacked recurrent layers give several) for module m."""
    kind = type(m).__name__
    def refuse(why):
        raise UnsupportedModel("%s (%s): %s" % (path, kind, why))
    def needs_rank(r, what):
        if in_sequence or len(in_shape) != r:
            refuse("expects %s, receives %s %s" % (what, "a sequence" if in_sequence else "shape",
                                                   tuple(in_shape)))

    if isinstance(m, nn.Linear):
        if in_sequence:  # PyTorch applies it to every step: per_step<dense<N>>
            if folded_bn is not None:
                refuse("a batch norm after a Linear on a sequence normalizes over the steps, which ctnn does not")
            steps = in_shape[0]
            return [Layer("ctnn::per_step<ctnn::dense<%d>>" % m.out_features, "per_step<dense<%d>>" % m.out_features,
                          (steps, m.out_features), [m.weight, _zeros_if_none(m.bias, m.out_features)], sequence=True,
                          source=path)]
        needs_rank(1, "a vector (put nn.Flatten() or x.view(x.size(0), -1) before it)")
        w, b = m.weight, _zeros_if_none(m.bias, m.out_features)
        if folded_bn is not None:
            w, b = _fold_batch_norm(m.weight, m.bias, folded_bn, path)
        return [Layer("ctnn::dense<%d>" % m.out_features, "dense<%d>" % m.out_features, (m.out_features,), [w, b],
                      source=path)]
    if isinstance(m, (nn.Conv1d, nn.Conv2d)):
        one_d = isinstance(m, nn.Conv1d)
        needs_rank(2 if one_d else 3, "[channels, length]" if one_d else "[channels, height, width]")
        if m.padding_mode != "zeros":
            refuse("padding_mode='%s' (ctnn pads with zeros)" % m.padding_mode)
        k = (1, m.kernel_size[0]) if one_d else tuple(m.kernel_size)
        s = (1, m.stride[0]) if one_d else tuple(m.stride)
        d = (1, m.dilation[0]) if one_d else tuple(m.dilation)
        if isinstance(m.padding, str):
            pad = "same" if m.padding == "same" else (0, 0)
        else:
            pad = (0, m.padding[0]) if one_d else tuple(m.padding)
        cpp_opts, name_opts = _window_options(s, pad, d, one_d, (1, 1), m.groups)
        f = m.out_channels
        if pad == "same":
            pad = tuple(dd * (kk - 1) // 2 for kk, dd in zip(k, d))
        if one_d:
            shape = (f, _out_extent(in_shape[1], k[1], s[1], pad[1], d[1]))
            cpp, name = "ctnn::conv1d<%d, %d%s>" % (f, k[1], cpp_opts), "conv1d<%d, %d%s>" % (f, k[1], name_opts)
        else:
            shape = (f, _out_extent(in_shape[1], k[0], s[0], pad[0], d[0]),
                     _out_extent(in_shape[2], k[1], s[1], pad[1], d[1]))
            cpp = "ctnn::conv2d<%d, ctnn::kernel<%d, %d>%s>" % (f, k[0], k[1], cpp_opts)
            name = "conv2d<%d, kernel<%d, %d>%s>" % (f, k[0], k[1], name_opts)
        w, b = m.weight, _zeros_if_none(m.bias, f)
        if folded_bn is not None:
            w, b = _fold_batch_norm(m.weight, m.bias, folded_bn, path)
        return [Layer(cpp, name, shape, [w, b], source=path)]
    if isinstance(m, nn.ConvTranspose2d):
        needs_rank(3, "[channels, height, width]")
        if m.groups != 1:
            refuse("groups=%d (ctnn's transposed convolutions have groups=1)" % m.groups)
        if m.padding_mode != "zeros":
            refuse("padding_mode='%s' (ctnn pads with zeros)" % m.padding_mode)
        k, s, p, d, op = (tuple(v) for v in (m.kernel_size, m.stride, m.padding, m.dilation, m.output_padding))
        opts = []
        for value, default, option in ((s, (1, 1), "stride"), (p, (0, 0), "padding"), (d, (1, 1), "dilation"),
                                       (op, (0, 0), "output_padding")):
            if value != default:
                opts.append(("ctnn::%s<%d, %d>" % ((option,) + value), "%s<%d, %d>" % ((option,) + value)))
        cpp_opts, name_opts = _options(opts)
        f = m.out_channels
        shape = (f,) + tuple((n - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1
                             for i, n in enumerate(in_shape[1:]))
        return [Layer("ctnn::conv_transpose2d<%d, ctnn::kernel<%d, %d>%s>" % ((f,) + k + (cpp_opts,)),
                      "conv_transpose2d<%d, kernel<%d, %d>%s>" % ((f,) + k + (name_opts,)), shape,
                      [m.weight, _zeros_if_none(m.bias, f)], source=path)]
    if isinstance(m, nn.Upsample):
        needs_rank(3, "[channels, height, width]")
        if m.mode != "nearest" or m.size is not None or m.scale_factor is None:
            refuse("mode='%s', size=%s (ctnn's upsample2d is nearest, by an integer scale_factor)" % (m.mode, m.size))
        sf = m.scale_factor if isinstance(m.scale_factor, (tuple, list)) else (m.scale_factor, m.scale_factor)
        if any(float(v) != int(v) or int(v) < 1 for v in sf):
            refuse("scale_factor=%s (ctnn's upsample2d takes whole factors)" % (m.scale_factor,))
        fh, fw = int(sf[0]), int(sf[1])
        args = "%d" % fh if fh == fw else "%d, %d" % (fh, fw)
        return [Layer("ctnn::upsample2d<%s>" % args, "upsample2d<%s>" % args,
                      (in_shape[0], in_shape[1] * fh, in_shape[2] * fw), source=path)]
    if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d)):
        one_d = isinstance(m, (nn.MaxPool1d, nn.AvgPool1d))
        is_max = isinstance(m, (nn.MaxPool1d, nn.MaxPool2d))
        needs_rank(2 if one_d else 3, "[channels, length]" if one_d else "[channels, height, width]")
        if m.ceil_mode:
            refuse("ceil_mode=True (ctnn's pools round down)")
        if is_max and m.return_indices:
            refuse("return_indices=True")
        if not is_max and (not m.count_include_pad or getattr(m, "divisor_override", None) is not None):
            refuse("count_include_pad=False or divisor_override (ctnn's average counts the padding)")
        k = (1, _single(m.kernel_size)) if one_d else _pair(m.kernel_size)
        s = (1, _single(m.stride)) if one_d else _pair(m.stride)
        p = (0, _single(m.padding)) if one_d else _pair(m.padding)
        d = ((1, _single(m.dilation)) if one_d else _pair(m.dilation)) if is_max else (1, 1)
        cpp_opts, name_opts = _window_options(s, p, d, one_d, k)
        base = ("max" if is_max else "avg") + ("_pool1d" if one_d else "_pool2d")
        window = "window<%d>" % k[1] if one_d else "window<%d, %d>" % k
        shape = ((in_shape[0], _out_extent(in_shape[1], k[1], s[1], p[1], d[1])) if one_d else
                 (in_shape[0], _out_extent(in_shape[1], k[0], s[0], p[0], d[0]),
                  _out_extent(in_shape[2], k[1], s[1], p[1], d[1])))
        return [Layer("ctnn::%s<ctnn::%s%s>" % (base, window, cpp_opts), "%s<%s%s>" % (base, window, name_opts),
                      shape, source=path)]
    if isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)):
        size = m.output_size if isinstance(m.output_size, (tuple, list)) else (m.output_size,)
        if any(v != 1 for v in size):
            refuse("output_size=%s (ctnn has the global average, output size 1)" % (m.output_size,))
        needs_rank(2 if isinstance(m, nn.AdaptiveAvgPool1d) else 3, "[channels, ...]")
        return [Layer("ctnn::global_avg_pool", "global_avg_pool", (in_shape[0],), source=path)]
    if isinstance(m, nn.Flatten):
        if m.start_dim != 1 or m.end_dim != -1:
            refuse("start_dim=%d, end_dim=%d (ctnn's flatten keeps the batch: start_dim=1, end_dim=-1)"
                   % (m.start_dim, m.end_dim))
        if in_sequence:
            refuse("flattening a sequence (take its last step first: out[-1])")
        return [Layer("ctnn::flatten", "flatten", (math.prod(in_shape),), source=path)]
    activation = _activation(m, refuse, in_shape, in_sequence)
    if activation is not None:
        cpp, name = activation
        return [Layer(cpp, name, in_shape, sequence=in_sequence, source=path)]
    if isinstance(m, (nn.RNN, nn.LSTM, nn.GRU)):
        if not in_sequence:
            refuse("a recurrent layer needs a sequence input (export with --sequence STEPS,FEATURES)")
        if m.bidirectional:
            refuse("bidirectional=True (ctnn's recurrent layers run forward in time)")
        if getattr(m, "proj_size", 0):
            refuse("proj_size=%d" % m.proj_size)
        if in_shape[1] != m.input_size:
            refuse("input_size=%d, but it receives %d features" % (m.input_size, in_shape[1]))
        h = m.hidden_size
        if isinstance(m, nn.LSTM):
            cpp, name = "ctnn::lstm<%d>" % h, "lstm<%d>" % h
        elif isinstance(m, nn.GRU):
            cpp, name = "ctnn::gru<%d>" % h, "gru<%d>" % h
        elif m.nonlinearity == "relu":
            cpp, name = "ctnn::rnn<%d, ctnn::relu>" % h, "rnn<%d, relu>" % h
        else:
            cpp, name = "ctnn::rnn<%d>" % h, "rnn<%d>" % h
        layers = []
        gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]
        for l in range(m.num_layers):
            params = [getattr(m, "weight_ih_l%d" % l), getattr(m, "weight_hh_l%d" % l)]
            params += ([getattr(m, "bias_ih_l%d" % l), getattr(m, "bias_hh_l%d" % l)] if m.bias else
                       [torch.zeros(gates * h), torch.zeros(gates * h)])
            layers.append(Layer(cpp, name, (in_shape[0], h), params, sequence=True,
                                source=path if m.num_layers == 1 else "%s (layer %d)" % (path, l)))
        return layers
    if isinstance(m, nn.LayerNorm):
        want = (in_shape[1],) if in_sequence else tuple(in_shape)
        if tuple(m.normalized_shape) != want:
            refuse("normalized_shape=%s; ctnn's layer_norm normalizes %s" % (tuple(m.normalized_shape), want))
        if abs(m.eps - 1e-5) > 1e-12:
            refuse("eps=%g (ctnn's layer_norm uses PyTorch's default 1e-5)" % m.eps)
        size = math.prod(want)
        params = [m.weight, m.bias] if m.elementwise_affine else [torch.ones(size), torch.zeros(size)]
        return [Layer("ctnn::layer_norm", "layer_norm", in_shape, params, sequence=in_sequence, source=path)]
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):  # not after a Linear or Conv: ctnn's batch_norm
        if in_sequence:
            refuse("on a sequence (ctnn's batch_norm takes features or channel maps)")
        if m.running_mean is None or m.running_var is None:
            refuse("track_running_stats=False (ctnn's batch_norm keeps running statistics)")
        if abs(m.eps - 1e-5) > 1e-12:
            refuse("eps=%g (ctnn's batch_norm uses PyTorch's default 1e-5)" % m.eps)
        rank = 3 if isinstance(m, nn.BatchNorm2d) else None
        if (rank and len(in_shape) != 3) or (not rank and len(in_shape) not in (1, 2)):
            refuse("input of shape %s" % (tuple(in_shape),))
        if m.num_features != in_shape[0]:
            refuse("num_features=%d, but its input has %d channels" % (m.num_features, in_shape[0]))
        c = m.num_features
        params = [m.weight if m.affine else torch.ones(c), m.bias if m.affine else torch.zeros(c), m.running_mean,
                  m.running_var]
        return [Layer("ctnn::batch_norm", "batch_norm", in_shape, params, source=path)]
    if isinstance(m, nn.PReLU):
        if m.num_parameters == 1:
            return [Layer("ctnn::prelu", "prelu", in_shape, [m.weight], sequence=in_sequence, source=path)]
        if in_sequence or m.num_parameters != in_shape[0]:
            refuse("num_parameters=%d: ctnn's PReLU has one slope, or one per channel (%s's first dimension, %d)" %
                   (m.num_parameters, "a sequence" if in_sequence else "the input", in_shape[0]))
        return [Layer("ctnn::channel_prelu", "channel_prelu", in_shape, [m.weight], source=path)]
    refuse("not a module ctnn can express (see the list in ctnn_export.py)")


def _activation(m, refuse, in_shape, in_sequence):
    if isinstance(m, nn.ReLU):
        return "ctnn::relu", "relu"
    if isinstance(m, nn.Sigmoid):
        return "ctnn::sigmoid", "sigmoid"
    if isinstance(m, nn.Tanh):
        return "ctnn::tanh", "tanh"
    if isinstance(m, nn.GELU):
        if getattr(m, "approximate", "none") != "none":
            refuse("approximate='%s' (ctnn's gelu is the exact erf form)" % m.approximate)
        return "ctnn::gelu", "gelu"
    if isinstance(m, nn.LeakyReLU):
        slope = fractions.Fraction(m.negative_slope).limit_denominator(1000000)
        if float(slope) != float(m.negative_slope) or not 0 <= slope < 1:
            refuse("negative_slope=%r is not a ratio Num/Den in [0, 1)" % m.negative_slope)
        return ("ctnn::leaky_relu_slope<%d, %d>" % (slope.numerator, slope.denominator),
                "leaky_relu_slope<%d, %d>" % (slope.numerator, slope.denominator))
    if isinstance(m, nn.SiLU):
        return "ctnn::silu", "silu"
    if isinstance(m, nn.ELU):
        alpha = fractions.Fraction(m.alpha).limit_denominator(1000000)
        if float(alpha) != float(m.alpha) or alpha <= 0:
            refuse("alpha=%r is not a positive ratio Num/Den" % m.alpha)
        name = "elu_alpha<%d, %d>" % (alpha.numerator, alpha.denominator)
        return ("ctnn::elu" if alpha == 1 else "ctnn::" + name), name
    if isinstance(m, nn.Hardtanh):  # nn.ReLU6 too
        lo, hi = m.min_val, m.max_val
        if lo != int(lo) or hi != int(hi):
            refuse("min_val=%r, max_val=%r (ctnn's hardtanh_range takes whole bounds)" % (lo, hi))
        name = "hardtanh_range<%d, %d>" % (lo, hi)
        cpp = {(0, 6): "ctnn::relu6", (-1, 1): "ctnn::hardtanh"}.get((int(lo), int(hi)), "ctnn::" + name)
        return cpp, name
    if isinstance(m, nn.Hardswish):
        return "ctnn::hardswish", "hardswish"
    if isinstance(m, nn.Hardsigmoid):
        return "ctnn::hardsigmoid", "hardsigmoid"
    if isinstance(m, nn.LogSoftmax):
        if in_sequence or len(in_shape) != 1 or m.dim not in (1, -1):
            refuse("log_softmax over dim=%s of %s (ctnn's is over a whole vector sample)" % (m.dim, in_shape))
        return "ctnn::log_softmax", "log_softmax"
    if isinstance(m, nn.Softmax):
        if in_sequence or len(in_shape) != 1 or m.dim not in (1, -1):
            refuse("softmax over dim=%s of %s (ctnn's softmax is over a whole vector sample)" % (m.dim, in_shape))
        return "ctnn::softmax", "softmax"
    return None


# ---------------------------------------------------------------------------------------------
# Walking the model: torch.fx gives the chain of modules and the few functions between them.

def _is_last_step_index(idx, batch_first):
    full = slice(None, None, None)
    if batch_first:
        return idx in ((full, -1), (full, -1, full))
    return idx == -1 or idx in ((-1,), (-1, full), (-1, full, full))


_F = torch.nn.functional


def _dropout_at_inference(a, what):
    if a["training"]:
        raise UnsupportedModel("%s with training=True (its default) drops values at inference too; write "
                               "%s(x, p, training=self.training) or use nn.Dropout" % (what, what))
    return nn.Identity()


def _pool_args(a, *names):
    return {k: a[k] for k in names}


# A traced call of a function (torch.relu(x), F.max_pool2d(x, 2), ...) as the module it stands
# for: function -> (its parameters after the input, in order, with their defaults; the module).
# Every keyword the function takes is accepted (F.relu(x, inplace=True) is ReLU); values the
# module refuses are refused as for the module.
_FUNCTION_MODULES = [
    ((torch.relu, _F.relu), (("inplace", False),), lambda a: nn.ReLU()),
    ((torch.sigmoid, _F.sigmoid), (), lambda a: nn.Sigmoid()),
    ((torch.tanh, _F.tanh), (), lambda a: nn.Tanh()),
    ((_F.gelu,), (("approximate", "none"),), lambda a: nn.GELU(approximate=a["approximate"])),
    ((_F.leaky_relu,), (("negative_slope", 0.01), ("inplace", False)), lambda a: nn.LeakyReLU(a["negative_slope"])),
    ((_F.silu,), (("inplace", False),), lambda a: nn.SiLU()),
    ((_F.elu,), (("alpha", 1.0), ("inplace", False)), lambda a: nn.ELU(a["alpha"])),
    ((_F.relu6,), (("inplace", False),), lambda a: nn.ReLU6()),
    ((_F.hardtanh,), (("min_val", -1.0), ("max_val", 1.0), ("inplace", False)),
     lambda a: nn.Hardtanh(a["min_val"], a["max_val"])),
    ((_F.hardswish,), (("inplace", False),), lambda a: nn.Hardswish()),
    ((_F.hardsigmoid,), (("inplace", False),), lambda a: nn.Hardsigmoid()),
    ((_F.max_pool2d, torch.max_pool2d),
     (("kernel_size", None), ("stride", None), ("padding", 0), ("dilation", 1), ("ceil_mode", False),
      ("return_indices", False)),
     lambda a: nn.MaxPool2d(**_pool_args(a, "kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                         "return_indices"))),
    ((_F.max_pool1d, torch.max_pool1d),
     (("kernel_size", None), ("stride", None), ("padding", 0), ("dilation", 1), ("ceil_mode", False),
      ("return_indices", False)),
     lambda a: nn.MaxPool1d(**_pool_args(a, "kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                         "return_indices"))),
    ((_F.avg_pool2d,),
     (("kernel_size", None), ("stride", None), ("padding", 0), ("ceil_mode", False), ("count_include_pad", True),
      ("divisor_override", None)),
     lambda a: nn.AvgPool2d(**a)),
    ((_F.avg_pool1d,),
     (("kernel_size", None), ("stride", None), ("padding", 0), ("ceil_mode", False), ("count_include_pad", True)),
     lambda a: nn.AvgPool1d(**a)),
    ((_F.adaptive_avg_pool2d,), (("output_size", None),), lambda a: nn.AdaptiveAvgPool2d(a["output_size"])),
    ((_F.adaptive_avg_pool1d,), (("output_size", None),), lambda a: nn.AdaptiveAvgPool1d(a["output_size"])),
    ((_F.dropout,), (("p", 0.5), ("training", True), ("inplace", False)),
     lambda a: _dropout_at_inference(a, "F.dropout")),
    ((_F.dropout2d,), (("p", 0.5), ("training", True), ("inplace", False)),
     lambda a: _dropout_at_inference(a, "F.dropout2d")),
    ((_F.softmax,), (("dim", None), ("_stacklevel", 3), ("dtype", None)), lambda a: nn.Softmax(a["dim"])),
    ((torch.softmax,), (("dim", None), ("dtype", None)), lambda a: nn.Softmax(a["dim"])),
    ((_F.log_softmax,), (("dim", None), ("_stacklevel", 3), ("dtype", None)), lambda a: nn.LogSoftmax(a["dim"])),
    ((torch.log_softmax,), (("dim", None), ("dtype", None)), lambda a: nn.LogSoftmax(a["dim"])),
    ((torch.flatten,), (("start_dim", 0), ("end_dim", -1)), lambda a: nn.Flatten(a["start_dim"], a["end_dim"])),
]

# The same for methods of the tensor: x.relu(), x.softmax(dim=1), x.flatten(1), ...
_METHOD_MODULES = {
    "relu": ((), lambda a: nn.ReLU()),
    "sigmoid": ((), lambda a: nn.Sigmoid()),
    "tanh": ((), lambda a: nn.Tanh()),
    "softmax": ((("dim", None),), lambda a: nn.Softmax(a["dim"])),
    "log_softmax": ((("dim", None),), lambda a: nn.LogSoftmax(a["dim"])),
    "flatten": ((("start_dim", 0), ("end_dim", -1)), lambda a: nn.Flatten(a["start_dim"], a["end_dim"])),
    "contiguous": ((), lambda a: nn.Identity()),
}


def _bind(n, parameters, what):
    """The arguments of call n after its input, by parameter name, defaults filled in."""
    names = [p for p, _ in parameters]
    values = dict(parameters)
    positional = list(n.args[1:])
    if len(positional) > len(names):
        raise UnsupportedModel("%s: %s takes %d arguments after the input, got %d" %
                               (n.name, what, len(names), len(positional)))
    for name, v in zip(names, positional):
        values[name] = v
    for name, v in n.kwargs.items():
        if name not in values:
            raise UnsupportedModel("%s: %s has no argument '%s'" % (n.name, what, name))
        values[name] = v
    for name, v in values.items():
        if isinstance(v, torch.fx.Node):
            raise UnsupportedModel("%s: %s's argument '%s' is computed at run time; ctnn needs it fixed" %
                                   (n.name, what, name))
    return values


def _module_for_function(n):
    """The module a traced function or method call stands for (torch.relu(x) is nn.ReLU()), or None."""
    if n.op == "call_function":
        for functions, parameters, make in _FUNCTION_MODULES:
            if any(n.target is f for f in functions):
                return make(_bind(n, parameters, getattr(n.target, "__name__", str(n.target))))
    if n.op == "call_method" and n.target in _METHOD_MODULES:
        parameters, make = _METHOD_MODULES[n.target]
        return make(_bind(n, parameters, "x." + n.target + "()"))
    return None


def _is_batch_size(a, value, chain_at):
    """Whether argument a of a view is the batch size of the chain's value (x.size(0), x.shape[0])."""
    return isinstance(a, torch.fx.Node) and value.get(a.name) == ("batch size", chain_at)


def _view_shape(n, value, chain_at, in_shape):
    """The per-sample shape x.view(...) / x.reshape(...) gives, or None if it does not keep the batch
    as the first dimension. Accepts x.view(x.size(0), -1), x.view(-1, N), x.view(x.shape[0], C, H)."""
    dims = list(n.args[1:])
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = list(dims[0])
    size = math.prod(in_shape)
    if not dims:
        return None
    first, rest = dims[0], dims[1:]
    if any(isinstance(d, torch.fx.Node) for d in rest):
        return None
    if _is_batch_size(first, value, chain_at):
        if rest.count(-1) > 1:
            return None
        known = math.prod(d for d in rest if d != -1)
        if -1 in rest:
            if known == 0 or size % known:
                return None
            rest = [size // known if d == -1 else d for d in rest]
        return tuple(rest) if math.prod(rest) == size else None
    if first == -1 and rest and -1 not in rest and math.prod(rest) == size:
        return tuple(rest)  # x.view(-1, N): the batch is what remains
    return None


class _Proxy(torch.fx.Proxy):
    """torch.fx's Proxy, but `out, state = rnn(x)` traces on Python 3.11 too: torch 1.13 finds the
    unpacking instruction by f_lasti // 2, which 3.11's inline caches make point elsewhere. And
    `if (x.is_cuda or x.is_xpu) and self.ngpu > 1:` (pytorch/examples' DCGAN) takes the CPU path:
    ctnn runs on the CPU."""

    @property
    def is_cuda(self):
        return False

    @property
    def is_xpu(self):
        return False

    def __iter__(self):
        frame = inspect.currentframe().f_back
        inst = next((i for i in dis.get_instructions(frame.f_code) if i.offset == frame.f_lasti), None)
        if inst is not None and inst.opname == "UNPACK_SEQUENCE":
            return (self[i] for i in range(inst.argval))
        return super().__iter__()


class _Tracer(torch.fx.Tracer):
    def proxy(self, node):
        return _Proxy(node, self)


def _is_size_query(n):
    """x.size(0), x.shape, x.shape[0]: reads the batch size, not the values."""
    return (n.op == "call_method" and n.target == "size") or \
        (n.op == "call_function" and n.target is getattr and n.args[1:] == ("shape",)) or \
        (n.op == "call_function" and n.target is operator.getitem and isinstance(n.args[0], torch.fx.Node) and
         _is_size_query(n.args[0]))


_ADDS = (operator.add, operator.iadd, torch.add)
_MULS = (operator.mul, operator.imul, torch.mul)


def _merge_of(n):
    """The merge a node joins branches with: ("add" | "multiply" | "concat", [argument nodes], dim),
    or None."""
    if n.op == "call_function" and any(n.target is f for f in _ADDS + _MULS) and len(n.args) == 2 and \
            all(isinstance(a, torch.fx.Node) for a in n.args) and not n.kwargs:
        return ("add" if any(n.target is f for f in _ADDS) else "multiply", list(n.args), None)
    if n.op == "call_method" and n.target in ("add", "mul", "add_", "mul_") and len(n.args) == 2 and \
            all(isinstance(a, torch.fx.Node) for a in n.args) and not n.kwargs:
        return ("add" if n.target.startswith("add") else "multiply", list(n.args), None)
    if n.op == "call_function" and n.target is torch.cat:
        tensors = n.args[0]
        dim = n.args[1] if len(n.args) > 1 else n.kwargs.get("dim", 0)
        if isinstance(tensors, (list, tuple)) and all(isinstance(a, torch.fx.Node) for a in tensors):
            return ("concat", list(tensors), dim)
    return None


class _Walk:
    """The traced forward as ctnn layers: chains of steps, a fork and its join (an addition, a
    product or torch.cat of the branches) as parallel<merge, branch<...>...>, and several outputs
    as heads<branch<...>...> after the trunk."""

    def __init__(self, model, input_shape, sequence, batch_first):
        self.model = model.eval()
        self.input_shape = tuple(input_shape)
        self.sequence = sequence
        self.batch_first = batch_first
        # several inputs: input_shape is a list of shapes, sequence a list of flags
        self.several = isinstance(input_shape, list)
        if self.several:
            self.input_shapes = [tuple(s) for s in input_shape]
            self.sequences = list(sequence) if isinstance(sequence, (list, tuple)) else [bool(sequence)] * len(
                input_shape)
            parts = ["%s<%s>" % ("sequence" if q else "shape", ", ".join(map(str, sh)))
                     for sh, q in zip(self.input_shapes, self.sequences)]
            total = sum(math.prod(sh) for sh in self.input_shapes)
            self.layers = [Layer("ctnn::inputs<%s>" % ", ".join("ctnn::" + x for x in parts),
                                 "inputs<%s>" % ", ".join(parts), (total,), source="inputs")]
            self.layers[0].shape_text = self.layers[0].name
        else:
            self.layers = [Layer("ctnn::input<ctnn::%s<%s>>" % ("sequence" if sequence else "shape",
                                                                 ", ".join(map(str, input_shape))),
                                 "input<%s<%s>>" % ("sequence" if sequence else "shape",
                                                    ", ".join(map(str, input_shape))),
                                 input_shape, sequence=sequence, source="input")]
        self.folded = set()  # batch-norm nodes folded into the layer before them
        self.emitted = {}    # module path -> the node that used it (a module with weights is used once)

    def _batch_size(self, n, value, at):
        """x.size(0), x.shape, x.shape[0] and x.size()[0] of the chain's value: the batch size a view keeps."""
        if n.op == "call_method" and n.target == "size" and tuple(n.args[1:]) == (0,) and not n.kwargs:
            value[n.name] = ("batch size", at)
            return True
        if (n.op == "call_function" and n.target is getattr and n.args[1:] == ("shape",)) or \
                (n.op == "call_method" and n.target == "size" and len(n.args) == 1 and not n.kwargs):
            value[n.name] = ("shape", at)  # x.shape, x.size(): x.size()[0] is the batch size
            return True
        return False

    def _view(self, n, value, at, layers):
        """x.view(...) / x.reshape(...): a flatten (or nothing) when it keeps the batch first."""
        prev = layers[-1]
        shape = _view_shape(n, value, at, prev.shape)
        if prev.sequence and shape != tuple(prev.shape):  # a sequence keeps its shape (x.reshape(-1, 28, 28))
            shape = None
        if shape is None:
            raise UnsupportedModel("%s: x.%s%s of a %s %s: ctnn takes views that keep the batch first and flatten "
                                   "the rest, as x.view(x.size(0), -1) or x.view(-1, %d)" %
                                   (n.name, n.target, tuple(a.name if isinstance(a, torch.fx.Node) else a
                                                            for a in n.args[1:]),
                                    "sequence" if prev.sequence else "sample of shape", tuple(prev.shape),
                                    math.prod(prev.shape)))
        if shape == tuple(prev.shape):
            value[n.name] = ("layer", at)
            return
        if len(shape) != 1:
            raise UnsupportedModel("%s: x.%s to per-sample shape %s (ctnn exports views that flatten, to %s)" %
                                   (n.name, n.target, shape, (math.prod(prev.shape),)))
        layers += _layer_for_module(nn.Flatten(), n.name, prev.shape, prev.sequence, None)
        layers[-1].module = nn.Flatten()
        value[n.name] = ("layer", len(layers) - 1)

    def run(self):
        try:
            graph = _Tracer().trace(self.model)
        except Exception as e:  # a forward torch.fx cannot trace (data-dependent control flow, ...)
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise UnsupportedModel("%s: torch.fx cannot trace its forward (%s: %s); write it as nn.Sequential or a "
                                   "chain of modules with additions and torch.cat" %
                                   (type(self.model).__name__, type(e).__name__, first))
        self.modules = dict(self.model.named_modules())
        nodes = list(graph.nodes)
        self.index = {n: i for i, n in enumerate(nodes)}
        placeholders = [n for n in nodes if n.op == "placeholder"]
        if len(placeholders) != (len(self.input_shapes) if self.several else 1):
            raise UnsupportedModel("%s: forward takes %d inputs; give the exporter as many input shapes (%d given)" %
                                   (type(self.model).__name__, len(placeholders),
                                    len(self.input_shapes) if self.several else 1))
        results = next(n for n in nodes if n.op == "output").args[0]
        if self.several:
            start = self._inputs_block(placeholders, results)
            if isinstance(results, (tuple, list)) and len(results) >= 2:
                self._heads(start, list(results))
            else:
                if isinstance(results, (tuple, list)):
                    results = results[0]
                self._segment(start, results, self.layers, {start.name: ("layer", len(self.layers) - 1)})
            return self.layers
        if isinstance(results, (tuple, list)) and len(results) >= 2:
            self._heads(placeholders[0], list(results))
        else:
            if isinstance(results, (tuple, list)):
                results = results[0]
            self._segment(placeholders[0], results, self.layers, {placeholders[0].name: ("layer", 0)})
        return self.layers

    # ---- the graph's shape: which nodes lie between two, where branches join ----

    def _region(self, start, target):
        """The nodes on some path from start to target (target included, start not)."""
        ahead, stack = set(), [start]
        while stack:
            for u in stack.pop().users:
                if u not in ahead:
                    ahead.add(u)
                    stack.append(u)
        behind, stack = {target}, [target]
        while stack:
            for a in stack.pop().all_input_nodes:
                if a not in behind:
                    behind.add(a)
                    stack.append(a)
        return ahead & behind

    def _join(self, fork, target):
        """The nearest node every path from fork to target passes through (its immediate
        post-dominator there): where the fork's branches join."""
        region = self._region(fork, target) | {fork}
        after = {}
        for n in sorted(region, key=self.index.get, reverse=True):
            if n is target:
                after[n] = {n}
                continue
            succ = [u for u in n.users if u in region]
            after[n] = (set.intersection(*(after[u] for u in succ)) if succ else set()) | {n}
        return min(after[fork] - {fork}, key=self.index.get)

    def _branch_users(self, n, region):
        return [u for u in n.users if u in region and not _is_size_query(u)]

    # ---- chains, blocks and heads ----

    def _segment(self, start, target, layers, value):
        """Appends to layers what computes target from start (whose value is layers[-1])."""
        name = type(self.model).__name__
        if not isinstance(target, torch.fx.Node):
            raise UnsupportedModel("%s: the output must be a tensor computed from the input" % name)
        if target is start:
            return
        region = self._region(start, target)
        if target not in region:
            raise UnsupportedModel("%s: '%s' is not computed from the input" % (name, target.name))
        cur, done = start, set()
        for n in sorted(region, key=self.index.get):
            if n in done or n.name in self.folded:
                continue
            if len(self._branch_users(cur, region)) >= 2 and n is not cur:
                join = self._join(cur, target)
                self._block(cur, join, layers)
                done |= self._region(cur, join)
                value[join.name] = ("layer", len(layers) - 1)
                cur = join
                continue
            held = self._step(n, layers, value)
            if held is not None:
                cur = held
        kind, at = value.get(target.name, ("", -1))
        if kind != "layer" or at != len(layers) - 1:
            raise UnsupportedModel("%s: the output must be the last layer's output (one tensor per output)" % name)

    def _block(self, fork, join, layers):
        """The branches from fork to join, joined as join merges them: a parallel<...> layer."""
        merge = _merge_of(join)
        if merge is None:
            raise UnsupportedModel("%s: the branches after '%s' join at '%s' (%s), which is not an addition, a "
                                   "product or torch.cat of them" % (type(self.model).__name__, fork.name,
                                                                      join.name, getattr(join.target, "__name__",
                                                                                         join.target)))
        kind, args, dim = merge
        prev = layers[-1]
        branches = []
        for a in args:
            sub = [Layer("", "", prev.shape, sequence=prev.sequence, source=fork.name)]
            self._segment(fork, a, sub, {fork.name: ("layer", 0)})
            branches.append(sub[1:])
        outs = [b[-1] if b else prev for b in branches]
        self._append_block(kind, dim, branches, outs, join, layers)

    def _append_block(self, kind, dim, branches, outs, join, layers):
        """The parallel<kind, branch<...>...> layer of branches whose last layers are outs."""
        sequence = outs[0].sequence
        if kind == "concat":
            # the channels of maps and the features of vectors: dim 1 of [batch, ...]; the features
            # of each step of a sequence: dim 2 ([batch, steps, features] or [steps, batch, features])
            axis = 1 if sequence else 0
            expected = 2 if sequence else 1
            rank = len(outs[0].shape) + 1
            ok_dim = dim in (2, -1) if sequence else dim in (1, 1 - rank)
            if not ok_dim or any(o.sequence != sequence or len(o.shape) != len(outs[0].shape) or
                                 any(o.shape[i] != outs[0].shape[i] for i in range(len(o.shape)) if i != axis)
                                 for o in outs):
                raise UnsupportedModel("%s: torch.cat(dim=%s) of shapes %s: ctnn concatenates the channels of maps, "
                                       "the features of vectors and of each step of a sequence (dim=%d)" %
                                       (join.name, dim, [tuple(o.shape) for o in outs], expected))
            shape = list(outs[0].shape)
            shape[axis] = sum(o.shape[axis] for o in outs)
        else:
            if any(tuple(o.shape) != tuple(outs[0].shape) or o.sequence != sequence for o in outs):
                raise UnsupportedModel("%s: %s of shapes %s: ctnn's %s takes branches of one shape" %
                                       (join.name, kind, [tuple(o.shape) for o in outs], kind))
            shape = outs[0].shape
        cpp = "ctnn::parallel<ctnn::%s, %s>" % (kind, ", ".join(
            "ctnn::branch<%s>" % ", ".join(l.cpp for l in b) for b in branches))
        name = "parallel<%s, %s>" % (kind, ", ".join("branch<%s>" % ", ".join(l.name for l in b) for b in branches))
        layer = Layer(cpp, name, shape, [p for b in branches for l in b for p in l.params], sequence=sequence,
                      source="%s (%s)" % (join.name, "torch.cat" if kind == "concat" else kind))
        layer.branches, layer.merge = branches, kind
        layers.append(layer)

    def _inputs_block(self, placeholders, results):
        """Several inputs: they must first meet where a merge joins branches that each read one input
        (inputs<...>, then parallel<merge, branch<from<I>, ...>...>); returns that join."""
        name = type(self.model).__name__
        ends = list(results) if isinstance(results, (tuple, list)) else [results]
        region = set()
        for p in placeholders:
            for e in ends:
                region |= self._region(p, e)
        region |= set(placeholders)
        after = {}
        for n in sorted(region, key=self.index.get, reverse=True):
            succ = [u for u in n.users if u in region]
            after[n] = (set.intersection(*(after[u] for u in succ)) if succ else set()) | {n}
        common = set.intersection(*(after[p] for p in placeholders))
        if not common:
            raise UnsupportedModel("%s: its inputs never meet in one value; ctnn's inputs<...> joins them in the "
                                   "first block" % name)
        join = min(common, key=self.index.get)
        merge = _merge_of(join)
        if merge is None:
            raise UnsupportedModel("%s: its inputs meet at '%s', which is not an addition, a product or torch.cat of "
                                   "branches that each read one input" % (name, join.name))
        kind, args, dim = merge
        offsets, at = [], 0
        for sh in self.input_shapes:
            offsets.append(at)
            at += math.prod(sh)
        branches, outs = [], []
        for a in args:
            reads = [i for i, p in enumerate(placeholders) if p is a or a in self._region(p, a)]
            if len(reads) != 1:
                raise UnsupportedModel("%s: '%s' reads %s before the inputs are joined; each branch of the first "
                                       "block reads one input" % (name, a.name, "no input" if not reads else
                                                                  "several inputs"))
            i = reads[0]
            src = Layer("ctnn::from<%d>" % i, "from<%d>" % i, self.input_shapes[i], sequence=self.sequences[i],
                        source="input %d (%s)" % (i, placeholders[i].name))
            src.from_input = (offsets[i], self.input_shapes[i])
            sub = [src]
            self._segment(placeholders[i], a, sub, {placeholders[i].name: ("layer", 0)})
            branches.append(sub)
            outs.append(sub[-1])
        unread = [i for i in range(len(placeholders)) if not any(b[0].name == "from<%d>" % i for b in branches)]
        if unread:
            raise UnsupportedModel("%s: input %d is not read by the first block" % (name, unread[0]))
        self._append_block(kind, dim, branches, outs, join, self.layers)
        return join

    def _heads(self, start, results):
        """Several outputs: the trunk up to the last node every output depends on through, then
        one head per output."""
        name = type(self.model).__name__
        if not all(isinstance(r, torch.fx.Node) for r in results):
            raise UnsupportedModel("%s: every output must be a tensor computed from the input" % name)
        region = set()
        for r in results:
            region |= self._region(start, r)
        region.add(start)
        before = {}
        for n in sorted(region, key=self.index.get):
            preds = [a for a in n.all_input_nodes if a in region]
            before[n] = (set.intersection(*(before[a] for a in preds)) if preds else set()) | {n}
        trunk_end = max(set.intersection(*(before[r] for r in results)), key=self.index.get)
        if trunk_end in results:
            raise UnsupportedModel("%s: output '%s' is also the input of another output: ctnn's heads branch off "
                                   "one trunk" % (name, trunk_end.name))
        value = {start.name: ("layer", len(self.layers) - 1)}
        self._segment(start, trunk_end, self.layers, value)
        prev = self.layers[-1]
        branches = []
        for r in results:
            sub = [Layer("", "", prev.shape, sequence=prev.sequence, source=trunk_end.name)]
            self._segment(trunk_end, r, sub, {trunk_end.name: ("layer", 0)})
            branches.append(sub[1:])
        outs = [b[-1] if b else prev for b in branches]
        cpp = "ctnn::heads<%s>" % ", ".join("ctnn::branch<%s>" % ", ".join(l.cpp for l in b) for b in branches)
        label = "heads<%s>" % ", ".join("branch<%s>" % ", ".join(l.name for l in b) for b in branches)
        layer = Layer(cpp, label, (sum(math.prod(o.shape) for o in outs),),
                      [p for b in branches for l in b for p in l.params], source="heads (the outputs)")
        layer.branches, layer.merge = branches, "heads"
        self.layers.append(layer)

    def _step(self, n, layers, value):
        """One node of a chain: appends its layers (if any); returns the node that now holds the
        chain's value (None for a query of the batch size)."""
        name = type(self.model).__name__
        if not n.users:
            return None  # unused (the state of `out, _ = rnn(x)`)
        inputs = [a for a in n.args if isinstance(a, torch.fx.Node)]
        if not inputs or inputs[0].name not in value:
            raise UnsupportedModel("%s: '%s' does not take the chain's value" % (name, n.name))
        kind, at = value[inputs[0].name]
        if n.op == "call_module" and isinstance(self.modules[n.target], nn.MultiheadAttention):
            raise UnsupportedModel("%s (MultiheadAttention): not supported yet (ctnn has no attention layer)" %
                                   n.target)
        if kind == "layer" and at == len(layers) - 1 and self._batch_size(n, value, at):
            return None
        if kind == "layer" and at == len(layers) - 1 and n.op == "call_method" and n.target in ("view", "reshape"):
            self._view(n, value, at, layers)
            return n
        if kind == "layer" and at == len(layers) - 1 and n.op == "call_method" and n.target == "squeeze" and \
                len(n.args) == 2 and isinstance(n.args[1], int) and n.args[1] >= 1 and not n.kwargs:
            # x.squeeze(d) of a size-1 dimension: the same values (a last single value stays shape<1>)
            shape, d = list(layers[-1].shape), n.args[1] - 1
            if d < len(shape) and shape[d] == 1 and not layers[-1].sequence and (len(shape) <= 2):
                if len(shape) == 2:
                    layers += _layer_for_module(nn.Flatten(), n.name, tuple(shape), False, None)
                    layers[-1].module = nn.Flatten()
                value[n.name] = ("layer", len(layers) - 1)
                return n
            raise UnsupportedModel("%s: x.squeeze(%d) of a sample of shape %s (ctnn squeezes a size-1 dimension of "
                                   "a vector or matrix)" % (n.name, n.args[1], tuple(shape)))
        if at != len(layers) - 1 or len(inputs) != 1 or n.kwargs and n.op == "call_module":
            raise UnsupportedModel("%s: '%s' (%s) takes values of several layers in a way ctnn cannot express "
                                   "(ctnn exports chains, and branches that join by an addition, a product or "
                                   "torch.cat)" % (name, n.name, getattr(n.target, "__name__", n.target)))
        prev = layers[-1]
        if n.op == "call_module":
            m = self.modules[n.target]
            if isinstance(m, (nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)):
                value[n.name] = (kind, at)
                return n
            if kind != "layer":
                raise UnsupportedModel("%s (%s): receives the (output, state) tuple of '%s'; take out, _ = ... "
                                       "first" % (n.target, type(m).__name__, prev.source))
            if any(True for _ in m.parameters(recurse=False)) or isinstance(m, (nn.RNN, nn.LSTM, nn.GRU)):
                if n.target in self.emitted:
                    raise UnsupportedModel("%s (%s): used twice (by '%s' and '%s'); ctnn gives each use its own "
                                           "weights, so shared weights are not exported" %
                                           (n.target, type(m).__name__, self.emitted[n.target], n.name))
                self.emitted[n.target] = n.name
            bn = None
            users = list(n.users)
            if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)) and len(users) == 1 and \
                    users[0].op == "call_module" and \
                    isinstance(self.modules[users[0].target], (nn.BatchNorm1d, nn.BatchNorm2d)):
                bn = self.modules[users[0].target]
            new = _layer_for_module(m, n.target, prev.shape, prev.sequence, bn)
            for layer in new:
                layer.source = "%s (%s)" % (layer.source, type(m).__name__)
            for layer in new:
                layer.module = m
            layers += new
            result = "tuple" if isinstance(m, (nn.RNN, nn.LSTM, nn.GRU)) else "layer"
            value[n.name] = (result, len(layers) - 1)
            if bn is not None:
                value[users[0].name] = ("layer", len(layers) - 1)
                layers[-1].source += " + %s (%s, folded)" % (users[0].target, type(bn).__name__)
                self.folded.add(users[0].name)
                return users[0]
            return n
        if n.op == "call_function" and n.target is operator.getitem:
            idx = n.args[1]
            if kind == "shape" and idx == 0:  # x.shape[0]
                value[n.name] = ("batch size", at)
                return None
            if kind == "tuple" and idx == 0:
                value[n.name] = ("layer", at)
                return n
            if kind == "layer" and prev.sequence and _is_last_step_index(idx, self.batch_first):
                layers.append(Layer("ctnn::last", "last", (prev.shape[1],), source=n.name))
                value[n.name] = ("layer", len(layers) - 1)
                return n
            raise UnsupportedModel("%s: indexing [%s] of '%s' (supported: out, _ = rnn(x), then the last "
                                   "step, out[-1] or out[:, -1] with batch_first)" % (n.name, idx, prev.source))
        m = _module_for_function(n) if kind == "layer" else None
        if isinstance(m, nn.Identity):  # x.contiguous(), F.dropout(x, training=self.training)
            value[n.name] = (kind, at)
            return n
        if m is not None:  # torch.relu(x), F.max_pool2d(x, 2), x.flatten(1), ...: as their modules
            layers += _layer_for_module(m, n.name, prev.shape, prev.sequence, None)
            layers[-1].module = m
            value[n.name] = ("layer", len(layers) - 1)
            return n
        raise UnsupportedModel("%s: %s '%s' is not something ctnn can express" %
                               (n.name, n.op, getattr(n.target, "__name__", n.target)))


# ---------------------------------------------------------------------------------------------
# Golden activations: the layers run one after the other on K inputs, in float64, each layer's
# output kept per sample in ctnn's layout (sequences time-major per sample: [steps][features]).

def _apply(layer, x):
    """One exported layer on x [K, ...sample] (float64), from the layer's own parameters."""
    m = getattr(layer, "module", None)
    branches = getattr(layer, "branches", None)
    if branches is not None:  # parallel<...> or heads<...>: each branch from x, then the merge
        outs = []
        for b in branches:
            y = x
            for inner in b:
                y = _apply(inner, y)
            outs.append(y)
        if layer.merge == "heads":
            return torch.cat([o.reshape(o.shape[0], -1) for o in outs], dim=1)
        if layer.merge == "concat":
            return torch.cat(outs, dim=-1 if layer.sequence else 1)
        y = outs[0]
        for o in outs[1:]:
            y = y + o if layer.merge == "add" else y * o
        return y
    if hasattr(layer, "from_input"):  # from<I>: input I's values out of the row of every input
        offset, shape = layer.from_input
        return x[:, offset:offset + math.prod(shape)].reshape((x.shape[0],) + tuple(shape))
    if layer.name == "last":
        return x[:, -1, :]
    if isinstance(m, (nn.RNN, nn.LSTM, nn.GRU)):
        # one layer of the (possibly stacked) module, from this layer's own parameters
        h = m.hidden_size
        cls = type(m)
        kw = {"nonlinearity": m.nonlinearity} if isinstance(m, nn.RNN) else {}
        single = cls(x.shape[2], h, 1, batch_first=True, **kw).to(torch.float64)
        with torch.no_grad():
            wi, wh, bi, bh = layer.params
            single.weight_ih_l0.copy_(wi.reshape(single.weight_ih_l0.shape))
            single.weight_hh_l0.copy_(wh.reshape(single.weight_hh_l0.shape))
            single.bias_ih_l0.copy_(bi)
            single.bias_hh_l0.copy_(bh)
        return single(x)[0]
    if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):  # with any folded batch norm in the parameters
        w, b = layer.params
        if isinstance(m, nn.Linear):
            return torch.nn.functional.linear(x, w.reshape(m.weight.shape), b)
        conv = torch.nn.functional.conv1d if isinstance(m, nn.Conv1d) else torch.nn.functional.conv2d
        return conv(x, w.reshape(m.weight.shape), b, m.stride, m.padding, m.dilation, m.groups)
    if isinstance(m, nn.ConvTranspose2d):
        w, b = layer.params
        return torch.nn.functional.conv_transpose2d(x, w.reshape(m.weight.shape), b, m.stride, m.padding,
                                                    m.output_padding, m.groups, m.dilation)
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):  # eval mode: the running statistics
        g, b, mean, var = layer.params
        return torch.nn.functional.batch_norm(x, mean, var, g, b, training=False, eps=m.eps)
    if isinstance(m, nn.LayerNorm):
        g, b = layer.params
        return torch.nn.functional.layer_norm(x, m.normalized_shape, g.reshape(m.normalized_shape),
                                              b.reshape(m.normalized_shape), m.eps)
    if isinstance(m, nn.PReLU):
        return torch.nn.functional.prelu(x, layer.params[0])
    if isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)):
        return m.to(torch.float64)(x).reshape(x.shape[0], -1)
    return m.to(torch.float64)(x)


def _run_golden(layers, inputs, batch_first):
    x = inputs.to(torch.float64)  # [K, ...sample]
    layers[0].golden = x.reshape(x.shape[0], -1).clone()
    for layer in layers[1:]:
        x = _apply(layer, x)
        layer.golden = x.reshape(x.shape[0], -1).clone()
        size = math.prod(layer.shape)
        if layer.golden.shape[1] != size:
            raise AssertionError("layer %s: %d values per sample, expected %d" % (layer.name, layer.golden.shape[1],
                                                                                   size))


def _model_layout_input(inputs, sequence, batch_first):
    """The golden inputs [K, ...] as the model takes them (time-major sequences: [steps, K, features])."""
    return inputs.transpose(0, 1) if sequence and not batch_first else inputs


def _check_against_model(model, layers, inputs, sequence, batch_first):
    """The float64 chain must reproduce the model's own float32 output (a wrong walk shows here)."""
    with torch.no_grad():
        y = model(_model_layout_input(inputs.to(torch.float32), sequence, batch_first))
    _check_output(y, layers, inputs.shape[0], sequence, batch_first)


def _check_output(y, layers, k, sequence, batch_first):
    if isinstance(y, (tuple, list)):  # heads: every head's values, one head after the other
        y = torch.cat([t.reshape(k, -1) for t in y], dim=1)
    elif sequence and layers[-1].sequence and not batch_first:
        y = y.transpose(0, 1)
    y = y.reshape(k, -1).to(torch.float64)
    ref = layers[-1].golden
    err = (y - ref).abs().max().item()
    scale = max(1.0, ref.abs().max().item())
    if err > 1e-4 * scale:
        raise AssertionError("the exported chain differs from the model's own output by %g: the walk is wrong" % err)


# ---------------------------------------------------------------------------------------------
# Files.

def fingerprint(layers):
    lines = ["scalar float32"]
    for i, layer in enumerate(layers):
        lines.append("%d %s -> %s" % (i, layer.name, layer.shape_string()))
    return "\n".join(lines).encode()


def _fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def _flat_params(layers):
    return torch.cat([p for layer in layers for p in layer.params]) if any(l.params for l in layers) else \
        torch.zeros(0, dtype=torch.float64)


def write_weights(layers, path):
    """ctnn's weight file (include/ctnn/io/weights.hpp), float32."""
    fp = fingerprint(layers)
    values = _flat_params(layers).to(torch.float32)
    out = bytearray(b"CTNNWTS\0")
    out += struct.pack("<II", FORMAT_VERSION, len(fp)) + fp
    out += struct.pack("<Q", values.numel())
    out += struct.pack("<%df" % values.numel(), *values.tolist())
    out += struct.pack("<Q", _fnv1a(out))
    with open(path, "wb") as f:
        f.write(out)


def write_golden(layers, path):
    """Golden activations (include/ctnn/interop/golden.hpp): float64 per layer, per input."""
    fp = fingerprint(layers)
    k = layers[0].golden.shape[0]
    out = bytearray(b"CTNNGLD\0")
    out += struct.pack("<II", FORMAT_VERSION, len(fp)) + fp
    out += struct.pack("<II", k, len(layers))
    for layer in layers:
        values = layer.golden.reshape(-1).tolist()
        out += struct.pack("<Q", layer.golden.shape[1])
        out += struct.pack("<%dd" % len(values), *values)
    out += struct.pack("<Q", _fnv1a(out))
    with open(path, "wb") as f:
        f.write(out)


def cpp_type(layers):
    body = ",\n".join("    " + layer.cpp for layer in layers)
    return "ctnn::network<\n%s>" % body


def _comments(layers):
    return "\n".join("//   %2d  %-40s %-24s %s" % (i, layer.name, layer.shape_string(), layer.source)
                     for i, layer in enumerate(layers))


def write_header(layers, name, path, origin):
    with open(path, "w") as f:
        f.write("// Generated by examples/pytorch/ctnn_export.py from %s; do not edit.\n" % origin)
        # (the table keeps its columns: clang-format, which formats the repository, leaves it alone)
        f.write("// clang-format off\n// Layers (index, ctnn layer, output shape, PyTorch module):\n%s\n"
                "// clang-format on\n" % _comments(layers))
        f.write("#pragma once\n\n#include <ctnn/ctnn.hpp>\n\n")
        f.write("namespace %s {\nusing model = %s;\n" % (name, cpp_type(layers)))
        f.write("inline constexpr const char* weights_file = \"%s.ctnn\";\n" % name)
        f.write("inline constexpr const char* golden_file = \"%s.golden\";\n} // namespace %s\n" % (name, name))


def write_embedded(layers, name, path, origin):
    values = _flat_params(layers).to(torch.float32).tolist()
    with open(path, "w") as f:
        f.write("// Generated by examples/pytorch/ctnn_export.py from %s; do not edit.\n" % origin)
        f.write("// %s's %d parameters as constexpr data, for ctnn::make<%s::model>(%s::embedded_weights).\n"
                % (name, len(values), name, name))
        f.write("#pragma once\n\n#include <ctnn/ctnn.hpp>\n#include <ctnn/interop/embedded.hpp>\n\nnamespace %s {\n" % name)
        f.write("inline constexpr ctnn::embedded_parameters<%s, float, %d> embedded_weights{{\n" %
                (cpp_type(layers), len(values)))
        for i in range(0, len(values), 6):
            f.write("    " + ", ".join(float.hex(v) + "f" for v in values[i:i + 6]) + ",\n")
        f.write("}};\n} // namespace %s\n" % name)


def export(model, input_shape, name, out_dir, sequence=False, batch_first=None, golden_inputs=4, seed=0,
           origin=None):
    """Writes NAME.hpp, NAME.ctnn, NAME.golden and NAME_weights.hpp into out_dir; returns the layers."""
    if not name.isidentifier():
        raise ValueError("name %r must be a C++ identifier (it names the namespace)" % name)
    if batch_first is None:
        batch_first = next((m.batch_first for m in model.modules() if isinstance(m, (nn.RNN, nn.LSTM, nn.GRU))),
                           False)
    if not list(model.children()) and type(model).forward is not nn.Module.forward and \
            type(model).__module__.startswith("torch.nn"):
        model = nn.Sequential(model)  # a single layer as the whole model (nn.Linear(4, 1)): traced as itself
    layers = _Walk(model, input_shape, sequence, batch_first).run()
    torch.manual_seed(seed)
    if isinstance(input_shape, list):  # several inputs: each drawn, then one row of all of them
        flags = list(sequence) if isinstance(sequence, (list, tuple)) else [bool(sequence)] * len(input_shape)
        parts = [torch.randn((golden_inputs,) + tuple(sh)) for sh in input_shape]
        _run_golden(layers, torch.cat([p.reshape(golden_inputs, -1) for p in parts], dim=1), batch_first)
        with torch.no_grad():
            y = model(*[_model_layout_input(p.to(torch.float32), q, batch_first) for p, q in zip(parts, flags)])
        _check_output(y, layers, golden_inputs, False, batch_first)
    else:
        inputs = torch.randn((golden_inputs,) + tuple(input_shape))
        _run_golden(layers, inputs, batch_first)
        _check_against_model(model, layers, inputs, sequence, batch_first)
    os.makedirs(out_dir, exist_ok=True)
    origin = origin or type(model).__name__
    write_header(layers, name, os.path.join(out_dir, name + ".hpp"), origin)
    write_weights(layers, os.path.join(out_dir, name + ".ctnn"))
    write_golden(layers, os.path.join(out_dir, name + ".golden"))
    write_embedded(layers, name, os.path.join(out_dir, name + "_weights.hpp"), origin)
    return layers


def main(argv=None):
    p = argparse.ArgumentParser(description="Export a PyTorch model (saved with torch.save(model, path)) to ctnn.")
    p.add_argument("model", help="a file saved with torch.save(model, path)")
    shape = p.add_mutually_exclusive_group(required=True)
    shape.add_argument("--input-shape", help="one sample's shape, e.g. 1,28,28")
    shape.add_argument("--sequence", help="STEPS,FEATURES of a sequence input (recurrent models)")
    shape.add_argument("--inputs", help="several inputs, in forward's order, separated by ';': a shape (12) or a "
                                        "sequence (seq:32,4), e.g. 'seq:32,4;12'")
    p.add_argument("--name", required=True, help="C++ namespace and file stem")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--golden", type=int, default=4, help="number of golden inputs (default 4)")
    p.add_argument("--import", dest="imports", action="append", default=[],
                   help="a Python file defining the model's classes (for torch.load)")
    args = p.parse_args(argv)
    for f in args.imports:
        sys.path.insert(0, os.path.dirname(os.path.abspath(f)))
        module = __import__(os.path.splitext(os.path.basename(f))[0])
        sys.modules["__main__"].__dict__.update({k: v for k, v in vars(module).items() if not k.startswith("_")})
    try:
        model = torch.load(args.model)
    except (AttributeError, ModuleNotFoundError, ImportError) as e:  # the model's class is not importable
        print("ctnn_export: cannot load %s: %s. torch.save(model) stores the model's class by name; pass the Python "
              "file that defines it with --import FILE (e.g. --import train_model.py)" % (args.model, e),
              file=sys.stderr)
        return 2
    if args.inputs:
        specs = [part.strip() for part in args.inputs.split(";")]
        dims = [tuple(int(v) for v in part.replace("seq:", "").split(",")) for part in specs]
        sequence = [part.startswith("seq:") for part in specs]
    else:
        dims = tuple(int(v) for v in (args.input_shape or args.sequence).split(","))
        sequence = args.sequence is not None
    try:
        layers = export(model, dims, args.name, args.out, sequence=sequence, golden_inputs=args.golden,
                        origin=os.path.basename(args.model))
    except UnsupportedModel as e:
        print("ctnn_export: cannot export %s: %s" % (args.model, e), file=sys.stderr)
        return 2
    print("ctnn_export: %d layers, %d parameters -> %s/%s{.hpp,.ctnn,.golden,_weights.hpp}" %
          (len(layers), _flat_params(layers).numel(), args.out, args.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
