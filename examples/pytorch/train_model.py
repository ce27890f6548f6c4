#!/usr/bin/env python3
"""Trains the README's example model in PyTorch and saves it with torch.save, for ctnn_export.py.

    /usr/bin/python3 examples/pytorch/train_model.py build/wave_mlp.pt

The model learns y = sin(3 x0) cos(2 x1) on [-1, 1]^2: an MLP with a batch norm (the exporter folds
it into the Linear before it) and a dropout (a no-op at inference), as a model trained in Python
and deployed in C++ would have. About two seconds on one core.
"""
import math
import sys

import torch
import torch.nn as nn


def make_model():
    return nn.Sequential(nn.Linear(2, 32), nn.BatchNorm1d(32), nn.Tanh(), nn.Dropout(0.1),
                         nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))


def target(x):
    return torch.sin(3 * x[:, :1]) * torch.cos(2 * x[:, 1:])


def main(path):
    torch.manual_seed(0)
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    x = torch.rand(4096, 2) * 2 - 1
    y = target(x)
    for epoch in range(60):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        xt = torch.rand(1024, 2) * 2 - 1
        rmse = math.sqrt(nn.functional.mse_loss(model(xt), target(xt)).item())
    torch.save(model, path)
    print("trained: test RMSE %.4f; saved %s" % (rmse, path))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "wave_mlp.pt")
