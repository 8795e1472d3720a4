// scratch: CPU-time GFLOP/s of each MLP shape (not committed)
use autograd::kernels::matmul::{self, MatRef};
fn cpu_now() -> f64 {
    let mut ts = libc_timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { clock_gettime(3, &mut ts) }; // CLOCK_THREAD_CPUTIME_ID
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}
#[repr(C)]
struct libc_timespec {
    tv_sec: i64,
    tv_nsec: i64,
}
extern "C" {
    fn clock_gettime(clk: i32, ts: *mut libc_timespec) -> i32;
}
fn mat(data: &[f32], rows: usize, cols: usize, t: bool) -> MatRef<'_, f32> {
    let (row_stride, col_stride) = if t { (1, rows) } else { (cols, 1) };
    MatRef {
        data,
        offset: 0,
        rows,
        cols,
        row_stride,
        col_stride,
    }
}
fn main() {
    let shapes = [
        ("fwd1", 128, 784, 256, false, true),
        ("fwd2", 128, 256, 256, false, true),
        ("fwd3", 128, 256, 10, false, true),
        ("dW3", 10, 128, 256, true, false),
        ("dH2", 128, 10, 256, false, false),
        ("dW2", 256, 128, 256, true, false),
        ("dH1", 128, 256, 256, false, false),
        ("dW1", 256, 128, 784, true, false),
        ("sq512", 512, 512, 512, false, false),
    ];
    let mut tot = [0.0f64; 4];
    for (name, m, k, n, ta, tb) in shapes {
        let av: Vec<f32> = (0..m * k)
            .map(|i| ((i * 7919) % 1000) as f32 * 1e-3)
            .collect();
        let bv: Vec<f32> = (0..k * n)
            .map(|i| ((i * 104729) % 1000) as f32 * 1e-3)
            .collect();
        let (a, b) = (mat(&av, m, k, ta), mat(&bv, k, n, tb));
        let mut c = vec![0.0f32; m * n];
        let flops = 2.0 * (m * k * n) as f64;
        let reps = (2e9 / flops).max(10.0) as usize;
        let mut res = vec![];
        for which in 0..4 {
            let mut best = f64::MAX;
            for _ in 0..5 {
                let t0 = cpu_now();
                for _ in 0..reps {
                    if which == 0 {
                        unsafe {
                            matrixmultiply::sgemm(
                                m,
                                k,
                                n,
                                1.0,
                                a.data.as_ptr(),
                                a.row_stride as isize,
                                a.col_stride as isize,
                                b.data.as_ptr(),
                                b.row_stride as isize,
                                b.col_stride as isize,
                                0.0,
                                c.as_mut_ptr(),
                                n as isize,
                                1,
                            )
                        }
                    } else if which == 1 {
                        matmul::gemm_with(matmul::Kernel::Blocked, a, b, &mut c)
                    } else if which == 2 {
                        matmul::gemm_with(matmul::Kernel::DotRows, a, b, &mut c)
                    } else {
                        matmul::gemm(a, b, &mut c)
                    }
                    std::hint::black_box(&mut c);
                }
                best = best.min((cpu_now() - t0) / reps as f64);
            }
            if name != "sq512" {
                tot[which] += best;
            }
            res.push(flops / best * 1e-9);
        }
        println!(
            "{name:6} mm {:6.1}  blocked {:6.1} dotrows  {:6.1} dispatch {:6.1} GFLOP/s (cpu time)",
            res[0], res[1], res[2], res[3]
        );
    }
    println!("step gemms ms: {:?}", tot.map(|t| t * 1e3));
    let _ = matmul::gemm::<f32>;
}
