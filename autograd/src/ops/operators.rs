//! Arithmetic operators on tensors, as in PyTorch: `&a + &b`, `&a - &b`, `&a * &b`, `&a / &b`
//! (elementwise, broadcasting), `&a * 2.0`, `2.0 * &a` and the like with a scalar, and `-&a`.
//! Each is the method of the same name ([`add`](Tensor::add), [`mul_scalar`](Tensor::mul_scalar),
//! [`neg`](Tensor::neg), ...), recorded the same way, and panics as it does on shapes that do
//! not broadcast. Owned tensors work too (`&a * &b + &c`), the operands left intact
//! (tensors are handles: an owned operand is only dropped).
//!
//! ```
//! use autograd::Tensor;
//! let a = Tensor::<f64>::from_vec(vec![1.0, 2.0], [2]).unwrap();
//! let b = Tensor::from_vec(vec![3.0, 4.0], [2]).unwrap();
//! let y = -(&a * &b + 1.0) / 2.0 - &a; // -(a b + 1) / 2 - a
//! assert_eq!(y.to_vec(), vec![-3.0, -6.5]);
//! assert_eq!((2.0 * &a - &b).to_vec(), vec![-1.0, 0.0]);
//! ```

use crate::element::Float;
use crate::tensor::Tensor;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// Tensor-tensor operators for the four combinations of owned and borrowed operands.
macro_rules! tensor_ops {
    ($($trait:ident $op:ident $method:ident;)*) => {$(
        impl<T: Float> $trait<&Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            #[doc = concat!("[`Tensor::", stringify!($method), "`].")]
            #[track_caller]
            fn $op(self, rhs: &Tensor<T>) -> Tensor<T> {
                self.$method(rhs)
            }
        }

        impl<T: Float> $trait<Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            #[doc = concat!("[`Tensor::", stringify!($method), "`].")]
            #[track_caller]
            fn $op(self, rhs: Tensor<T>) -> Tensor<T> {
                self.$method(&rhs)
            }
        }

        impl<T: Float> $trait<&Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            #[doc = concat!("[`Tensor::", stringify!($method), "`].")]
            #[track_caller]
            fn $op(self, rhs: &Tensor<T>) -> Tensor<T> {
                Tensor::$method(&self, rhs)
            }
        }

        impl<T: Float> $trait<Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            #[doc = concat!("[`Tensor::", stringify!($method), "`].")]
            #[track_caller]
            fn $op(self, rhs: Tensor<T>) -> Tensor<T> {
                Tensor::$method(&self, &rhs)
            }
        }
    )*};
}

tensor_ops! {
    Add add add;
    Sub sub sub;
    Mul mul mul;
    Div div div;
}

/// Tensor-scalar operators (`x + c`, `x - c`, `x * c`, `x / c`) for owned and borrowed tensors.
macro_rules! scalar_rhs_ops {
    ($($trait:ident $op:ident $method:ident;)*) => {$(
        impl<T: Float> $trait<T> for &Tensor<T> {
            type Output = Tensor<T>;
            #[doc = concat!("[`Tensor::", stringify!($method), "`].")]
            fn $op(self, c: T) -> Tensor<T> {
                self.$method(c)
            }
        }

        impl<T: Float> $trait<T> for Tensor<T> {
            type Output = Tensor<T>;
            #[doc = concat!("[`Tensor::", stringify!($method), "`].")]
            fn $op(self, c: T) -> Tensor<T> {
                Tensor::$method(&self, c)
            }
        }
    )*};
}

scalar_rhs_ops! {
    Add add add_scalar;
    Sub sub sub_scalar;
    Mul mul mul_scalar;
    Div div div_scalar;
}

/// Scalar-tensor operators (`c + x`, `c - x = -x + c`, `c * x`, `c / x = c x^(-1)`) for `f32`
/// and `f64` scalars (a generic `T` on the left is not allowed by Rust's orphan rule).
macro_rules! scalar_lhs_ops {
    ($($t:ty),*) => {$(
        impl Add<&Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            /// `c + x`: [`Tensor::add_scalar`].
            fn add(self, x: &Tensor<$t>) -> Tensor<$t> {
                x.add_scalar(self)
            }
        }

        impl Add<Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            /// `c + x`: [`Tensor::add_scalar`].
            fn add(self, x: Tensor<$t>) -> Tensor<$t> {
                x.add_scalar(self)
            }
        }

        impl Sub<&Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            /// `c - x`, as `(-x) + c`.
            fn sub(self, x: &Tensor<$t>) -> Tensor<$t> {
                x.neg().add_scalar(self)
            }
        }

        impl Sub<Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            /// `c - x`, as `(-x) + c`.
            fn sub(self, x: Tensor<$t>) -> Tensor<$t> {
                x.neg().add_scalar(self)
            }
        }

        impl Mul<&Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            /// `c x`: [`Tensor::mul_scalar`].
            fn mul(self, x: &Tensor<$t>) -> Tensor<$t> {
                x.mul_scalar(self)
            }
        }

        impl Mul<Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            /// `c x`: [`Tensor::mul_scalar`].
            fn mul(self, x: Tensor<$t>) -> Tensor<$t> {
                x.mul_scalar(self)
            }
        }

        impl Div<&Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            /// `c / x`, as `c x^(-1)`.
            fn div(self, x: &Tensor<$t>) -> Tensor<$t> {
                x.pow_scalar(-1.0).mul_scalar(self)
            }
        }

        impl Div<Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            /// `c / x`, as `c x^(-1)`.
            fn div(self, x: Tensor<$t>) -> Tensor<$t> {
                x.pow_scalar(-1.0).mul_scalar(self)
            }
        }
    )*};
}

scalar_lhs_ops!(f32, f64);

impl<T: Float> Neg for &Tensor<T> {
    type Output = Tensor<T>;
    /// `-x`: [`Tensor::neg`].
    fn neg(self) -> Tensor<T> {
        Tensor::neg(self)
    }
}

impl<T: Float> Neg for Tensor<T> {
    type Output = Tensor<T>;
    /// `-x`: [`Tensor::neg`].
    fn neg(self) -> Tensor<T> {
        Tensor::neg(&self)
    }
}
