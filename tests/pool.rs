//! The buffer pool (`autograd::pool`): buffers freed by tensors are reused by later ops, a
//! recycled buffer never shows its old values in a result that starts from zeros, and the pool
//! stays within its bound. Each test runs on its own thread, so it sees its own pool.

use autograd::{clear_pool, pool_limit, pool_stats, set_pool_limit, Tensor};

/// Frees a tensor of `n` NaNs, so that the pool holds a buffer full of garbage.
fn leave_nans_in_the_pool(n: usize) {
    drop(Tensor::<f64>::full([n], f64::NAN));
}

#[test]
fn a_freed_buffer_is_reused_by_the_next_op() {
    clear_pool();
    let x = Tensor::<f32>::ones([256, 256]);
    drop(x.mul_scalar(2.0));
    let before = pool_stats();
    assert!(before.pooled_bytes >= 256 * 256 * 4);
    let y = x.mul_scalar(3.0);
    let after = pool_stats();
    assert_eq!(after.reused, before.reused + 1);
    assert_eq!(after.fresh, before.fresh);
    assert!(y.to_vec().iter().all(|&v| v == 3.0));
}

#[test]
fn recycled_buffers_never_leak_old_values_into_zero_started_results() {
    clear_pool();
    // zeros
    leave_nans_in_the_pool(12);
    assert_eq!(Tensor::<f64>::zeros([3, 4]).to_vec(), vec![0.0; 12]);
    // matmul with an empty inner dimension is all zeros
    leave_nans_in_the_pool(6);
    let a = Tensor::<f64>::zeros([2, 0]);
    let b = Tensor::<f64>::zeros([0, 3]);
    assert_eq!(a.matmul(&b).to_vec(), vec![0.0; 6]);
    // index_add accumulates into zeros: row 1 gets nothing
    leave_nans_in_the_pool(6);
    let src = Tensor::<f64>::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2]).unwrap();
    let added = src.index_add(0, &[0, 2], 3);
    assert_eq!(added.to_vec(), vec![1.0, 2.0, 0.0, 0.0, 3.0, 4.0]);
    // sum over an axis folds from 0
    leave_nans_in_the_pool(2);
    assert_eq!(src.sum(&[0], false).to_vec(), vec![4.0, 6.0]);
    // the identity
    leave_nans_in_the_pool(4);
    assert_eq!(Tensor::<f64>::eye(2).to_vec(), vec![1.0, 0.0, 0.0, 1.0]);
    // the gradient of narrow pads with zeros
    leave_nans_in_the_pool(4);
    let w = Tensor::<f64>::ones([4]).requires_grad();
    w.narrow(0, 1, 2).sum_all().backward();
    assert_eq!(w.grad().unwrap().to_vec(), vec![0.0, 1.0, 1.0, 0.0]);
}

#[test]
fn the_pool_stays_within_its_limit_and_can_be_switched_off() {
    let limit = pool_limit();
    set_pool_limit(1 << 20);
    let tensors: Vec<_> = (0..100).map(|_| Tensor::<f32>::zeros([1 << 14])).collect();
    drop(tensors); // 100 x 64 KiB freed; the pool keeps 1 MiB of them
    assert_eq!(pool_stats().pooled_bytes, 1 << 20);
    set_pool_limit(0);
    let before = pool_stats();
    drop(Tensor::<f32>::zeros([1 << 14]).mul_scalar(2.0));
    assert_eq!(pool_stats().pooled_bytes, 0, "limit 0 pools nothing");
    assert_eq!(pool_stats().reused, before.reused);
    set_pool_limit(limit);
}

#[test]
fn a_storage_shell_is_refilled_only_when_no_tensor_holds_it() {
    // The pool fills recycled storage shells without checking them again (`UniqueShell`): a
    // shell still shared by a view must never come back, or new results would overwrite the
    // view's values.
    clear_pool();
    let x = Tensor::<f32>::ones([4, 4]);
    let view = x.mul_scalar(2.0).t(); // the product's node dies, its storage lives on
    let fresh: Vec<_> = (0..8).map(|i| x.mul_scalar(i as f32 + 3.0)).collect();
    assert_eq!(view.to_vec(), vec![2.0; 16], "a shared storage was reused");
    for (i, t) in fresh.iter().enumerate() {
        assert_eq!(t.to_vec(), vec![i as f32 + 3.0; 16]);
    }
    // A storage whose last holder dies on another thread comes back to that thread's pool, not
    // this one's, and this thread's results stay distinct.
    let shared = x.mul_scalar(5.0);
    let elsewhere = shared.t();
    drop(shared);
    std::thread::spawn(move || assert_eq!(elsewhere.to_vec(), vec![5.0; 16]))
        .join()
        .unwrap();
    drop(fresh);
    let again: Vec<_> = (0..8).map(|i| x.mul_scalar(i as f32)).collect();
    for (i, t) in again.iter().enumerate() {
        assert_eq!(t.to_vec(), vec![i as f32; 16]);
    }
}
