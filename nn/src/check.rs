//! Gradient checks of whole modules, in f64: [`autograd::gradcheck`] applied to
//! `(x, theta) -> module(x)` with respect to the input and every parameter.

use crate::module::Module;
use crate::params;
use autograd::gradcheck::{check_direction, gradcheck, DirectionReport, Report, Tolerances};
use autograd::Tensor;
use std::cell::RefCell;

/// Runs `check` on `f(inputs) = m.forward(inputs[0])` with `inputs = [x, parameters...]`, the
/// module's parameters swapped for the checker's leaves, and restores them afterwards.
fn with_module<M: Module<f64> + ?Sized, R>(
    m: &mut M,
    x: &Tensor<f64>,
    check: impl FnOnce(&dyn Fn(&[Tensor<f64>]) -> Tensor<f64>, &[&Tensor<f64>]) -> R,
) -> R {
    let originals: Vec<Tensor<f64>> = m.parameters().into_iter().map(|(_, p)| p).collect();
    let mut inputs = vec![x.detach()];
    inputs.extend(originals.iter().map(|p| p.detach()));
    let result = {
        let cell = RefCell::new(&mut *m);
        let f = |v: &[Tensor<f64>]| {
            let mut m = cell.borrow_mut();
            params::replace(&mut **m, &v[1..]).expect("same parameter shapes");
            m.forward(&v[0])
        };
        check(&f, &inputs.iter().collect::<Vec<_>>())
    };
    // Put the module's own parameter tensors (with their gradients) back.
    params::replace(m, &originals).expect("same parameter shapes");
    result
}

/// The full-Jacobian check ([`gradcheck`]) of a module at input `x`: every derivative of every
/// output element with respect to `x` and to every parameter. For small modules.
pub fn gradcheck_module<M: Module<f64> + ?Sized>(
    m: &mut M,
    x: &Tensor<f64>,
    tol: Tolerances,
) -> Report {
    with_module(m, x, |f, inputs| gradcheck(f, inputs, tol))
}

/// The directional check ([`check_direction`]) of a module at input `x`: one backward pass
/// against a central difference along a random direction of `(x, theta)`. For whole networks.
pub fn check_direction_module<M: Module<f64> + ?Sized>(
    m: &mut M,
    x: &Tensor<f64>,
    tol: Tolerances,
    seed: u64,
) -> DirectionReport {
    with_module(m, x, |f, inputs| check_direction(f, inputs, tol, seed))
}
