//! The one decision the GEMM dispatch takes from the CPU: whether its AVX2 + FMA kernels can
//! run. Taken once per process, and overridable, so that the path of other CPUs is tested and
//! measured on this one.

use std::sync::OnceLock;

/// The environment variable that, set to `1`, makes the GEMM dispatch act as on a CPU without
/// AVX2 and FMA whatever the CPU: products by `matrixmultiply` (its kernels tuned for each CPU
/// family), matrix-vector products by the baseline build of their loops. Read once, at the
/// first product.
pub const FORCE_PORTABLE: &str = "AUTOGRAD_FORCE_PORTABLE";

/// True when the GEMM uses its AVX2 + FMA kernels: an x86-64 CPU with both, and
/// [`FORCE_PORTABLE`] not set to `1`. Decided at the first call, the same for the whole run.
pub fn gemm_simd() -> bool {
    static SIMD: OnceLock<bool> = OnceLock::new();
    *SIMD.get_or_init(|| !forced_portable() && avx2_fma())
}

/// Whether [`FORCE_PORTABLE`] is set to `1`.
fn forced_portable() -> bool {
    std::env::var_os(FORCE_PORTABLE).is_some_and(|v| v == "1")
}

/// Whether this CPU has AVX2 and FMA.
fn avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    false
}
