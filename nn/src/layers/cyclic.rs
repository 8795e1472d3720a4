//! Cyclic (circular) correlation, the layer of linear convolutional networks (Gunasekar et al.
//! 2018), full-width or with shorter filters, single- or multi-channel.

use crate::init::Init;
use crate::module::{Module, Name, VisitorMut};
use autograd::{Float, Tensor};
use rand::Rng;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The index list `idx[d * D + k'] = (k' - d) mod D`, computed once per `D` and cached.
fn circulant_indices(d: usize) -> Arc<[usize]> {
    static CACHE: OnceLock<Mutex<HashMap<usize, Arc<[usize]>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    cache
        .entry(d)
        .or_insert_with(|| {
            (0..d)
                .flat_map(|row| (0..d).map(move |col| (col + d - row) % d))
                .collect()
        })
        .clone()
}

/// The circulant matrix of `w` (`[D]`): `C[d, k'] = w[(k' - d) mod D]`, shape `[D, D]`, built by
/// one recorded `index_select` on `w`, so gradients flow back to `w`.
///
/// With it, the layer's `x.cyclic_corr(&w)` is `h = x C^T`: row `d` of `C` holds the coefficient of `x[k']` in
/// `h[d] = sum_k w[k] x[(d + k) mod D]`, which is `w[k]` for `k' = (d + k) mod D`.
///
/// # Panics
/// If `w` is not a vector.
pub fn circulant<T: Float>(w: &Tensor<T>) -> Tensor<T> {
    let &[d] = w.dims() else {
        panic!("circulant: expects a vector [D], got {:?}", w.shape());
    };
    w.index_select(0, &circulant_indices(d)).reshape([d, d])
}

/// A cyclic (circular) correlation layer, no bias, single- or multi-channel.
///
/// * One filter `w` `[K]` (`K <= D`; full width at `K = D`) on inputs `[batch, D]`:
///   `h[b, d] = sum_{k<K} w[k] x[b, (d + k) mod D]`, computed by autograd's
///   [`Tensor::cyclic_corr`] (a direct loop for small `D`, the real FFT above).
/// * Filters `w` `[C_out, C_in, K]` on inputs `[batch, C_in, D]`, output `[batch, C_out, D]`:
///   `h[b, o, d] = sum_i sum_{k<K} w[o, i, k] x[b, i, (d + k) mod D]`, that is
///   `h[b, o] = sum_i corr(x[b, i], w[o, i])`. Computed in the frequency domain from autograd's
///   [`Tensor::dft`]: with `X = DFT(x[b, i])` and `W = DFT(w[o, i])` (the filter zero-padded to
///   `D`), `DFT(corr(x, w)) = X conj(W)`, so `DFT(h[b, o]) = sum_i X[b, i] conj(W[o, i])` (one
///   complex `[batch, C_in] x [C_in, C_out]` product per frequency) and `h` is its inverse
///   transform, [`dft_adjoint`](Tensor::dft_adjoint)` / D`. Every step is a differentiable op,
///   so gradients of every order follow.
///
/// Parameter: `"weight"` (`[K]` or `[C_out, C_in, K]`).
///
/// ```
/// use autograd::Tensor;
/// use nn::{CyclicConv, Module};
/// // Two input channels, one output channel, filters of length 2 on signals of length 3.
/// let w = Tensor::<f64>::from_vec(vec![1.0, 0.0, 0.0, 2.0], [1, 2, 2]).unwrap();
/// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 10.0, 20.0, 30.0], [1, 2, 3]).unwrap();
/// // h[d] = x[0, d] + 2 x[1, d + 1 mod 3]
/// let h = CyclicConv::from_tensor(w).forward(&x);
/// assert_eq!(h.dims(), &[1, 1, 3]);
/// for (a, b) in h.to_vec().iter().zip([41.0, 62.0, 23.0]) {
///     assert!((a - b).abs() < 1e-12);
/// }
/// ```
pub struct CyclicConv<T: Float> {
    /// The filter, `[K]`, or the filters, `[C_out, C_in, K]`.
    pub weight: Tensor<T>,
}

impl<T: Float> CyclicConv<T> {
    /// A single-channel layer of width `d` (a full-width filter `[d]`) drawn from `init`
    /// (fans `d`).
    pub fn new(d: usize, init: Init, rng: &mut impl Rng) -> Self {
        CyclicConv {
            weight: init.parameter(&[d], rng),
        }
    }

    /// A multi-channel layer from `c_in` to `c_out` channels with filters of length `k` (`k = D`
    /// for full width), `[c_out, c_in, k]`, drawn from `init` (fans `c_in k` and `c_out k`).
    pub fn channels(c_in: usize, c_out: usize, k: usize, init: Init, rng: &mut impl Rng) -> Self {
        CyclicConv {
            weight: init.parameter(&[c_out, c_in, k], rng),
        }
    }

    /// A layer with the given filter `[K]` or filters `[C_out, C_in, K]`.
    ///
    /// # Panics
    /// If `weight` is neither 1-D nor 3-D.
    pub fn from_tensor(weight: Tensor<T>) -> Self {
        assert!(
            matches!(weight.rank(), 1 | 3),
            "CyclicConv: filter must be [K] or [C_out, C_in, K], got {:?}",
            weight.shape()
        );
        CyclicConv { weight }
    }

    /// The single-channel layer as a matrix: `h = x C^T` with `C =` [`circulant`]`(w)` (a
    /// full-width filter).
    ///
    /// # Panics
    /// If the layer is multi-channel.
    pub fn matrix(&self) -> Tensor<T> {
        circulant(&self.weight)
    }

    /// The multi-channel forward (see the type's documentation).
    fn forward_channels(&self, x: &Tensor<T>) -> Tensor<T> {
        let (&[batch, c_in, d], &[c_out, c_in_w, k]) = (x.dims(), self.weight.dims()) else {
            panic!(
                "CyclicConv: filters {:?} expect an input [batch, C_in, D], got {:?}",
                self.weight.shape(),
                x.shape()
            );
        };
        assert!(
            c_in == c_in_w && k <= d,
            "CyclicConv: filters {:?} do not fit an input {:?} (C_in must agree, K <= D)",
            self.weight.shape(),
            x.shape()
        );
        let w = if k < d {
            Tensor::concat(&[&self.weight, &Tensor::zeros([c_out, c_in, d - k])], 2)
        } else {
            self.weight.clone()
        };
        // Real and imaginary parts with the frequency moved to the front, as batches of
        // matrices: X [D, batch, C_in], W [D, C_in, C_out].
        let parts = |f: &Tensor<T>, perm: &[usize]| {
            let dims = &f.dims()[..3];
            [0, 1].map(|part| f.narrow(3, part, 1).reshape(dims).permute(perm))
        };
        let [xr, xi] = parts(&x.dft(), &[2, 0, 1]);
        let [wr, wi] = parts(&w.dft(), &[2, 1, 0]);
        // Y = X conj(W) summed over the input channels, [D, batch, C_out].
        let yr = xr.matmul(&wr).add(&xi.matmul(&wi));
        let yi = xi.matmul(&wr).sub(&xr.matmul(&wi));
        let column = [d, batch, c_out, 1];
        let y = Tensor::concat(&[&yr.reshape(column), &yi.reshape(column)], 3);
        y.permute(&[1, 2, 0, 3])
            .dft_adjoint()
            .mul_scalar(T::one() / T::of(d as f64))
    }
}

impl<T: Float> Module<T> for CyclicConv<T> {
    /// # Panics
    /// If `x` does not fit the filter: `[batch, D]` with `K <= D` for a filter `[K]`,
    /// `[batch, C_in, D]` for filters `[C_out, C_in, K]`.
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        if self.weight.rank() == 1 {
            x.cyclic_corr(&self.weight)
        } else {
            self.forward_channels(x)
        }
    }

    fn visit_parameters_mut<'s>(&'s mut self, f: &mut VisitorMut<'s, '_, T>) {
        f(Name::new("weight"), &mut self.weight)
    }
}
