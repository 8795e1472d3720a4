//! The kernels under the tensor API, for the criterion benches in `benches/` only: they time
//! the kernels against their baselines (raw `matrixmultiply`, rustfft, naive loops) on plain
//! buffers. Not a stable API: the kernels themselves are private to the crate, and this facade
//! names what the benches need and nothing more.

/// GEMM on strided matrices (`benches/matmul.rs`, `mlp_step.rs`): the dispatching product,
/// one kernel forced, and the packed kernel alone.
pub mod matmul {
    pub use crate::kernels::blocked::gemm_blocked;
    pub use crate::kernels::matmul::{gemm, gemm_with, Kernel, MatRef};
}

/// The vectorised elementwise functions (`benches/transcendental.rs`) and the scalar formulas
/// they replaced.
pub mod vmath {
    pub use crate::kernels::elementwise::{sigmoid, softplus};
    pub use crate::kernels::vmath::{apply, Func};
}

/// Batched row FFTs and the real DFT's two paths (`benches/fft.rs`).
pub mod fft {
    pub use crate::kernels::fft::{
        dft_real_adjoint_direct, dft_real_adjoint_fft, dft_real_direct, dft_real_fft,
        fft_rows_inplace, rfft_rows, Complex,
    };
}

/// The cyclic kernels' dispatch, both paths and the crossover rule (`benches/cyclic.rs`).
pub mod cyclic {
    pub use crate::kernels::cyclic::crossover::{Crossover, CROSSOVER_F32, CROSSOVER_F64};
    pub use crate::kernels::cyclic::{conv, corr, corr_weight, direct, spectral};
}
