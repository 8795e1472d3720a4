//! Writes a linearly separable data set as a CSV that `experiments run NAME --data FILE` reads:
//! Gaussian features `x ~ N(0, I_d)`, a random unit teacher `w*`, and the label of each point
//! from the teacher, keeping only points with `|<w*, x>| >= margin` (so the set is separable
//! through the origin with margin at least `margin`). With `--classes K > 2`, K random unit
//! teachers and the label `argmax_k <w*_k, x>`, keeping points whose top score beats the runner-up
//! by `margin`. Labels: -1/1 for two classes, 0..K-1 otherwise.
//!
//!     cargo run --release -p experiments --example make_separable -- ROWS FEATURES [CLASSES] [MARGIN] [SEED] > data.csv
//!
//! The data sets of the scaling measurements (`benches/README.md`) are made by this program.

use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

fn unit(rng: &mut impl Rng, d: usize) -> Vec<f64> {
    let v: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
    let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    v.into_iter().map(|x| x / n).collect()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.into());
    let parsed = (|| -> Result<(usize, usize, usize, f64, u64), String> {
        let num = |name: &str, s: String| s.parse::<f64>().map_err(|e| format!("{name}: {e}"));
        Ok((
            num("ROWS", arg(0, ""))? as usize,
            num("FEATURES", arg(1, ""))? as usize,
            num("CLASSES", arg(2, "2"))? as usize,
            num("MARGIN", arg(3, "0.1"))?,
            num("SEED", arg(4, "1"))? as u64,
        ))
    })();
    let (rows, d, k, margin, seed) = match parsed {
        Ok(p) if p.0 > 0 && p.1 > 0 && p.2 >= 2 && p.3 >= 0.0 => p,
        Ok(_) | Err(_) => {
            eprintln!(
                "usage: make_separable ROWS FEATURES [CLASSES=2] [MARGIN=0.1] [SEED=1] (ROWS, FEATURES > 0, CLASSES >= 2, MARGIN >= 0){}",
                parsed.err().map(|e| format!("\nerror: {e}")).unwrap_or_default()
            );
            return ExitCode::from(2);
        }
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let teachers: Vec<Vec<f64>> = (0..k.max(2) - usize::from(k == 2))
        .map(|_| unit(&mut rng, d))
        .collect();
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    let mut written = 0;
    while written < rows {
        let x: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
        let scores: Vec<f64> = teachers
            .iter()
            .map(|w| w.iter().zip(&x).map(|(a, b)| a * b).sum())
            .collect();
        let label = if k == 2 {
            if scores[0].abs() < margin {
                continue;
            }
            if scores[0] > 0.0 {
                "1".to_string()
            } else {
                "-1".to_string()
            }
        } else {
            let mut order: Vec<usize> = (0..k).collect();
            order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
            if scores[order[0]] - scores[order[1]] < margin {
                continue;
            }
            order[0].to_string()
        };
        let cells: Vec<String> = x.iter().map(|v| format!("{v:.6}")).collect();
        if writeln!(out, "{},{label}", cells.join(",")).is_err() {
            return ExitCode::from(1);
        }
        written += 1;
    }
    ExitCode::SUCCESS
}
