//! Path-SGD: the path scales against brute-force path enumeration, and invariance of the step
//! to node rescaling (which SGD lacks).

use autograd::Tensor;
use optim::{path_norm, path_scales, Optimizer, PathSgd, Sgd, SgdConfig, WeightLayout};
use rand::{Rng, SeedableRng};

fn random(shape: [usize; 2], rng: &mut rand::rngs::StdRng) -> Vec<f64> {
    (0..shape[0] * shape[1])
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect()
}

#[test]
fn path_scales_match_brute_force_enumeration() {
    // Widths 2 -> 3 -> 2 -> 1, stored [out, in].
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let n = [2, 3, 2, 1];
    let ws: Vec<Vec<f64>> = (0..3).map(|k| random([n[k + 1], n[k]], &mut rng)).collect();
    let w = |k: usize, v: usize, u: usize| ws[k][v * n[k] + u];
    // Sum over all paths i -> j -> l -> o of the product of squared weights of the edges other
    // than e, for each edge e.
    let mut want: Vec<Vec<f64>> = (0..3).map(|k| vec![0.0; n[k] * n[k + 1]]).collect();
    let mut total = 0.0;
    for i in 0..n[0] {
        for j in 0..n[1] {
            for l in 0..n[2] {
                for o in 0..n[3] {
                    let sq = [w(0, j, i).powi(2), w(1, l, j).powi(2), w(2, o, l).powi(2)];
                    total += sq[0] * sq[1] * sq[2];
                    want[0][j * n[0] + i] += sq[1] * sq[2];
                    want[1][l * n[1] + j] += sq[0] * sq[2];
                    want[2][o * n[2] + l] += sq[0] * sq[1];
                }
            }
        }
    }
    let tensors: Vec<Tensor<f64>> = (0..3)
        .map(|k| Tensor::from_vec(ws[k].clone(), [n[k + 1], n[k]]).unwrap())
        .collect();
    let got = path_scales(&tensors, WeightLayout::OutIn);
    for k in 0..3 {
        for (a, b) in got[k].iter().zip(&want[k]) {
            assert!((a - b).abs() < 1e-14, "layer {k}: {a} vs {b}");
        }
    }
    assert!((path_norm(&tensors, WeightLayout::OutIn) - total.sqrt()).abs() < 1e-14);
    // The same weights stored [in, out] (transposed) give the transposed scales.
    let transposed: Vec<Tensor<f64>> = tensors.iter().map(|t| t.t().contiguous()).collect();
    let got_t = path_scales(&transposed, WeightLayout::InOut);
    for k in 0..3 {
        for v in 0..n[k + 1] {
            for u in 0..n[k] {
                assert_eq!(got_t[k][u * n[k + 1] + v], got[k][v * n[k] + u]);
            }
        }
    }
}

/// A bias-free ReLU net with weights `ws` in `layout`, applied to the rows of `x` ([m, n_0]).
fn forward(ws: &[Tensor<f64>], layout: WeightLayout, x: &Tensor<f64>) -> Tensor<f64> {
    let mut h = x.clone();
    for (k, w) in ws.iter().enumerate() {
        h = match layout {
            WeightLayout::InOut => h.matmul(w),
            WeightLayout::OutIn => h.matmul(&w.t()),
        };
        if k + 1 < ws.len() {
            h = h.relu();
        }
    }
    h
}

struct Net {
    layout: WeightLayout,
    ws: Vec<Vec<f64>>,
    shapes: Vec<[usize; 2]>,
}

impl Net {
    fn new(layout: WeightLayout, widths: &[usize], rng: &mut rand::rngs::StdRng) -> Self {
        let shapes: Vec<[usize; 2]> = widths
            .windows(2)
            .map(|p| match layout {
                WeightLayout::OutIn => [p[1], p[0]],
                WeightLayout::InOut => [p[0], p[1]],
            })
            .collect();
        let ws = shapes.iter().map(|&s| random(s, rng)).collect();
        Net { layout, ws, shapes }
    }

    /// Scales hidden unit `j` of layer `k` (1-based hidden layer) by `c`: incoming by `c`,
    /// outgoing by `1 / c`.
    fn rescaled(&self, k: usize, j: usize, c: f64) -> Net {
        let mut ws = self.ws.clone();
        for (layer, factor) in [(k - 1, c), (k, 1.0 / c)] {
            let [r, cols] = self.shapes[layer];
            for a in 0..r {
                for b in 0..cols {
                    // Unit j is the output index of layer k-1 and the input index of layer k.
                    let (out, inp) = match self.layout {
                        WeightLayout::OutIn => (a, b),
                        WeightLayout::InOut => (b, a),
                    };
                    let is_j = if layer == k - 1 { out == j } else { inp == j };
                    if is_j {
                        ws[layer][a * cols + b] *= factor;
                    }
                }
            }
        }
        Net {
            layout: self.layout,
            ws,
            shapes: self.shapes.clone(),
        }
    }

    /// The network's outputs on `probe` after `steps` steps of the optimizer made by `make` on
    /// the squared loss on (x, y).
    fn train_and_eval(
        &self,
        make: &dyn Fn(Vec<Tensor<f64>>) -> Box<dyn Optimizer<f64>>,
        steps: usize,
        data: &(Tensor<f64>, Tensor<f64>),
        probe: &Tensor<f64>,
    ) -> Vec<f64> {
        let params: Vec<Tensor<f64>> = self
            .ws
            .iter()
            .zip(&self.shapes)
            .map(|(w, &s)| Tensor::from_vec(w.clone(), s).unwrap().requires_grad())
            .collect();
        let mut opt = make(params.clone());
        for _ in 0..steps {
            opt.zero_grad();
            forward(&params, self.layout, &data.0)
                .squared_loss(&data.1)
                .backward();
            opt.step();
        }
        forward(&params, self.layout, probe).to_vec()
    }
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn path_sgd_is_invariant_to_node_rescaling_and_sgd_is_not() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    for (layout, widths) in [
        (WeightLayout::OutIn, vec![3, 4, 1]),
        (WeightLayout::InOut, vec![3, 5, 4, 2]),
    ] {
        let out = *widths.last().unwrap();
        let x = Tensor::from_vec(random([8, widths[0]], &mut rng), [8, widths[0]]).unwrap();
        let y = Tensor::from_vec(random([8, out], &mut rng), [8, out]).unwrap();
        let probe = Tensor::from_vec(random([5, widths[0]], &mut rng), [5, widths[0]]).unwrap();
        let net = Net::new(layout, &widths, &mut rng);
        let rescaled = net.rescaled(1, 2, 3.0).rescaled(1, 0, 0.25);
        // Same function before training.
        let none = |ps: Vec<Tensor<f64>>| -> Box<dyn Optimizer<f64>> {
            Box::new(Sgd::new(
                ps,
                SgdConfig {
                    lr: 0.0,
                    ..Default::default()
                },
            ))
        };
        let data = (x, y);
        let before = max_diff(
            &net.train_and_eval(&none, 0, &data, &probe),
            &rescaled.train_and_eval(&none, 0, &data, &probe),
        );
        assert!(
            before < 1e-12,
            "{layout:?}: rescaling changed the function by {before}"
        );

        let path = |ps: Vec<Tensor<f64>>| -> Box<dyn Optimizer<f64>> {
            Box::new(PathSgd::new(ps, layout, 0.05))
        };
        for steps in [1, 5] {
            let a = net.train_and_eval(&path, steps, &data, &probe);
            let b = rescaled.train_and_eval(&path, steps, &data, &probe);
            let moved = max_diff(&a, &net.train_and_eval(&none, 0, &data, &probe));
            assert!(
                moved > 1e-4,
                "{layout:?}: Path-SGD did not change the function"
            );
            let d = max_diff(&a, &b);
            assert!(
                d < 1e-10,
                "{layout:?}, {steps} steps: Path-SGD functions differ by {d}"
            );
        }

        let sgd = |ps: Vec<Tensor<f64>>| -> Box<dyn Optimizer<f64>> {
            Box::new(Sgd::new(
                ps,
                SgdConfig {
                    lr: 0.05,
                    ..Default::default()
                },
            ))
        };
        let d = max_diff(
            &net.train_and_eval(&sgd, 1, &data, &probe),
            &rescaled.train_and_eval(&sgd, 1, &data, &probe),
        );
        assert!(
            d > 1e-4,
            "{layout:?}: SGD after rescaling differs only by {d}"
        );
    }
}

#[test]
#[should_panic(expected = "takes 4 inputs but layer 1 has 3 units")]
fn path_sgd_rejects_shapes_that_do_not_chain() {
    let w1 = Tensor::<f64>::zeros([3, 2]).requires_grad();
    let w2 = Tensor::<f64>::zeros([1, 4]).requires_grad();
    PathSgd::new(vec![w1, w2], WeightLayout::OutIn, 0.1);
}
