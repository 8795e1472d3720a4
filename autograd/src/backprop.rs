//! The tape: the closed set of recorded ops, each op's backward rule (written once, in one
//! exhaustive `match`), and the backward walk, which visits the graph in reverse order of the
//! nodes' stamps.
//!
//! Backward rules are written with tensor ops, so when the walk runs with
//! [`create_graph`](BackwardOptions::create_graph) they are themselves recorded and gradients
//! of gradients come for free.

use crate::element::{per_type, Float};
use crate::error::{ok, Error, Result};
use crate::shape::Dims;
use crate::tensor::{set_grad_enabled, Tensor};
use smallvec::{smallvec, SmallVec};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::binary_heap::{BinaryHeap, PeekMut};
use std::sync::Arc;

/// How a tensor came to be.
pub(crate) enum Recorded<T: Float> {
    /// Data with no history that needs no gradient.
    Constant,
    /// A parameter: a leaf that requires gradients.
    Leaf,
    /// The result of a recorded op.
    Op(Op<T>),
    /// Was the result of an op whose history a backward pass has freed.
    Freed,
}

/// A recorded operation with its inputs (and whatever else its backward rule needs).
pub(crate) enum Op<T: Float> {
    Add(Tensor<T>, Tensor<T>),
    Sub(Tensor<T>, Tensor<T>),
    Mul(Tensor<T>, Tensor<T>),
    Div(Tensor<T>, Tensor<T>),
    AddScalar(Tensor<T>),
    MulScalar(Tensor<T>, T),
    PowScalar(Tensor<T>, T),
    /// `x^y` with a tensor exponent.
    Pow(Tensor<T>, Tensor<T>),
    Maximum(Tensor<T>, Tensor<T>),
    Minimum(Tensor<T>, Tensor<T>),
    /// `cond ? a : b`: the condition (a constant, not an input) and the two branches.
    Where(Tensor<T>, Tensor<T>, Tensor<T>),
    /// `min(max(x, lo), hi)`.
    Clamp(Tensor<T>, T, T),
    Neg(Tensor<T>),
    Exp(Tensor<T>),
    Log(Tensor<T>),
    Log1p(Tensor<T>),
    Sqrt(Tensor<T>),
    Abs(Tensor<T>),
    Tanh(Tensor<T>),
    Sigmoid(Tensor<T>),
    Relu(Tensor<T>),
    /// `relu_grad(g, x) = g * 1[x > 0]`.
    ReluGrad(Tensor<T>, Tensor<T>),
    Softplus(Tensor<T>),
    Matmul(Tensor<T>, Tensor<T>),
    Copy(Tensor<T>),
    Reshape(Tensor<T>),
    Permute(Tensor<T>, Dims),
    Broadcast(Tensor<T>),
    Narrow(Tensor<T>, usize, usize),
    Concat(Vec<Tensor<T>>, usize),
    IndexSelect(Tensor<T>, usize, Arc<[usize]>),
    IndexAdd(Tensor<T>, usize, Arc<[usize]>),
    Sum(Tensor<T>, Dims),
    Max(Tensor<T>, Dims),
    Min(Tensor<T>, Dims),
    CyclicCorr(Tensor<T>, Tensor<T>),
    CyclicConv(Tensor<T>, Tensor<T>),
    CyclicCorrWeight(Tensor<T>, Tensor<T>),
    Dft(Tensor<T>),
    DftAdjoint(Tensor<T>),
    /// Mean softmax cross-entropy of logits `x` with these labels.
    SoftmaxCrossEntropy(Tensor<T>, Arc<[usize]>),
    /// Its backward at logits `x` for the output gradient `g`: `(softmax(x) - onehot) g / n`.
    SoftmaxCrossEntropyGrad(Tensor<T>, Tensor<T>, Arc<[usize]>),
    /// `mean_i ln(1 + exp(-z_i))` of margins `z`.
    LogisticLoss(Tensor<T>),
    /// `mean_i exp(-z_i)`.
    ExpLoss(Tensor<T>),
    /// `ln mean_i exp(-z_i)`.
    LogExpLoss(Tensor<T>),
    /// `0.5 mean_i (p_i - t_i)^2` of predictions `p` and targets `t`.
    SquaredLoss(Tensor<T>, Tensor<T>),
}

type Grads<T> = SmallVec<[Option<Tensor<T>>; 2]>;

/// The gradient for input `x`, computed only if `x` requires one.
fn need<T: Float>(x: &Tensor<T>, rule: impl FnOnce() -> Tensor<T>) -> Option<Tensor<T>> {
    x.requires_grad_flag().then(rule)
}

impl<T: Float> Op<T> {
    /// The op's inputs, in the order of [`Op::backward`]'s result.
    pub fn inputs(&self) -> SmallVec<[&Tensor<T>; 2]> {
        let mut inputs = SmallVec::new();
        self.for_each_input(|x| inputs.push(x));
        inputs
    }

    /// Calls `f` on each input, in the order of [`inputs`](Op::inputs), building no vector:
    /// recording an op only needs a fold over its inputs (does one require a gradient, their
    /// largest stamp), and inlined into an op that builds a known variant this `match` folds
    /// away.
    #[inline(always)]
    pub fn for_each_input<'a>(&'a self, mut f: impl FnMut(&'a Tensor<T>)) {
        use Op::*;
        match self {
            Add(a, b)
            | Sub(a, b)
            | Mul(a, b)
            | Div(a, b)
            | Pow(a, b)
            | Maximum(a, b)
            | Minimum(a, b)
            | Where(_, a, b)
            | Matmul(a, b)
            | CyclicCorr(a, b)
            | CyclicConv(a, b)
            | CyclicCorrWeight(a, b)
            | ReluGrad(a, b)
            | SquaredLoss(a, b)
            | SoftmaxCrossEntropyGrad(a, b, _) => {
                f(a);
                f(b);
            }
            AddScalar(x)
            | MulScalar(x, _)
            | PowScalar(x, _)
            | Clamp(x, ..)
            | Neg(x)
            | Exp(x)
            | Log(x)
            | Log1p(x)
            | Sqrt(x)
            | Abs(x)
            | Tanh(x)
            | Sigmoid(x)
            | Relu(x)
            | Softplus(x)
            | Copy(x)
            | Reshape(x)
            | Permute(x, _)
            | Broadcast(x)
            | Narrow(x, ..)
            | IndexSelect(x, ..)
            | IndexAdd(x, ..)
            | Sum(x, _)
            | Max(x, _)
            | Min(x, _)
            | Dft(x)
            | DftAdjoint(x)
            | LogisticLoss(x)
            | ExpLoss(x)
            | LogExpLoss(x)
            | SoftmaxCrossEntropy(x, _) => f(x),
            Concat(xs, _) => xs.iter().for_each(f),
        }
    }

    /// The backward rules: given the op's output `out` and the gradient `g` of the final scalar
    /// with respect to `out`, the gradient with respect to each input (`None` for inputs that
    /// need none). No default arm: a new op without a rule does not compile.
    fn backward(&self, out: &Tensor<T>, g: &Tensor<T>) -> Grads<T> {
        use Op::*;
        match self {
            Add(a, b) => smallvec![
                need(a, || g.sum_to(a.shape())),
                need(b, || g.sum_to(b.shape()))
            ],
            Sub(a, b) => smallvec![
                need(a, || g.sum_to(a.shape())),
                need(b, || g.neg().sum_to(b.shape()))
            ],
            Mul(a, b) => smallvec![
                need(a, || g.mul(b).sum_to(a.shape())),
                need(b, || g.mul(a).sum_to(b.shape()))
            ],
            // d(a/b)/db = -a/b^2 = -out/b
            Div(a, b) => smallvec![
                need(a, || g.div(b).sum_to(a.shape())),
                need(b, || g.mul(out).div(b).neg().sum_to(b.shape()))
            ],
            AddScalar(x) => smallvec![need(x, || g.clone())],
            MulScalar(x, c) => smallvec![need(x, || g.mul_scalar(*c))],
            // d x^p = p x^(p-1)
            PowScalar(x, p) => smallvec![need(x, || g
                .mul(&x.pow_scalar(*p - T::one()))
                .mul_scalar(*p))],
            // d x^y = y x^(y-1) dx + x^y ln(x) dy. The logarithm is taken of x with its zeros
            // replaced by 1, so that at x = 0 the y-gradient is 0 (exact for y > 0) rather than
            // 0 * -inf; the replacement is a `where`, so higher orders see x itself elsewhere.
            Pow(x, y) => smallvec![
                need(x, || g
                    .mul(y)
                    .mul(&x.pow(&y.sub_scalar(T::one())))
                    .sum_to(x.shape())),
                need(y, || {
                    let at_zero = x.eq_mask(&Tensor::scalar(T::zero()));
                    let ln_x = at_zero.where_cond(&Tensor::scalar(T::one()), x).log();
                    g.mul(out).mul(&ln_x).sum_to(y.shape())
                })
            ],
            // The larger (smaller) input gets the gradient, each half of it at ties.
            Maximum(a, b) | Minimum(a, b) => {
                let share_a = a.extremum_share(b, matches!(self, Maximum(..)));
                smallvec![
                    need(a, || g.mul(&share_a).sum_to(a.shape())),
                    need(b, || g
                        .mul(&share_a.neg().add_scalar(T::one()))
                        .sum_to(b.shape()))
                ]
            }
            Where(cond, a, b) => {
                let zero = Tensor::scalar(T::zero());
                smallvec![
                    need(a, || cond.where_cond(g, &zero).sum_to(a.shape())),
                    need(b, || cond.where_cond(&zero, g).sum_to(b.shape()))
                ]
            }
            // Passes where lo <= x <= hi, boundaries included; the mask is flat in x.
            Clamp(x, lo, hi) => smallvec![need(x, || g.mul(&x.in_range_mask(*lo, *hi)))],
            Neg(x) => smallvec![need(x, || g.neg())],
            Exp(x) => smallvec![need(x, || g.mul(out))],
            Log(x) => smallvec![need(x, || g.div(x))],
            Log1p(x) => smallvec![need(x, || g.div(&x.add_scalar(T::one())))],
            // d sqrt(x) = 1 / (2 sqrt(x))
            Sqrt(x) => smallvec![need(x, || g.div(out).mul_scalar(T::of(0.5)))],
            Abs(x) => smallvec![need(x, || g.mul(&x.sign()))],
            // d tanh = 1 - tanh^2
            Tanh(x) => smallvec![need(x, || g.mul(&out.mul(out).neg().add_scalar(T::one())))],
            // d sigmoid = s (1 - s)
            Sigmoid(x) => smallvec![need(x, || g.mul(&out.mul(&out.neg().add_scalar(T::one()))))],
            Relu(x) => smallvec![need(x, || g.relu_grad(x))],
            // Linear in dy; the mask 1[x > 0] is flat in x (almost everywhere).
            ReluGrad(dy, x) => smallvec![need(dy, || g.relu_grad(x)), None],
            // d softplus = sigmoid
            Softplus(x) => smallvec![need(x, || g.mul(&x.sigmoid()))],
            // C = A B: dA = G B^T, dB = A^T G (transposes are stride views). An operand that is
            // itself a transposed view (as in `x W^T`) gets its gradient computed as the
            // transpose of a row-major product, so that it is row-major in the leaf's layout.
            Matmul(a, b) => smallvec![
                need(a, || {
                    let ga = if a.layout().is_transposed() {
                        b.matmul(&g.transpose_last()).transpose_last()
                    } else {
                        g.matmul(&b.transpose_last())
                    };
                    ga.sum_to(a.shape())
                }),
                need(b, || {
                    let gb = if b.layout().is_transposed() {
                        g.transpose_last().matmul(a).transpose_last()
                    } else {
                        a.transpose_last().matmul(g)
                    };
                    gb.sum_to(b.shape())
                })
            ],
            Copy(x) => smallvec![need(x, || g.clone())],
            Reshape(x) => smallvec![need(x, || g.reshape(x.dims()))],
            Permute(x, perm) => {
                let mut inverse: Dims = smallvec![0; perm.len()];
                for (i, &p) in perm.iter().enumerate() {
                    inverse[p] = i;
                }
                smallvec![need(x, || g.permute(&inverse))]
            }
            Broadcast(x) => smallvec![need(x, || g.sum_to(x.shape()))],
            // Pad g with zeros back to x's extent along `axis`.
            Narrow(x, axis, start) => smallvec![need(x, || {
                let full = x.dims()[*axis];
                let len = g.dims()[*axis];
                let zeros = |n: usize| {
                    let mut d: Dims = g.dims().into();
                    d[*axis] = n;
                    Tensor::zeros(d)
                };
                Tensor::concat(&[&zeros(*start), g, &zeros(full - start - len)], *axis)
            })],
            Concat(xs, axis) => {
                let mut start = 0;
                xs.iter()
                    .map(|x| {
                        let len = x.dims()[*axis];
                        start += len;
                        need(x, || g.narrow(*axis, start - len, len))
                    })
                    .collect()
            }
            IndexSelect(x, axis, idx) => {
                smallvec![need(x, || g.index_add(*axis, idx, x.dims()[*axis]))]
            }
            IndexAdd(x, axis, idx) => smallvec![need(x, || g.index_select(*axis, idx))],
            Sum(x, axes) => smallvec![need(x, || g.reshape(keep(x, axes)).broadcast_to(x.dims()))],
            // The gradient goes to the maximal (minimal) elements, shared equally among ties.
            Max(x, axes) | Min(x, axes) => smallvec![need(x, || {
                let at_extremum = x.eq_mask(&out.reshape(keep(x, axes)));
                let ties = at_extremum.sum(axes, true);
                g.reshape(keep(x, axes)).mul(&at_extremum).div(&ties)
            })],
            // The three cyclic products are each other's adjoints (see ops/cyclic.rs):
            // corr(x, w) -> dx = conv(G, w), dw = corr_weight(G, x).
            CyclicCorr(x, w) => smallvec![
                need(x, || g.cyclic_conv(w)),
                need(w, || filter_grad(g.cyclic_corr_weight(x), w))
            ],
            // conv(h, w) -> dh = corr(G, w), dw = corr_weight(h, G).
            CyclicConv(h, w) => smallvec![
                need(h, || g.cyclic_corr(w)),
                need(w, || filter_grad(h.cyclic_corr_weight(g), w))
            ],
            // corr_weight(h, x) -> dh = corr(x, G), dx = conv(h, G).
            CyclicCorrWeight(h, x) => {
                smallvec![need(h, || x.cyclic_corr(g)), need(x, || h.cyclic_conv(g))]
            }
            // The DFT is linear: its backward is its adjoint, and the adjoint's is the DFT.
            Dft(x) => smallvec![need(x, || g.dft_adjoint())],
            DftAdjoint(x) => smallvec![need(x, || g.dft())],
            SoftmaxCrossEntropy(x, labels) => {
                smallvec![need(x, || x.softmax_cross_entropy_grad(labels, g))]
            }
            // out = c (s - Y) with s = softmax(x) by rows, Y = onehot(labels), c = dl / n, and
            // upstream gradient G. Then d/dc = sum(G (s - Y)) / n, and since
            // ds_ij/dx_il = s_ij (d_jl - s_il): d/dx = c s (G - rowsum(G s)). Written with
            // recorded ops (the softmax recomputed) so that third derivatives work too.
            SoftmaxCrossEntropyGrad(x, dl, labels) => smallvec![
                need(x, || {
                    let s = x.softmax(1);
                    let gs = g.mul(&s);
                    let n = T::of(x.dims()[0] as f64);
                    gs.sub(&s.mul(&gs.sum(&[1], true))).mul(&dl.div_scalar(n))
                }),
                need(dl, || {
                    let unit = x.softmax_cross_entropy_grad(labels, &Tensor::ones(dl.dims()));
                    g.mul(&unit).sum_all().reshape(dl.dims())
                })
            ],
            // The losses are means over the n = numel elements; g has one element.
            // d/dz mean ln(1 + exp(-z)) = -sigmoid(-z) / n
            LogisticLoss(z) => smallvec![need(z, || z
                .neg()
                .sigmoid()
                .mul(g)
                .mul_scalar(-T::one() / count(z)))],
            // d/dz mean exp(-z) = -exp(-z) / n
            ExpLoss(z) => smallvec![need(z, || z
                .neg()
                .exp()
                .mul(g)
                .mul_scalar(-T::one() / count(z)))],
            // d/dz ln mean exp(-z) = -exp(-z) / (n mean exp(-z)) = -exp(-z - out) / n; the
            // exponent is at most ln n, so it never overflows.
            LogExpLoss(z) => smallvec![need(z, || z
                .neg()
                .sub(out)
                .exp()
                .mul(g)
                .mul_scalar(-T::one() / count(z)))],
            // d/dp 0.5 mean (p - t)^2 = (p - t) / n, d/dt = -(p - t) / n
            SquaredLoss(p, t) => smallvec![
                need(p, || p.sub(t).mul(g).mul_scalar(T::one() / count(p))),
                need(t, || p.sub(t).mul(g).mul_scalar(-T::one() / count(p)))
            ],
        }
    }
}

/// The number of elements of `x`, as `T` (the `n` of a mean).
fn count<T: Float>(x: &Tensor<T>) -> T {
    T::of(x.numel() as f64)
}

/// The gradient of a cyclic filter `w` `[K]` from the full-width one `[D]`: its first `K`
/// entries (the padding beyond `K` is not a parameter).
fn filter_grad<T: Float>(full: Tensor<T>, w: &Tensor<T>) -> Tensor<T> {
    if full.numel() == w.numel() {
        full
    } else {
        full.narrow(0, 0, w.numel())
    }
}

/// `x`'s shape with `axes` set to 1.
fn keep<T: Float>(x: &Tensor<T>, axes: &[usize]) -> Dims {
    crate::shape::keepdim_shape(x.shape(), axes).0
}

/// A gradient on its way back to `node`. A max-heap of these hands out the nodes in an order
/// the backward pass can use: by decreasing [stamp](Tensor::stamp), and a node's stamp is larger
/// than each of its inputs', so every node comes out after all the nodes computed from it, with
/// all their contributions to its gradient. Ties are broken by id, so the contributions to one
/// node come out one after the other and are summed there: no hash map of pending gradients.
struct Pending<T: Float> {
    node: Tensor<T>,
    grad: Tensor<T>,
}

impl<T: Float> Pending<T> {
    fn key(&self) -> (usize, usize) {
        (self.node.stamp(), self.node.id())
    }
}

impl<T: Float> PartialEq for Pending<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl<T: Float> Eq for Pending<T> {}

impl<T: Float> PartialOrd for Pending<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Float> Ord for Pending<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// Options of [`Tensor::backward_with`].
#[derive(Clone, Copy, Debug, Default)]
pub struct BackwardOptions {
    /// Keep the graph after the pass, so that `backward` can run through it again. Without it
    /// the recorded history is freed as the pass goes.
    pub retain_graph: bool,
    /// Record the backward pass itself, so that the gradients can be differentiated again
    /// (Hessian-vector products, gradient penalties). Implies `retain_graph`.
    pub create_graph: bool,
}

impl<T: Float> Tensor<T> {
    /// Backpropagates from this scalar: adds `d self / d leaf` to [`grad`](Tensor::grad) of every
    /// leaf that requires gradients, then frees the graph.
    ///
    /// # Panics
    /// If `self` has more than one element, requires no gradient, or runs through a graph that an
    /// earlier `backward` freed. [`try_backward`](Tensor::try_backward) returns these as errors.
    #[track_caller]
    pub fn backward(&self) {
        ok(self.try_backward_with(BackwardOptions::default()))
    }

    /// Fallible form of [`backward`](Tensor::backward).
    pub fn try_backward(&self) -> Result<()> {
        self.try_backward_with(BackwardOptions::default())
    }

    /// [`backward`](Tensor::backward) with options (retain or record the graph).
    #[track_caller]
    pub fn backward_with(&self, options: BackwardOptions) {
        ok(self.try_backward_with(options))
    }

    /// Fallible form of [`backward_with`](Tensor::backward_with).
    pub fn try_backward_with(&self, options: BackwardOptions) -> Result<()> {
        with_scratch(|scratch| {
            walk(self, options, None, scratch)?;
            set_grad_enabled(options.create_graph, || {
                for (leaf, g) in scratch.found.drain(..) {
                    let total = match leaf.grad() {
                        Some(old) => old.add(&g),
                        None => g,
                    };
                    // Stored contiguous, so optimizers can read it as one slice.
                    leaf.set_grad(Some(total.contiguous()));
                }
            });
            Ok(())
        })
    }
}

/// The gradients of the scalar `output` with respect to each of `inputs` (PyTorch's
/// `torch.autograd.grad`): zeros for an input that `output` does not depend on. Leaves'
/// [`grad`](Tensor::grad) fields are left alone. With `create_graph` the result is recorded,
/// so it can be differentiated again:
///
/// ```
/// use autograd::{grad, Tensor};
/// let x = Tensor::<f64>::from_vec(vec![3.0], [1]).unwrap().requires_grad();
/// let y = x.pow_scalar(3.0).sum_all(); // x^3
/// let dy = grad(&y, &[&x], true).unwrap().remove(0); // 3 x^2 = 27
/// let d2y = grad(&dy.sum_all(), &[&x], false).unwrap().remove(0); // 6 x = 18
/// assert_eq!((dy.item(), d2y.item()), (27.0, 18.0));
/// ```
pub fn grad<T: Float>(
    output: &Tensor<T>,
    inputs: &[&Tensor<T>],
    create_graph: bool,
) -> Result<Vec<Tensor<T>>> {
    let mut wanted: Vec<usize> = inputs.iter().map(|t| t.id()).collect();
    wanted.sort_unstable();
    let options = BackwardOptions {
        retain_graph: true,
        create_graph,
    };
    with_scratch(|scratch| {
        walk(output, options, Some(&wanted), scratch)?;
        let found = &mut scratch.found;
        found.sort_unstable_by_key(|(t, _)| t.id());
        Ok(inputs
            .iter()
            .map(
                |t| match found.binary_search_by_key(&t.id(), |(x, _)| x.id()) {
                    Ok(i) => found[i].1.clone(),
                    Err(_) => Tensor::zeros(t.dims()),
                },
            )
            .collect())
    })
}

/// The backward walk's working memory: the heap of pending gradients (as its `Vec`) and the
/// `(node, gradient)` pairs found. Kept per thread and element type between passes, empty, so
/// that a warm backward allocates nothing for it.
struct Scratch<T: Float> {
    pending: Vec<Pending<T>>,
    found: Vec<(Tensor<T>, Tensor<T>)>,
}

impl<T: Float> Default for Scratch<T> {
    fn default() -> Self {
        Scratch {
            pending: Vec::new(),
            found: Vec::new(),
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<(Scratch<f32>, Scratch<f64>)> = RefCell::new(Default::default());
}

/// Runs `f` on this thread's scratch for `T`, and puts it back emptied (dropping the tensors
/// it still holds, so that no graph outlives its pass). The scratch is moved out of the
/// thread-local for the call: a nested pass, or one after a panic, starts from fresh vectors.
fn with_scratch<T: Float, R>(f: impl FnOnce(&mut Scratch<T>) -> R) -> R {
    fn slot<T: Float>(both: &mut (Scratch<f32>, Scratch<f64>)) -> Option<&mut Scratch<T>> {
        per_type(&mut both.0, &mut both.1)
    }
    let take = |s: &RefCell<_>| slot(&mut s.borrow_mut()).map(std::mem::take);
    let mut scratch = SCRATCH.try_with(take).ok().flatten().unwrap_or_default();
    let result = f(&mut scratch);
    scratch.pending.clear();
    scratch.found.clear();
    // Fails only during thread teardown, when the scratch is simply freed.
    let _ = SCRATCH.try_with(|s| slot(&mut s.borrow_mut()).map(|s| *s = scratch));
    result
}

/// One backward pass from the scalar `root`. Leaves in `scratch.found` the gradient of every
/// leaf that requires one, or, with `wanted` (sorted ids), of the nodes with those ids.
fn walk<T: Float>(
    root: &Tensor<T>,
    options: BackwardOptions,
    wanted: Option<&[usize]>,
    scratch: &mut Scratch<T>,
) -> Result<()> {
    if root.numel() != 1 {
        return Err(Error::new(
            "backward",
            format!(
                "output has shape {:?}; backward starts from a scalar (one element)",
                root.shape()
            ),
        ));
    }
    if !root.requires_grad_flag() {
        return Err(Error::new(
            "backward",
            "the output requires no gradient: no input requires one, or it was computed under no_grad",
        ));
    }
    let retain = options.retain_graph || options.create_graph;
    let mut pending = BinaryHeap::from(std::mem::take(&mut scratch.pending));
    pending.push(Pending {
        node: root.clone(),
        grad: Tensor::ones(root.dims()),
    });
    let result = &mut scratch.found;
    let walked = set_grad_enabled(options.create_graph, || {
        while let Some(Pending { node, mut grad }) = pending.pop() {
            // The other contributions to this node's gradient are next in the heap.
            while let Some(next) = pending.peek_mut() {
                if next.node.id() != node.id() {
                    break;
                }
                grad = grad.add(&PeekMut::pop(next).grad);
            }
            let mut history = node.history();
            let is_wanted = wanted.map_or(matches!(*history, Recorded::Leaf), |w| {
                w.binary_search(&node.id()).is_ok()
            });
            if is_wanted {
                result.push((node.clone(), grad.clone()));
            }
            match &*history {
                Recorded::Op(op) => {
                    for (x, gx) in op.inputs().into_iter().zip(op.backward(&node, &grad)) {
                        let Some(gx) = gx else { continue };
                        debug_assert_eq!(gx.shape(), x.shape(), "backward rule shape");
                        pending.push(Pending {
                            node: x.clone(),
                            grad: gx,
                        });
                    }
                }
                Recorded::Freed => {
                    return Err(Error::new(
                        "backward",
                        "the graph was freed by an earlier backward; pass \
                         BackwardOptions { retain_graph: true, .. } to the first one to run backward twice",
                    ))
                }
                Recorded::Leaf | Recorded::Constant => {}
            }
            if !retain && matches!(*history, Recorded::Op(_)) {
                *history = Recorded::Freed;
            }
        }
        Ok(())
    });
    scratch.pending = pending.into_vec();
    walked
}
