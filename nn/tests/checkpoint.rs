//! Checkpoints (bit-exact round trips and the error cases) and the parameter utilities.

use autograd::{Float, Tensor};
use nn::checkpoint::{load, save, save_tensors};
use nn::{Activation, Conv2d, DiagonalNet, Error, Init, Linear, Mlp, Module, Sequential};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nn-checkpoint-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn net<T: Float>(seed: u64) -> Sequential<T> {
    let mut rng = StdRng::seed_from_u64(seed);
    Sequential::new()
        .push(
            Conv2d::new(1, 2, 3, 1, 1, true, Init::Normal { std: 1.0 }, &mut rng)
                .with_bias_init(Init::Normal { std: 1.0 }, &mut rng),
        )
        .push(nn::Flatten)
        .push(
            Linear::new(2 * 4 * 4, 3, true, Init::Normal { std: 1.0 }, &mut rng)
                .with_bias_init(Init::Normal { std: 1.0 }, &mut rng),
        )
}

fn bits<T: Float>(m: &mut dyn Module<T>) -> Vec<u64> {
    nn::params::flatten(m)
        .iter()
        .map(|v| v.f64().to_bits())
        .collect()
}

fn round_trip<T: Float>(name: &str) {
    let path = tmp(name);
    let mut a = net::<T>(1);
    let mut b = net::<T>(2);
    assert_ne!(bits(&mut a), bits(&mut b));
    save(&mut a, &path).unwrap();
    assert!(
        !PathBuf::from(format!("{}.tmp", path.display())).exists(),
        "temporary file left behind"
    );
    let ids: Vec<usize> = b.parameters().iter().map(|(_, p)| p.id()).collect();
    load(&mut b, &path).unwrap();
    assert_eq!(bits(&mut a), bits(&mut b));
    // loaded in place: same tensors, so optimizers holding them see the values
    assert_eq!(
        ids,
        b.parameters()
            .iter()
            .map(|(_, p)| p.id())
            .collect::<Vec<_>>()
    );
    // the file is plain safetensors: names, dtype, shapes, little-endian values
    let bytes = std::fs::read(&path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort();
    assert_eq!(names, ["0.bias", "0.weight", "2.bias", "2.weight"]);
    let w = st.tensor("0.weight").unwrap();
    assert_eq!(w.shape(), &[2, 1, 3, 3]);
    let first = a.parameters()[0].1.to_vec()[0];
    let (dtype, le) = match T::DTYPE {
        "f32" => (
            safetensors::Dtype::F32,
            (first.f64() as f32).to_le_bytes().to_vec(),
        ),
        _ => (safetensors::Dtype::F64, first.f64().to_le_bytes().to_vec()),
    };
    assert_eq!(w.dtype(), dtype);
    assert_eq!(&w.data()[..le.len()], &le[..]);
}

#[test]
fn round_trip_is_bit_exact_f32() {
    round_trip::<f32>("rt32.safetensors");
}

#[test]
fn round_trip_is_bit_exact_f64() {
    round_trip::<f64>("rt64.safetensors");
}

#[test]
fn overwriting_a_checkpoint_replaces_it() {
    let path = tmp("overwrite.safetensors");
    save(&mut net::<f64>(1), &path).unwrap();
    let mut b = net::<f64>(2);
    save(&mut b, &path).unwrap();
    let mut c = net::<f64>(3);
    load(&mut c, &path).unwrap();
    assert_eq!(bits(&mut b), bits(&mut c));
}

#[test]
fn missing_tensor_is_named() {
    let path = tmp("missing.safetensors");
    let mut a = net::<f64>(1);
    let mut params = a.parameters();
    params.remove(3); // "2.bias"
    save_tensors(&params, &path).unwrap();
    let mut b = net::<f64>(2);
    let before = bits(&mut b);
    let err = load(&mut b, &path).unwrap_err();
    assert!(
        matches!(&err, Error::MissingTensor { name } if name == "2.bias"),
        "{err:?}"
    );
    assert!(err.to_string().contains("\"2.bias\""), "{err}");
    assert_eq!(bits(&mut b), before, "a failed load must change nothing");
}

#[test]
fn wrong_shape_is_named_with_expected_and_found() {
    let path = tmp("shape.safetensors");
    let mut a = net::<f64>(1);
    let mut params = a.parameters();
    params[2].1 = Tensor::zeros([3, 31]); // "2.weight" is [3, 32]
    save_tensors(&params, &path).unwrap();
    let err = load(&mut net::<f64>(2), &path).unwrap_err();
    match &err {
        Error::ShapeMismatch {
            name,
            expected,
            found,
        } => {
            assert_eq!(
                (name.as_str(), &expected[..], &found[..]),
                ("2.weight", &[3, 32][..], &[3, 31][..])
            );
        }
        other => panic!("wrong error {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("2.weight") && msg.contains("[3, 32]") && msg.contains("[3, 31]"),
        "{msg}"
    );
}

#[test]
fn wrong_dtype_is_named_with_expected_and_found() {
    let path = tmp("dtype.safetensors");
    save(&mut net::<f32>(1), &path).unwrap();
    let err = load(&mut net::<f64>(2), &path).unwrap_err();
    match &err {
        Error::DtypeMismatch {
            name,
            expected,
            found,
        } => {
            assert_eq!(
                (name.as_str(), expected.as_str(), found.as_str()),
                ("0.weight", "F64", "F32")
            );
        }
        other => panic!("wrong error {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("0.weight") && msg.contains("F64") && msg.contains("F32"),
        "{msg}"
    );
}

#[test]
fn extra_tensor_and_bad_file_are_errors() {
    let path = tmp("extra.safetensors");
    let mut a = net::<f64>(1);
    let mut params = a.parameters();
    params.push(("9.weight".into(), Tensor::zeros([1])));
    save_tensors(&params, &path).unwrap();
    let err = load(&mut net::<f64>(2), &path).unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedTensor { name } if name == "9.weight"),
        "{err:?}"
    );
    let junk = tmp("junk.safetensors");
    std::fs::write(&junk, b"not a checkpoint").unwrap();
    assert!(matches!(
        load(&mut net::<f64>(2), &junk),
        Err(Error::Format { .. })
    ));
    let err = load(&mut net::<f64>(2), tmp("does-not-exist.safetensors")).unwrap_err();
    assert!(
        matches!(&err, Error::Io { .. }) && err.to_string().contains("does-not-exist"),
        "{err}"
    );
}

#[test]
fn parameter_utilities() {
    // W = [[3, 4]] (norm 5), b = [12] (norm 12): total sqrt(25 + 144) = 13
    let mut lin = Linear::from_tensors(
        Tensor::<f64>::from_vec(vec![3.0, 4.0], [1, 2]).unwrap(),
        Some(Tensor::from_vec(vec![12.0], [1]).unwrap()),
    );
    assert_eq!(nn::params::count(&mut lin), 3);
    assert_eq!(nn::params::l2_norm(&mut lin), 13.0);
    assert_eq!(
        nn::params::tensor_norms(&mut lin),
        vec![("weight".to_string(), 5.0), ("bias".to_string(), 12.0)]
    );
    assert_eq!(
        nn::params::layer_norms(&mut lin),
        vec![("weight".to_string(), 5.0), ("bias".to_string(), 12.0)]
    );
    assert_eq!(nn::params::flatten(&mut lin), vec![3.0, 4.0, 12.0]);
    assert_eq!(nn::params::flatten_tensor(&mut lin).dims(), &[3]);
    assert_eq!(nn::params::squared_norm(&mut lin).item(), 169.0);
    nn::params::assign_flat(&mut lin, &[1.0, 2.0, 3.0]).unwrap();
    assert_eq!(lin.weight.to_vec(), vec![1.0, 2.0]);
    assert_eq!(lin.bias.as_ref().unwrap().to_vec(), vec![3.0]);
    let err = nn::params::assign_flat(&mut lin, &[1.0, 2.0]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::LengthMismatch {
                expected: 3,
                got: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("expected 3") && err.to_string().contains("got 2"),
        "{err}"
    );
    assert_eq!(
        lin.weight.to_vec(),
        vec![1.0, 2.0],
        "a failed assign changes nothing"
    );

    // per-layer norms group weight and bias: layer 0 has W (1, 2), b (2, 0) -> 3;
    // layer 2 has W (4, 0), b (0) -> 4
    let mut mlp = Mlp::<f64>::new(
        &[1, 2, 1],
        Activation::Relu,
        true,
        Init::Constant { value: 0.0 },
        &mut StdRng::seed_from_u64(0),
    );
    let n = nn::params::count(&mut mlp);
    assert_eq!(n, 2 + 2 + 2 + 1);
    nn::params::assign_flat(&mut mlp, &[1.0, 2.0, 2.0, 0.0, 4.0, 0.0, 0.0]).unwrap();
    assert_eq!(
        nn::params::layer_norms(&mut mlp),
        vec![("layers.0".to_string(), 3.0), ("layers.2".to_string(), 4.0)]
    );

    // gradients flatten in the same order; zero_grad clears them
    let mut d = DiagonalNet::<f64>::new(2, 1.0);
    d.forward(&Tensor::from_vec(vec![1.0, 2.0], [1, 2]).unwrap())
        .sum_all()
        .backward();
    assert_eq!(
        nn::params::flatten_grads(&mut d),
        vec![2.0, 4.0, -2.0, -4.0]
    );
    d.zero_grad();
    assert!(d.u.grad().is_none() && d.v.grad().is_none());
    assert_eq!(nn::params::flatten_grads(&mut d), vec![0.0; 4]);
}
