#!/usr/bin/env python3
"""The network of examples/sunspots_graph.cpp in PyTorch, on the same data, for comparison.

    /usr/bin/python3 examples/pytorch/sunspots_graph.py [sunspots.csv] [--seeds N]

Two inputs (the ten years before a target year through an LSTM; sin and cos of 2 pi year / 11
through Linear + tanh), concatenated, Linear + ReLU, then two heads: the number (MSE) and whether it
rises above last year's (cross-entropy, weight 0.5). Full-batch Adam (lr 0.01, 300 steps, gradients
clipped to norm 1). Training targets 1710-1958, test 1959-2008, z-scored with 1700-1958's
statistics. The CSV is statsmodels' (Debian's python3-statsmodels), installed or in ctnn's cache.
"""
import argparse
import csv
import math
import os
import statistics
import time

import torch
import torch.nn as nn

PATH = "usr/lib/python3/dist-packages/statsmodels/datasets/sunspots/sunspots.csv"


def default_csv():
    if os.path.exists("/" + PATH):
        return "/" + PATH
    cache = os.environ.get("CTNN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "ctnn")
    return os.path.join(cache, "python3-statsmodels", PATH)


def load(path):
    with open(path) as f:
        rows = list(csv.reader(f))[1:]
    years = [int(float(r[0])) for r in rows]
    values = [float(r[1]) for r in rows]
    last_train = 1958 - 1700
    mean = sum(values[:last_train + 1]) / (last_train + 1)
    scale = math.sqrt(sum((v - mean) ** 2 for v in values[:last_train + 1]) / (last_train + 1))
    parts = {"train": ([], [], [], []), "test": ([], [], [], [])}
    for i in range(10, len(values)):
        part = parts["train" if i <= last_train else "test"]
        part[0].append([[(v - mean) / scale] for v in values[i - 10:i]])
        angle = 2 * math.pi * years[i] / 11.0
        part[1].append([math.sin(angle), math.cos(angle)])
        part[2].append([(values[i] - mean) / scale])
        part[3].append(1 if values[i] > values[i - 1] else 0)
    tensors = {k: (torch.tensor(w), torch.tensor(p), torch.tensor(n), torch.tensor(d)) for k, (w, p, n, d) in
               parts.items()}
    return tensors, mean, scale


class TwoInputsTwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 16, batch_first=True)
        self.phase = nn.Linear(2, 4)
        self.body = nn.Linear(20, 16)
        self.number = nn.Linear(16, 1)
        self.direction = nn.Linear(16, 2)

    def forward(self, window, phase):
        out, _ = self.lstm(window)
        z = torch.relu(self.body(torch.cat([out[:, -1], torch.tanh(self.phase(phase))], dim=1)))
        return self.number(z), self.direction(z)


def run(data, mean, scale, seed, steps=300):
    torch.manual_seed(seed)
    model = TwoInputsTwoHeads()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    w, p, n, d = data["train"]
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        number, direction = model(w, p)
        loss = nn.functional.mse_loss(number, n) + 0.5 * nn.functional.cross_entropy(direction, d)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    seconds = time.perf_counter() - start
    w, p, n, d = data["test"]
    with torch.no_grad():
        number, direction = model(w, p)
    rmse = math.sqrt(((number - n) ** 2).mean().item()) * scale
    accuracy = (direction.argmax(dim=1) == d).float().mean().item()
    return rmse, accuracy, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", nargs="?", default=default_csv())
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    torch.set_default_dtype(torch.float32)
    torch.set_num_threads(1)
    data, mean, scale = load(args.csv)
    naive = math.sqrt(((data["test"][0][:, -1] - data["test"][2]) ** 2).mean().item()) * scale
    results = [run(data, mean, scale, seed) for seed in range(args.seeds)]
    for seed, (rmse, accuracy, seconds) in enumerate(results):
        print("PyTorch %s, seed %d: number RMSE %.2f, direction accuracy %.3f, trained in %.3f s" %
              (torch.__version__, seed, rmse, accuracy, seconds))
    print("median over %d seeds: number RMSE %.2f (naive last-value %.2f), direction accuracy %.3f, training %.3f s "
          "(300 full-batch steps, one thread)" %
          (len(results), statistics.median(r[0] for r in results), naive, statistics.median(r[1] for r in results),
           statistics.median(r[2] for r in results)))


if __name__ == "__main__":
    main()
