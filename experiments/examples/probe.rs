use autograd::Tensor;
use std::time::Instant;
fn main() {
    let h = 1000;
    let w = Tensor::<f64>::ones([1, h]).requires_grad();
    let b = Tensor::<f64>::ones([h]).requires_grad();
    let a = Tensor::<f64>::ones([h, 1]).requires_grad();
    let x = Tensor::<f64>::ones([5, 1]);
    let t = Instant::now();
    for _ in 0..100 { let _ = x.matmul(&w); }
    println!("matmul x w {:?}", t.elapsed() / 100);
    let p = x.matmul(&w);
    let t = Instant::now();
    for _ in 0..100 { let _ = p.add(&b); }
    println!("add b {:?}", t.elapsed() / 100);
    let q = p.add(&b).relu();
    let t = Instant::now();
    for _ in 0..100 { let _ = q.matmul(&a); }
    println!("matmul q a {:?}", t.elapsed() / 100);
    let t = Instant::now();
    for _ in 0..100 { let l = x.matmul(&w).add(&b).relu().matmul(&a).square().mean_all(); l.backward(); }
    println!("fwd+bwd {:?}", t.elapsed() / 100);
    let t = Instant::now();
    for _ in 0..100 { let l = a.square().sum_all(); l.backward(); }
    println!("penalty {:?}", t.elapsed() / 100);
    use optim::Optimizer;
    let mut opt = optim::Adam::new(vec![w.clone(), b.clone(), a.clone()], optim::AdamConfig::default());
    let t = Instant::now();
    for _ in 0..100 { let l = x.matmul(&w).add(&b).relu().matmul(&a).square().mean_all(); opt.zero_grad(); l.backward(); opt.step(); }
    println!("fwd+bwd+adam {:?}", t.elapsed() / 100);
    let t = Instant::now();
    for _ in 0..1000 { let l = x.matmul(&w).add(&b).relu().matmul(&a).square().mean_all(); opt.zero_grad(); l.backward(); opt.step(); }
    println!("fwd+bwd+adam x1000 {:?}", t.elapsed() / 1000);
    let xb = Tensor::<f32>::ones([128, 784]);
    let w1 = Tensor::<f32>::ones([256, 784]).requires_grad();
    let t = Instant::now();
    for _ in 0..20 { let l = xb.matmul(&w1.t()).relu().sum_all(); l.backward(); }
    println!("mnist layer fwd+bwd {:?}", t.elapsed() / 20);
}
#[allow(dead_code)]
fn unused() {}
