//! The FIX tag=value codec: framing, zero-copy message views, typed values,
//! an encoder, repeating groups, QuickFIX-format data dictionaries and
//! validation, for FIX 4.0 to 5.0 SP2 and FIXT 1.1.
//!
//! This crate does no I/O and reads no clock: it turns bytes into message
//! views and messages into bytes. Sessions (sequence numbers, heartbeats,
//! resends) live in `fixrs-session`; sockets in `fixrs-transport-mio`.
//!
//! The receive path is [`framing::Decoder`] (find complete frames in a byte
//! stream, drop garbled ones) then [`message::FieldIndex::parse`] (index the
//! fields in place); the send path is [`encode::Encoder`]. Neither allocates
//! per message once its buffers are warm. Field values read and write as
//! FIX types through [`value`] (exact [`Decimal`] prices, timestamps,
//! sequence numbers); the session-level messages have typed builders and
//! views in [`admin`].
//!
//! ```
//! use fixrs_proto::framing::Decoder;
//! use fixrs_proto::message::FieldIndex;
//!
//! let wire = b"8=FIX.4.4\x019=5\x0135=0\x0110=163\x01";
//! let mut decoder = Decoder::default();
//! let mut index = FieldIndex::new();
//! decoder.feed(wire);
//! while let Some(frame) = decoder.next_frame() {
//!     let frame = frame.expect("well-formed");
//!     let msg = index.parse(frame).expect("fields");
//!     assert_eq!(msg.msg_type(), b"0");
//! }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod admin;
pub mod data_fields;
pub mod dictionary;
pub mod encode;
// Generated; its constants are public through `tag`.
#[path = "dictionary/builtin/fields.rs"]
mod fields;
pub mod framing;
pub mod group;
pub mod message;
pub mod reject;
mod soh;
pub mod tag;
pub mod validate;
pub mod value;
mod version;

pub use encode::{Encoder, FieldWriter, MessageBuilder};
pub use framing::{Decoder, FrameConfig, FrameError};
pub use message::{Field, FieldIndex, Message, MessageStash, ParseError, Stashed};
pub use reject::{BusinessRejectReason, SessionRejectReason};
pub use value::{Decimal, FieldError, FromFixValue, SeqNum, ToFixValue, UtcTimestamp, ValueError};
pub use version::{FixVersion, UnknownVersion};

/// A FIX tag number.
pub type Tag = u32;

/// The FIX field delimiter, Start Of Heading (0x01).
pub const SOH: u8 = 0x01;

/// The crate's README, compiled as doctests so that its example cannot
/// drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
