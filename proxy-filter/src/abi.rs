//! The proxy-wasm ABI 0.2.1 entry points the host calls, dispatched to the filter's contexts.
//!
//! This replaces the SDK's dispatcher, which costs ~50 KB of a module whose budget is 200 KB: it
//! keeps every context kind in hash maps and references all 32 host imports. Here contexts live in
//! two small vectors, only the callbacks the filter uses are exported (hosts treat a missing
//! `proxy_on_request_headers` and friends as "continue"), and nothing panics: an unknown context id
//! or a callback that arrives while another runs is ignored.
//!
//! One stream context serves HTTP and TCP alike: a host calls `proxy_on_new_connection` first on a
//! network filter and never on an HTTP filter, so the context becomes a TCP one at that moment.

use std::cell::RefCell;

/// `proxy_action_t` CONTINUE.
pub const CONTINUE: u32 = 0;

/// The plugin's root context: configuration and timers.
pub trait RootContext {
    /// `proxy_on_vm_start`; false fails the VM start.
    fn on_vm_start(&mut self, _vm_configuration_size: usize) -> bool {
        true
    }
    /// `proxy_on_configure`; false rejects the plugin configuration.
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        true
    }
    /// `proxy_on_tick`, at the period set with `proxy_set_tick_period_milliseconds`.
    fn on_tick(&mut self) {}
    /// A context for a new HTTP stream.
    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        None
    }
    /// A context for a new TCP connection.
    fn create_stream_context(&self, _context_id: u32) -> Option<Box<dyn StreamContext>> {
        None
    }
}

/// One HTTP stream.
pub trait HttpContext {
    /// `proxy_on_log`: the stream is complete and its attributes final.
    fn on_log(&mut self) {}
}

/// One TCP connection (a network filter).
pub trait StreamContext {
    /// `proxy_on_new_connection`.
    fn on_new_connection(&mut self) -> u32 {
        CONTINUE
    }
    /// `proxy_on_downstream_data`: `size` bytes arrived from the client.
    fn on_downstream_data(&mut self, _size: usize, _end_of_stream: bool) -> u32 {
        CONTINUE
    }
    /// `proxy_on_upstream_data`: `size` bytes arrived from the server.
    fn on_upstream_data(&mut self, _size: usize, _end_of_stream: bool) -> u32 {
        CONTINUE
    }
    /// `proxy_on_downstream_connection_close`.
    fn on_downstream_close(&mut self, _peer_type: u32) {}
    /// `proxy_on_upstream_connection_close`.
    fn on_upstream_close(&mut self, _peer_type: u32) {}
    /// `proxy_on_log`: the connection is closed and its attributes final.
    fn on_log(&mut self) {}
}

enum Stream {
    Http(Box<dyn HttpContext>),
    Tcp(Box<dyn StreamContext>),
    /// The root offered no context of the kind the host asked for.
    Ignored,
}

struct Streams {
    id: u32,
    root_id: u32,
    stream: Stream,
}

struct Contexts {
    roots: Vec<(u32, Box<dyn RootContext>)>,
    streams: Vec<Streams>,
}

thread_local! {
    static CONTEXTS: RefCell<Contexts> = const {
        RefCell::new(Contexts {
            roots: Vec::new(),
            streams: Vec::new(),
        })
    };
}

/// Runs `f` on the contexts; a re-entrant call (the host never makes one) is dropped.
fn with<T: Default>(f: impl FnOnce(&mut Contexts) -> T) -> T {
    CONTEXTS.with(|c| {
        c.try_borrow_mut()
            .map(|mut c| f(&mut c))
            .unwrap_or_default()
    })
}

fn root(c: &mut Contexts, id: u32) -> Option<&mut Box<dyn RootContext>> {
    c.roots.iter_mut().find(|(i, _)| *i == id).map(|(_, r)| r)
}

fn stream(c: &mut Contexts, id: u32) -> Option<&mut Stream> {
    c.streams
        .iter_mut()
        .find(|s| s.id == id)
        .map(|s| &mut s.stream)
}

/// Runs `f` on the TCP context `id`, turning a fresh stream into one first.
fn tcp<T: Default>(id: u32, f: impl FnOnce(&mut dyn StreamContext) -> T) -> T {
    with(|c| {
        let at = c.streams.iter().position(|s| s.id == id)?;
        if !matches!(c.streams[at].stream, Stream::Tcp(_)) {
            let root_id = c.streams[at].root_id;
            let made = root(c, root_id)?.create_stream_context(id)?;
            c.streams[at].stream = Stream::Tcp(made);
        }
        match &mut c.streams[at].stream {
            Stream::Tcp(s) => Some(f(s.as_mut())),
            _ => None,
        }
    })
    .unwrap_or_default()
}

#[unsafe(no_mangle)]
extern "C" fn proxy_abi_version_0_2_1() {}

/// The host allocates the buffers it returns here: in the arena, read by `host.rs` in place.
#[unsafe(no_mangle)]
extern "C" fn proxy_on_memory_allocate(size: usize) -> *mut u8 {
    crate::arena::allocate(size)
}

#[unsafe(no_mangle)]
extern "C" fn proxy_on_context_create(context_id: u32, root_context_id: u32) {
    with(|c| {
        if root_context_id == 0 {
            c.roots.push((context_id, crate::new_root()));
            return;
        }
        let stream = match root(c, root_context_id) {
            Some(r) => match r.create_http_context(context_id) {
                Some(http) => Stream::Http(http),
                None => r
                    .create_stream_context(context_id)
                    .map_or(Stream::Ignored, Stream::Tcp),
            },
            None => return,
        };
        c.streams.push(Streams {
            id: context_id,
            root_id: root_context_id,
            stream,
        });
    })
}

#[unsafe(no_mangle)]
extern "C" fn proxy_on_vm_start(context_id: u32, size: usize) -> u32 {
    with(|c| root(c, context_id).is_some_and(|r| r.on_vm_start(size))) as u32
}

#[unsafe(no_mangle)]
extern "C" fn proxy_on_configure(context_id: u32, size: usize) -> u32 {
    with(|c| root(c, context_id).is_some_and(|r| r.on_configure(size))) as u32
}

#[unsafe(no_mangle)]
extern "C" fn proxy_on_tick(context_id: u32) {
    with(|c| root(c, context_id).map(|r| r.on_tick()));
}

#[unsafe(no_mangle)]
extern "C" fn proxy_on_new_connection(context_id: u32) -> u32 {
    tcp(context_id, |s| s.on_new_connection())
}

#[unsafe(no_mangle)]
extern "C" fn proxy_on_downstream_data(context_id: u32, size: usize, end_of_stream: u32) -> u32 {
    tcp(context_id, |s| {
        s.on_downstream_data(size, end_of_stream != 0)
    })
}

#[unsafe(no_mangle)]
extern "C" fn proxy_on_upstream_data(context_id: u32, size: usize, end_of_stream: u32) -> u32 {
    tcp(context_id, |s| s.on_upstream_data(size, end_of_stream != 0))
}

#[unsafe(no_mangle)]
extern "C" fn proxy_on_downstream_connection_close(context_id: u32, peer_type: u32) {
    tcp(context_id, |s| s.on_downstream_close(peer_type))
}

#[unsafe(no_mangle)]
extern "C" fn proxy_on_upstream_connection_close(context_id: u32, peer_type: u32) {
    tcp(context_id, |s| s.on_upstream_close(peer_type))
}

#[unsafe(no_mangle)]
extern "C" fn proxy_on_log(context_id: u32) {
    with(|c| match stream(c, context_id) {
        Some(Stream::Http(s)) => s.on_log(),
        Some(Stream::Tcp(s)) => s.on_log(),
        _ => {}
    })
}

/// Every context is done at once: the filter never defers its own deletion.
#[unsafe(no_mangle)]
extern "C" fn proxy_on_done(_context_id: u32) -> u32 {
    1
}

#[unsafe(no_mangle)]
extern "C" fn proxy_on_delete(context_id: u32) {
    with(|c| {
        c.streams.retain(|s| s.id != context_id);
        c.roots.retain(|(i, _)| *i != context_id);
    })
}
