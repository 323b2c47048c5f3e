"""Writes the layer-wise learning-rate fixture for LayerDecayTest.

For each model, timm's param_groups_layer_decay (layer_decay=0.75, weight_decay=0.05) is run
and every parameter's layer id, lr scale and weight decay are written as CSV lines
``name,layer_id,lr_scale,weight_decay`` to src/test/resources/layer_decay/<model>.csv.

Run from the repository root with timm 1.0.29:
    /work/venv/bin/python src/test/python/layer_decay_fixture.py
"""
import os

import timm
from timm.optim import param_groups_layer_decay

MODELS = ["convnext_atto", "swin_tiny_patch4_window7_224", "resnet18", "efficientnetv2_rw_t"]
OUT = os.path.join("src", "test", "resources", "layer_decay")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in MODELS:
        model = timm.create_model(name, pretrained=False, num_classes=10)
        nwd = model.no_weight_decay() if hasattr(model, "no_weight_decay") else ()
        groups = param_groups_layer_decay(model, weight_decay=0.05, no_weight_decay_list=nwd, layer_decay=0.75)
        by_tensor = {}
        for g in groups:
            for p in g["params"]:
                by_tensor[id(p)] = (g["lr_scale"], g["weight_decay"])
        # the layer ids timm assigned (the returned groups keep only their scales)
        from timm.models import group_parameters
        layer_map = group_parameters(model, model.group_matcher(coarse=False), reverse=True)
        with open(os.path.join(OUT, name + ".csv"), "w") as f:
            f.write("name,layer_id,lr_scale,weight_decay\n")
            for n, p in model.named_parameters():
                scale, wd = by_tensor[id(p)]
                f.write("%s,%d,%.10g,%g\n" % (n, layer_map[n], scale, wd))
        print(name, len(by_tensor), "params,", max(layer_map.values()) + 1, "layers")


if __name__ == "__main__":
    main()
