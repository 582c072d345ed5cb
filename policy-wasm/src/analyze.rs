//! Cross-resource analysis over a set of Telemetry resources (istioctl analyze checks, AKS traps).
