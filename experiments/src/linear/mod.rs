//! Linear models: objectives with closed-form gradients (cross-checked against
//! the `autograd` tape), the optimizer updates ([`updates`]), mirror-descent
//! potentials with their dual-Newton reference ([`potentials`]), and the
//! checkpointable run ([`LinearRun`]) the linear experiments share.

pub mod objectives;
pub mod potentials;
pub mod updates;

use serde::{Deserialize, Serialize};

pub use crate::reference::Matrix;
use crate::runner::Iterate;
use objectives::Objective;
use updates::Update;

/// The state of a linear-model optimizer: the iterate and the update's buffers
/// (their meaning is documented on each [`Update`] variant).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OptState {
    /// The iterate `w`.
    pub w: Vec<f64>,
    /// First buffer (velocity, mirror point, AdaGrad accumulator, ...).
    pub a: Vec<f64>,
    /// Second buffer (previous iterate, ...).
    pub b: Vec<f64>,
    /// Scalars (stagewise step, best residual, stall count, ...).
    pub s: Vec<f64>,
}

impl OptState {
    /// The state at `w0` for `update` (buffers initialised as the update needs).
    pub fn new(w0: Vec<f64>, update: &Update) -> Self {
        let mut st = Self {
            a: vec![0.0; w0.len()],
            b: w0.clone(),
            s: Vec::new(),
            w: w0,
        };
        update.init(&mut st);
        st
    }
}

/// What a run logs at each logged step, given the state and the step.
pub type Recorder<'a> = Box<dyn Fn(&OptState, u64) -> Vec<f64> + Send + Sync + 'a>;
/// An early-stop test on the state.
pub type StopRule<'a> = Box<dyn Fn(&OptState) -> bool + Send + Sync + 'a>;

/// A run of one [`Update`] on one [`Objective`]: an [`Iterate`] whose
/// checkpointed state is the [`OptState`].
pub struct LinearRun<'a> {
    /// The objective (data + loss).
    pub objective: &'a (dyn Objective + Sync),
    /// The update rule.
    pub update: Update,
    /// Names of the logged quantities.
    pub columns: Vec<String>,
    /// The logged quantities.
    pub record: Recorder<'a>,
    /// Optional early stop.
    pub stop: Option<StopRule<'a>>,
}

/// [`LinearRun`] with its state, as the checkpointed unit.
#[derive(Serialize, Deserialize)]
pub struct Stepper<'a> {
    /// The optimizer state.
    pub state: OptState,
    #[serde(skip)]
    run: Option<&'a LinearRun<'a>>,
}

impl<'a> LinearRun<'a> {
    /// A run logging `columns` via `record`.
    pub fn new(
        objective: &'a (dyn Objective + Sync),
        update: Update,
        columns: &[&str],
        record: impl Fn(&OptState, u64) -> Vec<f64> + Send + Sync + 'a,
    ) -> Self {
        Self {
            objective,
            update,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            record: Box::new(record),
            stop: None,
        }
    }

    /// Adds an early-stop rule.
    pub fn stop_when(mut self, f: impl Fn(&OptState) -> bool + Send + Sync + 'a) -> Self {
        self.stop = Some(Box::new(f));
        self
    }

    /// Runs `steps` steps from `w0` through [`crate::Ctx::iterate`] (resumable, logged at 10
    /// log-spaced points per decade), returning the final optimizer state.
    pub fn run(
        &'a self,
        ctx: &crate::Ctx,
        name: &str,
        w0: Vec<f64>,
        steps: u64,
    ) -> crate::Result<crate::Run<OptState>> {
        let r = ctx.iterate(
            name,
            self.start(w0),
            steps,
            &crate::stats::log_points(steps, 10),
        )?;
        Ok(crate::Run {
            state: r.state.state,
            steps: r.steps,
            trace: r.trace,
        })
    }

    /// The iterate to hand to [`crate::Ctx::iterate`], starting at `w0`.
    pub fn start(&'a self, w0: Vec<f64>) -> Stepper<'a> {
        Stepper {
            state: OptState::new(w0, &self.update),
            run: Some(self),
        }
    }
}

impl Stepper<'_> {
    fn run(&self) -> &LinearRun<'_> {
        self.run.expect("a Stepper is always attached to its run")
    }
}

impl Iterate for Stepper<'_> {
    fn columns(&self) -> Vec<String> {
        self.run().columns.clone()
    }
    fn step(&mut self, t: u64) -> f64 {
        let run = self.run.expect("attached");
        run.update.apply(&mut self.state, t, run.objective)
    }
    fn record(&self, t: u64) -> Vec<f64> {
        (self.run().record)(&self.state, t)
    }
    fn done(&self) -> bool {
        self.run().stop.as_ref().is_some_and(|f| f(&self.state))
    }
    fn resume(&mut self, saved: Self) {
        self.state = saved.state;
    }
}

/// `X^T v`.
pub fn xt_mul(x: &Matrix, v: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; x.cols];
    for (i, &vi) in v.iter().enumerate() {
        for (o, xij) in out.iter_mut().zip(x.row(i)) {
            *o += vi * xij;
        }
    }
    out
}

/// `sigma_max(X)^2`, the largest eigenvalue of `X^T X` (power iteration).
pub fn sigma_max_sq(x: &Matrix) -> f64 {
    let mut v: Vec<f64> = (0..x.cols).map(|j| 1.0 + 0.01 * j as f64).collect();
    let mut lambda = 0.0;
    for _ in 0..2000 {
        let u = xt_mul(x, &x.mul_vec(&v));
        let n = crate::stats::norm2(&u);
        if n == 0.0 {
            return 0.0;
        }
        let new = n / crate::stats::norm2(&v);
        v = u.iter().map(|a| a / n).collect();
        if (new - lambda).abs() <= 1e-15 * new {
            return new;
        }
        lambda = new;
    }
    lambda
}

/// Solves the square system `A z = b` (`A` row-major `n x n`) by Gaussian
/// elimination with partial pivoting.
pub fn solve(a: &[f64], b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let mut m = a.to_vec();
    let mut z = b.to_vec();
    for c in 0..n {
        let p = (c..n)
            .max_by(|&i, &j| m[i * n + c].abs().total_cmp(&m[j * n + c].abs()))
            .unwrap_or(c);
        if p != c {
            for k in 0..n {
                m.swap(c * n + k, p * n + k);
            }
            z.swap(c, p);
        }
        let d = m[c * n + c];
        for r in c + 1..n {
            let f = m[r * n + c] / d;
            if f != 0.0 {
                for k in c..n {
                    m[r * n + k] -= f * m[c * n + k];
                }
                z[r] -= f * z[c];
            }
        }
    }
    for c in (0..n).rev() {
        let s: f64 = (c + 1..n).map(|k| m[c * n + k] * z[k]).sum();
        z[c] = (z[c] - s) / m[c * n + c];
    }
    z
}

/// The rows `z_n = y_n x_n`.
pub fn signed_rows(x: &Matrix, y: &[f64]) -> Matrix {
    let data = (0..x.rows)
        .flat_map(|i| x.row(i).iter().map(move |v| v * y[i]))
        .collect();
    Matrix {
        rows: x.rows,
        cols: x.cols,
        data,
    }
}

/// `min_n <z_n, w>`.
pub fn min_margin(z: &Matrix, w: &[f64]) -> f64 {
    z.mul_vec(w).into_iter().fold(f64::INFINITY, f64::min)
}
