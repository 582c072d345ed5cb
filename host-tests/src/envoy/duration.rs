//! A TCP record's `%DURATION%`, the one field the filter cannot match exactly.
//!
//! Envoy's `tcp_proxy` writes its access log from its destructor (deferred deletion after the
//! connection closed) with `StreamInfo::currentDuration()`: the monotonic clock then, minus the
//! connection's start. The filter's last callback is `proxy_on_log` from `Context::onCloseTCP`,
//! which the wasm network filter runs in the downstream connection's close event, earlier. No
//! property carries Envoy's value:
//! `request.duration` is served only once `onRequestComplete()` was called, which for a connection
//! happens in the listener's `emitLogs`, after the filter chain and `tcp_proxy` are gone; the filter
//! therefore measures up to its own `on_log` (the host clock minus `request.time`). How much later
//! Envoy's destructor runs depends on scheduling: 0 to 18 ms seen with six builds sharing two
//! cores (load 15). So the filter's value must not be larger than Envoy's, and a connection known
//! to stay open a given time must not be shorter than that (the suites check both).

/// A TCP line (cluster `…|9000|…`) with its %DURATION% replaced by `D`, and that duration; other
/// lines unchanged.
pub fn split_tcp_duration(line: &[u8]) -> (Vec<u8>, Option<u64>) {
    if !String::from_utf8_lossy(line).contains("|9000|") {
        return (line.to_vec(), None);
    }
    mask_duration(line)
}

/// A TEXT or JSON record of a connection with its %DURATION% replaced by `D`, and that duration.
pub fn mask_duration(line: &[u8]) -> (Vec<u8>, Option<u64>) {
    let text = String::from_utf8_lossy(line);
    if let Some(at) = text.find("\"duration\":") {
        let start = at + "\"duration\":".len();
        let end = start
            + text[start..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(0);
        let masked = format!("{}D{}", &text[..start], &text[end..]);
        return (masked.into_bytes(), text[start..end].parse().ok());
    }
    // TEXT: `[start] "- - -" 0 - - - "-" RECEIVED SENT DURATION …`
    let mut fields: Vec<&str> = text.split(' ').collect();
    let ms = fields.get(11).and_then(|f| f.parse().ok());
    if fields.len() > 11 {
        fields[11] = "D";
    }
    (fields.join(" ").into_bytes(), ms)
}

/// What [`check_durations`] found.
#[derive(Debug, Default, Clone, Copy)]
pub struct Durations {
    /// TCP lines paired.
    pub pairs: usize,
    /// The largest amount (ms) by which Envoy's value exceeded the filter's.
    pub largest_gap: u64,
    /// The filter's longest duration (ms).
    pub longest: u64,
}

/// Pairs each of Envoy's masked lines with an equal masked record and checks that the filter's
/// duration is at most Envoy's; errs on the first pair out of bounds.
pub fn check_durations(
    native: &[(Vec<u8>, Option<u64>)],
    records: &[(Vec<u8>, Option<u64>)],
) -> Result<Durations, String> {
    let mut unused: Vec<&(Vec<u8>, Option<u64>)> =
        records.iter().filter(|(_, ms)| ms.is_some()).collect();
    let mut found = Durations::default();
    for (line, envoy_ms) in native {
        let Some(envoy_ms) = envoy_ms else { continue };
        let Some(i) = unused.iter().position(|(l, _)| l == line) else {
            return Err(format!(
                "no record for Envoy's TCP line {}",
                String::from_utf8_lossy(line)
            ));
        };
        let filter_ms = unused.remove(i).1.unwrap_or(0);
        if filter_ms > *envoy_ms {
            return Err(format!(
                "TCP %DURATION%: filter {filter_ms} ms, Envoy {envoy_ms} ms in {}",
                String::from_utf8_lossy(line)
            ));
        }
        found.pairs += 1;
        found.largest_gap = found.largest_gap.max(envoy_ms - filter_ms);
        found.longest = found.longest.max(filter_ms);
    }
    Ok(found)
}
