#!/usr/bin/env python3
"""PyTorch DataLoader counterpart of jvision's LoaderBenchmark: read JPEGs, decode, resize to
SIZE x SIZE, collate uint8 NHWC batches (no model). Prints images/s.

Pair it with the JMH benchmark over the same folder (LoaderBenchmark writes the JPEGs into
DIR/images when DIR holds none; this script can also generate them with PIL):

    OPENBLAS_NUM_THREADS=1 python benchmarks/python/loader_bench.py --dir /tmp/loaderbench --workers 2

Decoders: pil (Pillow: Image.open -> convert RGB -> resize BILINEAR, which filters like
INTER_AREA when shrinking) or cv2 (cv2.imdecode -> INTER_AREA -> BGR2RGB, as jvision does) when
OpenCV is installed. Epochs are shuffled and run on from one to the next, with persistent workers
and prefetch_factor 2, so workers never idle between epochs; the first --warmup seconds are not
counted.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


def jpegs(folder):
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != ".jvision_cache"]
        out.extend(os.path.join(root, f) for f in files if f.endswith(".jpg"))
    return sorted(out)


def generate(folder, n, side, seed=7):
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    out = os.path.join(folder, "images")
    os.makedirs(out, exist_ok=True)
    w, h = side, side * 3 // 4
    noise = [rng.integers(0, 24, (h, w, 3), dtype=np.uint8) for _ in range(4)]
    for i in range(n):
        img = Image.new("RGB", (w, h), tuple(int(v) for v in rng.integers(0, 256, 3)))
        d = ImageDraw.Draw(img)
        for k in range(12):
            x0, y0, x1, y1 = (int(v) for v in (rng.integers(0, w), rng.integers(0, h), rng.integers(0, w), rng.integers(0, h)))
            c = tuple(int(v) for v in rng.integers(0, 256, 3))
            if k % 2 == 0:
                r = 5 + int(rng.integers(0, side // 4))
                d.ellipse((x0 - r, y0 - r, x0 + r, y0 + r), fill=c)
            else:
                d.rectangle((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), fill=c)
        a = np.asarray(img, dtype=np.uint16) + noise[int(rng.integers(0, 4))]
        Image.fromarray(np.minimum(a, 255).astype(np.uint8)).save(os.path.join(out, "%06d.jpg" % i), quality=90)


class Jpegs(Dataset):
    def __init__(self, files, size, decoder):
        self.files, self.size, self.decoder = files, size, decoder

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        if self.decoder == "cv2":
            import cv2

            with open(self.files[i], "rb") as f:
                m = cv2.imdecode(np.frombuffer(f.read(), np.uint8), cv2.IMREAD_COLOR)
            interp = cv2.INTER_AREA if max(m.shape[:2]) > self.size else cv2.INTER_LINEAR
            m = cv2.cvtColor(cv2.resize(m, (self.size, self.size), interpolation=interp), cv2.COLOR_BGR2RGB)
        else:
            from PIL import Image

            with Image.open(self.files[i]) as img:
                m = np.asarray(img.convert("RGB").resize((self.size, self.size), Image.BILINEAR))
        return torch.from_numpy(np.array(m, copy=True)), i % 10


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dir", required=True, help="folder of *.jpg (generated into DIR/images when it holds none)")
    p.add_argument("--images", type=int, default=2000, help="images to generate when DIR holds none")
    p.add_argument("--src-size", type=int, default=384)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--workers", type=int, default=2, help="DataLoader num_workers (match LoaderBenchmark's workers)")
    p.add_argument("--decoder", choices=["pil", "cv2"], default="pil")
    p.add_argument("--warmup", type=float, default=10.0, help="seconds not counted")
    p.add_argument("--seconds", type=float, default=30.0, help="seconds measured")
    a = p.parse_args()
    torch.set_num_threads(1)
    files = jpegs(a.dir)
    if not files:
        generate(a.dir, a.images, a.src_size)
        files = jpegs(a.dir)
    loader = DataLoader(Jpegs(files, a.size, a.decoder), batch_size=a.batch, shuffle=True, drop_last=True,
                        num_workers=a.workers, persistent_workers=a.workers > 0,
                        prefetch_factor=2 if a.workers > 0 else None,
                        generator=torch.Generator().manual_seed(1))
    images, start, counting = 0, time.perf_counter(), False
    t0 = start
    while True:
        for x, y in loader:
            now = time.perf_counter()
            if not counting and now - start >= a.warmup:
                counting, t0, images = True, now, 0
            elif counting:
                images += x.shape[0]
                if now - t0 >= a.seconds:
                    rate = images / (now - t0)
                    print(f"loader_bench: {len(files)} files, {a.decoder}, size {a.size}, batch {a.batch}, "
                          f"num_workers {a.workers}: {rate:.1f} images/s")
                    return 0


if __name__ == "__main__":
    sys.exit(main())
