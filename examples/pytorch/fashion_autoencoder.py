"""The network of examples/fashion_autoencoder.cpp in PyTorch, trained the same way (Adam 1e-3,
batch 64, MSE, shuffled each epoch, the first TRAIN_LIMIT training images), for the test
reconstruction MSE beside ctnn's. Run with Debian's python3-torch:

    /usr/bin/python3 examples/pytorch/fashion_autoencoder.py [epochs] [train_limit] [threads]

The images are Debian's dataset-fashion-mnist: installed under /usr/share/datasets/fashion-mnist,
or in ctnn's cache (run the C++ example first: it fetches them). Not needed by the tests.
"""
import gzip
import os
import sys
import time

import numpy as np
import torch
from torch import nn


def idx_images(path, limit=0):
    with gzip.open(path, "rb") as f:
        data = f.read()
    n, h, w = (int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(3))
    x = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, 1, h, w)
    if limit:
        x = x[:limit]
    return torch.from_numpy(x.astype(np.float32) / 255)


def fashion_file(name):
    rel = "usr/share/datasets/fashion-mnist/" + name
    cache = os.environ.get("CTNN_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "ctnn")
    for p in ("/" + rel, os.path.join(cache, "dataset-fashion-mnist", rel)):
        if os.path.exists(p):
            return p
    sys.exit("Fashion-MNIST not found: install dataset-fashion-mnist or run examples/fashion_autoencoder first")


def model():
    encoder = nn.Sequential(nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),
                            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
                            nn.Flatten(), nn.Linear(32 * 7 * 7, 32))
    decoder = nn.Sequential(nn.Linear(32, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
                            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
                            nn.ConvTranspose2d(16, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())
    return nn.Sequential(encoder, decoder)


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 60000
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    torch.manual_seed(1)
    train = idx_images(fashion_file("train-images-idx3-ubyte.gz"), limit)
    test = idx_images(fashion_file("t10k-images-idx3-ubyte.gz"))
    net = model()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    start = time.time()
    for epoch in range(epochs):
        order = torch.randperm(len(train))
        total = 0.0
        for b in range(0, len(train), 64):
            x = train[order[b:b + 64]]
            loss = nn.functional.mse_loss(net(x), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(x)
        print("epoch %d/%d  loss %.4f" % (epoch + 1, epochs, total / len(train)))
    seconds = time.time() - start
    with torch.no_grad():
        mse = sum(nn.functional.mse_loss(net(test[b:b + 1000]), test[b:b + 1000], reduction="sum").item()
                  for b in range(0, len(test), 1000)) / test.numel()
    print("PyTorch %s, %d threads: test reconstruction MSE %.5f (%d epochs, %d training images, %.1f s of training)"
          % (torch.__version__, torch.get_num_threads(), mse, epochs, len(train), seconds))


if __name__ == "__main__":
    main()
