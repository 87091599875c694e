//! Initiators' links: each attempt takes the next counterparty address,
//! resolves its host name afresh on the engine's resolver thread (an IP
//! address needs none), starts a TCP connect, finishes it (or fails) on
//! write readiness, and wraps the stream with the session's transport
//! factory. A failure is reported to the application as a typed
//! [`LinkError`] and the session is told the link is down (it reconnects
//! or gives up as configured). The caller services the session after each
//! of these.

use super::entry::{Entry, Link, LinkIo, LinkRef};
use super::link::{close_link, schedule_timer};
use super::Ctx;
use crate::error::{EngineError, LinkError};
use crate::transport::{LinkInfo, LinkSide, SocketOptions};
use mio::Interest;
use std::io;
use std::net::SocketAddr;

/// Starts a connection attempt for an initiator session (closing the link
/// it may still have). Returns false when it failed at once: the failure
/// was reported and the session knows.
pub(super) fn open_link(ctx: &mut Ctx, e: &mut Entry) -> bool {
    let now = ctx.time.instant;
    close_link(ctx, e);
    let Some(target) = &mut e.target else {
        let err = EngineError::BadAddress("no counterparty configured".into());
        log::info!("session {}: {err}", e.shared().key);
        e.app.on_error(&e.handle, &err);
        e.session.handle_link_down(ctx.time);
        return false;
    };
    let attempt = target.pick(now);
    let Some(address) = target.address(attempt).cloned() else {
        return false;
    };
    e.apply_to_admin();
    let serial = ctx.next_serial();
    let mut link = Link::new(LinkIo::Resolving { attempt }, serial, Interest::WRITABLE);
    link.deadline = Some(now + ctx.settings.connect_timeout);
    e.link = Some(link);
    ctx.links += 1;
    if let Some(addr) = address.literal {
        if let Some(target) = &mut e.target {
            target.choose(attempt, &[addr]);
        }
        return start_connect(ctx, e, addr);
    }
    log::debug!("session {}: resolving {}", e.shared().key, address.address);
    if let Err(source) = ctx.resolve(e.sref(), serial, address.address.clone()) {
        let address = address.address;
        link_failed(ctx, e, LinkError::Resolve { address, source });
        return false;
    }
    let idx = e.sref().idx;
    if let Some(link) = &mut e.link {
        schedule_timer(ctx, idx, link);
    }
    true
}

/// The resolver answered for the link `serial`: connects to the address
/// the attempt picks among those found. Returns false for an answer to a
/// link that is gone.
pub(super) fn resolved(
    ctx: &mut Ctx,
    e: &mut Entry,
    serial: u32,
    result: io::Result<Vec<SocketAddr>>,
) -> bool {
    let attempt = match e.link_mut(serial) {
        Some(Link {
            io: LinkIo::Resolving { attempt },
            ..
        }) => *attempt,
        _ => return false,
    };
    let Some(target) = &mut e.target else {
        close_link(ctx, e);
        return true;
    };
    let address = target
        .address(attempt)
        .map(|a| a.address.clone())
        .unwrap_or_default();
    let resolved = match result {
        Ok(addrs) => addrs,
        Err(source) => {
            target.choose(attempt, &[]);
            link_failed(ctx, e, LinkError::Resolve { address, source });
            return true;
        }
    };
    match target.choose(attempt, &resolved) {
        Some(addr) => {
            start_connect(ctx, e, addr);
        }
        None => {
            let source = io::Error::new(io::ErrorKind::NotFound, "no address found");
            link_failed(ctx, e, LinkError::Resolve { address, source });
        }
    }
    true
}

/// Starts the TCP connect of the session's new link to `addr`. Returns
/// false when it failed at once (reported).
fn start_connect(ctx: &mut Ctx, e: &mut Entry, addr: SocketAddr) -> bool {
    let now = ctx.time.instant;
    let idx = e.sref().idx;
    let (Some(target), Some(link)) = (&e.target, &mut e.link) else {
        return false;
    };
    let LinkIo::Resolving { attempt } = link.io else {
        return false;
    };
    let Some(address) = target.address(attempt) else {
        return false;
    };
    let (host, source) = (address.host.clone(), address.source);
    let factory = target.factory.clone();
    let token = LinkRef {
        idx,
        serial: link.serial,
    }
    .token();
    let connected = crate::transport::connect_from(addr, source, target.reuse_address).and_then(
        |mut stream| {
            ctx.poll
                .registry()
                .register(&mut stream, token, Interest::WRITABLE)
                .map(|()| stream)
        },
    );
    let stream = match connected {
        Ok(stream) => stream,
        Err(source) => {
            link_failed(ctx, e, LinkError::Connect { addr, source });
            return false;
        }
    };
    link.io = LinkIo::Connecting {
        stream,
        addr,
        host,
        factory,
    };
    // The connect has its own timeout, whatever the resolving took.
    link.deadline = Some(now + ctx.settings.connect_timeout);
    schedule_timer(ctx, idx, link);
    log::debug!("session {}: connecting to {addr}", e.shared().key);
    e.log_event(ctx.time.utc, &format!("Connecting to {addr}"));
    true
}

/// How a connect the socket's readiness reported ended.
pub(super) enum Connected {
    /// A spurious wake-up: still connecting.
    NotYet,
    /// The link is up; the session knows.
    Up,
    /// The connect failed or the stream could not be set up; the link is
    /// closed, the failure reported and the session knows.
    Failed,
}

/// The connecting socket became writable: connected or failed.
pub(super) fn connected(ctx: &mut Ctx, e: &mut Entry) -> Connected {
    let now = ctx.time;
    let utc = now.utc;
    let Some(Link {
        io: LinkIo::Connecting { stream, addr, .. },
        ..
    }) = &e.link
    else {
        return Connected::NotYet;
    };
    let addr = *addr;
    let failure = match stream.take_error() {
        Ok(Some(err)) | Err(err) => Some(err),
        Ok(None) => match stream.peer_addr() {
            Ok(_) => None,
            // Not connected yet: a spurious wake-up.
            Err(err) if err.kind() == io::ErrorKind::NotConnected => return Connected::NotYet,
            Err(err) => Some(err),
        },
    };
    if let Some(source) = failure {
        link_failed(ctx, e, LinkError::Connect { addr, source });
        return Connected::Failed;
    }
    // Connected: apply options, wrap, hand to the session.
    let socket = e.socket.unwrap_or(ctx.settings.socket);
    if let Err(source) = wrap_connected(ctx, e, socket) {
        link_failed(ctx, e, LinkError::Setup { addr, source });
        return Connected::Failed;
    }
    e.discard_transmit();
    e.peer_identity_pending = true;
    e.log_event(utc, "Connected");
    e.session.handle_link_up(now);
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
        ..
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

/// The attempt did not connect within the connect timeout (resolving
/// included): the link is closed, the application told, and the session
/// knows.
pub(super) fn connect_timed_out(ctx: &mut Ctx, e: &mut Entry) {
    let address = match &e.link {
        Some(Link {
            io: LinkIo::Connecting { addr, .. },
            ..
        }) => addr.to_string(),
        Some(Link {
            io: LinkIo::Resolving { attempt },
            ..
        }) => e
            .target
            .as_ref()
            .and_then(|t| t.address(*attempt))
            .map(|a| a.address.clone())
            .unwrap_or_default(),
        _ => String::new(),
    };
    link_failed(ctx, e, LinkError::ConnectTimeout { address });
}

/// A connection attempt failed: closes the link, reports why and tells
/// the session its link is down.
fn link_failed(ctx: &mut Ctx, e: &mut Entry, err: LinkError) {
    close_link(ctx, e);
    log::info!("session {}: {err}", e.shared().key);
    e.log_event(ctx.time.utc, &format!("Connection failed: {err}"));
    e.app.on_error(&e.handle, &err);
    e.session.handle_link_down(ctx.time);
}
