//! A `#[global_allocator]` wrapper around the system allocator that counts calls to `alloc`
//! (and `realloc`, which may move), shared by `benches/allocs.rs` and `tests/step_allocs.rs`.
//! Each binary that includes this module installs it with
//! `#[global_allocator] static GLOBAL: Counting = Counting;`.
//!
//! Counts cover every thread of the process: run one measurement at a time.
//!
//! [`trace_sites`] also records where the allocations of a call come from (its call stacks,
//! reduced to the workspace's frames), to find what still allocates.

use std::alloc::{GlobalAlloc, Layout, System};
use std::backtrace::Backtrace;
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// The system allocator, counting calls to `alloc` and `realloc`.
pub struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// Whether allocations record their call stack (see [`trace_sites`]).
static TRACING: AtomicBool = AtomicBool::new(false);

/// The call stacks recorded while tracing, as captured (resolved later, outside the allocator).
static TRACES: Mutex<Vec<Backtrace>> = Mutex::new(Vec::new());

thread_local! {
    /// Set while this thread records a trace: capturing and storing one allocates, and those
    /// allocations must neither recurse nor be counted.
    static IN_TRACE: Cell<bool> = const { Cell::new(false) };
}

impl Counting {
    fn count(&self) {
        if IN_TRACE.with(Cell::get) {
            return;
        }
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        if TRACING.load(Ordering::Relaxed) {
            IN_TRACE.with(|t| t.set(true));
            let trace = Backtrace::force_capture();
            TRACES.lock().unwrap_or_else(|e| e.into_inner()).push(trace);
            IN_TRACE.with(|t| t.set(false));
        }
    }
}

// SAFETY: forwards every call unchanged to `System`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.count();
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.count();
        System.realloc(ptr, layout, new_size)
    }
}

/// Allocations so far, all threads together.
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Allocations per call of `f`, averaged over `reps` calls after `warm` unmeasured ones.
pub fn per_call<R>(warm: usize, reps: usize, mut f: impl FnMut() -> R) -> f64 {
    for _ in 0..warm {
        black_box(f());
    }
    let before = allocations();
    for _ in 0..reps {
        black_box(f());
    }
    (allocations() - before) as f64 / reps as f64
}

/// The allocations of one call of `f`, grouped by call site, most frequent first. A site is
/// the innermost `frames` frames of the stack that lie in the workspace's own sources (not
/// `std`, not dependencies), each as `function (file:line)`.
pub fn trace_sites<R>(frames: usize, f: impl FnOnce() -> R) -> Vec<(String, usize)> {
    TRACING.store(true, Ordering::Relaxed);
    black_box(f());
    TRACING.store(false, Ordering::Relaxed);
    let traces = std::mem::take(&mut *TRACES.lock().unwrap_or_else(|e| e.into_inner()));
    let mut sites: Vec<(String, usize)> = Vec::new();
    for trace in &traces {
        let site = workspace_frames(&trace.to_string(), frames);
        match sites.iter_mut().find(|(s, _)| *s == site) {
            Some((_, n)) => *n += 1,
            None => sites.push((site, 1)),
        }
    }
    sites.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    sites
}

/// The innermost `n` frames of a printed backtrace whose source is a workspace file (a
/// relative path: the standard library and registry crates print absolute ones), skipping
/// this module's own frames.
fn workspace_frames(trace: &str, n: usize) -> String {
    let mut lines = trace.lines().map(str::trim).peekable();
    let mut frames = Vec::new();
    while let Some(line) = lines.next() {
        let Some((_, function)) = line.split_once(": ") else {
            continue;
        };
        let Some(at) = lines.peek().and_then(|l| l.strip_prefix("at ")) else {
            continue;
        };
        if at.starts_with("./") && !at.contains("common/counting.rs") {
            frames.push(format!("{function} ({at})"));
        }
    }
    frames.truncate(n);
    frames.join("\n    <- ")
}
