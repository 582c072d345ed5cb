//! Istio's validation of Telemetry resources (ValidateTelemetry and the CRD's CEL rules).
