#!/usr/bin/env python3
"""Run score-sde-bench and the PyTorch / JAX reference workloads back to back, then print
the ratios ScoreSDE / best reference for every workload.

Usage (from the repository root):
    python3 Benchmarks/compare.py [--rounds 2] [--threads 2] [--python .refenv/bin/python]
                                  [--reference ../shared/bench] [--only W1-small,W2]

A reference whose framework is not installed is skipped with a message; with none
installed, the script prints ScoreSDE's own figures and exits 0. Set up the references
as ../shared/bench/README.md explains (JAX: `python3 -m venv .refenv &&
.refenv/bin/pip install "jax[cpu]" optax`; PyTorch optional).
"""
import argparse, json, os, subprocess, sys

FIGURES = {"W1-small": "steps_per_s", "W1-medium": "steps_per_s", "W1-large": "steps_per_s",
           "W2": "particle_steps_per_s", "W3": "points_per_s"}
TARGETS = {"W1-small": 1.5, "W1-medium": 1.2, "W1-large": 0.95, "W2": 1.1, "W3": 1.3}


def run_json(cmd, env=None):
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    try:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    except FileNotFoundError as e:
        print(f"  skipped: {e}", file=sys.stderr)
        return []
    except subprocess.CalledProcessError as e:
        tail = (e.stderr or "").strip().splitlines()[-1:] or ["(no message)"]
        print(f"  skipped: exit {e.returncode}: {tail[0]}", file=sys.stderr)
        return []
    rows = []
    for line in out.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            rows.append(json.loads(line))
    return rows


def has_module(python, module):
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--python", default=".refenv/bin/python" if os.path.exists(".refenv/bin/python") else "python3")
    p.add_argument("--reference", default=os.path.join("..", "shared", "bench"))
    p.add_argument("--only", default="W1-small,W1-medium,W1-large,W2,W3")
    p.add_argument("--bench", default=".build/release/score-sde-bench")
    p.add_argument("--openblas-coretype", default=None,
                   help="OPENBLAS_CORETYPE for ScoreSDE's run (e.g. SkylakeX: AVX-512 kernels that "
                        "OpenBLAS 0.3.21 does not pick by itself on AMD Zen 4/5)")
    a = p.parse_args()
    only = a.only.split(",")
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads),
               XLA_FLAGS=f"--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads={a.threads}")
    if not os.path.exists(a.bench):
        subprocess.run(["swift", "build", "-c", "release", "--product", "score-sde-bench"], check=True)

    best = {}   # workload -> (figure, framework)
    ours = {}   # workload -> best figure over rounds (float)
    for r in range(a.rounds):
        print(f"round {r + 1}/{a.rounds}", file=sys.stderr)
        ours_env = dict(os.environ, OPENBLAS_CORETYPE=a.openblas_coretype) if a.openblas_coretype else None
        for row in run_json([a.bench, "--json", "--threads", str(a.threads), "--scalar", "float", "--only", a.only],
                            ours_env):
            w = row["workload"]
            if w in FIGURES:
                print(f"  {'ScoreSDE':<14} {w:<10} {row[FIGURES[w]]:12.1f}", file=sys.stderr)
            if w in FIGURES and row[FIGURES[w]] > ours.get(w, {}).get(FIGURES[w], 0):
                ours[w] = row
        refs = []
        if has_module(a.python, "torch"):
            torch_only = ",".join(w for w in only if w in FIGURES)
            refs.append(("torch eager", [a.python, os.path.join(a.reference, "torch_ref.py"), "--threads", str(a.threads), "--only", torch_only]))
            refs.append(("torch.compile", [a.python, os.path.join(a.reference, "torch_ref.py"), "--compile", "--threads", str(a.threads), "--only", ",".join(w for w in only if w.startswith("W1"))]))
        else:
            print("  PyTorch not installed: skipped", file=sys.stderr)
        if has_module(a.python, "jax"):
            refs.append(("jax jit", [a.python, os.path.join(a.reference, "jax_ref.py"), "--only", ",".join(w for w in only if w != "W3")]))
        else:
            print("  JAX not installed: skipped", file=sys.stderr)
        for name, cmd in refs:
            if not cmd[-1]:
                continue  # this reference runs none of the requested workloads
            for row in run_json(cmd, env):
                w = row["workload"]
                if w in FIGURES:
                    print(f"  {name:<14} {w:<10} {row[FIGURES[w]]:12.1f}", file=sys.stderr)
                if w in FIGURES and row[FIGURES[w]] > best.get(w, (0, ""))[0]:
                    best[w] = (row[FIGURES[w]], name)

    print(f"{'workload':<10} {'ScoreSDE':>12} {'best reference':>16} {'by':<14} {'ratio':>6} {'target':>6}"
          f" {'of peak':>8} {'MiB':>6}")
    for w in only:
        if w not in ours:
            continue
        mine = ours[w][FIGURES[w]]
        ref, by = best.get(w, (None, "-"))
        ratio = f"{mine / ref:6.2f}" if ref else "     -"
        ref_s = f"{ref:16.1f}" if ref else f"{'-':>16}"
        peak = ours[w].get("peak_fraction")
        peak_s = f"{100 * peak:7.0f}%" if peak is not None else f"{'-':>8}"
        print(f"{w:<10} {mine:12.1f} {ref_s} {by:<14} {ratio} {TARGETS[w]:6.2f} {peak_s}"
              f" {ours[w].get('peak_memory_mib', float('nan')):6.0f}")
    print("ratio = ScoreSDE / best reference (figure: higher is better); of peak = ScoreSDE's GEMM"
          " GFLOP/s / raw BLAS on the same shapes", file=sys.stderr)


if __name__ == "__main__":
    main()
