//! The old Istio wasm stats plugin's metric-name encoding: `istio_` + `<tag>=.=<value>;.;` per
//! label + the metric's short name. Envoy's `stats_tags` regexes `(<tag>=\.=(.*?);\.;)` lift the
//! fragments into labels, leaving `istio_<short name>`.

use alloc::string::String;

/// Separates a tag name from its value.
pub const VALUE_SEPARATOR: &str = "=.=";
/// Ends one tag fragment.
pub const FIELD_SEPARATOR: &str = ";.;";
/// Prefix of every Istio metric name.
pub const PREFIX: &str = "istio_";

/// Encodes one series name; `labels` are (name, value) in output order.
pub fn encode_name<'a>(
    short_name: &str,
    labels: impl Iterator<Item = (&'a str, &'a str)>,
) -> String {
    let mut out = String::with_capacity(512);
    out.push_str(PREFIX);
    for (name, value) in labels {
        out.push_str(name);
        out.push_str(VALUE_SEPARATOR);
        out.push_str(value);
        out.push_str(FIELD_SEPARATOR);
    }
    out.push_str(short_name);
    out
}

/// The `stats_tags` regex Envoy needs for `tag` (as written in a YAML double-quoted string it
/// needs its backslashes doubled).
pub fn stats_tag_regex(tag: &str) -> String {
    alloc::format!("({tag}=\\.=(.*?);\\.;)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_old_plugin() {
        let name = encode_name(
            "requests_total",
            [("reporter", "source"), ("response_code", "200")].into_iter(),
        );
        assert_eq!(
            name,
            "istio_reporter=.=source;.;response_code=.=200;.;requests_total"
        );
        assert_eq!(stats_tag_regex("reporter"), "(reporter=\\.=(.*?);\\.;)");
    }
}
