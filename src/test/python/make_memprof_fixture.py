"""Writes the fixture that checks `jvision memprof`'s "activations kept for backward".

For each model (timm, num_classes=1000, no drop-path, training mode) and a float32 batch of
8 x 3 x 224 x 224, the forward pass runs under torch.autograd.graph.saved_tensors_hooks and
the pack hook records every tensor autograd saves for backward. "Kept for backward" is defined
as: the distinct storages of those tensors (deduplicated by the storage's data pointer, each
counted once at its full nbytes, so a ReLU output that the next convolution saves again counts
once), excluding storages of the model's parameters and buffers (weights are counted as
weights) and of the input batch (counted as the input). The logits are not saved by the model
and the loss is not part of the forward, so neither is counted.

Committed output: src/test/resources/memprof/saved_tensors.json
    {"batch": 8, "img_size": 224, "models": {"resnet18": {"bytes": ..., "storages": ...,
     "saved_calls": ...}, ...}}

Tested with timm 1.0.29, torch 2.13 (CPU). Run: /work/venv/bin/python src/test/python/make_memprof_fixture.py
"""
import json
import pathlib

import timm
import torch

MODELS = ["resnet18", "convnext_tiny"]
BATCH = 8
IMG = 224
OUT = pathlib.Path(__file__).resolve().parents[1] / "resources" / "memprof" / "saved_tensors.json"


def saved_bytes(name: str) -> dict:
    torch.manual_seed(0)
    model = timm.create_model(name, pretrained=False, num_classes=1000, drop_path_rate=0.0)
    model.train()
    x = torch.randn(BATCH, 3, IMG, IMG)
    excluded = {t.untyped_storage().data_ptr() for t in list(model.parameters()) + list(model.buffers())}
    excluded.add(x.untyped_storage().data_ptr())
    storages = {}
    calls = 0

    def pack(t):
        nonlocal calls
        calls += 1
        s = t.untyped_storage()
        if s.data_ptr() not in excluded:
            storages[s.data_ptr()] = s.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        logits = model(x)
    assert logits.requires_grad
    return {"bytes": sum(storages.values()), "storages": len(storages), "saved_calls": calls}


def main() -> None:
    out = {"batch": BATCH, "img_size": IMG, "dtype": "float32", "torch": torch.__version__,
           "timm": timm.__version__, "models": {}}
    for name in MODELS:
        out["models"][name] = saved_bytes(name)
        m = out["models"][name]
        print(f"{name}: {m['bytes'] / 2**20:.1f} MiB kept for backward in {m['storages']} storages "
              f"({m['saved_calls']} saved tensors)")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
