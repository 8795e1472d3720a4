#!/usr/bin/env bash
# Runs every bench whose figures benches/README.md quotes, with the settings used there.
# Run it on an otherwise idle machine; read the ratios to the in-run baselines.
# Usage: bash benches/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
for t in 1 2; do
    AUTOGRAD_NUM_THREADS=$t MATMUL_NUM_THREADS=$t \
        cargo bench --bench mlp_step -- --warm-up-time 1 --measurement-time 3
done
cargo bench --bench overhead -- --warm-up-time 1 --measurement-time 2
cargo bench --bench allocs
AUTOGRAD_NUM_THREADS=1 MATMUL_NUM_THREADS=1 \
    cargo bench --bench matmul -- --warm-up-time 0.5 --measurement-time 1.5
AUTOGRAD_NUM_THREADS=2 MATMUL_NUM_THREADS=2 \
    cargo bench --bench matmul -- --warm-up-time 0.5 --measurement-time 1.5 gemm_mlp
cargo bench --bench elementwise -- --warm-up-time 1 --measurement-time 2
cargo bench --bench cyclic -- nomatch_skip_criterion
AUTOGRAD_NUM_THREADS=1 cargo bench --bench small_models -- --warm-up-time 1 --measurement-time 3
