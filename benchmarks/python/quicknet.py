"""QuickNet in PyTorch: the same compact fast-training network as jvision's
dev.jvision.models.QuickNet (same layers, parameter names and forward), written from the airbench
paper (Jordan, arXiv 2404.00498): a 2x2 stem convolution meant to be initialised by patch whitening,
then a few conv groups (conv3x3 -> max-pool 2 -> BatchNorm -> GELU, then conv3x3 -> BatchNorm -> GELU),
global max pooling and a linear classifier whose logits are scaled by 1/9.

Used by benchmarks/python/quicknet_recipe.py (the paired comparison) and by
src/test/python/make_numerics_fixtures.py (the Java numerics test's reference).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

VARIANTS = {
    "quicknet_s": dict(widths=(32, 64, 128), depth=2),
    "quicknet_m": dict(widths=(64, 128, 256), depth=2),
    "quicknet_l": dict(widths=(64, 256, 256), depth=2),
}
LOGIT_SCALE = 1.0 / 9.0


class ConvBn(nn.Module):
    """conv3x3 (no bias) -> [max-pool 2] -> BatchNorm -> GELU."""

    def __init__(self, cin, cout, pool):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.pool = pool

    def forward(self, x):
        x = self.conv(x)
        if self.pool:
            x = F.max_pool2d(x, 2)
        return F.gelu(self.bn(x))


class Stage(nn.Module):
    def __init__(self, cin, cout, depth):
        super().__init__()
        self.blocks = nn.Sequential(*[ConvBn(cin if i == 0 else cout, cout, i == 0) for i in range(depth)])

    def forward(self, x):
        return self.blocks(x)


class QuickNet(nn.Module):
    def __init__(self, widths=(64, 128, 256), depth=2, num_classes=10, in_chans=3, drop_rate=0.0):
        super().__init__()
        stem_width = 2 * in_chans * 2 * 2  # the whitening stem: +/- each eigen-patch of 2x2 patches
        self.stem = nn.Conv2d(in_chans, stem_width, 2, padding=0, bias=True)
        stages, cin = [], stem_width
        for w in widths:
            stages.append(Stage(cin, w, depth))
            cin = w
        self.stages = nn.Sequential(*stages)
        self.num_features = cin
        self.drop_rate = drop_rate
        self.fc = nn.Linear(cin, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d) and m is not self.stem:
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        # timm-style metadata, read by make_numerics_fixtures.py
        self.pretrained_cfg = dict(input_size=(3, 32, 32), mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25),
                                   classifier="fc")

    def forward_features(self, x):
        return self.stages(F.gelu(self.stem(x)))

    def forward_head(self, x):
        x = F.adaptive_max_pool2d(x, 1).flatten(1)
        x = F.dropout(x, self.drop_rate, self.training)
        return self.fc(x) * LOGIT_SCALE

    def forward(self, x):
        return self.forward_head(self.forward_features(x))


def create(name, num_classes=10, drop_rate=0.0):
    return QuickNet(num_classes=num_classes, drop_rate=drop_rate, **VARIANTS[name])


@torch.no_grad()
def whiten_stem(model, images, eps=5e-4):
    """Sets the stem to +/- the whitening filters of the 2x2 patches of `images` (normalised NCHW)."""
    w = model.stem.weight
    c, k = w.shape[1], w.shape[2]
    patches = F.unfold(images.double(), k).transpose(1, 2).reshape(-1, c * k * k)
    patches = patches - patches.mean(0)
    cov = patches.T @ patches / patches.shape[0]
    vals, vecs = torch.linalg.eigh(cov)
    vals, vecs = vals.flip(0), vecs.flip(1)
    half = w.shape[0] // 2
    filt = (vecs[:, :half].T / torch.sqrt(vals[:half] + eps)[:, None]).reshape(half, c, k, k)
    w.copy_(torch.cat([filt, -filt]).to(w.dtype))
    # the bias centres the filtered patches: -W . mean
    mean = F.unfold(images.double(), k).transpose(1, 2).reshape(-1, c * k * k).mean(0)
    model.stem.bias.copy_(-(w.double().reshape(w.shape[0], -1) @ mean).to(w.dtype))
