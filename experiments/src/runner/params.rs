//! Tunable parameters: what an experiment declares (name, meaning, kind, defaults at full size
//! and with `--quick`), the values a run overrides them with ([`Params`]), and the checks that
//! an override fits its declaration.
//!
//! A value is a list of numbers; a scalar parameter holds exactly one. An experiment reads its
//! parameters with [`Ctx::param`](crate::Ctx::param) and the typed forms next to it, so that
//! a sweep (`experiments sweep SPEC`) can set them per cell.

use std::collections::BTreeMap;

/// Parameter overrides of one run, by name (a scalar is a one-element list).
pub type Params = BTreeMap<String, Vec<f64>>;

/// What values a parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// One non-negative integer (a size, a step count).
    Count,
    /// A non-empty list of non-negative integers (e.g. widths).
    Counts,
    /// One finite real number.
    Real,
    /// A non-empty list of finite real numbers (e.g. init scales).
    Reals,
}

/// A tunable parameter, declared in an experiment's `EXPERIMENT.params`.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// Its name (the key in a sweep spec).
    pub name: &'static str,
    /// What it is, in words.
    pub doc: &'static str,
    /// The values it takes.
    pub kind: ParamKind,
    /// The default of a full run.
    pub full: &'static [f64],
    /// The default with `--quick`.
    pub quick: &'static [f64],
}

impl Param {
    /// Checks that `values` are of this parameter's kind; the error says what was expected.
    pub fn check(&self, values: &[f64]) -> Result<(), String> {
        let integer =
            |v: &f64| v.is_finite() && *v >= 0.0 && v.fract() == 0.0 && *v < 2f64.powi(53);
        let (one, ok, what) = match self.kind {
            ParamKind::Count => (true, values.iter().all(integer), "a non-negative integer"),
            ParamKind::Counts => (
                false,
                values.iter().all(integer),
                "a non-empty list of non-negative integers",
            ),
            ParamKind::Real => (
                true,
                values.iter().all(|v| v.is_finite()),
                "a finite number",
            ),
            ParamKind::Reals => (
                false,
                values.iter().all(|v| v.is_finite()),
                "a non-empty list of finite numbers",
            ),
        };
        if ok && !values.is_empty() && (!one || values.len() == 1) {
            Ok(())
        } else {
            Err(format!(
                "parameter {}: expected {what}, found {values:?}",
                self.name
            ))
        }
    }

    /// The default, full or quick.
    pub fn default_values(&self, quick: bool) -> &'static [f64] {
        if quick {
            self.quick
        } else {
            self.full
        }
    }
}

/// The declaration named `name` among `declared`, or an error listing the declared names.
pub fn lookup<'p>(
    experiment: &str,
    declared: &'p [Param],
    name: &str,
) -> Result<&'p Param, String> {
    declared.iter().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = declared.iter().map(|p| p.name).collect();
        format!(
            "experiment {experiment} has no parameter {name:?}; it declares: {}",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )
    })
}

/// `name=v1,v2 ...` of each override, in name order (for checkpoint keys and labels).
pub fn label(params: &Params) -> String {
    params
        .iter()
        .map(|(k, v)| {
            let vs: Vec<String> = v.iter().map(|x| x.to_string()).collect();
            format!("{k}={}", vs.join(","))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIDTHS: Param = Param {
        name: "widths",
        doc: "hidden units",
        kind: ParamKind::Counts,
        full: &[8.0, 16.0],
        quick: &[8.0],
    };

    #[test]
    fn kinds_are_checked() {
        assert!(WIDTHS.check(&[4.0, 32.0]).is_ok());
        assert!(WIDTHS.check(&[]).is_err());
        assert!(WIDTHS.check(&[4.5]).is_err());
        assert!(WIDTHS.check(&[-1.0]).is_err());
        let alpha = Param {
            kind: ParamKind::Real,
            ..WIDTHS
        };
        assert!(alpha.check(&[0.5]).is_ok());
        assert!(alpha.check(&[0.5, 1.0]).is_err());
        assert!(alpha.check(&[f64::NAN]).is_err());
    }

    #[test]
    fn undeclared_names_are_errors() {
        assert!(lookup("x", &[WIDTHS], "widths").is_ok());
        let e = lookup("x", &[WIDTHS], "width").unwrap_err();
        assert!(e.contains("widths"), "{e}");
    }
}
