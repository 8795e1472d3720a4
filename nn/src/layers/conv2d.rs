//! 2-D convolution (cross-correlation, as in every framework) by im2col and one GEMM.

use crate::init::Init;
use crate::module::{Module, VisitorMut};
use autograd::{Float, Tensor};
use rand::Rng;
use std::sync::{Arc, Mutex};

/// The im2col index list for one input size `(h, w)`.
type Im2col = ((usize, usize), Arc<[usize]>);

/// A 2-D convolution over `[n, c_in, h, w]` images:
///
/// `y[b, o, i, j] = bias[o] + sum_{c, p, q} W[o, c, p, q] * xpad[b, c, i*s + p, j*s + q]`
///
/// with `W` of shape `[c_out, c_in, kh, kw]`, stride `s`, and `xpad` the input with `padding`
/// zeros on each side of both spatial axes. Output: `[n, c_out, ho, wo]` with
/// `ho = (h + 2 padding - kh) / s + 1` (likewise `wo`).
///
/// **How it is differentiable without a convolution op.** `autograd` has no im2col op, so the
/// lowering is built from recorded ops: padding is a [`Tensor::concat`] with zero blocks, and
/// im2col is one [`Tensor::index_select`] on the flattened padded image, picking for every output
/// position `(i, j)` the `c_in * kh * kw` entries of its receptive field (an index list computed
/// once per input size and cached). That gives the patch matrix `[n, ho*wo, c_in*kh*kw]`, which
/// one batched [`Tensor::matmul`] multiplies by `W^T` reshaped to `[c_in*kh*kw, c_out]`. The
/// backward of `index_select` is `index_add` (col2im: overlapping patches add up), and the
/// backward of `concat` drops the padding. The cost is one gathered copy of the patches, as in
/// any im2col implementation.
///
/// Parameters: `"weight"`, then `"bias"` if present.
pub struct Conv2d<T: Float> {
    /// `[c_out, c_in, kh, kw]`.
    pub weight: Tensor<T>,
    /// `[c_out]`, if the layer has a bias.
    pub bias: Option<Tensor<T>>,
    stride: usize,
    padding: usize,
    /// The im2col index list for the last input size `(h, w)`.
    cache: Mutex<Option<Im2col>>,
}

impl<T: Float> Conv2d<T> {
    /// A convolution from `c_in` to `c_out` channels with a `kernel x kernel` window, the weight
    /// drawn from `init` (fans `c_in * k^2` and `c_out * k^2`), the bias (if `bias`) zero.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        c_in: usize,
        c_out: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        bias: bool,
        init: Init,
        rng: &mut impl Rng,
    ) -> Self {
        let weight = init.parameter(&[c_out, c_in, kernel, kernel], rng);
        let bias = bias.then(|| Tensor::zeros([c_out]).requires_grad());
        Self::from_tensors(weight, bias, stride, padding)
    }

    /// A convolution with the given weight `[c_out, c_in, kh, kw]` and bias `[c_out]`.
    ///
    /// # Panics
    /// If the weight is not 4-D, the bias does not match it, or `stride` is 0.
    pub fn from_tensors(
        weight: Tensor<T>,
        bias: Option<Tensor<T>>,
        stride: usize,
        padding: usize,
    ) -> Self {
        assert_eq!(
            weight.rank(),
            4,
            "Conv2d: weight must be [c_out, c_in, kh, kw], got {:?}",
            weight.shape()
        );
        assert!(stride > 0, "Conv2d: stride must be positive");
        if let Some(b) = &bias {
            assert_eq!(
                b.dims(),
                &weight.dims()[..1],
                "Conv2d: bias {:?} does not match weight {:?}",
                b.shape(),
                weight.shape()
            );
        }
        Conv2d {
            weight,
            bias,
            stride,
            padding,
            cache: Mutex::new(None),
        }
    }

    /// Draws the bias (if any) from `init` with the weight's fans.
    pub fn with_bias_init(mut self, init: Init, rng: &mut impl Rng) -> Self {
        self.bias = super::init_bias(&self.weight, self.bias.as_ref(), init, rng);
        self
    }

    /// The output spatial size for an input of `h x w`.
    ///
    /// # Panics
    /// If the padded input is smaller than the kernel.
    pub fn output_size(&self, h: usize, w: usize) -> (usize, usize) {
        let (kh, kw) = (self.weight.dims()[2], self.weight.dims()[3]);
        let (hp, wp) = (h + 2 * self.padding, w + 2 * self.padding);
        assert!(
            hp >= kh && wp >= kw,
            "Conv2d: padded input {hp}x{wp} smaller than kernel {kh}x{kw}"
        );
        ((hp - kh) / self.stride + 1, (wp - kw) / self.stride + 1)
    }

    /// The im2col gather list: for output position `l = i * wo + j` and patch entry
    /// `k = (c * kh + p) * kw + q`, entry `l * K + k` is the flat index
    /// `c * hp * wp + (i s + p) * wp + (j s + q)` in one padded image.
    fn im2col_indices(&self, h: usize, w: usize) -> Arc<[usize]> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((size, idx)) = &*cache {
            if *size == (h, w) {
                return idx.clone();
            }
        }
        let [_, c_in, kh, kw] = self.weight.dims() else {
            unreachable!("4-D weight")
        };
        let (c_in, kh, kw) = (*c_in, *kh, *kw);
        let (ho, wo) = self.output_size(h, w);
        let (hp, wp) = (h + 2 * self.padding, w + 2 * self.padding);
        let s = self.stride;
        let mut idx = Vec::with_capacity(ho * wo * c_in * kh * kw);
        for i in 0..ho {
            for j in 0..wo {
                for c in 0..c_in {
                    for p in 0..kh {
                        for q in 0..kw {
                            idx.push(c * hp * wp + (i * s + p) * wp + (j * s + q));
                        }
                    }
                }
            }
        }
        let idx: Arc<[usize]> = idx.into();
        *cache = Some(((h, w), idx.clone()));
        idx
    }
}

/// Zero-pads the last two axes of `[n, c, h, w]` by `pad` on each side (recorded: the gradient
/// drops the border).
fn pad2d<T: Float>(x: &Tensor<T>, pad: usize) -> Tensor<T> {
    if pad == 0 {
        return x.clone();
    }
    let d = x.dims();
    let (n, c, h, w) = (d[0], d[1], d[2], d[3]);
    let side = Tensor::zeros([n, c, h, pad]);
    let x = Tensor::concat(&[&side, x, &side], 3);
    let band = Tensor::zeros([n, c, pad, w + 2 * pad]);
    Tensor::concat(&[&band, &x, &band], 2)
}

impl<T: Float> Module<T> for Conv2d<T> {
    /// # Panics
    /// If `x` is not `[n, c_in, h, w]`.
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        let &[n, c, h, w] = x.dims() else {
            panic!("Conv2d: expects input [n, c, h, w], got {:?}", x.shape());
        };
        let [c_out, c_in, kh, kw] = *self.weight.dims() else {
            unreachable!("4-D weight")
        };
        assert_eq!(
            c, c_in,
            "Conv2d: input has {c} channels, the layer expects {c_in}"
        );
        let (ho, wo) = self.output_size(h, w);
        let k = c_in * kh * kw;
        let padded = pad2d(x, self.padding);
        let flat = padded.reshape([n, padded.numel() / n.max(1)]);
        let patches = flat
            .index_select(1, &self.im2col_indices(h, w))
            .reshape([n, ho * wo, k]);
        let y = super::matmul_rows(&patches, &self.weight.reshape([c_out, k]).t()); // [n, ho*wo, c_out]
        let y = match &self.bias {
            Some(b) => y.add(b),
            None => y,
        };
        y.permute(&[0, 2, 1]).reshape([n, c_out, ho, wo])
    }

    fn visit_parameters_mut<'s>(&'s mut self, f: &mut VisitorMut<'s, '_, T>) {
        super::visit_weight_bias(&mut self.weight, &mut self.bias, f)
    }
}
