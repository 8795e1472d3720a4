//! Data: loaders for IDX (MNIST) and labelled CSV files, gzipped or not, the MNIST split the
//! experiments use (the shipped 5k training subset and the 10k test set, see
//! `experiments/data/README.md`), and the synthetic data sets of the protocols
//! ([`synthetic`]).

pub mod csv;
pub mod idx;
pub mod sensing;
pub mod synthetic;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rand::seq::SliceRandom;
use rand::Rng;

use crate::error::{Error, Result};

/// A labelled data set: `n x d` features (row-major) and class labels `0..k`.
#[derive(Clone, Debug, PartialEq)]
pub struct Labeled {
    /// Features, one sample per row.
    pub x: Vec<f32>,
    /// Labels.
    pub y: Vec<usize>,
    /// Feature count.
    pub d: usize,
    /// Number of classes (`max label + 1`).
    pub k: usize,
}

impl Labeled {
    /// Sample count.
    pub fn n(&self) -> usize {
        self.y.len()
    }

    /// The samples at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Labeled {
        let mut x = Vec::with_capacity(idx.len() * self.d);
        for &i in idx {
            x.extend_from_slice(&self.x[i * self.d..(i + 1) * self.d]);
        }
        Labeled {
            x,
            y: idx.iter().map(|&i| self.y[i]).collect(),
            d: self.d,
            k: self.k,
        }
    }

    /// The first `n` samples of a random permutation (all if `n >= self.n()`).
    pub fn subsample(&self, n: usize, rng: &mut impl Rng) -> Labeled {
        let mut idx: Vec<usize> = (0..self.n()).collect();
        idx.shuffle(rng);
        idx.truncate(n.min(self.n()));
        self.select(&idx)
    }

    /// Applies `f` to each row (e.g. a crop / pool), giving `d_out` features per row.
    pub fn map_rows(&self, d_out: usize, f: impl Fn(&[f32], &mut [f32])) -> Labeled {
        let mut x = vec![0.0; self.n() * d_out];
        for (row, out) in self.x.chunks(self.d).zip(x.chunks_mut(d_out)) {
            f(row, out);
        }
        Labeled {
            x,
            y: self.y.clone(),
            d: d_out,
            k: self.k,
        }
    }
}

/// A train / test pair.
#[derive(Clone, Debug)]
pub struct Split {
    /// Training set.
    pub train: Labeled,
    /// Test set.
    pub test: Labeled,
    /// Where it came from (for the summary).
    pub source: String,
}

impl Split {
    /// Standardizes every feature with the training mean and standard deviation (features
    /// constant on the training set are only centred).
    pub fn standardize(&mut self) {
        let (n, d) = (self.train.n(), self.train.d);
        let mut mean = vec![0.0f64; d];
        let mut var = vec![0.0f64; d];
        for row in self.train.x.chunks(d) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += v as f64 / n as f64;
            }
        }
        for row in self.train.x.chunks(d) {
            for ((s, &m), &v) in var.iter_mut().zip(&mean).zip(row) {
                *s += (v as f64 - m).powi(2) / n as f64;
            }
        }
        let scale: Vec<f64> = var
            .iter()
            .map(|&v| if v > 1e-12 { 1.0 / v.sqrt() } else { 1.0 })
            .collect();
        for set in [&mut self.train, &mut self.test] {
            for row in set.x.chunks_mut(d) {
                for ((v, &m), &s) in row.iter_mut().zip(&mean).zip(&scale) {
                    *v = ((*v as f64 - m) * s) as f32;
                }
            }
        }
    }

    /// Scales every feature by `c` (e.g. `1/255` for pixels).
    pub fn scale(&mut self, c: f32) {
        for set in [&mut self.train, &mut self.test] {
            set.x.iter_mut().for_each(|v| *v *= c);
        }
    }
}

/// The directory of the shipped data files.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

fn check_counts(file: &Path, y: &[usize], n: usize, per_class: Option<usize>) -> Result<()> {
    if y.len() != n {
        return Err(Error::data(
            file,
            None,
            format!("expected {n} samples, found {}", y.len()),
        ));
    }
    if let Some(c) = per_class {
        for k in 0..10 {
            let got = y.iter().filter(|&&l| l == k).count();
            if got != c {
                return Err(Error::data(
                    file,
                    None,
                    format!("expected {c} samples of digit {k}, found {got}"),
                ));
            }
        }
    }
    Ok(())
}

/// MNIST: the shipped training subset (first 500 training images per digit, 5000 x 784) and
/// the 10k test set, pixels as read (0..255). Parsed once per process.
pub fn mnist() -> Result<Split> {
    static CACHE: OnceLock<std::result::Result<Split, String>> = OnceLock::new();
    CACHE
        .get_or_init(|| load_mnist(&data_dir()).map_err(|e| e.to_string()))
        .clone()
        .map_err(Error::Other)
}

/// Loads MNIST from `dir` (`mnist_5k.csv.gz`, `t10k-{images-idx3,labels-idx1}-ubyte.gz`),
/// checking sizes and class counts.
pub fn load_mnist(dir: &Path) -> Result<Split> {
    let train_file = dir.join("mnist_5k.csv.gz");
    let train = csv::read_labeled_csv(&train_file, Some(784))?;
    check_counts(&train_file, &train.y, 5000, Some(500))?;
    let img_file = dir.join("t10k-images-idx3-ubyte.gz");
    let lab_file = dir.join("t10k-labels-idx1-ubyte.gz");
    let (n, d, pixels) = idx::read_images(&img_file)?;
    if d != 784 {
        return Err(Error::data(
            &img_file,
            None,
            format!("expected 28x28 images, found {d} pixels per image"),
        ));
    }
    let labels = idx::read_labels(&lab_file, 10)?;
    check_counts(&img_file, &labels, 10_000, None)?;
    if n != labels.len() {
        return Err(Error::data(
            &lab_file,
            None,
            format!(
                "expected {n} labels (one per image), found {}",
                labels.len()
            ),
        ));
    }
    let test = Labeled {
        x: pixels.iter().map(|&p| p as f32).collect(),
        y: labels,
        d,
        k: 10,
    };
    Ok(Split {
        train: Labeled { k: 10, ..train },
        test,
        source: "MNIST: shipped 5k training subset (500/digit) + 10k test set".into(),
    })
}

/// The experiments' data: MNIST pixels scaled to [0, 1], or with `--data FILE` the user's
/// labelled CSV split 80/20 at random into train / test and standardized.
pub fn load(user: Option<&Path>, rng: &mut impl Rng) -> Result<Split> {
    match user {
        None => {
            let mut s = mnist()?;
            s.scale(1.0 / 255.0);
            Ok(s)
        }
        Some(file) => {
            let all = csv::read_labeled_csv(file, None)?;
            if all.n() < 10 {
                return Err(Error::data(
                    file,
                    None,
                    format!("expected at least 10 samples, found {}", all.n()),
                ));
            }
            let mut idx: Vec<usize> = (0..all.n()).collect();
            idx.shuffle(rng);
            let cut = all.n() * 4 / 5;
            let mut s = Split {
                train: all.select(&idx[..cut]),
                test: all.select(&idx[cut..]),
                source: format!("{} (random 80/20 split, standardized)", file.display()),
            };
            s.standardize();
            Ok(s)
        }
    }
}

/// MNIST at 10x10 (protocol 8a): centre crop 20x20, then 2x2 average pooling.
pub fn crop_pool_10x10(row: &[f32], out: &mut [f32]) {
    for i in 0..10 {
        for j in 0..10 {
            let (r, c) = (4 + 2 * i, 4 + 2 * j);
            out[i * 10 + j] = 0.25
                * (row[r * 28 + c]
                    + row[r * 28 + c + 1]
                    + row[(r + 1) * 28 + c]
                    + row[(r + 1) * 28 + c + 1]);
        }
    }
}
