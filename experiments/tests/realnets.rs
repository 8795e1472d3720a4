//! The real-network experiments (issue 8): data loaders, their errors, and the quick runs.

use std::io::Write;
use std::path::PathBuf;

use experiments::data::{self, csv::read_labeled_csv, idx};
use experiments::Error;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("realnets-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn data_err(r: Result<impl std::fmt::Debug, Error>) -> String {
    match r {
        Err(e @ Error::Data { .. }) => e.to_string(),
        other => panic!("expected a data error, got {other:?}"),
    }
}

#[test]
fn shipped_mnist_loads_with_expected_sizes() {
    let s = data::mnist().unwrap();
    assert_eq!((s.train.n(), s.train.d, s.train.k), (5000, 784, 10));
    assert_eq!((s.test.n(), s.test.d), (10_000, 784));
    assert_eq!(s.train.y[0], 0);
    assert_eq!(s.train.y[4999], 9);
    assert!(s.test.x.iter().all(|&p| (0.0..=255.0).contains(&p)));
    // Class counts of the MNIST test set.
    let counts: Vec<usize> = (0..10)
        .map(|k| s.test.y.iter().filter(|&&y| y == k).count())
        .collect();
    assert_eq!(
        counts,
        vec![980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
}

#[test]
fn idx_errors_name_file_expected_and_found() {
    let mut good = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2];
    good.extend([1u8; 8]);
    let f = tmp("good.idx.gz");
    std::fs::write(&f, gz(&good)).unwrap();
    let (n, d, px) = idx::read_images(&f).unwrap();
    assert_eq!((n, d, px.len()), (2, 4, 8));

    let f = tmp("truncated.idx");
    std::fs::write(&f, &good[..20]).unwrap();
    let m = data_err(idx::read_images(&f));
    assert!(
        m.contains("truncated.idx") && m.contains("expected 8 data bytes") && m.contains("found 4"),
        "{m}"
    );

    let f = tmp("badmagic.idx");
    let mut bad = good.clone();
    bad[2] = 0x0d;
    std::fs::write(&f, &bad).unwrap();
    let m = data_err(idx::read_images(&f));
    assert!(
        m.contains("badmagic.idx") && m.contains("magic") && m.contains("0x00000d03"),
        "{m}"
    );

    let f = tmp("shortheader.idx");
    std::fs::write(&f, &good[..9]).unwrap();
    let m = data_err(idx::read_images(&f));
    assert!(
        m.contains("truncated header") && m.contains("expected 16 bytes"),
        "{m}"
    );

    let f = tmp("labels-as-images.idx");
    std::fs::write(&f, [0, 0, 8, 1, 0, 0, 0, 2, 3, 4]).unwrap();
    let m = data_err(idx::read_images(&f));
    assert!(
        m.contains("expected an image file") && m.contains("found 1 dimension"),
        "{m}"
    );
    assert_eq!(idx::read_labels(&f, 10).unwrap(), vec![3, 4]);
    let m = data_err(idx::read_labels(&f, 4));
    assert!(m.contains("label 4") && m.contains("not in 0..4"), "{m}");

    let f = tmp("cut.gz");
    let z = gz(&good);
    std::fs::write(&f, &z[..z.len() / 2]).unwrap();
    let m = data_err(idx::read_images(&f));
    assert!(m.contains("cut.gz") && m.contains("gzip"), "{m}");

    let m = data_err(idx::read_images(&tmp("missing.idx")));
    assert!(
        m.contains("missing.idx") && m.contains("cannot read"),
        "{m}"
    );
}

#[test]
fn csv_errors_name_file_line_expected_and_found() {
    let f = tmp("ok.csv.gz");
    std::fs::write(&f, gz(b"a,b,label\n1,2,0\n3,4,1\n")).unwrap();
    let d = read_labeled_csv(&f, Some(2)).unwrap();
    assert_eq!((d.n(), d.d, d.k), (2, 2, 2));
    assert_eq!(d.x, vec![1.0, 2.0, 3.0, 4.0]);

    let f = tmp("ragged.csv");
    std::fs::write(&f, "1,2,0\n3,1\n").unwrap();
    let m = data_err(read_labeled_csv(&f, None));
    assert!(
        m.contains("ragged.csv: line 2") && m.contains("expected 3 cells") && m.contains("found 2"),
        "{m}"
    );
    let f = tmp("narrow.csv");
    std::fs::write(&f, "1,2,0\n3,4,1\n").unwrap();
    let m = data_err(read_labeled_csv(&f, Some(784)));
    assert!(
        m.contains("line 1") && m.contains("expected 785 cells") && m.contains("found 3"),
        "{m}"
    );

    let f = tmp("text.csv");
    std::fs::write(&f, "1,2,0\n3,x,1\n").unwrap();
    let m = data_err(read_labeled_csv(&f, None));
    assert!(m.contains("line 2") && m.contains("\"x\""), "{m}");

    let f = tmp("label.csv");
    std::fs::write(&f, "1,2,0\n3,4,1.5\n").unwrap();
    let m = data_err(read_labeled_csv(&f, None));
    assert!(
        m.contains("line 2") && m.contains("class label") && m.contains("1.5"),
        "{m}"
    );

    let f = tmp("one-class.csv");
    std::fs::write(&f, "1,2,0\n3,4,0\n").unwrap();
    assert!(data_err(read_labeled_csv(&f, None)).contains("two classes"));

    let f = tmp("empty.csv");
    std::fs::write(&f, "").unwrap();
    assert!(data_err(read_labeled_csv(&f, None)).contains("found none"));

    // A truncated copy of the shipped MNIST directory is reported with the expected counts.
    let dir = tmp("mnist-short");
    std::fs::create_dir_all(&dir).unwrap();
    let row = |label: u8| ["0,".repeat(784).into_bytes(), vec![b'0' + label, b'\n']].concat();
    std::fs::write(dir.join("mnist_5k.csv.gz"), gz(&[row(3), row(4)].concat())).unwrap();
    let m = data_err(data::load_mnist(&dir));
    assert!(
        m.contains("mnist_5k.csv.gz") && m.contains("expected 5000 samples, found 2"),
        "{m}"
    );
}

/// Runs `name --quick` and asserts that every claim holds; returns the summary.
fn quick(name: &str) -> experiments::Summary {
    let config = experiments::Config {
        quick: true,
        out: tmp(&format!("out-{name}")),
        ..Default::default()
    };
    let exp = experiments::find(name).unwrap();
    let start = std::time::Instant::now();
    let s = experiments::run_experiment(exp, &config).unwrap();
    eprintln!("{name} --quick: {:.1} s", start.elapsed().as_secs_f64());
    for c in &s.claims {
        assert!(
            c.holds,
            "{name}: claim failed: {} ({} = {} vs {:?} {})",
            c.claim, c.metric, c.value, c.bound, c.relation
        );
    }
    assert!(!s.figures.is_empty());
    s
}

#[test]
fn quick_adaptive_vs_sgd() {
    let s = quick("adaptive_vs_sgd");
    // 6a: two claims for each of GD, SGD, heavy ball, AdaGrad, RMSprop, Adam; 6b: each of the
    // three optimizers reaches zero training error on each of the full run's 3 seeds (a
    // sanity check per run).
    let part = |p: &str| s.claims.iter().filter(|c| c.claim.starts_with(p)).count();
    assert_eq!(part("6a:"), 12);
    assert_eq!(part("6b:"), 9);
}

#[test]
fn quick_width_sweep() {
    let s = quick("width_sweep");
    assert_eq!(s.arrays["widths"].last(), Some(&2048.0));
}

#[test]
fn quick_norm_growth() {
    let s = quick("norm_growth");
    assert!(s.notes.iter().any(|n| n.contains("| epoch | l2 norm |")));
}

#[test]
fn quick_relu_1d() {
    quick("relu_1d");
}

#[test]
fn quick_dropout_pathsgd() {
    quick("dropout_pathsgd");
}

#[test]
fn user_csv_replaces_mnist() {
    // A small separable 3-class CSV with a header: the MNIST experiments accept it via --data.
    let f = tmp("user.csv");
    let mut text = String::from("a,b,label\n");
    for i in 0..60 {
        let k = i % 3;
        text += &format!(
            "{},{},{k}\n",
            k as f64 * 3.0 + (i as f64 * 0.37).sin(),
            (i as f64 * 0.11).cos()
        );
    }
    std::fs::write(&f, text).unwrap();
    let config = experiments::Config {
        quick: true,
        out: tmp("out-user"),
        data: Some(f.clone()),
        ..Default::default()
    };
    let s =
        experiments::run_experiment(experiments::find("norm_growth").unwrap(), &config).unwrap();
    assert!(s.notes[0].contains("user.csv"));
    let bad = tmp("bad-user.csv");
    std::fs::write(&bad, "1,2,0\n1,2\n").unwrap();
    let config = experiments::Config {
        data: Some(bad),
        ..config
    };
    let m = data_err(experiments::run_experiment(
        experiments::find("width_sweep").unwrap(),
        &config,
    ));
    assert!(m.contains("bad-user.csv: line 2"), "{m}");
}
