//! Envoy response flags: the legacy bit set behind `response.flags` and the short codes that
//! `%RESPONSE_FLAGS%` prints.

/// Short codes by bit position (bit 0 = `0x1`), in Envoy's `CORE_RESPONSE_FLAGS` order.
pub const SHORT_CODES: [&str; 29] = [
    "LH", "UH", "UT", "LR", "UR", "UF", "UC", "UO", "NR", "DI", "FI", "RL", "UAEX", "RLSE", "DC",
    "URX", "SI", "IH", "DPE", "UMSDR", "RFCF", "NFCF", "DT", "UPE", "NC", "OM", "DF", "DO", "DR",
];

/// Long names by bit position, as `%RESPONSE_FLAGS_LONG%` prints them.
pub const LONG_NAMES: [&str; 29] = [
    "FailedLocalHealthCheck",
    "NoHealthyUpstream",
    "UpstreamRequestTimeout",
    "LocalReset",
    "UpstreamRemoteReset",
    "UpstreamConnectionFailure",
    "UpstreamConnectionTermination",
    "UpstreamOverflow",
    "NoRouteFound",
    "DelayInjected",
    "FaultInjected",
    "RateLimited",
    "UnauthorizedExternalService",
    "RateLimitServiceError",
    "DownstreamConnectionTermination",
    "UpstreamRetryLimitExceeded",
    "StreamIdleTimeout",
    "InvalidEnvoyRequestHeaders",
    "DownstreamProtocolError",
    "UpstreamMaxStreamDurationReached",
    "ResponseFromCacheFilter",
    "NoFilterConfigFound",
    "DurationTimeout",
    "UpstreamProtocolError",
    "NoClusterFound",
    "OverloadManagerTerminated",
    "DnsResolutionFailed",
    "DropOverload",
    "DownstreamRemoteReset",
];

/// Appends the comma-joined codes (short or long) of `bits` to `out`, or `-` when none is set.
pub fn write_codes(bits: u64, long: bool, out: &mut alloc::vec::Vec<u8>) {
    let names = if long { &LONG_NAMES } else { &SHORT_CODES };
    let mut first = true;
    for (i, code) in names.iter().enumerate() {
        if bits & (1 << i) != 0 {
            if !first {
                out.push(b',');
            }
            super::render::put(out, code.as_bytes());
            first = false;
        }
    }
    if first {
        out.push(b'-');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(bits: u64) -> alloc::string::String {
        let mut out = alloc::vec::Vec::new();
        write_codes(bits, false, &mut out);
        alloc::string::String::from_utf8(out).unwrap()
    }

    #[test]
    fn observed_bits() {
        assert_eq!(codes(0), "-");
        assert_eq!(codes(0x20), "UF");
        assert_eq!(codes(0x100), "NR");
        assert_eq!(codes(0x4 | 0x8000), "UT,URX");
        assert_eq!(codes(0x1000_0000), "DR");
    }
}
