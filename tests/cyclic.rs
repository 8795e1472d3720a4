//! The cyclic-correlation layer and the real DFT: values against the explicit formulas
//! (naive loops), and gradients of first and second order at lengths 1 to 256, with full-width
//! and shorter filters.

use autograd::gradcheck::{gradcheck, gradgradcheck, Tolerances};
use autograd::Tensor;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::f64::consts::TAU;

type T = Tensor<f64>;

const LENGTHS: [usize; 6] = [1, 2, 7, 12, 100, 256];

fn randn(dims: &[usize], seed: u64) -> T {
    T::normal(dims, 0.0, 1.0, &mut StdRng::seed_from_u64(seed))
}

#[test]
fn cyclic_corr_is_the_formula() {
    for d in LENGTHS {
        let (b, x, w) = (3, randn(&[3, d], 1), randn(&[d], 2));
        let (xv, wv) = (x.to_vec(), w.to_vec());
        let h = x.cyclic_corr(&w).to_vec();
        let conv = x.cyclic_conv(&w).to_vec();
        let g = randn(&[3, d], 3);
        let gv = g.to_vec();
        let cw = g.cyclic_corr_weight(&x).to_vec();
        let scale = 1e-12 * (d as f64);
        for bi in 0..b {
            for i in 0..d {
                let corr: f64 = (0..d).map(|k| wv[k] * xv[bi * d + (i + k) % d]).sum();
                let cv: f64 = (0..d).map(|k| xv[bi * d + k] * wv[(i + d - k) % d]).sum();
                assert!((h[bi * d + i] - corr).abs() < scale, "corr d={d}");
                assert!((conv[bi * d + i] - cv).abs() < scale, "conv d={d}");
            }
        }
        for k in 0..d {
            let e: f64 = (0..b)
                .flat_map(|bi| (0..d).map(move |i| (bi, i)))
                .map(|(bi, i)| gv[bi * d + i] * xv[bi * d + (i + k) % d])
                .sum();
            assert!((cw[k] - e).abs() < scale, "corr_weight d={d}");
        }
    }
}

#[test]
fn dft_is_the_unnormalised_sum() {
    for d in LENGTHS {
        let x = randn(&[2, d], 4);
        let f = x.dft();
        assert_eq!(f.dims(), &[2, d, 2]);
        let (xv, fv) = (x.to_vec(), f.to_vec());
        for b in 0..2 {
            for k in 0..d {
                let (mut re, mut im) = (0.0, 0.0);
                for n in 0..d {
                    let angle = -TAU * (k * n % d) as f64 / d as f64;
                    re += xv[b * d + n] * angle.cos();
                    im += xv[b * d + n] * angle.sin();
                }
                let at = (b * d + k) * 2;
                assert!(
                    (fv[at] - re).abs() < 1e-10 && (fv[at + 1] - im).abs() < 1e-10,
                    "d={d} k={k}"
                );
            }
        }
        // Parseval: sum |F|^2 = D sum x^2.
        let m = x.narrow(0, 0, 1).dft_modulus().square().sum_all().item();
        let e = d as f64 * x.narrow(0, 0, 1).square().sum_all().item();
        assert!((m - e).abs() < 1e-9 * e);
    }
}

#[test]
fn gradients_at_every_length() {
    let tol = Tolerances::default();
    for d in LENGTHS {
        let (x, w, g) = (randn(&[2, d], 5), randn(&[d], 6), randn(&[2, d], 7));
        for (name, report) in [
            (
                "cyclic_corr",
                gradcheck(|v| v[0].cyclic_corr(&v[1]), &[&x, &w], tol),
            ),
            (
                "cyclic_conv",
                gradcheck(|v| v[0].cyclic_conv(&v[1]), &[&g, &w], tol),
            ),
            (
                "cyclic_corr_weight",
                gradcheck(|v| v[0].cyclic_corr_weight(&v[1]), &[&g, &x], tol),
            ),
            ("dft", gradcheck(|v| v[0].dft(), &[&x], tol)),
            (
                "dft_adjoint",
                gradcheck(
                    |v| v[0].reshape([d, 2]).dft_adjoint(),
                    &[&randn(&[2 * d], 8)],
                    tol,
                ),
            ),
            (
                "dft_modulus",
                gradcheck(|v| v[0].dft_modulus().sum_all(), &[&x], tol),
            ),
        ] {
            assert!(report.passed(), "{name} at D = {d}: {report}");
        }
    }
}

/// The direct kernels run full register blocks of rows and a padded tail only when the batch
/// is long enough; these batches and lengths (every f64 tile shape, column remainders, a prime
/// that stays on the direct path) exercise both, in the forward and both adjoints.
#[test]
fn gradients_through_the_direct_kernels_blocks_and_tails() {
    let tol = Tolerances::default();
    for (b, d) in [(29, 3), (29, 8), (29, 13), (29, 16), (13, 24), (13, 127)] {
        let (x, w, g) = (randn(&[b, d], 11), randn(&[d], 12), randn(&[b, d], 13));
        for (name, report) in [
            (
                "cyclic_corr",
                gradcheck(|v| v[0].cyclic_corr(&v[1]), &[&x, &w], tol),
            ),
            (
                "cyclic_corr_weight",
                gradcheck(|v| v[0].cyclic_corr_weight(&v[1]), &[&g, &x], tol),
            ),
        ] {
            assert!(report.passed(), "{name} at B = {b}, D = {d}: {report}");
        }
    }
}

#[test]
fn second_order_gradients() {
    let tol = Tolerances::default();
    for d in [1, 2, 7, 12] {
        let (x, w) = (randn(&[2, d], 9), randn(&[d], 10));
        // A depth-2 linear conv net's output: gradients of gradients mix all three products.
        let net = |v: &[T]| {
            v[0].cyclic_corr(&v[1])
                .cyclic_corr(&v[1])
                .sum(&[1], false)
                .tanh()
                .sum_all()
        };
        let r = gradgradcheck(net, &[&x, &w], tol, 1);
        assert!(r.passed(), "depth-2 conv net at D = {d}: {r}");
        let r = gradgradcheck(
            |v| v[0].dft_modulus().pow_scalar(1.5).sum_all(),
            &[&x],
            tol,
            2,
        );
        assert!(r.passed(), "||DFT x||_1.5^1.5 at D = {d}: {r}");
    }
}

/// Filters shorter than the signal, `K < D`: the formulas with the sums over `k < K`, at
/// lengths on both sides of the FFT crossover.
#[test]
fn short_filters_are_the_formula() {
    for d in LENGTHS {
        for k in [1, d.div_ceil(2), d.saturating_sub(1).max(1)] {
            let (x, w, g) = (randn(&[3, d], 21), randn(&[k], 22), randn(&[3, d], 23));
            let (xv, wv, gv) = (x.to_vec(), w.to_vec(), g.to_vec());
            let (h, conv) = (x.cyclic_corr(&w).to_vec(), g.cyclic_conv(&w).to_vec());
            let scale = 1e-12 * (d as f64);
            for b in 0..3 {
                for i in 0..d {
                    let corr: f64 = (0..k).map(|t| wv[t] * xv[b * d + (i + t) % d]).sum();
                    let cv: f64 = (0..k).map(|t| gv[b * d + (i + d - t) % d] * wv[t]).sum();
                    assert!((h[b * d + i] - corr).abs() < scale, "corr D={d} K={k}");
                    assert!((conv[b * d + i] - cv).abs() < scale, "conv D={d} K={k}");
                }
            }
        }
    }
}

/// The gradients with short filters, first and second order, at lengths on both sides of the
/// crossover and with large inputs: the filter's gradient is the first `K` entries of the
/// full-width one.
#[test]
fn short_filter_gradients_to_second_order() {
    let tol = Tolerances::default();
    for (d, k) in [(2, 1), (7, 3), (12, 5), (100, 9), (256, 17)] {
        let (x, w, g) = (randn(&[2, d], 24), randn(&[k], 25), randn(&[2, d], 26));
        for (name, report) in [
            (
                "cyclic_corr",
                gradcheck(|v| v[0].cyclic_corr(&v[1]), &[&x, &w], tol),
            ),
            (
                "cyclic_conv",
                gradcheck(|v| v[0].cyclic_conv(&v[1]), &[&g, &w], tol),
            ),
            (
                "cyclic_corr large",
                gradcheck(|v| v[0].mul_scalar(1e3).cyclic_corr(&v[1]), &[&x, &w], tol),
            ),
        ] {
            assert!(report.passed(), "{name} at D = {d}, K = {k}: {report}");
        }
        if d <= 12 {
            let net = |v: &[T]| {
                v[0].cyclic_corr(&v[1])
                    .cyclic_conv(&v[1])
                    .sum(&[1], false)
                    .tanh()
                    .sum_all()
            };
            let r = gradgradcheck(net, &[&x, &w], tol, 3);
            assert!(r.passed(), "corr then conv, D = {d}, K = {k}: {r}");
            let r = gradgradcheck(|v| v[0].cyclic_conv(&v[1]), &[&g, &w], tol, 4);
            assert!(r.passed(), "cyclic_conv, D = {d}, K = {k}: {r}");
        }
    }
    // A short filter is the full-width one with zeros beyond K.
    let (x, w) = (randn(&[3, 10], 27), randn(&[4], 28));
    let padded = Tensor::concat(&[&w, &T::zeros([6])], 0);
    assert_eq!(x.cyclic_corr(&w).to_vec(), x.cyclic_corr(&padded).to_vec());
}

#[test]
fn shape_errors() {
    let x = T::zeros([2, 4]);
    let e = x.try_cyclic_corr(&T::zeros([5])).unwrap_err().to_string();
    assert_eq!(
        e,
        "cyclic_corr: [2, 4] and [5]: the filter must be [K] with K <= D"
    );
    let e = T::zeros([2]).try_dft_adjoint().unwrap_err().to_string();
    assert_eq!(e, "dft_adjoint: expects [.., D, 2], got [2]");
}
