//! Forward passes of the layers against hand computations.

use autograd::Tensor;
use nn::{
    circulant, Activation, Conv2d, CyclicConv, Dropout, Flatten, Init, Linear, LogSoftmax, Module,
    Relu, Sequential, Softmax,
};
use rand::rngs::StdRng;
use rand::SeedableRng;

fn t(v: &[f64], dims: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(v.to_vec(), dims).unwrap()
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "lengths {a:?} vs {b:?}");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "element {i}: {x} vs {y}");
    }
}

#[test]
fn linear_forward_by_hand() {
    // W = [[1, 2], [3, 4], [5, 6]] (out 3, in 2), b = [0.5, -1, 2]
    let w = t(&[1., 2., 3., 4., 5., 6.], &[3, 2]);
    let b = t(&[0.5, -1., 2.], &[3]);
    let mut lin = Linear::from_tensors(w.clone(), Some(b));
    let x = t(&[1., -1., 2., 0.5], &[2, 2]);
    // row 1: x = (1, -1): (1-2, 3-4, 5-6) + b = (-1+0.5, -1-1, -1+2)
    // row 2: x = (2, 0.5): (2+1, 6+2, 10+3) + b = (3.5, 7, 15)
    assert_eq!(
        lin.forward(&x).to_vec(),
        vec![-0.5, -2.0, 1.0, 3.5, 7.0, 15.0]
    );
    let mut nobias = Linear::from_tensors(w, None);
    assert_eq!(
        nobias.forward(&x).to_vec(),
        vec![-1.0, -1.0, -1.0, 3.0, 8.0, 13.0]
    );
    let names: Vec<_> = lin.parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["weight", "bias"]);
    assert_eq!(nobias.parameters().len(), 1);
}

#[test]
fn linear_init_shapes_and_scale() {
    let mut rng = StdRng::seed_from_u64(3);
    let lin = Linear::<f64>::new(400, 300, true, Init::KaimingNormal { scale: 1.0 }, &mut rng);
    assert_eq!(lin.weight.dims(), &[300, 400]);
    assert_eq!(lin.bias.as_ref().unwrap().to_vec(), vec![0.0; 300]);
    // Var = 2 / fan_in = 2 / 400; the sample variance of 120000 draws is within a few percent.
    let v = lin.weight.to_vec();
    let var = v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64;
    assert!((var / (2.0 / 400.0) - 1.0).abs() < 0.03, "variance {var}");
    // Uniform(a): every |w| < a and the variance is a^2 / 3.
    let u = Init::Uniform { a: 0.5 }
        .tensor::<f64>(&[200, 200], &mut rng)
        .to_vec();
    assert!(u.iter().all(|x| x.abs() < 0.5));
    let var = u.iter().map(|x| x * x).sum::<f64>() / u.len() as f64;
    assert!((var / (0.25 / 3.0) - 1.0).abs() < 0.03, "variance {var}");
    // Xavier uniform bound sqrt(6 / (fan_in + fan_out)) * scale.
    let x = Init::XavierUniform { scale: 2.0 }
        .tensor::<f64>(&[10, 14], &mut rng)
        .to_vec();
    assert!(x.iter().all(|v| v.abs() < 2.0 * (6.0f64 / 24.0).sqrt()));
    assert_eq!(nn::init::fans(&[8, 3, 5, 5]), (75, 200));
}

#[test]
fn activations_by_hand() {
    let x = t(&[-1.0, 0.0, 2.0, 3.0], &[2, 2]);
    assert_eq!(Relu.forward(&x).to_vec(), vec![0.0, 0.0, 2.0, 3.0]);
    assert_eq!(Activation::Identity.forward(&x).to_vec(), x.to_vec());
    // softmax of (-1, 0): (e^-1, 1) / (1 + e^-1); of (2, 3): (1, e) / (1 + e)
    let e1 = (-1.0f64).exp();
    let e = 1.0f64.exp();
    let want = [
        e1 / (1.0 + e1),
        1.0 / (1.0 + e1),
        1.0 / (1.0 + e),
        e / (1.0 + e),
    ];
    close(&Softmax { axis: 1 }.forward(&x).to_vec(), &want, 1e-12);
    let logs: Vec<f64> = want.iter().map(|p| p.ln()).collect();
    close(&LogSoftmax { axis: 1 }.forward(&x).to_vec(), &logs, 1e-12);
    // along axis 0: columns (-1, 2) and (0, 3): both are (1, e^3) / (1 + e^3)
    let e3 = 3.0f64.exp();
    let col = [
        1.0 / (1.0 + e3),
        1.0 / (1.0 + e3),
        e3 / (1.0 + e3),
        e3 / (1.0 + e3),
    ];
    close(&Softmax { axis: 0 }.forward(&x).to_vec(), &col, 1e-12);
    let img = Tensor::<f64>::arange(24).reshape([2, 3, 2, 2]);
    let flat = Flatten.forward(&img);
    assert_eq!(flat.dims(), &[2, 12]);
    assert_eq!(flat.to_vec(), img.to_vec());
}

/// The convolution by its definition, with explicit loops.
fn naive_conv(
    x: &Tensor<f64>,
    w: &Tensor<f64>,
    b: Option<&Tensor<f64>>,
    s: usize,
    pad: usize,
) -> (Vec<f64>, [usize; 4]) {
    let [n, c, h, wd] = *x.dims() else { panic!() };
    let [o, _, kh, kw] = *w.dims() else { panic!() };
    let ho = (h + 2 * pad - kh) / s + 1;
    let wo = (wd + 2 * pad - kw) / s + 1;
    let mut out = vec![0.0; n * o * ho * wo];
    for bi in 0..n {
        for oi in 0..o {
            for i in 0..ho {
                for j in 0..wo {
                    let mut acc = b.map_or(0.0, |b| b.at(&[oi]));
                    for ci in 0..c {
                        for p in 0..kh {
                            for q in 0..kw {
                                let (r, cc) = (
                                    (i * s + p) as isize - pad as isize,
                                    (j * s + q) as isize - pad as isize,
                                );
                                if r >= 0 && cc >= 0 && (r as usize) < h && (cc as usize) < wd {
                                    acc += w.at(&[oi, ci, p, q])
                                        * x.at(&[bi, ci, r as usize, cc as usize]);
                                }
                            }
                        }
                    }
                    out[((bi * o + oi) * ho + i) * wo + j] = acc;
                }
            }
        }
    }
    (out, [n, o, ho, wo])
}

#[test]
fn conv2d_small_case_by_hand() {
    // x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], kernel [[1, 0], [0, -1]], bias 10:
    // y[i, j] = x[i, j] - x[i+1, j+1] + 10 = -4 + 10 everywhere.
    let x = t(&[1., 2., 3., 4., 5., 6., 7., 8., 9.], &[1, 1, 3, 3]);
    let w = t(&[1., 0., 0., -1.], &[1, 1, 2, 2]);
    let conv = Conv2d::from_tensors(w.clone(), Some(t(&[10.], &[1])), 1, 0);
    let y = conv.forward(&x);
    assert_eq!(y.dims(), &[1, 1, 2, 2]);
    assert_eq!(y.to_vec(), vec![6.0; 4]);
    // padding 1, stride 2: output 2x2 at padded positions (0,0), (0,2), (2,0), (2,2);
    // y = xpad[2i, 2j] - xpad[2i+1, 2j+1]: (0 - 1), (0 - 3), (0 - 7), (5 - 9)
    let conv = Conv2d::from_tensors(w, None, 2, 1);
    assert_eq!(conv.forward(&x).to_vec(), vec![-1.0, -3.0, -7.0, -4.0]);
}

#[test]
fn conv2d_matches_naive_loops() {
    let mut rng = StdRng::seed_from_u64(7);
    for &(s, pad, k) in &[(1, 0, 3), (1, 1, 3), (2, 1, 3), (2, 0, 2), (3, 2, 4)] {
        let x = Tensor::<f64>::normal([2, 3, 7, 6], 0.0, 1.0, &mut rng);
        let conv = Conv2d::new(3, 4, k, s, pad, true, Init::Normal { std: 1.0 }, &mut rng)
            .with_bias_init(Init::Normal { std: 1.0 }, &mut rng);
        let y = conv.forward(&x);
        let (want, dims) = naive_conv(&x, &conv.weight, conv.bias.as_ref(), s, pad);
        assert_eq!(y.dims(), &dims, "stride {s} pad {pad} kernel {k}");
        close(&y.to_vec(), &want, 1e-10);
        // the cached index list is reused for a second call and another input size
        assert_eq!(conv.forward(&x).to_vec(), y.to_vec());
        let x2 = Tensor::<f64>::normal([1, 3, 9, 9], 0.0, 1.0, &mut rng);
        close(
            &conv.forward(&x2).to_vec(),
            &naive_conv(&x2, &conv.weight, conv.bias.as_ref(), s, pad).0,
            1e-10,
        );
    }
}

#[test]
fn cyclic_corr_matches_the_formula() {
    // h[d] = sum_k w[k] x[(d + k) mod D], by a naive loop
    let mut rng = StdRng::seed_from_u64(11);
    let d = 5;
    let x = Tensor::<f64>::normal([3, d], 0.0, 1.0, &mut rng);
    let w = Tensor::<f64>::normal([d], 0.0, 1.0, &mut rng);
    let h = CyclicConv::from_tensor(w.clone()).forward(&x);
    assert_eq!(h.dims(), &[3, d]);
    // The layer equals x C^T with the circulant matrix (the map `beta()` is built from).
    let via_matrix = x.matmul(&circulant(&w).t());
    for (a, b) in h.to_vec().iter().zip(via_matrix.to_vec()) {
        assert!((a - b).abs() < 1e-12);
    }
    for b in 0..3 {
        for dd in 0..d {
            let want: f64 = (0..d).map(|k| w.at(&[k]) * x.at(&[b, (dd + k) % d])).sum();
            assert!((h.at(&[b, dd]) - want).abs() < 1e-12, "h[{b}, {dd}]");
        }
    }
    // the circulant by hand for D = 3, w = (a, b, c): C[d, k'] = w[(k' - d) mod 3]
    let c = circulant(&t(&[1., 2., 3.], &[3]));
    assert_eq!(c.to_vec(), vec![1., 2., 3., 3., 1., 2., 2., 3., 1.]);
    // x = e_0: h[d] = w[(0 - d) mod 3] = (w0, w2, w1)
    let layer = CyclicConv::from_tensor(t(&[1., 2., 3.], &[3]));
    assert_eq!(
        layer.forward(&t(&[1., 0., 0.], &[1, 3])).to_vec(),
        vec![1., 3., 2.]
    );
}

#[test]
fn multi_channel_cyclic_conv_matches_the_formula() {
    // h[b, o, d] = sum_i sum_{k<K} w[o, i, k] x[b, i, (d + k) mod D], by a naive loop, at
    // full width and with short filters, at lengths on both sides of the FFT's minimum.
    let mut rng = StdRng::seed_from_u64(12);
    for (batch, c_in, c_out, k, d) in [
        (2, 3, 2, 4, 4),
        (3, 2, 4, 2, 7),
        (1, 1, 1, 1, 1),
        (2, 2, 3, 5, 16),
    ] {
        let x = Tensor::<f64>::normal([batch, c_in, d], 0.0, 1.0, &mut rng);
        let w = Tensor::<f64>::normal([c_out, c_in, k], 0.0, 1.0, &mut rng);
        let h = CyclicConv::from_tensor(w.clone()).forward(&x);
        assert_eq!(h.dims(), &[batch, c_out, d]);
        for b in 0..batch {
            for o in 0..c_out {
                for dd in 0..d {
                    let want: f64 = (0..c_in)
                        .flat_map(|i| (0..k).map(move |kk| (i, kk)))
                        .map(|(i, kk)| w.at(&[o, i, kk]) * x.at(&[b, i, (dd + kk) % d]))
                        .sum();
                    let got = h.at(&[b, o, dd]);
                    assert!(
                        (got - want).abs() < 1e-12,
                        "h[{b}, {o}, {dd}]: {got} vs {want}"
                    );
                }
            }
        }
    }
    // One channel each way is the single-channel layer with a [K] filter.
    let x = Tensor::<f64>::normal([3, 1, 6], 0.0, 1.0, &mut rng);
    let w = Tensor::<f64>::normal([1, 1, 4], 0.0, 1.0, &mut rng);
    let single = CyclicConv::from_tensor(w.reshape([4])).forward(&x.reshape([3, 6]));
    let multi = CyclicConv::from_tensor(w).forward(&x);
    close(&multi.to_vec(), &single.to_vec(), 1e-12);
    // A new layer's filters have the requested shape.
    let layer = CyclicConv::<f32>::channels(3, 5, 2, Init::Normal { std: 1.0 }, &mut rng);
    assert_eq!(layer.weight.dims(), &[5, 3, 2]);
}

#[test]
#[should_panic(expected = "CyclicConv: filters [2, 3, 2] do not fit an input [1, 2, 4]")]
fn multi_channel_cyclic_conv_checks_the_channels() {
    let layer = CyclicConv::from_tensor(Tensor::<f64>::zeros([2, 3, 2]));
    layer.forward(&Tensor::zeros([1, 2, 4]));
}

#[test]
fn dropout_is_identity_in_eval_mode() {
    let mut drop = Dropout::new(0.5, 1);
    let x = Tensor::<f64>::arange(100).reshape([10, 10]);
    Module::<f64>::train(&mut drop, false);
    assert!(!Module::<f64>::is_training(&drop));
    assert_eq!(drop.forward(&x).to_vec(), x.to_vec());
    // also through a container
    let mut seq = Sequential::<f64>::new().push(Dropout::new(0.9, 2));
    seq.train(false);
    assert_eq!(seq.forward(&x).to_vec(), x.to_vec());
    seq.train(true);
    assert_ne!(seq.forward(&x).to_vec(), x.to_vec());
}

#[test]
fn dropout_keeps_one_minus_p_in_expectation() {
    let n = 200_000usize;
    for &p in &[0.1, 0.5, 0.8] {
        let drop = Dropout::new(p, 42);
        let x = Tensor::<f64>::ones([n]);
        let y = drop.forward(&x).to_vec();
        // survivors are scaled by 1 / (1 - p), the rest are 0
        let scale = 1.0 / (1.0 - p);
        assert!(y.iter().all(|&v| v == 0.0 || (v - scale).abs() < 1e-12));
        let kept = y.iter().filter(|&&v| v != 0.0).count() as f64;
        // kept ~ Binomial(n, 1 - p): mean n (1 - p), std sqrt(n p (1 - p)); allow 5 std
        let (mean, std) = (n as f64 * (1.0 - p), (n as f64 * p * (1.0 - p)).sqrt());
        assert!(
            (kept - mean).abs() < 5.0 * std,
            "p {p}: kept {kept}, expected {mean} +- {std}"
        );
    }
}

#[test]
fn dropout_reproduces_with_the_same_seed() {
    let x = Tensor::<f32>::ones([1000]);
    let (a, b, c) = (
        Dropout::new(0.3, 9),
        Dropout::new(0.3, 9),
        Dropout::new(0.3, 10),
    );
    let (ya, yb, yc) = (
        a.forward(&x).to_vec(),
        b.forward(&x).to_vec(),
        c.forward(&x).to_vec(),
    );
    assert_eq!(ya, yb);
    assert_ne!(ya, yc);
    // successive masks differ; reseeding restarts the sequence
    let ya2 = a.forward(&x).to_vec();
    assert_ne!(ya, ya2);
    a.reseed(9);
    assert_eq!(a.forward(&x).to_vec(), ya);
    // p = 0 and p = 1
    assert_eq!(Dropout::new(0.0, 1).forward(&x).to_vec(), x.to_vec());
    assert_eq!(Dropout::new(1.0, 1).forward(&x).to_vec(), vec![0.0; 1000]);
}
