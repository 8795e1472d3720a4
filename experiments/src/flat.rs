//! A checkpointable gradient-descent run on a flat parameter vector, shared by
//! the parametrization experiments (matrix sensing, deep linear, linear conv,
//! diagonal nets). The gradient is a closure: closed form on plain buffers, or
//! the `autograd` tape (parameters rebuilt as tensors each step).

use serde::{Deserialize, Serialize};

use crate::runner::Iterate;

/// `(loss, gradient)` at the parameters (the gradient is written to the buffer).
pub type GradFn<'a> = Box<dyn Fn(&[f64], &mut [f64]) -> f64 + Send + Sync + 'a>;
/// The logged quantities at the parameters.
pub type RecordFn<'a> = Box<dyn Fn(&[f64]) -> Vec<f64> + Send + Sync + 'a>;

/// The step rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    /// `theta -= eta g`.
    Fixed(f64),
    /// `theta -= eta g / ||g||` (unit-normalized steps).
    Normalized(f64),
}

/// The problem a [`FlatRun`] iterates on.
pub struct FlatProblem<'a> {
    /// Loss and gradient.
    pub grad: GradFn<'a>,
    /// Names of the logged quantities.
    pub columns: Vec<String>,
    /// The logged quantities.
    pub record: RecordFn<'a>,
    /// The step rule.
    pub step: Step,
    /// Stop once the loss (before a step) is at most this.
    pub stop_loss: f64,
}

impl<'a> FlatProblem<'a> {
    /// A problem with the given gradient, step and log.
    pub fn new(
        grad: impl Fn(&[f64], &mut [f64]) -> f64 + Send + Sync + 'a,
        step: Step,
        columns: &[&str],
        record: impl Fn(&[f64]) -> Vec<f64> + Send + Sync + 'a,
    ) -> Self {
        Self {
            grad: Box::new(grad),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            record: Box::new(record),
            step,
            stop_loss: f64::NEG_INFINITY,
        }
    }

    /// Stops the run at the first loss `<= loss`.
    pub fn stop_at(mut self, loss: f64) -> Self {
        self.stop_loss = loss;
        self
    }

    /// The run from `theta0`.
    pub fn start(&'a self, theta0: Vec<f64>) -> FlatRun<'a> {
        FlatRun {
            grad_buf: vec![0.0; theta0.len()],
            theta: theta0,
            loss: f64::INFINITY,
            problem: Some(self),
        }
    }
}

/// The state: parameters and the last loss.
#[derive(Serialize, Deserialize)]
pub struct FlatRun<'a> {
    /// Parameters.
    pub theta: Vec<f64>,
    /// The loss before the last step.
    pub loss: f64,
    #[serde(skip)]
    grad_buf: Vec<f64>,
    #[serde(skip)]
    problem: Option<&'a FlatProblem<'a>>,
}

impl FlatRun<'_> {
    fn problem(&self) -> &FlatProblem<'_> {
        self.problem.expect("a FlatRun is attached to its problem")
    }
}

impl Iterate for FlatRun<'_> {
    fn columns(&self) -> Vec<String> {
        self.problem().columns.clone()
    }
    fn step(&mut self, _t: u64) -> f64 {
        let p = self.problem.expect("attached");
        self.grad_buf.resize(self.theta.len(), 0.0);
        let loss = (p.grad)(&self.theta, &mut self.grad_buf);
        let lr = match p.step {
            Step::Fixed(eta) => eta,
            Step::Normalized(eta) => {
                let n = self.grad_buf.iter().map(|g| g * g).sum::<f64>().sqrt();
                if n > 0.0 {
                    eta / n
                } else {
                    0.0
                }
            }
        };
        for (t, g) in self.theta.iter_mut().zip(&self.grad_buf) {
            *t -= lr * g;
        }
        self.loss = loss;
        loss
    }
    fn record(&self, _t: u64) -> Vec<f64> {
        (self.problem().record)(&self.theta)
    }
    fn done(&self) -> bool {
        self.loss <= self.problem().stop_loss
    }
    fn resume(&mut self, saved: Self) {
        self.theta = saved.theta;
        self.loss = saved.loss;
    }
}

/// Top singular triple `(s, u, v)` of the `rows x cols` row-major `w` (power
/// iteration on `w^T w`), and its Frobenius norm.
pub fn top_singular(w: &[f64], rows: usize, cols: usize) -> (f64, Vec<f64>, Vec<f64>, f64) {
    let fro = w.iter().map(|a| a * a).sum::<f64>().sqrt();
    let mut v: Vec<f64> = (0..cols).map(|j| 1.0 + 0.1 * j as f64).collect();
    let mut u = vec![0.0; rows];
    let mut s = 0.0;
    for _ in 0..500 {
        for (i, ui) in u.iter_mut().enumerate() {
            *ui = (0..cols).map(|j| w[i * cols + j] * v[j]).sum();
        }
        let nu = crate::stats::norm2(&u).max(1e-300);
        u.iter_mut().for_each(|a| *a /= nu);
        for (j, vj) in v.iter_mut().enumerate() {
            *vj = (0..rows).map(|i| w[i * cols + j] * u[i]).sum();
        }
        let nv = crate::stats::norm2(&v).max(1e-300);
        v.iter_mut().for_each(|a| *a /= nv);
        if (nv - s).abs() <= 1e-14 * nv {
            s = nv;
            break;
        }
        s = nv;
    }
    (s, u, v, fro)
}

/// `n` points log-spaced in `[lo, hi]`.
pub fn log_grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| (lo.ln() + (hi.ln() - lo.ln()) * i as f64 / (n.max(2) - 1) as f64).exp())
        .collect()
}

/// Loss and gradient from the `autograd` tape: the parameters are rebuilt as
/// tensors of the given shapes, `loss` builds the scalar loss from them.
pub fn tape_grad(
    theta: &[f64],
    shapes: &[Vec<usize>],
    g: &mut [f64],
    loss: impl Fn(&[autograd::Tensor<f64>]) -> autograd::Tensor<f64>,
) -> f64 {
    let tensors = split_tensors(theta, shapes, true);
    let l = loss(&tensors);
    l.backward();
    let mut off = 0;
    for t in &tensors {
        let n = t.numel();
        match t.grad() {
            Some(gr) => g[off..off + n].copy_from_slice(&gr.to_vec()),
            None => g[off..off + n].iter_mut().for_each(|v| *v = 0.0),
        }
        off += n;
    }
    l.item()
}

/// The parameters as tensors of the given shapes.
pub fn split_tensors(
    theta: &[f64],
    shapes: &[Vec<usize>],
    grad: bool,
) -> Vec<autograd::Tensor<f64>> {
    let mut off = 0;
    shapes
        .iter()
        .map(|s| {
            let n: usize = s.iter().product();
            let t =
                autograd::Tensor::from_vec(theta[off..off + n].to_vec(), s.clone()).expect("shape");
            off += n;
            if grad {
                t.requires_grad()
            } else {
                t
            }
        })
        .collect()
}
