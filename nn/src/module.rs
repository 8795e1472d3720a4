//! The [`Module`] trait, parameter [`Name`]s and [`Sequential`] composition.

use autograd::{Float, Tensor};
use std::fmt;

/// A parameter's name: the path of field names and list indices that leads to it, written
/// with dots (`"layers.0.weight"`).
///
/// Held on the stack as a linked list, head first: a container names a child's parameter by
/// putting its own segment in front of the name the child gave
/// ([`under`](Name::under), [`under_index`](Name::under_index)), so that
/// [`Module::visit_parameters_mut`] builds no `String` and a training loop that visits the
/// parameters every step allocates nothing. `to_string()` gives the dotted form.
#[derive(Clone, Copy, Debug)]
pub struct Name<'a> {
    head: Segment<'a>,
    rest: Option<&'a Name<'a>>,
}

#[derive(Clone, Copy, Debug)]
enum Segment<'a> {
    Field(&'a str),
    Index(usize),
}

impl<'a> Name<'a> {
    /// The name of a module's own parameter, e.g. `Name::new("weight")`.
    pub fn new(field: &'a str) -> Self {
        Name {
            head: Segment::Field(field),
            rest: None,
        }
    }

    /// `field.self`: this name inside the container field `field`.
    pub fn under(&'a self, field: &'a str) -> Name<'a> {
        Name {
            head: Segment::Field(field),
            rest: Some(self),
        }
    }

    /// `i.self`: this name inside the `i`-th module of a list.
    pub fn under_index(&'a self, i: usize) -> Name<'a> {
        Name {
            head: Segment::Index(i),
            rest: Some(self),
        }
    }
}

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut name = Some(self);
        let mut first = true;
        while let Some(n) = name {
            if !first {
                f.write_str(".")?;
            }
            match n.head {
                Segment::Field(s) => f.write_str(s)?,
                Segment::Index(i) => write!(f, "{i}")?,
            }
            first = false;
            name = n.rest;
        }
        Ok(())
    }
}

/// What [`Module::visit_parameters`] calls on each parameter.
pub type Visitor<'f, T> = dyn FnMut(Name<'_>, &Tensor<T>) + 'f;

/// What [`Module::visit_parameters_mut`] calls on each parameter: its name and its slot, borrowed
/// for as long as the module (`'s`), so that [`parameters_mut`](Module::parameters_mut) can
/// collect the slots.
pub type VisitorMut<'s, 'f, T> = dyn FnMut(Name<'_>, &'s mut Tensor<T>) + 'f;

/// A differentiable function with named parameters: a layer, a model, or a composition.
///
/// [`forward`](Module::forward) is required, and a module with parameters lists them once, in
/// [`visit_parameters_mut`](Module::visit_parameters_mut): every other view of the parameters
/// ([`visit_parameters`](Module::visit_parameters), [`parameters`](Module::parameters),
/// [`parameters_mut`](Module::parameters_mut), [`zero_grad`](Module::zero_grad), the functions
/// of [`params`](crate::params) and [`checkpoint`](crate::checkpoint)) is derived from it, so the
/// names and their order cannot disagree. A module whose forward depends on the mode (e.g.
/// [`Dropout`](crate::Dropout)) or that contains such modules overrides
/// [`train`](Module::train) and [`is_training`](Module::is_training).
///
/// Why the one visit is mutable and the derived ones need `&mut self` too: Rust cannot derive a
/// visit through `&self` from one through `&mut self` (nor the reverse) without a second list
/// by hand, a clone of the module per visit (allocating), or a macro. Slots are needed to swap
/// parameter tensors ([`params::replace`](crate::params::replace), the module gradient checks);
/// reading through `&mut` costs nothing, and since the tensors are shared handles, the usual
/// pattern — [`params::tensors`](crate::params::tensors) once, an optimizer updating those
/// handles every step — needs the mutable borrow only at setup.
///
/// A new module takes a few lines, e.g. a learned scalar gain `y = g x`:
///
/// ```
/// use autograd::{Float, Tensor};
/// use nn::Module;
///
/// struct Gain<T: Float> {
///     g: Tensor<T>,
/// }
///
/// impl<T: Float> Module<T> for Gain<T> {
///     fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
///         x.mul(&self.g)
///     }
///     fn visit_parameters_mut<'s>(&'s mut self, f: &mut nn::VisitorMut<'s, '_, T>) {
///         f(nn::Name::new("g"), &mut self.g)
///     }
/// }
///
/// let mut gain = Gain { g: Tensor::<f64>::full([1], 3.0).requires_grad() };
/// let x = Tensor::from_vec(vec![1.0, 2.0], [2]).unwrap();
/// let y = gain.forward(&x);
/// assert_eq!(y.to_vec(), vec![3.0, 6.0]);
/// y.sum_all().backward(); // d/dg sum_i g x_i = sum_i x_i
/// assert_eq!(gain.g.grad().unwrap().to_vec(), vec![3.0]);
/// assert_eq!(nn::params::count(&mut gain), 1);
/// ```
pub trait Module<T: Float> {
    /// Applies the module to a batch `x` (the first dimension indexes examples unless the module
    /// says otherwise).
    fn forward(&self, x: &Tensor<T>) -> Tensor<T>;

    /// The one parameter primitive: calls `f` on each parameter's name (`"weight"`,
    /// `"0.bias"`, `"layers.2.weight"`...) and slot, in a stable order. A module with parameters
    /// implements this (the default has none); containers call their children's with the names
    /// put [`under`](Name::under) their own (see [`visit_list`]). Allocates nothing.
    fn visit_parameters_mut<'s>(&'s mut self, _f: &mut VisitorMut<'s, '_, T>) {}

    /// Calls `f` on each parameter with its name, as
    /// [`visit_parameters_mut`](Module::visit_parameters_mut) visits them, read-only. Allocates
    /// nothing, unlike [`parameters`](Module::parameters): this is what a training loop that
    /// visits the parameters every step should call.
    fn visit_parameters(&mut self, f: &mut Visitor<T>) {
        self.visit_parameters_mut(&mut |name, p| f(name, p));
    }

    /// The parameters with their names, collected (a `String` and a `Tensor` clone each). The
    /// tensors share storage and gradients with the module's own.
    fn parameters(&mut self) -> Vec<(String, Tensor<T>)> {
        let mut all = Vec::new();
        self.visit_parameters_mut(&mut |name, p| all.push((name.to_string(), p.clone())));
        all
    }

    /// The parameter slots with their names, in the same order; used to swap parameter
    /// tensors (e.g. [`params::replace`](crate::params::replace) for gradient checks).
    fn parameters_mut(&mut self) -> Vec<(String, &mut Tensor<T>)> {
        let mut all = Vec::new();
        self.visit_parameters_mut(&mut |name, p| all.push((name.to_string(), p)));
        all
    }

    /// Switches between training (`true`) and evaluation (`false`) mode. The default does
    /// nothing: the forward of most modules does not depend on the mode.
    fn train(&mut self, _training: bool) {}

    /// Whether the module is in training mode. Modules whose forward does not depend on the mode
    /// keep no flag and report `true`.
    fn is_training(&self) -> bool {
        true
    }

    /// Clears the accumulated gradient of every parameter.
    fn zero_grad(&mut self) {
        self.visit_parameters_mut(&mut |_, p| p.zero_grad());
    }
}

impl<T: Float, M: Module<T> + ?Sized> Module<T> for Box<M> {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        (**self).forward(x)
    }
    fn visit_parameters_mut<'s>(&'s mut self, f: &mut VisitorMut<'s, '_, T>) {
        (**self).visit_parameters_mut(f)
    }
    fn train(&mut self, training: bool) {
        (**self).train(training)
    }
    fn is_training(&self) -> bool {
        (**self).is_training()
    }
}

/// Visits the parameters of a list of modules, the `i`-th module's named `"i.<name>"` (with
/// `field = None`) or `"{field}.i.<name>"` (e.g. `Some("layers")` for `"layers.0.weight"`).
pub fn visit_list<'s, T: Float, M: Module<T>>(
    field: Option<&str>,
    ms: &'s mut [M],
    f: &mut VisitorMut<'s, '_, T>,
) {
    for (i, m) in ms.iter_mut().enumerate() {
        m.visit_parameters_mut(&mut |name, p| {
            let indexed = name.under_index(i);
            match field {
                Some(field) => f(indexed.under(field), p),
                None => f(indexed, p),
            }
        });
    }
}

/// Modules applied one after another: `y = f_k(... f_2(f_1(x)))`. The parameters of the `i`-th
/// module (counting from 0) are named `"i.<name>"`.
///
/// ```
/// use autograd::Tensor;
/// use nn::{Init, Linear, Module, Relu, Sequential};
/// use rand::{rngs::StdRng, SeedableRng};
/// let mut rng = StdRng::seed_from_u64(0);
/// let mut net = Sequential::<f32>::new()
///     .push(Linear::new(4, 8, true, Init::KaimingUniform { scale: 1.0 }, &mut rng))
///     .push(Relu)
///     .push(Linear::new(8, 2, true, Init::KaimingUniform { scale: 1.0 }, &mut rng));
/// let names: Vec<String> = net.parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
/// assert_eq!(net.forward(&Tensor::zeros([5, 4])).dims(), &[5, 2]);
/// ```
pub struct Sequential<T: Float> {
    modules: Vec<Box<dyn Module<T>>>,
    training: bool,
}

impl<T: Float> Default for Sequential<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Sequential<T> {
    /// An empty composition (the identity), in training mode.
    pub fn new() -> Self {
        Sequential {
            modules: Vec::new(),
            training: true,
        }
    }

    /// Appends a module (put into this container's mode).
    pub fn push(mut self, module: impl Module<T> + 'static) -> Self {
        self.push_boxed(Box::new(module));
        self
    }

    /// Appends a boxed module (put into this container's mode).
    pub fn push_boxed(&mut self, mut module: Box<dyn Module<T>>) {
        module.train(self.training);
        self.modules.push(module);
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// True if there are no modules.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// The `i`-th module.
    pub fn get(&self, i: usize) -> Option<&dyn Module<T>> {
        self.modules.get(i).map(|m| &**m)
    }

    /// The `i`-th module, mutably (to visit its parameters).
    pub fn get_mut(&mut self, i: usize) -> Option<&mut dyn Module<T>> {
        match self.modules.get_mut(i) {
            Some(m) => Some(&mut **m),
            None => None,
        }
    }
}

impl<T: Float> Module<T> for Sequential<T> {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        let mut h = x.clone();
        for m in &self.modules {
            h = m.forward(&h);
        }
        h
    }

    fn visit_parameters_mut<'s>(&'s mut self, f: &mut VisitorMut<'s, '_, T>) {
        visit_list(None, &mut self.modules, f)
    }

    fn train(&mut self, training: bool) {
        self.training = training;
        for m in &mut self.modules {
            m.train(training);
        }
    }

    fn is_training(&self) -> bool {
        self.training
    }
}
