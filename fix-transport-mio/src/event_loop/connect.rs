//! Initiators' links: a TCP connect started when the session asks for a
//! link, finished (or failed) on write readiness, then wrapped by the
//! session's transport factory. The caller services the session after
//! each of these.

use super::entry::{Entry, Link, LinkIo, LinkRef};
use super::link::{close_link, schedule_timer};
use super::Ctx;
use crate::error::EngineError;
use crate::transport::{LinkInfo, LinkSide, SocketOptions};
use mio::Interest;
use std::io;

/// Starts a TCP connect for an initiator session (closing the link it may
/// still have).
pub(super) fn open_link(ctx: &mut Ctx, e: &mut Entry) -> Result<(), EngineError> {
    let now = ctx.now;
    close_link(ctx, e);
    let Some(target) = &mut e.target else {
        return Err(EngineError::BadAddress("no counterparty configured".into()));
    };
    let (addr, source) = target.pick(now);
    let reuse_address = target.reuse_address;
    let host = target.host.clone();
    let factory = target.factory.clone();
    e.apply_to_admin();
    log::debug!("session {}: connecting to {addr}", e.shared().key);
    e.log_event(ctx.utc, &format!("Connecting to {addr}"));
    let mut stream = crate::transport::connect_from(addr, source, reuse_address)?;
    let idx = e.sref().idx;
    let serial = ctx.next_serial();
    let token = LinkRef { idx, serial }.token();
    ctx.poll
        .registry()
        .register(&mut stream, token, Interest::WRITABLE)?;
    let io = LinkIo::Connecting {
        stream,
        host,
        factory,
    };
    let mut link = Link::new(io, serial, Interest::WRITABLE);
    link.deadline = Some(now + ctx.settings.connect_timeout);
    schedule_timer(ctx, idx, &mut link);
    e.link = Some(link);
    ctx.links += 1;
    Ok(())
}

/// How a connect the socket's readiness reported ended.
pub(super) enum Connected {
    /// A spurious wake-up: still connecting.
    NotYet,
    /// The link is up; the session knows.
    Up,
    /// The connect failed or the stream could not be set up; the link is
    /// closed and the session knows.
    Failed,
}

/// The connecting socket became writable: connected or failed.
pub(super) fn connected(ctx: &mut Ctx, e: &mut Entry) -> Connected {
    let (now, utc) = (ctx.now, ctx.utc);
    let Some(Link {
        io: LinkIo::Connecting { stream, .. },
        ..
    }) = &e.link
    else {
        return Connected::NotYet;
    };
    let failure = match stream.take_error() {
        Ok(Some(err)) | Err(err) => Some(err),
        Ok(None) => match stream.peer_addr() {
            Ok(_) => None,
            // Not connected yet: a spurious wake-up.
            Err(err) if err.kind() == io::ErrorKind::NotConnected => return Connected::NotYet,
            Err(err) => Some(err),
        },
    };
    if let Some(err) = failure {
        close_link(ctx, e);
        log::info!("session {}: connect failed: {err}", e.shared().key);
        e.log_event(utc, &format!("Connection failed: {err}"));
        e.session.handle_link_down(now, utc);
        return Connected::Failed;
    }
    // Connected: apply options, wrap, hand to the session.
    let socket = e.socket.unwrap_or(ctx.settings.socket);
    if let Err(err) = wrap_connected(ctx, e, socket) {
        close_link(ctx, e);
        log::warn!(
            "session {}: cannot set up connection: {err}",
            e.shared().key
        );
        e.app.on_error(&e.handle, &err);
        e.session.handle_link_down(now, utc);
        return Connected::Failed;
    }
    e.discard_transmit();
    e.peer_identity_pending = true;
    e.log_event(utc, "Connected");
    e.session.handle_link_up(now, utc);
    Connected::Up
}

/// Replaces the connecting stream by its wrapped transport.
fn wrap_connected(ctx: &mut Ctx, e: &mut Entry, socket: SocketOptions) -> io::Result<()> {
    let idx = e.sref().idx;
    let Some(link) = &mut e.link else {
        return Ok(());
    };
    let LinkIo::Connecting {
        stream,
        host,
        factory,
    } = std::mem::replace(&mut link.io, LinkIo::Detached)
    else {
        return Ok(());
    };
    socket.apply(&stream)?;
    let peer = stream.peer_addr()?;
    let info = LinkInfo {
        side: LinkSide::Initiator,
        peer,
        host: &host,
    };
    link.io = LinkIo::Open(factory.wrap(stream, &info)?);
    link.deadline = None;
    schedule_timer(ctx, idx, link);
    Ok(())
}

/// The connect did not complete within the connect timeout: the link is
/// closed and the session knows.
pub(super) fn connect_timed_out(ctx: &mut Ctx, e: &mut Entry) {
    close_link(ctx, e);
    log::info!("session {}: connect timed out", e.shared().key);
    e.session.handle_link_down(ctx.now, ctx.utc);
}
