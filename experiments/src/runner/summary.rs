//! `summary.json`: the claims an experiment checked, with measured values and bounds.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The bound a claim's metric is compared with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Bound {
    /// A single number (the relation says which side).
    Value(#[serde(with = "optim::json::float")] f64),
    /// A closed interval `[lo, hi]`.
    Range(#[serde(with = "optim::json::float_pair")] [f64; 2]),
}

/// What a claim checks: the verdict line counts each kind separately.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A theorem's conclusion on data meeting its assumptions (the science).
    #[default]
    Prediction,
    /// A rival method or a broken assumption gives something measurably different, so the
    /// predictions can fail (a control first checks that its run converged).
    Control,
    /// A precondition of the measurement: the run interpolates, a gradient checks, a
    /// reference solver is accurate. Not evidence for or against the theory.
    Sanity,
}

impl Kind {
    /// The plural used in verdict lines: `predictions`, `controls`, `sanity`.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Prediction => "predictions",
            Kind::Control => "controls",
            Kind::Sanity => "sanity",
        }
    }
}

fn yes() -> bool {
    true
}

/// The smallest accuracy [`Claim::discriminating`] credits a run with: about 1e4 ulps of a
/// relative quantity, so rivals that agree to rounding are never told apart.
pub const MIN_ACCURACY: f64 = 1e-12;

/// One checked claim: a prediction, a control or a sanity check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// The prediction, in words.
    pub claim: String,
    /// What was measured.
    pub metric: String,
    /// The measured value (NaN and infinities are written as the strings `"NaN"`, `"inf"`,
    /// `"-inf"`, as everywhere in `summary.json`).
    #[serde(with = "optim::json::float")]
    pub value: f64,
    /// The pass bound.
    pub bound: Bound,
    /// `"<"`, `"<="`, `">"`, `">="` or `"in"`: `value RELATION bound`.
    pub relation: String,
    /// Whether the claim holds.
    pub holds: bool,
    /// Prediction, control or sanity check (older summaries without it read as predictions).
    #[serde(default)]
    pub kind: Kind,
    /// False when the claim's rivals cannot be told apart on this data (their distance is
    /// within the run's accuracy): the claim is then "not discriminating here", counted
    /// neither as held nor as failed. See [`Claim::discriminating`].
    #[serde(default = "yes")]
    pub discriminates: bool,
}

impl Claim {
    fn new(
        claim: &str,
        metric: &str,
        value: f64,
        bound: Bound,
        relation: &str,
        holds: bool,
    ) -> Self {
        Self {
            claim: claim.into(),
            metric: metric.into(),
            value,
            bound,
            relation: relation.into(),
            holds: holds && value.is_finite(),
            kind: Kind::Prediction,
            discriminates: true,
        }
    }

    /// Marks the claim a control: a rival or a broken assumption that must differ.
    pub fn control(mut self) -> Self {
        self.kind = Kind::Control;
        self
    }

    /// Marks the claim a sanity check (a precondition, not a finding).
    pub fn sanity(mut self) -> Self {
        self.kind = Kind::Sanity;
        self
    }

    /// Records whether the rivals this claim separates are distinguishable on this data:
    /// `separation` is their distance (in the claim's units) and `accuracy` what the runs and
    /// references resolve. When `separation <= 3 accuracy` the claim is "not discriminating
    /// here": a distinct verdict, neither a pass nor a fail. The measured value is kept.
    ///
    /// An `accuracy` below [`MIN_ACCURACY`] (or negative: a run that beats its reference by the
    /// reference's own rounding) counts as that floor.
    pub fn discriminating(mut self, separation: f64, accuracy: f64) -> Self {
        self.discriminates = separation > 3.0 * accuracy.max(MIN_ACCURACY);
        self
    }

    /// The claim's verdict: `held`, `FAILED` or `not discriminating`.
    pub fn status(&self) -> &'static str {
        if !self.discriminates {
            "not discriminating"
        } else if self.holds {
            "held"
        } else {
            "FAILED"
        }
    }

    /// `value < bound`.
    pub fn below(claim: &str, metric: &str, value: f64, bound: f64) -> Self {
        Self::new(
            claim,
            metric,
            value,
            Bound::Value(bound),
            "<",
            value < bound,
        )
    }

    /// `value <= bound`.
    pub fn at_most(claim: &str, metric: &str, value: f64, bound: f64) -> Self {
        Self::new(
            claim,
            metric,
            value,
            Bound::Value(bound),
            "<=",
            value <= bound,
        )
    }

    /// `value > bound`.
    pub fn above(claim: &str, metric: &str, value: f64, bound: f64) -> Self {
        Self::new(
            claim,
            metric,
            value,
            Bound::Value(bound),
            ">",
            value > bound,
        )
    }

    /// `value >= bound`.
    pub fn at_least(claim: &str, metric: &str, value: f64, bound: f64) -> Self {
        Self::new(
            claim,
            metric,
            value,
            Bound::Value(bound),
            ">=",
            value >= bound,
        )
    }

    /// `lo <= value <= hi`.
    pub fn within(claim: &str, metric: &str, value: f64, lo: f64, hi: f64) -> Self {
        let holds = (lo..=hi).contains(&value);
        Self::new(claim, metric, value, Bound::Range([lo, hi]), "in", holds)
    }

    /// A yes/no property, recorded as value 1 (true) or 0 (false) with bound 1.
    pub fn is_true(claim: &str, metric: &str, ok: bool) -> Self {
        let v = if ok { 1.0 } else { 0.0 };
        Self::new(claim, metric, v, Bound::Value(1.0), ">=", ok)
    }
}

/// The content of `OUT/NAME/summary.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    /// The experiment's name.
    pub experiment: String,
    /// The seed it ran with.
    pub seed: u64,
    /// Whether it was a `--quick` run.
    pub quick: bool,
    /// Wall-clock seconds (of this invocation; a resumed run counts only the resumed part).
    pub runtime_s: f64,
    /// The data file, when `--data` was given.
    pub data: Option<String>,
    /// The checked predictions.
    pub claims: Vec<Claim>,
    /// Informational numbers (report-only checks), by name.
    #[serde(with = "optim::json::float_map")]
    pub report: BTreeMap<String, f64>,
    /// Final iterates and reference solutions, by name.
    #[serde(with = "optim::json::vec_map")]
    pub arrays: BTreeMap<String, Vec<f64>>,
    /// CSV traces written, relative to the experiment directory.
    pub traces: Vec<String>,
    /// Figures written (SVG and PNG), relative to the experiment directory.
    pub figures: Vec<String>,
    /// Free-form notes (deviations, skipped parts).
    pub notes: Vec<String>,
    /// Training runs this invocation resumed from a checkpoint, with the step each resumed at
    /// (empty for an uninterrupted run).
    #[serde(default)]
    pub resumed: BTreeMap<String, u64>,
}

impl Summary {
    /// True when every claim holds, or cannot discriminate on this data.
    pub fn all_hold(&self) -> bool {
        self.claims.iter().all(|c| c.holds || !c.discriminates)
    }

    /// Per kind, `(held, checked)`: claims that discriminate and hold, and claims that
    /// discriminate; plus the number that were not discriminating.
    pub fn tally(&self) -> ([(Kind, usize, usize); 3], usize) {
        let mut t = [
            (Kind::Prediction, 0, 0),
            (Kind::Control, 0, 0),
            (Kind::Sanity, 0, 0),
        ];
        let mut not_discriminating = 0;
        for c in &self.claims {
            if !c.discriminates {
                not_discriminating += 1;
                continue;
            }
            let row = t.iter_mut().find(|r| r.0 == c.kind).expect("every kind");
            row.2 += 1;
            row.1 += usize::from(c.holds);
        }
        (t, not_discriminating)
    }

    /// Adds a claim.
    pub fn claim(&mut self, c: Claim) {
        self.claims.push(c);
    }

    /// Records `c` as a claim when `assert`, otherwise its measured value as a report named
    /// `"CLAIM (not asserted here): METRIC"`: for a claim that holds on an experiment's own
    /// construction (a monotone error, a tight rate) but is not the theorem's conclusion on
    /// arbitrary data, such as a user's `--data`.
    pub fn claim_if(&mut self, assert: bool, c: Claim) {
        if assert {
            self.claim(c);
        } else {
            let name = format!("{} (not asserted here): {}", c.claim, c.metric);
            self.report(&name, c.value);
        }
    }

    /// Records an informational number.
    pub fn report(&mut self, name: &str, value: f64) {
        self.report.insert(name.into(), value);
    }

    /// Records an array (final iterate or reference).
    pub fn array(&mut self, name: &str, v: &[f64]) {
        self.arrays.insert(name.into(), v.to_vec());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_tallied_apart_and_non_discriminating_claims_neither_pass_nor_fail() {
        let mut s = Summary::default();
        s.claim(Claim::below("p1", "x", 1.0, 2.0));
        s.claim(Claim::below("p2", "x", 3.0, 2.0));
        s.claim(Claim::above("c", "gap", 5.0, 1.0).control());
        s.claim(Claim::is_true("s", "interpolates", true).sanity());
        // A failing claim whose rivals are 0.1 apart at accuracy 0.05: not discriminating.
        s.claim(Claim::below("nd", "x", 3.0, 2.0).discriminating(0.1, 0.05));
        let (t, nd) = s.tally();
        assert_eq!(t[0], (Kind::Prediction, 1, 2));
        assert_eq!(t[1], (Kind::Control, 1, 1));
        assert_eq!(t[2], (Kind::Sanity, 1, 1));
        assert_eq!(nd, 1);
        assert_eq!(s.claims[4].status(), "not discriminating");
        assert!(!s.all_hold(), "p2 fails");
        s.claims.remove(1);
        assert!(
            s.all_hold(),
            "the non-discriminating claim does not fail the run"
        );
        // Separation well above the accuracy: discriminating, and a failure again.
        let c = Claim::below("d", "x", 3.0, 2.0).discriminating(1.0, 0.05);
        assert_eq!(c.status(), "FAILED");
        // Rivals that coincide to rounding are not told apart, even when the run's accuracy
        // is "better" than the reference's (here negative: it beat its reference by rounding).
        for (sep, acc) in [(-7.5e-14, -1e-13), (2e-12, 0.0), (2e-12, 1e-15)] {
            let c = Claim::below("r", "x", 3.0, 2.0).discriminating(sep, acc);
            assert_eq!(c.status(), "not discriminating", "{sep}, {acc}");
        }
        let c = Claim::below("r", "x", 3.0, 2.0).discriminating(4e-12, 1e-15);
        assert_eq!(c.status(), "FAILED");
    }

    #[test]
    fn summaries_without_kinds_read_as_discriminating_predictions() {
        let text =
            r#"{"claim":"a","metric":"x","value":1.0,"bound":2.0,"relation":"<","holds":true}"#;
        let c: Claim = serde_json::from_str(text).unwrap();
        assert_eq!(c.kind, Kind::Prediction);
        assert!(c.discriminates);
    }

    #[test]
    fn a_claim_not_asserted_is_a_report() {
        let mut s = Summary::default();
        s.claim_if(true, Claim::below("a", "x", 1.0, 2.0));
        s.claim_if(false, Claim::below("b", "y", 3.0, 2.0));
        assert_eq!(s.claims.len(), 1);
        assert_eq!(s.claims[0].claim, "a");
        assert_eq!(s.report.get("b (not asserted here): y"), Some(&3.0));
    }

    /// A summary with NaN and infinite values reads back equal (JSON has no literal for them:
    /// `serde_json` would write `null` and fail to read it).
    #[test]
    fn non_finite_values_survive_the_json_round_trip() {
        let mut s = Summary::default();
        s.claim(Claim::at_most(
            "never reached",
            "epochs",
            f64::INFINITY,
            10.0,
        ));
        s.claim(Claim::within("nan", "x", f64::NAN, f64::NEG_INFINITY, 1.0));
        s.report("diverged", f64::NEG_INFINITY);
        s.array("w", &[1.5, f64::NAN, f64::INFINITY]);
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains("\"inf\"") && text.contains("\"NaN\"") && text.contains("\"-inf\""));
        let back: Summary = serde_json::from_str(&text).unwrap();
        assert_eq!(back.claims[0].value, f64::INFINITY);
        assert!(back.claims[1].value.is_nan());
        assert_eq!(back.claims[1].bound, Bound::Range([f64::NEG_INFINITY, 1.0]));
        assert_eq!(back.report["diverged"], f64::NEG_INFINITY);
        assert_eq!(back.arrays["w"][2], f64::INFINITY);
        assert!(back.arrays["w"][1].is_nan());
        assert_eq!(back.claims[0].bound, Bound::Value(10.0));
    }
}
