"""PyTorch side of `deno task bench -- --vs-pytorch`: times training steps of the reference
CNN (same model, Adadelta, NLL) on real MNIST batches and one test pass, prints one JSON
object on stdout. Usage: torch_bench.py IDX_DIR STEPS BATCH_SIZES THREADS [WARMUP]
(BATCH_SIZES comma separated, e.g. 32,64,128)."""
import json, resource, sys, time
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F


def idx(path):
    raw = open(path, "rb").read()
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(raw[3])]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.conv1, s.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
        s.dropout1, s.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
        s.fc1, s.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

    def forward(s, x):
        x = F.max_pool2d(F.relu(s.conv2(F.relu(s.conv1(x)))), 2)
        x = s.dropout2(F.relu(s.fc1(torch.flatten(s.dropout1(x), 1))))
        return F.log_softmax(s.fc2(x), dim=1)


def main():
    d, steps, sizes, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    warmup = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    norm = lambda a: (torch.from_numpy(a.astype(np.float32) / 255.0) - 0.1307) / 0.3081
    xtr = norm(idx(f"{d}/train-images-idx3-ubyte")).unsqueeze(1)
    ytr = torch.from_numpy(idx(f"{d}/train-labels-idx1-ubyte").astype(np.int64))
    xte = norm(idx(f"{d}/t10k-images-idx3-ubyte")).unsqueeze(1)
    m = Net()
    opt = torch.optim.Adadelta(m.parameters(), lr=1.0)
    perm = torch.randperm(len(xtr))
    at = 0
    results = []
    for bs in [int(s) for s in sizes.split(",")]:
        samples = []
        m.train()
        for i in range(warmup + steps):
            if at + bs > len(xtr):
                at = 0
            ids = perm[at:at + bs]
            at += bs
            x, y = xtr[ids], ytr[ids]
            t0 = time.perf_counter()
            opt.zero_grad()
            out = m(x)
            loss = F.nll_loss(out, y)
            loss.backward()
            opt.step()
            loss.item()
            if i >= warmup:
                samples.append((time.perf_counter() - t0) * 1000)
        results.append({"batchSize": bs, "samplesMs": samples})
    m.eval()
    t0 = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(xte), 1000):
            m(xte[i:i + 1000]).argmax(1)
    test_pass = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"version": torch.__version__, "threads": torch.get_num_threads(),
                      "steps": results, "testPassSeconds": test_pass, "peakRssBytes": rss}))


if __name__ == "__main__":
    main()
