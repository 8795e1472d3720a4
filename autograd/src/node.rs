//! The memory behind a [`Tensor`](crate::Tensor): its node in a counted heap block, the storage
//! it shares with its views, node ids, the count of live nodes, and this thread's cache of what
//! dead nodes leave behind, so that a warm op allocates nothing.
//!
//! * [`NodeRef`]: `Arc<Node>`'s semantics (clones share the node, the last drop frees it), but
//!   the node's heap block goes back to this thread's cache and the next node reuses it. Why
//!   not `Arc`: a chain of small recorded ops makes thousands of nodes and frees them all at
//!   once when the graph dies; past the system allocator's small per-thread cache (7 blocks of
//!   a size in glibc), each free and malloc of a node took about 100 instructions more.
//! * [`Storage`]: a buffer shared by a tensor and its views. When the node of the last of them
//!   dies, the buffer goes back to the [pool](crate::pool) and the storage's reference-counted
//!   shell to the cache, and a new node's storage is a cached shell filled with its buffer.
//! * Node ids, handed out in per-thread blocks, and the count of live nodes
//!   ([`live_nodes`]).
//!
//! Making a node visits the cache once (its block, its shell, its id, the live count), and so
//! does a node's death. The cache keeps at most [`MAX_CACHED`] shells per element type and
//! blocks per size, and is set with the pool ([`set_cache`], called by
//! [`set_pool_limit`](crate::set_pool_limit)): it keeps nothing while the pool's limit is 0.
//!
//! A node is generic over `R`, what the tape records for it (the tensor's history and
//! gradient): this module knows nothing of the tape. So that the cache can hold blocks without
//! naming `R`, blocks are cached by size class ([`class`]).

use crate::element::{per_type, Float};
use crate::pool;
use crate::shape::Layout;
use std::alloc::{alloc, dealloc, handle_alloc_error};
use std::cell::RefCell;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::{addr_of_mut, NonNull};
use std::sync::atomic::{fence, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A tensor's node: its id, its data (a view of a storage) and what the tape records for it.
pub(crate) struct Node<T: Float, R> {
    pub id: usize,
    /// Taken out by hand when the node dies ([`NodeRef`]'s `drop`), to go back to the cache.
    pub storage: ManuallyDrop<Arc<Storage<T>>>,
    pub layout: Layout,
    /// `layout.is_contiguous()`, computed once: every read asks.
    pub contiguous: bool,
    /// The tape's part of the node.
    pub record: R,
}

/// The data of a new node: a fresh buffer, or the storage of the tensor it views.
pub(crate) enum Data<T: Float> {
    Fresh(Vec<T>),
    Shared(Arc<Storage<T>>),
}

// ----- storage ----------------------------------------------------------------------------

/// A buffer shared by a tensor and its views.
pub(crate) struct Storage<T: Float>(RwLock<Vec<T>>);

impl<T: Float> Storage<T> {
    /// Wraps `data`, in `shell` (a shell from the cache) if there is one.
    #[inline(always)] // every op with a fresh buffer: a call of its own cost half of it
    fn new(data: Vec<T>, shell: Option<UniqueShell<T>>) -> Arc<Self> {
        match shell {
            Some(shell) => shell.fill(data),
            None => Arc::new(Storage(RwLock::new(data))),
        }
    }

    /// The buffer, for reading.
    #[inline]
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Vec<T>> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The buffer, for writing.
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Vec<T>> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the buffer out, leaving an empty one.
    fn take(&mut self) -> Vec<T> {
        std::mem::take(self.0.get_mut().unwrap_or_else(|e| e.into_inner()))
    }
}

/// A storage whose last reference is not a node's (a tensor's views die in any order) gives
/// its buffer back to the pool when it drops.
impl<T: Float> Drop for Storage<T> {
    fn drop(&mut self) {
        pool::recycle(self.take());
    }
}

/// A storage shell holding an empty buffer that nothing else references: the cache keeps
/// these, and a new node's storage is one filled with its data. Uniqueness is checked once,
/// when the shell is made ([`UniqueShell::empty`], by `Arc::get_mut`), so that filling it needs
/// no second check: `Arc::get_mut` costs an atomic compare-exchange, about 30 instructions of a
/// 500-instruction op.
struct UniqueShell<T: Float>(Arc<Storage<T>>);

impl<T: Float> UniqueShell<T> {
    /// The buffer of `storage` and its emptied shell, if `storage` is the only reference to it.
    fn empty(mut storage: Arc<Storage<T>>) -> Option<(Vec<T>, Self)> {
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

// ----- the counted reference --------------------------------------------------------------

/// A node and its reference count, in one heap block.
struct Counted<T: Float, R> {
    refs: AtomicUsize,
    node: Node<T, R>,
}

/// Bytes per size class of node blocks: a block of class `c` has `(c + 1) CLASS_BYTES` bytes,
/// aligned to `CLASS_BYTES`.
const CLASS_BYTES: usize = 16;

/// Size classes of node blocks: nodes up to `CLASSES * CLASS_BYTES` bytes.
const CLASSES: usize = 32;

/// The size class of the blocks that hold a `Counted<T, R>` (checked at compile time to be one
/// of the [`CLASSES`]).
const fn class<T: Float, R>() -> usize {
    let (size, align) = (size_of::<Counted<T, R>>(), align_of::<Counted<T, R>>());
    assert!(
        align <= CLASS_BYTES && size <= CLASSES * CLASS_BYTES,
        "a node outgrows the block size classes: raise CLASSES"
    );
    size.div_ceil(CLASS_BYTES) - 1
}

/// The layout of a block of size class `class`.
fn class_layout(class: usize) -> std::alloc::Layout {
    std::alloc::Layout::from_size_align((class + 1) * CLASS_BYTES, CLASS_BYTES)
        .expect("a size class is a valid layout")
}

/// A heap block with room for one [`Counted`], holding no value. Dropping it frees it.
struct Block<T: Float, R>(NonNull<Counted<T, R>>);

impl<T: Float, R> Block<T, R> {
    /// The class of these blocks, evaluated at compile time.
    const CLASS: usize = class::<T, R>();

    fn alloc() -> Self {
        let layout = class_layout(Self::CLASS);
        // SAFETY: the layout is not zero-sized.
        let ptr = unsafe { alloc(layout) }.cast::<Counted<T, R>>();
        Block(NonNull::new(ptr).unwrap_or_else(|| handle_alloc_error(layout)))
    }

    /// The block's address, no longer freed on drop.
    fn into_raw(self) -> NonNull<Counted<T, R>> {
        ManuallyDrop::new(self).0
    }
}

impl<T: Float, R> Drop for Block<T, R> {
    fn drop(&mut self) {
        // SAFETY: allocated with its class's layout (by `alloc`, or as a block of the class it
        // is cached under), and holds no value.
        unsafe { dealloc(self.0.as_ptr().cast(), class_layout(Self::CLASS)) }
    }
}

/// A counted reference to a node.
pub(crate) struct NodeRef<T: Float, R>(NonNull<Counted<T, R>>);

// SAFETY: as for `Arc<Node<T, R>>`: the count is atomic, and a node is shared between threads
// only through `&Node<T, R>`, whose fields are Send + Sync when `R` is (locks, atomics, and for
// the tape's record, `Tensor`s, which are Send + Sync by this very impl).
unsafe impl<T: Float, R: Send + Sync> Send for NodeRef<T, R> {}
// SAFETY: see `Send`.
unsafe impl<T: Float, R: Send + Sync> Sync for NodeRef<T, R> {}

impl<T: Float, R> NodeRef<T, R> {
    /// A new node with one reference: `data` laid out by `layout` (`contiguous` tells whether
    /// it is contiguous), and the tape's `record`. The block and the parts come from the cache
    /// before the node is built, so that (inlined) the node is written straight into its block
    /// rather than built on the stack and copied (~200 bytes).
    #[inline(always)]
    pub(crate) fn new(
        data: Data<T>,
        layout: Layout,
        contiguous: bool,
        record: impl FnOnce() -> R,
    ) -> Self {
        let Parts { shell, block, id } = take_parts::<T, R>(matches!(data, Data::Fresh(_)));
        let storage = match data {
            Data::Fresh(v) => Storage::new(v, shell),
            Data::Shared(s) => s,
        };
        debug_assert_eq!(contiguous, layout.is_contiguous());
        let ptr = block.unwrap_or_else(Block::alloc).into_raw();
        // SAFETY: the block has room for a `Counted` (its class) and holds no value.
        unsafe {
            ptr.as_ptr().write(Counted {
                refs: AtomicUsize::new(1),
                node: Node {
                    id,
                    storage: ManuallyDrop::new(storage),
                    layout,
                    contiguous,
                    record: record(),
                },
            })
        };
        NodeRef(ptr)
    }

    fn counted(&self) -> &Counted<T, R> {
        // SAFETY: the block holds a value while a reference exists.
        unsafe { self.0.as_ref() }
    }
}

impl<T: Float, R> Deref for NodeRef<T, R> {
    type Target = Node<T, R>;

    fn deref(&self) -> &Node<T, R> {
        &self.counted().node
    }
}

impl<T: Float, R> Clone for NodeRef<T, R> {
    fn clone(&self) -> Self {
        // Relaxed, as in `Arc`: a new reference is made from an existing one.
        let old = self.counted().refs.fetch_add(1, Ordering::Relaxed);
        if old > isize::MAX as usize {
            std::process::abort(); // the count would overflow: leaked clones
        }
        NodeRef(self.0)
    }
}

impl<T: Float, R> Drop for NodeRef<T, R> {
    fn drop(&mut self) {
        // Release, then Acquire by the last owner, as in `Arc`: every use of the node by the
        // other owners happens before it is dropped.
        if self.counted().refs.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        // SAFETY: this was the last reference. The storage is taken out once, here (it is a
        // `ManuallyDrop` for this), the rest of the node is dropped once, then the storage and
        // the empty block go to the cache together (or are freed).
        let storage = unsafe {
            let node = addr_of_mut!((*self.0.as_ptr()).node);
            let storage = ManuallyDrop::take(&mut (*node).storage);
            std::ptr::drop_in_place(node);
            storage
        };
        recycle_parts(storage, Block(self.0));
    }
}

// ----- ids and the live count -------------------------------------------------------------

/// Ids are handed out in blocks of this many per thread, so that making a node touches a
/// thread-local counter rather than a shared atomic.
const ID_BLOCK: usize = 1 << 16;
static NEXT_ID_BLOCK: AtomicUsize = AtomicUsize::new(0);

/// A thread's block of node ids: the next one and the end of the block.
#[derive(Default)]
struct Ids {
    next: usize,
    end: usize,
}

impl Ids {
    /// A process-wide unique node id (a fresh block when this one is used up).
    #[inline]
    fn next_id(&mut self) -> usize {
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
mod live {
    use std::sync::atomic::{AtomicIsize, Ordering};
    use std::sync::{Arc, Mutex};

    /// The counters of the running threads.
    static THREADS: Mutex<Vec<Arc<AtomicIsize>>> = Mutex::new(Vec::new());
    /// The balances of the threads that have exited.
    static RETIRED: AtomicIsize = AtomicIsize::new(0);

    /// A thread's counter, registered in `THREADS` while it lives. It lives in the thread's
    /// cache (one thread-local visit per node made or dropped).
    pub(super) struct Counter(Arc<AtomicIsize>);

    impl Counter {
        pub(super) fn register() -> Self {
            let counter = Arc::new(AtomicIsize::new(0));
            threads().push(Arc::clone(&counter));
            Counter(counter)
        }

        /// Adds `delta` to this thread's count.
        #[inline]
        pub(super) fn add(&self, delta: isize) {
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
    pub(super) fn add_retired(delta: isize) {
        RETIRED.fetch_add(delta, Ordering::Relaxed);
    }

    /// The sum of all counts.
    pub(super) fn total() -> usize {
        let threads = threads();
        let running: isize = threads.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        (running + RETIRED.load(Ordering::Relaxed)).max(0) as usize
    }
}

/// The number of nodes alive in the process (all threads). Exact when no other thread is
/// making or dropping nodes.
pub(crate) fn live_nodes() -> usize {
    live::total()
}

// ----- the cache --------------------------------------------------------------------------

/// The most storage shells (about 50 bytes each) per element type, and the most node blocks
/// (about 200 bytes each) per size class, a thread's cache keeps.
const MAX_CACHED: usize = 1 << 16;

/// Empty node blocks by size class: those in `self.0[c]` were allocated with
/// `class_layout(c)`.
struct FreeBlocks([Vec<NonNull<u8>>; CLASSES]);

impl FreeBlocks {
    fn pop<T: Float, R>(&mut self) -> Option<Block<T, R>> {
        self.0[Block::<T, R>::CLASS].pop().map(|p| Block(p.cast()))
    }

    /// Keeps `block` if there is room, else frees it.
    fn push<T: Float, R>(&mut self, block: Block<T, R>) {
        let free = &mut self.0[Block::<T, R>::CLASS];
        if free.len() < MAX_CACHED {
            free.push(block.into_raw().cast());
        }
    }

    fn clear(&mut self) {
        for (class, free) in self.0.iter_mut().enumerate() {
            for p in free.drain(..) {
                // SAFETY: a block of this class (see the type), holding no value.
                unsafe { dealloc(p.as_ptr(), class_layout(class)) }
            }
        }
    }
}

impl Drop for FreeBlocks {
    fn drop(&mut self) {
        self.clear();
    }
}

/// A thread's cache.
struct Cache {
    /// Uniquely owned shells holding an empty `Vec`, per element type.
    f32: Vec<UniqueShell<f32>>,
    f64: Vec<UniqueShell<f64>>,
    common: Common,
}

/// The part of a thread's cache shared by both element types.
struct Common {
    blocks: FreeBlocks,
    /// The thread's node ids and live-node count are kept here rather than in thread-locals
    /// of their own: making or dropping a node then visits one thread-local, not three.
    ids: Ids,
    live: live::Counter,
    /// Whether the cache keeps anything (the pool's limit is not 0).
    keeps: bool,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache {
        f32: Vec::new(),
        f64: Vec::new(),
        common: Common {
            blocks: FreeBlocks(std::array::from_fn(|_| Vec::new())),
            ids: Ids::default(),
            live: live::Counter::register(),
            keeps: true,
        },
    });
}

/// Empties this thread's cache, which from now on keeps what dead nodes leave if `keeps`
/// (else frees it).
pub(crate) fn set_cache(keeps: bool) {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        c.f32.clear();
        c.f64.clear();
        c.common.blocks.clear();
        c.common.keeps = keeps;
    });
}

/// Runs `f` on this thread's cache for `T`; `None` during thread teardown, when the cache is
/// already gone.
#[inline(always)]
fn with_cache<T: Float, X>(
    f: impl FnOnce(&mut Vec<UniqueShell<T>>, &mut Common) -> X,
) -> Option<X> {
    CACHE
        .try_with(|c| {
            let c = &mut *c.try_borrow_mut().ok()?;
            let shells = per_type::<Vec<UniqueShell<T>>>(&mut c.f32, &mut c.f64)?;
            Some(f(shells, &mut c.common))
        })
        .ok()
        .flatten()
}

/// What a new node gets from the cache: see [`take_parts`].
struct Parts<T: Float, R> {
    /// A storage shell holding an empty `Vec`, no other owner.
    shell: Option<UniqueShell<T>>,
    /// An empty heap block for the node.
    block: Option<Block<T, R>>,
    /// The node's process-wide unique id.
    id: usize,
}

/// The parts of a new node, in one visit to the cache (each visit costs a TLS lookup and a
/// `RefCell` borrow, and a node used to make five): an empty heap block for the node and, if
/// `with_shell`, a storage shell (holding an empty `Vec`, no other owner), either `None` when
/// the cache has none; and the node's id. Counts the node as alive.
fn take_parts<T: Float, R>(with_shell: bool) -> Parts<T, R> {
    with_cache::<T, _>(|shells, c| {
        c.live.add(1);
        Parts {
            shell: if with_shell { shells.pop() } else { None },
            block: c.blocks.pop(),
            id: c.ids.next_id(),
        }
    })
    .unwrap_or_else(|| {
        live::add_retired(1);
        Parts {
            shell: None,
            block: None,
            id: Ids::default().next_id(),
        }
    })
}

/// Takes the parts of a dead node: its block, and its storage, whose shell comes back to the
/// cache (in the same visit) and whose buffer comes back to the pool if no other tensor shares
/// them (otherwise the last sharer frees them later). What does not fit within the bounds is
/// freed. Counts the node as dead.
#[inline(never)] // out of `NodeRef::drop`, which recurses through the graph: a small frame there
fn recycle_parts<T: Float, R>(storage: Arc<Storage<T>>, block: Block<T, R>) {
    let recycled = match UniqueShell::empty(storage) {
        Some((buffer, shell)) => {
            let recycled = with_cache::<T, _>(|shells, c| {
                c.live.add(-1);
                if c.keeps {
                    if shells.len() < MAX_CACHED {
                        shells.push(shell);
                    }
                    c.blocks.push(block);
                }
            });
            pool::recycle(buffer);
            recycled
        }
        None => with_cache::<T, _>(|_, c| {
            c.live.add(-1);
            if c.keeps {
                c.blocks.push(block);
            }
        }),
    };
    if recycled.is_none() {
        live::add_retired(-1);
    }
}
