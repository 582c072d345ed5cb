//! Support scope as data: field paths mapped to supported / allowed / blocked.
