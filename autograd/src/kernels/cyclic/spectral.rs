//! The spectral path of the cyclic kernels: real FFTs of the rows, a product with the
//! filter's spectrum, inverse real FFTs, `O(B d log d)`. DFTs of length `d`, unnormalised, the
//! inverse's `1 / d` folded into the filter's spectrum; `w` and the rows are real.

use super::{check_filtered, check_weight};
use crate::element::Float;
use crate::kernels::fft::{spectrum_len, Complex, RowIrfft, RowRfft};

/// `corr` through real FFTs: `out[b] = irfft(X conj(W)) / d`.
///
/// Derivation (`X = DFT(x[b])`, `W = DFT(w)`): substituting `m = i + k`,
/// `out[i] = sum_m x[m] w[m - i]`, whose DFT is
/// `sum_m x[m] e^{-2 pi i f m / d} sum_j w[j] e^{+2 pi i f j / d} = X[f] conj(W[f])`.
///
/// Panics on the length mismatches of `corr`.
pub fn corr<T: Float>(x: &[T], w: &[T], d: usize, out: &mut [T]) {
    check_filtered("spectral::corr", ("x", x.len()), w.len(), out.len(), d);
    filter_rows(x, &scaled_spectrum(w, d, true), d, out);
}

/// `conv` through real FFTs: `out[b] = irfft(G W) / d`, `G = DFT(g[b])`,
/// `W = DFT(w)` (the convolution theorem).
///
/// Panics on the length mismatches of `conv`.
pub fn conv<T: Float>(g: &[T], w: &[T], d: usize, out: &mut [T]) {
    check_filtered("spectral::conv", ("g", g.len()), w.len(), out.len(), d);
    filter_rows(g, &scaled_spectrum(w, d, false), d, out);
}

/// `corr_weight` through real FFTs:
/// `out = irfft(sum_b X_b conj(G_b)) / d`.
///
/// Derivation (`X_b = DFT(x[b])`, `G_b = DFT(g[b])`): for each `b`,
/// `sum_i g[b, i] x[b, i + k]` is the correlation of `x[b]` with the filter `g[b]` (as in
/// [`corr`]), whose DFT is `X_b conj(G_b)`. The sum over `b` is taken in the frequency domain,
/// so a single inverse transform is needed.
///
/// Panics on the length mismatches of `corr_weight`.
pub fn corr_weight<T: Float>(g: &[T], x: &[T], d: usize, out: &mut [T]) {
    check_weight("spectral::corr_weight", g.len(), x.len(), out.len(), d);
    let zero = Complex::new(T::zero(), T::zero());
    let mut fft = RowRfft::new(d);
    let mut ifft = RowIrfft::new(d);
    let (mut x_spec, mut g_spec) = (vec![zero; spectrum_len(d)], vec![zero; spectrum_len(d)]);
    let acc = ifft.spectrum_mut();
    acc.fill(zero);
    for (g_row, x_row) in g.chunks_exact(d).zip(x.chunks_exact(d)) {
        fft.run(x_row, &mut x_spec);
        fft.run(g_row, &mut g_spec);
        for ((a, &xf), &gf) in acc.iter_mut().zip(&x_spec).zip(&g_spec) {
            *a = *a + xf * gf.conj();
        }
    }
    let scale = T::one() / T::of(d as f64);
    for a in acc.iter_mut() {
        *a = *a * scale;
    }
    ifft.run(out);
}

/// `DFT(w) / d`, conjugated if `conjugate`: the filter spectrum that [`filter_rows`]
/// multiplies by, with the inverse transform's `1 / d` folded in.
fn scaled_spectrum<T: Float>(w: &[T], d: usize, conjugate: bool) -> Vec<Complex<T>> {
    let mut spectrum = vec![Complex::new(T::zero(), T::zero()); spectrum_len(d)];
    RowRfft::new(d).run(w, &mut spectrum);
    let scale = T::one() / T::of(d as f64);
    for f in spectrum.iter_mut() {
        let c = if conjugate { f.conj() } else { *f };
        *f = c * scale;
    }
    spectrum
}

/// `out[b] = irfft(rfft(input[b]) * filter)` for each row of length `d`.
fn filter_rows<T: Float>(input: &[T], filter: &[Complex<T>], d: usize, out: &mut [T]) {
    let mut fft = RowRfft::new(d);
    let mut ifft = RowIrfft::new(d);
    for (in_row, out_row) in input.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        let spectrum = ifft.spectrum_mut();
        fft.run(in_row, spectrum);
        for (s, &f) in spectrum.iter_mut().zip(filter) {
            *s = *s * f;
        }
        ifft.run(out_row);
    }
}
