//! Prometheus counters and the evaluation-time histogram, as plain atomics.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds of the evaluation-time buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 1.0,
];

/// Everything `/metrics` reports.
#[derive(Default)]
pub struct Metrics {
    allowed: AtomicU64,
    denied: AtomicU64,
    failed: AtomicU64,
    bad_requests: AtomicU64,
    denials: AtomicU64,
    warnings: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
    eval_count: AtomicU64,
    eval_micros: AtomicU64,
}

/// How one admission review ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The policy admitted the object.
    Allowed,
    /// The policy denied it.
    Denied,
    /// The evaluation trapped or timed out; the failure mode answered.
    Failed,
    /// The body was not an AdmissionReview (answered with 400).
    BadRequest,
}

impl Metrics {
    /// Counts one review, whether it was denied, and the warnings returned with it.
    pub fn review(&self, outcome: Outcome, denied: bool, warnings: usize) {
        if denied {
            self.denials.fetch_add(1, Relaxed);
        }
        let counter = match outcome {
            Outcome::Allowed => &self.allowed,
            Outcome::Denied => &self.denied,
            Outcome::Failed => &self.failed,
            Outcome::BadRequest => &self.bad_requests,
        };
        counter.fetch_add(1, Relaxed);
        self.warnings.fetch_add(warnings as u64, Relaxed);
    }

    /// Records one policy evaluation's wall time.
    pub fn evaluation(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.eval_count.fetch_add(1, Relaxed);
        self.eval_micros.fetch_add(took.as_micros() as u64, Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let get = |c: &AtomicU64| c.load(Relaxed);
        out.push_str(
            "# HELP meshtel_admission_requests_total Admission reviews answered, by result.\n",
        );
        out.push_str("# TYPE meshtel_admission_requests_total counter\n");
        for (result, counter) in [
            ("allowed", &self.allowed),
            ("denied", &self.denied),
            ("failed", &self.failed),
            ("bad_request", &self.bad_requests),
        ] {
            let _ = writeln!(
                out,
                "meshtel_admission_requests_total{{result=\"{result}\"}} {}",
                get(counter)
            );
        }
        out.push_str("# HELP meshtel_admission_denials_total Admission reviews denied (by the policy or the failure mode).\n");
        out.push_str("# TYPE meshtel_admission_denials_total counter\n");
        let _ = writeln!(
            out,
            "meshtel_admission_denials_total {}",
            get(&self.denials)
        );
        out.push_str(
            "# HELP meshtel_admission_warnings_total Warnings returned to the API server.\n",
        );
        out.push_str("# TYPE meshtel_admission_warnings_total counter\n");
        let _ = writeln!(
            out,
            "meshtel_admission_warnings_total {}",
            get(&self.warnings)
        );
        out.push_str(
            "# HELP meshtel_policy_evaluation_seconds Time spent in the wasm policy per review.\n",
        );
        out.push_str("# TYPE meshtel_policy_evaluation_seconds histogram\n");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "meshtel_policy_evaluation_seconds_bucket{{le=\"{bound}\"}} {}",
                get(bucket)
            );
        }
        let count = get(&self.eval_count);
        let _ = writeln!(
            out,
            "meshtel_policy_evaluation_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "meshtel_policy_evaluation_seconds_sum {}",
            get(&self.eval_micros) as f64 / 1e6
        );
        let _ = writeln!(out, "meshtel_policy_evaluation_seconds_count {count}");
        out
    }
}
