//! Selection by a mask and clamping: [`where_cond`](Tensor::where_cond) (PyTorch's `where`) and
//! [`clamp`](Tensor::clamp), with the constant masks their backward rules (and those of
//! [`maximum`](Tensor::maximum) / [`minimum`](Tensor::minimum)) multiply by.

use crate::backprop::Op;
use crate::element::Float;
use crate::error::{ok, Result};
use crate::kernels::elementwise::zip_broadcast;
use crate::kernels::select::select_broadcast;
use crate::pool;
use crate::shape::Shape;
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// `out = cond ? a : b` elementwise, with `self` the condition: `out[i] = a[i]` where
    /// `self[i] != 0` (a NaN counts as true), else `b[i]` (PyTorch's `torch.where(cond, a, b)`).
    /// The three shapes broadcast together as in NumPy. Masks come from ops such as
    /// [`eq_mask`](Tensor::eq_mask) and [`positive_mask`](Tensor::positive_mask), or any tensor of
    /// zeros and ones.
    ///
    /// Gradient: to the chosen branch only, `d/da = g 1[cond]`, `d/db = g 1[!cond]` (summed back
    /// to each one's shape); the condition is not differentiated (a constant, even if it was
    /// computed by recorded ops).
    ///
    /// # Panics
    /// If the shapes do not broadcast (the message names the op and the shapes).
    #[track_caller]
    pub fn where_cond(&self, a: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
        ok(self.try_where_cond(a, b))
    }

    /// Fallible form of [`where_cond`](Tensor::where_cond).
    pub fn try_where_cond(&self, a: &Tensor<T>, b: &Tensor<T>) -> Result<Tensor<T>> {
        let branches = Shape::broadcast("where_cond", a.shape(), b.shape())?;
        let shape = Shape::broadcast("where_cond", self.shape(), &branches)?;
        let data = {
            let (c, x, y) = (self.read(), a.read(), b.read());
            let mut out = pool::take(shape.numel());
            select_broadcast(
                (&c, self.layout()),
                (&x, a.layout()),
                (&y, b.layout()),
                &shape,
                &mut out,
            );
            out
        };
        // Held as a constant: a recorded condition would keep its graph alive for nothing.
        let cond = if self.requires_grad_flag() {
            self.detach()
        } else {
            self.clone()
        };
        Ok(Tensor::from_op(
            data,
            shape,
            Op::Where(cond, a.clone(), b.clone()),
        ))
    }

    /// `min(max(x, lo), hi)` elementwise (`torch.clamp`): `lo` where `x < lo`, `hi` where
    /// `x > hi`, else `x` (NaN stays NaN; with `lo > hi` every element is `hi`, as in PyTorch).
    /// Pass `T::neg_infinity()` or `T::infinity()` for a one-sided clamp.
    ///
    /// Subgradient: `d/dx = 1[lo <= x <= hi]`, so the gradient passes at the boundaries
    /// themselves (as in PyTorch) and is zero outside.
    pub fn clamp(&self, lo: T, hi: T) -> Tensor<T> {
        let data = self.map_values(|v| {
            let up = if v < lo { lo } else { v };
            if up > hi {
                hi
            } else {
                up
            }
        });
        Tensor::from_op(data, self.shape().clone(), Op::Clamp(self.clone(), lo, hi))
    }

    /// The constant `1[lo <= x <= hi]` (the gradient mask of [`clamp`](Tensor::clamp)).
    pub(crate) fn in_range_mask(&self, lo: T, hi: T) -> Tensor<T> {
        self.constant_map(|v| indicator(lo <= v && v <= hi))
    }

    /// The constant share of the gradient of [`maximum`](Tensor::maximum) (`larger`) or
    /// [`minimum`](Tensor::minimum) that goes to `self`, in the broadcast shape: 1 where `self`
    /// is the chosen one, 1/2 at ties, 0 where `other` is. (`other` gets `1 - share`.)
    pub(crate) fn extremum_share(&self, other: &Tensor<T>, larger: bool) -> Tensor<T> {
        let shape = ok(Shape::broadcast(
            "extremum_share",
            self.shape(),
            other.shape(),
        ));
        let half = T::of(0.5);
        let data = {
            let (a, b) = (self.read(), other.read());
            let mut out = pool::take(shape.numel());
            let share = |x: T, y: T| {
                if x == y {
                    half
                } else {
                    indicator(if larger { x > y } else { x < y })
                }
            };
            zip_broadcast(
                &a,
                self.layout(),
                &b,
                other.layout(),
                &shape,
                share,
                &mut out,
            );
            out
        };
        Tensor::from_data(data, shape)
    }
}

/// 1 for true, 0 for false.
fn indicator<T: Float>(b: bool) -> T {
    if b {
        T::one()
    } else {
        T::zero()
    }
}
