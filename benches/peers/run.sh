#!/usr/bin/env bash
# Runs the PyTorch and JAX peers of `benches/mlp_step.rs` and `benches/overhead.rs` on this
# machine, 1 thread then 2, in a virtualenv under benches/peers/.venv (created on first use;
# torch comes from PyTorch's CPU-only index, about 200 MB; from PyPI it would pull several GB of
# CUDA libraries). A peer that cannot be installed (e.g. no route to download.pytorch.org) is
# skipped with a message; the other still runs. Compare with the Rust benches run in the same
# session:
#   AUTOGRAD_NUM_THREADS=1 MATMUL_NUM_THREADS=1 cargo bench --bench mlp_step
# Usage: benches/peers/run.sh
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d .venv ]; then
    python3 -m venv .venv
fi
.venv/bin/python -c 'import torch' 2>/dev/null ||
    .venv/bin/pip install --index-url https://download.pytorch.org/whl/cpu torch ||
    echo "!! PyTorch could not be installed: its peer is skipped" >&2
.venv/bin/python -c 'import jax' 2>/dev/null || .venv/bin/pip install "jax[cpu]"
if .venv/bin/python -c 'import torch' 2>/dev/null; then
    for t in 1 2; do
        echo "== PyTorch, $t thread(s)"
        .venv/bin/python torch_bench.py "$t"
    done
fi
echo "== JAX, 1 core"
taskset -c 0 env XLA_FLAGS=--xla_cpu_multi_thread_eigen=false .venv/bin/python jax_bench.py
echo "== JAX, 2 cores"
.venv/bin/python jax_bench.py
