//! The [`Tensor`]: a reference-counted, possibly strided view of a buffer, with the record of
//! how it was computed (its place on the tape).

use crate::backprop::{Op, Recorded};
use crate::element::Float;
use crate::error::{ok, Error, Result};
use crate::kernels::elementwise::gather_strided;
use crate::node_ref::NodeRef;
use crate::pool;
use crate::shape::{Layout, Shape};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use std::cell::Cell;
use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

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
pub struct Tensor<T: Float = f64>(pub(crate) NodeRef<T>);

pub(crate) struct Node<T: Float> {
    pub id: usize,
    /// 0 for a tensor not computed by a recorded op, else 1 + the largest stamp of the op's
    /// inputs (a Lamport clock): larger than every input's, so the backward walk can visit
    /// nodes by decreasing stamp with no graph sort and no visited set.
    pub stamp: usize,
    /// Taken out by hand when the node dies (`NodeRef::drop`), to go back to the pool.
    pub storage: ManuallyDrop<Arc<Storage<T>>>,
    pub layout: Layout,
    /// `layout.is_contiguous()`, computed once: every read asks.
    pub contiguous: bool,
    /// Leaves that require gradients and results of recorded ops have this set.
    pub requires_grad: bool,
    pub history: Mutex<Recorded<T>>,
    pub grad: Mutex<Option<Tensor<T>>>,
}

/// A buffer shared by a tensor and its views. When the last of them drops, the buffer goes
/// back to this thread's [pool](crate::pool) for the next op to reuse.
pub(crate) struct Storage<T: Float>(RwLock<Vec<T>>);

impl<T: Float> Storage<T> {
    /// Wraps `data`, in `shell` (a shell from the pool) if there is one.
    #[inline(always)] // every op with a fresh buffer: a call of its own cost half of it
    fn new(data: Vec<T>, shell: Option<UniqueShell<T>>) -> Arc<Self> {
        match shell {
            Some(shell) => shell.fill(data),
            None => Arc::new(Storage(RwLock::new(data))),
        }
    }

    /// Moves the buffer out, leaving an empty one.
    pub(crate) fn take(&mut self) -> Vec<T> {
        std::mem::take(self.0.get_mut().unwrap_or_else(|e| e.into_inner()))
    }
}

/// A storage shell holding an empty buffer that nothing else references: the
/// [pool](crate::pool) keeps these, and a new tensor's storage is one filled with its data.
/// Uniqueness is checked once, when the shell is made ([`UniqueShell::empty`], by
/// `Arc::get_mut`), so that filling it needs no second check: `Arc::get_mut` costs an atomic
/// compare-exchange, about 30 instructions of a 500-instruction op.
pub(crate) struct UniqueShell<T: Float>(Arc<Storage<T>>);

impl<T: Float> UniqueShell<T> {
    /// The buffer of `storage` and its emptied shell, if `storage` is the only reference to it.
    pub(crate) fn empty(mut storage: Arc<Storage<T>>) -> Option<(Vec<T>, Self)> {
        let buffer = Arc::get_mut(&mut storage)?.take();
        Some((buffer, UniqueShell(storage)))
    }

    /// The shell, holding `data`.
    #[inline(always)]
    fn fill(self, data: Vec<T>) -> Arc<Storage<T>> {
        let storage = Arc::as_ptr(&self.0).cast_mut();
        // SAFETY: `Arc::get_mut` found this `Arc` the only reference (strong count 1, no
        // `Weak`) when `empty` made the shell, and it still is: the field is private to this
        // module, a `UniqueShell` is neither cloned nor shared, and nothing in the crate makes a
        // `Weak<Storage>`. So no other reference to the storage exists and writing through the
        // `Arc`'s pointer is what `Arc::get_mut` would allow; the old buffer is empty.
        unsafe {
            *(*storage).0.get_mut().unwrap_or_else(|e| e.into_inner()) = data;
        }
        self.0
    }
}

impl<T: Float> Drop for Storage<T> {
    fn drop(&mut self) {
        pool::recycle(self.take());
    }
}

/// Ids are handed out in blocks of this many per thread, so that making a node touches a
/// thread-local counter rather than a shared atomic.
const ID_BLOCK: usize = 1 << 16;
static NEXT_ID_BLOCK: AtomicUsize = AtomicUsize::new(0);

/// A thread's block of node ids: the next one and the end of the block. It lives in the
/// thread's [pool](crate::pool), so that making a node visits one thread-local, not three.
#[derive(Default)]
pub(crate) struct Ids {
    next: usize,
    end: usize,
}

impl Ids {
    /// A process-wide unique node id (a fresh block when this one is used up).
    #[inline]
    pub(crate) fn next_id(&mut self) -> usize {
        if self.next == self.end {
            self.next = NEXT_ID_BLOCK.fetch_add(ID_BLOCK, Ordering::Relaxed);
            self.end = self.next + ID_BLOCK;
        }
        self.next += 1;
        self.next - 1
    }
}

/// The count of live nodes, kept per thread so that making and dropping a node costs a plain
/// load and store rather than a locked read-modify-write on a cache line shared by all threads.
/// Each thread's counter holds the nodes it made minus those it dropped (it may be negative:
/// a node can die on another thread); the sum over all threads, plus the balances of threads
/// that have exited, is the number alive.
pub(crate) mod live {
    use std::sync::atomic::{AtomicIsize, Ordering};
    use std::sync::{Arc, Mutex};

    /// The counters of the running threads.
    static THREADS: Mutex<Vec<Arc<AtomicIsize>>> = Mutex::new(Vec::new());
    /// The balances of the threads that have exited.
    static RETIRED: AtomicIsize = AtomicIsize::new(0);

    /// A thread's counter, registered in `THREADS` while it lives. It lives in the thread's
    /// [pool](crate::pool) (one thread-local visit per node made or dropped).
    pub(crate) struct Counter(Arc<AtomicIsize>);

    impl Counter {
        pub(crate) fn register() -> Self {
            let counter = Arc::new(AtomicIsize::new(0));
            threads().push(Arc::clone(&counter));
            Counter(counter)
        }

        /// Adds `delta` to this thread's count.
        #[inline]
        pub(crate) fn add(&self, delta: isize) {
            // Only the owning thread writes its counter: no read-modify-write needed.
            let c = &self.0;
            c.store(c.load(Ordering::Relaxed) + delta, Ordering::Relaxed);
        }
    }

    impl Drop for Counter {
        fn drop(&mut self) {
            let mut threads = threads();
            threads.retain(|c| !Arc::ptr_eq(c, &self.0));
            RETIRED.fetch_add(self.0.load(Ordering::Relaxed), Ordering::Relaxed);
        }
    }

    fn threads() -> std::sync::MutexGuard<'static, Vec<Arc<AtomicIsize>>> {
        THREADS.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `delta` to the retired balance: for nodes made or dropped while the thread's
    /// counter is gone (thread teardown).
    pub(crate) fn add_retired(delta: isize) {
        RETIRED.fetch_add(delta, Ordering::Relaxed);
    }

    /// The sum of all counts.
    pub(super) fn total() -> usize {
        let threads = threads();
        let running: isize = threads.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        (running + RETIRED.load(Ordering::Relaxed)).max(0) as usize
    }
}

/// The number of tensor nodes alive in the process (all threads): a way to check that a
/// training loop frees its graphs. Exact when no other thread is making or dropping tensors.
pub fn live_tensors() -> usize {
    live::total()
}

/// The buffer of a new node: a fresh one, or the storage of the tensor it views.
enum Data<T: Float> {
    Fresh(Vec<T>),
    Shared(Arc<Storage<T>>),
}

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
        let pool::NodeParts { shell, block, id } =
            pool::take_node_parts(matches!(data, Data::Fresh(_)));
        let storage = match data {
            Data::Fresh(v) => Storage::new(v, shell),
            Data::Shared(s) => s,
        };
        debug_assert_eq!(contiguous, layout.is_contiguous());
        let requires_grad = !matches!(history, Recorded::Constant);
        Tensor(NodeRef::new(block, || Node {
            id,
            stamp,
            storage: ManuallyDrop::new(storage),
            contiguous,
            layout,
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
            requires_grad |= t.0.requires_grad;
            stamp = stamp.max(t.0.stamp);
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
        self.0.requires_grad
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
        self.0.stamp
    }

    pub(crate) fn history(&self) -> std::sync::MutexGuard<'_, Recorded<T>> {
        self.0.history.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where the elements sit in the storage (shape, strides, offset).
    pub fn layout(&self) -> &Layout {
        &self.0.layout
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Vec<T>> {
        self.0.storage.0.read().unwrap_or_else(|e| e.into_inner())
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
            .grad
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the accumulated gradient.
    pub fn set_grad(&self, grad: Option<Tensor<T>>) {
        *self.0.grad.lock().unwrap_or_else(|e| e.into_inner()) = grad;
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
        let mut data = self.0.storage.0.write().unwrap_or_else(|e| e.into_inner());
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
        if self.0.requires_grad {
            write!(f, " (requires grad)")?;
        }
        Ok(())
    }
}
