//! The engine's log lines (the `log` crate) go to Python's `logging`,
//! under logger names ``fixrs.<module>``.
//!
//! The engine thread never takes the GIL to log: records are queued and a
//! thread of this module hands them to Python, so that logging cannot
//! block the engine behind Python code.

use pyo3::prelude::*;
use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, Once};

enum Record {
    Line {
        level: u8,
        target: String,
        text: String,
    },
    Stop(Sender<()>),
}

static SENDER: Mutex<Option<Sender<Record>>> = Mutex::new(None);
static INSTALL: Once = Once::new();

struct Forward;

impl log::Log for Forward {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // Python's levels: ERROR 40, WARNING 30, INFO 20.
        let level = match record.level() {
            log::Level::Error => 40,
            log::Level::Warn => 30,
            _ => 20,
        };
        let target = record
            .target()
            .split("::")
            .next()
            .unwrap_or("fixrs")
            .replace('_', "-");
        let line = Record::Line {
            level,
            target,
            text: record.args().to_string(),
        };
        if let Some(tx) = SENDER.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = tx.send(line);
        }
    }

    fn flush(&self) {}
}

/// Installs the forwarding logger (once; not if the process has a logger
/// already, as when the module is embedded in a Rust program).
pub fn install() {
    INSTALL.call_once(|| {
        if log::set_logger(&Forward).is_err() {
            return;
        }
        log::set_max_level(log::LevelFilter::Info);
        let (tx, rx) = channel::<Record>();
        *SENDER.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        let _ = crate::signals::without_signals(|| {
            std::thread::Builder::new()
                .name("fixrs-log".into())
                .spawn(move || {
                    while let Ok(record) = rx.recv() {
                        match record {
                            Record::Line {
                                level,
                                target,
                                text,
                            } => {
                                let _ = Python::try_attach(|py| {
                                    let name = format!("fixrs.{target}");
                                    let _ = py
                                        .import("logging")
                                        .and_then(|l| l.call_method1("getLogger", (name,)))
                                        .and_then(|l| l.call_method1("log", (level, "%s", text)));
                                });
                            }
                            Record::Stop(done) => {
                                let _ = done.send(());
                                return;
                            }
                        }
                    }
                })
        });
    });
}

/// Stops forwarding (at interpreter exit, after the engines stopped):
/// what was logged until now is handed to Python first.
pub fn stop(py: Python<'_>) {
    let tx = SENDER.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(tx) = tx {
        let (done_tx, done_rx) = channel();
        if tx.send(Record::Stop(done_tx)).is_ok() {
            py.detach(move || {
                let _ = done_rx.recv_timeout(std::time::Duration::from_secs(2));
            });
        }
    }
}
