//! The top-level check: input documents in, per-resource verdicts and findings out.
