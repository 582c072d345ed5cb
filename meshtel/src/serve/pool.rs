//! A pool of policy instances: each evaluation borrows one instance exclusively, and an instance
//! whose evaluation trapped or timed out is replaced rather than reused.

use anyhow::{Context, Result};
use host_tests::opa::{OpaInstance, OpaPolicy};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use wasmtime::{Config, Engine};

/// How often the epoch advances; evaluation timeouts are counted in these ticks.
const TICK: Duration = Duration::from_millis(5);

/// Instances of one policy with its settings loaded.
pub struct Pool {
    policy: OpaPolicy,
    settings: Value,
    entrypoint: i32,
    deadline_ticks: u64,
    idle: Mutex<Vec<OpaInstance>>,
    returned: Condvar,
    stop_ticker: Arc<AtomicBool>,
}

impl Pool {
    /// Compiles the module with epoch interruption, creates `size` instances with `settings` as
    /// their data document, and starts the epoch ticker.
    pub fn new(module: &[u8], settings: Value, size: usize, timeout: Duration) -> Result<Pool> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config)?;
        let policy = OpaPolicy::new(&engine, module).context("loading the policy module")?;
        let deadline_ticks = timeout.as_micros().div_ceil(TICK.as_micros()) as u64;
        let mut idle = Vec::with_capacity(size);
        for _ in 0..size.max(1) {
            idle.push(Self::instance(&policy, &settings, deadline_ticks)?);
        }
        let entrypoint = idle[0].entrypoint(policy_opa::RESPONSE)?;
        let stop_ticker = Arc::new(AtomicBool::new(false));
        let stop = stop_ticker.clone();
        std::thread::Builder::new()
            .name("epoch-ticker".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    engine.increment_epoch();
                }
            })?;
        Ok(Pool {
            policy,
            settings,
            entrypoint,
            deadline_ticks,
            idle: Mutex::new(idle),
            returned: Condvar::new(),
            stop_ticker,
        })
    }

    fn instance(policy: &OpaPolicy, settings: &Value, ticks: u64) -> Result<OpaInstance> {
        let mut instance = policy.instantiate(settings)?;
        instance.set_deadline_ticks(Some(ticks));
        Ok(instance)
    }

    /// Evaluates `telemetry/response` on `input` (JSON text) with an instance of its own;
    /// also returns the time spent in the policy (not waiting for an instance).
    pub fn evaluate(&self, input: &[u8]) -> (Result<Value>, Duration) {
        let mut instance = {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some(instance) = idle.pop() {
                    break instance;
                }
                idle = self.returned.wait(idle).unwrap_or_else(|e| e.into_inner());
            }
        };
        let started = std::time::Instant::now();
        let result = instance.eval_fast(self.entrypoint, input);
        let took = started.elapsed();
        if result.is_err() {
            // A trapped instance may hold half-written state: replace it.
            match Self::instance(&self.policy, &self.settings, self.deadline_ticks) {
                Ok(fresh) => instance = fresh,
                Err(e) => eprintln!("meshtel serve: cannot replace a failed instance: {e:#}"),
            }
        }
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(instance);
        self.returned.notify_one();
        (result, took)
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}
