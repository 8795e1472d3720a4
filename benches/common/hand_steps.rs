//! The hand-written training steps the experiments used before they moved onto `nn` + `optim`
//! (closed-form gradients on plain `Vec<f64>`, or the tape on a flat parameter vector rebuilt as
//! tensors every step), kept only as the baselines of the `small_models` bench.

#![allow(dead_code)]

/// `<a, b>`.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A row-major `rows x cols` matrix.
pub struct Dense {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Dense {
    fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
}

/// One GD step on the logistic loss `sum_n log(1 + exp(-<z_n, w>))` (`z_n = y_n x_n`).
pub fn logistic_gd(z: &Dense, w: &mut [f64], g: &mut [f64], eta: f64) -> f64 {
    g.iter_mut().for_each(|v| *v = 0.0);
    let mut loss = 0.0;
    for i in 0..z.rows {
        let zi = z.row(i);
        let u = dot(zi, w);
        loss += if u > 0.0 {
            (-u).exp().ln_1p()
        } else {
            -u + u.exp().ln_1p()
        };
        let slope = -1.0 / (1.0 + u.exp());
        for (gj, zj) in g.iter_mut().zip(zi) {
            *gj += slope * zj;
        }
    }
    w.iter_mut().zip(&*g).for_each(|(w, g)| *w -= eta * g);
    loss
}

/// One GD step on `1/2 ||X w - y||^2`.
pub fn least_squares_gd(x: &Dense, y: &[f64], w: &mut [f64], g: &mut [f64], eta: f64) -> f64 {
    g.iter_mut().for_each(|v| *v = 0.0);
    let mut loss = 0.0;
    for (i, &yi) in y.iter().enumerate() {
        let xi = x.row(i);
        let r = dot(xi, w) - yi;
        loss += 0.5 * r * r;
        for (gj, xj) in g.iter_mut().zip(xi) {
            *gj += r * xj;
        }
    }
    w.iter_mut().zip(&*g).for_each(|(w, g)| *w -= eta * g);
    loss
}

/// One GD step of the diagonal net `beta = u * u - v * v` on `(1/2N) ||X beta - y||^2`
/// (`theta = (u, v)`): `g_beta = X^T r / N`, `g_u = 2 u g_beta`, `g_v = -2 v g_beta`.
pub fn diagonal_gd(x: &Dense, y: &[f64], theta: &mut [f64], eta: f64) -> f64 {
    let d = x.cols;
    let (u, v) = theta.split_at(d);
    let beta: Vec<f64> = u.iter().zip(v).map(|(a, b)| a * a - b * b).collect();
    let mut gb = vec![0.0; d];
    let mut loss = 0.0;
    let n = x.rows as f64;
    for (i, &yi) in y.iter().enumerate() {
        let r = dot(x.row(i), &beta) - yi;
        loss += r * r;
        for (gj, xj) in gb.iter_mut().zip(x.row(i)) {
            *gj += r * xj / n;
        }
    }
    for j in 0..d {
        let (uj, vj) = (theta[j], theta[d + j]);
        theta[j] -= eta * 2.0 * uj * gb[j];
        theta[d + j] += eta * 2.0 * vj * gb[j];
    }
    loss / (2.0 * n)
}

/// `C = A B` for `n x n` row-major matrices.
fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let aik = a[i * n + k];
            for (cj, bj) in c[i * n..i * n + n].iter_mut().zip(&b[k * n..k * n + n]) {
                *cj += aik * bj;
            }
        }
    }
    c
}

/// One GD step of matrix sensing with `X = U U^T` on `(1/2m) ||A(X) - y||^2` (`a`: `m x n^2`,
/// rows `vec(A_i)`): `G = (1/m) sum_i r_i A_i`, `grad_U = (G + G^T) U`.
pub fn sensing_sym_gd(a: &Dense, y: &[f64], n: usize, u: &mut [f64], eta: f64) -> f64 {
    let ut: Vec<f64> = (0..n * n).map(|k| u[(k % n) * n + k / n]).collect();
    let x = matmul(u, &ut, n);
    let m = a.rows;
    let mut g = vec![0.0; n * n];
    let mut loss = 0.0;
    for (i, &yi) in y.iter().enumerate() {
        let row = a.row(i);
        let r = dot(row, &x) - yi;
        loss += r * r;
        let c = r / m as f64;
        for (gj, aj) in g.iter_mut().zip(row) {
            *gj += c * aj;
        }
    }
    let gs: Vec<f64> = (0..n * n).map(|k| g[k] + g[(k % n) * n + k / n]).collect();
    let grad = matmul(&gs, u, n);
    u.iter_mut().zip(&grad).for_each(|(w, g)| *w -= eta * g);
    loss / (2.0 * m as f64)
}

/// One normalized-GD step of a depth-2 cyclic conv net as the experiment took it: the flat
/// parameters `theta = (w_1, w_2)` rebuilt as tensors, the loss `ln mean exp(-y_n f(x_n))`
/// back-propagated on the tape, the gradients copied out, `theta -= eta g / ||g||` by hand.
pub fn conv_flat_ngd(
    x: &autograd::Tensor<f64>,
    y: &autograd::Tensor<f64>,
    d: usize,
    theta: &mut [f64],
    eta: f64,
) -> f64 {
    use autograd::Tensor;
    use nn::Module;
    let w1 = Tensor::from_vec(theta[..d].to_vec(), [d])
        .unwrap()
        .requires_grad();
    let w2 = Tensor::from_vec(theta[d..].to_vec(), [1, d])
        .unwrap()
        .requires_grad();
    let net = nn::LinearConvNet::from_tensors(vec![w1.clone()], w2.clone());
    let loss = net.forward(x).mul(y).log_exp_loss();
    loss.backward();
    let mut g = w1.grad().unwrap().to_vec();
    g.extend(w2.grad().unwrap().to_vec());
    let norm = dot(&g, &g).sqrt();
    theta
        .iter_mut()
        .zip(&g)
        .for_each(|(t, g)| *t -= eta * g / norm);
    loss.item()
}
