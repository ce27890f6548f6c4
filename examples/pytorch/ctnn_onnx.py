#!/usr/bin/env python3
"""Imports an ONNX model into ctnn: the C++ type, the weights, golden activations and constexpr
weights -- the same four files as ctnn_export.py.

Run with Debian's python3-onnx and python3-torch (/usr/bin/python3):

    /usr/bin/python3 examples/pytorch/ctnn_onnx.py model.onnx --name my_model --out DIR

or from Python:

    import ctnn_onnx
    ctnn_onnx.import_onnx("model.onnx", name="my_model", out_dir="DIR")

How: the ONNX graph is read into an equivalent PyTorch module, operator by operator (weights from
the initializers, in float64), which ctnn_export.py then exports as it exports a model written
in PyTorch; the golden activations are that module's, which is an independent reference for the
C++ side (and, for a model exported from PyTorch, tests/import/generate.py checks the module
against the original). Shapes must be static (as torch.onnx.export writes them without
dynamic_axes); the first dimension of each input is the batch.

Operators (opsets 9 to 17): Gemm, MatMul followed by Add (a Linear), Conv (1-D and 2-D, symmetric
pads or auto_pad SAME_UPPER at stride 1, any group), ConvTranspose (2-D), MaxPool and
AveragePool (count_include_pad when padded), GlobalAveragePool, BatchNormalization, Relu,
LeakyRelu, PRelu, Sigmoid, Tanh, Elu, HardSigmoid, HardSwish, Clip (ReLU6, Hardtanh), Softmax and
LogSoftmax (over the features), Flatten, Reshape (to [batch, features]), Dropout, Identity, LSTM
and GRU (one direction, zero initial state; the Transpose/Squeeze/Gather around them as
torch.onnx.export writes a batch_first RNN and out[:, -1]), and Add, Mul and Concat of two
branches (parallel<...> blocks). Subgraphs that compute on shapes and constants (Shape, Gather,
Unsqueeze, Concat, Expand of constants) are evaluated once, as the static shapes make them
constant. Anything else is refused naming the node and its op type.
"""
import argparse
import os
import sys

import numpy
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctnn_export  # noqa: E402
from ctnn_export import UnsupportedModel  # noqa: E402


def _short(v):
    """A float32 attribute as the shortest decimal that gives it (0.1f is 0.1, as the model's author wrote it)."""
    return float(numpy.format_float_positional(numpy.float32(v), unique=True, trim="-"))


def _attrs(node):
    return {a.name: (_short(a.f) if a.type == onnx.AttributeProto.FLOAT else onnx.helper.get_attribute_value(a))
            for a in node.attribute}


def _dims(value_info):
    dims = []
    for d in value_info.type.tensor_type.shape.dim:
        if not d.HasField("dim_value"):
            raise UnsupportedModel("input %s: dimension '%s' is dynamic; ctnn's shapes are static (export without "
                                   "dynamic_axes)" % (value_info.name, d.dim_param))
        dims.append(d.dim_value)
    return dims


class _Value:
    """A value of the graph: a constant (tensor), or data flowing from the inputs (a torch
    tensor during evaluation, an fx proxy while the exporter traces) with a layout tag for the
    recurrent patterns: 'time_major' ([T, N, F] of a batch_first tensor: the data itself stays
    batch-first), 'rnn_out' (ONNX's [T, dirs, N, H] output of an LSTM/GRU, held as [N, T, H])."""

    def __init__(self, const=None, data=None, layout=None, pads=None):
        self.const, self.data, self.layout = const, data, layout
        self.pads = pads  # zero padding of the spatial dimensions a Pad node left for the pool or conv after it


class OnnxModule(nn.Module):
    """The ONNX graph as a PyTorch module: constants folded, each data operator a submodule or a
    torch function that ctnn_export understands."""

    def __init__(self, model):
        super().__init__()
        g = model.graph
        self.graph = g
        self.inits = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy()) for t in g.initializer}
        init_names = set(self.inits)
        self.inputs = [i for i in g.input if i.name not in init_names]
        self.input_shapes = [_dims(i) for i in self.inputs]
        self.outputs = [o.name for o in g.output]
        self.consumers = {}
        for n in g.node:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)
        self.node = nn.ModuleDict()  # the operators with weights or settings, by node name
        self.fused = set()  # Add nodes folded into the MatMul before them
        self._opsets = list(model.opset_import)
        self.dtype = torch.float32  # as PyTorch models are (the exporter computes its golden values in float64)
        self.shapes = {}  # every data value's shape (batch-first), from the first run: tracing sees proxies
        # a first run on zeros: builds the submodules, checks every operator and records the shapes
        self._build = True
        with torch.no_grad():
            self.run([torch.zeros(s, dtype=self.dtype) for s in self.input_shapes])
        self._build = False

    # ---- helpers ----
    def _key(self, node):
        k = (node.name or node.output[0]).strip("/").replace("/", "_").replace(".", "_").replace(":", "_")
        return k or "node"

    def _module(self, node, make):
        k = self._key(node)
        if self._build:
            self.node[k] = make().to(self.dtype)
        return self.node[k]

    def _refuse(self, node, why):
        raise UnsupportedModel("node %s (%s): %s" % (node.name or node.output[0], node.op_type, why))

    def _const(self, env, name, node):
        v = env.get(name)
        if v is None or v.const is None:
            self._refuse(node, "input %s must be a constant (an initializer)" % name)
        return v.const

    # ---- the graph ----
    def run(self, xs):
        env = {"": None}
        for name, t in self.inits.items():
            env[name] = _Value(const=t)
        for vi, x, shape in zip(self.inputs, xs, self.input_shapes):
            env[vi.name] = _Value(data=x)
            self.shapes[vi.name] = tuple(shape)
        for node in self.graph.node:
            ins = [env.get(i) if i else None for i in node.input]
            if node.op_type == "Constant":
                a = _attrs(node)
                t = a.get("value")
                env[node.output[0]] = _Value(const=torch.from_numpy(onnx.numpy_helper.to_array(t).copy()))
                continue
            if all(v is None or v.const is not None for v in ins) and node.op_type != "Shape":
                env[node.output[0]] = _Value(const=self._fold(node, [v.const if v else None for v in ins]))
                continue
            if node.op_type == "Shape":  # static shapes: a constant
                v = ins[0]
                shape = list(v.const.shape) if v.const is not None else self._onnx_shape(node.input[0], v)
                env[node.output[0]] = _Value(const=torch.tensor(shape, dtype=torch.int64))
                continue
            outs = self._data_op(node, ins, env)
            for name, val in zip(node.output, outs):
                if name:
                    env[name] = val
                    if self._build and val is not None and val.data is not None:
                        self.shapes[name] = tuple(val.data.shape)
        results = []
        for o in self.outputs:
            v = env[o]
            if v.const is not None:
                raise UnsupportedModel("output %s is a constant (it does not depend on the input)" % o)
            if v.layout is not None:
                raise UnsupportedModel("output %s: a recurrent layer's whole output in ONNX's [steps, directions, "
                                       "batch, hidden] layout; take a step (out[:, -1]) or transpose it back" % o)
            results.append(v.data)
        return results[0] if len(results) == 1 else tuple(results)

    def _onnx_shape(self, name, v):
        s = list(self.shapes[name])
        if v.layout == "time_major":
            return [s[1], s[0]] + s[2:]
        if v.layout == "rnn_out":
            return [s[1], 1, s[0], s[2]]
        return s

    def _fold(self, node, ins):
        """A node whose inputs are all constants, evaluated now."""
        op, a = node.op_type, _attrs(node)
        try:
            if op == "Gather":
                return torch.index_select(ins[0], a.get("axis", 0), ins[1].reshape(-1).long()).reshape(
                    list(ins[0].shape[:a.get("axis", 0)]) + list(ins[1].shape) +
                    list(ins[0].shape[a.get("axis", 0) + 1:]))
            if op == "Unsqueeze":
                axes = a.get("axes") if "axes" in a else ins[1].tolist()
                t = ins[0]
                for ax in sorted(axes):
                    t = t.unsqueeze(ax)
                return t
            if op == "Squeeze":
                axes = a.get("axes") if "axes" in a else (ins[1].tolist() if len(ins) > 1 and ins[1] is not None
                                                          else None)
                t = ins[0]
                for ax in sorted(axes or [], reverse=True):
                    t = t.squeeze(ax)
                return t if axes else t.squeeze()
            if op == "Concat":
                return torch.cat([t for t in ins if t is not None], a["axis"])
            if op == "Expand":
                return ins[0].expand(*[int(v) for v in ins[1].tolist()]).clone()
            if op == "ConstantOfShape":
                value = onnx.numpy_helper.to_array(a["value"]).reshape(-1)[0] if "value" in a else 0.0
                return torch.full([int(v) for v in ins[0].tolist()], float(value))
            if op == "Cast":
                return ins[0].to(torch.float64 if a["to"] in (1, 11) else torch.int64)
            if op in ("Add", "Sub", "Mul", "Div"):
                f = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div}[op]
                return f(ins[0], ins[1])
            if op == "Reshape":
                return ins[0].reshape([int(v) for v in ins[1].tolist()])
            if op == "Transpose":
                return ins[0].permute(a["perm"])
            if op == "Identity":
                return ins[0]
            if op == "Slice":
                starts, ends = ins[1].tolist(), ins[2].tolist()
                axes = ins[3].tolist() if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
                steps = ins[4].tolist() if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
                index = [slice(None)] * ins[0].dim()
                for b, e, ax, st in zip(starts, ends, axes, steps):
                    if st <= 0:
                        raise RuntimeError("a step of %d" % st)
                    index[ax] = slice(b, e, st)
                return ins[0][tuple(index)]
        except (KeyError, RuntimeError, IndexError) as e:
            self._refuse(node, "could not evaluate it on its constant inputs (%s)" % e)
        self._refuse(node, "an operator on constants that ctnn does not evaluate")

    def _data_op(self, node, ins, env):
        op, a = node.op_type, _attrs(node)
        x = ins[0]
        shape = self.shapes.get(node.input[0], ())  # the data's shape, batch-first
        rank = len(shape)
        act = {"Relu": lambda: nn.ReLU(), "Sigmoid": lambda: nn.Sigmoid(), "Tanh": lambda: nn.Tanh(),
               "HardSwish": lambda: nn.Hardswish()}
        if op in ("Add", "Mul") and (node.name or node.output[0]) in self.fused:  # done by the node before
            return [env[node.output[0]]]
        if op in ("Add", "Mul", "Concat") and (x is None or x.data is None) and len(ins) > 1:
            x = ins[1]  # a constant first operand: refused below, naming the constant
            ins = [ins[1], ins[0]] + ins[2:]
        if x is None or x.data is None:
            self._refuse(node, "its first input must come from the network's input")
        if x.pads is not None and op not in ("AveragePool", "Conv"):
            self._refuse(node, "its input is zero-padded by a Pad node, which ctnn folds into an AveragePool or "
                               "a Conv only")
        if x.layout is not None and op not in ("Transpose", "Squeeze", "Gather", "LSTM", "GRU"):
            self._refuse(node, "applied to a recurrent layer's output in ONNX's time-major layout; ctnn takes the "
                               "batch_first patterns torch.onnx.export writes")
        if op in act:
            return [_Value(data=self._module(node, act[op])(x.data))]
        if op == "LeakyRelu":
            return [_Value(data=self._module(node, lambda: nn.LeakyReLU(a.get("alpha", 0.01)))(x.data))]
        if op == "Elu":
            return [_Value(data=self._module(node, lambda: nn.ELU(a.get("alpha", 1.0)))(x.data))]
        if op == "HardSigmoid":
            if abs(a.get("alpha", 0.2) - 1 / 6) > 1e-6 or abs(a.get("beta", 0.5) - 0.5) > 1e-6:
                self._refuse(node, "alpha=%g, beta=%g (ctnn's hardsigmoid is PyTorch's: 1/6, 1/2)" %
                             (a.get("alpha", 0.2), a.get("beta", 0.5)))
            users = self.consumers.get(node.output[0], [])
            if len(users) == 1 and users[0].op_type == "Mul" and node.input[0] in users[0].input:
                # x * hardsigmoid(x): how torch.onnx.export writes Hardswish
                y = self._module(node, lambda: nn.Hardswish())(x.data)
                self.fused.add(users[0].name or users[0].output[0])
                env[users[0].output[0]] = _Value(data=y)
                return [_Value(data=y)]
            return [_Value(data=self._module(node, lambda: nn.Hardsigmoid())(x.data))]
        if op == "Pad":
            mode = a.get("mode", b"constant")
            pads = [int(v) for v in (self._const(env, node.input[1], node).tolist() if len(node.input) > 1
                                     else a.get("pads", []))]
            value = float(self._const(env, node.input[2], node)) if len(node.input) > 2 and node.input[2] else 0.0
            d = rank - 2
            if mode not in (b"constant", "constant") or value != 0 or d < 1 or \
                    any(pads[i] or pads[rank + i] for i in range(2)) or pads[2:rank] != pads[rank + 2:]:
                self._refuse(node, "pads=%s mode=%s value=%g (ctnn folds symmetric zero padding of the spatial "
                                   "dimensions into the pool or conv after it)" % (pads, mode, value))
            return [_Value(data=x.data, pads=pads[2:rank])]
        if op == "Clip":
            lo = float(ins[1].const) if len(ins) > 1 and ins[1] is not None else a.get("min", float("-inf"))
            hi = float(ins[2].const) if len(ins) > 2 and ins[2] is not None else a.get("max", float("inf"))
            if lo == 0 and hi == float("inf"):
                return [_Value(data=self._module(node, lambda: nn.ReLU())(x.data))]
            return [_Value(data=self._module(node, lambda: nn.Hardtanh(lo, hi))(x.data))]
        if op == "PRelu":
            slope = self._const(env, node.input[1], node).reshape(-1)
            def make():
                m = nn.PReLU(slope.numel())
                m.weight.data.copy_(slope)
                return m
            return [_Value(data=self._module(node, make)(x.data))]
        if op in ("Softmax", "LogSoftmax"):
            axis = a.get("axis", -1 if self._opset() >= 13 else 1)
            if axis % rank != rank - 1:
                self._refuse(node, "axis=%d of a rank-%d tensor (ctnn's is over the features)" % (axis, rank))
            m = nn.Softmax(-1) if op == "Softmax" else nn.LogSoftmax(-1)
            return [_Value(data=self._module(node, lambda: m)(x.data))]
        if op in ("Dropout", "Identity"):
            return [x] + [None] * (len(node.output) - 1)
        if op == "Flatten":
            if a.get("axis", 1) != 1:
                self._refuse(node, "axis=%d (ctnn keeps the batch: axis=1)" % a.get("axis", 1))
            return [_Value(data=torch.flatten(x.data, 1))]
        if op == "Reshape":
            target = [int(v) for v in self._const(env, node.input[1], node).tolist()]
            sample = list(shape[1:])
            same = len(target) == len(shape) and all(t in (0, s) or (t == -1 and i == 0)
                                                     for i, (t, s) in enumerate(zip(target, shape)))
            if same or (len(target) == len(shape) and target[0] == -1 and target[1:] == sample):
                return [x]  # the shape it has (x.reshape(-1, 28, 28) of a [batch, 28, 28] input)
            if len(target) != 2 or target[0] not in (0, -1, shape[0]) and not (target[1] == -1):
                self._refuse(node, "to %s (ctnn takes reshapes to [batch, features])" % target)
            return [_Value(data=torch.flatten(x.data, 1))]
        if op == "Gemm":
            w = self._const(env, node.input[1], node)
            b = self._const(env, node.input[2], node) if len(node.input) > 2 and node.input[2] else None
            if a.get("transA", 0):
                self._refuse(node, "transA=1 (the data must be the first operand)")
            w = w if a.get("transB", 0) else w.t()
            alpha, beta = a.get("alpha", 1.0), a.get("beta", 1.0)
            return [_Value(data=self._linear(node, w * alpha, None if b is None else b * beta)(x.data))]
        if op == "MatMul":
            w = self._const(env, node.input[1], node).t()
            users = self.consumers.get(node.output[0], [])
            b = None
            if len(users) == 1 and users[0].op_type == "Add":
                other = [i for i in users[0].input if i != node.output[0]]
                if other and env.get(other[0]) is not None and env[other[0]].const is not None:
                    b = env[other[0]].const
                    self.fused.add(users[0].name or users[0].output[0])
            y = self._linear(node, w, b)(x.data)
            if b is not None:  # the Add is done: its output is this
                env[users[0].output[0]] = _Value(data=y)
            return [_Value(data=y)]
        if op in ("Add", "Mul"):
            y = ins[1]
            if y is None or y.data is None:
                self._refuse(node, "a constant operand (ctnn's %s joins two branches; a bias belongs to a Linear "
                                   "or Conv)" % ("add" if op == "Add" else "multiply"))
            return [_Value(data=x.data + y.data if op == "Add" else x.data * y.data)]
        if op == "Concat":
            if any(v is None or v.data is None for v in ins):
                self._refuse(node, "a constant operand (ctnn's concat joins branches)")
            return [_Value(data=torch.cat([v.data for v in ins], a["axis"]))]
        if op in ("Conv", "ConvTranspose"):
            return [_Value(data=self._conv(node, a, x.data, env, x.pads))]
        if op in ("MaxPool", "AveragePool"):
            return [_Value(data=self._pool(node, a, x.data, x.pads))]
        if op == "GlobalAveragePool":
            m = nn.AdaptiveAvgPool2d(1) if rank == 4 else nn.AdaptiveAvgPool1d(1)
            return [_Value(data=self._module(node, lambda: m)(x.data))]
        if op == "BatchNormalization":
            scale, bias, mean, var = [self._const(env, n, node) for n in node.input[1:5]]
            def make():
                m = (nn.BatchNorm2d if rank == 4 else nn.BatchNorm1d)(scale.numel(), eps=a.get("epsilon", 1e-5))
                m.weight.data.copy_(scale)
                m.bias.data.copy_(bias)
                m.running_mean.copy_(mean)
                m.running_var.copy_(var)
                return m.eval()
            return [_Value(data=self._module(node, make)(x.data))]
        if op == "Transpose":
            perm = list(a["perm"])
            if rank == 3 and perm == [1, 0, 2]:  # batch_first <-> time-major around a recurrent layer
                return [_Value(data=x.data, layout=None if x.layout == "time_major" else "time_major")]
            self._refuse(node, "perm=%s (ctnn's layouts are fixed: channel-major maps, batch-first sequences)" %
                         perm)
        if op == "Squeeze":
            axes = a.get("axes") if "axes" in a else [int(v) for v in self._const(env, node.input[1], node).tolist()]
            if x.layout == "rnn_out" and axes == [1]:
                return [_Value(data=x.data, layout="time_major")]
            if x.layout is None and len(axes) == 1 and 1 <= axes[0] % rank and shape[axes[0] % rank] == 1:
                rest = [d for i, d in enumerate(shape[1:], 1) if i != axes[0] % rank]
                if not rest:  # [batch, 1] -> [batch]: the same single value per sample
                    return [x]
                if len(rest) == 1:
                    return [_Value(data=torch.flatten(x.data, 1))]
            self._refuse(node, "axes=%s of a %s tensor (ctnn squeezes a size-1 dimension of a vector or matrix)" %
                         (axes, list(shape)))
        if op == "Gather":
            index = self._const(env, node.input[1], node)
            axis = a.get("axis", 0)
            steps = shape[1] if rank == 3 else None
            last = index.numel() == 1 and int(index.reshape(-1)[0]) in (-1, (steps or 0) - 1)
            if last and rank == 3 and ((x.layout is None and axis == 1) or
                                               (x.layout == "time_major" and axis == 0)):
                return [_Value(data=x.data[:, -1])]
            self._refuse(node, "only a sequence's last step (out[:, -1]) is taken")
        if op in ("LSTM", "GRU"):
            return self._recurrent(node, a, x, env)
        self._refuse(node, "not an operator ctnn imports")

    def _opset(self):
        return max((o.version for o in self._opsets if o.domain in ("", "ai.onnx")), default=13)

    def _linear(self, node, w, b):
        def make():
            m = nn.Linear(w.shape[1], w.shape[0], bias=b is not None)
            m.weight.data.copy_(w)
            if b is not None:
                m.bias.data.copy_(b.reshape(-1))
            return m
        return self._module(node, make)

    def _conv(self, node, a, x, env, extra=None):
        w = self._const(env, node.input[1], node)
        b = self._const(env, node.input[2], node) if len(node.input) > 2 and node.input[2] else None
        k = list(w.shape[2:])
        d = len(k)
        if d not in (1, 2) or (node.op_type == "ConvTranspose" and d != 2):
            self._refuse(node, "%d-D (ctnn: Conv 1-D and 2-D, ConvTranspose 2-D)" % d)
        strides, dil = a.get("strides", [1] * d), a.get("dilations", [1] * d)
        pads = a.get("pads", [0] * 2 * d)
        auto = a.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        group = a.get("group", 1)
        if extra:  # a Pad node's zeros before it
            if auto not in ("NOTSET", "VALID"):
                self._refuse(node, "auto_pad=%s after a Pad node" % auto)
            pads = [p + e for p, e in zip(pads, extra + extra)]
        if auto in ("SAME_UPPER", "SAME_LOWER") and node.op_type == "Conv":
            if any(s != 1 for s in strides):
                self._refuse(node, "auto_pad=%s with a stride (ctnn's same is for stride 1)" % auto)
            padding = "same"
        elif auto not in ("NOTSET", "VALID"):
            self._refuse(node, "auto_pad=%s" % auto)
        else:
            if pads[:d] != pads[d:]:
                self._refuse(node, "pads=%s (ctnn pads both sides alike)" % pads)
            padding = tuple(pads[:d])
        if node.op_type == "Conv":
            cls = nn.Conv1d if d == 1 else nn.Conv2d
            def make():
                m = cls(w.shape[1] * group, w.shape[0], k, stride=strides, padding=padding, dilation=dil,
                        groups=group, bias=b is not None)
                m.weight.data.copy_(w)
                if b is not None:
                    m.bias.data.copy_(b)
                return m
        else:
            out_pad = a.get("output_padding", [0] * d)
            def make():
                m = nn.ConvTranspose2d(w.shape[0], w.shape[1] * group, k, stride=strides, padding=padding,
                                       output_padding=out_pad, groups=group, dilation=dil, bias=b is not None)
                m.weight.data.copy_(w)
                if b is not None:
                    m.bias.data.copy_(b)
                return m
        return self._module(node, make)(x)

    def _pool(self, node, a, x, extra=None):
        k = a["kernel_shape"]
        d = len(k)
        strides, pads = a.get("strides", [1] * d), a.get("pads", [0] * 2 * d)
        if extra:  # a Pad node's zeros before it: counted in the average, as count_include_pad
            pads = [p + e for p, e in zip(pads, extra + extra)]
        if pads[:d] != pads[d:]:
            self._refuse(node, "pads=%s (ctnn pads both sides alike)" % pads)
        if a.get("ceil_mode", 0):
            self._refuse(node, "ceil_mode=1 (ctnn's output size rounds down)")
        if a.get("dilations", [1] * d) != [1] * d:
            self._refuse(node, "dilations=%s" % a["dilations"])
        if node.op_type == "MaxPool":
            cls = nn.MaxPool1d if d == 1 else nn.MaxPool2d
            m = cls(k, strides, pads[:d])
        else:
            if any(a.get("pads", [0])) and not a.get("count_include_pad", 0):
                self._refuse(node, "count_include_pad=0 with padding (ctnn's average counts the padding)")
            cls = nn.AvgPool1d if d == 1 else nn.AvgPool2d
            m = cls(k, strides, pads[:d], count_include_pad=True)
        return self._module(node, lambda: m)(x)

    def _recurrent(self, node, a, x, env):
        lstm = node.op_type == "LSTM"
        if x.layout != "time_major":
            self._refuse(node, "its input must be a batch_first sequence transposed to time-major "
                               "(torch.onnx.export of batch_first=True)")
        if a.get("direction", b"forward") not in (b"forward", "forward"):
            self._refuse(node, "direction=%s (ctnn's recurrent layers run forward)" % a["direction"])
        for unsupported in ("activations", "clip", "input_forget"):
            if unsupported in a and a[unsupported]:
                self._refuse(node, "%s=%s" % (unsupported, a[unsupported]))
        if not lstm and a.get("linear_before_reset", 0) != 1:
            self._refuse(node, "linear_before_reset=0 (PyTorch's GRU, which ctnn computes, has 1)")
        for i in (4, 5, 6):  # sequence_lens, initial_h, initial_c
            if len(node.input) > i and node.input[i]:
                v = env[node.input[i]]
                if v.const is None or i == 4 or bool(v.const.abs().max() > 0):
                    self._refuse(node, "input %d (%s) must be absent or zero" % (i, node.input[i]))
        W = self._const(env, node.input[1], node)[0]
        R = self._const(env, node.input[2], node)[0]
        B = self._const(env, node.input[3], node)[0] if len(node.input) > 3 and node.input[3] else None
        h = a["hidden_size"]
        order = [0, 2, 3, 1] if lstm else [1, 0, 2]  # ONNX's i, o, f, c / z, r, h -> PyTorch's i, f, g, o / r, z, n

        def blocks(t):
            return torch.cat([t[j * h:(j + 1) * h] for j in order])

        def make():
            m = (nn.LSTM if lstm else nn.GRU)(W.shape[1], h, batch_first=True)
            m.weight_ih_l0.data.copy_(blocks(W))
            m.weight_hh_l0.data.copy_(blocks(R))
            g = 4 if lstm else 3
            b = B if B is not None else torch.zeros(2 * g * h)
            m.bias_ih_l0.data.copy_(blocks(b[:g * h]))
            m.bias_hh_l0.data.copy_(blocks(b[g * h:]))
            return m
        out, _ = self._module(node, make)(x.data)
        return [_Value(data=out, layout="rnn_out"), None, None][:len(node.output)]


def module_of(model):
    """The ONNX model as an OnnxModule whose forward takes one argument per graph input (torch.fx
    traces named arguments, not *args)."""
    names = ["x%d" % i for i in range(len([i for i in model.graph.input
                                             if i.name not in {t.name for t in model.graph.initializer}]))]
    scope = {}
    exec("def forward(self, %s):\n    return self.run([%s])\n" % (", ".join(names), ", ".join(names)), scope)
    cls = type("OnnxModule", (OnnxModule,), {"forward": scope["forward"]})
    return cls(model)


def load(path):
    try:
        model = onnx.load(path)
    except Exception as e:  # noqa: BLE001 - onnx raises several kinds for a bad file
        raise UnsupportedModel("%s is not an ONNX model onnx can read (%s)" % (path, e))
    return model


def import_onnx(path_or_model, name, out_dir, golden_inputs=4, origin=None):
    """Writes NAME.hpp, NAME.ctnn, NAME.golden and NAME_weights.hpp into out_dir; returns
    (layers, module): the ctnn layers and the PyTorch module the graph was read into."""
    model = load(path_or_model) if isinstance(path_or_model, str) else path_or_model
    module = module_of(model)
    shapes = [tuple(s[1:]) for s in module.input_shapes]  # the first dimension is the batch
    # a rank-2 sample after the batch is a sequence when a recurrent layer reads it
    recurrent = any(n.op_type in ("LSTM", "GRU") for n in model.graph.node)
    sequence = [len(s) == 2 and recurrent for s in shapes]
    origin = "%s, through examples/pytorch/ctnn_onnx.py" % (
        origin or (os.path.basename(path_or_model) if isinstance(path_or_model, str) else name + ".onnx"))
    if len(shapes) == 1:
        layers = ctnn_export.export(module, shapes[0], name, out_dir, sequence=sequence[0], batch_first=True,
                                    golden_inputs=golden_inputs, origin=origin)
    else:
        layers = ctnn_export.export(module, list(shapes), name, out_dir, sequence=sequence, batch_first=True,
                                    golden_inputs=golden_inputs, origin=origin)
    return layers, module


def main(argv=None):
    p = argparse.ArgumentParser(description="Import an ONNX model into ctnn (type, weights, golden outputs).")
    p.add_argument("model", help="an .onnx file with static shapes")
    p.add_argument("--name", required=True, help="C++ namespace and file stem")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--golden", type=int, default=4, help="number of golden inputs (default 4)")
    args = p.parse_args(argv)
    try:
        layers, _ = import_onnx(args.model, args.name, args.out, golden_inputs=args.golden)
    except UnsupportedModel as e:
        print("ctnn_onnx: cannot import %s: %s" % (args.model, e), file=sys.stderr)
        return 2
    print("ctnn_onnx: %d layers -> %s/%s{.hpp,.ctnn,.golden,_weights.hpp}" % (len(layers), args.out, args.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
