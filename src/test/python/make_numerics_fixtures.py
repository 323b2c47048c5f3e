"""Writes the numerics-matrix fixtures: timm's logits and one training step's gradient summaries for
weights and inputs that jvision regenerates bit for bit from the seed rule below (no weights are
committed). Java twin: src/test/java/dev/jvision/models/SeededWeights.java; test:
src/test/java/dev/jvision/models/NumericsMatrixTest.java. check_folder_logits.py --seeded reuses
the rule to write trained-like timm model.safetensors files for `jvision infer`.

Seed rule (version 1)
---------------------
Stream of a name: seed = fnv1a64(utf8(name)) ^ GLOBAL_SEED; element i (0-based, row-major over the
tensor's logical shape) is u_i = (splitmix64(seed + (i + 1) * GOLDEN) >> 40) / 2**24, a float in
[0, 1) with 24 significant bits (exact in float32), where splitmix64 is the finaliser
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9; z = (z ^ (z >> 27)) * 0x94d049bb133111eb; z ^ (z >> 31)
(all modulo 2**64). A value lo + (hi - lo) * u is computed in float64 and rounded once to float32,
so numpy and Java produce identical float32 bits.

Weights: every floating parameter/buffer takes the stream of its state_dict name, mapped by role:
- `num_batches_tracked` (and any integer buffer): left as built (0).
- `running_var`: [0.5, 1.5] x 2**k, `running_mean`: [-0.1, 0.1] x 2**(k // 2), with k per
  BatchNorm from `calibrate_bn` (the power of two nearest to the channel-mean variance of that
  BatchNorm's eval-mode input on the seeded images; committed in the fixture as `bn_var_log2`).
  Without it, E[gamma^2 / running_var] > 1 compounds over ~100 BatchNorms (logits ~1e7).
- `gamma` (ConvNeXt layer scale): [0.5, 1.5], so every block contributes (the 1e-6 init switches
  blocks off, which is how the conv_mlp bug of issue 10 slipped past the old fixtures).
- `relative_position_bias_table`: [-1, 1].
- other 1-d `weight` (BatchNorm/LayerNorm scale): [0.5, 1.5];  every `bias`: [-0.1, 0.1].
- other weights (conv, linear), fan_in = numel / shape[0]: symmetric uniform with std
  gain / sqrt(fan_in), i.e. [-a, a] with a = gain * sqrt(3 / fan_in); gain = sqrt(2) (He) for the
  body, CLASSIFIER_GAIN for the classifier (timm's pretrained_cfg classifier: fc, head.fc, classifier).
Inputs: 2 images of the model's default input size S (timm pretrained_cfg input_size, = jvision's
ModelSpec.inputSize: 192 for tf_efficientnetv2_b0, 224 for the other families), each pixel
channel an 8-bit level
    q = min(255, floor(256 * (0.55 * U("input{n}.coarse")[c, y*8//S, x*8//S]
                              + 0.30 * U("input{n}.mid")[c, y//4, x//4] + 0.15 * U("input{n}.fine")[c, y, x])))
(U(name)[...] the stream of that name over shapes [3, 8, 8], [3, ceil(S/4), ceil(S/4)], [3, S, S];
the sum evaluated left to right in float64), normalised as float32((q / 255 - mean[c]) / std[c])
in float64 with the model's mean/std.
Gradient probe of a parameter: the stream of "probe:" + name mapped to [-1, 1].

Fixture per family (src/test/resources/numerics/<model>.safetensors, ~30-50 KB):
- logits_fp32, logits_bf16 [2, 1000]: eval logits, float32 and CPU bf16 autocast (as float32);
- grad_norm, grad_dot [P] (float64): per parameter (named_parameters order), the gradient norm
  and its dot product with the probe after one training step (train mode, cross-entropy on
  TARGETS), computed on a float64 copy of the model (the reference); probe_norm [P];
  grad_norm_fp32, grad_dot_fp32: the same in float32 (contiguous); grad_err_fp32: PyTorch
  float32's own error on them, max over contiguous and channels-last, against float64;
- metadata: checksums of every seeded tensor and of the input (so a wrong port of the rule is
  reported as such), bn_var_log2, parameter names, and the statistics printed below.
bf16 tolerance in the test: max |java_bf16 - timm_fp32| <= 2 x max |timm_bf16 - timm_fp32| + 0.02,
i.e. no worse than twice PyTorch's own bf16 error on the same logits, plus a floor of about half
a bf16 ulp at the logits' magnitude (ulp = 2**-5 in [4, 8)) for hosts whose kernels round
differently.

Models without a timm counterpart (reference_model): `quicknet_*` come from the PyTorch twin in
benchmarks/python/quicknet.py, `<resnet>_cifar` are timm's ResNet with conv1 replaced by a 3x3
stride-1 convolution and the max-pool removed; both at 32 px. `--keys` also writes their
src/test/resources/models/<name>.keys.txt (ModelsTest), as make_resnet_fixtures.py does for timm's.

Run: /work/venv/bin/python src/test/python/make_numerics_fixtures.py [model ...] [--out DIR] [--keys]
(timm 1.0.29, torch 2.13 CPU, 2 threads; about 3-5 minutes a family on 2 busy cores).
"""
import argparse
import copy
import json
import math
import pathlib
import time

import numpy as np
import timm
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

GLOBAL_SEED = 0x6A766973696F6E31  # "jvision1"
GOLDEN = 0x9E3779B97F4A7C15
MASK = (1 << 64) - 1
CLASSIFIER_GAIN = 1.0
NUM_CLASSES = 1000
TARGETS = [17, 423]
GRAD_REL = 1e-4    # the Java test's gradient bounds (NumericsMatrixTest), for the statistics printed here
GRAD_K = 4.0
GRAD_FLOOR = 1e-7  # class of image 0 and 1 for the training step
FAMILIES = ["resnet18", "resnet50", "convnext_atto", "convnext_tiny", "swin_tiny_patch4_window7_224",
            "tf_efficientnetv2_b0", "efficientnetv2_rw_t"]
OUT_DIR = pathlib.Path(__file__).resolve().parents[1] / "resources" / "numerics"
KEYS_DIR = pathlib.Path(__file__).resolve().parents[1] / "resources" / "models"
REPO = pathlib.Path(__file__).resolve().parents[3]


def fnv1a64(text: str) -> int:
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def uniform01(name: str, n: int) -> np.ndarray:
    """The first n values of name's stream, float64 holding 24-bit fractions in [0, 1)."""
    seed = np.uint64(fnv1a64(name) ^ GLOBAL_SEED)
    with np.errstate(over="ignore"):
        z = seed + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) * (2.0 ** -24)


def uniform(name: str, shape, lo: float, hi: float) -> np.ndarray:
    n = int(np.prod(shape, dtype=np.int64))
    return (lo + (hi - lo) * uniform01(name, n)).astype(np.float32).reshape(shape)


def role_range(name: str, shape, classifier: str):
    """(lo, hi) of the state_dict entry `name`, or None to leave it as built."""
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "num_batches_tracked":
        return None
    if leaf == "running_mean" or leaf == "bias":
        return -0.1, 0.1
    if leaf in ("running_var", "gamma"):
        return 0.5, 1.5
    if leaf == "relative_position_bias_table":
        return -1.0, 1.0
    if leaf == "weight" and len(shape) == 1:
        return 0.5, 1.5
    if leaf == "weight":
        fan_in = int(np.prod(shape[1:]))
        gain = CLASSIFIER_GAIN if name.startswith(classifier + ".") else math.sqrt(2.0)
        a = gain * math.sqrt(3.0 / fan_in)
        return -a, a
    raise ValueError(f"{name}: no role in the seed rule")


def fill(model: torch.nn.Module, classifier: str, bn_var_log2: dict) -> None:
    """Fills every floating state_dict entry by the seed rule (BatchNorm statistics scaled by 2**k)."""
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if not t.is_floating_point():
                continue
            r = role_range(name, tuple(t.shape), classifier)
            if r is None:
                continue
            v = uniform(name, tuple(t.shape), *r)
            prefix, leaf = name.rsplit(".", 1)
            k = bn_var_log2.get(prefix, 0)
            if leaf == "running_var":
                v = v * np.float32(2.0 ** k)
            elif leaf == "running_mean":
                v = v * np.float32(2.0 ** (k // 2))
            t.copy_(torch.from_numpy(v))


def calibrate_bn(model: torch.nn.Module, x: torch.Tensor) -> dict:
    """k per BatchNorm (by module name): 2**k is the power of two nearest (in log2) to the channel-mean
    variance of its eval-mode input on x, with every earlier BatchNorm already scaled. One eval pass."""
    ks = {}

    def hook(name):
        def pre(mod, args):
            v = args[0].detach().double().var(dim=(0, 2, 3), unbiased=False).mean().item()
            k = int(round(math.log2(max(v, 2.0 ** -60))))
            ks[name] = k
            mod.running_var.mul_(2.0 ** k)
            mod.running_mean.mul_(2.0 ** (k // 2))
        return pre

    handles = [m.register_forward_pre_hook(hook(n)) for n, m in model.named_modules()
               if isinstance(m, torch.nn.BatchNorm2d)]
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return ks


def pixels(size: int) -> np.ndarray:
    """The same images as 8-bit HWC arrays [2, size, size, 3] (for PNG files)."""
    yy, xx = np.mgrid[0:size, 0:size]
    m4 = (size + 3) // 4
    out = np.empty((2, size, size, 3), dtype=np.uint8)
    for n in range(2):
        coarse = uniform01(f"input{n}.coarse", 3 * 8 * 8).reshape(3, 8, 8)
        mid = uniform01(f"input{n}.mid", 3 * m4 * m4).reshape(3, m4, m4)
        fine = uniform01(f"input{n}.fine", 3 * size * size).reshape(3, size, size)
        v = 0.55 * coarse[:, yy * 8 // size, xx * 8 // size] + 0.30 * mid[:, yy // 4, xx // 4] + 0.15 * fine
        out[n] = np.minimum(np.floor(256.0 * v), 255.0).astype(np.uint8).transpose(1, 2, 0)
    return out


def images(size: int, mean, std) -> np.ndarray:
    """The 2 seeded input images [2, 3, size, size], float32, normalised with mean/std."""
    q = pixels(size).transpose(0, 3, 1, 2).astype(np.float64)
    out = np.empty(q.shape, dtype=np.float32)
    for c in range(3):
        out[:, c] = ((q[:, c] / 255.0 - mean[c]) / std[c]).astype(np.float32)
    return out


def checksum(a: np.ndarray) -> str:
    """sum_i bits(a_i) * (2i + 1) mod 2**64 over float32 bits, as 16 hex digits."""
    bits = np.ascontiguousarray(a, dtype=np.float32).reshape(-1).view(np.uint32).astype(np.uint64)
    with np.errstate(over="ignore"):
        s = (bits * (np.arange(bits.size, dtype=np.uint64) * np.uint64(2) + np.uint64(1))).sum(dtype=np.uint64)
    return f"{int(s):016x}"


def reference_model(name: str, num_classes: int) -> torch.nn.Module:
    """timm's `name`, or the PyTorch twin of a jvision variant that timm does not have."""
    if name.startswith("quicknet_"):
        import sys
        sys.path.insert(0, str(REPO / "benchmarks" / "python"))
        import quicknet
        return quicknet.create(name, num_classes=num_classes)
    if name.endswith("_cifar"):
        m = timm.create_model(name[:-len("_cifar")], pretrained=False, num_classes=num_classes, drop_rate=0.0,
                              drop_path_rate=0.0)
        m.conv1 = torch.nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        m.maxpool = torch.nn.Identity()
        m.pretrained_cfg = dict(m.pretrained_cfg, input_size=(3, 32, 32), crop_pct=1.0)
        return m
    return timm.create_model(name, pretrained=False, num_classes=num_classes, drop_rate=0.0, drop_path_rate=0.0)


def write_keys(name: str, out_dir: pathlib.Path) -> None:
    """`name dtype shape` per state_dict entry (num_classes=17), as ModelsTest reads them."""
    dtypes = {torch.float32: "F32", torch.int64: "I64"}
    m = reference_model(name, 17)
    lines = [f"{k} {dtypes[v.dtype]} [{','.join(str(d) for d in v.shape)}]" for k, v in m.state_dict().items()]
    (out_dir / f"{name}.keys.txt").write_text("\n".join(lines) + "\n")


def seeded_model(name: str):
    """timm's `name` with seeded weights and BatchNorm statistics calibrated on the seeded images;
    returns (model in eval mode, input batch, bn_var_log2)."""
    m = reference_model(name, NUM_CLASSES)
    cfg = m.pretrained_cfg
    x = torch.from_numpy(images(cfg["input_size"][1], cfg["mean"], cfg["std"]))
    fill(m, cfg["classifier"], {})
    ks = calibrate_bn(m, x)
    fill(m, cfg["classifier"], ks)  # the same values as the calibration left, recomputed by the rule
    return m.eval(), x, ks


BLOCK = r"^(layer\d+\.\d+|stages\.\d+\.blocks\.\d+|layers\.\d+\.blocks\.\d+|blocks\.\d+\.\d+)\."


def block_effects(m: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict:
    """max |logits change| when every parameter of one residual-stage block is zeroed, per block."""
    import re
    pat = re.compile(BLOCK)
    params = dict(m.named_parameters())
    blocks = []
    for n in params:
        b = pat.match(n)
        if b and b.group(1) not in blocks:
            blocks.append(b.group(1))
    out = {}
    with torch.no_grad():
        for b in blocks:
            mine = {n: p.clone() for n, p in params.items() if n.startswith(b + ".")}
            for n in mine:
                params[n].zero_()
            out[b] = (m(x) - y).abs().max().item()
            for n, v in mine.items():
                params[n].copy_(v)
    return out


def grad_summary(m: torch.nn.Module, x: torch.Tensor):
    """One training step's loss and per-parameter (grad norm, grad . probe, probe norm), float64.
    BatchNorm running statistics are restored afterwards (the step's forward updates them)."""
    saved = {n: b.clone() for n, b in m.named_buffers()}
    m.train()
    m.zero_grad(set_to_none=True)
    loss = F.cross_entropy(m(x), torch.tensor(TARGETS))
    loss.backward()
    names, norm, dot, pnorm = [], [], [], []
    for n, p in m.named_parameters():
        g = p.grad.detach().double()
        probe = torch.from_numpy(uniform("probe:" + n, tuple(p.shape), -1.0, 1.0)).double()
        names.append(n)
        norm.append(g.norm().item())
        dot.append((g * probe).sum().item())
        pnorm.append(probe.norm().item())
    m.zero_grad(set_to_none=True)
    m.eval()
    with torch.no_grad():
        for n, b in m.named_buffers():
            b.copy_(saved[n])
    return loss.item(), names, np.array(norm), np.array(dot), np.array(pnorm)


def summary_err(a, b, pnorm):
    """Per parameter max(|norm_a - norm_b|, |dot_a - dot_b| / ||probe||)."""
    return np.maximum(np.abs(a[0] - b[0]), np.abs(a[1] - b[1]) / pnorm)


def make(name: str, out_dir: pathlib.Path) -> dict:
    t0 = time.time()
    torch.manual_seed(0)
    m, x, ks = seeded_model(name)
    cfg = m.pretrained_cfg
    checks = {k: checksum(v.numpy()) for k, v in m.state_dict().items() if v.is_floating_point()}
    checks["input"] = checksum(x.numpy())
    with torch.no_grad():
        y = m(x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            y16 = m(x).float()
    effects = block_effects(m, x, y)
    loss, names, gnorm, gdot, pnorm = grad_summary(m, x)

    cl = torch.channels_last
    m.to(memory_format=cl)
    xcl = x.contiguous(memory_format=cl)
    with torch.no_grad():
        ycl = m(xcl)
    _, _, gnorm_cl, gdot_cl, _ = grad_summary(m, xcl)
    m.to(memory_format=torch.contiguous_format)

    # float64 reference of the same weights: how well conditioned each number is in float32
    m64 = copy.deepcopy(m).double()
    x64 = x.double()
    with torch.no_grad():
        y64 = m64(x64)
    loss64, _, gnorm64, gdot64, _ = grad_summary(m64, x64)
    del m64

    ref = (gnorm64, gdot64)
    err_fp32 = summary_err((gnorm, gdot), ref, pnorm)
    err_cl = summary_err((gnorm_cl, gdot_cl), ref, pnorm)
    cl_err = (ycl - y).abs().max().item()
    bf16_err = (y16 - y).abs().max().item()
    assert cl_err <= 1e-4, f"{name}: timm channels_last differs from contiguous by {cl_err}"
    floor = GRAD_FLOOR * gnorm64.max()
    ill = int(np.sum(GRAD_K * np.maximum(err_fp32, err_cl) > GRAD_REL * gnorm64))
    stats = dict(
        model=name, input_size=cfg["input_size"][1], loss=loss, loss_fp64=loss64,
        logits_std=y.std().item(), logits_between_images_std=(y[0] - y[1]).std().item(),
        py_fp32_vs_fp64_logits_err=(y.double() - y64).abs().max().item(),
        py_fp32_channels_last_err=cl_err, py_bf16_err=bf16_err,
        py_grad_fp32_vs_fp64_rel=float(np.max(err_fp32 / (gnorm64 + floor))),
        py_grad_channels_last_vs_fp64_rel=float(np.max(err_cl / (gnorm64 + floor))),
        grad_params=len(names), grad_params_ill_conditioned=ill,
        block_min_effect=min(effects.values()), block_min_effect_at=min(effects, key=effects.get),
        blocks=len(effects))
    meta = {k: str(v) for k, v in stats.items()}
    meta.update(seed_rule="1", classifier=cfg["classifier"], targets=json.dumps(TARGETS),
                bn_var_log2=json.dumps(ks), param_names=json.dumps(names), checksums=json.dumps(checks))
    save_file({"logits_fp32": y.contiguous(), "logits_bf16": y16.contiguous(),
               "grad_norm": torch.from_numpy(gnorm64), "grad_dot": torch.from_numpy(gdot64),
               "probe_norm": torch.from_numpy(pnorm),
               "grad_norm_fp32": torch.from_numpy(gnorm), "grad_dot_fp32": torch.from_numpy(gdot),
               "grad_err_fp32": torch.from_numpy(np.maximum(err_fp32, err_cl))},
              str(out_dir / f"{name}.safetensors"), metadata=meta)
    stats["seconds"] = round(time.time() - t0, 1)
    print(json.dumps(stats))
    return stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", default=FAMILIES)
    ap.add_argument("--out", default=str(OUT_DIR))
    ap.add_argument("--keys", action="store_true", help="also write the ModelsTest keys fixture of each model")
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    for n in a.models:
        if a.keys:
            write_keys(n, KEYS_DIR)
        make(n, out)


if __name__ == "__main__":
    main()
