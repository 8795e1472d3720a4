//! The theory's models: end-to-end predictors against the maps the networks compute, forwards by
//! hand, and an MLP fitting a nonlinear task with plain gradient descent.

use autograd::{no_grad, Tensor};
use nn::{
    measure, Activation, DeepLinear, DiagonalNet, FactorInit, Init, LinearConvNet, LinearPredictor,
    MatrixFactorization, Mlp, Module, SymmetricFactorization, TwoLayerRelu,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn t(v: &[f64], dims: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(v.to_vec(), dims).unwrap()
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol, "element {i}: {x} vs {y}");
    }
}

#[test]
fn deep_linear_beta_by_hand() {
    // W1 = [[1, 2], [0, 1]] (2x2), W2 = [[3, -1]] (1x2): beta = W2 W1 = [3, 6 - 1] = [3, 5]
    let net = DeepLinear::from_weights(vec![t(&[1., 2., 0., 1.], &[2, 2]), t(&[3., -1.], &[1, 2])]);
    assert_eq!(net.beta().to_vec(), vec![3.0, 5.0]);
    assert_eq!(net.beta().dims(), &[2]);
    // forward on x = (1, 1): 3 + 5
    assert_eq!(net.forward(&t(&[1., 1.], &[1, 2])).to_vec(), vec![8.0]);
}

#[test]
fn deep_linear_beta_is_the_map_on_the_identity() {
    let mut rng = StdRng::seed_from_u64(1);
    // scalar output: forward(I) = I W1^T ... WL^T = beta^T, a column
    let net = DeepLinear::<f64>::new(&[5, 4, 6, 3, 1], Init::Normal { std: 1.0 }, &mut rng);
    assert_eq!(net.depth(), 4);
    let out = net.forward(&Tensor::eye(5));
    close(&out.to_vec(), &net.beta().to_vec(), 1e-12);
    // matrix output: forward(I) = beta^T
    let net = DeepLinear::<f64>::new(&[4, 3, 2], Init::Normal { std: 1.0 }, &mut rng);
    let beta = net.beta();
    assert_eq!(beta.dims(), &[2, 4]);
    close(
        &net.forward(&Tensor::eye(4)).to_vec(),
        &beta.t().to_vec(),
        1e-12,
    );
}

#[test]
fn linear_conv_net_beta_by_hand() {
    // D = 3, one cyclic layer w1 = (1, 2, 0), output w2 = (1, 0, 0): f(x) = h[0] = x0 + 2 x1,
    // so beta = (1, 2, 0).
    let net = LinearConvNet::from_tensors(vec![t(&[1., 2., 0.], &[3])], t(&[1., 0., 0.], &[1, 3]));
    assert_eq!(net.beta().to_vec(), vec![1.0, 2.0, 0.0]);
    // output (0, 1, 0): f = h[1] = x1 + 2 x2
    let net = LinearConvNet::from_tensors(vec![t(&[1., 2., 0.], &[3])], t(&[0., 1., 0.], &[1, 3]));
    assert_eq!(net.beta().to_vec(), vec![0.0, 1.0, 2.0]);
    // depth 1 is a linear model
    let net = LinearConvNet::from_tensors(vec![], t(&[4., 5., 6.], &[1, 3]));
    assert_eq!(net.beta().to_vec(), vec![4.0, 5.0, 6.0]);
}

#[test]
fn linear_conv_net_beta_is_the_map_on_basis_vectors() {
    let mut rng = StdRng::seed_from_u64(2);
    for depth in [1, 2, 3, 5] {
        let mut net = LinearConvNet::<f64>::new(7, depth, Init::Normal { std: 1.0 }, &mut rng);
        assert_eq!(net.parameters().len(), depth);
        let out = net.forward(&Tensor::eye(7));
        close(&out.to_vec(), &net.beta().to_vec(), 1e-10);
    }
}

#[test]
fn diagonal_net() {
    let net = DiagonalNet::<f64>::new(3, 0.5);
    assert_eq!(net.beta().to_vec(), vec![0.0; 3]); // u = v at init
    assert_eq!(net.u.to_vec(), vec![0.5; 3]);
    // u = (1, 2, 3), v = (0, 1, 4): beta = (1, 3, -7); x = (1, 1, 1) gives -3
    let net = DiagonalNet::from_tensors(t(&[1., 2., 3.], &[3]), t(&[0., 1., 4.], &[3]));
    assert_eq!(net.beta().to_vec(), vec![1.0, 3.0, -7.0]);
    assert_eq!(
        net.forward(&t(&[1., 1., 1., 2., 0., 0.], &[2, 3])).to_vec(),
        vec![-3.0, 2.0]
    );
    // gradient at u = v = alpha: d/du <beta, x> = 2 u x, d/dv = -2 v x
    let net = DiagonalNet::<f64>::new(2, 0.25);
    net.forward(&t(&[1., -2.], &[1, 2])).sum_all().backward();
    assert_eq!(net.u.grad().unwrap().to_vec(), vec![0.5, -1.0]);
    assert_eq!(net.v.grad().unwrap().to_vec(), vec![-0.5, 1.0]);
}

#[test]
fn matrix_factorization_by_hand() {
    // U = [[1, 2], [3, 4]], V = [[1, 0], [1, 1]]: U V^T = [[1, 3], [3, 7]]
    let mut m = MatrixFactorization::<f64>::new(
        2,
        1.0,
        FactorInit::Identity,
        &mut StdRng::seed_from_u64(0),
    );
    assert_eq!(m.matrix().to_vec(), vec![1.0, 0.0, 0.0, 1.0]); // alpha^2 I
    m.u = t(&[1., 2., 3., 4.], &[2, 2]);
    m.v = t(&[1., 0., 1., 1.], &[2, 2]);
    assert_eq!(m.matrix().to_vec(), vec![1.0, 3.0, 3.0, 7.0]);
    // A_1 = e_00 (picks 1), A_2 = all ones (sums 14)
    let a = t(&[1., 0., 0., 0., 1., 1., 1., 1.], &[2, 2, 2]);
    assert_eq!(m.forward(&a).to_vec(), vec![1.0, 14.0]);
    assert_eq!(measure(&a, &m.matrix()).dims(), &[2, 1]);
    // U U^T with U = [[1, 2], [3, 4]]: [[5, 11], [11, 25]]
    let mut s = SymmetricFactorization::<f64>::new(
        2,
        0.1,
        FactorInit::Identity,
        &mut StdRng::seed_from_u64(0),
    );
    close(&s.matrix().to_vec(), &[0.01, 0.0, 0.0, 0.01], 1e-15);
    s.u = t(&[1., 2., 3., 4.], &[2, 2]);
    assert_eq!(s.forward(&a).to_vec(), vec![5.0, 52.0]);
    // Gaussian init at scale alpha: entries have variance alpha^2 / n
    let g = SymmetricFactorization::<f64>::new(
        100,
        2.0,
        FactorInit::Gaussian,
        &mut StdRng::seed_from_u64(1),
    );
    let v = g.u.to_vec();
    let var = v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64;
    assert!((var / (4.0 / 100.0) - 1.0).abs() < 0.05, "variance {var}");
}

#[test]
fn two_layer_relu_by_hand() {
    // 1-D: w = (1, -1), b = (0, 1), a = (2, 3): f(x) = 2 relu(x) + 3 relu(1 - x)
    let mut net = TwoLayerRelu::from_tensors(
        t(&[1., -1.], &[2, 1]),
        Some(t(&[0., 1.], &[2])),
        t(&[2., 3.], &[2]),
    );
    assert_eq!(net.width(), 2);
    let xs = t(&[-1., 0.5, 2.], &[3, 1]);
    // x = -1: 0 + 3*2 = 6; x = 0.5: 1 + 1.5 = 2.5; x = 2: 4 + 0 = 4
    assert_eq!(net.forward(&xs).to_vec(), vec![6.0, 2.5, 4.0]);
    let names: Vec<_> = net.parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["hidden.weight", "hidden.bias", "output.weight"]);
}

#[test]
fn mlp_parameter_names_and_shapes() {
    let mut mlp = Mlp::<f32>::new(
        &[3, 5, 4, 2],
        Activation::Tanh,
        true,
        Init::XavierUniform { scale: 1.0 },
        &mut StdRng::seed_from_u64(0),
    );
    let params = mlp.parameters();
    let names: Vec<_> = params.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "layers.0.weight",
            "layers.0.bias",
            "layers.2.weight",
            "layers.2.bias",
            "layers.4.weight",
            "layers.4.bias"
        ]
    );
    assert_eq!(params[2].1.dims(), &[4, 5]);
    let mut nobias = Mlp::<f32>::new(
        &[3, 5, 2],
        Activation::Relu,
        false,
        Init::XavierUniform { scale: 1.0 },
        &mut StdRng::seed_from_u64(0),
    );
    assert_eq!(nn::params::count(&mut nobias), 3 * 5 + 5 * 2);
}

#[test]
fn two_layer_relu_output_bias() {
    // f(x) = 2 relu(x) + 3 relu(1 - x) + c, c a trainable scalar starting at 0
    let mut net = TwoLayerRelu::from_tensors(
        t(&[1., -1.], &[2, 1]),
        Some(t(&[0., 1.], &[2])),
        t(&[2., 3.], &[2]),
    )
    .with_output_bias();
    let names: Vec<_> = net.parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "hidden.weight",
            "hidden.bias",
            "output.weight",
            "output.bias"
        ]
    );
    let xs = t(&[-1., 0.5, 2.], &[3, 1]);
    assert_eq!(net.forward(&xs).to_vec(), vec![6.0, 2.5, 4.0]);
    let c = net.output.bias.clone().unwrap();
    c.update(|c| c[0] = -1.5);
    assert_eq!(net.forward(&xs).to_vec(), vec![4.5, 1.0, 2.5]);
    // d/dc sum_i f(x_i) = n
    net.forward(&xs).sum_all().backward();
    assert_eq!(c.grad().unwrap().to_vec(), vec![3.0]);
    // Trainable leaves: `a` given as [1, m] stays the output weight, gradients reach every leaf.
    let (w, b, a) = (
        t(&[1., -1.], &[2, 1]).requires_grad(),
        t(&[0., 1.], &[2]).requires_grad(),
        t(&[2., 3.], &[1, 2]).requires_grad(),
    );
    let net = TwoLayerRelu::from_tensors(w.clone(), Some(b.clone()), a.clone()).with_output_bias();
    assert_eq!(net.output.weight.id(), a.id());
    net.forward(&xs).sum_all().backward();
    // d/da_j sum_i relu(w_j x_i + b_j): relu(x) and relu(1 - x) both sum to 2.5
    assert_eq!(a.grad().unwrap().to_vec(), vec![2.5, 2.5]);
    assert!(w.grad().is_some() && b.grad().is_some());
    assert_eq!(
        net.output.bias.as_ref().unwrap().grad().unwrap().to_vec(),
        vec![3.0]
    );
}

#[test]
fn mlp_linears_are_its_parameters() {
    let mut mlp = Mlp::<f64>::new(
        &[3, 5, 4, 2],
        Activation::Relu,
        true,
        Init::KaimingNormal { scale: 1.0 },
        &mut StdRng::seed_from_u64(3),
    );
    assert_eq!(mlp.sizes(), vec![3, 5, 4, 2]);
    let typed: Vec<Tensor<f64>> = mlp
        .linears()
        .iter()
        .flat_map(|l| [Some(l.weight.clone()), l.bias.clone()])
        .flatten()
        .collect();
    let params = mlp.parameters();
    assert_eq!(typed.len(), params.len());
    for (k, (p, (name, q))) in typed.iter().zip(&params).enumerate() {
        assert_eq!(p.id(), q.id(), "{name}: not the same tensor");
        let layer = &mlp.linears()[k / 2];
        let expected = if k % 2 == 0 {
            &layer.weight
        } else {
            layer.bias.as_ref().unwrap()
        };
        assert_eq!(p.to_vec(), expected.to_vec(), "{name}");
        assert_eq!(
            name,
            &format!("layers.{}.{}", 2 * (k / 2), ["weight", "bias"][k % 2])
        );
    }
    // Writing through the typed access changes the net.
    let x = t(&[1., 2., 3.], &[1, 3]);
    let before = mlp.forward(&x).to_vec();
    mlp.linears()[2]
        .bias
        .as_ref()
        .unwrap()
        .update(|b| b[0] += 1.0);
    let after = mlp.forward(&x).to_vec();
    assert_eq!(after[0], before[0] + 1.0);
    assert_eq!(after[1], before[1]);
}

/// An MLP `1 -> m -> 1` whose hidden units all output 1 on the input 1 and whose output sums
/// them: the output counts the hidden units that dropout keeps, times `1 / (1 - p)`.
fn counting_mlp(m: usize, p: f64, seed: u64) -> Mlp<f64> {
    let mlp = Mlp::<f64>::new(
        &[1, m, 1],
        Activation::Relu,
        true,
        Init::Constant { value: 1.0 },
        &mut StdRng::seed_from_u64(0),
    )
    .with_dropout(p, seed);
    assert_eq!(mlp.dropout(), Some(p));
    mlp
}

#[test]
fn mlp_dropout_drops_at_rate_p_in_training_and_not_in_eval() {
    let (m, p) = (20_000, 0.3);
    let mut mlp = counting_mlp(m, p, 7);
    let x = t(&[1.0; 4], &[4, 1]);
    // Training mode: each row keeps ~(1 - p) m units, each scaled by 1 / (1 - p).
    assert!(mlp.is_training());
    let y = mlp.forward(&x).to_vec();
    let kept: Vec<f64> = y.iter().map(|v| v * (1.0 - p) / m as f64).collect();
    let sd = (p * (1.0 - p) / m as f64).sqrt();
    for k in &kept {
        assert!((k - (1.0 - p)).abs() < 5.0 * sd, "kept fraction {k}");
    }
    assert!(kept.windows(2).any(|w| w[0] != w[1]), "one mask per row");
    // Evaluation mode: dropout is the identity.
    mlp.train(false);
    assert!(!mlp.is_training());
    assert_eq!(mlp.forward(&x).to_vec(), vec![m as f64; 4]);
    mlp.train(true);
    assert_ne!(mlp.forward(&x).to_vec(), vec![m as f64; 4]);
    // Parameter names do not depend on dropout.
    let names: Vec<_> = mlp.parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "layers.0.weight",
            "layers.0.bias",
            "layers.2.weight",
            "layers.2.bias"
        ]
    );
}

#[test]
fn mlp_dropout_masks_follow_the_seed() {
    let x = t(&[1.0; 3], &[3, 1]);
    let a = counting_mlp(500, 0.5, 1);
    let b = counting_mlp(500, 0.5, 1);
    let first = a.forward(&x).to_vec();
    assert_eq!(first, b.forward(&x).to_vec(), "same seed, same masks");
    assert_ne!(
        first,
        a.forward(&x).to_vec(),
        "the next pass draws new masks"
    );
    a.reseed_dropout(1);
    assert_eq!(
        first,
        a.forward(&x).to_vec(),
        "reseeding restarts the masks"
    );
    a.reseed_dropout(2);
    assert_ne!(first, a.forward(&x).to_vec(), "another seed, other masks");
    // Without dropout, reseeding does nothing.
    let plain = Mlp::<f64>::new(
        &[1, 3, 1],
        Activation::Relu,
        false,
        Init::Constant { value: 1.0 },
        &mut StdRng::seed_from_u64(0),
    );
    plain.reseed_dropout(5);
    assert_eq!(plain.dropout(), None);
    assert_eq!(plain.forward(&x).to_vec(), vec![3.0; 3]);
}

/// XOR-like data: points in the four quadrants, class = [x1 x2 > 0].
fn xor_data(n: usize, rng: &mut StdRng) -> (Tensor<f64>, Vec<usize>) {
    let mut xs = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let (a, b): (f64, f64) = (rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0));
        // keep a margin from the axes
        let (a, b) = (a + 0.1 * a.signum(), b + 0.1 * b.signum());
        xs.extend([a, b]);
        labels.push(usize::from(a * b > 0.0));
    }
    (Tensor::from_vec(xs, [n, 2]).unwrap(), labels)
}

fn accuracy(logits: &Tensor<f64>, labels: &[usize]) -> f64 {
    let v = logits.to_vec();
    let hits = labels
        .iter()
        .enumerate()
        .filter(|&(i, &l)| usize::from(v[2 * i + 1] > v[2 * i]) == l)
        .count();
    hits as f64 / labels.len() as f64
}

#[test]
fn mlp_fits_xor_with_plain_gradient_descent() {
    let mut rng = StdRng::seed_from_u64(5);
    let (x, y) = xor_data(200, &mut rng);
    let mut mlp = Mlp::<f64>::new(
        &[2, 32, 32, 2],
        Activation::Relu,
        true,
        Init::KaimingNormal { scale: 1.0 },
        &mut rng,
    );
    let start = no_grad(|| accuracy(&mlp.forward(&x), &y));
    assert!(start < 0.8, "a linear-ish start cannot solve XOR: {start}");
    let lr = 0.2;
    let mut steps = 0;
    while steps < 3000 {
        let loss = mlp.forward(&x).softmax_cross_entropy(&y);
        loss.backward();
        for (_, p) in mlp.parameters() {
            let g = p.grad().unwrap().to_vec();
            p.update(|w| w.iter_mut().zip(&g).for_each(|(w, g)| *w -= lr * g));
        }
        mlp.zero_grad();
        steps += 1;
        if steps % 50 == 0 && no_grad(|| accuracy(&mlp.forward(&x), &y)) == 1.0 {
            break;
        }
    }
    let acc = no_grad(|| accuracy(&mlp.forward(&x), &y));
    assert_eq!(acc, 1.0, "training accuracy after {steps} steps");
    // and it generalizes to fresh points of the same task
    let (xt, yt) = xor_data(500, &mut rng);
    assert!(no_grad(|| accuracy(&mlp.forward(&xt), &yt)) > 0.9);
}
