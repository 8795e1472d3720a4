//! Reductions: sum, mean, max and min over all elements or over given axes.

use crate::backprop::Op;
use crate::element::Float;
use crate::error::{ok, Error, Result};
use crate::kernels::reduce::fold_axes;
use crate::pool;
use crate::shape::{keepdim_shape, Dims, Shape};
use crate::tensor::Tensor;

impl<T: Float> Tensor<T> {
    /// Checks and sorts the axes, and gives the output shape.
    fn reduced(&self, op: &'static str, axes: &[usize], keepdim: bool) -> Result<(Dims, Shape)> {
        let mut sorted: Dims = axes.into();
        sorted.sort_unstable();
        sorted.dedup();
        if let Some(&bad) = sorted.iter().find(|&&a| a >= self.rank()) {
            return Err(Error::new(
                op,
                format!("axis {bad} out of range for shape {:?}", self.shape()),
            ));
        }
        let kept = keepdim_shape(self.shape(), &sorted);
        let shape = if keepdim {
            kept
        } else {
            Shape(
                (0..self.rank())
                    .filter(|a| !sorted.contains(a))
                    .map(|a| self.dims()[a])
                    .collect(),
            )
        };
        Ok((sorted, shape))
    }

    fn reduce(
        &self,
        op: &'static str,
        axes: &[usize],
        keepdim: bool,
        init: T,
        f: impl Fn(T, T) -> T + Sync,
        record: fn(Tensor<T>, Dims) -> Op<T>,
    ) -> Result<Tensor<T>> {
        let (axes, shape) = self.reduced(op, axes, keepdim)?;
        let mut data = pool::take(shape.numel());
        self.with_slice(|x| fold_axes(x, self.shape(), &axes, init, f, &mut data));
        Ok(Tensor::from_op(data, shape, record(self.clone(), axes)))
    }

    /// Sum over `axes` (each axis once; `keepdim` keeps them as size 1).
    ///
    /// # Panics
    /// If an axis is out of range: `sum: axis 2 out of range for shape [3, 4]`.
    #[track_caller]
    pub fn sum(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        ok(self.try_sum(axes, keepdim))
    }

    /// Fallible form of [`sum`](Tensor::sum).
    pub fn try_sum(&self, axes: &[usize], keepdim: bool) -> Result<Tensor<T>> {
        self.reduce("sum", axes, keepdim, T::zero(), |a, x| a + x, Op::Sum)
    }

    /// Sum of all elements, as a scalar.
    pub fn sum_all(&self) -> Tensor<T> {
        let axes: Dims = (0..self.rank()).collect();
        self.sum(&axes, false)
    }

    /// Mean over `axes`.
    #[track_caller]
    pub fn mean(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        ok(self.try_mean(axes, keepdim))
    }

    /// Fallible form of [`mean`](Tensor::mean).
    pub fn try_mean(&self, axes: &[usize], keepdim: bool) -> Result<Tensor<T>> {
        let sum = self.try_sum(axes, keepdim)?;
        let count = self.numel() / sum.numel().max(1);
        Ok(sum.mul_scalar(T::one() / T::of(count as f64)))
    }

    /// Mean of all elements, as a scalar.
    pub fn mean_all(&self) -> Tensor<T> {
        self.sum_all()
            .mul_scalar(T::one() / T::of(self.numel() as f64))
    }

    /// Maximum over `axes`. The gradient goes to the maximal elements, split equally among ties.
    /// A NaN anywhere in a slice makes its maximum NaN.
    ///
    /// # Panics
    /// If an axis is out of range.
    #[track_caller]
    pub fn max(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        ok(self.try_max(axes, keepdim))
    }

    /// Fallible form of [`max`](Tensor::max).
    pub fn try_max(&self, axes: &[usize], keepdim: bool) -> Result<Tensor<T>> {
        // A NaN, once seen, stays.
        let max = |acc: T, x: T| {
            if acc.is_nan() || !(x.is_nan() || x > acc) {
                acc
            } else {
                x
            }
        };
        self.reduce("max", axes, keepdim, T::neg_infinity(), max, Op::Max)
    }

    /// Maximum of all elements, as a scalar.
    pub fn max_all(&self) -> Tensor<T> {
        let axes: Dims = (0..self.rank()).collect();
        self.max(&axes, false)
    }

    /// Minimum over `axes`. The gradient goes to the minimal elements, split equally among ties
    /// (as for [`max`](Tensor::max)). A NaN anywhere in a slice makes its minimum NaN.
    ///
    /// # Panics
    /// If an axis is out of range.
    #[track_caller]
    pub fn min(&self, axes: &[usize], keepdim: bool) -> Tensor<T> {
        ok(self.try_min(axes, keepdim))
    }

    /// Fallible form of [`min`](Tensor::min).
    pub fn try_min(&self, axes: &[usize], keepdim: bool) -> Result<Tensor<T>> {
        // A NaN, once seen, stays.
        let min = |acc: T, x: T| {
            if acc.is_nan() || !(x.is_nan() || x < acc) {
                acc
            } else {
                x
            }
        };
        self.reduce("min", axes, keepdim, T::infinity(), min, Op::Min)
    }

    /// Minimum of all elements, as a scalar.
    pub fn min_all(&self) -> Tensor<T> {
        let axes: Dims = (0..self.rank()).collect();
        self.min(&axes, false)
    }
}

#[cfg(test)]
mod tests {
    use crate::Tensor;

    /// The fold runs in interleaved lanes; a NaN in any lane, or in the tail after the last
    /// full lane block, must still make the maximum NaN.
    #[test]
    fn max_is_nan_wherever_the_nan_sits() {
        for at in [0, 5, 21, 39] {
            let mut v = vec![1.0f32; 40];
            v[30] = 5.0;
            v[at] = f32::NAN;
            let x = Tensor::from_vec(v, [40]).unwrap();
            assert!(x.max_all().item().is_nan(), "NaN at {at}");
        }
        let x = Tensor::from_vec((0..40).map(|i| (i % 17) as f32).collect(), [40]).unwrap();
        assert_eq!(x.max_all().item(), 16.0);
        assert_eq!(x.reshape([4, 10]).max(&[0], false).to_vec()[6], 16.0);
    }

    /// The same for the minimum, whose fold starts from +inf.
    #[test]
    fn min_is_nan_wherever_the_nan_sits() {
        for at in [0, 5, 21, 39] {
            let mut v = vec![1.0f32; 40];
            v[30] = -5.0;
            v[at] = f32::NAN;
            let x = Tensor::from_vec(v, [40]).unwrap();
            assert!(x.min_all().item().is_nan(), "NaN at {at}");
        }
        let x = Tensor::from_vec((0..40).map(|i| (i % 17) as f32 - 3.0).collect(), [40]).unwrap();
        assert_eq!(x.min_all().item(), -3.0);
        // Column 6 holds 6 - 3, 16 - 3, 9 - 3, 2 - 3.
        assert_eq!(x.reshape([4, 10]).min(&[0], false).to_vec()[6], -1.0);
    }
}
