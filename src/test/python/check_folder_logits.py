"""Cross-checks `jvision infer --model ... --images ... --save-logits` against timm.

    python src/test/python/check_folder_logits.py --model convnext_atto --out /tmp/fl
writes /tmp/fl/<model>.safetensors (timm weights, random init with seed 0, 1000 classes),
/tmp/fl/imgs/*.png (two 224x224 images) and /tmp/fl/<model>.expected.csv (timm's logits on
exactly those images, no resize, timm's mean/std). Then run
    target/jvision infer --model convnext_atto --weights /tmp/fl/convnext_atto.safetensors \
        --num-classes 1000 --images /tmp/fl/imgs --no-resize --save-logits /tmp/fl/convnext_atto.csv
and compare with --compare.

With --seeded the weights are trained-like instead (make_numerics_fixtures.py's seed rule: layer
scale around 1, calibrated non-trivial BatchNorm statistics, logits O(1)) and the two images are
that script's seeded images at the model's default input size.
"""
import argparse
import csv
import os
import sys

import numpy as np
import timm
import torch
from PIL import Image
from safetensors.torch import save_file


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--compare", action="store_true")
    ap.add_argument("--seeded", action="store_true", help="trained-like seeded weights and images")
    a = ap.parse_args()
    if a.compare:
        exp = list(csv.reader(open(os.path.join(a.out, a.model + ".expected.csv"))))[1:]
        got = list(csv.reader(open(os.path.join(a.out, a.model + ".csv"))))[1:]
        assert [r[0] for r in exp] == [r[0] for r in got], "image order differs"
        e = np.array([r[1:] for r in exp], dtype=np.float64)
        d = np.abs(e - np.array([r[1:] for r in got], dtype=np.float64))
        print(f"{a.model}: max abs diff {d.max():.3e} over {d.size} logits (logits std {e.std():.3g})")
        return
    os.makedirs(os.path.join(a.out, "imgs"), exist_ok=True)
    if a.seeded:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import make_numerics_fixtures as seeded
        m, _, _ = seeded.seeded_model(a.model)
        px = seeded.pixels(m.pretrained_cfg["input_size"][1])
    else:
        torch.manual_seed(0)
        m = timm.create_model(a.model, pretrained=False).eval()
        rng = np.random.default_rng(1)
        px = [rng.integers(0, 256, (224, 224, 3), dtype=np.uint8) for _ in range(2)]
    save_file({k: v.contiguous() for k, v in m.state_dict().items()}, os.path.join(a.out, a.model + ".safetensors"))
    cfg = m.pretrained_cfg
    mean = torch.tensor(cfg["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(cfg["std"]).view(1, 3, 1, 1)
    names, xs = [], []
    for i, img in enumerate(px):
        name = f"img{i}.png"
        Image.fromarray(img).save(os.path.join(a.out, "imgs", name))
        names.append(name)
        xs.append(torch.from_numpy(img).permute(2, 0, 1).float() / 255.0)
    x = (torch.stack(xs) - mean) / std
    with torch.no_grad():
        y = m(x)
    with open(os.path.join(a.out, a.model + ".expected.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["image"] + [f"c{i}" for i in range(y.shape[1])])
        for n, row in zip(names, y.tolist()):
            w.writerow([n] + [repr(v) for v in row])


if __name__ == "__main__":
    main()
