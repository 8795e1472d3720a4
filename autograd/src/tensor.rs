//! The [`Tensor`]: a reference-counted, possibly strided view of a buffer, with the record of
//! how it was computed (its place on the tape).

use crate::backprop::{Op, Recorded};
use crate::element::Float;
use crate::error::{ok, Error, Result};
use crate::kernels::elementwise::gather_strided;
use crate::node::{self, Data, NodeRef};
use crate::pool;
use crate::shape::{Layout, Shape};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use std::cell::Cell;
use std::fmt;
use std::sync::{Arc, Mutex, RwLockReadGuard};

/// A dense tensor of `f32` or `f64` of any rank, row-major, with reverse-mode autodiff.
///
/// Cloning a `Tensor` is cheap: clones share the node (data, gradient and history).
/// Operations on tensors that require gradients are recorded (define-by-run, as in PyTorch);
/// [`Tensor::backward`] then fills [`Tensor::grad`] of every leaf that requires it.
///
/// ```
/// use autograd::Tensor;
/// let w = Tensor::<f64>::from_vec(vec![1.0, -2.0], [2]).unwrap().requires_grad();
/// let loss = w.mul(&w).sum_all(); // ||w||^2
/// loss.backward();
/// assert_eq!(w.grad().unwrap().to_vec(), vec![2.0, -4.0]); // 2 w
/// ```
pub struct Tensor<T: Float = f64>(pub(crate) NodeRef<T, TapeEntry<T>>);

/// What the tape keeps in a tensor's node.
pub(crate) struct TapeEntry<T: Float> {
    /// 0 for a tensor not computed by a recorded op, else 1 + the largest stamp of the op's
    /// inputs (a Lamport clock): larger than every input's, so the backward walk can visit
    /// nodes by decreasing stamp with no graph sort and no visited set.
    stamp: usize,
    /// Leaves that require gradients and results of recorded ops have this set.
    requires_grad: bool,
    history: Mutex<Recorded<T>>,
    grad: Mutex<Option<Tensor<T>>>,
}

/// The number of tensor nodes alive in the process (all threads): a way to check that a
/// training loop frees its graphs. Exact when no other thread is making or dropping tensors.
pub fn live_tensors() -> usize {
    node::live_nodes()
}

/// Sets this thread's bound on pooled bytes per element type (0 disables pooling: buffers,
/// storage shells and node blocks then go back to the allocator), freeing what the
/// [pool](crate::pool) and the node cache hold now.
pub fn set_pool_limit(bytes: usize) {
    pool::set_limit(bytes);
    node::set_cache(bytes > 0);
}

/// Frees every buffer this thread's [pool](crate::pool) holds, and its cached node blocks and
/// storage shells (the limit stays).
pub fn clear_pool() {
    set_pool_limit(pool::pool_limit())
}

/// Tensors cross threads (experiments run in parallel): checked at compile time.
const _: fn() = || {
    fn send_and_sync<X: Send + Sync>() {}
    send_and_sync::<Tensor<f32>>();
    send_and_sync::<Tensor<f64>>();
};

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Runs `f` without recording any operation (PyTorch's `torch.no_grad()`), on this thread.
///
/// ```
/// use autograd::{no_grad, Tensor};
/// let w = Tensor::<f64>::ones([3]).requires_grad();
/// let y = no_grad(|| w.mul_scalar(2.0));
/// assert!(!y.requires_grad_flag());
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    set_grad_enabled(false, f)
}

/// Runs `f` with recording switched on or off, restoring the previous state afterwards (also
/// when `f` panics).
pub fn set_grad_enabled<R>(enabled: bool, f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            GRAD_ENABLED.with(|g| g.set(self.0));
        }
    }
    let _restore = Restore(GRAD_ENABLED.with(|g| g.replace(enabled)));
    f()
}

/// True unless inside [`no_grad`].
#[inline]
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

impl<T: Float> Clone for Tensor<T> {
    fn clone(&self) -> Self {
        Tensor(self.0.clone())
    }
}

impl<T: Float> Tensor<T> {
    // ----- construction -------------------------------------------------------------------

    /// The node, with `contiguous == layout.is_contiguous()` (passed in: often it is known).
    #[inline(always)] // moves the layout and node once, not through every layer
    fn from_parts(
        data: Data<T>,
        layout: Layout,
        contiguous: bool,
        history: Recorded<T>,
        stamp: usize,
    ) -> Self {
        let requires_grad = !matches!(history, Recorded::Constant);
        Tensor(NodeRef::new(data, layout, contiguous, || TapeEntry {
            stamp,
            requires_grad,
            history: Mutex::new(history),
            grad: Mutex::new(None),
        }))
    }

    /// A constant tensor owning `data` laid out contiguously with `shape`. Internal: the length
    /// is trusted.
    pub(crate) fn from_data(data: Vec<T>, shape: Shape) -> Self {
        debug_assert_eq!(data.len(), shape.numel());
        Self::from_parts(
            Data::Fresh(data),
            Layout::contiguous(shape),
            true,
            Recorded::Constant,
            0,
        )
    }

    /// The result of an op: records `op` when gradients are enabled and an input requires them.
    #[inline(always)] // every op's last step: a call moved the buffer, shape and op through memory
    pub(crate) fn from_op(data: Vec<T>, shape: Shape, op: Op<T>) -> Self {
        Self::recorded(Data::Fresh(data), Layout::contiguous(shape), true, op)
    }

    /// A view of this tensor's storage with another layout, computed by `op`.
    pub(crate) fn view_op(&self, layout: Layout, op: Op<T>) -> Self {
        let contiguous = layout.is_contiguous();
        Self::recorded(
            Data::Shared(Arc::clone(&self.0.storage)),
            layout,
            contiguous,
            op,
        )
    }

    #[inline(always)] // moves the layout and node once, not through every layer
    fn recorded(data: Data<T>, layout: Layout, contiguous: bool, op: Op<T>) -> Self {
        // One pass over the inputs: does one require a gradient, and their largest stamp.
        let (mut requires_grad, mut stamp) = (false, 0);
        op.for_each_input(|t| {
            requires_grad |= t.0.record.requires_grad;
            stamp = stamp.max(t.0.record.stamp);
        });
        if requires_grad && is_grad_enabled() {
            Self::from_parts(data, layout, contiguous, Recorded::Op(op), stamp + 1)
        } else {
            Self::from_parts(data, layout, contiguous, Recorded::Constant, 0)
        }
    }

    /// A tensor with `data` laid out row-major in `shape`.
    ///
    /// Fails if `data.len()` differs from the product of the dimensions.
    pub fn from_vec(data: Vec<T>, shape: impl Into<Shape>) -> Result<Self> {
        let shape = shape.into();
        if data.len() != shape.numel() {
            return Err(Error::new(
                "from_vec",
                format!(
                    "{} values do not fill shape {shape:?} ({} elements)",
                    data.len(),
                    shape.numel()
                ),
            ));
        }
        Ok(Self::from_data(data, shape))
    }

    /// A scalar (rank-0) tensor.
    pub fn scalar(value: T) -> Self {
        Self::full(Shape::default(), value)
    }

    /// A tensor of `shape` filled with `value`.
    pub fn full(shape: impl Into<Shape>, value: T) -> Self {
        let shape = shape.into();
        Self::from_data(pool::filled(shape.numel(), value), shape)
    }

    /// A tensor of zeros.
    pub fn zeros(shape: impl Into<Shape>) -> Self {
        Self::full(shape, T::zero())
    }

    /// A tensor of ones.
    pub fn ones(shape: impl Into<Shape>) -> Self {
        Self::full(shape, T::one())
    }

    /// The vector `[0, 1, ..., n - 1]`.
    pub fn arange(n: usize) -> Self {
        Self::from_data((0..n).map(|i| T::of(i as f64)).collect(), Shape::from([n]))
    }

    /// The `n x n` identity matrix.
    pub fn eye(n: usize) -> Self {
        let mut data = pool::zeros(n * n);
        for i in 0..n {
            data[i * n + i] = T::one();
        }
        Self::from_data(data, Shape::from([n, n]))
    }

    /// Independent draws from the uniform distribution on `[low, high)`, from `rng`.
    pub fn uniform(shape: impl Into<Shape>, low: f64, high: f64, rng: &mut impl Rng) -> Self {
        let shape = shape.into();
        let data = (0..shape.numel())
            .map(|_| T::of(rng.gen_range(low..high)))
            .collect();
        Self::from_data(data, shape)
    }

    /// Independent draws from the normal distribution with mean `mean` and standard deviation
    /// `std`, from `rng`.
    pub fn normal(shape: impl Into<Shape>, mean: f64, std: f64, rng: &mut impl Rng) -> Self {
        let shape = shape.into();
        let data = (0..shape.numel())
            .map(|_| {
                let z: f64 = StandardNormal.sample(rng);
                T::of(mean + std * z)
            })
            .collect();
        Self::from_data(data, shape)
    }

    /// A new leaf sharing this tensor's data that requires gradients (a parameter):
    /// `backward` will fill its [`grad`](Tensor::grad).
    pub fn requires_grad(self) -> Self {
        let t = self.contiguous();
        Self::from_parts(
            Data::Shared(Arc::clone(&t.0.storage)),
            t.0.layout.clone(),
            t.0.contiguous,
            Recorded::Leaf,
            0,
        )
    }

    /// A constant sharing this tensor's data, cut from the tape: nothing flows back through it.
    pub fn detach(&self) -> Self {
        Self::from_parts(
            Data::Shared(Arc::clone(&self.0.storage)),
            self.0.layout.clone(),
            self.0.contiguous,
            Recorded::Constant,
            0,
        )
    }

    // ----- accessors ----------------------------------------------------------------------

    /// The shape.
    pub fn shape(&self) -> &Shape {
        &self.0.layout.shape
    }

    /// The dimensions, as a slice.
    pub fn dims(&self) -> &[usize] {
        self.0.layout.shape.dims()
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape().rank()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape().numel()
    }

    /// True for a leaf made with [`requires_grad`](Tensor::requires_grad) and for every recorded
    /// result computed from one.
    pub fn requires_grad_flag(&self) -> bool {
        self.0.record.requires_grad
    }

    /// True for a tensor not computed by a recorded op (constants and parameters).
    pub fn is_leaf(&self) -> bool {
        !matches!(*self.history(), Recorded::Op(_) | Recorded::Freed)
    }

    /// A number identifying this tensor's node (clones share it).
    pub fn id(&self) -> usize {
        self.0.id
    }

    /// The node's place in the recording order (see `Node::stamp`).
    pub(crate) fn stamp(&self) -> usize {
        self.0.record.stamp
    }

    pub(crate) fn history(&self) -> std::sync::MutexGuard<'_, Recorded<T>> {
        self.0
            .record
            .history
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Where the elements sit in the storage (shape, strides, offset).
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Vec<T>> {
        self.0.storage.read()
    }

    /// The elements in row-major order, as a new `Vec`.
    pub fn to_vec(&self) -> Vec<T> {
        let data = self.read();
        let l = self.layout();
        let mut v = pool::take(self.numel());
        if self.0.contiguous {
            v.extend_from_slice(&data[l.offset..l.offset + self.numel()]);
        } else {
            gather_strided(&data, l, &mut v);
        }
        v
    }

    /// Calls `f` with the elements as a contiguous slice (copying only if this is a strided view).
    pub fn with_slice<R>(&self, f: impl FnOnce(&[T]) -> R) -> R {
        let l = self.layout();
        if self.0.contiguous {
            let data = self.read();
            f(&data[l.offset..l.offset + self.numel()])
        } else {
            f(&self.to_vec())
        }
    }

    /// The value of a one-element tensor (of any rank).
    #[track_caller]
    pub fn item(&self) -> T {
        ok(self.try_item())
    }

    /// The value of a one-element tensor, or an error naming the shape.
    pub fn try_item(&self) -> Result<T> {
        if self.numel() != 1 {
            return Err(Error::new(
                "item",
                format!(
                    "shape {:?} has {} elements, not 1",
                    self.shape(),
                    self.numel()
                ),
            ));
        }
        Ok(self.read()[self.layout().offset])
    }

    /// The element at multi-index `idx` (for tests and inspection).
    #[track_caller]
    pub fn at(&self, idx: &[usize]) -> T {
        let l = self.layout();
        if idx.len() != l.shape.rank() || idx.iter().zip(l.shape.dims()).any(|(&i, &d)| i >= d) {
            panic!("at: index {idx:?} out of range for shape {:?}", l.shape);
        }
        let o = l.offset
            + idx
                .iter()
                .zip(&l.strides)
                .map(|(i, s)| i * s)
                .sum::<usize>();
        self.read()[o]
    }

    /// A contiguous tensor with the same values: `self` if already contiguous, else a copy
    /// (recorded, so gradients flow through it).
    pub fn contiguous(&self) -> Self {
        if self.0.contiguous && self.layout().offset == 0 && self.read().len() == self.numel() {
            return self.clone();
        }
        Self::from_op(self.to_vec(), self.shape().clone(), Op::Copy(self.clone()))
    }

    // ----- gradients and in-place updates -------------------------------------------------

    /// The gradient accumulated by [`backward`](Tensor::backward), if any.
    pub fn grad(&self) -> Option<Tensor<T>> {
        self.0
            .record
            .grad
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the accumulated gradient.
    pub fn set_grad(&self, grad: Option<Tensor<T>>) {
        *self.0.record.grad.lock().unwrap_or_else(|e| e.into_inner()) = grad;
    }

    /// Clears the accumulated gradient (gradients accumulate across `backward` calls until this).
    pub fn zero_grad(&self) {
        self.set_grad(None);
    }

    /// Changes the elements in place through `f`, which sees them as one row-major slice. This
    /// is how optimizers update parameters; it records nothing. Fails on a strided view.
    ///
    /// Tensors saved by a retained graph that share this storage see the new values.
    pub fn try_update(&self, f: impl FnOnce(&mut [T])) -> Result<()> {
        let l = self.layout();
        if !self.0.contiguous {
            return Err(Error::new(
                "update",
                format!(
                    "strided view of shape {:?} cannot be updated in place",
                    l.shape
                ),
            ));
        }
        let mut data = self.0.storage.write();
        f(&mut data[l.offset..l.offset + self.numel()]);
        Ok(())
    }

    /// Panicking form of [`try_update`](Tensor::try_update).
    #[track_caller]
    pub fn update(&self, f: impl FnOnce(&mut [T])) {
        ok(self.try_update(f))
    }

    /// Overwrites the elements with those of `src` (same shape), recording nothing.
    #[track_caller]
    pub fn assign(&self, src: &Tensor<T>) {
        ok(self.try_assign(src))
    }

    /// Fallible form of [`assign`](Tensor::assign).
    pub fn try_assign(&self, src: &Tensor<T>) -> Result<()> {
        if src.shape() != self.shape() {
            return Err(Error::new(
                "assign",
                format!("{:?} <- {:?}: shapes differ", self.shape(), src.shape()),
            ));
        }
        let values = src.to_vec();
        self.try_update(|d| d.copy_from_slice(&values))
    }

    /// Converts the elements to another float type (a constant: records nothing).
    pub fn cast<U: Float>(&self) -> Tensor<U> {
        let data = self.to_vec().into_iter().map(|x| U::of(x.f64())).collect();
        Tensor::from_data(data, self.shape().clone())
    }
}

impl<T: Float> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Prints `Tensor[2, 3] f64 [1, 2, 3, 4, 5, 6]`, eliding the middle of long tensors.
impl<T: Float> fmt::Display for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const EDGE: usize = 4;
        let v = self.to_vec();
        write!(f, "Tensor{:?} {} [", self.shape(), T::DTYPE)?;
        let show = |f: &mut fmt::Formatter<'_>, xs: &[T]| -> fmt::Result {
            for (i, x) in xs.iter().enumerate() {
                if i > 0 {
                    write!(f, ", ")?;
                }
                write!(f, "{x}")?;
            }
            Ok(())
        };
        if v.len() <= 2 * EDGE + 1 {
            show(f, &v)?;
        } else {
            show(f, &v[..EDGE])?;
            write!(f, ", ... ({} more), ", v.len() - 2 * EDGE)?;
            show(f, &v[v.len() - EDGE..])?;
        }
        write!(f, "]")?;
        if self.0.record.requires_grad {
            write!(f, " (requires grad)")?;
        }
        Ok(())
    }
}
