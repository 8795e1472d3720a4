//! The element types a [`Tensor`](crate::Tensor) can hold: `f32` (speed) and `f64` (precision).

use std::any::Any;
use std::fmt::{Debug, Display};
use std::iter::Sum;

/// A floating-point element type: `f32` or `f64`.
///
/// The trait carries what the kernels need beyond arithmetic: the GEMM entry point of
/// `matrixmultiply` for this type and a name for messages and checkpoints.
pub trait Float:
    num_traits::Float
    + num_traits::FromPrimitive
    + num_traits::ToPrimitive
    + Default
    + Debug
    + Display
    + Sum
    + Send
    + Sync
    + rustfft::FftNum
    + 'static
{
    /// The type's name as in safetensors and NumPy: `"f32"` or `"f64"`.
    const DTYPE: &'static str;

    /// `C <- alpha * A B + beta * C` on strided matrices (`matrixmultiply::{s,d}gemm`).
    ///
    /// # Safety
    /// The pointers with their strides must address valid `m x k`, `k x n` and `m x n`
    /// matrices, and `c` must not alias `a` or `b`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );

    /// Converts from `f64` (constants in formulas, random draws).
    fn of(x: f64) -> Self {
        <Self as num_traits::FromPrimitive>::from_f64(x).expect("f64 converts to every Float")
    }

    /// Converts to `f64` (reports, gradient checks).
    fn f64(self) -> f64 {
        <Self as num_traits::ToPrimitive>::to_f64(&self).expect("every Float converts to f64")
    }
}

macro_rules! impl_float {
    ($t:ty, $name:literal, $gemm:path) => {
        impl Float for $t {
            const DTYPE: &'static str = $name;
            unsafe fn gemm(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: *const Self,
                rsa: isize,
                csa: isize,
                b: *const Self,
                rsb: isize,
                csb: isize,
                beta: Self,
                c: *mut Self,
                rsc: isize,
                csc: isize,
            ) {
                $gemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
            }
        }
    };
}

impl_float!(f32, "f32", matrixmultiply::sgemm);
impl_float!(f64, "f64", matrixmultiply::dgemm);

/// Of two per-element-type values, the one of type `S`: how generic code over `T` reaches its
/// own field of a thread-local that keeps one value for `f32` and one for `f64` (the buffer
/// pool, the backward pass's scratch). `None` if neither is an `S`.
pub(crate) fn per_type<'a, S: Any>(
    for_f32: &'a mut dyn Any,
    for_f64: &'a mut dyn Any,
) -> Option<&'a mut S> {
    for_f32.downcast_mut().or_else(|| for_f64.downcast_mut())
}
