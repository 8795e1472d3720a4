//! Constructors, accessors, views and the error messages of shape mismatches.

use autograd::Tensor;
use rand::rngs::StdRng;
use rand::SeedableRng;

type T = Tensor<f64>;

#[test]
fn constructors() {
    assert_eq!(T::zeros([2, 2]).to_vec(), vec![0.0; 4]);
    assert_eq!(T::ones([3]).to_vec(), vec![1.0; 3]);
    assert_eq!(T::full([2], 7.0).to_vec(), vec![7.0, 7.0]);
    assert_eq!(T::arange(4).to_vec(), vec![0.0, 1.0, 2.0, 3.0]);
    assert_eq!(T::eye(2).to_vec(), vec![1.0, 0.0, 0.0, 1.0]);
    assert_eq!(T::scalar(3.5).item(), 3.5);
    assert_eq!(T::scalar(3.5).rank(), 0);
    let m = T::from_vec((0..6).map(f64::from).collect(), [2, 3]).unwrap();
    assert_eq!(
        (m.dims(), m.numel(), m.at(&[1, 2])),
        (&[2usize, 3][..], 6, 5.0)
    );
}

#[test]
fn seeded_random_tensors_reproduce_and_have_the_right_moments() {
    let a = T::normal([10_000], 1.0, 2.0, &mut StdRng::seed_from_u64(3));
    let b = T::normal([10_000], 1.0, 2.0, &mut StdRng::seed_from_u64(3));
    assert_eq!(a.to_vec(), b.to_vec());
    let v = a.to_vec();
    let mean = v.iter().sum::<f64>() / 1e4;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 1e4;
    // Standard errors: 2/100 for the mean, about 4 * sqrt(2/1e4) = 0.057 for the variance.
    assert!(
        (mean - 1.0).abs() < 0.08 && (var - 4.0).abs() < 0.25,
        "{mean} {var}"
    );
    let u = T::uniform([1000], -1.0, 3.0, &mut StdRng::seed_from_u64(4)).to_vec();
    assert!(u.iter().all(|&x| (-1.0..3.0).contains(&x)));
}

#[test]
fn views_share_storage_and_read_correctly() {
    let m = T::from_vec((0..6).map(f64::from).collect(), [2, 3]).unwrap();
    assert_eq!(m.t().to_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    assert_eq!(m.narrow(1, 1, 2).to_vec(), vec![1.0, 2.0, 4.0, 5.0]);
    assert_eq!(m.t().narrow(0, 2, 1).to_vec(), vec![2.0, 5.0]);
    assert_eq!(
        T::from_vec(vec![1.0, 2.0], [2, 1])
            .unwrap()
            .broadcast_to([2, 3])
            .to_vec(),
        vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
    );
    assert_eq!(
        m.t().reshape([6]).to_vec(),
        vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    );
    // matmul with a transposed operand equals matmul with a copied transpose.
    let a = T::normal([3, 4], 0.0, 1.0, &mut StdRng::seed_from_u64(1));
    let b = T::normal([5, 4], 0.0, 1.0, &mut StdRng::seed_from_u64(2));
    let strided = a.matmul(&b.t()).to_vec();
    let copied = a.matmul(&b.t().contiguous()).to_vec();
    assert_eq!(strided, copied);
}

#[test]
fn matmul_matches_a_naive_loop() {
    let a = T::normal([2, 3, 4], 0.0, 1.0, &mut StdRng::seed_from_u64(5));
    let b = T::normal([2, 4, 5], 0.0, 1.0, &mut StdRng::seed_from_u64(6));
    let c = a.matmul(&b);
    for bt in 0..2 {
        for i in 0..3 {
            for j in 0..5 {
                let e: f64 = (0..4).map(|k| a.at(&[bt, i, k]) * b.at(&[bt, k, j])).sum();
                assert!((c.at(&[bt, i, j]) - e).abs() < 1e-12);
            }
        }
    }
}

#[test]
fn display_shows_shape_type_and_truncated_values() {
    let s = T::arange(3).to_string();
    assert_eq!(s, "Tensor[3] f64 [0, 1, 2]");
    let long = Tensor::<f32>::arange(20).reshape([4, 5]).to_string();
    assert_eq!(
        long,
        "Tensor[4, 5] f32 [0, 1, 2, 3, ... (12 more), 16, 17, 18, 19]"
    );
    assert!(T::ones([1])
        .requires_grad()
        .to_string()
        .ends_with("(requires grad)"));
}

#[test]
fn shape_errors_name_the_op_and_both_shapes() {
    let a = T::zeros([3, 4]);
    let b = T::zeros([5, 2]);
    let msg = |r: autograd::Result<T>| r.unwrap_err().to_string();
    assert_eq!(
        msg(a.try_matmul(&b)),
        "matmul: [3, 4] x [5, 2]: inner dimensions 4 and 5 differ"
    );
    assert_eq!(
        msg(a.try_add(&b)),
        "add: [3, 4] and [5, 2] do not broadcast: dimensions 3 and 5 differ"
    );
    assert_eq!(
        msg(a.try_mul(&T::zeros([3]))),
        "mul: [3, 4] and [3] do not broadcast: dimensions 4 and 3 differ"
    );
    assert_eq!(
        msg(a.try_reshape([5])),
        "reshape: [3, 4] -> [5]: 12 elements do not fit 5"
    );
    assert_eq!(
        msg(a.try_narrow(0, 2, 4)),
        "narrow: [3, 4]: range 2..6 of axis 0 exceeds its size 3"
    );
    assert_eq!(
        msg(a.try_index_select(0, &[7])),
        "index_select: index 7 out of range for axis 0 of [3, 4]"
    );
    assert_eq!(
        msg(a.try_sum(&[2], false)),
        "sum: axis 2 out of range for shape [3, 4]"
    );
    assert_eq!(
        msg(T::try_concat(&[&a, &b], 0)),
        "concat: [3, 4] and [5, 2] differ off axis 0"
    );
    assert_eq!(
        msg(T::from_vec(vec![1.0; 5], [2, 3])),
        "from_vec: 5 values do not fill shape [2, 3] (6 elements)"
    );
    assert_eq!(
        msg(a.try_softmax_cross_entropy(&[0, 1, 9])),
        "softmax_cross_entropy: index 9 (row 2) out of range for the 4 columns of [3, 4]"
    );
    assert_eq!(
        T::zeros([2]).try_item().unwrap_err().to_string(),
        "item: shape [2] has 2 elements, not 1"
    );
}

#[test]
#[should_panic(expected = "matmul: [3, 4] x [5, 2]: inner dimensions 4 and 5 differ")]
fn panicking_forms_carry_the_same_message() {
    let _ = T::zeros([3, 4]).matmul(&T::zeros([5, 2]));
}

#[test]
fn panics_point_at_the_callers_line() {
    use std::cell::RefCell;
    thread_local!(static WHERE: RefCell<Option<(String, u32)>> = const { RefCell::new(None) });
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let loc = info.location().map(|l| (l.file().to_string(), l.line()));
        WHERE.with(|w| *w.borrow_mut() = loc);
    }));
    let line = line!() + 1;
    let caught = std::panic::catch_unwind(|| T::zeros([2]).add(&T::zeros([3])));
    std::panic::set_hook(previous);
    assert!(caught.is_err());
    // #[track_caller]: the reported location is the user's line, not autograd's internals.
    assert_eq!(
        WHERE.with(|w| w.borrow().clone()),
        Some((file!().to_string(), line))
    );
}

#[test]
fn in_place_updates() {
    let w = T::zeros([3]).requires_grad();
    w.update(|d| d.iter_mut().enumerate().for_each(|(i, x)| *x = i as f64));
    assert_eq!(w.to_vec(), vec![0.0, 1.0, 2.0]);
    let err = T::zeros([2, 2]).t().try_update(|_| ()).unwrap_err();
    assert!(err.to_string().starts_with("update: strided view"), "{err}");
    assert!(w.try_assign(&T::zeros([2])).is_err());
}
