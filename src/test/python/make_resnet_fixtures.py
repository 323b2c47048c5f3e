"""Writes the timm fixtures that jvision's model tests compare against.

Committed output (small): src/test/resources/models/<name>.keys.txt for every ResNet variant,
one line `name dtype shape` per state_dict entry in timm's order (num_classes=17).

Optional parity output (not committed, ~45 MB): with --parity DIR, writes DIR/resnet18.safetensors
(timm resnet18, num_classes=5, seed 0, BatchNorm weights and running statistics randomised so
that timm's zero-initialised residual norms do not hide a wrong branch), DIR/images.safetensors
(key `x`, float32 [2,3,64,64]) and DIR/logits.safetensors (key `logits`, eval mode). Run the
Java parity test with JVISION_PARITY_DIR=DIR.

Tested with timm 1.0.29, torch 2.13 (CPU).
"""
import argparse
import pathlib

import timm
import torch
from safetensors.torch import save_file

VARIANTS = ["resnet18", "resnet26", "resnet34", "resnet50", "resnet101"]
KEYS_NUM_CLASSES = 17
DTYPES = {torch.float32: "F32", torch.int64: "I64"}


def write_keys(out_dir: pathlib.Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in VARIANTS:
        model = timm.create_model(name, pretrained=False, num_classes=KEYS_NUM_CLASSES)
        lines = [f"{k} {DTYPES[v.dtype]} [{','.join(str(d) for d in v.shape)}]"
                 for k, v in model.state_dict().items()]
        (out_dir / f"{name}.keys.txt").write_text("\n".join(lines) + "\n")
        print(f"{name}: {len(lines)} keys")


def write_parity(out_dir: pathlib.Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = timm.create_model("resnet18", pretrained=False, num_classes=5)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
    model.eval()
    x = torch.randn(2, 3, 64, 64, dtype=torch.float32)
    with torch.no_grad():
        logits = model(x)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out_dir / "resnet18.safetensors"))
    save_file({"x": x.contiguous()}, str(out_dir / "images.safetensors"))
    save_file({"logits": logits.contiguous()}, str(out_dir / "logits.safetensors"))
    print("parity logits:", logits)


if __name__ == "__main__":
    here = pathlib.Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys-dir", default=str(here / "resources" / "models"))
    ap.add_argument("--parity", default=None, help="folder for the (large, uncommitted) parity fixture")
    args = ap.parse_args()
    write_keys(pathlib.Path(args.keys_dir))
    if args.parity:
        write_parity(pathlib.Path(args.parity))
