//! Path-SGD for layered ReLU networks (Neyshabur, Salakhutdinov, Srebro 2015).

use crate::state::{gradients, Core};
use crate::{t, Optimizer};
use autograd::{Float, Tensor};

/// How a layer's weight matrix is stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WeightLayout {
    /// `[out, in]`, the layer computes `y = W x` (PyTorch's `nn.Linear`). The default.
    #[default]
    OutIn,
    /// `[in, out]`, the layer computes `y = x W` (a batch of row vectors times `W`).
    InOut,
}

/// The layer widths `n_0, ..., n_L` of a chain of weight matrices, checking shapes.
fn widths<T: Float>(weights: &[Tensor<T>], layout: WeightLayout) -> Vec<usize> {
    assert!(!weights.is_empty(), "Path-SGD: no weight matrices");
    let mut n = Vec::with_capacity(weights.len() + 1);
    for (k, w) in weights.iter().enumerate() {
        assert_eq!(
            w.rank(),
            2,
            "Path-SGD: weight {k} has shape {:?}, expected a matrix",
            w.shape()
        );
        let (out, inp) = match layout {
            WeightLayout::OutIn => (w.dims()[0], w.dims()[1]),
            WeightLayout::InOut => (w.dims()[1], w.dims()[0]),
        };
        if k == 0 {
            n.push(inp);
        }
        assert_eq!(
            n[k], inp,
            "Path-SGD: weight {k} of shape {:?} ({layout:?}) takes {inp} inputs but layer {k} has {} units",
            w.shape(),
            n[k]
        );
        n.push(out);
    }
    n
}

/// The position in the flat storage of edge `u -> v` (`u` input unit, `v` output unit).
fn index(layout: WeightLayout, n_in: usize, n_out: usize, u: usize, v: usize) -> usize {
    match layout {
        WeightLayout::OutIn => v * n_in + u,
        WeightLayout::InOut => u * n_out + v,
    }
}

/// Forward and backward sums of squared weights along paths: `gamma_in[k][u]` sums, over paths
/// from the inputs to unit `u` of layer `k`, the product of their squared weights (1 on the
/// inputs); `gamma_out[k][v]` the same over paths from `v` to the outputs (1 on the outputs).
fn path_sums<T: Float>(
    weights: &[Tensor<T>],
    layout: WeightLayout,
) -> (Vec<usize>, Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let n = widths(weights, layout);
    let sq: Vec<Vec<f64>> = weights
        .iter()
        .map(|w| w.to_vec().into_iter().map(|x| x.f64() * x.f64()).collect())
        .collect();
    let layers = weights.len();
    let mut gin = vec![vec![1.0; n[0]]];
    for k in 0..layers {
        let (ni, no) = (n[k], n[k + 1]);
        let mut next = vec![0.0; no];
        for (v, out) in next.iter_mut().enumerate() {
            *out = (0..ni)
                .map(|u| sq[k][index(layout, ni, no, u, v)] * gin[k][u])
                .sum();
        }
        gin.push(next);
    }
    let mut gout = vec![vec![]; layers + 1];
    gout[layers] = vec![1.0; n[layers]];
    for k in (0..layers).rev() {
        let (ni, no) = (n[k], n[k + 1]);
        gout[k] = (0..ni)
            .map(|u| {
                (0..no)
                    .map(|v| sq[k][index(layout, ni, no, u, v)] * gout[k + 1][v])
                    .sum()
            })
            .collect();
    }
    (n, gin, gout)
}

/// For each weight `w_e` of the chain `W_1, ..., W_L` (flat, in each matrix's storage order),
/// `gamma(e)`: the sum over all input-output paths through edge `e = (u -> v)` of the product of
/// the squared weights of the path's other edges,
///
/// ```text
/// gamma(e) = gamma_in(u) * gamma_out(v),
/// gamma_in(u)  = sum over paths input -> u of prod w^2   (one forward pass of squared weights)
/// gamma_out(v) = sum over paths v -> output of prod w^2  (one backward pass)
/// ```
///
/// # Panics
/// If a weight is not a matrix or consecutive shapes do not chain.
pub fn path_scales<T: Float>(weights: &[Tensor<T>], layout: WeightLayout) -> Vec<Vec<f64>> {
    let (n, gin, gout) = path_sums(weights, layout);
    (0..weights.len())
        .map(|k| {
            let (ni, no) = (n[k], n[k + 1]);
            let mut s = vec![0.0; ni * no];
            for u in 0..ni {
                for v in 0..no {
                    s[index(layout, ni, no, u, v)] = gin[k][u] * gout[k + 1][v];
                }
            }
            s
        })
        .collect()
}

/// The path norm `phi(W) = sqrt(sum over input-output paths of prod w^2)`: the l2 path
/// regularizer, invariant to node rescaling, whose steepest descent Path-SGD approximates.
pub fn path_norm<T: Float>(weights: &[Tensor<T>], layout: WeightLayout) -> f64 {
    let (_, gin, _) = path_sums(weights, layout);
    gin.last()
        .expect("one layer at least")
        .iter()
        .sum::<f64>()
        .sqrt()
}

/// Path-SGD (Neyshabur, Salakhutdinov, Srebro 2015, "Path-SGD: Path-Normalized Optimization in
/// Deep Neural Networks") for a layered ReLU network without biases given by its weight matrices
/// `W_1, ..., W_L` (input layer first, stored as [`WeightLayout`] says):
///
/// ```text
/// w_e <- w_e - lr g_e / gamma(e)
/// ```
///
/// with `gamma(e)` the paper's `gamma_in(u)^2 gamma_out(v)^2` (see [`path_scales`]), recomputed
/// from the current weights at every step by one forward and one backward pass of squared
/// weights. A weight with `gamma(e) = 0` (a dead path; its gradient is then 0 too) is not moved.
///
/// The update is invariant to node rescaling: multiplying a hidden unit's incoming weights by
/// `c > 0` and its outgoing ones by `1/c` leaves the network's function unchanged, scales
/// `g_e` by `1/c` (resp. `c`) and `gamma(e)` by `1/c^2` (resp. `c^2`), so the step is rescaled
/// the same way and the function after the step is the same.
///
/// Biases are not handled: the parameters must be exactly the weight matrices of a bias-free
/// network (optimize any other parameter with another optimizer). The paper's balanced
/// formulation with biases treats a bias as the weight of an edge from a constant unit.
///
/// State: the step counts.
pub struct PathSgd<T: Float> {
    core: Core<T>,
    layout: WeightLayout,
}

impl<T: Float> PathSgd<T> {
    /// Path-SGD on the chain `weights` (input layer first) with learning rate `lr`.
    ///
    /// # Panics
    /// If a weight is not a matrix or consecutive shapes do not chain.
    pub fn new(weights: Vec<Tensor<T>>, layout: WeightLayout, lr: f64) -> Self {
        widths(&weights, layout);
        PathSgd {
            core: Core::new(weights, lr, &[]),
            layout,
        }
    }

    /// The weight layout.
    pub fn layout(&self) -> WeightLayout {
        self.layout
    }

    fn path_step(&mut self) {
        let scales = path_scales(&self.core.params, self.layout);
        let dirs = gradients(&self.core.params)
            .into_iter()
            .zip(scales)
            .map(|(g, s)| {
                g.map(|g| {
                    g.iter()
                        .zip(s)
                        .map(|(g, s)| if s > 0.0 { t(g.f64() / s) } else { T::zero() })
                        .collect()
                })
            })
            .collect();
        let lr: T = t(self.core.lr);
        self.core.for_each_param(dirs, |p| {
            for (w, &d) in p.w.iter_mut().zip(p.g) {
                *w = *w - lr * d;
            }
        });
    }
}

impl<T: Float> Optimizer<T> for PathSgd<T> {
    optimizer_via_core!(|_s| "PathSGD", path_step);
}
