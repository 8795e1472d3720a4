//! Full-width cyclic (circular) correlation, the layer of linear convolutional networks
//! (Gunasekar et al. 2018).

use crate::init::Init;
use crate::module::{Module, Name, Visitor};
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

/// A full-width cyclic correlation layer with one filter `w` of length `D` (no bias):
/// `h[b, d] = sum_{k=0}^{D-1} w[k] x[b, (d + k) mod D]`, computed by autograd's
/// [`Tensor::cyclic_corr`] (a direct loop for small `D`, the real FFT above). Parameter:
/// `"weight"` (`[D]`).
pub struct CyclicConv<T: Float> {
    /// The filter, `[D]`.
    pub weight: Tensor<T>,
}

impl<T: Float> CyclicConv<T> {
    /// A layer of width `d`, the filter drawn from `init` (fans `d`).
    pub fn new(d: usize, init: Init, rng: &mut impl Rng) -> Self {
        CyclicConv {
            weight: init.parameter(&[d], rng),
        }
    }

    /// A layer with the given filter `[D]`.
    pub fn from_tensor(weight: Tensor<T>) -> Self {
        assert_eq!(
            weight.rank(),
            1,
            "CyclicConv: filter must be [D], got {:?}",
            weight.shape()
        );
        CyclicConv { weight }
    }

    /// The layer as a matrix: `h = x C^T` with `C =` [`circulant`]`(w)`.
    pub fn matrix(&self) -> Tensor<T> {
        circulant(&self.weight)
    }
}

impl<T: Float> Module<T> for CyclicConv<T> {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        x.cyclic_corr(&self.weight)
    }

    fn visit_parameters(&self, f: &mut Visitor<T>) {
        f(Name::new("weight"), &self.weight)
    }

    fn parameters_mut(&mut self) -> Vec<(String, &mut Tensor<T>)> {
        vec![("weight".to_string(), &mut self.weight)]
    }
}
