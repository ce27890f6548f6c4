#!/usr/bin/env python3
"""torchvision's resnet18 and mobilenet_v2, exported to ctnn as torchvision writes them.

    apt-get install python3-torchvision        # Debian 12: torchvision 0.14
    /usr/bin/python3 examples/torchvision/export.py build/torchvision
    c++ -std=c++20 -O3 -march=native -Iinclude -Idsl -Ibuild/torchvision \\
        examples/torchvision/check.cpp -o build/torchvision/check -lz
    build/torchvision/check build/torchvision

Random weights (seed 0; the models' own initialization): what is checked is the mapping, not the
accuracy. Writes NAME.hpp, NAME.ctnn and NAME.golden (2 images of 3x224x224) for each model into
the directory, and prints PyTorch's own time for one image on one thread (the anchor the C++
program compares with).
"""
import os
import statistics
import sys
import time

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pytorch"))
import ctnn_export  # noqa: E402


def main(out):
    torch.set_num_threads(1)
    for name, make in (("resnet18", torchvision.models.resnet18), ("mobilenet_v2", torchvision.models.mobilenet_v2)):
        torch.manual_seed(0)
        model = make(weights=None).eval()
        layers = ctnn_export.export(model, (3, 224, 224), name, out, golden_inputs=2,
                                    origin="torchvision.models.%s(weights=None)" % name)
        os.remove(os.path.join(out, name + "_weights.hpp"))  # (tens of MB of constexpr data: not needed here)
        x = torch.randn(1, 3, 224, 224)
        with torch.no_grad():
            model(x)
            times = []
            for _ in range(7):
                t = time.perf_counter()
                model(x)
                times.append(time.perf_counter() - t)
        print("%-13s %2d ctnn layers; PyTorch %s, one thread: %.1f ms per image (median of 7)" %
              (name, len(layers), torch.__version__, 1e3 * statistics.median(times)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/torchvision")
