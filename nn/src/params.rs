//! Whole-model parameter utilities: counting, norms, flattening to one vector and assigning from
//! one, and swapping the parameter tensors.
//!
//! The flat order is that of [`Module::visit_parameters_mut`], each tensor row-major. Each
//! function takes the module by `&mut` because the parameters are listed by that one visit (see
//! [`Module`]); none of them changes the module except [`assign_flat`] (the values) and
//! [`replace`] (the tensors).

use crate::error::{Error, Result};
use crate::module::Module;
use autograd::{no_grad, Float, Tensor};

/// Total number of scalar parameters.
pub fn count<T: Float, M: Module<T> + ?Sized>(m: &mut M) -> usize {
    m.parameters().iter().map(|(_, p)| p.numel()).sum()
}

/// `||theta||_2`, the l2 norm of all parameters as one vector, in f64.
pub fn l2_norm<T: Float, M: Module<T> + ?Sized>(m: &mut M) -> f64 {
    m.parameters()
        .iter()
        .map(|(_, p)| sum_squares(p))
        .sum::<f64>()
        .sqrt()
}

/// The l2 norm of each parameter tensor, with its name.
pub fn tensor_norms<T: Float, M: Module<T> + ?Sized>(m: &mut M) -> Vec<(String, f64)> {
    m.parameters()
        .iter()
        .map(|(n, p)| (n.clone(), sum_squares(p).sqrt()))
        .collect()
}

/// The l2 norm of each layer's parameters together, in order of first appearance. A layer is a
/// parameter name without its last component: `"layers.2.weight"` and `"layers.2.bias"` make
/// layer `"layers.2"`; a top-level name such as `"u"` is its own layer.
pub fn layer_norms<T: Float, M: Module<T> + ?Sized>(m: &mut M) -> Vec<(String, f64)> {
    let mut layers: Vec<(String, f64)> = Vec::new();
    for (name, p) in m.parameters() {
        let layer = name.rsplit_once('.').map_or(name.as_str(), |(l, _)| l);
        let sq = sum_squares(&p);
        match layers.iter_mut().find(|(l, _)| l == layer) {
            Some((_, acc)) => *acc += sq,
            None => layers.push((layer.to_string(), sq)),
        }
    }
    layers.into_iter().map(|(l, sq)| (l, sq.sqrt())).collect()
}

fn sum_squares<T: Float>(p: &Tensor<T>) -> f64 {
    p.with_slice(|v| v.iter().map(|x| x.f64() * x.f64()).sum())
}

/// The parameter tensors in [`Module::visit_parameters`] order, without their names: what an
/// optimizer is built on (`Sgd::new(nn::params::tensors(&mut model), cfg)`). The tensors share
/// storage and gradients with the module's own.
pub fn tensors<T: Float, M: Module<T> + ?Sized>(m: &mut M) -> Vec<Tensor<T>> {
    let mut all = Vec::new();
    m.visit_parameters(&mut |_, p| all.push(p.clone()));
    all
}

/// All parameters concatenated into one vector.
pub fn flatten<T: Float, M: Module<T> + ?Sized>(m: &mut M) -> Vec<T> {
    let mut out = Vec::with_capacity(count(m));
    for (_, p) in m.parameters() {
        p.with_slice(|v| out.extend_from_slice(v));
    }
    out
}

/// All parameters as one constant tensor of shape `[count]`.
pub fn flatten_tensor<T: Float, M: Module<T> + ?Sized>(m: &mut M) -> Tensor<T> {
    let v = flatten(m);
    let n = v.len();
    Tensor::from_vec(v, [n]).expect("length matches")
}

/// All gradients concatenated like [`flatten`] (zeros for a parameter without a gradient).
pub fn flatten_grads<T: Float, M: Module<T> + ?Sized>(m: &mut M) -> Vec<T> {
    let mut out = Vec::with_capacity(count(m));
    for (_, p) in m.parameters() {
        match p.grad() {
            Some(g) => g.with_slice(|v| out.extend_from_slice(v)),
            None => out.extend(std::iter::repeat_n(T::zero(), p.numel())),
        }
    }
    out
}

/// Overwrites all parameters in place from one vector laid out as by [`flatten`] (records
/// nothing). Fails, changing nothing, if `values.len()` differs from [`count`].
pub fn assign_flat<T: Float, M: Module<T> + ?Sized>(m: &mut M, values: &[T]) -> Result<()> {
    let expected = count(m);
    if values.len() != expected {
        return Err(Error::LengthMismatch {
            what: "assign_flat",
            expected,
            got: values.len(),
        });
    }
    let mut start = 0;
    for (_, p) in m.parameters() {
        let n = p.numel();
        p.try_update(|d| d.copy_from_slice(&values[start..start + n]))?;
        start += n;
    }
    Ok(())
}

/// Replaces the module's parameter tensors by `tensors` (in [`Module::parameters`] order) and
/// returns the old ones. The new tensors are used as they are (not copied): pass leaves that
/// require gradients to differentiate with respect to them. Fails, changing nothing, on a wrong
/// count or shape.
pub fn replace<T: Float, M: Module<T> + ?Sized>(
    m: &mut M,
    tensors: &[Tensor<T>],
) -> Result<Vec<Tensor<T>>> {
    let mut slots = m.parameters_mut();
    if slots.len() != tensors.len() {
        return Err(Error::LengthMismatch {
            what: "replace (parameter tensors)",
            expected: slots.len(),
            got: tensors.len(),
        });
    }
    for ((name, slot), t) in slots.iter().zip(tensors) {
        if slot.dims() != t.dims() {
            return Err(Error::ShapeMismatch {
                name: name.clone(),
                expected: slot.dims().to_vec(),
                found: t.dims().to_vec(),
            });
        }
    }
    Ok(slots
        .iter_mut()
        .zip(tensors)
        .map(|((_, slot), t)| std::mem::replace(&mut **slot, t.clone()))
        .collect())
}

/// The squared l2 norm `sum_p ||p||^2` as a recorded scalar (for weight-decay penalties).
pub fn squared_norm<T: Float, M: Module<T> + ?Sized>(m: &mut M) -> Tensor<T> {
    m.parameters()
        .iter()
        .map(|(_, p)| p.square().sum_all())
        .reduce(|a, b| a.add(&b))
        .unwrap_or_else(|| no_grad(|| Tensor::scalar(T::zero())))
}
