//! Small statistics on traces (least-squares slopes, R^2, coefficient of variation) and over
//! seeds (mean, standard deviation, 95% t-interval of the mean).

/// Least-squares fit `y = a + b x`; returns `(a, b, r2)`.
pub fn linear_fit(x: &[f64], y: &[f64]) -> (f64, f64, f64) {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    let b = sxy / sxx;
    let r2 = if syy == 0.0 {
        1.0
    } else {
        sxy * sxy / (sxx * syy)
    };
    (my - b * mx, b, r2)
}

/// Slope of the least-squares line through `(x, y)`.
pub fn slope(x: &[f64], y: &[f64]) -> f64 {
    linear_fit(x, y).1
}

/// Coefficient of variation `std / |mean|` (population std).
pub fn cv(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / n;
    var.sqrt() / m.abs()
}

/// `max / min` of positive values.
pub fn max_over_min(v: &[f64]) -> f64 {
    let max = v.iter().cloned().fold(f64::MIN, f64::max);
    let min = v.iter().cloned().fold(f64::MAX, f64::min);
    max / min
}

/// True when `v` is strictly decreasing.
pub fn strictly_decreasing(v: &[f64]) -> bool {
    v.windows(2).all(|w| w[1] < w[0])
}

/// Relative distance `||a - b|| / ||b||`.
pub fn rel_dist(a: &[f64], b: &[f64]) -> f64 {
    let d: f64 = a.iter().zip(b).map(|(u, v)| (u - v).powi(2)).sum();
    d.sqrt() / norm2(b)
}

/// Euclidean norm.
pub fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

/// l1 norm.
pub fn norm1(v: &[f64]) -> f64 {
    v.iter().map(|a| a.abs()).sum()
}

/// l-infinity norm.
pub fn norm_inf(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, a| m.max(a.abs()))
}

/// `1 - cos(a, b)`.
pub fn one_minus_cos(a: &[f64], b: &[f64]) -> f64 {
    let d: f64 = a.iter().zip(b).map(|(u, v)| u * v).sum();
    1.0 - d / (norm2(a) * norm2(b))
}

/// `|| a/||a|| - b/||b|| ||`.
pub fn direction_error(a: &[f64], b: &[f64]) -> f64 {
    let (na, nb) = (norm2(a), norm2(b));
    a.iter()
        .zip(b)
        .map(|(u, v)| (u / na - v / nb).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// `||w - w_hat ln t||`: the residual `rho(t)` of the implicit-bias theorems for separable
/// data (Soudry et al., JMLR 2018, Theorems 3 and 7), `w(t) = w_hat ln t + rho(t)` with
/// `rho` bounded, where `w_hat` is the max-margin solution (margin 1).
pub fn log_residual(w: &[f64], w_hat: &[f64], t: u64) -> f64 {
    let ln_t = (t.max(1) as f64).ln();
    w.iter()
        .zip(w_hat)
        .map(|(w, h)| (w - h * ln_t).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Whether `rho(t) = w(t) - w_hat ln t` is settling, from `||rho||` at `T/100`, `T/10` and
/// `T`: the growth over the last decade over the growth over the decade before,
/// `g(T/10, T) / max(g(T/100, T/10), RESIDUAL_FLOOR)` with
/// `g(a, b) = (||rho(b)|| - ||rho(a)||) / (||w_hat|| ln(b / a))` (the growth as a fraction of
/// that of the max-margin part).
///
/// The theorems' `rho` is bounded, so its growth dies out; over a finite horizon it can still
/// be moving (points whose margin is just above the SVM's pull on `w` until
/// `t ~ exp(1 / (margin - 1))`), but decelerating. A limit direction at distance `delta` from
/// `w_hat`'s makes `rho` grow by about `delta ||w_hat|| ln 10` every decade: a ratio near 1.
/// Growth below [`RESIDUAL_FLOOR`] of `w_hat`'s rate counts as settled.
pub fn residual_deceleration(rho: [f64; 3], w_hat_norm: f64) -> f64 {
    let g = |a: f64, b: f64| (b - a) / (w_hat_norm * 10f64.ln());
    g(rho[1], rho[2]) / g(rho[0], rho[1]).max(RESIDUAL_FLOOR)
}

/// Growth of `rho` per decade, as a fraction of `w_hat`'s, that counts as settled in
/// [`residual_deceleration`].
pub const RESIDUAL_FLOOR: f64 = 0.01;

/// The bound on [`residual_deceleration`]. Measured (`T = 1e5` or `1e6`): 0.33-0.48 on the
/// built-in data of `logistic_margin` and `multiclass_margin`, 0.68-0.79 on the user-data
/// tests (2500 rows, a single support vector, 2400 rows in 3 classes, two symmetric 3-class
/// sets). A slowly growing `rho ~ c ln ln t` (degenerate data) gives 0.78 at `1e5`, 0.82 at `1e6`.
pub const RESIDUAL_DECELERATION_BOUND: f64 = 0.9;

/// The loss bound of GD on separable data, at step `t >= 1`:
/// `L(w_t) <= (m + ||w_hat||^2 ln^2 t / (2 eta)) / t`. For a convex `beta`-smooth `L`, GD from
/// `w_0 = 0` with `eta <= 1 / beta` has `L(w_t) <= L(u) + ||u||^2 / (2 eta t)` for every `u`
/// (Nesterov, Lectures on Convex Optimization, Cor. 2.1.2); at `u = w_hat ln t` every margin is
/// at least `ln t`, so `L(u) <= m / t` for the summed logistic loss (`m = n`) and the summed
/// softmax cross-entropy over `K` classes (`m = n (K - 1)`), as `ln(1 + s) <= s`.
pub fn separable_loss_bound(m: f64, w_hat_sq: f64, eta: f64, t: f64) -> f64 {
    (m + w_hat_sq * t.ln().powi(2) / (2.0 * eta)) / t
}

/// The largest `L(t) / separable_loss_bound(t)` over the logged `t >= 1` (at most 1 by the
/// bound).
pub fn loss_bound_ratio(ts: &[f64], losses: &[f64], m: f64, w_hat_sq: f64, eta: f64) -> f64 {
    ts.iter()
        .zip(losses)
        .filter(|(t, _)| **t >= 1.0)
        .map(|(&t, &l)| l / separable_loss_bound(m, w_hat_sq, eta, t))
        .fold(f64::NAN, f64::max)
}

/// Log-spaced step counts in `[1, t_max]`: `per_decade` points per decade
/// (exact powers of ten included) plus `t_max`.
pub fn log_points(t_max: u64, per_decade: u32) -> Vec<u64> {
    let mut v: Vec<u64> = Vec::new();
    let mut k = 0u32;
    loop {
        let t = 10f64.powf(k as f64 / per_decade as f64).round() as u64;
        if t > t_max {
            break;
        }
        v.push(t);
        k += 1;
    }
    v.push(t_max);
    v.dedup();
    v
}

/// The values `ys[i]` at the `ts[i]` that lie in `[lo, hi]`, with their `ts`.
pub fn window(ts: &[f64], ys: &[f64], lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    ts.iter()
        .zip(ys)
        .filter(|(t, _)| **t >= lo && **t <= hi)
        .map(|(t, y)| (*t, *y))
        .unzip()
}

/// The value of `ys` at the `t` closest to `at` (in log scale).
pub fn value_at(ts: &[f64], ys: &[f64], at: f64) -> f64 {
    let i = ts
        .iter()
        .enumerate()
        .min_by(|a, b| {
            let da = (a.1.ln() - at.ln()).abs();
            let db = (b.1.ln() - at.ln()).abs();
            da.total_cmp(&db)
        })
        .map_or(0, |(i, _)| i);
    ys[i]
}

/// A step count as claims name it: `1e6` for a power of ten, the number otherwise.
pub fn t_name(t: u64) -> String {
    let p = (t as f64).log10().round();
    if t > 1 && 10f64.powf(p) as u64 == t {
        format!("1e{p}")
    } else {
        t.to_string()
    }
}

/// The spread of a sample over seeds: size, mean, sample standard deviation and the 95%
/// Student-t interval of the mean (NaN where the sample is too small: `sd` and the interval
/// need two values).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    /// Sample size.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (`n - 1` in the denominator).
    pub sd: f64,
    /// Lower end of the 95% interval of the mean.
    pub lo: f64,
    /// Upper end of the 95% interval of the mean.
    pub hi: f64,
}

/// [`Spread`] of `v`.
pub fn spread(v: &[f64]) -> Spread {
    let n = v.len();
    let mean = if n == 0 {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / n as f64
    };
    if n < 2 {
        return Spread {
            n,
            mean,
            sd: f64::NAN,
            lo: f64::NAN,
            hi: f64::NAN,
        };
    }
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    let half = t_975(n - 1) * sd / (n as f64).sqrt();
    Spread {
        n,
        mean,
        sd,
        lo: mean - half,
        hi: mean + half,
    }
}

/// The 0.975 quantile of Student's t with `df >= 1` degrees of freedom (the table to 30, then
/// the expansion `z + (z^3 + z) / 4 df`, within 1e-3 there).
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        _ => {
            let z = 1.959_964;
            z + (z * z * z + z) / (4.0 * df as f64)
        }
    }
}

#[cfg(test)]
mod spread_tests {
    use super::*;

    #[test]
    fn spread_of_a_small_sample() {
        let s = spread(&[1.0, 2.0, 3.0]);
        assert_eq!((s.n, s.mean, s.sd), (3, 2.0, 1.0));
        assert!((s.hi - (2.0 + 4.303 / 3f64.sqrt())).abs() < 1e-12);
        assert!(spread(&[1.0]).lo.is_nan() && spread(&[]).mean.is_nan());
        // The expansion joins the table smoothly (t_0.975(40) = 2.021).
        assert!((t_975(40) - 2.021).abs() < 2e-3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residual_deceleration_tells_a_settling_rho_from_a_wrong_direction() {
        let w_hat_norm = 2.0;
        // rho = delta ||w_hat|| ln t (a limit direction off by delta): equal growth per
        // decade, ratio 1.
        let off = |t: f64| 0.3 * w_hat_norm * t.ln();
        assert!(
            (residual_deceleration([off(1e4), off(1e5), off(1e6)], w_hat_norm) - 1.0).abs() < 1e-12
        );
        // rho = c ln ln t: ratio ln(ln 1e6 / ln 1e5) / ln(ln 1e5 / ln 1e4) = ln 1.2 / ln 1.25.
        let lnln = |t: f64| 5.0 * t.ln().ln();
        let want = 1.2f64.ln() / 1.25f64.ln();
        assert!(
            (residual_deceleration([lnln(1e4), lnln(1e5), lnln(1e6)], w_hat_norm) - want).abs()
                < 1e-12
        );
        assert!(want < RESIDUAL_DECELERATION_BOUND);
        // A settled rho moving by 0.5% of w_hat's rate after a shrinking decade: below the
        // bound through the floor.
        let step = 0.005 * w_hat_norm * 10f64.ln();
        let r = residual_deceleration([3.0, 2.0, 2.0 + step], w_hat_norm);
        assert!((r - 0.5).abs() < 1e-12, "{r}");
    }

    #[test]
    fn separable_loss_bound_by_hand_and_on_one_point() {
        // (m + ||w_hat||^2 ln^2 t / (2 eta)) / t at m = 3, ||w_hat||^2 = 2, eta = 0.5, t = e^2:
        // (3 + 2 * 4 / 1) / e^2 = 11 / e^2.
        let t = 2f64.exp();
        assert!((separable_loss_bound(3.0, 2.0, 0.5, t) - 11.0 / t).abs() < 1e-12);
        // One point z = 1 in 1-D (w_hat = 1), logistic GD from 0 with eta = 4 = 1 / beta: the
        // bound holds at every step; at t = 1e4 (loss about 1 / (eta t)) it is
        // loose by its ln^2 t term, 46x.
        let (mut w, eta) = (0.0f64, 4.0);
        let loss = |w: f64| (-w).exp().ln_1p();
        for t in 1..=10_000u32 {
            w += eta / (1.0 + w.exp());
            let bound = separable_loss_bound(1.0, 1.0, eta, t as f64);
            assert!(loss(w) <= bound, "t = {t}: {} > {bound}", loss(w));
            if t == 10_000 {
                assert!(bound < 60.0 * loss(w), "{bound} vs {}", loss(w));
            }
        }
    }
}
