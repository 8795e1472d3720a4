"""PyTorch peer of `benches/transcendental.rs`: ns per element of exp, log, log1p, sigmoid,
softplus and tanh on 10^6 elements, f32 and f64, one thread, eager mode; the inputs drawn
uniformly from the same ranges as the Rust bench. Best of 15 timed calls after 3 warm-up calls
(each call allocates its output, as `Tensor::exp` does through the buffer pool). PyTorch picks
its kernels by the CPU (AVX-512 where present); `ATEN_CPU_CAPABILITY=avx2` selects the AVX2 ones,
the instruction set of our kernels.

    benches/peers/.venv/bin/python benches/peers/torch_transcendental.py

Compare with, in the same session:

    AUTOGRAD_NUM_THREADS=1 cargo bench --bench transcendental -- --warm-up-time 1 \
        --measurement-time 3 transcendental_1e6
"""

import time

import torch

torch.set_num_threads(1)
N = 1_000_000
CASES = [
    ("exp", torch.exp, (-20.0, 20.0)),
    ("ln", torch.log, (1e-3, 1e3)),
    ("ln_1p", torch.log1p, (-0.9, 10.0)),
    ("sigmoid", torch.sigmoid, (-20.0, 20.0)),
    ("softplus", torch.nn.functional.softplus, (-20.0, 20.0)),
    ("tanh", torch.tanh, (-5.0, 5.0)),
]


def best_ns_per_elem(f, x, reps=15):
    for _ in range(3):
        f(x)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        f(x)
        best = min(best, time.perf_counter() - t0)
    return best / x.numel() * 1e9


def main():
    cap = torch.backends.cpu.get_cpu_capability()
    print(f"torch {torch.__version__} ({cap} kernels), {torch.get_num_threads()} thread, n = {N}")
    gen = torch.Generator().manual_seed(0)
    for dtype in (torch.float32, torch.float64):
        copy = torch.rand(N, dtype=dtype, generator=gen)
        row = [f"copy {best_ns_per_elem(torch.clone, copy):.2f}"]
        for name, f, (lo, hi) in CASES:
            x = lo + (hi - lo) * torch.rand(N, dtype=dtype, generator=gen)
            row.append(f"{name} {best_ns_per_elem(f, x):.2f}")
        print(f"{str(dtype).replace('torch.', '')}: " + ", ".join(row) + " (ns/elem)")


if __name__ == "__main__":
    main()
