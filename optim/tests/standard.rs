//! Three steps of each standard method on f(w) = 0.5 ||A w - b||^2 (2x2 A) against the update
//! formulas of PyTorch's documentation, evaluated here in plain arithmetic.

mod common;

use common::{assert_close, param, values, LeastSquares};
use optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AveragedSgd, Optimizer, RmsProp, RmsPropConfig, Sgd,
    SgdConfig,
};

const W0: [f64; 2] = [0.5, -0.25];
const TOL: f64 = 1e-13;

/// Our optimizer's first three iterates from W0.
fn ours(make: impl FnOnce(Vec<autograd::Tensor<f64>>) -> Box<dyn Optimizer<f64>>) -> Vec<Vec<f64>> {
    let p = LeastSquares::small();
    let w = param::<f64>(&W0);
    let mut opt = make(vec![w.clone()]);
    (0..3)
        .map(|_| {
            p.backward(&w);
            opt.step();
            values(&w)
        })
        .collect()
}

/// Runs a reference update `step(t, w, g)` (t from 1) three times from W0.
fn reference(mut step: impl FnMut(i32, &mut [f64; 2], [f64; 2])) -> Vec<Vec<f64>> {
    let p = LeastSquares::small();
    let mut w = W0;
    (1..=3)
        .map(|t| {
            let g = p.grad(&w);
            step(t, &mut w, [g[0], g[1]]);
            w.to_vec()
        })
        .collect()
}

fn check(got: Vec<Vec<f64>>, want: Vec<Vec<f64>>, what: &str) {
    for (k, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_close(g, w, TOL, &format!("{what}, step {}", k + 1));
    }
}

#[test]
fn gradient_of_the_problem_by_hand() {
    // r = A w0 - b = (2*0.5 + 1*(-0.25) - 1, 0.5*0.5 + 3*(-0.25) + 2) = (-0.25, 1.5)
    // g = A^T r = (2*(-0.25) + 0.5*1.5, 1*(-0.25) + 3*1.5) = (0.25, 4.25)
    assert_eq!(LeastSquares::small().grad(&W0), vec![0.25, 4.25]);
    let w = param::<f64>(&W0);
    LeastSquares::small().backward(&w);
    assert_close(
        &values(&w.grad().unwrap()),
        &[0.25, 4.25],
        1e-15,
        "autograd",
    );
}

#[test]
fn plain_sgd_first_step_by_hand() {
    // w1 = w0 - 0.1 g0 = (0.5 - 0.025, -0.25 - 0.425)
    let got = ours(|ps| {
        Box::new(Sgd::new(
            ps,
            SgdConfig {
                lr: 0.1,
                ..Default::default()
            },
        ))
    });
    assert_close(&got[0], &[0.475, -0.675], TOL, "sgd step 1");
}

fn sgd_reference(lr: f64, mu: f64, tau: f64, wd: f64, nesterov: bool) -> Vec<Vec<f64>> {
    let mut b = [0.0; 2];
    reference(move |t, w, g| {
        for i in 0..2 {
            let mut gi = g[i] + wd * w[i];
            if mu != 0.0 {
                b[i] = if t == 1 {
                    gi
                } else {
                    mu * b[i] + (1.0 - tau) * gi
                };
                gi = if nesterov { gi + mu * b[i] } else { b[i] };
            }
            w[i] -= lr * gi;
        }
    })
}

#[test]
fn sgd_variants_match_the_formula() {
    let cases = [
        (0.1, 0.0, 0.0, 0.0, false),
        (0.1, 0.0, 0.0, 0.3, false),
        (0.05, 0.9, 0.0, 0.0, false),
        (0.05, 0.9, 0.25, 0.1, false),
        (0.05, 0.8, 0.0, 0.2, true),
    ];
    for (lr, mu, tau, wd, nesterov) in cases {
        let cfg = SgdConfig {
            lr,
            momentum: mu,
            dampening: tau,
            weight_decay: wd,
            nesterov,
        };
        let what = format!("{cfg:?}");
        let got = ours(|ps| Box::new(Sgd::new(ps, cfg)));
        check(got, sgd_reference(lr, mu, tau, wd, nesterov), &what);
    }
    // The variants differ from each other (each option is exercised).
    assert_ne!(
        sgd_reference(0.05, 0.9, 0.0, 0.0, false),
        sgd_reference(0.05, 0.9, 0.0, 0.0, true)
    );
}

#[test]
fn adagrad_matches_the_formula() {
    for (lr, lr_decay, wd, init, eps) in [(0.1, 0.0, 0.0, 0.0, 1e-10), (0.2, 0.5, 0.1, 0.3, 1e-3)] {
        let cfg = AdagradConfig {
            lr,
            lr_decay,
            weight_decay: wd,
            initial_accumulator_value: init,
            eps,
        };
        let got = ours(|ps| Box::new(Adagrad::new(ps, cfg.clone())));
        let mut s = [init; 2];
        let want = reference(|t, w, g| {
            let clr = lr / (1.0 + (t - 1) as f64 * lr_decay);
            for i in 0..2 {
                let gi = g[i] + wd * w[i];
                s[i] += gi * gi;
                w[i] -= clr * gi / (s[i].sqrt() + eps);
            }
        });
        check(got, want, &format!("{cfg:?}"));
    }
}

#[test]
fn rmsprop_matches_the_formula() {
    for (momentum, centered, wd) in [
        (0.0, false, 0.0),
        (0.0, true, 0.0),
        (0.9, false, 0.1),
        (0.5, true, 0.2),
    ] {
        let cfg = RmsPropConfig {
            lr: 0.01,
            alpha: 0.9,
            eps: 1e-8,
            weight_decay: wd,
            momentum,
            centered,
        };
        let got = ours(|ps| Box::new(RmsProp::new(ps, cfg.clone())));
        let (mut v, mut a, mut b) = ([0.0; 2], [0.0; 2], [0.0; 2]);
        let want = reference(|_t, w, g| {
            for i in 0..2 {
                let gi = g[i] + wd * w[i];
                v[i] = 0.9 * v[i] + 0.1 * gi * gi;
                let mut c = v[i];
                if centered {
                    a[i] = 0.9 * a[i] + 0.1 * gi;
                    c -= a[i] * a[i];
                }
                if momentum > 0.0 {
                    b[i] = momentum * b[i] + gi / (c.sqrt() + 1e-8);
                    w[i] -= 0.01 * b[i];
                } else {
                    w[i] -= 0.01 * gi / (c.sqrt() + 1e-8);
                }
            }
        });
        check(got, want, &format!("{cfg:?}"));
    }
}

fn adam_reference(cfg: &AdamConfig) -> Vec<Vec<f64>> {
    let (lr, (b1, b2), eps, wd) = (cfg.lr, cfg.betas, cfg.eps, cfg.weight_decay);
    let (mut m, mut v, mut vmax) = ([0.0f64; 2], [0.0f64; 2], [0.0f64; 2]);
    reference(|t, w, g| {
        for i in 0..2 {
            let mut gi = g[i];
            if cfg.decoupled_weight_decay {
                w[i] *= 1.0 - lr * wd;
            } else {
                gi += wd * w[i];
            }
            m[i] = b1 * m[i] + (1.0 - b1) * gi;
            v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
            let m_hat = m[i] / (1.0 - b1.powi(t));
            let v_hat = if cfg.amsgrad {
                vmax[i] = vmax[i].max(v[i]);
                vmax[i] / (1.0 - b2.powi(t))
            } else {
                v[i] / (1.0 - b2.powi(t))
            };
            w[i] -= lr * m_hat / (v_hat.sqrt() + eps);
        }
    })
}

#[test]
fn adam_and_adamw_match_the_formula() {
    let base = AdamConfig {
        lr: 0.1,
        betas: (0.8, 0.5),
        ..Default::default()
    };
    let cases = [
        base.clone(),
        AdamConfig {
            amsgrad: true,
            ..base.clone()
        },
        AdamConfig {
            weight_decay: 0.3,
            ..base.clone()
        },
        AdamConfig {
            weight_decay: 0.3,
            decoupled_weight_decay: true,
            amsgrad: true,
            ..base.clone()
        },
        AdamConfig::default(),
        AdamConfig::adamw(),
    ];
    for cfg in cases {
        let got = ours(|ps| Box::new(Adam::new(ps, cfg.clone())));
        check(got, adam_reference(&cfg), &format!("{cfg:?}"));
    }
    // AMSGrad changes the iterates here (the second moment of g_2 decreases), and so does
    // decoupling the weight decay.
    let ams = AdamConfig {
        amsgrad: true,
        ..base.clone()
    };
    assert!(common::max_diff(&adam_reference(&base)[2], &adam_reference(&ams)[2]) > 1e-6);
    let coupled = AdamConfig {
        weight_decay: 0.3,
        ..base.clone()
    };
    let decoupled = AdamConfig {
        decoupled_weight_decay: true,
        ..coupled.clone()
    };
    assert!(common::max_diff(&adam_reference(&coupled)[2], &adam_reference(&decoupled)[2]) > 1e-6);
}

#[test]
fn adamw_name_and_defaults() {
    let w = param::<f64>(&W0);
    let opt = Adam::adamw(vec![w.clone()], AdamConfig::default());
    assert_eq!(opt.name(), "AdamW");
    assert_eq!(AdamConfig::adamw().weight_decay, 1e-2);
    assert_eq!(Adam::new(vec![w], AdamConfig::default()).name(), "Adam");
}

#[test]
fn averaged_sgd_keeps_the_mean_of_the_iterates() {
    let cfg = SgdConfig {
        lr: 0.1,
        momentum: 0.5,
        ..Default::default()
    };
    let p = LeastSquares::small();
    let w = param::<f64>(&W0);
    let mut opt = AveragedSgd::new(vec![w.clone()], cfg);
    for _ in 0..3 {
        p.backward(&w);
        opt.step();
    }
    let iterates = sgd_reference(0.1, 0.5, 0.0, 0.0, false);
    // (1/3)(w_1 + w_2 + w_3)
    let mean: Vec<f64> = (0..2)
        .map(|i| (iterates[0][i] + iterates[1][i] + iterates[2][i]) / 3.0)
        .collect();
    assert_eq!(opt.num_averaged(), 3);
    assert_close(&opt.averages()[0], &mean, TOL, "average");
    assert_close(
        &values(&opt.average_tensors()[0]),
        &mean,
        TOL,
        "average tensor",
    );
    assert_eq!(opt.average_tensors()[0].dims(), &[2, 1]);
    // The parameters follow plain SGD with momentum.
    assert_close(&values(&w), &iterates[2], TOL, "iterate");
}

#[test]
fn parameters_without_gradient_are_skipped() {
    let p = LeastSquares::small();
    let w = param::<f64>(&W0);
    let frozen = param::<f64>(&[1.0, 2.0, 3.0]);
    let mut opt = Adam::new(vec![frozen.clone(), w.clone()], AdamConfig::default());
    p.backward(&w);
    opt.step();
    assert_eq!(values(&frozen), vec![1.0, 2.0, 3.0]);
    assert_ne!(values(&w), W0.to_vec());
    let st = opt.state();
    assert_eq!(st.vectors["step"], vec![0.0, 1.0]);
    opt.zero_grad();
    assert!(w.grad().is_none());
}
