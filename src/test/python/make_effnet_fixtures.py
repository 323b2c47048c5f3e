"""Writes the timm fixtures that jvision's EfficientNetV2 tests compare against.

Committed output (small, all under src/test/resources/models/):
  * <name>.keys.txt for every registered EfficientNetV2 variant: one line `name dtype shape` per
    state_dict entry in timm's order (num_classes=17, as make_resnet_fixtures.py; read by ModelsTest).
  * effnet/tiny_tf.safetensors, effnet/tiny_pt.safetensors: state dicts of two tiny EfficientNets
    built by timm's own builder from TINY_ARCH (stem 8, head 32, 5 classes); `tf` uses TensorFlow
    "same" padding, BN eps 1e-3 and channel/depth multipliers 1.1/1.3 with round_limit 0 (as the
    tf_efficientnetv2_b* generators); `pt` uses PyTorch symmetric padding, eps 1e-5 and multipliers
    0.8/0.9 (as efficientnetv2_rw_t). Every parameter and BN statistic is drawn from seed 0 so
    that no zero-initialised bias hides a wrong branch.
  * effnet/tiny_io.safetensors: `x` float32 [2,3,61,61] (odd size: same-padding is asymmetric),
    `<cfg>_eval` eval logits, `<cfg>_train` train-mode logits (batch statistics, no drop-path),
    `<cfg>_rm` the stem bn1.running_mean after that one train-mode forward.

Optional full-variant parity output (not committed, ~75 MB): with --parity DIR, writes
DIR/<name>.safetensors for FULL_PARITY (num_classes=5, seed 0, every bias and BN statistic
randomised, the last norm of every block scaled by 0.1), DIR/effnet_io.safetensors with `x` float32 [2,3,99,99] and `<name>` eval logits.
Run EfficientNetParityTest with JVISION_PARITY_DIR=DIR.

Tested with timm 1.0.29, torch 2.13 (CPU). Usage: python make_effnet_fixtures.py [--parity DIR]
"""
import pathlib
from functools import partial

import timm
import torch
from safetensors.torch import save_file
from timm.models._efficientnet_builder import decode_arch_def, round_channels
from timm.models.efficientnet import EfficientNet

VARIANTS = [
    "tf_efficientnetv2_b0", "tf_efficientnetv2_b1", "tf_efficientnetv2_b2", "tf_efficientnetv2_b3",
    "tf_efficientnetv2_s", "tf_efficientnetv2_m", "efficientnetv2_rw_t", "efficientnetv2_rw_s",
]
KEYS_NUM_CLASSES = 17
DTYPES = {torch.float32: "F32", torch.int64: "I64"}

# keep in sync with EfficientNetParityTest.TINY_ARCH
TINY_ARCH = [
    ["cn_r1_k3_s1_e1_c8_skip"],
    ["ds_r1_k3_s1_c8_se0.25"],
    ["er_r1_k3_s2_e4_c12"],
    ["ir_r2_k3_s2_e4_c16_se0.25"],
    ["ir_r1_k5_s2_e3_c24_se0.25", "er_r1_k3_s1_e2_c24"],
]
CONFIGS = {
    # name: (channel_multiplier, depth_multiplier, round_limit, pad_type, bn_eps)
    "tf": (1.1, 1.3, 0.0, "same", 1e-3),
    "pt": (0.8, 0.9, 0.9, "", 1e-5),
}


def write_keys(out_dir: pathlib.Path) -> None:
    for name in VARIANTS:
        model = timm.create_model(name, pretrained=False, num_classes=KEYS_NUM_CLASSES)
        lines = [f"{k} {DTYPES[v.dtype]} [{','.join(str(d) for d in v.shape)}]"
                 for k, v in model.state_dict().items()]
        (out_dir / f"{name}.keys.txt").write_text("\n".join(lines) + "\n")
        print(f"{name}: {len(lines)} keys, {sum(p.numel() for p in model.parameters())} params")


def tiny(cfg: str) -> EfficientNet:
    cm, dm, limit, pad, eps = CONFIGS[cfg]
    round_chs_fn = partial(round_channels, multiplier=cm, round_limit=limit)
    return EfficientNet(
        block_args=decode_arch_def(TINY_ARCH, dm),
        num_classes=5, num_features=round_chs_fn(32), stem_size=8, round_chs_fn=round_chs_fn,
        pad_type=pad, act_layer=torch.nn.SiLU, norm_layer=partial(torch.nn.BatchNorm2d, eps=eps),
    )


def randomise(model: torch.nn.Module) -> None:
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
            elif isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.bias is not None:
                m.bias.uniform_(-0.2, 0.2)


def write_parity(out_dir: pathlib.Path) -> None:
    torch.manual_seed(0)
    x = torch.randn(2, 3, 61, 61, dtype=torch.float32)
    io = {"x": x}
    for cfg in CONFIGS:
        model = tiny(cfg)
        randomise(model)
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out_dir / f"tiny_{cfg}.safetensors"))
        model.eval()
        with torch.no_grad():
            io[f"{cfg}_eval"] = model(x)
            model.train()
            io[f"{cfg}_train"] = model(x)
            io[f"{cfg}_rm"] = model.bn1.running_mean.clone()
        print(cfg, [type(b).__name__ for s in model.blocks for b in s], io[f"{cfg}_eval"][0])
    save_file({k: v.contiguous() for k, v in io.items()}, str(out_dir / "tiny_io.safetensors"))


FULL_PARITY = ["tf_efficientnetv2_b0", "efficientnetv2_rw_t", "tf_efficientnetv2_s"]


def write_full_parity(out_dir: pathlib.Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    x = torch.randn(2, 3, 99, 99, dtype=torch.float32)
    io = {"x": x}
    for name in FULL_PARITY:
        model = timm.create_model(name, pretrained=False, num_classes=5)
        randomise(model)
        with torch.no_grad():
            # tame the residual branches so that logits of 50+ random blocks stay O(10)
            for stage in model.blocks:
                for block in stage:
                    last_bn = [m for m in block.modules() if isinstance(m, torch.nn.BatchNorm2d)][-1]
                    last_bn.weight.mul_(0.1)
                    last_bn.bias.mul_(0.1)
        model.eval()
        with torch.no_grad():
            io[name] = model(x)
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out_dir / f"{name}.safetensors"))
        print(name, io[name][0])
    save_file({k: v.contiguous() for k, v in io.items()}, str(out_dir / "effnet_io.safetensors"))


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--parity", default=None, help="folder for the (large, uncommitted) full-variant parity fixture")
    args = ap.parse_args()
    res = pathlib.Path(__file__).resolve().parents[1] / "resources" / "models"
    (res / "effnet").mkdir(parents=True, exist_ok=True)
    write_keys(res)
    write_parity(res / "effnet")
    if args.parity:
        write_full_parity(pathlib.Path(args.parity))
