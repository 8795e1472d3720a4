//! [`NodeRef`], the counted reference behind every [`Tensor`](crate::Tensor): `Arc<Node>`'s
//! semantics (clones share the node, the last drop frees it), but the node's heap block goes
//! back to this thread's [pool](crate::pool) and the next node reuses it.
//!
//! Why not `Arc`: a chain of small recorded ops makes thousands of nodes and frees them all at
//! once when the graph dies; past the system allocator's small per-thread cache (7 blocks of a
//! size in glibc), each free and malloc of a node took about 100 instructions more.

use crate::element::Float;
use crate::pool;
use crate::tensor::Node;
use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::{addr_of_mut, NonNull};
use std::sync::atomic::{fence, AtomicUsize, Ordering};

/// A node and its reference count, in one heap block.
pub(crate) struct Counted<T: Float> {
    refs: AtomicUsize,
    node: Node<T>,
}

/// A heap block with room for one [`Counted`], holding no value. Dropping it frees it.
pub(crate) struct Block<T: Float>(NonNull<Counted<T>>);

impl<T: Float> Block<T> {
    fn alloc() -> Self {
        let layout = Layout::new::<Counted<T>>();
        // SAFETY: `Counted` is not zero-sized.
        let ptr = unsafe { alloc(layout) }.cast::<Counted<T>>();
        Block(NonNull::new(ptr).unwrap_or_else(|| handle_alloc_error(layout)))
    }

    /// The block's address, no longer freed on drop.
    fn into_raw(self) -> NonNull<Counted<T>> {
        ManuallyDrop::new(self).0
    }
}

impl<T: Float> Drop for Block<T> {
    fn drop(&mut self) {
        // SAFETY: allocated by `Block::alloc` with this layout, and holds no value.
        unsafe { dealloc(self.0.as_ptr().cast(), Layout::new::<Counted<T>>()) }
    }
}

/// A counted reference to a node.
pub(crate) struct NodeRef<T: Float>(NonNull<Counted<T>>);

// SAFETY: as for `Arc<Node<T>>`: the count is atomic, and a node is shared between threads
// only through `&Node<T>`, whose fields are Send + Sync for `T: Float` (locks, atomics, and
// `Tensor`s, which are Send + Sync by this very impl).
unsafe impl<T: Float> Send for NodeRef<T> {}
// SAFETY: see `Send`.
unsafe impl<T: Float> Sync for NodeRef<T> {}

impl<T: Float> NodeRef<T> {
    /// The node `make` builds, in `block` (a block from the pool) or a fresh one, with one
    /// reference. The block is found before the node is built, so that (inlined) the node is
    /// written straight into it rather than built on the stack and copied (~200 bytes).
    #[inline(always)]
    pub(crate) fn new(block: Option<Block<T>>, make: impl FnOnce() -> Node<T>) -> Self {
        let ptr = block.unwrap_or_else(Block::alloc).into_raw();
        // SAFETY: the block has `Counted`'s layout and holds no value.
        unsafe {
            ptr.as_ptr().write(Counted {
                refs: AtomicUsize::new(1),
                node: make(),
            })
        };
        NodeRef(ptr)
    }

    fn counted(&self) -> &Counted<T> {
        // SAFETY: the block holds a value while a reference exists.
        unsafe { self.0.as_ref() }
    }
}

impl<T: Float> Deref for NodeRef<T> {
    type Target = Node<T>;

    fn deref(&self) -> &Node<T> {
        &self.counted().node
    }
}

impl<T: Float> Clone for NodeRef<T> {
    fn clone(&self) -> Self {
        // Relaxed, as in `Arc`: a new reference is made from an existing one.
        let old = self.counted().refs.fetch_add(1, Ordering::Relaxed);
        if old > isize::MAX as usize {
            std::process::abort(); // the count would overflow: leaked clones
        }
        NodeRef(self.0)
    }
}

impl<T: Float> Drop for NodeRef<T> {
    fn drop(&mut self) {
        // Release, then Acquire by the last owner, as in `Arc`: every use of the node by the
        // other owners happens before it is dropped.
        if self.counted().refs.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        // SAFETY: this was the last reference. The storage is taken out once, here (it is a
        // `ManuallyDrop` for this), the rest of the node is dropped once, then the storage and
        // the empty block go to the pool together (or are freed).
        let storage = unsafe {
            let node = addr_of_mut!((*self.0.as_ptr()).node);
            let storage = ManuallyDrop::take(&mut (*node).storage);
            std::ptr::drop_in_place(node);
            storage
        };
        pool::recycle_node_parts(storage, Block(self.0));
    }
}

/// Tensors cross threads (experiments run in parallel): checked at compile time.
const _: fn() = || {
    fn send_and_sync<X: Send + Sync>() {}
    send_and_sync::<crate::Tensor<f32>>();
    send_and_sync::<crate::Tensor<f64>>();
};
