//! Reading resources: multi-document YAML, JSON, Kubernetes List, AdmissionReview.
