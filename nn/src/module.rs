//! The [`Module`] trait, parameter [`Name`]s and [`Sequential`] composition.

use autograd::{Float, Tensor};
use std::fmt;

/// A parameter's name: the path of field names and list indices that leads to it, written
/// with dots (`"layers.0.weight"`).
///
/// Held on the stack as a linked list, head first: a container names a child's parameter by
/// putting its own segment in front of the name the child gave
/// ([`under`](Name::under), [`under_index`](Name::under_index)), so that
/// [`Module::visit_parameters`] builds no `String` and a training loop that visits the
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

/// A differentiable function with named parameters: a layer, a model, or a composition.
///
/// Only [`forward`](Module::forward) is required. A module with parameters also visits them, in a
/// stable order, in [`visit_parameters`](Module::visit_parameters) (from which
/// [`parameters`](Module::parameters) is built) and lists them as mutable slots in
/// [`parameters_mut`](Module::parameters_mut) — the same names in the same order. A module whose
/// forward depends on the mode (e.g. [`Dropout`](crate::Dropout)) or that contains such modules
/// overrides [`train`](Module::train) and [`is_training`](Module::is_training).
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
///     fn visit_parameters(&self, f: &mut nn::Visitor<T>) {
///         f(nn::Name::new("g"), &self.g)
///     }
///     fn parameters_mut(&mut self) -> Vec<(String, &mut Tensor<T>)> {
///         vec![("g".into(), &mut self.g)]
///     }
/// }
///
/// let gain = Gain { g: Tensor::<f64>::full([1], 3.0).requires_grad() };
/// let x = Tensor::from_vec(vec![1.0, 2.0], [2]).unwrap();
/// let y = gain.forward(&x);
/// assert_eq!(y.to_vec(), vec![3.0, 6.0]);
/// y.sum_all().backward(); // d/dg sum_i g x_i = sum_i x_i
/// assert_eq!(gain.g.grad().unwrap().to_vec(), vec![3.0]);
/// assert_eq!(nn::params::count(&gain), 1);
/// ```
pub trait Module<T: Float> {
    /// Applies the module to a batch `x` (the first dimension indexes examples unless the module
    /// says otherwise).
    fn forward(&self, x: &Tensor<T>) -> Tensor<T>;

    /// Calls `f` on each parameter with its name (`"weight"`, `"0.bias"`, `"layers.2.weight"`...)
    /// in a stable order. Allocates nothing, unlike [`parameters`](Module::parameters): this is
    /// what a training loop that visits the parameters every step should call. A module with
    /// parameters implements this (the default has none); containers call their children's
    /// with the names put [`under`](Name::under) their own.
    fn visit_parameters(&self, _f: &mut Visitor<T>) {}

    /// The parameters with their names, as [`visit_parameters`](Module::visit_parameters)
    /// visits them, collected (a `String` and a `Tensor` clone each). The tensors share storage
    /// and gradients with the module's own. Built on `visit_parameters`: implement that one.
    fn parameters(&self) -> Vec<(String, Tensor<T>)> {
        let mut all = Vec::new();
        self.visit_parameters(&mut |name, p| all.push((name.to_string(), p.clone())));
        all
    }

    /// The parameter slots, with the same names in the same order as
    /// [`parameters`](Module::parameters); used to swap parameter tensors (e.g.
    /// [`params::replace`](crate::params::replace) for gradient checks).
    fn parameters_mut(&mut self) -> Vec<(String, &mut Tensor<T>)> {
        Vec::new()
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
    fn zero_grad(&self) {
        self.visit_parameters(&mut |_, p| p.zero_grad());
    }
}

impl<T: Float, M: Module<T> + ?Sized> Module<T> for Box<M> {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        (**self).forward(x)
    }
    fn visit_parameters(&self, f: &mut Visitor<T>) {
        (**self).visit_parameters(f)
    }
    fn parameters_mut(&mut self) -> Vec<(String, &mut Tensor<T>)> {
        (**self).parameters_mut()
    }
    fn train(&mut self, training: bool) {
        (**self).train(training)
    }
    fn is_training(&self) -> bool {
        (**self).is_training()
    }
}

/// Prefixes each name with `prefix.` (names of a child module inside a container).
pub fn prefixed<P>(prefix: &str, params: Vec<(String, P)>) -> Vec<(String, P)> {
    params
        .into_iter()
        .map(|(n, p)| (format!("{prefix}.{n}"), p))
        .collect()
}

/// Visits the parameters of a list of modules, the `i`-th module's named `"i.<name>"` (with
/// `field = None`) or `"{field}.i.<name>"` (e.g. `Some("layers")` for `"layers.0.weight"`).
pub fn visit_list<T: Float, M: Module<T>>(field: Option<&str>, ms: &[M], f: &mut Visitor<T>) {
    for (i, m) in ms.iter().enumerate() {
        m.visit_parameters(&mut |name, p| {
            let indexed = name.under_index(i);
            match field {
                Some(field) => f(indexed.under(field), p),
                None => f(indexed, p),
            }
        });
    }
}

/// The parameter slots of a list of modules, named as by [`visit_list`] with
/// `field = prefix` without its dot (pass `prefix = ""` for `"0.weight"`, `"layers."` for
/// `"layers.0.weight"`).
pub fn list_parameters_mut<'a, T: Float, M: Module<T>>(
    prefix: &str,
    ms: &'a mut [M],
) -> Vec<(String, &'a mut Tensor<T>)> {
    let mut all = Vec::new();
    for (i, m) in ms.iter_mut().enumerate() {
        all.extend(prefixed(&format!("{prefix}{i}"), m.parameters_mut()));
    }
    all
}

/// Modules applied one after another: `y = f_k(... f_2(f_1(x)))`. The parameters of the `i`-th
/// module (counting from 0) are named `"i.<name>"`.
///
/// ```
/// use autograd::Tensor;
/// use nn::{Init, Linear, Module, Relu, Sequential};
/// use rand::{rngs::StdRng, SeedableRng};
/// let mut rng = StdRng::seed_from_u64(0);
/// let net = Sequential::<f32>::new()
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
}

impl<T: Float> Module<T> for Sequential<T> {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        let mut h = x.clone();
        for m in &self.modules {
            h = m.forward(&h);
        }
        h
    }

    fn visit_parameters(&self, f: &mut Visitor<T>) {
        visit_list(None, &self.modules, f)
    }

    fn parameters_mut(&mut self) -> Vec<(String, &mut Tensor<T>)> {
        list_parameters_mut("", &mut self.modules)
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
