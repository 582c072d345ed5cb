//! The proxy-wasm ABI v0.2.1 host functions meshtel's filter calls, defined on a wasmtime linker.
//! Functions not defined here are bound by [`super::ProxyModule`] to a trap that names them, so a
//! filter calling something this host does not implement fails loudly.

use policy_wasm::attributes::{decode_pairs, encode_pairs};
use wasmtime::{Caller, Linker};
use wasmtime::{Result, format_err as anyhow};

use super::memory::{read, return_bytes, return_lookup, write_bytes, write_u32};
use super::trace::HostCall;
use super::{HostState, LogRecord, MetricKind, Phase};

/// `proxy_status_t` values the host returns.
pub mod status {
    /// Success.
    pub const OK: i32 = 0;
    /// No such property, header, buffer or metric.
    pub const NOT_FOUND: i32 = 1;
    /// The argument is out of range.
    pub const BAD_ARGUMENT: i32 = 2;
}

/// `proxy_buffer_type_t` PLUGIN_CONFIGURATION.
const PLUGIN_CONFIGURATION: i32 = 7;
/// `proxy_buffer_type_t` VM_CONFIGURATION.
const VM_CONFIGURATION: i32 = 6;

type C<'a> = Caller<'a, HostState>;

/// Adds every implemented host function to `linker`.
pub fn define(linker: &mut Linker<HostState>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_log",
        |mut c: C<'_>, level: i32, ptr: i32, len: i32| -> Result<i32> {
            if !(0..=5).contains(&level) {
                return Ok(status::BAD_ARGUMENT);
            }
            let message = read(&mut c, ptr, len)?;
            if c.data().tracing() {
                c.data_mut().note(HostCall::Log(level, message.clone()));
            }
            let context_id = c.data().effective_context;
            c.data_mut().logs.push(LogRecord {
                level: level as u32,
                context_id,
                message,
            });
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_log_level",
        |mut c: C<'_>, out: i32| -> Result<i32> {
            c.data_mut().note(HostCall::Other("proxy_get_log_level"));
            let level = c.data().log_level;
            write_u32(&mut c, out, level)?;
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_current_time_nanoseconds",
        |mut c: C<'_>, out: i32| -> Result<i32> {
            c.data_mut()
                .note(HostCall::Other("proxy_get_current_time_nanoseconds"));
            let now = c.data().clock_ns as u64;
            write_bytes(&mut c, out, &now.to_le_bytes())?;
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_tick_period_milliseconds",
        |mut c: C<'_>, period: i32| -> Result<i32> {
            c.data_mut()
                .note(HostCall::Other("proxy_set_tick_period_milliseconds"));
            c.data_mut().tick_period_ms = period as u32;
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_effective_context",
        |mut c: C<'_>, id: i32| -> Result<i32> {
            c.data_mut()
                .note(HostCall::Other("proxy_set_effective_context"));
            let id = id as u32;
            if !c.data().live_contexts.contains(&id) {
                return Ok(status::BAD_ARGUMENT);
            }
            c.data_mut().effective_context = id;
            Ok(status::OK)
        },
    )?;
    linker.func_wrap("env", "proxy_done", |_c: C<'_>| -> Result<i32> {
        Ok(status::NOT_FOUND)
    })?;
    linker.func_wrap(
        "env",
        "proxy_get_buffer_bytes",
        |mut c: C<'_>,
         kind: i32,
         start: i32,
         max: i32,
         ptr_out: i32,
         size_out: i32|
         -> Result<i32> {
            c.data_mut().note(HostCall::Other("proxy_get_buffer_bytes"));
            let buffer = match kind {
                PLUGIN_CONFIGURATION => c.data().plugin_configuration.clone(),
                VM_CONFIGURATION => c.data().vm_configuration.clone(),
                _ => return Ok(status::NOT_FOUND),
            };
            let start = (start as u32 as usize).min(buffer.len());
            let end = start.saturating_add(max as u32 as usize).min(buffer.len());
            return_bytes(&mut c, &buffer[start..end], ptr_out, size_out)?;
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_buffer_status",
        |mut c: C<'_>, kind: i32, len_out: i32, flags_out: i32| -> Result<i32> {
            c.data_mut()
                .note(HostCall::Other("proxy_get_buffer_status"));
            let len = match kind {
                PLUGIN_CONFIGURATION => c.data().plugin_configuration.len(),
                VM_CONFIGURATION => c.data().vm_configuration.len(),
                _ => return Ok(status::NOT_FOUND),
            };
            write_u32(&mut c, len_out, len as u32)?;
            write_u32(&mut c, flags_out, 0)?;
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_property",
        |mut c: C<'_>, ptr: i32, len: i32, ptr_out: i32, size_out: i32| -> Result<i32> {
            if c.data().tracing() {
                let path = read(&mut c, ptr, len)?;
                c.data_mut().note(HostCall::Property(path));
            }
            let found = return_lookup(&mut c, (ptr, len), (ptr_out, size_out), |state, path| {
                state.property(path)
            })?;
            Ok(if found { status::OK } else { status::NOT_FOUND })
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_property",
        |mut c: C<'_>, ptr: i32, len: i32, vptr: i32, vlen: i32| -> Result<i32> {
            c.data_mut().note(HostCall::Other("proxy_set_property"));
            let path = read(&mut c, ptr, len)?;
            let value = read(&mut c, vptr, vlen)?;
            c.data_mut().set_property(path, value);
            Ok(status::OK)
        },
    )?;
    define_header_maps(linker)?;
    define_metrics(linker)?;
    linker.func_wrap(
        "env",
        "proxy_continue_stream",
        |_c: C<'_>, _kind: i32| -> Result<i32> { Ok(status::OK) },
    )?;
    linker.func_wrap(
        "env",
        "proxy_close_stream",
        |_c: C<'_>, _kind: i32| -> Result<i32> { Ok(status::OK) },
    )?;
    Ok(())
}

fn define_header_maps(linker: &mut Linker<HostState>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_get_header_map_pairs",
        |mut c: C<'_>, map: i32, ptr_out: i32, size_out: i32| -> Result<i32> {
            c.data_mut().note(HostCall::HeaderPairs(map));
            let Some(pairs) = c.data().header_map(map) else {
                return Ok(status::NOT_FOUND);
            };
            let bytes = encode_pairs(pairs);
            return_bytes(&mut c, &bytes, ptr_out, size_out)?;
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_header_map_size",
        |mut c: C<'_>, map: i32, size_out: i32| -> Result<i32> {
            c.data_mut()
                .note(HostCall::Other("proxy_get_header_map_size"));
            let Some(pairs) = c.data().header_map(map) else {
                return Ok(status::NOT_FOUND);
            };
            let size = encode_pairs(pairs).len();
            write_u32(&mut c, size_out, size as u32)?;
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_header_map_value",
        |mut c: C<'_>,
         map: i32,
         kptr: i32,
         klen: i32,
         ptr_out: i32,
         size_out: i32|
         -> Result<i32> {
            if c.data().tracing() {
                let key = read(&mut c, kptr, klen)?;
                c.data_mut().note(HostCall::HeaderValue(map, key));
            }
            let found = return_lookup(&mut c, (kptr, klen), (ptr_out, size_out), |state, key| {
                state
                    .header_map(map)?
                    .iter()
                    .find(|(k, _)| k.as_bytes().eq_ignore_ascii_case(key))
                    .map(|(_, v)| v.as_slice())
            })?;
            Ok(if found { status::OK } else { status::NOT_FOUND })
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_set_header_map_pairs",
        |mut c: C<'_>, map: i32, ptr: i32, len: i32| -> Result<i32> {
            c.data_mut()
                .note(HostCall::Other("proxy_set_header_map_pairs"));
            let bytes = read(&mut c, ptr, len)?;
            let pairs = decode_pairs(&bytes)
                .ok_or_else(|| anyhow!("proxy_set_header_map_pairs: malformed pairs"))?;
            let Some(target) = c.data_mut().header_map_mut(map) else {
                return Ok(status::NOT_FOUND);
            };
            *target = pairs
                .into_iter()
                .map(|(k, v)| (String::from_utf8_lossy(&k).to_ascii_lowercase(), v))
                .collect();
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_add_header_map_value",
        |mut c: C<'_>, map: i32, kptr: i32, klen: i32, vptr: i32, vlen: i32| -> Result<i32> {
            c.data_mut()
                .note(HostCall::Other("proxy_add_header_map_value"));
            let key = String::from_utf8_lossy(&read(&mut c, kptr, klen)?).to_ascii_lowercase();
            let value = read(&mut c, vptr, vlen)?;
            let Some(target) = c.data_mut().header_map_mut(map) else {
                return Ok(status::NOT_FOUND);
            };
            target.push((key, value));
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_replace_header_map_value",
        |mut c: C<'_>, map: i32, kptr: i32, klen: i32, vptr: i32, vlen: i32| -> Result<i32> {
            c.data_mut()
                .note(HostCall::Other("proxy_replace_header_map_value"));
            let key = String::from_utf8_lossy(&read(&mut c, kptr, klen)?).to_ascii_lowercase();
            let value = read(&mut c, vptr, vlen)?;
            let Some(target) = c.data_mut().header_map_mut(map) else {
                return Ok(status::NOT_FOUND);
            };
            target.retain(|(k, _)| *k != key);
            target.push((key, value));
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_remove_header_map_value",
        |mut c: C<'_>, map: i32, kptr: i32, klen: i32| -> Result<i32> {
            c.data_mut()
                .note(HostCall::Other("proxy_remove_header_map_value"));
            let key = String::from_utf8_lossy(&read(&mut c, kptr, klen)?).to_ascii_lowercase();
            let Some(target) = c.data_mut().header_map_mut(map) else {
                return Ok(status::NOT_FOUND);
            };
            target.retain(|(k, _)| *k != key);
            Ok(status::OK)
        },
    )?;
    Ok(())
}

fn define_metrics(linker: &mut Linker<HostState>) -> Result<()> {
    linker.func_wrap(
        "env",
        "proxy_define_metric",
        |mut c: C<'_>, kind: i32, ptr: i32, len: i32, id_out: i32| -> Result<i32> {
            c.data_mut().note(HostCall::Other("proxy_define_metric"));
            let kind = match kind {
                0 => MetricKind::Counter,
                1 => MetricKind::Gauge,
                2 => MetricKind::Histogram,
                _ => return Ok(status::BAD_ARGUMENT),
            };
            let name = String::from_utf8_lossy(&read(&mut c, ptr, len)?).into_owned();
            let id = c.data_mut().metrics.define(kind, name);
            write_u32(&mut c, id_out, id)?;
            Ok(status::OK)
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_increment_metric",
        |mut c: C<'_>, id: i32, delta: i64| -> Result<i32> {
            c.data_mut().note(HostCall::Increment(id, delta));
            Ok(c.data_mut().metrics.increment(id as u32, delta))
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_record_metric",
        |mut c: C<'_>, id: i32, value: i64| -> Result<i32> {
            c.data_mut().note(HostCall::Record(id, value));
            Ok(c.data_mut().metrics.record(id as u32, value as u64))
        },
    )?;
    linker.func_wrap(
        "env",
        "proxy_get_metric",
        |mut c: C<'_>, id: i32, out: i32| -> Result<i32> {
            c.data_mut().note(HostCall::Other("proxy_get_metric"));
            let Some(value) = c.data().metrics.get(id as u32) else {
                return Ok(status::NOT_FOUND);
            };
            write_bytes(&mut c, out, &value.to_le_bytes())?;
            Ok(status::OK)
        },
    )?;
    Ok(())
}

/// Header maps visible in `phase`: request maps from request headers on, response maps from
/// response headers on, everything in `on_log`.
pub fn map_visible(map: i32, phase: Phase) -> bool {
    if phase == Phase::Connection {
        // A TCP connection has no header maps.
        return false;
    }
    match map {
        0 | 1 => phase >= Phase::RequestHeaders,
        2 | 3 => phase >= Phase::ResponseHeaders,
        _ => false,
    }
}
