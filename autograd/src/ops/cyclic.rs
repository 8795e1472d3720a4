//! The full-width cyclic layers of linear convolutional networks and the real DFT, on the FFT
//! kernels of `kernels::cyclic` and `kernels::fft` (direct loops below a measured crossover
//! length).
//!
//! With `x` of shape `[batch, D]` and a filter `w` of shape `[K]`, `K <= D`, indices taken mod
//! `D`:
//!
//! * `cyclic_corr(x, w)[b, i] = sum_{k<K} w[k] x[b, i + k]` (the layer),
//! * `cyclic_conv(g, w)[b, j] = sum_{k<K} g[b, j - k] w[k]` (its adjoint in `x`),
//! * `cyclic_corr_weight(g, x)[k] = sum_b sum_i g[b, i] x[b, i + k]`, `k < D` (its adjoint in
//!   `w`, of which a filter of length `K` takes the first `K` entries).
//!
//! Each one's gradients are the other two, so gradients of every order stay in this closed set.
//! A filter shorter than the signal is the full-width one with `w[k] = 0` for `K <= k < D`: the
//! ops pad it with zeros (in a pooled buffer) and run the same kernels, with the same FFT/direct
//! dispatch on `D`.

use crate::backprop::Op;
use crate::element::Float;
use crate::error::{ok, Error, Result};
use crate::kernels::{cyclic, fft};
use crate::pool;
use crate::shape::Shape;
use crate::tensor::Tensor;

/// Checks that `a` is `[batch, D]` and `b` is `[batch, D]` (`b_batched`) or a filter `[K]`,
/// `K <= D`.
fn check_pair<T: Float>(
    op: &'static str,
    a: &Tensor<T>,
    b: &Tensor<T>,
    b_batched: bool,
) -> Result<(usize, usize)> {
    let err = |why: &str| {
        Err(Error::new(
            op,
            format!("{:?} and {:?}: {why}", a.shape(), b.shape()),
        ))
    };
    let &[batch, d] = a.dims() else {
        return err("the first operand must be [batch, D]");
    };
    let ok_b = if b_batched {
        b.dims() == [batch, d]
    } else {
        matches!(b.dims(), &[k] if k <= d)
    };
    if !ok_b {
        return err(if b_batched {
            "the second operand must have the first's shape"
        } else {
            "the filter must be [K] with K <= D"
        });
    }
    Ok((batch, d))
}

impl<T: Float> Tensor<T> {
    fn cyclic(
        &self,
        other: &Tensor<T>,
        out_dims: Shape,
        kernel: fn(&[T], &[T], usize, &mut [T]),
        record: fn(Tensor<T>, Tensor<T>) -> Op<T>,
        d: usize,
    ) -> Tensor<T> {
        let mut out = pool::zeros(out_dims.numel());
        // A filter (rank 1) shorter than D.
        let pad = other.rank() == 1 && other.numel() < d;
        if d > 0 {
            self.with_slice(|a| {
                other.with_slice(|b| {
                    if !pad {
                        kernel(a, b, d, &mut out)
                    } else {
                        // A filter shorter than D: zero-padded to D.
                        let mut padded = pool::zeros(d);
                        padded[..b.len()].copy_from_slice(b);
                        kernel(a, &padded, d, &mut out);
                        pool::recycle(padded);
                    }
                })
            });
        }
        Tensor::from_op(out, out_dims, record(self.clone(), other.clone()))
    }

    /// The cyclic correlation of a linear conv layer:
    /// `h[b, i] = sum_{k=0}^{K-1} w[k] x[b, (i + k) mod D]` for `x: [batch, D]` and a filter
    /// `w: [K]`, `K <= D` (full width at `K = D`; a shorter filter is zero-padded to `D`).
    ///
    /// # Panics
    /// If the shapes are not `[batch, D]` and `[K]` with `K <= D`.
    #[track_caller]
    pub fn cyclic_corr(&self, w: &Tensor<T>) -> Tensor<T> {
        ok(self.try_cyclic_corr(w))
    }

    /// Fallible form of [`cyclic_corr`](Tensor::cyclic_corr).
    pub fn try_cyclic_corr(&self, w: &Tensor<T>) -> Result<Tensor<T>> {
        let (_, d) = check_pair("cyclic_corr", self, w, false)?;
        Ok(self.cyclic(w, self.shape().clone(), cyclic::corr, Op::CyclicCorr, d))
    }

    /// The cyclic convolution `y[b, j] = sum_{k=0}^{K-1} g[b, (j - k) mod D] w[k]` for
    /// `g: [batch, D]` and a filter `w: [K]`, `K <= D` (zero-padded to `D`): the adjoint of
    /// [`cyclic_corr`](Tensor::cyclic_corr) in its input.
    ///
    /// # Panics
    /// If the shapes are not `[batch, D]` and `[K]` with `K <= D`.
    #[track_caller]
    pub fn cyclic_conv(&self, w: &Tensor<T>) -> Tensor<T> {
        ok(self.try_cyclic_conv(w))
    }

    /// Fallible form of [`cyclic_conv`](Tensor::cyclic_conv).
    pub fn try_cyclic_conv(&self, w: &Tensor<T>) -> Result<Tensor<T>> {
        let (_, d) = check_pair("cyclic_conv", self, w, false)?;
        Ok(self.cyclic(w, self.shape().clone(), cyclic::conv, Op::CyclicConv, d))
    }

    /// The filter-space correlation `v[k] = sum_b sum_i g[b, i] x[b, (i + k) mod D]` of
    /// `g, x: [batch, D]`, shape `[D]`: the adjoint of [`cyclic_corr`](Tensor::cyclic_corr) in its
    /// filter (for a filter of length `K < D`, its first `K` entries).
    ///
    /// # Panics
    /// If the shapes differ or are not 2-D.
    #[track_caller]
    pub fn cyclic_corr_weight(&self, x: &Tensor<T>) -> Tensor<T> {
        ok(self.try_cyclic_corr_weight(x))
    }

    /// Fallible form of [`cyclic_corr_weight`](Tensor::cyclic_corr_weight).
    pub fn try_cyclic_corr_weight(&self, x: &Tensor<T>) -> Result<Tensor<T>> {
        let (_, d) = check_pair("cyclic_corr_weight", self, x, true)?;
        let out = Shape::from([d]);
        Ok(self.cyclic(x, out, cyclic::corr_weight, Op::CyclicCorrWeight, d))
    }

    /// The unnormalised DFT of real vectors along the last axis,
    /// `F[k] = sum_{n=0}^{D-1} x[n] exp(-2 pi i k n / D)` for all `D` frequencies, as real and
    /// imaginary parts in a new last axis: `[.., D] -> [.., D, 2]` (like `torch.view_as_real`).
    ///
    /// # Panics
    /// On a scalar (rank 0).
    #[track_caller]
    pub fn dft(&self) -> Tensor<T> {
        ok(self.try_dft())
    }

    /// Fallible form of [`dft`](Tensor::dft).
    pub fn try_dft(&self) -> Result<Tensor<T>> {
        let Some(&d) = self.dims().last() else {
            return Err(Error::new(
                "dft",
                "needs at least one dimension, got a scalar",
            ));
        };
        let (mut re, mut im) = (vec![T::zero(); self.numel()], vec![T::zero(); self.numel()]);
        if d > 0 {
            self.with_slice(|x| fft::dft_real(x, d, &mut re, &mut im));
        }
        let data = re.iter().zip(&im).flat_map(|(&r, &i)| [r, i]).collect();
        let mut dims: crate::Dims = self.dims().into();
        dims.push(2);
        Ok(Tensor::from_op(data, Shape(dims), Op::Dft(self.clone())))
    }

    /// The adjoint of [`dft`](Tensor::dft): for `g: [.., D, 2]` (real and imaginary parts),
    /// `x[n] = sum_k Re(g[k]) cos(2 pi k n / D) - Im(g[k]) sin(2 pi k n / D)`, shape `[.., D]`.
    ///
    /// # Panics
    /// If the last axis is not of size 2.
    #[track_caller]
    pub fn dft_adjoint(&self) -> Tensor<T> {
        ok(self.try_dft_adjoint())
    }

    /// Fallible form of [`dft_adjoint`](Tensor::dft_adjoint).
    pub fn try_dft_adjoint(&self) -> Result<Tensor<T>> {
        let r = self.rank();
        if r < 2 || self.dims()[r - 1] != 2 {
            return Err(Error::new(
                "dft_adjoint",
                format!("expects [.., D, 2], got {:?}", self.shape()),
            ));
        }
        let d = self.dims()[r - 2];
        let pairs = self.to_vec();
        let re: Vec<T> = pairs.iter().step_by(2).copied().collect();
        let im: Vec<T> = pairs.iter().skip(1).step_by(2).copied().collect();
        let mut out = pool::zeros(re.len());
        if d > 0 {
            fft::dft_real_adjoint(&re, &im, d, &mut out);
        }
        Ok(Tensor::from_op(
            out,
            Shape::from(&self.dims()[..r - 1]),
            Op::DftAdjoint(self.clone()),
        ))
    }

    /// The modulus of the DFT along the last axis, `|F[k]|`, shape `[.., D]`: the square root of
    /// the sum of squares of [`dft`](Tensor::dft)'s parts (its gradient is NaN where `F[k] = 0`).
    pub fn dft_modulus(&self) -> Tensor<T> {
        let f = self.dft();
        f.square().sum(&[f.rank() - 1], false).sqrt()
    }
}
