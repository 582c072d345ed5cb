//! A TCP record's `%DURATION%`, the one field the filter cannot match exactly.
//!
//! Envoy's `tcp_proxy` writes its access log from its destructor (deferred deletion after the
//! connection closed) with `StreamInfo::currentDuration()`: the monotonic clock then, minus the
//! connection's start. The filter's last callback is `proxy_on_log` from `Context::onCloseTCP`,
//! during the close event itself, earlier. No property carries Envoy's value: `request.duration`
//! is served only once `onRequestComplete()` was called, which for a connection happens in the
//! listener's `emitLogs`, after the filter chain and `tcp_proxy` are gone; the filter therefore
//! measures up to its own `on_log` (the host clock minus `request.time`). The two instants differ
//! by the work between the close event and the deferred deletion, microseconds, so after
//! truncation to milliseconds Envoy's value is the filter's or one more.

/// How much larger (ms) Envoy's TCP `%DURATION%` may be than the filter's.
pub const TCP_DURATION_SLACK_MS: u64 = 1;

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

/// Pairs each of Envoy's masked lines with an equal masked record and checks the durations:
/// the filter's is at most Envoy's and at most [`TCP_DURATION_SLACK_MS`] smaller. Returns the
/// number of pairs and the largest gap, or the first pair out of bounds.
pub fn check_durations(
    native: &[(Vec<u8>, Option<u64>)],
    records: &[(Vec<u8>, Option<u64>)],
) -> Result<(usize, u64), String> {
    let mut unused: Vec<&(Vec<u8>, Option<u64>)> =
        records.iter().filter(|(_, ms)| ms.is_some()).collect();
    let (mut pairs, mut largest) = (0, 0);
    for (line, envoy_ms) in native {
        let Some(envoy_ms) = envoy_ms else { continue };
        // Among equal masked lines, the nearest duration: lines that differ only there are
        // interchangeable.
        let best = unused
            .iter()
            .enumerate()
            .filter(|(_, (l, _))| l == line)
            .min_by_key(|(_, (_, ms))| envoy_ms.abs_diff(ms.unwrap_or(0)))
            .map(|(i, _)| i);
        let Some(i) = best else {
            return Err(format!(
                "no record for Envoy's TCP line {}",
                String::from_utf8_lossy(line)
            ));
        };
        let filter_ms = unused.remove(i).1.unwrap_or(0);
        if filter_ms > *envoy_ms || envoy_ms - filter_ms > TCP_DURATION_SLACK_MS {
            return Err(format!(
                "TCP %DURATION%: filter {filter_ms} ms, Envoy {envoy_ms} ms in {}",
                String::from_utf8_lossy(line)
            ));
        }
        pairs += 1;
        largest = largest.max(envoy_ms - filter_ms);
    }
    Ok((pairs, largest))
}
