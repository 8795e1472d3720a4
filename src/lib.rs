//! Facade over the project's crates, so that the top-level `tests/` and `benches/` can use them all.
pub use autograd;
pub use experiments;
pub use nn;
pub use optim;
