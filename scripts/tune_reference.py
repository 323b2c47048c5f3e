#!/usr/bin/env python3
"""Reference numbers for jvision's sampler-quality test (src/test/java/dev/jvision/tune/SamplerQualityTest).

Runs Optuna's TPE (its default, which since Optuna 5 is multivariate for one objective, and the
independent variant) and random search on Branin,
Hartmann-6 and a mixed categorical/log-float/int function; records the mean (over 20 seeds)
of the best value after 30 and 60 trials, and its standard deviation over the seeds. The functions are defined identically in
SamplerQualityTest.java. Writes src/test/resources/tune/optuna_reference.json.

    /work/venv/bin/python scripts/tune_reference.py
"""
import json
import math
import os
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)

SEEDS = 20
BUDGETS = (30, 60)

H6_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H6_C = [1.0, 1.2, 3.0, 3.2]
H6_P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886], [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
        [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650], [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]


def branin(trial):
    x = trial.suggest_float("x", -5, 10)
    y = trial.suggest_float("y", 0, 15)
    b = 5.1 / (4 * math.pi ** 2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


def hartmann6(trial):
    x = [trial.suggest_float("x%d" % i, 0, 1) for i in range(6)]
    total = 0.0
    for i in range(4):
        inner = sum(H6_A[i][j] * (x[j] - H6_P[i][j]) ** 2 for j in range(6))
        total += H6_C[i] * math.exp(-inner)
    return -total


def mixed(trial):
    kind = trial.suggest_categorical("kind", ["a", "b", "c", "d"])
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    wd = trial.suggest_float("wd", 1e-6, 1e-2, log=True)
    depth = trial.suggest_int("depth", 1, 8)
    offset = {"a": 0.6, "b": 0.0, "c": 0.3, "d": 0.9}[kind]
    return offset + (math.log10(lr) + 2.5) ** 2 / 4 + (math.log10(wd) + 4) ** 2 / 8 + (depth - 5) ** 2 / 16


FUNCTIONS = {"branin": branin, "hartmann6": hartmann6, "mixed": mixed}
SAMPLERS = {
    "optuna_tpe": lambda s: optuna.samplers.TPESampler(seed=s),
    "optuna_tpe_independent": lambda s: optuna.samplers.TPESampler(seed=s, multivariate=False),
    "optuna_random": lambda s: optuna.samplers.RandomSampler(seed=s),
}


def main():
    out = {"optuna_version": optuna.__version__, "seeds": SEEDS, "budgets": list(BUDGETS), "results": {}}
    for fname, fn in FUNCTIONS.items():
        out["results"][fname] = {}
        for sname, make in SAMPLERS.items():
            bests = {b: [] for b in BUDGETS}
            for seed in range(SEEDS):
                study = optuna.create_study(direction="minimize", sampler=make(seed))
                study.optimize(fn, n_trials=max(BUDGETS))
                values = [t.value for t in study.trials]
                for b in BUDGETS:
                    bests[b].append(min(values[:b]))
            out["results"][fname][sname] = {
                "mean": {str(b): sum(v) / len(v) for b, v in bests.items()},
                # sample standard deviation over the seeds (for the test's standard errors)
                "sd": {str(b): (sum((x - sum(v) / len(v)) ** 2 for x in v) / (len(v) - 1)) ** 0.5
                       for b, v in bests.items()},
            }
            print(fname, sname, out["results"][fname][sname], file=sys.stderr, flush=True)
    path = os.path.join(os.path.dirname(__file__), "..", "src", "test", "resources", "tune", "optuna_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
