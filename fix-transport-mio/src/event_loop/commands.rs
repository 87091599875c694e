//! What the loop is asked to do from other threads: handles' commands on
//! their session, and the engine's own (create a session, listen, stop).

use super::connect::resolved;
use super::entry::Entry;
use super::input::resume_input;
use super::link::close_link;
use super::service::{drain_inbox, inbox_ready, service};
use super::{EventLoop, TemplateSpec};
use crate::app::Application;
use crate::command::Command;
use crate::error::EngineError;
use crate::filelog::FileLog;
use crate::handle::SessionHandle;
use crate::shared::{SessionRef, SessionShared};
use crate::target::ConnectTarget;
use crate::transport::{SocketOptions, TransportFactory};
use fixrs_session::{AcceptRules, AcceptorTemplate, Role, Session, SessionState};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::SyncSender;
use std::sync::Arc;

/// What the [`FixEngine`](crate::FixEngine) itself asks of the loop.
pub(crate) enum EngineCommand {
    /// Host a new session.
    Create {
        new: Box<NewSession>,
        reply: SyncSender<Result<Arc<SessionShared>, EngineError>>,
    },
    /// Listen for acceptor connections.
    Listen {
        addr: SocketAddr,
        factory: Arc<dyn TransportFactory>,
        reuse_address: bool,
        reply: SyncSender<Result<SocketAddr, EngineError>>,
    },
    /// Create sessions from a template on their first Logon.
    AddTemplate {
        template: Box<AcceptorTemplate>,
        spec: Box<TemplateSpec>,
        reply: SyncSender<()>,
    },
    /// Stop the loop, with Logouts first when graceful.
    Stop { graceful: bool },
}

/// A new session on its way to the loop.
pub(crate) struct NewSession {
    pub(crate) session: Session,
    pub(crate) app: Box<dyn Application>,
    pub(crate) log_dir: Option<PathBuf>,
    /// Where and from whom an acceptor takes its Logon.
    pub(crate) accept: AcceptRules,
    pub(crate) target: Option<ConnectTarget>,
    pub(crate) socket: Option<SocketOptions>,
    pub(crate) max_outgoing_bytes: usize,
}

impl EventLoop {
    /// Runs the commands queued since the last time.
    pub(super) fn run_commands(&mut self) {
        // Cleared before taking the queue, so that a command queued after
        // the swap sets it again.
        while self.ctx.shared.queued.swap(false, Ordering::SeqCst) {
            {
                let Ok(mut q) = self.ctx.shared.commands.lock() else {
                    self.stop = true;
                    return;
                };
                std::mem::swap(&mut *q, &mut self.commands);
            }
            while let Some(c) = self.commands.pop_front() {
                self.command(c);
            }
            // After the handles' commands: what was put before a stop
            // goes out before its Logout.
            while let Ok(c) = self.control.try_recv() {
                self.engine_command(c);
            }
        }
    }

    fn engine_command(&mut self, command: EngineCommand) {
        match command {
            EngineCommand::Create { new, reply } => {
                let result = self.create(*new);
                // The caller may have given up waiting; nothing to undo.
                let _ = reply.send(result);
            }
            EngineCommand::Listen {
                addr,
                factory,
                reuse_address,
                reply,
            } => {
                let _ = reply.send(self.listen(addr, factory, reuse_address));
            }
            EngineCommand::AddTemplate {
                template,
                spec,
                reply,
            } => {
                self.add_template(*template, *spec);
                let _ = reply.send(());
            }
            EngineCommand::Stop { graceful } => self.stop(graceful),
        }
    }

    fn command(&mut self, command: Command) {
        let command = match command {
            Command::Finalize { session, done } => {
                self.finalize(session);
                let _ = done.send(());
                return;
            }
            Command::Resolved {
                session,
                serial,
                result,
            } => {
                if let Some(e) = self.sessions.get_mut(session.idx, session.gen) {
                    if resolved(&mut self.ctx, e, serial, result) {
                        service(&mut self.ctx, e);
                    }
                }
                return;
            }
            command => command,
        };
        let sref = match &command {
            Command::Connect { session, .. }
            | Command::Logout { session, .. }
            | Command::Finalize { session, .. }
            | Command::Resolved { session, .. } => *session,
            Command::Drain(session)
            | Command::Disconnect(session)
            | Command::ResetLocal(session)
            | Command::ResumeInput(session)
            | Command::ResetAndLogon(session) => *session,
        };
        let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
            return;
        };
        let ctx = &mut self.ctx;
        let now = ctx.time;
        match command {
            Command::Connect {
                heart_bt_int,
                target,
                ..
            } => {
                drain_inbox(ctx, e, true);
                if let Some(hb) = heart_bt_int {
                    e.session.config_mut().heart_bt_int = hb;
                }
                if let Some(t) = target {
                    e.target = Some(t);
                }
                if e.session.config().role == Role::Initiator {
                    if e.target.is_none() {
                        let err = EngineError::BadAddress("no counterparty configured".into());
                        e.app.on_error(&e.handle, &err);
                        return;
                    }
                    e.apply_to_admin();
                }
                e.session.connect(now);
            }
            Command::Drain(_) => {
                if inbox_ready(e) {
                    drain_inbox(ctx, e, false);
                }
            }
            Command::Logout { text, .. } => {
                drain_inbox(ctx, e, true);
                e.session.logout(text.as_deref(), now);
            }
            Command::Disconnect(_) => {
                drain_inbox(ctx, e, true);
                e.session.disconnect(now);
            }
            Command::ResumeInput(_) => resume_input(ctx, e),
            Command::ResetLocal(_) => e.session.reset_seq_num_local(now),
            Command::ResetAndLogon(_) => {
                drain_inbox(ctx, e, true);
                e.apply_to_admin();
                e.session.reset_seq_num_and_send_logon(now);
            }
            Command::Finalize { .. } | Command::Resolved { .. } => return,
        }
        service(ctx, e);
    }

    /// Stops the loop: at once, or after the established sessions logged
    /// out (within the stop timeout).
    fn stop(&mut self, graceful: bool) {
        let ctx = &mut self.ctx;
        let now = ctx.time;
        if !graceful {
            self.stop = true;
            return;
        }
        if self.stopping.is_some() {
            return;
        }
        self.stopping = Some(now.instant + ctx.settings.stop_timeout);
        for e in self.sessions.iter_mut() {
            match e.session.state() {
                SessionState::Established | SessionState::WaitForConfirmLogon => {
                    // What was put before the stop goes out before the
                    // Logout.
                    drain_inbox(ctx, e, true);
                    e.session.logout(None, now);
                    service(ctx, e);
                }
                SessionState::WaitForConfirmLogout => {}
                _ => close_link(ctx, e),
            }
        }
        // Acceptors take no new connections while stopping.
        self.close_listeners();
        for (idx, gen) in self.pending.refs() {
            self.close_pending(idx, gen);
        }
    }

    pub(super) fn create(&mut self, new: NewSession) -> Result<Arc<SessionShared>, EngineError> {
        let NewSession {
            session,
            app,
            log_dir,
            accept,
            target,
            socket,
            max_outgoing_bytes,
        } = new;
        let key = session.key();
        if self.sessions.iter().any(|e| *e.shared().key == key) {
            return Err(EngineError::DuplicateSession(key.to_string()));
        }
        let log = match &log_dir {
            Some(dir) => Some(
                FileLog::open(dir, &key).map_err(|source| EngineError::FileLog {
                    path: dir.clone(),
                    source,
                })?,
            ),
            None => None,
        };
        let role = session.config().role;
        let engine = self.ctx.shared.clone();
        let (idx, gen) = self.sessions.insert_with(|idx, gen| {
            let shared = Arc::new(SessionShared::new(
                SessionRef { idx, gen },
                key.clone(),
                session.config(),
                session.state(),
                session.next_target_seq_num(),
                session.next_sender_seq_num(),
                max_outgoing_bytes,
            ));
            Entry {
                session,
                app,
                handle: SessionHandle::new(engine, shared, false),
                link: None,
                target,
                timer_queued: None,
                log,
                logged_upto: 0,
                records: Vec::new(),
                records_pos: 0,
                socket,
                logon_already_checked: false,
                peer_identity_pending: false,
                outcome: Default::default(),
                store_flush_queued: false,
                log_flush_queued: false,
            }
        });
        let sref = SessionRef { idx, gen };
        log::info!("session {key} created ({role:?})");
        if role == Role::Acceptor {
            self.ctx.router.add_session(sref, key.clone(), accept);
        }
        let Some(e) = self.sessions.get_mut(idx, gen) else {
            return Err(EngineError::Stopped);
        };
        if role == Role::Acceptor {
            e.session.connect(self.ctx.time);
        }
        service(&mut self.ctx, e);
        Ok(e.handle.shared.clone())
    }

    pub(super) fn finalize(&mut self, sref: SessionRef) {
        let Some(e) = self.sessions.get_mut(sref.idx, sref.gen) else {
            return;
        };
        let ctx = &mut self.ctx;
        e.session.disconnect(ctx.time);
        service(ctx, e);
        close_link(ctx, e);
        let Some(mut e) = self.sessions.remove(sref.idx, sref.gen) else {
            return;
        };
        let key = e.shared().key.clone();
        self.ctx.router.remove_session(sref);
        if let Some(log) = &mut e.log {
            let _ = log.event(self.ctx.time.utc, "session finalized");
            let _ = log.flush();
        }
        e.shared().close();
        log::info!("session {key} finalized");
    }
}
