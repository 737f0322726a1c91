"""PyTorch side of lib/train/torch_parity_test.ts: loads the tfjs model's initial weights and a batch,
runs STEPS Adadelta steps of the reference Net with dropout off (eval mode), and writes each
step's loss and the final weights back in tfjs layout.
Usage: torch_step.py DIR STEPS LR   (DIR holds weights.bin, images.bin, labels.bin, batch)"""
import json, os, sys
import numpy as np, torch, torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from torch_bench import Net  # the one PyTorch definition of the reference model in this project

d, steps, lr = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
torch.set_num_threads(1)
w = np.fromfile(f"{d}/weights.bin", dtype=np.float32)
shapes = [(3, 3, 1, 32), (32,), (3, 3, 32, 64), (64,), (9216, 128), (128,), (128, 10), (10,)]
parts, o = [], 0
for s in shapes:
    n = int(np.prod(s)); parts.append(w[o:o + n].reshape(s)); o += n
c1k, c1b, c2k, c2b, f1k, f1b, f2k, f2b = parts
# tfjs flattens NHWC (h, w, c); torch flattens NCHW (c, h, w).
f1 = f1k.reshape(12, 12, 64, 128).transpose(2, 0, 1, 3).reshape(9216, 128)
m = Net()
with torch.no_grad():
    m.conv1.weight.copy_(torch.from_numpy(c1k.transpose(3, 2, 0, 1).copy())); m.conv1.bias.copy_(torch.from_numpy(c1b))
    m.conv2.weight.copy_(torch.from_numpy(c2k.transpose(3, 2, 0, 1).copy())); m.conv2.bias.copy_(torch.from_numpy(c2b))
    m.fc1.weight.copy_(torch.from_numpy(f1.T.copy())); m.fc1.bias.copy_(torch.from_numpy(f1b))
    m.fc2.weight.copy_(torch.from_numpy(f2k.T.copy())); m.fc2.bias.copy_(torch.from_numpy(f2b))
n = int(open(f"{d}/batch").read())
x = torch.from_numpy(np.fromfile(f"{d}/images.bin", dtype=np.float32).reshape(n, 1, 28, 28))
y = torch.from_numpy(np.fromfile(f"{d}/labels.bin", dtype=np.uint8).astype(np.int64))
m.eval()
opt = torch.optim.Adadelta(m.parameters(), lr=lr)
losses = []
for _ in range(steps):
    opt.zero_grad(); loss = F.nll_loss(m(x), y); loss.backward(); opt.step(); losses.append(loss.item())
with torch.no_grad():
    f1back = m.fc1.weight.numpy().T.reshape(64, 12, 12, 128).transpose(1, 2, 0, 3).reshape(9216, 128)
    out = [m.conv1.weight.numpy().transpose(2, 3, 1, 0), m.conv1.bias.numpy(),
           m.conv2.weight.numpy().transpose(2, 3, 1, 0), m.conv2.bias.numpy(),
           f1back, m.fc1.bias.numpy(), m.fc2.weight.numpy().T, m.fc2.bias.numpy()]
np.concatenate([a.astype(np.float32).ravel() for a in out]).tofile(f"{d}/after.bin")
print(json.dumps({"losses": losses, "torch": torch.__version__}))
