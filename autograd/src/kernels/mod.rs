//! Pure numeric kernels on slices: they know nothing of tensors or the tape.
pub mod fft;
