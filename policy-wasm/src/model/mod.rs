//! Serde model of the resources meshtel reads: Telemetry objects and the MeshConfig providers.

mod mesh;
mod telemetry;

pub use mesh::*;
pub use telemetry::*;
