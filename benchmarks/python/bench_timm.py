"""Python reference for jvision's JMH model benchmarks: timm images/s, measured the same way.

Usage (CPU torch + timm, e.g. timm 1.0.29 / torch 2.13):
    OPENBLAS_NUM_THREADS=1 python benchmarks/python/bench_timm.py --threads 2 \
        --models resnet50,convnext_tiny,swin_tiny_patch4_window7_224,tf_efficientnetv2_b0 \
        --size 224 --batch 8 --iterations 3 --seconds 10

For each model: inference (eval, no_grad) and one training step (forward, cross-entropy with
label smoothing 0.1, backward, AdamW step, zero_grad(set_to_none)), each timed over
`--iterations` windows of `--seconds` after one warm-up window; prints the median images/s.
"""
import argparse
import statistics
import time

import timm
import torch


def window(fn, seconds):
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="resnet50,convnext_tiny,swin_tiny_patch4_window7_224,tf_efficientnetv2_b0")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__} timm {timm.__version__} threads {torch.get_num_threads()}")
    print("model,mode,batch,size,images_per_s_median")
    for name in a.models.split(","):
        model = timm.create_model(name, num_classes=17)
        x = torch.randn(a.batch, 3, a.size, a.size)
        y = torch.randint(0, 17, (a.batch,))
        model.eval()

        def infer():
            with torch.no_grad():
                model(x).sum().item()

        window(infer, a.seconds)
        r = [window(infer, a.seconds) * a.batch for _ in range(a.iterations)]
        print(f"{name},inference,{a.batch},{a.size},{statistics.median(r):.2f}", flush=True)
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)

        def step():
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            loss.item()

        window(step, a.seconds)
        r = [window(step, a.seconds) * a.batch for _ in range(a.iterations)]
        print(f"{name},train_step,{a.batch},{a.size},{statistics.median(r):.2f}", flush=True)


if __name__ == "__main__":
    main()
