"""Writes the timm fixtures that jvision's ConvNeXt and folder-inference tests compare against.

Committed output (all small):
- src/test/resources/models/<name>.keys.txt for every registered ConvNeXt variant: one line
  `name dtype shape` per state_dict entry in timm's order (num_classes=17, as the ResNet lists).
- src/test/resources/models/convnext/
    tiny.safetensors          timm ConvNeXt(depths=(1,1,2,1), dims=(8,16,24,32), num_classes=5)
    tiny_convmlp.safetensors  the same with conv_mlp=True and head_hidden_size=12
    io.safetensors            x: float32 [2,3,64,64]; logits_tiny, logits_tiny_convmlp: eval-mode logits
    images/a.png, images/b.png uint8 RGB images (64x64 and 80 wide x 48 high)
    folder_logits.safetensors logits: tiny's eval logits [2,5] of images/a.png, images/b.png (sorted
                              by name) at their own size, normalised with ImageNet mean/std
Every weight (conv, linear, LayerNorm weight/bias, layer-scale gamma) is randomised from seed 0,
so that no zero or identity initialisation hides a wrong branch.

Tested with timm 1.0.29, torch 2.13 (CPU). Run from anywhere: python make_convnext_fixtures.py
"""
import pathlib

import numpy as np
import timm
import torch
from PIL import Image
from safetensors.torch import save_file
from timm.models.convnext import ConvNeXt

VARIANTS = ["convnext_atto", "convnext_femto", "convnext_pico", "convnext_nano",
            "convnext_tiny", "convnext_small", "convnext_base", "convnext_large"]
KEYS_NUM_CLASSES = 17
DTYPES = {torch.float32: "F32", torch.int64: "I64"}
MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)


def write_keys(out_dir: pathlib.Path) -> None:
    for name in VARIANTS:
        model = timm.create_model(name, pretrained=False, num_classes=KEYS_NUM_CLASSES)
        lines = [f"{k} {DTYPES[v.dtype]} [{','.join(str(d) for d in v.shape)}]"
                 for k, v in model.state_dict().items()]
        (out_dir / f"{name}.keys.txt").write_text("\n".join(lines) + "\n")
        print(f"{name}: {len(lines)} keys")


def randomise(model: torch.nn.Module) -> None:
    with torch.no_grad():
        for name, p in model.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            if leaf == "gamma":
                p.uniform_(-1.0, 1.0)
            elif p.ndim == 1 and leaf == "weight":  # LayerNorm
                p.uniform_(0.5, 1.5)
            elif leaf == "bias":
                p.uniform_(-0.3, 0.3)
            else:
                fan_in = p[0].numel()
                p.normal_(0.0, 1.0 / fan_in ** 0.5)


def tiny(conv_mlp: bool) -> ConvNeXt:
    kw = dict(conv_mlp=True, head_hidden_size=12) if conv_mlp else {}
    m = ConvNeXt(depths=(1, 1, 2, 1), dims=(8, 16, 24, 32), num_classes=5, **kw)
    randomise(m)
    return m.eval()


def png_pixels(h: int, w: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([128 + 100 * np.sin(xx / 7.0 + c) * np.cos(yy / 5.0 - c) for c in range(3)], axis=-1)
    return np.clip(base + rng.normal(0, 25, size=(h, w, 3)), 0, 255).astype(np.uint8)


def write_parity(out_dir: pathlib.Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    m1 = tiny(False)
    m2 = tiny(True)
    x = torch.randn(2, 3, 64, 64, dtype=torch.float32)
    with torch.no_grad():
        l1 = m1(x)
        l2 = m2(x)
    save_file({k: v.contiguous() for k, v in m1.state_dict().items()}, str(out_dir / "tiny.safetensors"))
    save_file({k: v.contiguous() for k, v in m2.state_dict().items()}, str(out_dir / "tiny_convmlp.safetensors"))
    save_file({"x": x, "logits_tiny": l1.contiguous(), "logits_tiny_convmlp": l2.contiguous()},
              str(out_dir / "io.safetensors"))
    print("tiny logits:", l1)
    print("tiny conv_mlp logits:", l2)

    img_dir = out_dir / "images"
    img_dir.mkdir(exist_ok=True)
    rows = []
    for name, (h, w), seed in [("a.png", (64, 64), 1), ("b.png", (48, 80), 2)]:
        px = png_pixels(h, w, seed)
        Image.fromarray(px, "RGB").save(img_dir / name)
        back = np.asarray(Image.open(img_dir / name).convert("RGB"))
        assert (back == px).all()
        t = torch.from_numpy(back.copy()).permute(2, 0, 1).float().div(255.0)
        t = ((t - MEAN) / STD).unsqueeze(0)
        with torch.no_grad():
            rows.append(m1(t))
    folder = torch.cat(rows).contiguous()
    save_file({"logits": folder}, str(out_dir / "folder_logits.safetensors"))
    print("folder logits:", folder)


if __name__ == "__main__":
    models_dir = pathlib.Path(__file__).resolve().parents[1] / "resources" / "models"
    write_keys(models_dir)
    write_parity(models_dir / "convnext")
