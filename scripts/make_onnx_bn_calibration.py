"""BatchNorm calibration of the seeded weights for the ONNX parity test (OnnxParityTest).

The numerics seed rule (src/test/python/make_numerics_fixtures.py, version 1) draws BatchNorm
running variances in [0.5, 1.5]; without calibration E[gamma^2 / running_var] > 1 compounds over
the ~20-100 BatchNorms of a ResNet or EfficientNetV2 and logits reach 1e4-1e7, where float32 has
no 1e-4 left to compare. For every registered model with BatchNorm this writes the rule's
`bn_var_log2` (k per BatchNorm: running_var x 2^k, running_mean x 2^(k // 2)), computed by the
fixture script's own `seeded_model` (timm, seeded images at the model's default input size), to
src/test/resources/onnx/bn_var_log2.json. ConvNeXt and Swin have no BatchNorm.

Run: /work/venv/bin/python scripts/make_onnx_bn_calibration.py   (CPU, a few minutes)
"""
import json
import pathlib
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src" / "test" / "python"))
import make_numerics_fixtures as fx  # noqa: E402

MODELS = ["resnet18", "resnet26", "resnet34", "resnet50", "resnet101",
          "tf_efficientnetv2_b0", "tf_efficientnetv2_b1", "tf_efficientnetv2_b2", "tf_efficientnetv2_b3",
          "tf_efficientnetv2_s", "tf_efficientnetv2_m", "efficientnetv2_rw_t", "efficientnetv2_rw_s",
          "resnet18_cifar", "resnet34_cifar", "resnet50_cifar", "quicknet_s", "quicknet_m", "quicknet_l"]


def main():
    torch.set_num_threads(2)
    out = {}
    for name in MODELS:
        m, x, ks = fx.seeded_model(name)
        with torch.no_grad():
            y = m(x)
        print(f"{name}: {len(ks)} BatchNorms, max |logit| {y.abs().max().item():.3f}", flush=True)
        out[name] = ks
    path = ROOT / "src" / "test" / "resources" / "onnx" / "bn_var_log2.json"
    path.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
