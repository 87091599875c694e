//! Garbled input, and messages over MaxMessageSize in particular: the
//! framer skips such a message whole without reading it, so its MsgSeqNum
//! is unknown; the next message in sequence shows the gap and the normal
//! ResendRequest asks for it again. A counterparty that sends it over the
//! limit once more (nothing was processed in between) would be asked for
//! ever: it is logged out with a Text saying why.

use super::Session;
use crate::error::PeerError;
use crate::event::QueuedEvent;
use fixrs_proto::framing::{FrameError, Garbled};
use fixrs_proto::UtcTimestamp;
use std::time::Instant;

/// Messages over the limit in a row, with nothing processed in between,
/// after which the counterparty is logged out: the original and its resend.
const OVERSIZE_REPEATS: u32 = 2;

impl Session {
    /// A frame the decoder dropped.
    pub(super) fn on_garbled(&mut self, garbled: Garbled, now: Instant, utc: UtcTimestamp) {
        let FrameError::TooLarge { size, max } = garbled.error else {
            self.events.push_back(QueuedEvent::Garbled {
                error: garbled.error,
                dropped: garbled.dropped,
            });
            return;
        };
        // A message did arrive: the link is alive.
        self.note_received(now);
        let count = match self.oversize {
            Some((mark, n)) if mark == self.next_target => n + 1,
            _ => 1,
        };
        self.oversize = Some((self.next_target, count));
        let error = PeerError::MessageTooLarge { size, max };
        if count < OVERSIZE_REPEATS {
            self.push_error(error);
            return;
        }
        self.oversize = None;
        let text = format!(
            "Message of {size} bytes exceeds the maximum message size of {max} bytes, again"
        );
        self.fatal_logout(text, error, now, utc);
    }
}
