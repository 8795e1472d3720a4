//! Gradient checking as a public API: compare reverse-mode gradients with central finite
//! differences, element by element ([`gradcheck`]), along one random direction for whole
//! networks ([`check_direction`]), and for second derivatives ([`gradgradcheck`]).
//!
//! The checks run in f64 only: with f32 a central difference with `eps = 1e-6` is dominated by
//! rounding, so f32 tensors are refused at compile time (cast with [`Tensor::cast`]).
//!
//! ```
//! use autograd::gradcheck::{gradcheck, Tolerances};
//! use autograd::Tensor;
//! let x = Tensor::<f64>::from_vec(vec![0.3, -1.2, 2.0], [3]).unwrap();
//! let report = gradcheck(|v| v[0].tanh().mul(&v[0]).sum_all(), &[&x], Tolerances::default());
//! assert!(report.passed(), "{report}");
//! ```
//!
//! A failing report names the worst element: which input, its index, the output element, the
//! analytic and numeric derivatives, and the absolute and relative errors. A second-order report
//! ([`gradgradcheck`]) says so and prints the random cotangent it differentiated along.

use crate::backprop::grad;
use crate::tensor::{no_grad, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::fmt;

/// Step and tolerances; the defaults are those of `torch.autograd.gradcheck`.
#[derive(Clone, Copy, Debug)]
pub struct Tolerances {
    /// Finite-difference step: `(f(x + eps) - f(x - eps)) / (2 eps)`.
    pub eps: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Relative tolerance: an element passes if `|analytic - numeric| <= atol + rtol * |numeric|`.
    pub rtol: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            eps: 1e-6,
            atol: 1e-5,
            rtol: 1e-3,
        }
    }
}

impl Tolerances {
    fn allows(&self, analytic: f64, numeric: f64) -> bool {
        (analytic - numeric).abs() <= self.atol + self.rtol * numeric.abs()
    }
}

/// One compared derivative `d output[output_index] / d inputs[input][index]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Which input tensor.
    pub input: usize,
    /// Multi-index of the element within that input.
    pub index: Vec<usize>,
    /// Multi-index of the output element (empty for a scalar output).
    pub output_index: Vec<usize>,
    /// The input element's value.
    pub value: f64,
    /// From the backward pass.
    pub analytic: f64,
    /// From central differences.
    pub numeric: f64,
}

impl Comparison {
    /// `|analytic - numeric|`.
    pub fn abs_err(&self) -> f64 {
        (self.analytic - self.numeric).abs()
    }

    /// `|analytic - numeric| / |numeric|` (infinite if `numeric` is 0 and they differ).
    pub fn rel_err(&self) -> f64 {
        if self.abs_err() == 0.0 {
            0.0
        } else {
            self.abs_err() / self.numeric.abs()
        }
    }
}

/// The result of [`gradcheck`] (or [`gradgradcheck`]): how many derivatives were compared, and
/// the worst one.
#[derive(Clone, Debug)]
pub struct Report {
    /// Tolerances used.
    pub tolerances: Tolerances,
    /// Number of derivatives compared.
    pub checked: usize,
    /// The comparison with the largest error relative to its allowance
    /// `atol + rtol * |numeric|` (`None` if nothing was compared).
    pub worst: Option<Comparison>,
    /// A non-finite value met in the function or its gradient, described.
    pub non_finite: Option<String>,
    /// Set by [`gradgradcheck`]: the report is of second derivatives, along this cotangent.
    pub second_order: Option<SecondOrder>,
}

/// What makes a [`Report`] second order: [`gradgradcheck`] compared the first derivatives of
/// the gradient map `x -> d <c, f(x)> / dx` for this random cotangent `c`. The map's output is
/// the inputs' gradients flattened and concatenated, so its element `j` is the derivative with
/// respect to one input element (see [`gradient_element`](SecondOrder::gradient_element)).
#[derive(Clone, Debug, PartialEq)]
pub struct SecondOrder {
    /// The seed `c` was drawn from.
    pub seed: u64,
    /// The shape of `c` (that of `f`'s output).
    pub shape: Vec<usize>,
    /// `c`, row-major: independent standard normal draws.
    pub cotangent: Vec<f64>,
    /// The shapes of the inputs, whose gradients make up the map's output.
    pub inputs: Vec<Vec<usize>>,
}

impl SecondOrder {
    /// Element `j` of the gradient map's output as `(input, index)`: it is
    /// `d <c, f> / d inputs[input][index]`.
    pub fn gradient_element(&self, mut j: usize) -> Option<(usize, Vec<usize>)> {
        for (input, dims) in self.inputs.iter().enumerate() {
            let n: usize = dims.iter().product();
            if j < n {
                return Some((input, unravel(j, dims)));
            }
            j -= n;
        }
        None
    }
}

impl Report {
    /// True if every derivative was within tolerance and everything was finite.
    pub fn passed(&self) -> bool {
        self.non_finite.is_none()
            && self
                .worst
                .as_ref()
                .is_none_or(|w| self.tolerances.allows(w.analytic, w.numeric))
    }

    /// Panics with the report unless it [`passed`](Report::passed).
    #[track_caller]
    pub fn assert_passed(&self) {
        if !self.passed() {
            panic!("{self}");
        }
    }
}

/// First order: `gradcheck passed: 36 derivatives compared; worst: input 0 index [1, 0] ...`.
/// Second order: `gradgradcheck (second order, the gradient map x -> d<c, f(x)>/dx) passed:
/// ...`, the worst output element also named as the gradient element it is, and the cotangent
/// `c` printed at the end (its first 16 values).
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed() { "passed" } else { "FAILED" };
        match &self.second_order {
            None => write!(f, "gradcheck {verdict}")?,
            Some(_) => write!(
                f,
                "gradgradcheck (second order, the gradient map x -> d<c, f(x)>/dx) {verdict}"
            )?,
        }
        write!(f, ": {} derivatives compared", self.checked)?;
        if let Some(msg) = &self.non_finite {
            write!(f, "; non-finite value: {msg}")?;
        }
        if let Some(w) = &self.worst {
            let t = &self.tolerances;
            write!(
                f,
                "; worst: input {} index {:?} (value {:e}), output {:?}",
                w.input, w.index, w.value, w.output_index,
            )?;
            let gradient_element = self
                .second_order
                .as_ref()
                .and_then(|s| s.gradient_element(*w.output_index.first()?));
            if let Some((input, index)) = gradient_element {
                write!(f, " (= d<c, f>/d input {input} index {index:?})")?;
            }
            write!(
                f,
                ": analytic {:e}, numeric {:e}, abs err {:.3e}, rel err {:.3e} \
                 (eps {:e}, atol {:e}, rtol {:e})",
                w.analytic,
                w.numeric,
                w.abs_err(),
                w.rel_err(),
                t.eps,
                t.atol,
                t.rtol
            )?;
        }
        if let Some(s) = &self.second_order {
            const SHOWN: usize = 16;
            write!(
                f,
                "; cotangent c (standard normal, seed {}, shape {:?}) = [",
                s.seed, s.shape
            )?;
            for (i, c) in s.cotangent.iter().take(SHOWN).enumerate() {
                let sep = if i > 0 { ", " } else { "" };
                write!(f, "{sep}{c:.6}")?;
            }
            if s.cotangent.len() > SHOWN {
                write!(f, ", ... ({} more)", s.cotangent.len() - SHOWN)?;
            }
            write!(f, "]")?;
        }
        Ok(())
    }
}

/// Fresh leaves holding the given values, requiring gradients.
fn leaves(values: &[Vec<f64>], like: &[&Tensor<f64>]) -> Vec<Tensor<f64>> {
    values
        .iter()
        .zip(like)
        .map(|(v, t)| Tensor::from_data(v.clone(), t.shape().clone()).requires_grad())
        .collect()
}

/// Row-major multi-index of flat position `i` in `dims`.
fn unravel(mut i: usize, dims: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; dims.len()];
    for (k, &d) in dims.iter().enumerate().rev() {
        idx[k] = i % d.max(1);
        i /= d.max(1);
    }
    idx
}

/// Compares the full Jacobian of `f` at `inputs` from reverse mode (one backward pass per
/// output element) with central differences (two evaluations per input element):
/// `d f(x)[j] / d inputs[i][e]` against `(f(x + eps u) - f(x - eps u))[j] / (2 eps)`, `u` the
/// unit vector of element `e` of input `i`.
///
/// `f` receives fresh leaves holding the inputs' values (the inputs themselves are only read);
/// it may return a tensor of any shape. The natural call is `gradcheck(f, &[&x, &w], tol)`.
pub fn gradcheck(
    f: impl Fn(&[Tensor<f64>]) -> Tensor<f64>,
    inputs: &[&Tensor<f64>],
    tol: Tolerances,
) -> Report {
    let values: Vec<Vec<f64>> = inputs.iter().map(|t| t.to_vec()).collect();
    let mut report = Report {
        tolerances: tol,
        checked: 0,
        worst: None,
        non_finite: None,
        second_order: None,
    };

    // Numeric Jacobian columns: numeric[input][element] = d output / d element (all outputs).
    // Evaluated with recording on, since `f` may itself differentiate (see `gradgradcheck`).
    let eval = |vals: &[Vec<f64>]| f(&leaves(vals, inputs)).to_vec();
    let base = eval(&values);
    if let Some(j) = base.iter().position(|v| !v.is_finite()) {
        report.non_finite = Some(format!(
            "output element {j} is {} at the given inputs",
            base[j]
        ));
        return report;
    }
    let mut numeric = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let mut cols = Vec::with_capacity(v.len());
        for e in 0..v.len() {
            let mut shifted = values.to_vec();
            shifted[i][e] = v[e] + tol.eps;
            let plus = eval(&shifted);
            shifted[i][e] = v[e] - tol.eps;
            let minus = eval(&shifted);
            cols.push(
                plus.iter()
                    .zip(&minus)
                    .map(|(p, m)| (p - m) / (2.0 * tol.eps))
                    .collect::<Vec<f64>>(),
            );
        }
        numeric.push(cols);
    }

    // Analytic Jacobian rows, one backward pass per output element.
    let xs = leaves(&values, inputs);
    let out = f(&xs);
    let flat = out.flatten();
    let mut worst_ratio = f64::NEG_INFINITY;
    #[allow(clippy::needless_range_loop)] // `j` indexes the output in three places
    for j in 0..base.len() {
        let grads = if out.requires_grad_flag() {
            match grad(
                &flat.narrow(0, j, 1).sum_all(),
                &xs.iter().collect::<Vec<_>>(),
                false,
            ) {
                Ok(g) => g,
                Err(e) => {
                    report.non_finite = Some(format!("backward failed: {e}"));
                    return report;
                }
            }
        } else {
            xs.iter().map(|x| Tensor::zeros(x.dims())).collect()
        };
        for (i, g) in grads.iter().enumerate() {
            for (e, a) in g.to_vec().into_iter().enumerate() {
                let n = numeric[i][e][j];
                let c = Comparison {
                    input: i,
                    index: unravel(e, inputs[i].dims()),
                    output_index: unravel(j, out.dims()),
                    value: values[i][e],
                    analytic: a,
                    numeric: n,
                };
                report.checked += 1;
                if !a.is_finite() && report.non_finite.is_none() {
                    report.non_finite = Some(format!(
                        "analytic derivative of output {:?} w.r.t. input {i} index {:?} is {a}",
                        c.output_index, c.index
                    ));
                }
                // Error as a multiple of its allowance: above 1 fails.
                let ratio = c.abs_err() / (tol.atol + tol.rtol * n.abs());
                if ratio > worst_ratio || (ratio.is_nan() && !worst_ratio.is_nan()) {
                    worst_ratio = ratio;
                    report.worst = Some(c);
                }
            }
        }
    }
    report
}

/// The result of a directional check: `<t, J^T c>` from one backward pass against the central
/// difference `(<c, f(x + eps t)> - <c, f(x - eps t)>) / (2 eps)`.
#[derive(Clone, Debug)]
pub struct DirectionReport {
    /// Tolerances used.
    pub tolerances: Tolerances,
    /// From reverse mode.
    pub analytic: f64,
    /// From finite differences.
    pub numeric: f64,
}

impl DirectionReport {
    /// True if the two agree within the tolerances.
    pub fn passed(&self) -> bool {
        self.analytic.is_finite() && self.tolerances.allows(self.analytic, self.numeric)
    }

    /// Panics with the report unless it passed.
    #[track_caller]
    pub fn assert_passed(&self) {
        if !self.passed() {
            panic!("{self}");
        }
    }
}

impl fmt::Display for DirectionReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed() { "passed" } else { "FAILED" };
        write!(
            f,
            "directional gradcheck {verdict}: analytic {:e}, numeric {:e}, abs err {:.3e}",
            self.analytic,
            self.numeric,
            (self.analytic - self.numeric).abs()
        )
    }
}

/// A cheap check for whole networks (as JAX's `check_grads`): draws a random direction `t` for
/// the inputs and a random cotangent `c` for the output (from `seed`), and compares
/// `<t, J^T c>` from one backward pass with the central-difference directional derivative of
/// `<c, f>`. Costs one backward and two forward passes however many parameters there are.
pub fn check_direction(
    f: impl Fn(&[Tensor<f64>]) -> Tensor<f64>,
    inputs: &[&Tensor<f64>],
    tol: Tolerances,
    seed: u64,
) -> DirectionReport {
    let mut rng = StdRng::seed_from_u64(seed);
    let values: Vec<Vec<f64>> = inputs.iter().map(|t| t.to_vec()).collect();
    let dirs: Vec<Tensor<f64>> = inputs
        .iter()
        .map(|x| Tensor::normal(x.shape().clone(), 0.0, 1.0, &mut rng))
        .collect();
    let xs = leaves(&values, inputs);
    let out = f(&xs);
    let c = Tensor::normal(out.shape().clone(), 0.0, 1.0, &mut rng);
    let analytic = if out.requires_grad_flag() {
        let gs = grad(
            &out.mul(&c).sum_all(),
            &xs.iter().collect::<Vec<_>>(),
            false,
        )
        .expect("scalar output");
        no_grad(|| {
            gs.iter()
                .zip(&dirs)
                .map(|(g, t)| g.mul(t).sum_all().item())
                .sum()
        })
    } else {
        0.0
    };
    let at = |s: f64| {
        let shifted: Vec<Vec<f64>> = values
            .iter()
            .zip(&dirs)
            .map(|(v, t)| v.iter().zip(t.to_vec()).map(|(x, d)| x + s * d).collect())
            .collect();
        f(&leaves(&shifted, inputs)).mul(&c).sum_all().item()
    };
    let numeric = (at(tol.eps) - at(-tol.eps)) / (2.0 * tol.eps);
    DirectionReport {
        tolerances: tol,
        analytic,
        numeric,
    }
}

/// Second-order check: [`gradcheck`] applied to the gradient map `x -> d <c, f(x)> / dx` (with a
/// fixed random cotangent `c`, standard normal draws from `seed`), whose backward runs through a
/// recorded (`create_graph`) backward pass: compares the Hessian-vector products
/// `sum_j c_j d^2 f_j / dx dx` with central differences of the gradient, and checks every rule's
/// own differentiability. The report says it is second order and prints `c`
/// ([`Report::second_order`]).
pub fn gradgradcheck(
    f: impl Fn(&[Tensor<f64>]) -> Tensor<f64>,
    inputs: &[&Tensor<f64>],
    tol: Tolerances,
    seed: u64,
) -> Report {
    let out_shape = no_grad(|| {
        f(&leaves(
            &inputs.iter().map(|t| t.to_vec()).collect::<Vec<_>>(),
            inputs,
        ))
        .shape()
        .clone()
    });
    let c = Tensor::normal(out_shape, 0.0, 1.0, &mut StdRng::seed_from_u64(seed));
    let second_order = SecondOrder {
        seed,
        shape: c.dims().to_vec(),
        cotangent: c.to_vec(),
        inputs: inputs.iter().map(|x| x.dims().to_vec()).collect(),
    };
    let mut report = gradcheck(
        |xs| {
            let s = f(xs).mul(&c).sum_all();
            if !s.requires_grad_flag() {
                return Tensor::zeros([xs.iter().map(|x| x.numel()).sum::<usize>()]);
            }
            let gs = grad(&s, &xs.iter().collect::<Vec<_>>(), true).expect("scalar");
            Tensor::concat(
                &gs.iter()
                    .map(|g| g.flatten())
                    .collect::<Vec<_>>()
                    .iter()
                    .collect::<Vec<_>>(),
                0,
            )
        },
        inputs,
        tol,
    );
    report.second_order = Some(second_order);
    report
}
