#!/usr/bin/env python3
"""ScoreSDE's samplers against k-diffusion's, on exact Gaussian-mixture scores.

Both libraries sample the same isotropic Gaussian mixture through its exact score: ScoreSDE
through `GaussianMixtureScore` on the VP-SDE (the `oracle-samples` workload of
score-sde-bench), k-diffusion through the mixture's exact denoiser D(x; σ) = E[x₀ | x₀ + σz = x]
in its σ-parameterisation (Karras et al. 2022), σ ∈ [0.002, 80] on the Karras ρ = 7 grid, as
k-diffusion's own examples use. Every sampler runs at the most steps whose score evaluations fit
each budget, counting evaluations the way the sampler actually calls the model (a wrapped
denoiser on k-diffusion's side, `SamplingStatistics.scoreEvaluations` on ScoreSDE's, whose
count includes the final denoising step).

Quality is the sliced 2-Wasserstein distance (the same 128 projections for every set) between
the samples and fresh exact samples of the mixture; the floor is the same distance between two
independent exact sample sets. Each figure is a mean over seeds with its standard error.

Needs torch, scipy, torchsde, torchdiffeq and k-diffusion in a virtual environment outside the
package (`pip install torch scipy torchsde torchdiffeq tqdm` and `pip install --no-deps
k-diffusion`; k-diffusion's own imports of image libraries are bypassed), and a release build of
score-sde-bench:

    swift build -c release --product score-sde-bench
    .refenv/bin/python Benchmarks/kdiffusion_compare.py --dimensions 2,8 --seeds 5
"""

import argparse
import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import types

import numpy as np
import torch


def load_kdiffusion_sampling():
    """k_diffusion.sampling without the package's __init__ (which imports image libraries)."""
    spec = importlib.util.find_spec("k_diffusion")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("k-diffusion is not installed: pip install --no-deps k-diffusion torchsde torchdiffeq")
    folder = list(spec.submodule_search_locations)[0]
    package = types.ModuleType("k_diffusion")
    package.__path__ = [folder]
    sys.modules["k_diffusion"] = package
    utils = types.ModuleType("k_diffusion.utils")
    utils.append_dims = lambda x, n: x[(...,) + (None,) * (n - x.ndim)]
    sys.modules["k_diffusion.utils"] = utils
    sampling_spec = importlib.util.spec_from_file_location("k_diffusion.sampling", os.path.join(folder, "sampling.py"))
    sampling = importlib.util.module_from_spec(sampling_spec)
    sampling_spec.loader.exec_module(sampling)
    return sampling


class Mixture:
    """An isotropic Gaussian mixture: weights π_k, means μ_k, standard deviations s_k."""

    def __init__(self, weights, means, stds):
        self.weights = np.asarray(weights, dtype=np.float64)
        self.means = np.asarray(means, dtype=np.float64)
        self.stds = np.asarray(stds, dtype=np.float64)

    @property
    def dimension(self):
        return self.means.shape[1]

    def sample(self, n, rng):
        k = rng.choice(len(self.weights), size=n, p=self.weights)
        return self.means[k] + self.stds[k, None] * rng.standard_normal((n, self.dimension))

    def denoiser(self):
        """D(x; σ) = Σ_k r_k(x) [μ_k + s_k²/(s_k² + σ²) (x − μ_k)], r_k ∝ π_k N(x; μ_k, (s_k² + σ²) I)."""
        w = torch.tensor(np.log(self.weights))
        mu = torch.tensor(self.means)
        s2 = torch.tensor(self.stds**2)
        d = self.dimension

        def denoise(x, sigma):
            sigma = sigma.reshape(-1, 1) if sigma.ndim else sigma.reshape(1, 1).expand(x.shape[0], 1)
            v = s2[None, :] + sigma**2  # (n, K)
            diff = x[:, None, :] - mu[None, :, :]  # (n, K, d)
            logits = w[None, :] - 0.5 * d * torch.log(v) - 0.5 * (diff**2).sum(-1) / v
            r = torch.softmax(logits, dim=1)
            posterior = mu[None] + (s2[None, :] / v)[..., None] * diff
            return (r[..., None] * posterior).sum(1)

        return denoise


def sliced_w2(a, b, projections):
    """√(mean over directions θ of mean_i (sort(aθ)_i − sort(bθ)_i)²), equal sizes."""
    pa = np.sort(a @ projections, axis=0)
    pb = np.sort(b @ projections, axis=0)
    return math.sqrt(np.mean((pa - pb) ** 2))


def mixtures():
    """The 2-D and 8-D targets: unequal weights, thin and wide components."""
    rng = np.random.default_rng(2024)
    two = Mixture([0.15, 0.25, 0.2, 0.3, 0.1], [[-3, 0], [3, 1], [0, -3], [0, 3], [-2, -2.5]], [0.2, 0.4, 0.15, 0.3, 0.5])
    means8 = rng.uniform(-3, 3, size=(6, 8))
    eight = Mixture([0.1, 0.2, 0.15, 0.25, 0.1, 0.2], means8, [0.3, 0.5, 0.4, 0.6, 0.35, 0.45])
    return {2: two, 8: eight}


KDIFFUSION = [
    # (label, function name, extra keyword arguments, NFE of n steps on a grid ending at σ = 0)
    ("k-euler", "sample_euler", {}, lambda n: n),
    ("k-heun", "sample_heun", {}, lambda n: 2 * n - 1),
    ("k-dpm2", "sample_dpm_2", {}, lambda n: 2 * n - 1),
    ("k-lms", "sample_lms", {}, lambda n: n),
    ("k-dpm++2m", "sample_dpmpp_2m", {}, lambda n: n),
    ("k-dpm++2s-a", "sample_dpmpp_2s_ancestral", {}, lambda n: 2 * n - 1),
    ("k-euler-a", "sample_euler_ancestral", {}, lambda n: n),
    ("k-dpm++sde", "sample_dpmpp_sde", {}, lambda n: 2 * n - 1),
    ("k-dpm++2m-sde", "sample_dpmpp_2m_sde", {}, lambda n: n),
    ("k-dpm++3m-sde", "sample_dpmpp_3m_sde", {}, lambda n: n),
]

SCORESDE = [
    {"name": "dpm", "order": 1},
    {"name": "dpm", "order": 2},
    {"name": "dpm", "order": 3},
    {"name": "euler"},
    {"name": "heun"},
    {"name": "ode"},
    {"name": "adaptive"},
    {"name": "em"},
    {"name": "ancestral"},
    {"name": "edm-heun"},
    {"name": "euler-a"},
    {"name": "ddim"},
    {"name": "dpm-sde", "order": 2},
    {"name": "dpm-sde", "order": 3},
    {"name": "sra"},
    {"name": "adaptive-sde"},
]


def run_kdiffusion(sampling, mixture, budgets, seeds, samples, sigma_min=0.002, sigma_max=80.0):
    """{(label, budget): [samples per seed]} and the steps used."""
    denoise = mixture.denoiser()
    out = {}
    for label, function, kwargs, cost in KDIFFUSION:
        sampler = getattr(sampling, function)
        for budget in budgets:
            n = budget
            while n >= 1 and cost(n) > budget:
                n -= 1
            if n < 1:
                continue
            sigmas = sampling.get_sigmas_karras(n, sigma_min, sigma_max, rho=7.0).double()
            runs = []
            for seed in seeds:
                calls = [0]

                def model(x, sigma):
                    calls[0] += 1
                    return denoise(x, sigma)

                torch.manual_seed(seed)
                x = torch.randn(samples, mixture.dimension, dtype=torch.float64) * sigma_max
                extra = dict(kwargs)
                if "sde" in function:
                    extra["noise_sampler"] = sampling.BrownianTreeNoiseSampler(x, sigma_min, sigma_max, seed=seed)
                with torch.no_grad():
                    result = sampler(model, x, sigmas, disable=True, **extra)
                if calls[0] > budget:
                    raise RuntimeError(f"{label}: {calls[0]} evaluations for budget {budget}")
                runs.append((result.numpy(), calls[0]))
            out[(label, budget)] = runs
    return out


def run_scoresde(bench, mixture, budgets, seeds, samples, threads, folder):
    plan = {
        "weights": mixture.weights.tolist(),
        "means": mixture.means.tolist(),
        "standard_deviations": mixture.stds.tolist(),
        "process": "vp",
        "samples": samples,
        "seeds": seeds,
        "budgets": budgets,
        "samplers": SCORESDE,
        "out": folder,
    }
    path = os.path.join(folder, "plan.json")
    with open(path, "w") as f:
        json.dump(plan, f)
    output = subprocess.run(
        [bench, "--only", "oracle-samples", "--plan", path, "--threads", str(threads), "--json"],
        check=True, capture_output=True, text=True).stdout
    out = {}
    for line in output.splitlines():
        row = json.loads(line)
        out.setdefault(("score-sde " + row["label"], row["budget"]), []).append((np.load(row["file"]), row["nfe"]))
    return out


def summarise(runs, reference, projections):
    """{key: (mean distance, standard error, nfe)}."""
    table = {}
    for key, sets in runs.items():
        d = np.array([sliced_w2(x, reference, projections) for x, _ in sets])
        se = d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else float("nan")
        table[key] = (d.mean(), se, max(n for _, n in sets))
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", default=".build/release/score-sde-bench")
    parser.add_argument("--dimensions", default="2,8")
    parser.add_argument("--budgets", default="5,10,15,20,30,50")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--all", action="store_true", help="print every sampler, not only each library's best")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sampling = load_kdiffusion_sampling()
    budgets = [int(b) for b in args.budgets.split(",")]
    seeds = list(range(1, args.seeds + 1))
    for dimension in [int(d) for d in args.dimensions.split(",")]:
        mixture = mixtures()[dimension]
        rng = np.random.default_rng(7)
        reference = mixture.sample(args.samples, rng)
        projections = rng.standard_normal((dimension, 128))
        projections /= np.linalg.norm(projections, axis=0, keepdims=True)
        floors = np.array([sliced_w2(mixture.sample(args.samples, rng), reference, projections) for _ in seeds])
        floor, floor_se = floors.mean(), floors.std(ddof=1) / math.sqrt(len(floors))
        with tempfile.TemporaryDirectory() as folder:
            ours = summarise(run_scoresde(args.bench, mixture, budgets, seeds, args.samples, args.threads, folder),
                             reference, projections)
        theirs = summarise(run_kdiffusion(sampling, mixture, budgets, seeds, args.samples), reference, projections)
        print(f"\n{dimension}-D mixture ({len(mixture.weights)} components), {args.samples} samples, "
              f"{len(seeds)} seeds; floor (two exact sets) {floor:.4f} ± {floor_se:.4f}")
        if args.all:
            for key in sorted({**ours, **theirs}, key=lambda k: (k[1], k[0])):
                m, se, nfe = {**ours, **theirs}[key]
                print(f"  {key[0]:<22} budget {key[1]:>3}  NFE {nfe:>3}  SW₂ {m:.4f} ± {se:.4f}")
        print(f"{'budget':>6} | {'ScoreSDE best':<24} {'SW₂':>15} | {'k-diffusion best':<22} {'SW₂':>15} | ratio")
        for budget in budgets:
            def best(table):
                rows = [(v[0], v[1], k[0]) for k, v in table.items() if k[1] == budget]
                return min(rows) if rows else (float("nan"), float("nan"), "-")
            a, b = best(ours), best(theirs)
            at_floor = lambda m, se: " (floor)" if m - floor <= 2 * math.hypot(se, floor_se) else ""
            print(f"{budget:>6} | {a[2]:<24} {a[0]:.4f} ± {a[1]:.4f}{at_floor(a[0], a[1])} | "
                  f"{b[2]:<22} {b[0]:.4f} ± {b[1]:.4f}{at_floor(b[0], b[1])} | {a[0] / b[0]:.2f}")


if __name__ == "__main__":
    main()
