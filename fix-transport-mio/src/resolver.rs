//! Resolving initiators' host names on a thread of the engine's own, so
//! that a slow DNS server never holds the event loop. Each connection
//! attempt to a host name asks again; the answer comes back to the loop as
//! a command.

use crate::command::{Command, EngineShared};
use crate::shared::SessionRef;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;

/// A name to resolve for the link `serial` of a session.
struct Job {
    session: SessionRef,
    serial: u32,
    address: String,
}

/// The resolver thread's queue. The thread ends once this is dropped and
/// the lookup in progress is over; nobody waits for it.
pub(crate) struct Resolver {
    jobs: Sender<Job>,
}

impl Resolver {
    /// Starts the thread, which reports to `engine`'s loop.
    pub(crate) fn start(name: String, engine: Arc<EngineShared>) -> io::Result<Resolver> {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new().name(name).spawn(move || {
            for job in queue {
                let result = job
                    .address
                    .to_socket_addrs()
                    .map(|addrs| addrs.collect::<Vec<SocketAddr>>());
                let answer = Command::Resolved {
                    session: job.session,
                    serial: job.serial,
                    result,
                };
                if engine.submit(answer).is_err() {
                    // The engine stopped.
                    return;
                }
            }
        })?;
        Ok(Resolver { jobs })
    }

    /// Asks for `address` (`host:port`) to be resolved for the link
    /// `serial` of `session`; false if the thread is gone.
    pub(crate) fn resolve(&self, session: SessionRef, serial: u32, address: String) -> bool {
        let job = Job {
            session,
            serial,
            address,
        };
        self.jobs.send(job).is_ok()
    }
}
