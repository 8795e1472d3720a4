//! A per-thread pool of tensor buffers, so that a training loop stops allocating once warm.
//!
//! When a tensor's storage is dropped its `Vec` comes back here instead of to the allocator;
//! the next op that needs a buffer of about that size takes it. Large buffers are the point:
//! a fresh multi-megabyte `Vec` is fresh `mmap`'d pages, and every first touch of a page is a
//! page fault, which cost about a tenth of an MLP training step before this pool existed.
//!
//! * Buckets by capacity: bucket `k` holds buffers with capacity in `[2^k, 2^(k+1))`. A request
//!   for `n` elements looks in bucket `ceil(log2 n)`, where every buffer fits, and a fresh
//!   buffer is allocated with capacity `n.next_power_of_two()` so that it lands back in that
//!   same bucket (pages past `n` of a large buffer are never touched, so never resident).
//! * Bounded: each thread keeps at most [`pool_limit`] bytes per element type (default
//!   [`DEFAULT_POOL_LIMIT`]); a buffer that would exceed it goes back to the allocator.
//!   [`set_pool_limit`](crate::set_pool_limit)`(0)` disables pooling on this thread,
//!   [`clear_pool`](crate::clear_pool) frees what it holds.
//! * Never leaks values: `take` hands out buffers of length 0 (the caller pushes every
//!   element) and `zeros` fills them; no caller sees what a buffer held before.
//! * Per thread, no locks: a buffer freed on another thread joins that thread's pool.
//! * The small reference-counted shell around each buffer (shared by a tensor and its views)
//!   and the heap block of each tensor node are recycled too, by the node module's own
//!   per-thread cache, which [`set_pool_limit`](crate::set_pool_limit) and
//!   [`clear_pool`](crate::clear_pool) set and clear with this pool. So a warm op allocates
//!   nothing.

use crate::element::{per_type, Float};
use std::cell::RefCell;

/// The default bound on the bytes a thread keeps pooled, per element type: 64 MiB.
pub const DEFAULT_POOL_LIMIT: usize = 64 << 20;

/// Counters of this thread's pool (both element types together), for tests and benches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Requests served with a recycled buffer.
    pub reused: u64,
    /// Requests that had to allocate.
    pub fresh: u64,
    /// Bytes held by the pool now.
    pub pooled_bytes: usize,
}

/// Free buffers of one element type, by capacity bucket.
struct Buckets<T: Float> {
    free: [Vec<Vec<T>>; usize::BITS as usize],
    bytes: usize,
}

impl<T: Float> Buckets<T> {
    /// No buffers (a constant, so that the thread-local needs no lazy initialisation).
    const EMPTY: Self = Buckets {
        free: [const { Vec::new() }; usize::BITS as usize],
        bytes: 0,
    };

    /// Keeps `v`, emptied, if the pool stays within `limit` bytes; otherwise it is freed.
    #[inline] // on every node's drop
    fn keep(&mut self, mut v: Vec<T>, limit: usize) {
        let cap = v.capacity();
        let bytes = cap * size_of::<T>();
        if cap > 0 && self.bytes + bytes <= limit {
            v.clear();
            self.bytes += bytes;
            self.free[bucket_of_capacity(cap)].push(v);
        }
    }

    fn clear(&mut self) {
        self.free.iter_mut().for_each(Vec::clear);
        self.bytes = 0;
    }
}

struct Pool {
    f32: Buckets<f32>,
    f64: Buckets<f64>,
    common: Common,
}

/// The part of a thread's pool shared by both element types.
struct Common {
    limit: usize,
    stats: PoolStats,
}

thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool {
            f32: Buckets::EMPTY,
            f64: Buckets::EMPTY,
            common: Common {
                limit: DEFAULT_POOL_LIMIT,
                stats: PoolStats {
                    reused: 0,
                    fresh: 0,
                    pooled_bytes: 0,
                },
            },
        })
    };
}

/// Runs `f` on this thread's buckets for `T` and the common part; `None` during thread
/// teardown, when the pool is already gone.
#[inline(always)]
fn with_buckets<T: Float, R>(f: impl FnOnce(&mut Buckets<T>, &mut Common) -> R) -> Option<R> {
    POOL.try_with(|p| {
        let p = &mut *p.try_borrow_mut().ok()?;
        let buckets = per_type::<Buckets<T>>(&mut p.f32, &mut p.f64)?;
        Some(f(buckets, &mut p.common))
    })
    .ok()
    .flatten()
}

/// Bucket of a request for `n >= 1` elements: every buffer there holds at least `n`.
fn bucket_for_request(n: usize) -> usize {
    n.next_power_of_two().trailing_zeros() as usize
}

/// Bucket of a free buffer of capacity `cap >= 1`: `floor(log2 cap)`.
fn bucket_of_capacity(cap: usize) -> usize {
    (usize::BITS - 1 - cap.leading_zeros()) as usize
}

/// An empty buffer with room for `n` elements, recycled if the pool has one.
pub(crate) fn take<T: Float>(n: usize) -> Vec<T> {
    if n == 0 {
        return Vec::new();
    }
    // The closure returns the buffer itself (not an `Option` flattened afterwards), and the
    // allocating path is out of line: a warm op takes the short path, a pop and two adds.
    with_buckets::<T, _>(|b, c| match b.free[bucket_for_request(n)].pop() {
        Some(v) => {
            b.bytes -= v.capacity() * size_of::<T>();
            c.stats.reused += 1;
            v
        }
        None => {
            c.stats.fresh += 1;
            fresh(n)
        }
    })
    .unwrap_or_else(|| fresh(n))
}

/// A new buffer for `n` elements, with capacity `n.next_power_of_two()` so that it goes back
/// to the bucket that a request for `n` searches.
#[cold]
fn fresh<T>(n: usize) -> Vec<T> {
    Vec::with_capacity(n.next_power_of_two())
}

/// `n` zeros in a (possibly recycled) buffer.
pub(crate) fn zeros<T: Float>(n: usize) -> Vec<T> {
    let mut v = take(n);
    v.resize(n, T::zero());
    v
}

/// `n` copies of `value` in a (possibly recycled) buffer.
pub(crate) fn filled<T: Float>(n: usize, value: T) -> Vec<T> {
    let mut v = take(n);
    v.resize(n, value);
    v
}

/// Gives a buffer back to this thread's pool, or to the allocator if the pool is full.
#[inline(always)] // on every node's death
pub(crate) fn recycle<T: Float>(v: Vec<T>) {
    if v.capacity() > 0 {
        with_buckets::<T, _>(|b, c| b.keep(v, c.limit));
    }
}

/// This thread's pool counters.
pub fn pool_stats() -> PoolStats {
    POOL.with(|p| {
        let p = p.borrow();
        PoolStats {
            pooled_bytes: p.f32.bytes + p.f64.bytes,
            ..p.common.stats
        }
    })
}

/// The bound on the bytes this thread keeps pooled, per element type.
pub fn pool_limit() -> usize {
    POOL.with(|p| p.borrow().common.limit)
}

/// Sets this thread's bound on pooled bytes per element type (0 disables pooling), freeing
/// the buffers the pool holds now (the public form, which also sets the node cache, is
/// [`set_pool_limit`](crate::set_pool_limit)).
pub(crate) fn set_limit(bytes: usize) {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        p.common.limit = bytes;
        p.f32.clear();
        p.f64.clear();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_their_requests() {
        for n in [1usize, 2, 3, 4, 5, 1000, 1024, 1025, 200_704] {
            // A fresh buffer for n goes back to the bucket that a request for n searches.
            assert_eq!(
                bucket_of_capacity(n.next_power_of_two()),
                bucket_for_request(n)
            );
            // And every buffer in that bucket holds n.
            assert!(1 << bucket_for_request(n) >= n);
        }
    }

    #[test]
    fn a_recycled_buffer_is_reused_and_comes_back_empty() {
        set_limit(pool_limit());
        let mut v = take::<f32>(1000);
        v.extend((0..1000).map(|i| i as f32 + 1.0));
        let ptr = v.as_ptr();
        recycle(v);
        let before = pool_stats();
        assert_eq!(before.pooled_bytes, 1024 * 4);
        let w = take::<f32>(900);
        assert_eq!(w.as_ptr(), ptr, "same allocation");
        assert!(w.is_empty(), "handed out with length 0");
        assert_eq!(pool_stats().reused, before.reused + 1);
        assert_eq!(pool_stats().pooled_bytes, 0);
        recycle(w);
        let z = zeros::<f32>(1000);
        assert_eq!(z.as_ptr(), ptr);
        assert!(z.iter().all(|&x| x == 0.0), "old values leaked into zeros");
    }

    #[test]
    fn the_pool_stays_within_its_limit() {
        let limit = pool_limit();
        set_limit(10 * 1024 * 8);
        for _ in 0..50 {
            recycle(Vec::<f64>::with_capacity(1024));
        }
        assert_eq!(pool_stats().pooled_bytes, 10 * 1024 * 8);
        set_limit(0);
        recycle(Vec::<f64>::with_capacity(1024));
        assert_eq!(pool_stats().pooled_bytes, 0, "limit 0 disables pooling");
        set_limit(limit);
    }

    #[test]
    fn types_have_separate_buckets() {
        set_limit(pool_limit());
        recycle(Vec::<f64>::with_capacity(64));
        let f = take::<f32>(64);
        assert!(f.capacity() >= 64);
        assert_eq!(pool_stats().pooled_bytes, 64 * 8, "the f64 buffer stays");
        set_limit(pool_limit());
    }
}
