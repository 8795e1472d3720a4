//! Every differentiable op against central differences in f64: random shapes, broadcasting,
//! extreme inputs, and second derivatives through recorded backward passes.

use autograd::gradcheck::{gradcheck, gradgradcheck, Tolerances};
use autograd::Tensor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type T = Tensor<f64>;

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn randn(dims: &[usize], rng: &mut StdRng) -> T {
    Tensor::normal(dims, 0.0, 1.0, rng)
}

/// Values in `[lo, hi]` away from kinks: |x| >= 0.1.
fn away_from_zero(dims: &[usize], rng: &mut StdRng) -> T {
    let n: usize = dims.iter().product();
    let v = (0..n).map(|_| {
        let m: f64 = rng.gen_range(0.1..2.0);
        if rng.gen_bool(0.5) {
            m
        } else {
            -m
        }
    });
    Tensor::from_vec(v.collect(), dims).unwrap()
}

fn positive(dims: &[usize], rng: &mut StdRng) -> T {
    Tensor::uniform(dims, 0.2, 3.0, rng)
}

/// A random shape of rank 0..=3 with dimensions 1..=4.
fn random_dims(rng: &mut StdRng) -> Vec<usize> {
    let rank = rng.gen_range(0..=3);
    (0..rank).map(|_| rng.gen_range(1..=4)).collect()
}

#[track_caller]
fn check(name: &str, f: impl Fn(&[T]) -> T, inputs: &[&T]) {
    let report = gradcheck(&f, inputs, Tolerances::default());
    assert!(
        report.passed(),
        "{name} {:?}: {report}",
        inputs.iter().map(|t| t.dims().to_vec()).collect::<Vec<_>>()
    );
    assert!(
        report.checked > 0 || inputs.iter().all(|t| t.numel() == 0),
        "{name}: nothing compared"
    );
}

#[track_caller]
fn check2(name: &str, f: impl Fn(&[T]) -> T, inputs: &[&T]) {
    check(name, &f, inputs);
    let report = gradgradcheck(&f, inputs, Tolerances::default(), 7);
    assert!(report.passed(), "{name} (second order): {report}");
}

/// Pairs of shapes that broadcast, NumPy style.
const BROADCAST_PAIRS: &[(&[usize], &[usize])] = &[
    (&[3, 4], &[3, 4]),
    (&[3, 4], &[4]),
    (&[3, 1], &[1, 4]),
    (&[2, 1, 3], &[4, 1]),
    (&[], &[2, 2]),
    (&[2, 3], &[1]),
];

#[test]
fn binary_ops_with_broadcasting() {
    let mut r = rng(1);
    for &(sa, sb) in BROADCAST_PAIRS {
        for (sa, sb) in [(sa, sb), (sb, sa)] {
            let (a, b) = (randn(sa, &mut r), randn(sb, &mut r));
            check2("add", |v| v[0].add(&v[1]), &[&a, &b]);
            check2("sub", |v| v[0].sub(&v[1]), &[&a, &b]);
            check2("mul", |v| v[0].mul(&v[1]), &[&a, &b]);
            check2(
                "div",
                |v| v[0].div(&v[1]),
                &[&a, &away_from_zero(sb, &mut r)],
            );
        }
    }
}

#[test]
fn unary_ops_on_random_shapes() {
    let mut r = rng(2);
    for _ in 0..6 {
        let dims = random_dims(&mut r);
        let x = randn(&dims, &mut r);
        let p = positive(&dims, &mut r);
        let k = away_from_zero(&dims, &mut r);
        check2("neg", |v| v[0].neg(), &[&x]);
        check2("exp", |v| v[0].exp(), &[&x]);
        check2("log", |v| v[0].log(), &[&p]);
        check2("log1p", |v| v[0].log1p(), &[&p]);
        check2("sqrt", |v| v[0].sqrt(), &[&p]);
        check2("abs", |v| v[0].abs(), &[&k]);
        check2("relu", |v| v[0].relu(), &[&k]);
        check2("tanh", |v| v[0].tanh(), &[&x]);
        check2("sigmoid", |v| v[0].sigmoid(), &[&x]);
        check2("softplus", |v| v[0].softplus(), &[&x]);
        check2("add_scalar", |v| v[0].add_scalar(2.5), &[&x]);
        check2("mul_scalar", |v| v[0].mul_scalar(-1.5), &[&x]);
        check2("pow_scalar 2.5", |v| v[0].pow_scalar(2.5), &[&p]);
        check2("pow_scalar -1", |v| v[0].pow_scalar(-1.0), &[&p]);
        check2(
            "pow_scalar 3 (negative base)",
            |v| v[0].pow_scalar(3.0),
            &[&x],
        );
    }
}

#[test]
fn extreme_inputs_stay_finite_with_correct_gradients() {
    // sigmoid and softplus at |x| up to 1000: no overflow, exact-enough derivatives.
    let x = Tensor::from_vec(vec![-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0], [7]).unwrap();
    check2("sigmoid extreme", |v| v[0].sigmoid(), &[&x]);
    check2("softplus extreme", |v| v[0].softplus(), &[&x]);
    check2("tanh extreme", |v| v[0].tanh(), &[&x]);
    check2("logistic_loss extreme", |v| v[0].logistic_loss(), &[&x]);
    check2("log_exp_loss extreme", |v| v[0].log_exp_loss(), &[&x]);

    // The logistic loss and its gradient against the closed forms.
    let w = x.clone().requires_grad();
    let loss = w.logistic_loss();
    loss.backward();
    let n = 7.0;
    let expected: f64 = x
        .to_vec()
        .iter()
        .map(|&z: &f64| (-z).max(0.0) + (-z.abs()).exp().ln_1p())
        .sum::<f64>()
        / n;
    assert!((loss.item() - expected).abs() <= 1e-12 * expected);
    for (g, z) in w.grad().unwrap().to_vec().into_iter().zip(x.to_vec()) {
        let sig_neg = 1.0 / (1.0 + z.exp()); // sigmoid(-z), exact for these z
        assert!(
            g.is_finite() && (g + sig_neg / n).abs() <= 1e-15,
            "z = {z}: {g}"
        );
    }

    // The exponential loss is finite down to z = -700 (exp(700) < f64::MAX) and its log form
    // everywhere in [-1000, 1000].
    let z = T::from_vec(vec![-700.0, 0.0, 1000.0], [3])
        .unwrap()
        .requires_grad();
    let loss = z.exp_loss();
    loss.backward();
    assert!(loss.item().is_finite());
    assert!(z.grad().unwrap().to_vec().iter().all(|g| g.is_finite()));
    let z = T::from_vec(vec![-1000.0, 0.0, 1000.0], [3])
        .unwrap()
        .requires_grad();
    let log_loss = z.log_exp_loss();
    log_loss.backward();
    assert!((log_loss.item() - (1000.0 - 3f64.ln())).abs() < 1e-9);
    let g = z.grad().unwrap().to_vec();
    assert!(
        (g[0] + 1.0).abs() < 1e-12 && g[1].abs() < 1e-300 && g[2] == 0.0,
        "{g:?}"
    );
}

#[test]
fn matmul_plain_transposed_batched_and_broadcast() {
    let mut r = rng(3);
    let a = randn(&[3, 4], &mut r);
    let b = randn(&[4, 2], &mut r);
    check2("matmul", |v| v[0].matmul(&v[1]), &[&a, &b]);
    // Transposed operands are strided views.
    check2(
        "matmul A^T B^T",
        |v| v[0].t().matmul(&v[1].t()),
        &[&randn(&[4, 3], &mut r), &randn(&[2, 4], &mut r)],
    );
    check2(
        "batched",
        |v| v[0].matmul(&v[1]),
        &[&randn(&[2, 3, 4], &mut r), &randn(&[2, 4, 5], &mut r)],
    );
    check2(
        "batch broadcast",
        |v| v[0].matmul(&v[1]),
        &[&randn(&[2, 3, 4], &mut r), &randn(&[4, 2], &mut r)],
    );
    check2(
        "batch broadcast left",
        |v| v[0].matmul(&v[1]),
        &[&randn(&[1, 3], &mut r), &randn(&[2, 3, 2], &mut r)],
    );
    check(
        "dot",
        |v| v[0].dot(&v[1]),
        &[&randn(&[5], &mut r), &randn(&[5], &mut r)],
    );
}

#[test]
fn shape_ops() {
    let mut r = rng(4);
    let x = randn(&[2, 3, 4], &mut r);
    check2("reshape", |v| v[0].reshape([4, 6]), &[&x]);
    check2(
        "reshape of a transposed view",
        |v| v[0].transpose(0, 2).reshape([24]),
        &[&x],
    );
    check2("permute", |v| v[0].permute(&[2, 0, 1]), &[&x]);
    check2(
        "transpose + mul",
        |v| v[0].transpose(1, 2).mul(&v[0].transpose(1, 2)),
        &[&x],
    );
    check2(
        "broadcast_to",
        |v| v[0].broadcast_to([2, 3, 4]),
        &[&randn(&[3, 1], &mut r)],
    );
    check2("narrow", |v| v[0].narrow(1, 1, 2), &[&x]);
    check2(
        "narrow of narrow",
        |v| v[0].narrow(2, 1, 3).narrow(0, 1, 1),
        &[&x],
    );
    check2(
        "contiguous",
        |v| v[0].t().contiguous(),
        &[&randn(&[3, 2], &mut r)],
    );
    check2(
        "concat",
        |v| Tensor::concat(&[&v[0], &v[1], &v[0]], 1),
        &[&randn(&[2, 3], &mut r), &randn(&[2, 1], &mut r)],
    );
    check2(
        "concat axis 0",
        |v| Tensor::concat(&[&v[0], &v[1]], 0),
        &[&randn(&[1, 3], &mut r), &randn(&[2, 3], &mut r)],
    );
    check2(
        "index_select (repeats)",
        |v| v[0].index_select(2, &[3, 0, 3, 1]),
        &[&x],
    );
    check2(
        "index_add",
        |v| v[0].index_add(0, &[2, 0, 2], 4),
        &[&randn(&[3, 2], &mut r)],
    );
    check2(
        "gather_rows",
        |v| v[0].gather_rows(&[2, 0, 1]),
        &[&randn(&[3, 4], &mut r)],
    );
    check2(
        "sum_to",
        |v| v[0].sum_to(&[3, 1].into()),
        &[&randn(&[2, 3, 4], &mut r)],
    );
}

#[test]
fn reductions() {
    let mut r = rng(5);
    for _ in 0..4 {
        let x = randn(&[3, 4, 2], &mut r);
        for axes in [&[0usize][..], &[1], &[2], &[0, 2], &[0, 1, 2]] {
            for keep in [false, true] {
                check2("sum", |v| v[0].sum(axes, keep), &[&x]);
                check2("mean", |v| v[0].mean(axes, keep), &[&x]);
                check2("max", |v| v[0].max(axes, keep), &[&x]);
                check2("log_sum_exp", |v| v[0].log_sum_exp(axes, keep), &[&x]);
            }
        }
        check2("sum_all", |v| v[0].sum_all(), &[&x]);
        check2("mean_all", |v| v[0].mean_all(), &[&x]);
        check2("max_all", |v| v[0].max_all(), &[&x]);
    }
}

#[test]
fn max_splits_the_gradient_among_ties() {
    let x = Tensor::<f64>::from_vec(vec![1.0, 3.0, 3.0, 2.0], [4])
        .unwrap()
        .requires_grad();
    x.max_all().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.5, 0.5, 0.0]);
}

#[test]
fn softmax_family_and_losses() {
    let mut r = rng(6);
    let logits = randn(&[4, 5], &mut r);
    check2("softmax", |v| v[0].softmax(1), &[&logits]);
    check2("softmax axis 0", |v| v[0].softmax(0), &[&logits]);
    check2("log_softmax", |v| v[0].log_softmax(1), &[&logits]);
    let labels = [0, 4, 2, 2];
    check2(
        "softmax_cross_entropy",
        |v| v[0].softmax_cross_entropy(&labels),
        &[&logits],
    );
    // Large logits: stable, finite, correct.
    let big = logits.mul_scalar(400.0);
    check2(
        "softmax_cross_entropy large logits",
        |v| v[0].softmax_cross_entropy(&labels),
        &[&big],
    );
    check2("log_softmax large logits", |v| v[0].log_softmax(1), &[&big]);
    let margins = randn(&[6], &mut r).mul_scalar(3.0);
    check2("logistic_loss", |v| v[0].logistic_loss(), &[&margins]);
    check2("exp_loss", |v| v[0].exp_loss(), &[&margins]);
    check2("log_exp_loss", |v| v[0].log_exp_loss(), &[&margins]);
    check2(
        "squared_loss",
        |v| v[0].squared_loss(&v[1]),
        &[&randn(&[3, 2], &mut r), &randn(&[3, 2], &mut r)],
    );
}

#[test]
fn softmax_cross_entropy_matches_its_formula() {
    let logits =
        Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0, 1000.0, 0.0, -1000.0], [2, 3]).unwrap();
    let ce = logits.softmax_cross_entropy(&[2, 1]).item();
    // Row 0: logsumexp(1,2,3) - 3; row 1: logsumexp(1000, 0, -1000) - 0 = 1000 (+ e^-1000).
    let row0 = (1f64.exp() + 2f64.exp() + 3f64.exp()).ln() - 3.0;
    assert!((ce - (row0 + 1000.0) / 2.0).abs() < 1e-12);
}

#[test]
fn norms() {
    let mut r = rng(7);
    let x = away_from_zero(&[3, 4], &mut r);
    check2("norm_l1", |v| v[0].norm_l1(), &[&x]);
    check2("norm_l2", |v| v[0].norm_l2(), &[&x]);
    check2("norm_lp 3", |v| v[0].norm_lp(3.0), &[&x]);
    check2("norm_lp 1.5", |v| v[0].norm_lp(1.5), &[&x]);
    check("norm_linf", |v| v[0].norm_linf(), &[&x]);
    let v = Tensor::<f64>::from_vec(vec![3.0, -4.0], [2]).unwrap();
    assert_eq!(v.norm_l1().item(), 7.0);
    assert_eq!(v.norm_l2().item(), 5.0);
    assert_eq!(v.norm_linf().item(), 4.0);
    assert!((v.norm_lp(3.0).item() - 91f64.cbrt()).abs() < 1e-12);
}

#[test]
fn composite_networks_pass_the_checks() {
    // A two-layer net with everything at once: broadcasting bias, views, reductions, a loss.
    let mut r = rng(8);
    let x = randn(&[5, 3], &mut r);
    let f = |v: &[T]| {
        let h = x.matmul(&v[0]).add(&v[1]).tanh();
        h.matmul(&v[2]).softmax_cross_entropy(&[0, 1, 1, 0, 1])
    };
    check2(
        "mlp",
        f,
        &[
            &randn(&[3, 4], &mut r),
            &randn(&[4], &mut r),
            &randn(&[4, 2], &mut r),
        ],
    );
}

#[test]
fn the_checker_catches_a_wrong_gradient() {
    // A function whose recorded graph disagrees with its values: the detached factor is
    // invisible to backward, so the analytic gradient is half the true one.
    let x = Tensor::<f64>::from_vec(vec![0.5, -1.0, 2.0], [3]).unwrap();
    let report = gradcheck(
        |v| v[0].mul(&v[0].detach()).sum_all(),
        &[&x],
        Tolerances::default(),
    );
    assert!(!report.passed());
    let worst = report.worst.clone().unwrap();
    assert!(
        (worst.numeric - 2.0 * worst.analytic).abs() < 1e-6,
        "{report}"
    );
    assert!(report.to_string().contains("FAILED"));
}

// ----- fused ops ---------------------------------------------------------------------------

/// Labels in `0..k` for `n` rows.
fn random_labels(n: usize, k: usize, rng: &mut StdRng) -> Vec<usize> {
    (0..n).map(|_| rng.gen_range(0..k)).collect()
}

#[test]
fn relu_grad_on_random_shapes() {
    let mut r = rng(20);
    for _ in 0..6 {
        let dims = random_dims(&mut r);
        let g = randn(&dims, &mut r);
        let x = away_from_zero(&dims, &mut r);
        check2("relu_grad", |v| v[0].relu_grad(&v[1]), &[&g, &x]);
        // Large gradients (central differences still resolve them) and inputs far from the kink.
        let big = g.mul_scalar(1e3);
        let far = x.mul_scalar(1e6);
        check2(
            "relu_grad extreme",
            |v| v[0].relu_grad(&v[1]),
            &[&big, &far],
        );
    }
    // Through a strided (transposed) gradient and a broadcast one.
    let x = away_from_zero(&[3, 4], &mut r);
    check2(
        "relu_grad of a transposed gradient",
        |v| v[0].t().relu_grad(&v[1]),
        &[&randn(&[4, 3], &mut r), &x],
    );
    check2(
        "relu_grad of a broadcast gradient",
        |v| v[0].broadcast_to([3, 4]).relu_grad(&v[1]),
        &[&randn(&[4], &mut r), &x],
    );
}

#[test]
fn relu_grad_matches_its_formula_and_names_both_shapes() {
    let g = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0, 4.0], [4]).unwrap();
    let x = Tensor::from_vec(vec![-1.0, 0.0, 0.5, 2.0], [4]).unwrap();
    assert_eq!(g.relu_grad(&x).to_vec(), vec![0.0, 0.0, 3.0, 4.0]);
    let err = g.try_relu_grad(&Tensor::zeros([2, 2])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "relu_grad: gradient [4] and input [2, 2] differ"
    );
}

#[test]
fn fused_softmax_cross_entropy_on_random_shapes() {
    let mut r = rng(21);
    for _ in 0..5 {
        let (n, k) = (r.gen_range(1..=6), r.gen_range(1..=5));
        let labels = random_labels(n, k, &mut r);
        let x = randn(&[n, k], &mut r);
        let sce = |v: &[T]| v[0].softmax_cross_entropy(&labels);
        check2("softmax_cross_entropy", sce, &[&x]);
        check2("softmax_cross_entropy x400", sce, &[&x.mul_scalar(400.0)]);
        // Scaled by a second input: the backward's gradient in the upstream gradient.
        check2(
            "softmax_cross_entropy * a",
            |v| v[0].softmax_cross_entropy(&labels).mul(&v[1]),
            &[&x, &randn(&[], &mut r)],
        );
        // Third order: gradgradcheck of the gradient map x -> <d ce / dx, w>.
        let w = randn(&[n, k], &mut r);
        // (Recording on: gradgradcheck probes the output shape under no_grad.)
        let grad_dot_w = |v: &[T]| {
            autograd::set_grad_enabled(true, || {
                let ce = v[0].softmax_cross_entropy(&labels);
                let gx = autograd::grad(&ce, &[&v[0]], true).unwrap().remove(0);
                gx.mul(&w).sum_all()
            })
        };
        check2("softmax_cross_entropy third order", grad_dot_w, &[&x]);
    }
}

#[test]
fn fused_softmax_cross_entropy_matches_the_composite_formula() {
    let mut r = rng(22);
    let (n, k) = (7, 5);
    let labels = random_labels(n, k, &mut r);
    for scale in [1.0, 400.0] {
        let x = randn(&[n, k], &mut r).mul_scalar(scale).requires_grad();
        let fused = x.softmax_cross_entropy(&labels);
        let composite = x.log_softmax(1).gather_rows(&labels).mean_all().neg();
        assert!((fused.item() - composite.item()).abs() < 1e-12 * scale);
        let gf = autograd::grad(&fused, &[&x], false).unwrap().remove(0);
        let gc = autograd::grad(&composite, &[&x], false).unwrap().remove(0);
        for (a, b) in gf.to_vec().into_iter().zip(gc.to_vec()) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
    }
}

#[test]
fn fused_softmax_cross_entropy_at_plus_minus_1000() {
    // Row 0: logsumexp(1000, -1000, 0) - (-1000) = 2000 (+ e^-1000); row 1: label has the max.
    let x = Tensor::<f64>::from_vec(vec![1000.0, -1000.0, 0.0, -1000.0, 1000.0, 999.0], [2, 3])
        .unwrap()
        .requires_grad();
    let ce = x.softmax_cross_entropy(&[1, 1]);
    let row1 = (1.0 + (-1f64).exp()).ln();
    assert!((ce.item() - (2000.0 + row1) / 2.0).abs() < 1e-9);
    ce.backward();
    let g = x.grad().unwrap().to_vec();
    assert!(g.iter().all(|v| v.is_finite()), "{g:?}");
    // (softmax - onehot) / 2: row 0 puts all mass on column 0 and takes it from column 1.
    let p = 1.0 / (1.0 + (-1f64).exp());
    let want = [0.5, -0.5, 0.0, 0.0, (p - 1.0) / 2.0, (1.0 - p) / 2.0];
    for (a, b) in g.iter().zip(want) {
        assert!((a - b).abs() < 1e-12, "{g:?}");
    }
    check2(
        "softmax_cross_entropy at +-1000",
        |v| v[0].softmax_cross_entropy(&[1, 1]),
        &[&x.detach()],
    );
}

#[test]
fn bias_gradient_sums_over_the_batch() {
    // x W + b with b broadcast over a batch of 5: db = sum of the upstream gradient over rows.
    let mut r = rng(23);
    let x = randn(&[5, 3], &mut r);
    check2(
        "linear with bias",
        |v| x.matmul(&v[0]).add(&v[1]).tanh().sum_all(),
        &[&randn(&[3, 37], &mut r), &randn(&[37], &mut r)],
    );
}

/// The fused losses (`logistic_loss`, `exp_loss`, `log_exp_loss`, `squared_loss`) on random
/// shapes of rank 0..=3, scaled by a second input (the gradient in the upstream gradient), to
/// second and third order, and against their composite formulas from primitive ops (value and
/// gradient).
#[test]
fn fused_losses_on_random_shapes_to_third_order() {
    let mut r = rng(31);
    type Loss = fn(&T) -> T;
    let margin_losses: [(&str, Loss, Loss); 3] = [
        (
            "logistic_loss",
            |z| z.logistic_loss(),
            |z| z.neg().softplus().mean_all(),
        ),
        ("exp_loss", |z| z.exp_loss(), |z| z.neg().exp().mean_all()),
        (
            "log_exp_loss",
            |z| z.log_exp_loss(),
            |z| z.neg().exp().mean_all().log(),
        ),
    ];
    for _ in 0..6 {
        let dims = random_dims(&mut r);
        let z = randn(&dims, &mut r).mul_scalar(2.0);
        for (name, fused, composite) in margin_losses {
            check2(name, |v| fused(&v[0]), &[&z]);
            check2(
                &format!("{name} * a"),
                |v| fused(&v[0]).mul(&v[1]),
                &[&z, &randn(&[], &mut r)],
            );
            let w = randn(&dims, &mut r);
            let grad_dot_w = |v: &[T]| {
                autograd::set_grad_enabled(true, || {
                    let l = fused(&v[0]);
                    let gz = autograd::grad(&l, &[&v[0]], true).unwrap().remove(0);
                    gz.mul(&w).sum_all()
                })
            };
            check2(&format!("{name} third order"), grad_dot_w, &[&z]);
            // Against the composite formula.
            let (a, b) = (z.clone().requires_grad(), z.clone().requires_grad());
            let (la, lb) = (fused(&a), composite(&b));
            la.backward();
            lb.backward();
            assert!(
                (la.item() - lb.item()).abs() <= 1e-13 * (1.0 + lb.item().abs()),
                "{name}: {} vs composite {}",
                la.item(),
                lb.item()
            );
            let (ga, gb) = (a.grad().unwrap().to_vec(), b.grad().unwrap().to_vec());
            for (x, y) in ga.iter().zip(&gb) {
                assert!(
                    (x - y).abs() <= 1e-13 * (1.0 + y.abs()),
                    "{name}: {ga:?} vs {gb:?}"
                );
            }
        }
        let (p, t) = (randn(&dims, &mut r), randn(&dims, &mut r));
        check2("squared_loss", |v| v[0].squared_loss(&v[1]), &[&p, &t]);
        let w = randn(&dims, &mut r);
        check2(
            "squared_loss third order",
            |v| {
                autograd::set_grad_enabled(true, || {
                    let l = v[0].squared_loss(&v[1]);
                    let g = autograd::grad(&l, &[&v[0], &v[1]], true).unwrap();
                    g[0].mul(&w).sum_all().add(&g[1].mul(&w).sum_all())
                })
            },
            &[&p, &t],
        );
        let composite = p.sub(&t).square().mean_all().mul_scalar(0.5);
        assert!((p.squared_loss(&t).item() - composite.item()).abs() <= 1e-14);
    }
    // Shapes that differ are refused, naming the op and both shapes.
    let err = randn(&[2, 3], &mut r)
        .try_squared_loss(&randn(&[3, 2], &mut r))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("squared_loss") && err.contains("[2, 3]") && err.contains("[3, 2]"),
        "{err}"
    );
}

// ----- tensor exponents, selection, extrema, vector products, operators ---------------------

#[test]
fn pow_with_a_tensor_exponent_on_random_and_broadcast_shapes() {
    let mut r = rng(40);
    for &(sa, sb) in BROADCAST_PAIRS {
        for (sa, sb) in [(sa, sb), (sb, sa)] {
            // x > 0 (the domain of the y-gradient), y of either sign.
            let (x, y) = (positive(sa, &mut r), randn(sb, &mut r));
            check2("pow", |v| v[0].pow(&v[1]), &[&x, &y]);
        }
    }
    for _ in 0..4 {
        let dims = random_dims(&mut r);
        let (x, y) = (
            positive(&dims, &mut r),
            randn(&dims, &mut r).mul_scalar(2.0),
        );
        check2("pow (random shape)", |v| v[0].pow(&v[1]), &[&x, &y]);
        // Extreme bases: from 1e-3 to 1e3, the powers from about 1e-9 to 1e9.
        let big = Tensor::uniform(&dims[..], -3.0, 3.0, &mut r).mul_scalar(std::f64::consts::LN_10);
        check2(
            "pow (bases 1e-3 .. 1e3)",
            |v| v[0].pow(&v[1]),
            &[&big.exp(), &y],
        );
    }
    // A negative base with integer exponents has a value and an x-gradient.
    let k = Tensor::from_vec(vec![2.0, 3.0, -1.0], [3]).unwrap();
    let x = Tensor::from_vec(vec![-1.5, -0.5, -2.0], [3]).unwrap();
    check2(
        "pow (negative base, integer exponent)",
        |v| v[0].pow(&k),
        &[&x],
    );
}

#[test]
fn pow_matches_its_formulas_and_its_domain() {
    let x = Tensor::<f64>::from_vec(vec![2.0, 0.5, 4.0], [3])
        .unwrap()
        .requires_grad();
    let y = Tensor::from_vec(vec![3.0, -1.0, 0.5], [3])
        .unwrap()
        .requires_grad();
    let out = x.pow(&y);
    assert_eq!(out.to_vec(), vec![8.0, 2.0, 2.0]);
    out.sum_all().backward();
    // d/dx = y x^(y-1): 3 * 4, -1 * 0.5^-2, 0.5 * 4^-0.5.
    assert_eq!(x.grad().unwrap().to_vec(), vec![12.0, -4.0, 0.25]);
    // d/dy = x^y ln x.
    let want = [8.0 * 2f64.ln(), 2.0 * 0.5f64.ln(), 2.0 * 4f64.ln()];
    for (a, b) in y.grad().unwrap().to_vec().iter().zip(want) {
        assert!((a - b).abs() < 1e-14, "{a} vs {b}");
    }
    // At x = 0 and y > 0, 0^y = 0 for every y near: the y-gradient is exactly 0 (not NaN).
    let zero = Tensor::<f64>::zeros([2]);
    let y = Tensor::from_vec(vec![0.5, 2.0], [2]).unwrap();
    check2("pow at x = 0 in y", |v| zero.pow(&v[0]), &[&y]);
    let yl = y.clone().requires_grad();
    zero.pow(&yl).sum_all().backward();
    assert_eq!(yl.grad().unwrap().to_vec(), vec![0.0, 0.0]);
    // x < 0: the y-gradient is NaN (no real power near a non-integer y).
    let yl = Tensor::<f64>::from_vec(vec![2.0], [1])
        .unwrap()
        .requires_grad();
    Tensor::full([1], -2.0).pow(&yl).sum_all().backward();
    assert!(yl.grad().unwrap().item().is_nan());
    let err = x.try_pow(&Tensor::zeros([2])).unwrap_err().to_string();
    assert_eq!(
        err,
        "pow: [3] and [2] do not broadcast: dimensions 3 and 2 differ"
    );
}

/// A random 0/1 mask.
fn mask(dims: &[usize], rng: &mut StdRng) -> T {
    let n: usize = dims.iter().product();
    let v = (0..n).map(|_| if rng.gen_bool(0.5) { 1.0 } else { 0.0 });
    Tensor::from_vec(v.collect(), dims).unwrap()
}

#[test]
fn where_cond_with_broadcasting() {
    let mut r = rng(41);
    // (condition, a, b) shapes that broadcast together.
    let triples: &[(&[usize], &[usize], &[usize])] = &[
        (&[3, 4], &[3, 4], &[3, 4]),
        (&[3, 1], &[4], &[3, 4]),
        (&[4], &[3, 1], &[]),
        (&[2, 1, 3], &[4, 1], &[1, 3]),
        (&[], &[2, 2], &[2, 2]),
    ];
    for &(sc, sa, sb) in triples {
        let c = mask(sc, &mut r);
        let (a, b) = (randn(sa, &mut r), randn(sb, &mut r));
        check2("where_cond", |v| c.where_cond(&v[0], &v[1]), &[&a, &b]);
        // Products with the branches: second derivatives mix them.
        check2(
            "where_cond of products",
            |v| c.where_cond(&v[0].mul(&v[1]), &v[1].tanh()),
            &[&a, &b],
        );
    }
    // Extreme values in the branch not taken change neither the value nor the gradient.
    let c = Tensor::<f64>::from_vec(vec![1.0, 0.0, 1.0], [3]).unwrap();
    let a = Tensor::from_vec(vec![1.0, 1e300, -2.0], [3]).unwrap();
    let b = Tensor::from_vec(vec![-1e300, 3.0, f64::MAX], [3]).unwrap();
    check2(
        "where_cond extreme",
        |v| c.where_cond(&v[0], &v[1]),
        &[&a, &b],
    );
    let (al, bl) = (a.clone().requires_grad(), b.clone().requires_grad());
    let out = c.where_cond(&al, &bl);
    assert_eq!(out.to_vec(), vec![1.0, 3.0, -2.0]);
    out.sum_all().backward();
    assert_eq!(al.grad().unwrap().to_vec(), vec![1.0, 0.0, 1.0]);
    assert_eq!(bl.grad().unwrap().to_vec(), vec![0.0, 1.0, 0.0]);
    // A mask from a comparison: |x| written as where(x > 0, x, -x).
    let x = away_from_zero(&[5], &mut r);
    check2(
        "where_cond(x > 0, x, -x)",
        |v| v[0].positive_mask().where_cond(&v[0], &v[0].neg()),
        &[&x],
    );
    let err = c
        .try_where_cond(&Tensor::zeros([2]), &Tensor::zeros([3]))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "where_cond: [2] and [3] do not broadcast: dimensions 2 and 3 differ"
    );
}

#[test]
fn clamp_on_random_shapes_and_at_its_boundaries() {
    let mut r = rng(42);
    for _ in 0..6 {
        let dims = random_dims(&mut r);
        // Values at least 0.1 away from the bounds -0.5 and 0.5.
        let x = away_from_zero(&dims, &mut r).add_scalar(0.5);
        check2("clamp", |v| v[0].clamp(-0.5, 0.5), &[&x]);
        check2(
            "clamp one-sided",
            |v| v[0].clamp(f64::NEG_INFINITY, 0.5),
            &[&x],
        );
        check2(
            "clamp extreme",
            |v| v[0].mul_scalar(1e6).clamp(-1e7, 1e7),
            &[&x],
        );
    }
    let x = Tensor::<f64>::from_vec(vec![-2.0, -1.0, 0.0, 1.0, 2.0, f64::NAN], [6])
        .unwrap()
        .requires_grad();
    let y = x.clamp(-1.0, 1.0);
    let v = y.to_vec();
    assert_eq!(v[..5], [-1.0, -1.0, 0.0, 1.0, 1.0]);
    assert!(v[5].is_nan());
    y.narrow(0, 0, 5).sum_all().backward();
    // The gradient passes at the boundaries themselves.
    assert_eq!(x.grad().unwrap().to_vec()[..5], [0.0, 1.0, 1.0, 1.0, 0.0]);
    // lo > hi: everything is hi, and no gradient passes (as in PyTorch).
    let x = Tensor::<f64>::from_vec(vec![-3.0, 0.0, 3.0], [3])
        .unwrap()
        .requires_grad();
    let y = x.clamp(1.0, -1.0);
    assert_eq!(y.to_vec(), vec![-1.0, -1.0, -1.0]);
    y.sum_all().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0, 0.0]);
}

#[test]
fn maximum_and_minimum_with_broadcasting() {
    let mut r = rng(43);
    for &(sa, sb) in BROADCAST_PAIRS {
        for (sa, sb) in [(sa, sb), (sb, sa)] {
            // Normal draws: ties have probability 0.
            let (a, b) = (randn(sa, &mut r), randn(sb, &mut r));
            check2("maximum", |v| v[0].maximum(&v[1]), &[&a, &b]);
            check2("minimum", |v| v[0].minimum(&v[1]), &[&a, &b]);
            // Large values (scaled inside f, so that the finite differences still resolve).
            check2(
                "maximum extreme",
                |v| v[0].mul_scalar(1e8).maximum(&v[1].mul_scalar(-1e8)),
                &[&a, &b],
            );
        }
    }
    // Values, NaN, and the subgradient at ties: each side gets half.
    let a = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0, f64::NAN], [4])
        .unwrap()
        .requires_grad();
    let b = Tensor::from_vec(vec![2.0, 2.0, 1.0, 0.0], [4])
        .unwrap()
        .requires_grad();
    let hi = a.maximum(&b);
    let lo = a.minimum(&b);
    assert_eq!(hi.to_vec()[..3], [2.0, 2.0, 3.0]);
    assert_eq!(lo.to_vec()[..3], [1.0, 2.0, 1.0]);
    assert!(hi.to_vec()[3].is_nan() && lo.to_vec()[3].is_nan());
    hi.narrow(0, 0, 3).sum_all().backward();
    assert_eq!(a.grad().unwrap().to_vec()[..3], [0.0, 0.5, 1.0]);
    assert_eq!(b.grad().unwrap().to_vec()[..3], [1.0, 0.5, 0.0]);
    a.zero_grad();
    b.zero_grad();
    lo.narrow(0, 0, 3).sum_all().backward();
    assert_eq!(a.grad().unwrap().to_vec()[..3], [1.0, 0.5, 0.0]);
    assert_eq!(b.grad().unwrap().to_vec()[..3], [0.0, 0.5, 1.0]);
}

#[test]
fn min_reductions() {
    let mut r = rng(44);
    for _ in 0..3 {
        let x = randn(&[3, 4, 2], &mut r);
        for axes in [&[0usize][..], &[1], &[2], &[0, 2], &[0, 1, 2]] {
            for keep in [false, true] {
                check2("min", |v| v[0].min(axes, keep), &[&x]);
            }
        }
        check2("min_all", |v| v[0].min_all(), &[&x]);
        check2(
            "min_all extreme",
            |v| v[0].mul_scalar(1e100).min_all(),
            &[&x],
        );
        // min = -max(-x), value and gradient.
        let m = x.min(&[1], false);
        let want = x.neg().max(&[1], false).neg();
        assert_eq!(m.to_vec(), want.to_vec());
    }
    // The gradient is split among ties.
    let x = Tensor::<f64>::from_vec(vec![1.0, -3.0, -3.0, 2.0], [4])
        .unwrap()
        .requires_grad();
    x.min_all().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.5, 0.5, 0.0]);
    let err = x.try_min(&[1], false).unwrap_err().to_string();
    assert_eq!(err, "min: axis 1 out of range for shape [4]");
}

#[test]
fn matmul_with_vector_operands() {
    let mut r = rng(45);
    let (m, k, n) = (3, 4, 2);
    let (a, b) = (randn(&[m, k], &mut r), randn(&[k, n], &mut r));
    let (u, v) = (randn(&[k], &mut r), randn(&[k], &mut r));
    // Values against the matrix products with the vectors as rows and columns.
    assert_eq!(u.matmul(&b).to_vec(), u.reshape([1, k]).matmul(&b).to_vec());
    assert_eq!(u.matmul(&b).dims(), &[n]);
    assert_eq!(a.matmul(&u).dims(), &[m]);
    assert_eq!(a.matmul(&u).to_vec(), a.matmul(&u.reshape([k, 1])).to_vec());
    let dot = u.matmul(&v);
    assert_eq!(dot.dims(), &[] as &[usize]);
    assert!((dot.item() - u.dot(&v).item()).abs() < 1e-14);
    let batch = randn(&[2, m, k], &mut r);
    assert_eq!(batch.matmul(&u).dims(), &[2, m]);
    assert_eq!(u.matmul(&randn(&[2, k, n], &mut r)).dims(), &[2, n]);
    // Gradients, to second order.
    check2("vector x matrix", |v| v[0].matmul(&v[1]), &[&u, &b]);
    check2("matrix x vector", |v| v[0].matmul(&v[1]), &[&a, &u]);
    check2("vector x vector", |v| v[0].matmul(&v[1]), &[&u, &v]);
    check2("batch x vector", |v| v[0].matmul(&v[1]), &[&batch, &u]);
    check2(
        "vector x batch",
        |v| v[0].matmul(&v[1]),
        &[&u, &randn(&[2, k, n], &mut r)],
    );
    check2(
        "vector x transposed matrix",
        |v| v[0].matmul(&v[1].t()),
        &[&u, &randn(&[n, k], &mut r)],
    );
    check2(
        "vector x vector, large",
        |v| v[0].matmul(&v[1]),
        &[&u.mul_scalar(1e6), &v],
    );
    // Errors name both shapes.
    let err = u.try_matmul(&a).unwrap_err().to_string();
    assert_eq!(err, "matmul: [4] x [3, 4]: inner dimensions 4 and 3 differ");
    let err = b.try_matmul(&u).unwrap_err().to_string();
    assert_eq!(err, "matmul: [4, 2] x [4]: inner dimensions 2 and 4 differ");
    let err = u.try_matmul(&Tensor::scalar(2.0)).unwrap_err().to_string();
    assert!(
        err.starts_with("matmul: [4] x []: a scalar operand"),
        "{err}"
    );
}

#[test]
fn operators_are_the_methods() {
    let mut r = rng(46);
    let (a, b) = (randn(&[3, 4], &mut r), away_from_zero(&[4], &mut r));
    let same = |x: T, y: T| assert_eq!(x.to_vec(), y.to_vec());
    same(&a + &b, a.add(&b));
    same(&a - &b, a.sub(&b));
    same(&a * &b, a.mul(&b));
    same(&a / &b, a.div(&b));
    same(&a + 2.0, a.add_scalar(2.0));
    same(&a - 2.0, a.sub_scalar(2.0));
    same(&a * 2.0, a.mul_scalar(2.0));
    same(&a / 2.0, a.div_scalar(2.0));
    same(-&a, a.neg());
    same(2.0 * &a, a.mul_scalar(2.0));
    same(2.0 + &a, a.add_scalar(2.0));
    same(2.0 - &a, a.neg().add_scalar(2.0));
    same(2.0 / &b, b.pow_scalar(-1.0).mul_scalar(2.0));
    // Owned operands, chained.
    same(&a * &b + &a - 1.0, a.mul(&b).add(&a).sub_scalar(1.0));
    same(-(&a * 3.0) / &b, a.mul_scalar(3.0).neg().div(&b));
    // Recorded like the methods: gradients to second order.
    check2(
        "operators",
        |v| -(&v[0] * &v[1] + 1.0) / (&v[1] * &v[1] + 2.0) - 2.0 * &v[0],
        &[&a, &b],
    );
    let f32s = Tensor::<f32>::ones([2]);
    assert_eq!((2.0f32 * &f32s - 1.0).to_vec(), vec![1.0, 1.0]);
}

#[test]
#[should_panic(expected = "mul: [3, 4] and [3] do not broadcast: dimensions 4 and 3 differ")]
fn operators_panic_on_shapes_that_do_not_broadcast() {
    let _ = &T::zeros([3, 4]) * &T::zeros([3]);
}

#[test]
fn second_order_reports_say_so_and_print_their_cotangent() {
    let x = Tensor::<f64>::from_vec(vec![0.5, -1.0, 2.0], [3]).unwrap();
    let tol = Tolerances::default();
    let first = gradcheck(|v| v[0].tanh(), &[&x], tol);
    assert!(first.second_order.is_none());
    assert!(first
        .to_string()
        .starts_with("gradcheck passed: 9 derivatives"));
    let report = gradgradcheck(|v| v[0].tanh(), &[&x], tol, 5);
    assert!(report.passed(), "{report}");
    let second = report.second_order.clone().unwrap();
    assert_eq!((second.seed, second.shape.clone()), (5, vec![3]));
    // c is the seed's normal draws, in the output's shape.
    let c = Tensor::<f64>::normal([3], 0.0, 1.0, &mut rng(5)).to_vec();
    assert_eq!(second.cotangent, c);
    let text = report.to_string();
    assert!(
        text.starts_with(
            "gradgradcheck (second order, the gradient map x -> d<c, f(x)>/dx) passed"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "cotangent c (standard normal, seed 5, shape [3]) = [{:.6}, {:.6}, {:.6}]",
            c[0], c[1], c[2]
        )),
        "{text}"
    );
    // The map's output element j is the gradient of one input element.
    let two = gradgradcheck(|v| v[0].mul(&v[1]), &[&x, &Tensor::ones([2, 3])], tol, 1);
    let s = two.second_order.unwrap();
    assert_eq!(s.gradient_element(2), Some((0, vec![2])));
    assert_eq!(s.gradient_element(4), Some((1, vec![0, 1])));
    assert_eq!(s.gradient_element(9), None);
    // A wrong gradient fails at second order too, and the report names the gradient element.
    let wrong = gradgradcheck(|v| v[0].mul(&v[0].detach()).sum_all(), &[&x], tol, 3);
    assert!(!wrong.passed());
    assert!(
        wrong.to_string().contains("FAILED")
            && wrong.to_string().contains("(= d<c, f>/d input 0 index [")
    );
}
