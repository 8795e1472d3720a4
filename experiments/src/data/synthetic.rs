//! Synthetic data sets of the protocols (all deterministic given the RNG).

use rand::rngs::StdRng;
use rand::Rng;
use rand_distr::StandardNormal;

use crate::reference::dot;
use crate::reference::Matrix;

/// `n x d` with i.i.d. `N(0, std^2)` entries.
pub fn gaussian(rng: &mut StdRng, n: usize, d: usize, std: f64) -> Matrix {
    let data = (0..n * d)
        .map(|_| std * rng.sample::<f64, _>(StandardNormal))
        .collect();
    Matrix {
        rows: n,
        cols: d,
        data,
    }
}

/// A vector of i.i.d. `N(0, std^2)`.
pub fn gaussian_vec(rng: &mut StdRng, n: usize, std: f64) -> Vec<f64> {
    (0..n)
        .map(|_| std * rng.sample::<f64, _>(StandardNormal))
        .collect()
}

/// The unit-norm `k`-sparse vector `(1, .., 1, 0, .., 0) / sqrt k` of length `d`: the sparse
/// teacher of the diagonal-net experiments.
pub fn sparse_teacher(d: usize, k: usize) -> Vec<f64> {
    let mut w = vec![0.0; d];
    w.iter_mut()
        .take(k)
        .for_each(|v| *v = 1.0 / (k as f64).sqrt());
    w
}

/// Soudry et al. Fig. 1: the support vectors `(0.5, 1.5)`, `(1.5, 0.5)` (+1)
/// and their negatives (-1), plus `extra` points per class uniform in `[0, 3]^2`
/// with `(x1 + x2)/sqrt 2 >= sqrt 2 + 0.3` (class +1) and their mirror images.
pub fn soudry_2d(rng: &mut StdRng, extra: usize) -> (Matrix, Vec<f64>) {
    let mut rows = vec![
        vec![0.5, 1.5],
        vec![1.5, 0.5],
        vec![-0.5, -1.5],
        vec![-1.5, -0.5],
    ];
    let mut y = vec![1.0, 1.0, -1.0, -1.0];
    let mut pos = Vec::new();
    while pos.len() < extra {
        let p = [rng.gen_range(0.0..3.0), rng.gen_range(0.0..3.0)];
        if (p[0] + p[1]) / 2f64.sqrt() >= 2f64.sqrt() + 0.3 {
            pos.push(p);
        }
    }
    for p in &pos {
        rows.push(p.to_vec());
        y.push(1.0);
    }
    for p in &pos {
        rows.push(vec![-p[0], -p[1]]);
        y.push(-1.0);
    }
    (Matrix::from_rows(&rows).expect("rows"), y)
}

/// Protocol 2b: `x ~ N(0, I_d)`, `y = sign(<w0, x>)` with `w0` a random unit
/// vector, points with `|<w0, x>| < gap` dropped.
pub fn separable_gaussian(rng: &mut StdRng, n: usize, d: usize, gap: f64) -> (Matrix, Vec<f64>) {
    let w0 = gaussian_vec(rng, d, 1.0);
    let nw = crate::stats::norm2(&w0);
    let w0: Vec<f64> = w0.iter().map(|v| v / nw).collect();
    let (mut data, mut y) = (Vec::new(), Vec::new());
    while y.len() < n {
        let x = gaussian_vec(rng, d, 1.0);
        let s = dot(&w0, &x);
        if s.abs() >= gap {
            data.extend_from_slice(&x);
            y.push(s.signum());
        }
    }
    (
        Matrix {
            rows: n,
            cols: d,
            data,
        },
        y,
    )
}

/// Wilson et al. (2017) §3.3: `y_i = +1` w.p. `p` (resampled until
/// `n+ > n-` and `n- >= 1`); `x_i1 = y_i`, `x_i2 = x_i3 = 1`, and 1 (if `y_i = +1`)
/// or 5 (if `-1`) unique features set to 1.
pub fn wilson(rng: &mut StdRng, n: usize, p: f64) -> (Matrix, Vec<f64>) {
    let y: Vec<f64> = loop {
        let y: Vec<f64> = (0..n)
            .map(|_| if rng.gen_bool(p) { 1.0 } else { -1.0 })
            .collect();
        let pos = y.iter().filter(|&&v| v > 0.0).count();
        if pos > n - pos && pos < n {
            break y;
        }
    };
    let d = 3 + y
        .iter()
        .map(|&v| if v > 0.0 { 1 } else { 5 })
        .sum::<usize>();
    let mut x = Matrix::zeros(n, d);
    let mut next = 3;
    for (i, &yi) in y.iter().enumerate() {
        x.data[i * d] = yi;
        x.data[i * d + 1] = 1.0;
        x.data[i * d + 2] = 1.0;
        let k = if yi > 0.0 { 1 } else { 5 };
        for j in next..next + k {
            x.data[i * d + j] = 1.0;
        }
        next += k;
    }
    (x, y)
}

/// Protocol 2e (checked-in-simulation version): `x = (y (0.5 + |g1|), 3y + 10 g2,
/// 0.5 g3, ..., 0.5 g_d)`, labels flipped with probability `flip`.
pub fn anisotropic_mixture(rng: &mut StdRng, n: usize, d: usize, flip: f64) -> (Matrix, Vec<f64>) {
    let mut data = Vec::with_capacity(n * d);
    let mut ys = Vec::with_capacity(n);
    for _ in 0..n {
        let y = if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
        let g = gaussian_vec(rng, d, 1.0);
        data.push(y * (0.5 + g[0].abs()));
        data.push(3.0 * y + 10.0 * g[1]);
        data.extend(g[2..].iter().map(|v| 0.5 * v));
        ys.push(if rng.gen_bool(flip) { -y } else { y });
    }
    (
        Matrix {
            rows: n,
            cols: d,
            data,
        },
        ys,
    )
}

/// An isotropic Gaussian mixture `x = y mu + N(0, I_d)` with `mu = norm * e_1`.
pub fn isotropic_mixture(rng: &mut StdRng, n: usize, d: usize, norm: f64) -> (Matrix, Vec<f64>) {
    let mut data = Vec::with_capacity(n * d);
    let mut ys = Vec::with_capacity(n);
    for _ in 0..n {
        let y = if rng.gen_bool(0.5) { 1.0 } else { -1.0 };
        let mut g = gaussian_vec(rng, d, 1.0);
        g[0] += y * norm;
        data.extend(g);
        ys.push(y);
    }
    (
        Matrix {
            rows: n,
            cols: d,
            data,
        },
        ys,
    )
}

/// `k` classes in `R^d` (`d >= k`), class `c` centred at `3 e_c` with `N(0, I)`
/// noise, `n` points with labels cycling over the classes.
pub fn blobs(rng: &mut StdRng, n: usize, d: usize, k: usize) -> (Matrix, Vec<usize>) {
    let mut data = Vec::with_capacity(n * d);
    let labels: Vec<usize> = (0..n).map(|i| i % k).collect();
    for &c in &labels {
        let mut g = gaussian_vec(rng, d, 1.0);
        g[c] += 3.0;
        data.extend(g);
    }
    (
        Matrix {
            rows: n,
            cols: d,
            data,
        },
        labels,
    )
}
