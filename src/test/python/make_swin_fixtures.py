"""Writes the timm fixtures that jvision's Swin Transformer tests compare against.

Committed output (all small):
- src/test/resources/models/<name>.keys.txt for every registered Swin v1 variant: one line
  `name dtype shape` per state_dict entry in timm's order (num_classes=17, as ModelsTest expects).
  timm keeps relative_position_index and attn_mask as non-persistent buffers, so they are absent.
- src/test/resources/models/swin/tiny<S>.safetensors for S in 32 and 64: a tiny timm
  SwinTransformer(img_size=S, patch_size=4, window_size=4, embed_dim=16, depths=(2, 2),
  num_heads=(1, 2), num_classes=5, drop_path_rate=0) state dict with every weight randomised
  from seed 0 (LayerNorm weights and biases and the relative position bias tables included, so
  that no zero/one init hides a wrong branch), and tiny<S>_io.safetensors with keys `x`
  (float32 [2, 3, S, S] images) and `logits` (eval mode).
  At S=32 stage 0 is an 8x8 map (window 4, shift 2: the masked path runs) and stage 1 is a 4x4
  map (window 4, no shift: timm's shrink rule); at S=64 both stages shift (16x16 and 8x8 maps).
- src/test/resources/models/swin/tiny32_at36_io.safetensors: `x` and `logits` of the S=32 model built with
  strict_img_size=False, run on 36x36 images (windows as built; stage 0 is 9x9, padded to 12x12 under the shifted
  mask; patch merging pads it to 10x10; stage 1 is 5x5, padded to 8x8).

Optional full-size output (not committed, ~115 MB): with --full-parity DIR, writes
DIR/swin_tiny_patch4_window7_224.safetensors (timm model, num_classes=5, seed 0, norms and bias
tables randomised as above), DIR/swin_tiny_io.safetensors (`x` [1, 3, 224, 224], eval `logits`).
Run SwinParityTest with JVISION_PARITY_DIR=DIR.

Tested with timm 1.0.29, torch 2.13 (CPU).
"""
import argparse
import pathlib

import timm
import torch
from safetensors.torch import save_file
from timm.models.swin_transformer import SwinTransformer

VARIANTS = [
    "swin_tiny_patch4_window7_224",
    "swin_small_patch4_window7_224",
    "swin_base_patch4_window7_224",
    "swin_base_patch4_window12_384",
]
KEYS_NUM_CLASSES = 17
DTYPES = {torch.float32: "F32", torch.int64: "I64"}
TINY = dict(patch_size=4, window_size=4, embed_dim=16, depths=(2, 2), num_heads=(1, 2), num_classes=5)


def write_keys(out_dir: pathlib.Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in VARIANTS:
        model = timm.create_model(name, pretrained=False, num_classes=KEYS_NUM_CLASSES)
        sd = model.state_dict()
        assert not any("relative_position_index" in k or "attn_mask" in k for k in sd)
        lines = [f"{k} {DTYPES[v.dtype]} [{','.join(str(d) for d in v.shape)}]" for k, v in sd.items()]
        (out_dir / f"{name}.keys.txt").write_text("\n".join(lines) + "\n")
        print(f"{name}: {len(lines)} keys")


def randomised_tiny(img_size: int, strict: bool = True) -> SwinTransformer:
    torch.manual_seed(0)
    return randomise(SwinTransformer(img_size=img_size, strict_img_size=strict, drop_path_rate=0.0, **TINY))


def randomise(model: SwinTransformer) -> SwinTransformer:
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("relative_position_bias_table"):
                p.normal_(0, 0.5)
            elif p.dim() == 1 and ("norm" in name):
                p.uniform_(0.5, 1.5) if name.endswith("weight") else p.uniform_(-0.2, 0.2)
            elif p.dim() == 1:
                p.uniform_(-0.1, 0.1)
            else:  # Linear / conv weights: unit-variance outputs, so logits are O(1), not O(0.01)
                p.normal_(0, p[0].numel() ** -0.5)
    return model.eval()


def describe(model: SwinTransformer) -> str:
    out = []
    for i, stage in enumerate(model.layers):
        for j, blk in enumerate(stage.blocks):
            out.append(f"layers.{i}.blocks.{j}: window {blk.window_size} shift {blk.shift_size} "
                       f"mask {None if blk.attn_mask is None else tuple(blk.attn_mask.shape)}")
    return "\n".join(out)


def write_parity(out_dir: pathlib.Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for size in (32, 64):
        model = randomised_tiny(size)
        print(f"tiny{size}:\n{describe(model)}")
        torch.manual_seed(1)
        x = torch.randn(2, 3, size, size)
        with torch.no_grad():
            logits = model(x)
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out_dir / f"tiny{size}.safetensors"))
        save_file({"x": x.contiguous(), "logits": logits.contiguous()}, str(out_dir / f"tiny{size}_io.safetensors"))
        print(f"tiny{size} logits:", logits)
    # other input size: built at 32, run at 36 (timm's strict_img_size=False path)
    model = randomised_tiny(32, strict=False)
    ref = randomised_tiny(32)
    for (k, a), b in zip(model.state_dict().items(), ref.state_dict().values()):
        assert torch.equal(a, b), k
    torch.manual_seed(2)
    x = torch.randn(2, 3, 36, 36)
    with torch.no_grad():
        logits = model(x)
    save_file({"x": x.contiguous(), "logits": logits.contiguous()}, str(out_dir / "tiny32_at36_io.safetensors"))
    print("tiny32 at 36 logits:", logits)


def write_full_parity(out_dir: pathlib.Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = randomise(timm.create_model("swin_tiny_patch4_window7_224", pretrained=False, num_classes=5))
    torch.manual_seed(1)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        logits = model(x)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              str(out_dir / "swin_tiny_patch4_window7_224.safetensors"))
    save_file({"x": x.contiguous(), "logits": logits.contiguous()}, str(out_dir / "swin_tiny_io.safetensors"))
    print("swin_tiny 224 logits:", logits)


if __name__ == "__main__":
    here = pathlib.Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys-dir", default=str(here / "resources" / "models"))
    ap.add_argument("--parity-dir", default=str(here / "resources" / "models" / "swin"))
    ap.add_argument("--full-parity", default=None, help="folder for the (large, uncommitted) full-size fixture")
    args = ap.parse_args()
    write_keys(pathlib.Path(args.keys_dir))
    write_parity(pathlib.Path(args.parity_dir))
    if args.full_parity:
        write_full_parity(pathlib.Path(args.full_parity))
