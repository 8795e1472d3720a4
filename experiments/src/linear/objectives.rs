//! Training objectives of linear models.
//!
//! The long runs (up to 10^6 steps) use closed-form gradients on `Vec<f64>`:
//! the tape's per-step allocation would cost more than the arithmetic. Every
//! closed-form gradient is cross-checked against the `autograd` tape
//! ([`autograd_gradient`]) at the start of each experiment, and the
//! least-squares GD/momentum runs (2e4 steps) use the tape directly
//! ([`AutogradSquared`]).

use autograd::Tensor;

use super::Matrix;
use crate::reference::dot;

/// A differentiable training loss of a weight vector `w`.
pub trait Objective {
    /// Number of weights.
    fn dim(&self) -> usize;
    /// The loss at `w`; writes its gradient into `g`.
    fn loss_grad(&self, w: &[f64], g: &mut [f64]) -> f64;
    /// Number of samples (for SGD).
    fn samples(&self) -> usize {
        1
    }
    /// The loss of sample `i` and its gradient (for SGD); by default the full loss.
    fn sample_loss_grad(&self, _i: usize, w: &[f64], g: &mut [f64]) -> f64 {
        self.loss_grad(w, g)
    }
    /// `ln L(w)`; writes the normalised descent direction `-grad L / L` into `d`.
    /// The default divides the gradient; the exponential loss overrides it with
    /// a stable softmax.
    fn log_loss_direction(&self, w: &[f64], d: &mut [f64]) -> f64 {
        let l = self.loss_grad(w, d);
        for v in d.iter_mut() {
            *v = -*v / l;
        }
        l.ln()
    }
}

/// `1/2 ||X w - y||^2`, closed form.
pub struct Squared<'a> {
    /// Data.
    pub x: &'a Matrix,
    /// Targets.
    pub y: &'a [f64],
}

impl Objective for Squared<'_> {
    fn dim(&self) -> usize {
        self.x.cols
    }
    fn loss_grad(&self, w: &[f64], g: &mut [f64]) -> f64 {
        g.iter_mut().for_each(|v| *v = 0.0);
        let mut loss = 0.0;
        for i in 0..self.x.rows {
            let xi = self.x.row(i);
            let r = dot(xi, w) - self.y[i];
            loss += 0.5 * r * r;
            for (gj, xj) in g.iter_mut().zip(xi) {
                *gj += r * xj;
            }
        }
        loss
    }
    fn samples(&self) -> usize {
        self.x.rows
    }
    fn sample_loss_grad(&self, i: usize, w: &[f64], g: &mut [f64]) -> f64 {
        let xi = self.x.row(i);
        let r = dot(xi, w) - self.y[i];
        for (gj, xj) in g.iter_mut().zip(xi) {
            *gj = r * xj;
        }
        0.5 * r * r
    }
}

/// `1/2 ||X w - y||^2` with the gradient from the `autograd` tape.
pub struct AutogradSquared {
    x: Tensor<f64>,
    y: Tensor<f64>,
    n: usize,
    d: usize,
}

impl AutogradSquared {
    /// The objective on `(x, y)`.
    pub fn new(x: &Matrix, y: &[f64]) -> Self {
        Self {
            x: Tensor::from_vec(x.data.clone(), [x.rows, x.cols]).expect("shape"),
            y: Tensor::from_vec(y.to_vec(), [y.len(), 1]).expect("shape"),
            n: x.rows,
            d: x.cols,
        }
    }
}

impl Objective for AutogradSquared {
    fn dim(&self) -> usize {
        self.d
    }
    fn loss_grad(&self, w: &[f64], g: &mut [f64]) -> f64 {
        let wt = Tensor::from_vec(w.to_vec(), [self.d, 1])
            .expect("shape")
            .requires_grad();
        // squared_loss is 1/2 mean; the experiments use the sum.
        let loss = self
            .x
            .matmul(&wt)
            .squared_loss(&self.y)
            .mul_scalar(self.n as f64);
        loss.backward();
        let grad = wt.grad().expect("w requires grad").to_vec();
        g.copy_from_slice(&grad);
        loss.item()
    }
}

/// A margin loss `l(u)` of `u_n = <z_n, w>` (`z_n = y_n x_n`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarginLoss {
    /// `log(1 + exp(-u))`.
    Logistic,
    /// `exp(-u)`.
    Exp,
}

impl MarginLoss {
    /// `(l(u), l'(u))`, computed stably.
    pub fn value_slope(self, u: f64) -> (f64, f64) {
        match self {
            MarginLoss::Logistic => {
                let v = if u > 0.0 {
                    (-u).exp().ln_1p()
                } else {
                    -u + u.exp().ln_1p()
                };
                (v, -1.0 / (1.0 + u.exp()))
            }
            MarginLoss::Exp => {
                let e = (-u).exp();
                (e, -e)
            }
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            MarginLoss::Logistic => "logistic",
            MarginLoss::Exp => "exp",
        }
    }
}

/// `sum_n l(<z_n, w>)`, closed form.
pub struct Margin<'a> {
    /// Signed rows `z_n = y_n x_n`.
    pub z: &'a Matrix,
    /// The loss.
    pub loss: MarginLoss,
}

impl Margin<'_> {
    /// The loss only.
    pub fn value(&self, w: &[f64]) -> f64 {
        (0..self.z.rows)
            .map(|i| self.loss.value_slope(dot(self.z.row(i), w)).0)
            .sum()
    }
}

impl Objective for Margin<'_> {
    fn dim(&self) -> usize {
        self.z.cols
    }
    fn loss_grad(&self, w: &[f64], g: &mut [f64]) -> f64 {
        g.iter_mut().for_each(|v| *v = 0.0);
        let mut loss = 0.0;
        for i in 0..self.z.rows {
            let zi = self.z.row(i);
            let (v, s) = self.loss.value_slope(dot(zi, w));
            loss += v;
            for (gj, zj) in g.iter_mut().zip(zi) {
                *gj += s * zj;
            }
        }
        loss
    }
    fn log_loss_direction(&self, w: &[f64], d: &mut [f64]) -> f64 {
        if self.loss == MarginLoss::Logistic {
            let l = self.loss_grad(w, d);
            d.iter_mut().for_each(|v| *v = -*v / l);
            return l.ln();
        }
        // exp loss: -grad L / L = sum_n p_n z_n with p = softmax(-u).
        let u = self.z.mul_vec(w);
        let m = u.iter().cloned().fold(f64::INFINITY, f64::min);
        let p: Vec<f64> = u.iter().map(|v| (-(v - m)).exp()).collect();
        let s: f64 = p.iter().sum();
        d.iter_mut().for_each(|v| *v = 0.0);
        for (i, pi) in p.iter().enumerate() {
            for (dj, zj) in d.iter_mut().zip(self.z.row(i)) {
                *dj += pi / s * zj;
            }
        }
        -m + s.ln()
    }
}

/// Softmax cross-entropy `sum_n (logsumexp(W x_n) - (W x_n)_{y_n})` of a `k x d`
/// weight matrix `W` (row-major, row `c` = class `c`), closed form.
pub struct SoftmaxCe<'a> {
    /// Data.
    pub x: &'a Matrix,
    /// Class labels `0..k`.
    pub labels: &'a [usize],
    /// Number of classes.
    pub k: usize,
}

impl Objective for SoftmaxCe<'_> {
    fn dim(&self) -> usize {
        self.k * self.x.cols
    }
    fn loss_grad(&self, w: &[f64], g: &mut [f64]) -> f64 {
        let d = self.x.cols;
        g.iter_mut().for_each(|v| *v = 0.0);
        let mut loss = 0.0;
        let mut logits = vec![0.0; self.k];
        for i in 0..self.x.rows {
            let xi = self.x.row(i);
            for (c, l) in logits.iter_mut().enumerate() {
                *l = dot(&w[c * d..(c + 1) * d], xi);
            }
            let m = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let s: f64 = logits.iter().map(|l| (l - m).exp()).sum();
            loss += m + s.ln() - logits[self.labels[i]];
            for c in 0..self.k {
                let p = (logits[c] - m).exp() / s - if c == self.labels[i] { 1.0 } else { 0.0 };
                for (gj, xj) in g[c * d..(c + 1) * d].iter_mut().zip(xi) {
                    *gj += p * xj;
                }
            }
        }
        loss
    }
}

/// The gradient of the same losses from the `autograd` tape (sums, as the
/// closed forms): `which` selects squared (`y` targets), a margin loss
/// (`y` labels in {-1, 1}) or softmax cross-entropy (`labels`, `k`).
pub enum TapeLoss<'a> {
    /// `1/2 ||Xw - y||^2`.
    Squared(&'a [f64]),
    /// `sum_n l(y_n <x_n, w>)`.
    Margin(&'a [f64], MarginLoss),
    /// Softmax cross-entropy of `W` (`k x d`).
    SoftmaxCe(&'a [usize], usize),
}

/// `(loss, gradient)` at `w` computed by the `autograd` tape.
pub fn autograd_gradient(x: &Matrix, loss: TapeLoss, w: &[f64]) -> (f64, Vec<f64>) {
    let (n, d) = (x.rows, x.cols);
    let xt = Tensor::from_vec(x.data.clone(), [n, d]).expect("shape");
    match loss {
        TapeLoss::Squared(y) => {
            let obj = AutogradSquared::new(x, y);
            let mut g = vec![0.0; d];
            let l = obj.loss_grad(w, &mut g);
            (l, g)
        }
        TapeLoss::Margin(y, kind) => {
            let wt = Tensor::from_vec(w.to_vec(), [d, 1])
                .expect("shape")
                .requires_grad();
            let yt = Tensor::from_vec(y.to_vec(), [n, 1]).expect("shape");
            let m = xt.matmul(&wt).mul(&yt);
            let l = match kind {
                MarginLoss::Logistic => m.logistic_loss(),
                MarginLoss::Exp => m.exp_loss(),
            }
            .mul_scalar(n as f64);
            l.backward();
            (l.item(), wt.grad().expect("grad").to_vec())
        }
        TapeLoss::SoftmaxCe(labels, k) => {
            // W^T as a d x k tensor.
            let mut wt_data = vec![0.0; d * k];
            for c in 0..k {
                for j in 0..d {
                    wt_data[j * k + c] = w[c * d + j];
                }
            }
            let wt = Tensor::from_vec(wt_data, [d, k])
                .expect("shape")
                .requires_grad();
            let l = xt
                .matmul(&wt)
                .softmax_cross_entropy(labels)
                .mul_scalar(n as f64);
            l.backward();
            let gt = wt.grad().expect("grad").to_vec();
            let mut g = vec![0.0; d * k];
            for c in 0..k {
                for j in 0..d {
                    g[c * d + j] = gt[j * k + c];
                }
            }
            (l.item(), g)
        }
    }
}

/// Relative difference `||g_closed - g_tape|| / ||g_tape||` at `w`.
pub fn gradient_mismatch(obj: &dyn Objective, x: &Matrix, loss: TapeLoss, w: &[f64]) -> f64 {
    let mut g = vec![0.0; obj.dim()];
    obj.loss_grad(w, &mut g);
    let (_, tape) = autograd_gradient(x, loss, w);
    crate::stats::rel_dist(&g, &tape)
}
