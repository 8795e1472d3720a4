//! Two-way fork-join on a persistent helper thread, for splitting one kernel call across two
//! cores with a hand-off measured in hundreds of nanoseconds rather than the tens of
//! microseconds of spawning a thread.
//!
//! [`join`]`(a, b)` runs `b` on the helper while the calling thread runs `a`, then waits for both.
//! The helper spins for a short while after each job (so the back-to-back products of a training
//! step hand off without a system call), then sleeps. There is one helper per process: when it
//! is busy with another thread's work, or when [`num_threads`] is 1, `join` simply runs `a` then
//! `b` on the caller, so nested or concurrent use can never deadlock or oversubscribe the cores.
//!
//! The number of threads comes from [`set_num_threads`], else the environment variable
//! `AUTOGRAD_NUM_THREADS`, else the number of logical CPUs; only 1 and 2 are distinguished.

use std::cell::UnsafeCell;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::thread::Thread;
use std::time::{Duration, Instant};

/// 0: not yet decided (read the environment on first use).
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// The number of threads kernels may use: 1 or 2 in this version (a fork-join of two).
pub fn num_threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => {
            let n = std::env::var("AUTOGRAD_NUM_THREADS")
                .ok()
                .and_then(|s| s.trim().parse::<usize>().ok())
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
                .clamp(1, 2);
            THREADS.store(n, Ordering::Relaxed);
            n
        }
        n => n,
    }
}

/// Sets the number of threads kernels may use (clamped to 1..=2), for the whole process;
/// overrides `AUTOGRAD_NUM_THREADS`.
pub fn set_num_threads(n: usize) {
    THREADS.store(n.clamp(1, 2), Ordering::Relaxed);
}

/// How long the helper keeps polling for the next job before it sleeps.
const SPIN: Duration = Duration::from_micros(200);

const IDLE: u8 = 0;
const POSTED: u8 = 1;
const DONE: u8 = 2;

/// A job: a type-erased `&mut dyn FnMut()` whose lifetime [`join`] guarantees.
type Job = *mut (dyn FnMut() + Send);

struct Helper {
    /// Claimed by the thread whose job the helper runs (try-lock: nobody waits for it).
    claimed: AtomicBool,
    state: AtomicU8,
    /// Set when the job panicked; the panic is re-raised on the caller.
    panicked: AtomicBool,
    job: UnsafeCell<Option<Job>>,
    thread: Thread,
}

// SAFETY: `job` is written only by the claiming thread while `state == IDLE` and read only by
// the helper after it observes `POSTED` (release/acquire on `state`), so accesses never overlap.
unsafe impl Sync for Helper {}
unsafe impl Send for Helper {}

static HELPER: OnceLock<&'static Helper> = OnceLock::new();

fn helper() -> &'static Helper {
    HELPER.get_or_init(|| {
        // The helper needs its own Thread handle, known only after spawning: hand it over.
        let (tx, rx) = std::sync::mpsc::channel::<&'static Helper>();
        let handle = std::thread::Builder::new()
            .name("autograd-helper".into())
            .spawn(move || {
                let h = rx.recv().expect("the helper record arrives");
                serve(h)
            })
            .expect("spawning the kernel helper thread");
        let h: &'static Helper = Box::leak(Box::new(Helper {
            claimed: AtomicBool::new(false),
            state: AtomicU8::new(IDLE),
            panicked: AtomicBool::new(false),
            job: UnsafeCell::new(None),
            thread: handle.thread().clone(),
        }));
        tx.send(h).expect("the helper thread is waiting");
        h
    })
}

/// The helper's loop: wait (spin, then park) for a posted job, run it, report done.
fn serve(h: &'static Helper) -> ! {
    loop {
        let start = Instant::now();
        while h.state.load(Ordering::Acquire) != POSTED {
            if start.elapsed() < SPIN {
                std::hint::spin_loop();
            } else {
                std::thread::park();
            }
        }
        // SAFETY: POSTED was published after the job was written; the poster keeps the
        // closure alive until it observes DONE.
        let job = unsafe { (*h.job.get()).take().expect("a posted job") };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe { (*job)() }));
        h.panicked.store(result.is_err(), Ordering::Relaxed);
        h.state.store(DONE, Ordering::Release);
    }
}

/// Runs `a` on this thread and `b` on the helper thread at the same time, returning when both
/// are done; runs them one after the other here when only one thread is allowed or the helper
/// is busy. A panic in either is propagated after both have finished.
pub fn join(a: impl FnOnce(), b: impl FnOnce() + Send) {
    if num_threads() < 2 {
        a();
        b();
        return;
    }
    let h = helper();
    if h.claimed
        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        a();
        b();
        return;
    }
    let mut b = Some(b);
    let mut run_b = move || (b.take().expect("run once"))();
    let job: &mut (dyn FnMut() + Send) = &mut run_b;
    // SAFETY: the lifetime is erased only while the helper may call the job: `Wait` below
    // blocks (also during unwinding) until the helper reports DONE, before `run_b` goes out of
    // scope.
    let job: Job = unsafe { std::mem::transmute::<&mut (dyn FnMut() + Send), Job>(job) };
    unsafe { *h.job.get() = Some(job) };
    h.state.store(POSTED, Ordering::Release);
    h.thread.unpark();

    /// Waits for the helper's DONE and releases the claim, also if `a` panics.
    struct Wait(&'static Helper);
    impl Drop for Wait {
        fn drop(&mut self) {
            while self.0.state.load(Ordering::Acquire) != DONE {
                std::hint::spin_loop();
            }
            self.0.state.store(IDLE, Ordering::Relaxed);
            self.0.claimed.store(false, Ordering::Release);
        }
    }
    let wait = Wait(h);
    a();
    drop(wait);
    if h.panicked.swap(false, Ordering::Relaxed) {
        panic!("a kernel running on the autograd helper thread panicked");
    }
}

/// Calls `f(offset, piece)` on the two halves of `out`, cut at a multiple of `align` near the
/// middle (`offset` is where the piece starts in `out`), at the same time, when `out` has at
/// least `min` elements and two threads are allowed; otherwise calls `f(0, out)` once.
///
/// For elementwise kernels, whose every output depends on its own inputs only: the result is
/// the same for any thread count.
pub fn split_mut<T: Send>(
    out: &mut [T],
    min: usize,
    align: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    let n = out.len();
    if n < min.max(2) || num_threads() < 2 {
        return f(0, out);
    }
    let mid = (n / 2).next_multiple_of(align.max(1));
    if mid >= n {
        return f(0, out);
    }
    let (lo, hi) = out.split_at_mut(mid);
    join(|| f(0, lo), || f(mid, hi));
}

/// `part(r)` over the chunks `r` of `0..n` of `chunk` elements (the last one shorter), combined
/// by a fixed binary tree: `reduce(chunks) = combine(reduce(first half), reduce(second half))`,
/// the halves split at the middle chunk. With `n >= min` and two threads allowed, the two
/// halves of the top split run at the same time.
///
/// The tree depends on `n` and `chunk` only, so a floating-point sum comes out bit for bit the
/// same for any thread count; for `n <= chunk` it is `part(0..n)`, the serial fold itself.
/// (Pairwise combination also bounds the rounding error growth by `log2(n / chunk)`.)
pub fn tree_reduce<R: Send>(
    n: usize,
    chunk: usize,
    min: usize,
    part: impl Fn(Range<usize>) -> R + Sync,
    combine: impl Fn(R, R) -> R + Sync,
) -> R {
    let chunk = chunk.max(1);
    let chunks = n.div_ceil(chunk).max(1);
    let threaded = n >= min && num_threads() >= 2;
    reduce_chunks(0..chunks, n, chunk, threaded, &part, &combine)
}

/// [`tree_reduce`] over the chunk indices `c`; `threaded` forks the top split.
fn reduce_chunks<R: Send>(
    c: Range<usize>,
    n: usize,
    chunk: usize,
    threaded: bool,
    part: &(impl Fn(Range<usize>) -> R + Sync),
    combine: &(impl Fn(R, R) -> R + Sync),
) -> R {
    if c.len() == 1 {
        return part(c.start * chunk..((c.start + 1) * chunk).min(n));
    }
    let mid = c.start + c.len() / 2;
    let (lo, hi) = (c.start..mid, mid..c.end);
    if !threaded {
        let a = reduce_chunks(lo, n, chunk, false, part, combine);
        let b = reduce_chunks(hi, n, chunk, false, part, combine);
        return combine(a, b);
    }
    let (mut a, mut b) = (None, None);
    join(
        || a = Some(reduce_chunks(lo, n, chunk, false, part, combine)),
        || b = Some(reduce_chunks(hi, n, chunk, false, part, combine)),
    );
    combine(a.expect("joined"), b.expect("joined"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree sum of values whose sum depends on the order gives the same bits on one
    /// thread and on two, and equals the recursive pairwise sum over the chunks computed here.
    #[test]
    fn tree_reduce_is_the_same_for_any_thread_count() {
        let x: Vec<f64> = (0..100_003)
            .map(|i| ((i * 7919) % 1000) as f64 * 1e-3 + if i % 3 == 0 { 1e8 } else { -1e-8 })
            .collect();
        let sum = |threads| {
            set_num_threads(threads);
            tree_reduce(
                x.len(),
                1000,
                0,
                |r: Range<usize>| x[r].iter().sum::<f64>(),
                |a, b| a + b,
            )
        };
        let (one, two) = (sum(1), sum(2));
        assert_eq!(one.to_bits(), two.to_bits());
        // The same tree written out: 101 chunk sums, halved at the middle chunk.
        fn pairwise(p: &[f64]) -> f64 {
            if p.len() == 1 {
                p[0]
            } else {
                pairwise(&p[..p.len() / 2]) + pairwise(&p[p.len() / 2..])
            }
        }
        let parts: Vec<f64> = x.chunks(1000).map(|c| c.iter().sum()).collect();
        assert_eq!(parts.len(), 101);
        assert_eq!(one.to_bits(), pairwise(&parts).to_bits());
        // Empty input: one empty chunk.
        assert_eq!(
            tree_reduce(0, 8, 0, |r: Range<usize>| r.len(), |a, b| a + b),
            0
        );
    }

    #[test]
    fn split_mut_covers_every_element_once_at_aligned_offsets() {
        for threads in [1, 2] {
            set_num_threads(threads);
            for n in [0, 1, 7, 8, 9, 100, 1001] {
                let mut v = vec![0usize; n];
                split_mut(&mut v, 0, 8, |off, piece| {
                    assert_eq!(off % 8, 0);
                    for (i, x) in piece.iter_mut().enumerate() {
                        *x += off + i + 1;
                    }
                });
                assert!(v.iter().enumerate().all(|(i, &x)| x == i + 1), "n = {n}");
            }
        }
    }

    #[test]
    fn both_halves_run_and_see_their_borrows() {
        set_num_threads(2);
        let mut left = vec![0u64; 1000];
        let mut right = vec![0u64; 1000];
        for round in 0..200u64 {
            join(
                || left.iter_mut().for_each(|x| *x += round),
                || right.iter_mut().for_each(|x| *x += 2 * round),
            );
        }
        let s: u64 = (0..200).sum();
        assert!(left.iter().all(|&x| x == s));
        assert!(right.iter().all(|&x| x == 2 * s));
    }

    #[test]
    fn concurrent_callers_fall_back_to_serial() {
        set_num_threads(2);
        let total = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..100 {
                        join(
                            || {
                                total.fetch_add(1, Ordering::Relaxed);
                            },
                            || {
                                total.fetch_add(1, Ordering::Relaxed);
                            },
                        );
                    }
                });
            }
        });
        assert_eq!(total.load(Ordering::Relaxed), 800);
    }
}
