"""The small-image recipe in plain PyTorch, for the paired comparison with jvision (issue 24):
the same QuickNet (benchmarks/python/quicknet.py) and the same tricks as configs/recipes/fmnist_quicknet_*.yaml
(patch-whitening stem, frozen BatchNorm scale, BatchNorm momentum and bias learning-rate multiplier, Nesterov SGD
with a triangular schedule tied to the wall-clock budget, lookahead averaging, alternating flip, reflect-padded
translation, label smoothing, flip + 1-pixel-shift TTA), on Fashion-MNIST read straight from its IDX files.

Protocol (as jvision's recipe): a stratified 20% hold-out of the 60k training images for validation (tuning only);
the 10k test images only for the final accuracy. Data preparation, training (the budget) and test inference are
timed separately. Prints one JSON line.

Run (2 cores, one job at a time):
  OPENBLAS_NUM_THREADS=1 /work/venv/bin/python benchmarks/python/quicknet_recipe.py \
      --data /usr/share/datasets/fashion-mnist --model quicknet_m --max-time 300 --threads 2
Smoke: --max-time 20 --max-steps 20 --eval-images 1000
"""
import argparse
import gzip
import json
import math
import pathlib
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import quicknet  # noqa: E402


def read_idx(path: pathlib.Path) -> np.ndarray:
    raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(d: pathlib.Path, base: str) -> pathlib.Path:
    for p in (d / base, d / (base + ".gz")):
        if p.exists():
            return p
    raise SystemExit(f"{d / base}[.gz]: not found")


def stratified_holdout(labels: np.ndarray, frac: float, seed: int):
    rng = np.random.default_rng(seed)
    val = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        val.extend(idx[: int(round(frac * len(idx)))])
    val = np.sort(np.array(val))
    train = np.setdiff1d(np.arange(len(labels)), val)
    return train, val


def normalise(u8: torch.Tensor) -> torch.Tensor:
    """uint8 [N, H, W] grey -> float [N, 3, H, W], (x / 255 - 0.5) / 0.25, as jvision's QuickNet spec."""
    x = u8.float().div_(255.0).sub_(0.5).div_(0.25)
    return x.unsqueeze(1).expand(-1, 3, -1, -1).contiguous()


def flip_shift(x: torch.Tensor, flip: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor, r: int) -> torch.Tensor:
    """Per sample: horizontal flip, then a whole-pixel shift with reflect padding (jvision's FlipShift)."""
    n, c, h, w = x.shape
    p = F.pad(x, (r, r, r, r), mode="reflect") if r > 0 else x
    ys = torch.arange(h).view(1, h, 1)
    xs = torch.arange(w).view(1, 1, w)
    xx = xs - dx.view(n, 1, 1)
    xsrc = torch.where(flip.view(n, 1, 1), (w - 1) - xx, xx)
    idx = (ys - dy.view(n, 1, 1) + r) * (w + 2 * r) + xsrc + r
    return p.reshape(n, c, -1).gather(2, idx.reshape(n, 1, h * w).expand(n, c, h * w)).reshape(n, c, h, w)


def param_groups(model, wd, bias_lr_scale):
    bn_bias = {f"{n}.bias" for n, m in model.named_modules() if isinstance(m, torch.nn.BatchNorm2d)}
    decay, no_decay, fast = [], [], []
    for n, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (fast if n in bn_bias else no_decay if p.ndim <= 1 else decay).append(p)
    return [dict(params=decay, weight_decay=wd, lr_scale=1.0), dict(params=no_decay, weight_decay=0.0, lr_scale=1.0),
            dict(params=fast, weight_decay=0.0, lr_scale=bias_lr_scale)]


def one_cycle(progress, start, peak):
    if progress < peak:
        return start + (1 - start) * progress / peak
    return max(0.0, 1 - (progress - peak) / (1 - peak))


@torch.no_grad()
def predict(model, images, batch, tta, amp):
    model.eval()
    out = []
    for i in range(0, len(images), batch):
        x = normalise(images[i:i + batch])
        views = [x]
        if tta:
            n = len(x)
            one = torch.ones(n, dtype=torch.long)
            views = [flip_shift(x, f, s * one, s * one, 1) if s else (torch.flip(x, [3]) if f[0] else x)
                     for f in (torch.zeros(n, dtype=torch.bool), torch.ones(n, dtype=torch.bool)) for s in (0, -1, 1)]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
            logits = sum(model(v).float().softmax(1) for v in views)
        out.append(logits)
    return torch.cat(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--model", default="quicknet_m", choices=sorted(quicknet.VARIANTS))
    ap.add_argument("--max-time", type=float, default=300.0, help="training budget in seconds")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after N steps (smoke runs), 0 = budget only")
    ap.add_argument("--epochs", type=int, default=200, help="upper bound; the budget normally ends training")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=0.2)
    ap.add_argument("--momentum", type=float, default=0.85)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--label-smoothing", type=float, default=0.2)
    ap.add_argument("--start-factor", type=float, default=0.2)
    ap.add_argument("--peak", type=float, default=0.25)
    ap.add_argument("--bn-momentum", type=float, default=0.4)
    ap.add_argument("--bias-lr-scale", type=float, default=4.0)
    ap.add_argument("--lookahead-every", type=int, default=5)
    ap.add_argument("--lookahead-decay", type=float, default=0.7738)
    ap.add_argument("--translate", type=int, default=2)
    ap.add_argument("--whiten-images", type=int, default=5000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--amp", action="store_true", help="bf16 autocast")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--no-tta", action="store_true")
    ap.add_argument("--eval-images", type=int, default=0, help="score only the first N validation/test images "
                    "(smoke runs), 0 = all")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    t0 = time.time()
    d = pathlib.Path(a.data)
    xtr = torch.from_numpy(read_idx(find(d, "train-images-idx3-ubyte")).copy())
    ytr = torch.from_numpy(read_idx(find(d, "train-labels-idx1-ubyte")).astype(np.int64))
    xte = torch.from_numpy(read_idx(find(d, "t10k-images-idx3-ubyte")).copy())
    yte = torch.from_numpy(read_idx(find(d, "t10k-labels-idx1-ubyte")).astype(np.int64))
    tr, va = stratified_holdout(ytr.numpy(), 0.2, a.seed)
    xva, yva = xtr[va], ytr[va]
    xtr, ytr = xtr[tr], ytr[tr]
    prep = time.time() - t0

    model = quicknet.create(a.model, num_classes=10)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = a.bn_momentum
            m.weight.requires_grad_(False)
    quicknet.whiten_stem(model, normalise(xtr[: a.whiten_images]))
    model.stem.weight.requires_grad_(False)
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    groups = param_groups(model, a.wd, a.bias_lr_scale)
    opt = torch.optim.SGD(groups, lr=a.lr, momentum=a.momentum, nesterov=True)
    slow = [t.detach().clone() for t in model.state_dict().values() if t.is_floating_point()]
    live = [t for t in model.state_dict().values() if t.is_floating_point()]
    n = len(xtr)
    steps_per_epoch = math.ceil(n / a.batch)
    total = steps_per_epoch * a.epochs
    ids_flip = torch.rand(n, generator=torch.Generator().manual_seed(a.seed)) < 0.5
    step, images, train_time, losses = 0, 0, 0.0, []
    start = time.time()
    done = False
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(n)
        for i in range(0, n, a.batch):
            idx = perm[i:i + a.batch]
            progress = max(step / total, (time.time() - start) / a.max_time)
            if progress >= 1 or (a.max_steps and step >= a.max_steps):
                done = True
                break
            lr = a.lr * one_cycle(min(progress, 1.0), a.start_factor, a.peak)
            for g in opt.param_groups:
                g["lr"] = lr * g["lr_scale"]
            b = len(idx)
            x = normalise(xtr[idx])
            flip = ids_flip[idx] ^ bool(epoch % 2)
            dx = torch.randint(-a.translate, a.translate + 1, (b,))
            dy = torch.randint(-a.translate, a.translate + 1, (b,))
            x = flip_shift(x, flip, dx, dy, a.translate).contiguous(memory_format=fmt)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.amp):
                loss = F.cross_entropy(model(x).float(), ytr[idx], label_smoothing=a.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            images += b
            if step % a.lookahead_every == 0:
                decay = a.lookahead_decay * min(progress, 1.0) ** 3
                with torch.no_grad():
                    torch._foreach_lerp_(slow, live, 1 - decay)
                    for s, l in zip(slow, live):
                        l.copy_(s)
            if step % 50 == 0:
                losses.append(round(loss.item(), 4))
        if done:
            break
    train_time = time.time() - start
    if a.eval_images:
        xva, yva, xte, yte = xva[: a.eval_images], yva[: a.eval_images], xte[: a.eval_images], yte[: a.eval_images]
    t1 = time.time()
    val_acc = (predict(model, xva, 1000, False, a.amp).argmax(1) == yva).float().mean().item()
    t2 = time.time()
    test_acc = (predict(model, xte, 1000, not a.no_tta, a.amp).argmax(1) == yte).float().mean().item()
    t3 = time.time()
    print(json.dumps(dict(impl="pytorch", torch=torch.__version__, model=a.model, threads=a.threads, amp=a.amp,
                          channels_last=a.channels_last, max_time=a.max_time, steps=step, epochs=round(step / steps_per_epoch, 2),
                          train_seconds=round(train_time, 1), images_per_second=round(images / train_time, 1),
                          data_prep_seconds=round(prep, 1), val_acc=round(val_acc, 4), val_seconds=round(t2 - t1, 1),
                          test_acc=round(test_acc, 4), tta=not a.no_tta, test_seconds=round(t3 - t2, 1),
                          loss_every_50=losses)))


if __name__ == "__main__":
    main()
