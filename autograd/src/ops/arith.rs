//! Elementwise arithmetic with NumPy broadcasting, scalar variants, and unary functions.

use crate::backprop::Op;
use crate::element::Float;
use crate::error::{ok, Result};
use crate::kernels::elementwise::{map, zip_broadcast};
use crate::kernels::vmath::{self, Func};
use crate::pool;
use crate::shape::Shape;
use crate::tensor::Tensor;

/// Binary elementwise ops with broadcasting: panicking and `try_` forms, with the formula.
macro_rules! binary_ops {
    ($($(#[$doc:meta])* $name:ident, $try_name:ident, $variant:ident, $f:expr;)*) => {$(
        $(#[$doc])*
        ///
        /// The shapes broadcast as in NumPy; the gradient is summed back to each input's shape.
        ///
        /// # Panics
        /// If the shapes do not broadcast (the message names the op and both shapes).
        #[track_caller]
        pub fn $name(&self, other: &Tensor<T>) -> Tensor<T> {
            ok(self.$try_name(other))
        }

        #[doc = concat!("Fallible form of [`", stringify!($name), "`](Tensor::", stringify!($name), ").")]
        pub fn $try_name(&self, other: &Tensor<T>) -> Result<Tensor<T>> {
            self.binary(other, stringify!($name), $f, Op::$variant)
        }
    )*};
}

/// Unary elementwise ops: value function and recorded op.
macro_rules! unary_ops {
    ($($(#[$doc:meta])* $name:ident, $variant:ident, $f:expr;)*) => {$(
        $(#[$doc])*
        pub fn $name(&self) -> Tensor<T> {
            self.unary($f, Op::$variant)
        }
    )*};
}

/// Unary elementwise ops computed by a vectorized kernel of [`vmath`]: function and recorded op.
macro_rules! vmath_ops {
    ($($(#[$doc:meta])* $name:ident, $variant:ident, $f:expr;)*) => {$(
        $(#[$doc])*
        ///
        #[doc = concat!("Vectorized (`kernels::vmath::Func::", stringify!($variant), "`); within a few ulps of libm.")]
        pub fn $name(&self) -> Tensor<T> {
            self.unary_vmath($f, Op::$variant)
        }
    )*};
}

impl<T: Float> Tensor<T> {
    fn binary(
        &self,
        other: &Tensor<T>,
        name: &'static str,
        f: impl Fn(T, T) -> T + Sync,
        op: fn(Tensor<T>, Tensor<T>) -> Op<T>,
    ) -> Result<Tensor<T>> {
        let shape = Shape::broadcast(name, self.shape(), other.shape())?;
        let mut data = pool::take(shape.numel());
        {
            let (a, b) = (self.read(), other.read());
            zip_broadcast(&a, self.layout(), &b, other.layout(), &shape, f, &mut data);
        }
        Ok(Tensor::from_op(
            data,
            shape,
            op(self.clone(), other.clone()),
        ))
    }

    fn unary(&self, f: impl Fn(T) -> T + Sync, op: fn(Tensor<T>) -> Op<T>) -> Tensor<T> {
        Tensor::from_op(self.map_values(f), self.shape().clone(), op(self.clone()))
    }

    fn unary_vmath(&self, f: Func, op: fn(Tensor<T>) -> Op<T>) -> Tensor<T> {
        let data = self.with_slice(|x| {
            let mut out = pool::take(x.len());
            vmath::map(f, x, &mut out);
            out
        });
        Tensor::from_op(data, self.shape().clone(), op(self.clone()))
    }

    /// `f` of each element, row-major, in a buffer from the pool.
    pub(super) fn map_values(&self, f: impl Fn(T) -> T + Sync) -> Vec<T> {
        self.with_slice(|x| {
            let mut out = pool::take(x.len());
            map(x, f, &mut out);
            out
        })
    }

    /// A constant (unrecorded) elementwise function of the values.
    pub(super) fn constant_map(&self, f: impl Fn(T) -> T + Sync) -> Tensor<T> {
        Tensor::from_data(self.map_values(f), self.shape().clone())
    }

    binary_ops! {
        /// `a + b` elementwise.
        add, try_add, Add, |x, y| x + y;
        /// `a - b` elementwise.
        sub, try_sub, Sub, |x, y| x - y;
        /// `a * b` elementwise (Hadamard product).
        mul, try_mul, Mul, |x, y| x * y;
        /// `a / b` elementwise.
        div, try_div, Div, |x, y| x / y;
        /// `x^y` elementwise, a tensor exponent (for a scalar one, [`pow_scalar`](Tensor::pow_scalar)).
        ///
        /// Gradients: `d/dx = y x^(y-1)` and `d/dy = x^y ln x`. Domain: the gradient in `y`
        /// needs `x > 0`; where `x = 0` it is taken as 0 (exact for `y > 0`, where `0^y = 0`),
        /// and where `x < 0` it is NaN (`x^y` is real there only at integer `y`, which has the
        /// value and the gradient in `x` but no derivative in `y`).
        pow, try_pow, Pow, |x: T, y: T| x.powf(y);
        /// The elementwise maximum `max(a, b)` (NaN if either is NaN), `torch.maximum`.
        ///
        /// Subgradient: the gradient goes to the larger input; at ties `a = b` each gets half.
        maximum, try_maximum, Maximum, |x: T, y: T| if x.is_nan() || x >= y { x } else { y };
        /// The elementwise minimum `min(a, b)` (NaN if either is NaN), `torch.minimum`.
        ///
        /// Subgradient: the gradient goes to the smaller input; at ties `a = b` each gets half.
        minimum, try_minimum, Minimum, |x: T, y: T| if x.is_nan() || x <= y { x } else { y };
    }

    unary_ops! {
        /// `-x`.
        neg, Neg, |x: T| -x;
        /// `sqrt(x)`.
        sqrt, Sqrt, |x: T| x.sqrt();
        /// `|x|`; its derivative at 0 is taken as 0 (the sign).
        abs, Abs, |x: T| x.abs();
        /// `max(x, 0)`; its derivative at 0 is taken as 0.
        relu, Relu, |x: T| if x > T::zero() { x } else { T::zero() };
    }

    vmath_ops! {
        /// `exp(x)`.
        exp, Exp, Func::Exp;
        /// Natural logarithm `ln(x)`.
        log, Log, Func::Ln;
        /// `ln(1 + x)`, accurate for small `x`.
        log1p, Log1p, Func::Ln1p;
        /// `tanh(x)`.
        tanh, Tanh, Func::Tanh;
        /// The logistic sigmoid `1 / (1 + exp(-x))`, computed without overflow for any `x`.
        sigmoid, Sigmoid, Func::Sigmoid;
        /// `softplus(x) = ln(1 + exp(x))`, computed stably as `max(x, 0) + ln(1 + exp(-|x|))`,
        /// finite for every finite `x`.
        softplus, Softplus, Func::Softplus;
    }

    /// `x + c` for a scalar `c`.
    pub fn add_scalar(&self, c: T) -> Tensor<T> {
        self.unary(|x| x + c, Op::AddScalar)
    }

    /// `c * x` for a scalar `c`.
    pub fn mul_scalar(&self, c: T) -> Tensor<T> {
        let data = self.map_values(|v| v * c);
        Tensor::from_op(data, self.shape().clone(), Op::MulScalar(self.clone(), c))
    }

    /// `x^p` for a scalar exponent `p`.
    pub fn pow_scalar(&self, p: T) -> Tensor<T> {
        let data = self.map_values(|v| v.powf(p));
        Tensor::from_op(data, self.shape().clone(), Op::PowScalar(self.clone(), p))
    }

    /// `x - c` for a scalar `c`.
    pub fn sub_scalar(&self, c: T) -> Tensor<T> {
        self.add_scalar(-c)
    }

    /// `x / c` for a scalar `c`.
    pub fn div_scalar(&self, c: T) -> Tensor<T> {
        self.mul_scalar(T::one() / c)
    }

    /// `x^2`.
    pub fn square(&self) -> Tensor<T> {
        self.mul(self)
    }

    /// The sign of each element, -1, 0 or 1 (a constant: records nothing).
    pub fn sign(&self) -> Tensor<T> {
        self.constant_map(|x| {
            if x > T::zero() {
                T::one()
            } else if x < T::zero() {
                -T::one()
            } else {
                T::zero()
            }
        })
    }

    /// 1 where the element is positive, else 0 (a constant).
    pub fn positive_mask(&self) -> Tensor<T> {
        self.constant_map(|x| if x > T::zero() { T::one() } else { T::zero() })
    }

    /// 1 where `self == other` (broadcast), else 0 (a constant).
    #[track_caller]
    pub fn eq_mask(&self, other: &Tensor<T>) -> Tensor<T> {
        let shape = ok(Shape::broadcast("eq_mask", self.shape(), other.shape()));
        let (a, b) = (self.read(), other.read());
        let mut data = pool::take(shape.numel());
        let f = |x, y| if x == y { T::one() } else { T::zero() };
        zip_broadcast(&a, self.layout(), &b, other.layout(), &shape, f, &mut data);
        Tensor::from_data(data, shape)
    }
}
