//! Sessions created on their first Logon from an acceptor template: the
//! router says which template takes a Logon and with which identity; the
//! loop gives the new session its store, log and the template's shared
//! application, then hands it the connection.

use super::commands::NewSession;
use super::EventLoop;
use crate::app::{Application, SharedApplication};
use fixrs_proto::FixVersion;
use fixrs_session::router::TemplateId;
use fixrs_session::{
    AcceptRules, AcceptorTemplate, MemoryStore, RefusalReason, Session, SessionConfig,
    SessionDictionary, Store,
};
use fixrs_store::{FileStore, FileStoreOptions};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// What the loop needs to create a template's sessions, with the engine's
/// defaults already applied.
pub(crate) struct TemplateSpec {
    /// Serves every session the template creates.
    pub(crate) app: Arc<Mutex<Box<dyn Application>>>,
    /// Directory and options of the sessions' file stores; `None` for
    /// memory stores.
    pub(crate) store: Option<(PathBuf, FileStoreOptions)>,
    pub(crate) dictionary: Option<SessionDictionary>,
    pub(crate) app_dictionaries: Vec<(FixVersion, SessionDictionary)>,
    pub(crate) log_dir: Option<PathBuf>,
    pub(crate) max_outgoing_bytes: usize,
}

impl TemplateSpec {
    /// A session for `config`, with its own store, ready for the loop.
    fn new_session(
        &self,
        config: SessionConfig,
        accept: AcceptRules,
        now: fixrs_session::Now,
    ) -> Result<NewSession, String> {
        let utc = now.utc;
        let store: Box<dyn Store + Send> = match &self.store {
            Some((dir, options)) => Box::new(
                FileStore::open(dir, &config.key(), *options, utc).map_err(|e| e.to_string())?,
            ),
            None => Box::new(MemoryStore::new(utc)),
        };
        let mut session = Session::new(config, store, now).map_err(|e| e.to_string())?;
        if let Some(d) = &self.dictionary {
            session.set_dictionary(d.clone());
        }
        for (version, d) in &self.app_dictionaries {
            session.set_app_dictionary(*version, d.clone());
        }
        Ok(NewSession {
            session,
            app: Box::new(SharedApplication(self.app.clone())),
            log_dir: self.log_dir.clone(),
            accept,
            target: None,
            socket: None,
            max_outgoing_bytes: self.max_outgoing_bytes,
        })
    }
}

impl EventLoop {
    /// Adds a template to the router, with what creating its sessions
    /// needs.
    pub(super) fn add_template(&mut self, template: AcceptorTemplate, spec: TemplateSpec) {
        log::info!("acceptor template {} added", template.config.key());
        // The router numbers templates in the order they are added.
        self.ctx.router.add_template(template);
        self.templates.push(spec);
    }

    /// Creates the session a template allows for a waiting connection's
    /// Logon (the first `len` bytes it sent), then offers it the Logon.
    pub(super) fn create_from_template(
        &mut self,
        pidx: u32,
        pgen: u32,
        template: TemplateId,
        config: SessionConfig,
        len: usize,
    ) {
        let session = config.key().to_string();
        let (Some(spec), Some(t)) = (
            self.templates.get(template.0),
            self.ctx.router.template(template),
        ) else {
            return self.close_pending(pidx, pgen);
        };
        let new = spec.new_session(config, t.rules.clone(), self.ctx.time);
        match new.and_then(|new| self.create(new).map_err(|e| e.to_string())) {
            Ok(shared) => {
                log::info!("session {session} created from a template");
                self.accept_logon(pidx, pgen, shared.sref, len, true);
            }
            Err(reason) => {
                log::warn!("session {session} cannot be created: {reason}");
                self.refuse(
                    pidx,
                    pgen,
                    RefusalReason::SessionNotCreated { session, reason },
                );
            }
        }
    }
}
