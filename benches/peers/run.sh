#!/usr/bin/env bash
# Runs the PyTorch and JAX peers of `benches/mlp_step.rs` and `benches/overhead.rs` on this
# machine, 1 thread then 2, in a virtualenv under benches/peers/.venv (created on first use;
# torch pulls several GB). Compare with the Rust benches run in the same session:
#   AUTOGRAD_NUM_THREADS=1 MATMUL_NUM_THREADS=1 cargo bench --bench mlp_step
# Usage: benches/peers/run.sh
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d .venv ]; then
    python3 -m venv .venv
    .venv/bin/pip install torch "jax[cpu]"
fi
for t in 1 2; do
    echo "== PyTorch, $t thread(s)"
    .venv/bin/python torch_bench.py "$t"
done
echo "== JAX, 1 core"
taskset -c 0 env XLA_FLAGS=--xla_cpu_multi_thread_eigen=false .venv/bin/python jax_bench.py
echo "== JAX, 2 cores"
.venv/bin/python jax_bench.py
