//! The receive path: framing, header checks (BeginString, CompIDs,
//! SendingTime, MsgSeqNum), the Logon handshake, and the handling of each
//! session-level message; application messages are delivered as events.

use super::outbound::{supports_next_expected, Rejected};
use super::{Ending, Input, LogoutKind, ResendProgress, Session, Timer, MAX_SEQ_NUM};
use crate::config::Role;
use crate::error::PeerError;
use crate::event::{QueuedEvent, SessionWarning};
use crate::msg_types;
use crate::state::SessionState;
use crate::store::SeqNum;
use fixrs_proto::tag::{self, msg_type};
use fixrs_proto::validate::ValidationError;
use fixrs_proto::{
    BusinessRejectReason, FieldError, FieldIndex, FromFixValue, Message, ParseError,
    SessionRejectReason, UtcTimestamp, SOH,
};
use std::time::Instant;

impl Session {
    /// Feeds received bytes to the decoder and processes complete messages
    /// in order, stopping after the first one that gives the application an
    /// event (the rest waits for [`Session::handle_pending_input`]), or
    /// when the link closes.
    pub(super) fn receive(&mut self, bytes: &[u8], now: Instant, utc: UtcTimestamp) {
        // The decoder and index are moved out so that a message borrowing
        // them can be processed with `&mut self`. Receiving does not
        // re-enter itself, so they are always there.
        let Some(mut input) = self.input.take() else {
            return;
        };
        let Input { decoder, index } = &mut *input;
        if !bytes.is_empty() {
            // (Going on with what is buffered feeds nothing.)
            decoder.feed(bytes);
        }
        self.input_paused = false;
        while self.link_up {
            let events_before = self.events.len();
            if self.release_in_sequence(index, now, utc) {
                self.gap_check_due = true;
            } else {
                if std::mem::take(&mut self.gap_check_due) {
                    self.request_still_missing(now, utc);
                }
                let Some(next) = decoder.next_frame() else {
                    break;
                };
                match next {
                    Err(garbled) => self.on_garbled(garbled, now, utc),
                    Ok(frame) => {
                        self.note_received(now);
                        match index.parse(frame) {
                            Ok(msg) => self.on_message(&msg, now, utc, false),
                            Err(e) => self.on_unparseable(frame, e, now, utc),
                        }
                        self.advance_resend_progress(now, utc);
                        self.gap_check_due = true;
                    }
                }
            }
            if self.events.len() > events_before {
                // The application sees this message (and answers it)
                // before the session acts on the next one.
                self.input_paused = self.link_up;
                break;
            }
        }
        if !self.link_up {
            decoder.clear();
            self.gap_check_due = false;
        }
        self.input = Some(input);
    }

    /// Processes the message kept beyond a gap that is now next in
    /// sequence, if any (after a message that filled the gap); returns
    /// whether one was processed.
    fn release_in_sequence(
        &mut self,
        index: &mut FieldIndex,
        now: Instant,
        utc: UtcTimestamp,
    ) -> bool {
        if self.out_of_order.is_empty()
            || !self.link_up
            || !matches!(
                self.state,
                SessionState::Established | SessionState::WaitForConfirmLogout
            )
        {
            return false;
        }
        while let Some(entry) = self.out_of_order.first_entry() {
            if *entry.key() >= self.next_target {
                break;
            }
            let stale = entry.remove();
            self.recycle(stale);
        }
        let Some(buf) = self.out_of_order.remove(&self.next_target) else {
            return false;
        };
        if buf.is_empty() {
            // Acted on when it arrived; it only counts.
            self.set_next_target(self.next_target + 1);
        } else {
            match index.parse(&buf) {
                Ok(msg) => self.on_message(&msg, now, utc, true),
                Err(e) => {
                    self.push_error(PeerError::Unparseable(e));
                    self.set_next_target(self.next_target + 1);
                }
            }
        }
        self.recycle(buf);
        self.advance_resend_progress(now, utc);
        true
    }

    /// Once no kept message is next in sequence: asks again for what is
    /// still missing beyond NextNumIn, if no ResendRequest is outstanding.
    fn request_still_missing(&mut self, now: Instant, utc: UtcTimestamp) {
        if self.link_up
            && self.state == SessionState::Established
            && self.resend_requested.is_none()
        {
            if let Some((&first, _)) = self.out_of_order.first_key_value() {
                if first > self.next_target {
                    self.request_resend(first, now, utc);
                }
            }
        }
    }

    /// Keeps a received message, bytes and field index, for delivery and
    /// queues its event: it is not parsed again when polled.
    fn deliver(&mut self, msg: &Message<'_>, app: bool) {
        let kept = self.inbox.push(msg);
        self.events.push_back(if app {
            QueuedEvent::App(kept)
        } else {
            QueuedEvent::Admin(kept)
        });
    }

    /// Validates `msg` against the session's dictionary, if it has one and
    /// UseDataDictionary is on.
    fn validate(&mut self, msg: &Message<'_>) -> Result<(), ValidationError> {
        let result = match &self.dictionary {
            Some(dict) if self.config.use_data_dictionary => {
                // FIXT.1.1 application messages: the dictionary of the
                // version ApplVerID(1128), else the peer's
                // DefaultApplVerID, names, if the session has one.
                let msg_type = msg.msg_type();
                let app = !self.app_dictionaries.is_empty()
                    && !msg_types::is_session_managed(msg_type)
                    && msg_type != msg_type::REJECT;
                let version = app
                    .then(|| {
                        msg.get(tag::APPL_VER_ID)
                            .and_then(fixrs_proto::FixVersion::from_appl_ver_id)
                            .or(self.peer_appl_ver_id)
                    })
                    .flatten();
                let dict = version
                    .and_then(|v| self.app_dictionaries.iter().find(|(av, _)| *av == v))
                    .map_or(dict, |(_, d)| d);
                self.validator.validate(dict, msg)
            }
            _ => Ok(()),
        };
        match result {
            // FIX 4.0 defines no ResetSeqNumFlag(141), but sessions that
            // reset (this engine's, QuickFIX's) send it on Logon anyway.
            Err(
                ValidationError::InvalidTagNumber {
                    tag: tag::RESET_SEQ_NUM_FLAG,
                }
                | ValidationError::TagNotDefinedForMsgType {
                    tag: tag::RESET_SEQ_NUM_FLAG,
                },
            ) if self.config.version == fixrs_proto::FixVersion::Fix40
                && msg.msg_type() == msg_type::LOGON =>
            {
                Ok(())
            }
            other => other,
        }
    }

    /// Counts the message `seq` as processed if it was the one expected.
    fn count_if_expected(&mut self, seq: SeqNum) {
        if seq == self.next_target {
            self.set_next_target(seq + 1);
        }
    }

    /// Rejects the message `seq` and counts it if it was the one expected.
    #[allow(clippy::too_many_arguments)]
    fn reject_and_count(
        &mut self,
        msg: &Message<'_>,
        seq: SeqNum,
        reason: SessionRejectReason,
        ref_tag: Option<fixrs_proto::Tag>,
        text: Option<&str>,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        self.send_reject(&Rejected::of(msg, seq), reason, ref_tag, text, now, utc);
        self.count_if_expected(seq);
    }

    /// Processes one message (`from_queue`: released from the out-of-order
    /// queue, its header already checked on arrival).
    ///
    /// The steps, in this order, are the session's conformance rules:
    /// BeginString, MsgSeqNum present, header (CompIDs, SendingTime), the
    /// messages acted on whatever their MsgSeqNum, the sequence check, then
    /// OrigSendingTime, MsgType and the dictionary, and only then the
    /// message itself.
    // The steps a message in sequence goes through are
    // `#[inline(always)]`: as calls they add about 2% to the instructions
    // of a round trip (benches/callgrind.py).
    pub(super) fn on_message(
        &mut self,
        msg: &Message<'_>,
        now: Instant,
        utc: UtcTimestamp,
        from_queue: bool,
    ) {
        match self.state {
            SessionState::WaitForFirstLogon | SessionState::WaitForConfirmLogon => {
                return self.on_first_message(msg, now, utc);
            }
            SessionState::Established | SessionState::WaitForConfirmLogout => {}
            // Lingering after a Logout exchange, or not connected.
            _ => return,
        }
        let msg_type = msg.msg_type();
        if self.logout_kind == Some(LogoutKind::Error) && msg_type != msg_type::LOGOUT {
            // After a fatal error only the peer's Logout matters. (After a
            // header error its messages are still processed: it may need
            // resends or gap fills to log out cleanly.)
            return;
        }
        if msg.begin_string() != self.begin_string().as_bytes() {
            return self.on_incorrect_begin_string(msg, now, utc);
        }
        if msg_type == msg_type::LOGON && msg.get(tag::RESET_SEQ_NUM_FLAG) != Some(b"Y") {
            return self.unexpected_logon(now, utc);
        }
        let reset =
            msg_type == msg_type::SEQUENCE_RESET && msg.get(tag::GAP_FILL_FLAG) != Some(b"Y");
        let header = HeaderFields::of(msg);
        let Some(seq) = self.received_seq_num(&header, reset, now, utc) else {
            return;
        };
        if !from_queue && !self.check_header(msg, &header, seq, now, utc) {
            return;
        }
        if reset {
            return self.on_sequence_reset(msg, seq, now, utc);
        }
        let poss_dup = header.poss_dup == Some(b"Y");
        if matches!(
            msg_type,
            msg_type::LOGON | msg_type::RESEND_REQUEST | msg_type::LOGOUT
        ) {
            return self.act_on_at_once(msg, seq, poss_dup, now, utc);
        }
        if self.is_next_in_sequence(msg, msg_type, seq, poss_dup, now, utc)
            && self.passes_checks(msg, msg_type, seq, poss_dup, now, utc)
        {
            self.on_in_sequence(msg, msg_type, seq, now, utc);
        }
    }

    /// A message whose BeginString is not the session's: a Logout is acted
    /// on whatever its BeginString, as QuickFIX does (the peer is leaving
    /// anyway); anything else ends the session with a Logout.
    fn on_incorrect_begin_string(&mut self, msg: &Message<'_>, now: Instant, utc: UtcTimestamp) {
        if msg.msg_type() == msg_type::LOGOUT {
            let seq = msg.msg_seq_num().unwrap_or(0);
            return self.on_logout(msg, seq, now, utc);
        }
        let received = String::from_utf8_lossy(msg.begin_string()).into_owned();
        let text = format!(
            "Incorrect BeginString: expected {}, received {}",
            self.begin_string(),
            received
        );
        let error = PeerError::IncorrectBeginString {
            expected: self.begin_string().to_string(),
            received,
        };
        self.header_error_logout(text, error, now, utc);
    }

    /// The MsgSeqNum(34) of a message on a logged-on link. Missing or
    /// invalid, it ends the session (None), except on a
    /// SequenceReset-Reset (`reset`): that is processed whatever its
    /// MsgSeqNum (11a), even 0 or none, and its Reject refers to the
    /// number it carried.
    fn received_seq_num(
        &mut self,
        header: &HeaderFields<'_>,
        reset: bool,
        now: Instant,
        utc: UtcTimestamp,
    ) -> Option<SeqNum> {
        match header.seq_num.map(u64::from_fix_value) {
            Some(Ok(seq)) if (1..=MAX_SEQ_NUM).contains(&seq) => Some(seq),
            Some(Ok(seq)) if reset && seq <= MAX_SEQ_NUM => Some(seq),
            _ if reset => Some(0),
            _ => {
                self.fatal_logout(
                    "MsgSeqNum(34) missing or invalid".to_string(),
                    PeerError::MsgSeqNumMissing,
                    now,
                    utc,
                );
                None
            }
        }
    }

    /// The messages acted on whatever their MsgSeqNum: a Logon with
    /// ResetSeqNumFlag=Y (the only Logon [`Session::on_message`] lets
    /// through), ResendRequest and Logout. Validated first, as QuickFIX
    /// validates every message before acting on it, then handled.
    fn act_on_at_once(
        &mut self,
        msg: &Message<'_>,
        seq: SeqNum,
        poss_dup: bool,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        if !self.validated(msg, seq, now, utc) {
            return;
        }
        match msg.msg_type() {
            msg_type::LOGON => self.on_reset_logon(msg, seq, now, utc),
            msg_type::RESEND_REQUEST => self.on_resend_request(msg, seq, poss_dup, now, utc),
            _ => self.on_logout(msg, seq, now, utc),
        }
    }

    /// Checks `seq` against NextNumIn; returns whether `msg` is the one
    /// expected. One beyond a gap is kept and the gap asked for (2b, 10a);
    /// one below ends the session without PossDupFlag (2c), and with it is
    /// a duplicate of something already processed (2e, 10c), dropped once
    /// its OrigSendingTime passed the checks of 2f and 2g, as QuickFIX
    /// does.
    #[inline(always)]
    fn is_next_in_sequence(
        &mut self,
        msg: &Message<'_>,
        msg_type: &[u8],
        seq: SeqNum,
        poss_dup: bool,
        now: Instant,
        utc: UtcTimestamp,
    ) -> bool {
        if seq > self.next_target {
            self.queue_out_of_order(seq, msg.as_bytes());
            self.request_resend(seq, now, utc);
            return false;
        }
        if seq < self.next_target {
            if !poss_dup {
                self.seq_too_low(seq, now, utc);
            } else if msg_type != msg_type::SEQUENCE_RESET {
                self.check_orig_sending_time(msg, seq, now, utc);
            }
            return false;
        }
        true
    }

    /// The checks of a message in sequence before it is acted on:
    /// OrigSendingTime of a PossDup (2f, 2g), MsgType (2q), then the
    /// dictionary. A problem is rejected (the message counted); returns
    /// whether there was none.
    #[inline(always)]
    fn passes_checks(
        &mut self,
        msg: &Message<'_>,
        msg_type: &[u8],
        seq: SeqNum,
        poss_dup: bool,
        now: Instant,
        utc: UtcTimestamp,
    ) -> bool {
        if poss_dup
            && msg_type != msg_type::SEQUENCE_RESET
            && !self.check_orig_sending_time(msg, seq, now, utc)
        {
            return false;
        }
        if !self.msg_type_valid(msg_type) {
            self.reject_and_count(
                msg,
                seq,
                SessionRejectReason::InvalidMsgType,
                // As QuickFIX: RefMsgType(372) says it, no RefTagID.
                None,
                None,
                now,
                utc,
            );
            return false;
        }
        self.validated(msg, seq, now, utc)
    }

    /// Validates `msg` (see [`Session::validate`]); a problem is rejected
    /// (the message counted). Returns whether there was none.
    #[inline(always)]
    fn validated(
        &mut self,
        msg: &Message<'_>,
        seq: SeqNum,
        now: Instant,
        utc: UtcTimestamp,
    ) -> bool {
        match self.validate(msg) {
            Ok(()) => true,
            Err(e) => {
                self.reject_and_count(
                    msg,
                    seq,
                    e.reason(),
                    e.ref_tag_id(),
                    Some(e.text()),
                    now,
                    utc,
                );
                false
            }
        }
    }

    /// Acts on a checked message that is the one expected (a Logon never
    /// gets here: see [`Session::act_on_at_once`]).
    #[inline(always)]
    fn on_in_sequence(
        &mut self,
        msg: &Message<'_>,
        msg_type: &[u8],
        seq: SeqNum,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        match msg_type {
            msg_type::HEARTBEAT => self.on_heartbeat(msg, seq),
            msg_type::TEST_REQUEST => self.on_test_request(msg, seq, now, utc),
            msg_type::SEQUENCE_RESET => self.on_gap_fill(msg, seq, now, utc),
            msg_type::REJECT => {
                self.deliver(msg, false);
                self.count_if_expected(seq);
            }
            _ => self.on_app_message(msg, seq, now, utc),
        }
    }

    /// Heartbeat in sequence: it answers our TestRequest if it carries
    /// its TestReqID.
    fn on_heartbeat(&mut self, msg: &Message<'_>, seq: SeqNum) {
        if let Some(pending) = self.test_request {
            if msg.get_opt::<u64>(tag::TEST_REQ_ID) == Ok(Some(pending.id)) {
                self.test_request = None;
            }
        }
        self.deliver(msg, false);
        self.count_if_expected(seq);
    }

    /// TestRequest in sequence: answered with a Heartbeat carrying its
    /// TestReqID(112), rejected without one.
    fn on_test_request(&mut self, msg: &Message<'_>, seq: SeqNum, now: Instant, utc: UtcTimestamp) {
        match msg.get(tag::TEST_REQ_ID) {
            None => self.reject_and_count(
                msg,
                seq,
                SessionRejectReason::RequiredTagMissing,
                Some(tag::TEST_REQ_ID),
                None,
                now,
                utc,
            ),
            Some(id) => {
                self.deliver(msg, false);
                self.count_if_expected(seq);
                self.send_heartbeat(Some(id), now, utc);
            }
        }
    }

    /// A Logon without ResetSeqNumFlag=Y on a logged-on link: whatever its
    /// MsgSeqNum, the link is closed without a word and the message not
    /// counted, as QuickFIX does ("Logon state is not valid for message"):
    /// a peer that logs on twice has lost track of the session, and a
    /// Logout would only consume a sequence number it may not expect.
    fn unexpected_logon(&mut self, now: Instant, utc: UtcTimestamp) {
        self.push_error(PeerError::UnexpectedLogon);
        self.close_link(Ending::Failed, now, utc);
    }

    /// An application message in sequence: delivered, or refused with
    /// BusinessMessageReject when its MsgType is not supported (2r).
    fn on_app_message(&mut self, msg: &Message<'_>, seq: SeqNum, now: Instant, utc: UtcTimestamp) {
        let msg_type = msg.msg_type();
        let supported = match &self.config.supported_msg_types {
            None => true,
            Some(list) => {
                msg_type == msg_type::BUSINESS_MESSAGE_REJECT
                    || list.iter().any(|t| t.as_bytes() == msg_type)
            }
        };
        if !supported {
            let reason = BusinessRejectReason::UnsupportedMessageType;
            self.send_business_reject(
                &Rejected::of(msg, seq),
                reason,
                reason.description(),
                now,
                utc,
            );
        } else {
            self.deliver(msg, true);
        }
        self.count_if_expected(seq);
    }

    /// Whether a MsgType may be processed (else Reject 373=11, case 2q):
    /// defined in the dictionary when one is used, else well-formed (and,
    /// with `reject_unknown_msg_types`, standard or user-defined).
    fn msg_type_valid(&self, msg_type: &[u8]) -> bool {
        if !msg_types::is_well_formed(msg_type) {
            return false;
        }
        if let Some(dict) = &self.dictionary {
            if self.config.use_data_dictionary {
                return dict.is_known_msg_type(msg_type);
            }
        }
        if self.config.reject_unknown_msg_types {
            return msg_types::is_standard(msg_type) || msg_types::is_user_defined(msg_type);
        }
        true
    }

    /// CompID and SendingTime checks of every message (2j/2k, 2n/2o). On a
    /// problem the message is rejected (and counted if it was the one
    /// expected) and, for CompID and accuracy problems, the session logs
    /// out; returns false.
    fn check_header(
        &mut self,
        msg: &Message<'_>,
        header: &HeaderFields<'_>,
        seq: SeqNum,
        now: Instant,
        utc: UtcTimestamp,
    ) -> bool {
        // A CompID missing or empty is a malformed message, rejected like
        // any missing or empty required field; the session goes on. Only a
        // CompID present and wrong is a CompID problem (2k).
        let mut comp_ids: [&[u8]; 2] = [b"", b""];
        for (i, (t, value)) in [
            (tag::SENDER_COMP_ID, header.sender_comp_id),
            (tag::TARGET_COMP_ID, header.target_comp_id),
        ]
        .into_iter()
        .enumerate()
        {
            let reason = match value {
                None => SessionRejectReason::RequiredTagMissing,
                Some(b"") => SessionRejectReason::TagSpecifiedWithoutValue,
                Some(value) => {
                    comp_ids[i] = value;
                    continue;
                }
            };
            self.reject_and_count(msg, seq, reason, Some(t), None, now, utc);
            return false;
        }
        // SendingTime before the CompIDs, in QuickFIX's order: a message
        // wrong in both is rejected for its SendingTime.
        let accurate = match header.sending_time {
            None => {
                self.reject_and_count(
                    msg,
                    seq,
                    SessionRejectReason::RequiredTagMissing,
                    Some(tag::SENDING_TIME),
                    None,
                    now,
                    utc,
                );
                return false;
            }
            Some(raw) => match self.sending_times.parse(raw) {
                Err(_) => false,
                Ok(t) => !self.config.check_latency || self.within_latency(t, utc),
            },
        };
        if !accurate {
            self.reject_and_count(
                msg,
                seq,
                SessionRejectReason::SendingTimeAccuracyProblem,
                Some(tag::SENDING_TIME),
                None,
                now,
                utc,
            );
            self.header_error_logout(
                "SendingTime accuracy problem".to_string(),
                PeerError::SendingTimeAccuracy,
                now,
                utc,
            );
            return false;
        }
        if self.config.check_comp_id {
            let mismatch = [
                (
                    tag::SENDER_COMP_ID,
                    self.config.id.target_comp_id.as_bytes(),
                    comp_ids[0],
                ),
                (
                    tag::TARGET_COMP_ID,
                    self.config.id.sender_comp_id.as_bytes(),
                    comp_ids[1],
                ),
            ]
            .into_iter()
            .find_map(|(t, expected, received)| {
                (received != expected).then(|| (t, String::from_utf8_lossy(received).into_owned()))
            });
            if let Some((t, received)) = mismatch {
                self.reject_and_count(
                    msg,
                    seq,
                    SessionRejectReason::CompIdProblem,
                    Some(t),
                    None,
                    now,
                    utc,
                );
                self.header_error_logout(
                    "CompID problem".to_string(),
                    PeerError::CompIdProblem { tag: t, received },
                    now,
                    utc,
                );
                return false;
            }
        }
        true
    }

    fn within_latency(&self, sending_time: UtcTimestamp, utc: UtcTimestamp) -> bool {
        let max = self.config.max_latency.as_nanos() as i128;
        sending_time.nanos_since(utc).abs() <= max
    }

    /// OrigSendingTime(122) checks of a PossDup message (2f, 2g), in
    /// sequence or a duplicate; returns false on a problem, after a Reject
    /// (counting the message if it was the one expected) and, for an
    /// OrigSendingTime later than SendingTime, a Logout as QuickFIX sends.
    fn check_orig_sending_time(
        &mut self,
        msg: &Message<'_>,
        seq: SeqNum,
        now: Instant,
        utc: UtcTimestamp,
    ) -> bool {
        let problem = match msg.get_as::<UtcTimestamp>(tag::ORIG_SENDING_TIME) {
            Err(FieldError::Missing(_)) => Some(SessionRejectReason::RequiredTagMissing),
            Err(FieldError::Invalid { .. }) => Some(SessionRejectReason::IncorrectDataFormat),
            Ok(orig) => match msg.get_as::<UtcTimestamp>(tag::SENDING_TIME) {
                Ok(sending) if orig > sending => {
                    Some(SessionRejectReason::SendingTimeAccuracyProblem)
                }
                _ => None,
            },
        };
        match problem {
            None => true,
            Some(reason) => {
                self.reject_and_count(
                    msg,
                    seq,
                    reason,
                    Some(tag::ORIG_SENDING_TIME),
                    None,
                    now,
                    utc,
                );
                if reason == SessionRejectReason::SendingTimeAccuracyProblem {
                    self.header_error_logout(
                        "SendingTime accuracy problem: OrigSendingTime(122) later than SendingTime(52)"
                            .to_string(),
                        PeerError::SendingTimeAccuracy,
                        now,
                        utc,
                    );
                }
                false
            }
        }
    }

    /// MsgSeqNum lower than expected without PossDupFlag (2c, 10d): Logout
    /// with the standard text, wait for the reply, disconnect.
    fn seq_too_low(&mut self, seq: SeqNum, now: Instant, utc: UtcTimestamp) {
        let expected = self.next_target;
        let text = format!("MsgSeqNum too low, expecting {expected} but received {seq}");
        self.fatal_logout(
            text,
            PeerError::MsgSeqNumTooLow {
                expected,
                received: seq,
            },
            now,
            utc,
        );
    }

    /// Keeps a message received beyond a gap (an empty `bytes` marks one
    /// already acted on).
    fn queue_out_of_order(&mut self, seq: SeqNum, bytes: &[u8]) {
        if self.out_of_order.len() >= self.config.max_out_of_order
            && !self.out_of_order.contains_key(&seq)
        {
            self.push_error(PeerError::OutOfOrderQueueFull {
                seq,
                max: self.config.max_out_of_order,
            });
            return;
        }
        let mut buf = if bytes.is_empty() {
            Vec::new()
        } else {
            self.buffer_pool.pop().unwrap_or_default()
        };
        buf.extend_from_slice(bytes);
        if let Some(old) = self.out_of_order.insert(seq, buf) {
            self.recycle(old);
        }
    }

    /// A message `received` is beyond NextNumIn: ask for the gap (2b, 10a),
    /// unless a ResendRequest covering it is outstanding.
    pub(super) fn request_resend(&mut self, received: SeqNum, now: Instant, utc: UtcTimestamp) {
        let missing_end = received - 1;
        let mut end_target = missing_end;
        let outstanding = self.resend_requested;
        if let Some(progress) = &mut self.resend_requested {
            progress.end_target = progress.end_target.max(missing_end);
            end_target = progress.end_target;
            if !self.config.send_redundant_resend_requests {
                return;
            }
        }
        let begin = self.next_target;
        let chunk = self.config.resend_request_chunk_size;
        let (end, chunk_end) = if chunk > 0 {
            let end = end_target.min(begin.saturating_add(chunk - 1));
            (end, end)
        } else {
            (self.end_seq_no_infinity(), 0)
        };
        // Redundant requests are for gaps seen anew; asking again for the
        // very chunk still outstanding, with nothing received since, only
        // feeds two gapped sides' ResendRequests to each other.
        if let Some(p) = outstanding {
            if chunk > 0 && p.mark == begin && p.chunk_end == chunk_end {
                return;
            }
        }
        self.send_resend_request(begin, end, now, utc);
        self.resend_requested = Some(ResendProgress {
            end_target,
            chunk_end,
            mark: begin,
        });
        self.timers.set(
            Timer::Resend,
            super::timers::deadline(now, self.resend_timeout()),
        );
    }

    /// Clears our ResendRequest once the gap is filled, or asks for the
    /// next chunk.
    fn advance_resend_progress(&mut self, now: Instant, utc: UtcTimestamp) {
        let Some(progress) = self.resend_requested else {
            return;
        };
        if self.next_target > progress.end_target {
            self.resend_requested = None;
            self.timers.stop(Timer::Resend);
            return;
        }
        if self.next_target > progress.mark {
            self.timers.set(
                Timer::Resend,
                super::timers::deadline(now, self.resend_timeout()),
            );
            if let Some(p) = &mut self.resend_requested {
                p.mark = self.next_target;
            }
        }
        if progress.chunk_end != 0
            && self.next_target > progress.chunk_end
            && self.state == SessionState::Established
        {
            let begin = self.next_target;
            let chunk = self.config.resend_request_chunk_size.max(1);
            let end = progress.end_target.min(begin.saturating_add(chunk - 1));
            self.send_resend_request(begin, end, now, utc);
            self.resend_requested = Some(ResendProgress {
                end_target: progress.end_target,
                chunk_end: end,
                mark: begin,
            });
        }
    }

    /// SequenceReset-GapFill in sequence (10b, 10e).
    fn on_gap_fill(&mut self, msg: &Message<'_>, seq: SeqNum, now: Instant, utc: UtcTimestamp) {
        match msg.get_as::<SeqNum>(tag::NEW_SEQ_NO) {
            Err(FieldError::Missing(_)) => self.reject_and_count(
                msg,
                seq,
                SessionRejectReason::RequiredTagMissing,
                Some(tag::NEW_SEQ_NO),
                None,
                now,
                utc,
            ),
            Err(FieldError::Invalid { .. }) => self.reject_and_count(
                msg,
                seq,
                SessionRejectReason::IncorrectDataFormat,
                Some(tag::NEW_SEQ_NO),
                None,
                now,
                utc,
            ),
            Ok(new_seq_no) if new_seq_no > MAX_SEQ_NUM => self.reject_and_count(
                msg,
                seq,
                SessionRejectReason::ValueIsIncorrect,
                Some(tag::NEW_SEQ_NO),
                None,
                now,
                utc,
            ),
            Ok(new_seq_no) if new_seq_no <= seq => {
                let text = format!(
                    "Attempt to lower sequence number, invalid value NewSeqNo(36)={new_seq_no}"
                );
                self.reject_and_count(
                    msg,
                    seq,
                    SessionRejectReason::ValueIsIncorrect,
                    Some(tag::NEW_SEQ_NO),
                    Some(&text),
                    now,
                    utc,
                );
            }
            Ok(new_seq_no) => {
                self.deliver(msg, false);
                self.set_next_target(new_seq_no);
            }
        }
    }

    /// SequenceReset-Reset, whatever its MsgSeqNum (11a-11c).
    fn on_sequence_reset(
        &mut self,
        msg: &Message<'_>,
        seq: SeqNum,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        let new_seq_no = match msg.get_as::<SeqNum>(tag::NEW_SEQ_NO) {
            Ok(n) if n <= MAX_SEQ_NUM => n,
            other => {
                let reason = match other {
                    Err(FieldError::Missing(_)) => SessionRejectReason::RequiredTagMissing,
                    Err(FieldError::Invalid { .. }) => SessionRejectReason::IncorrectDataFormat,
                    Ok(_) => SessionRejectReason::ValueIsIncorrect,
                };
                self.send_reject(
                    &Rejected::of(msg, seq),
                    reason,
                    Some(tag::NEW_SEQ_NO),
                    None,
                    now,
                    utc,
                );
                return;
            }
        };
        self.deliver(msg, false);
        match new_seq_no.cmp(&self.next_target) {
            std::cmp::Ordering::Greater => self.set_next_target(new_seq_no),
            std::cmp::Ordering::Equal => {
                self.events.push_back(QueuedEvent::Warning(
                    SessionWarning::SequenceResetNoChange { new_seq_no },
                ));
            }
            std::cmp::Ordering::Less => {
                let text = format!(
                    "Value is incorrect (out of range) for this tag: NewSeqNo(36)={new_seq_no} is below the expected MsgSeqNum {}",
                    self.next_target
                );
                self.send_reject(
                    &Rejected::of(msg, seq),
                    SessionRejectReason::ValueIsIncorrect,
                    Some(tag::NEW_SEQ_NO),
                    Some(&text),
                    now,
                    utc,
                );
            }
        }
    }

    /// ResendRequest: answered at once whatever its MsgSeqNum (8, 20); one
    /// beyond a gap also starts our own ResendRequest.
    fn on_resend_request(
        &mut self,
        msg: &Message<'_>,
        seq: SeqNum,
        poss_dup: bool,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        if seq < self.next_target {
            if !poss_dup {
                self.seq_too_low(seq, now, utc);
            } else {
                self.check_orig_sending_time(msg, seq, now, utc);
            }
            return;
        }
        let range = msg
            .get_as::<SeqNum>(tag::BEGIN_SEQ_NO)
            .and_then(|b| msg.get_as::<SeqNum>(tag::END_SEQ_NO).map(|e| (b, e)));
        let (begin, end) = match range {
            Ok(range) => range,
            Err(e) => {
                let reason = match e {
                    FieldError::Missing(_) => SessionRejectReason::RequiredTagMissing,
                    FieldError::Invalid { .. } => SessionRejectReason::IncorrectDataFormat,
                };
                return self.reject_and_count(msg, seq, reason, Some(e.tag()), None, now, utc);
            }
        };
        self.deliver(msg, false);
        // Also while our Logout waits for its reply: the peer may need the
        // messages before it logs out.
        self.resend_range(begin, end, now, utc);
        if seq == self.next_target {
            self.set_next_target(seq + 1);
        } else {
            self.queue_out_of_order(seq, &[]);
            if let Some(progress) = &mut self.resend_requested {
                // Beyond a gap already asked for, it only widens the gap,
                // even with SendRedundantResendRequests: as in QuickFIX,
                // which never asks for a resend on a ResendRequest. Two
                // gapped sides would otherwise answer each other's
                // requests with requests, each drawing a full resend.
                progress.end_target = progress.end_target.max(seq - 1);
            } else {
                self.request_resend(seq, now, utc);
            }
        }
    }

    /// Logout: the reply to ours (13a) closes the link; an unsolicited one
    /// (13b) is answered, then the link is closed after LogoutTimeout
    /// unless the peer closes it first.
    fn on_logout(&mut self, msg: &Message<'_>, seq: SeqNum, now: Instant, utc: UtcTimestamp) {
        self.logout_received = true;
        self.deliver(msg, false);
        self.count_if_expected(seq);
        let peer_text = msg
            .get(tag::TEXT)
            .map(|t| String::from_utf8_lossy(t).into_owned());
        if self.state == SessionState::WaitForConfirmLogout {
            let ending = if self.logout_kind.is_some_and(LogoutKind::is_error) {
                Ending::Failed
            } else {
                Ending::LoggedOut
            };
            let text = peer_text.or_else(|| self.logout_text.take());
            self.events.push_back(QueuedEvent::LoggedOut(text));
            self.close_link(ending, now, utc);
        } else {
            self.send_logout(None, now, utc);
            self.events.push_back(QueuedEvent::LoggedOut(peer_text));
            self.end_connection(Ending::LoggedOut, now, utc);
            if self.link_up {
                self.timers.set(
                    Timer::Linger,
                    super::timers::deadline(now, self.config.logout_timeout),
                );
            }
        }
    }

    /// A Logon with ResetSeqNumFlag=Y while logged on: the reply to our
    /// reset, or the peer resetting (we answer with our own).
    fn on_reset_logon(&mut self, msg: &Message<'_>, seq: SeqNum, now: Instant, utc: UtcTimestamp) {
        self.deliver(msg, false);
        if self.reset_sent {
            self.reset_sent = false;
            self.clear_gap_state();
            self.set_next_target(seq + 1);
        } else {
            self.reset_store(utc);
            self.set_next_target(seq + 1);
            self.send_logon(true, seq + 1, now, utc);
            // Queued messages the reset numbered again go out now, as
            // after any Logon.
            self.after_logon_late_delivery(now, utc);
        }
    }

    /// The first message on a link: it must be a Logon (or, for an
    /// initiator, a Logout refusing ours).
    fn on_first_message(&mut self, msg: &Message<'_>, now: Instant, utc: UtcTimestamp) {
        let msg_type = msg.msg_type();
        if msg_type == msg_type::LOGON {
            return self.on_logon(msg, now, utc);
        }
        if msg_type == msg_type::LOGOUT && self.config.role == Role::Initiator {
            let text = msg
                .get(tag::TEXT)
                .map(|t| String::from_utf8_lossy(t).into_owned());
            self.deliver(msg, false);
            self.push_error(PeerError::LogonRefused {
                text: text.clone().unwrap_or_default(),
            });
            self.events.push_back(QueuedEvent::LoggedOut(text));
            return self.close_link(Ending::Failed, now, utc);
        }
        // 1B e, 2S: disconnect without sending anything.
        self.push_error(PeerError::FirstMessageNotLogon {
            msg_type: String::from_utf8_lossy(msg_type).into_owned(),
        });
        self.close_link(Ending::Failed, now, utc);
    }

    /// A Logon refused before the session exists (1B d, 1S d): Logout with
    /// the reason, then close.
    fn invalid_logon(&mut self, reason: String, now: Instant, utc: UtcTimestamp) {
        self.send_logout(Some(&reason), now, utc);
        self.push_error(PeerError::InvalidLogon { reason });
        self.close_link(Ending::Failed, now, utc);
    }

    /// The peer's Logon (acceptor) or Logon reply (initiator).
    ///
    /// The checks, in this order: identity (BeginString, CompIDs), session
    /// time, MsgSeqNum present, the message (dictionary, DefaultApplVerID),
    /// its fields (SendingTime, HeartBtInt, EncryptMethod,
    /// NextExpectedMsgSeqNum); then the reset it asks for or we decide, the
    /// MsgSeqNum too low, and the session is established.
    fn on_logon(&mut self, msg: &Message<'_>, now: Instant, utc: UtcTimestamp) {
        let acceptor = self.config.role == Role::Acceptor;
        // Identity: for an acceptor a mismatch is an unknown peer (1S c),
        // answered by closing without a word.
        if let Err(reason) = self.check_logon_identity(msg) {
            return self.refuse_identity(reason, now, utc);
        }
        if acceptor && self.outside_period(utc) {
            self.push_error(PeerError::OutsideSessionTime);
            return self.close_link(Ending::Failed, now, utc);
        }
        let seq = match msg.msg_seq_num() {
            Ok(seq) if (1..=MAX_SEQ_NUM).contains(&seq) => seq,
            _ => {
                return self.invalid_logon("MsgSeqNum(34) missing or invalid".to_string(), now, utc)
            }
        };
        if !self.check_logon_message(msg, seq, now, utc) {
            return;
        }
        let fields = match self.logon_fields(msg, utc) {
            Ok(fields) => fields,
            Err(reason) => return self.invalid_logon(reason, now, utc),
        };
        let reset = self.logon_reset(fields.reset_flag);
        let (seq, next_expected) = reset.numbers(seq, fields.next_expected);
        self.peer_sent_next_expected = next_expected.is_some();
        let accepted = if acceptor {
            self.answer_logon(fields.heart_bt_int, reset, seq, now, utc)
        } else {
            self.accept_logon_reply(fields.reset_flag, seq, now, utc)
        };
        if accepted {
            self.establish(msg, seq, next_expected, now, utc);
        }
    }

    /// The Logon's BeginString and (with CheckCompID) CompIDs against the
    /// session's; the reason of a mismatch.
    fn check_logon_identity(&self, msg: &Message<'_>) -> Result<(), String> {
        if msg.begin_string() != self.begin_string().as_bytes() {
            return Err(format!(
                "Incorrect BeginString: expected {}, received {}",
                self.begin_string(),
                String::from_utf8_lossy(msg.begin_string())
            ));
        }
        if self.config.check_comp_id {
            for (t, expected) in [
                (tag::SENDER_COMP_ID, &self.config.id.target_comp_id),
                (tag::TARGET_COMP_ID, &self.config.id.sender_comp_id),
            ] {
                if msg.get(t) != Some(expected.as_bytes()) {
                    return Err(format!(
                        "CompID problem: {}({t}) is {:?}, expected {expected:?}",
                        tag::name(t).unwrap_or("tag"),
                        String::from_utf8_lossy(msg.get(t).unwrap_or_default())
                    ));
                }
            }
        }
        Ok(())
    }

    /// The Logon is validated like any message, before it is acted on (as
    /// QuickFIX does); a FIXT.1.1 Logon must name the peer's application
    /// version even without a dictionary, which is kept for the
    /// application messages. A problem is answered with Reject, then
    /// Logout (1S d, 1B d); returns whether there was none.
    fn check_logon_message(
        &mut self,
        msg: &Message<'_>,
        seq: SeqNum,
        now: Instant,
        utc: UtcTimestamp,
    ) -> bool {
        let problem = self.logon_problem(msg);
        if self.config.version.is_fixt() {
            self.peer_appl_ver_id = msg
                .get(tag::DEFAULT_APPL_VER_ID)
                .and_then(fixrs_proto::FixVersion::from_appl_ver_id);
        }
        let Some((reason, ref_tag, text)) = problem else {
            return true;
        };
        self.send_reject(
            &Rejected::of(msg, seq),
            reason,
            ref_tag,
            Some(reason.description()),
            now,
            utc,
        );
        self.invalid_logon(format!("Invalid Logon: {text}"), now, utc);
        false
    }

    /// What is wrong with a Logon as a message, if anything: its
    /// validation, then (FIXT.1.1) DefaultApplVerID(1137).
    fn logon_problem(
        &mut self,
        msg: &Message<'_>,
    ) -> Option<(SessionRejectReason, Option<fixrs_proto::Tag>, String)> {
        match self.validate(msg) {
            Err(e) => Some((e.reason(), e.ref_tag_id(), e.to_string())),
            Ok(()) if self.config.version.is_fixt() => match msg.get(tag::DEFAULT_APPL_VER_ID) {
                None => Some((
                    SessionRejectReason::RequiredTagMissing,
                    Some(tag::DEFAULT_APPL_VER_ID),
                    "required tag 1137 (DefaultApplVerID) missing".to_string(),
                )),
                Some([]) => Some((
                    SessionRejectReason::TagSpecifiedWithoutValue,
                    Some(tag::DEFAULT_APPL_VER_ID),
                    "tag 1137 (DefaultApplVerID) specified without a value".to_string(),
                )),
                Some(_) => None,
            },
            Ok(()) => None,
        }
    }

    /// The Logon fields the session runs on, checked in this order:
    /// SendingTime (present, parsable, and with CheckLatency accurate),
    /// HeartBtInt, EncryptMethod (none), NextExpectedMsgSeqNum (when both
    /// the configuration and the version use it); the reason of the first
    /// problem.
    fn logon_fields(&self, msg: &Message<'_>, utc: UtcTimestamp) -> Result<LogonFields, String> {
        let sending_time_ok = match msg.get_as::<UtcTimestamp>(tag::SENDING_TIME) {
            Ok(t) => !self.config.check_latency || self.within_latency(t, utc),
            Err(_) => false,
        };
        if !sending_time_ok {
            return Err("SendingTime accuracy problem".to_string());
        }
        let heart_bt_int = match msg.get_as::<i64>(tag::HEART_BT_INT) {
            Ok(h) if (0..=i64::from(u32::MAX)).contains(&h) => h as u32,
            Ok(_) | Err(FieldError::Invalid { .. }) => {
                return Err("HeartBtInt(108) invalid".to_string())
            }
            Err(FieldError::Missing(_)) => return Err("HeartBtInt(108) missing".to_string()),
        };
        match msg.get(tag::ENCRYPT_METHOD) {
            None => return Err("EncryptMethod(98) missing".to_string()),
            Some(b"0") => {}
            Some(_) => return Err("Unsupported EncryptMethod(98)".to_string()),
        }
        let reset_flag = msg.get(tag::RESET_SEQ_NUM_FLAG) == Some(b"Y");
        let next_expected = if self.config.send_next_expected_msg_seq_num
            && supports_next_expected(self.config.version)
        {
            msg.get_opt::<SeqNum>(tag::NEXT_EXPECTED_MSG_SEQ_NUM)
                .map_err(|_| "NextExpectedMsgSeqNum(789) invalid".to_string())?
        } else {
            None
        };
        Ok(LogonFields {
            heart_bt_int,
            reset_flag,
            next_expected,
        })
    }

    /// Whether this Logon resets our sequence numbers (only an acceptor
    /// decides; an initiator follows the reply, see
    /// [`Session::accept_logon_reply`]).
    fn logon_reset(&self, reset_flag: bool) -> LogonReset {
        let acceptor = self.config.role == Role::Acceptor;
        // An acceptor asked to reset both sides (reset_seq_num_and_send_logon
        // while logged off) answers with ResetSeqNumFlag=Y although the
        // Logon did not ask for it, and the initiator then counts its Logon
        // as MsgSeqNum 1 (see `LogonReset::numbers`): so must the acceptor,
        // or the initiator's next messages look like a gap whose fill later
        // skips its real message of that number.
        let tell_peer = acceptor && !reset_flag && self.reset_on_next_logon;
        // ResetOnLogon (QuickFIX semantics) resets both local numbers on
        // every Logon of a new connection, without telling the peer: the
        // reply carries ResetSeqNumFlag=Y only if the Logon did, and the
        // Logon's MsgSeqNum is checked against the reset numbers like any
        // other (too high: ResendRequest after the reply).
        let reset = acceptor && (reset_flag || tell_peer || self.config.reset_on_logon);
        LogonReset {
            asked: reset_flag,
            tell_peer,
            reset,
        }
    }

    /// Acceptor: adopts the peer's HeartBtInt, resets if decided, logs out
    /// a Logon whose MsgSeqNum is too low, else answers with our Logon;
    /// returns whether the session goes on.
    fn answer_logon(
        &mut self,
        heart_bt_int: u32,
        reset: LogonReset,
        seq: SeqNum,
        now: Instant,
        utc: UtcTimestamp,
    ) -> bool {
        self.heart_bt_int = heart_bt_int;
        if reset.reset {
            self.reset_store(utc);
        }
        if !reset.asked && seq < self.next_target {
            self.logon_seq_too_low(seq, now, utc);
            return false;
        }
        let our_next_expected = if seq > self.next_target {
            self.next_target
        } else {
            seq + 1
        };
        self.send_logon(reset.asked || reset.tell_peer, our_next_expected, now, utc);
        self.reset_unconfirmed = reset.tell_peer;
        true
    }

    /// Initiator: follows a reset the acceptor made on this Logon, and
    /// logs out a reply whose MsgSeqNum is too low; returns whether the
    /// session goes on.
    fn accept_logon_reply(
        &mut self,
        reset_flag: bool,
        seq: SeqNum,
        now: Instant,
        utc: UtcTimestamp,
    ) -> bool {
        if reset_flag && !self.reset_sent {
            // The acceptor reset on this logon: our Logon counts as 1.
            self.reset_store(utc);
            self.next_sender = 2;
            if let Err(e) = self.store.set_next_sender_seq_num(2) {
                self.push_error(e);
            }
            self.logon_seq = 1;
        }
        if !reset_flag && seq < self.next_target {
            self.logon_seq_too_low(seq, now, utc);
            return false;
        }
        true
    }

    /// A Logon (or its reply) with MsgSeqNum below NextNumIn and no
    /// ResetSeqNumFlag (2c for a Logon): Logout with the standard text,
    /// then close without waiting.
    fn logon_seq_too_low(&mut self, seq: SeqNum, now: Instant, utc: UtcTimestamp) {
        let expected = self.next_target;
        let text = format!("MsgSeqNum too low, expecting {expected} but received {seq}");
        self.send_logout(Some(&text), now, utc);
        self.push_error(PeerError::MsgSeqNumTooLow {
            expected,
            received: seq,
        });
        self.close_link(Ending::Failed, now, utc);
    }

    /// The Logon accepted: the session is established, the Logon delivered
    /// and counted, the peer's NextExpectedMsgSeqNum acted on, and, if the
    /// session is still up, the application told and late messages sent.
    fn establish(
        &mut self,
        msg: &Message<'_>,
        seq: SeqNum,
        next_expected: Option<SeqNum>,
        now: Instant,
        utc: UtcTimestamp,
    ) {
        self.timers.stop(Timer::Logon);
        self.reset_sent = false;
        self.reset_on_next_logon = false;
        self.reconnect_attempts = 0;
        self.set_state(SessionState::Established);
        self.deliver(msg, false);
        self.start_heartbeats(now);
        self.count_logon(seq, now, utc);
        if let Some(next_expected) = next_expected {
            self.on_next_expected(next_expected, now, utc);
            if self.state != SessionState::Established {
                return;
            }
        }
        self.events.push_back(QueuedEvent::LoggedOn);
        self.after_logon_late_delivery(now, utc);
    }

    /// Counts the accepted Logon `seq`, or, beyond a gap (1S a, 1B c),
    /// keeps it to count once the gap is filled, and waits for the gap.
    fn count_logon(&mut self, seq: SeqNum, now: Instant, utc: UtcTimestamp) {
        if seq <= self.next_target {
            self.set_next_target(seq + 1);
            return;
        }
        self.queue_out_of_order(seq, &[]);
        if self.config.send_next_expected_msg_seq_num && self.peer_sent_next_expected {
            // Both sides use NextExpectedMsgSeqNum: the peer resends
            // what we told it we expect without being asked.
            self.resend_requested = Some(ResendProgress {
                end_target: seq - 1,
                chunk_end: 0,
                mark: self.next_target,
            });
            self.timers.set(
                Timer::Resend,
                super::timers::deadline(now, self.resend_timeout()),
            );
        } else {
            self.request_resend(seq, now, utc);
        }
    }

    /// A Logon from an identity that is not this session's: an acceptor
    /// closes without sending anything (1S c); an initiator logs out (1B d).
    fn refuse_identity(&mut self, reason: String, now: Instant, utc: UtcTimestamp) {
        if self.config.role == Role::Acceptor {
            self.push_error(PeerError::UnknownIdentity { reason });
            self.close_link(Ending::Failed, now, utc);
        } else {
            self.invalid_logon(reason, now, utc);
        }
    }

    /// Acts on the peer's NextExpectedMsgSeqNum(789): resend what it
    /// misses, or log out if it expects more than we ever sent.
    fn on_next_expected(&mut self, next_expected: SeqNum, now: Instant, utc: UtcTimestamp) {
        let logon_seq = self.logon_seq;
        // An acceptor's reply has MsgSeqNum logon_seq, which the initiator
        // had not seen; an initiator's Logon was processed by the acceptor.
        let highest_valid = match self.config.role {
            Role::Acceptor => logon_seq,
            Role::Initiator => logon_seq + 1,
        };
        if next_expected > highest_valid {
            let text = format!(
                "NextExpectedMsgSeqNum(789) {next_expected} too high, next MsgSeqNum is {}",
                self.next_sender
            );
            let error = PeerError::NextExpectedMsgSeqNumTooHigh {
                received: next_expected,
                next_sender: self.next_sender,
            };
            self.fatal_logout(text, error, now, utc);
        } else if next_expected < logon_seq {
            self.resend_range(next_expected, logon_seq - 1, now, utc);
        }
    }

    /// A framed message whose fields cannot be split (an SOH inside a
    /// value, a data field of the wrong length): rejected when its
    /// MsgSeqNum is the one expected (14k), otherwise dropped.
    fn on_unparseable(&mut self, frame: &[u8], error: ParseError, now: Instant, utc: UtcTimestamp) {
        let seq = raw_field(frame, tag::MSG_SEQ_NUM).and_then(parse_seq);
        match seq {
            Some(seq) if seq == self.next_target && self.state == SessionState::Established => {
                match ValidationError::from_parse_error(&error) {
                    Some(e) => {
                        let msg_type = raw_field(frame, tag::MSG_TYPE).unwrap_or_default();
                        let rejected =
                            Rejected::from_fields(frame, seq, msg_type, |t| raw_field(frame, t));
                        self.send_reject(
                            &rejected,
                            e.reason(),
                            e.ref_tag_id(),
                            Some(e.text()),
                            now,
                            utc,
                        );
                        self.set_next_target(seq + 1);
                    }
                    None => self.push_error(PeerError::Unparseable(error)),
                }
            }
            _ => self.push_error(PeerError::Unparseable(error)),
        }
    }
}

/// The value of the first `tag` field in a raw message, found by scanning
/// for `<SOH>tag=` (for messages that cannot be indexed).
fn raw_field(frame: &[u8], tag: fixrs_proto::Tag) -> Option<&[u8]> {
    let mut pattern = [0u8; 12];
    pattern[0] = SOH;
    let digits = tag.to_string();
    let n = digits.len();
    pattern[1..=n].copy_from_slice(digits.as_bytes());
    pattern[n + 1] = b'=';
    let pattern = &pattern[..n + 2];
    let at = frame.windows(pattern.len()).position(|w| w == pattern)? + pattern.len();
    let rest = &frame[at..];
    let end = rest.iter().position(|&b| b == SOH)?;
    Some(&rest[..end])
}

fn parse_seq(raw: &[u8]) -> Option<SeqNum> {
    use fixrs_proto::FromFixValue;
    SeqNum::from_fix_value(raw)
        .ok()
        .filter(|s| (1..=MAX_SEQ_NUM).contains(s))
}

/// The fields of a Logon the session runs on, once checked.
#[derive(Debug, Clone, Copy)]
struct LogonFields {
    /// HeartBtInt(108).
    heart_bt_int: u32,
    /// ResetSeqNumFlag(141)=Y.
    reset_flag: bool,
    /// NextExpectedMsgSeqNum(789), if used and present.
    next_expected: Option<SeqNum>,
}

/// What a received Logon does to the sequence numbers.
#[derive(Debug, Clone, Copy)]
struct LogonReset {
    /// The Logon carried ResetSeqNumFlag(141)=Y.
    asked: bool,
    /// An acceptor resets although the Logon did not ask, and says so with
    /// ResetSeqNumFlag=Y in its reply.
    tell_peer: bool,
    /// An acceptor resets its numbers on this Logon.
    reset: bool,
}

impl LogonReset {
    /// The Logon's MsgSeqNum and NextExpectedMsgSeqNum as they count after
    /// the reset: a peer told of a reset in our reply counts its Logon as
    /// 1, and after any reset the peer did not ask for, its
    /// NextExpectedMsgSeqNum refers to numbers that are gone.
    fn numbers(self, seq: SeqNum, next_expected: Option<SeqNum>) -> (SeqNum, Option<SeqNum>) {
        if self.tell_peer {
            (1, None)
        } else if self.reset && !self.asked {
            (seq, None)
        } else {
            (seq, next_expected)
        }
    }
}

/// The header fields every message in a session is checked for, each the
/// first field with its tag (as [`Message::get`] answers), found in one
/// pass over the fields rather than a search per tag: an absent tag (as
/// PossDupFlag(43) usually is) costs a search of the whole message.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct HeaderFields<'a> {
    /// MsgSeqNum(34).
    seq_num: Option<&'a [u8]>,
    /// PossDupFlag(43).
    poss_dup: Option<&'a [u8]>,
    /// SenderCompID(49).
    sender_comp_id: Option<&'a [u8]>,
    /// SendingTime(52).
    sending_time: Option<&'a [u8]>,
    /// TargetCompID(56).
    target_comp_id: Option<&'a [u8]>,
}

impl<'a> HeaderFields<'a> {
    /// The fields of `msg`.
    pub(super) fn of(msg: &Message<'a>) -> HeaderFields<'a> {
        const WANTED: u64 = 1 << tag::MSG_SEQ_NUM
            | 1 << tag::POSS_DUP_FLAG
            | 1 << tag::SENDER_COMP_ID
            | 1 << tag::SENDING_TIME
            | 1 << tag::TARGET_COMP_ID;
        let mut h = HeaderFields::default();
        for span in msg.spans() {
            // Most fields are none of these: one bit test skips them.
            if span.tag >= 64 || WANTED & (1 << span.tag) == 0 {
                continue;
            }
            let slot = match span.tag {
                tag::MSG_SEQ_NUM => &mut h.seq_num,
                tag::POSS_DUP_FLAG => &mut h.poss_dup,
                tag::SENDER_COMP_ID => &mut h.sender_comp_id,
                tag::SENDING_TIME => &mut h.sending_time,
                _ => &mut h.target_comp_id,
            };
            if slot.is_none() {
                *slot = Some(msg.value_of(span));
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::HeaderFields;
    use fixrs_proto::FieldIndex;

    fn soh(s: &str) -> Vec<u8> {
        s.replace('|', "\x01").into_bytes()
    }

    #[test]
    fn header_fields_are_the_first_of_each_tag_anywhere() {
        // PossDupFlag(43) after the body and a second SenderCompID: each is
        // what `Message::get` answers, the first field with the tag.
        let m =
            soh("8=FIX.4.4|9=1|35=D|49=A|56=B|34=7|52=20240101-00:00:00|11=X|49=Z|43=Y|10=000|");
        let mut index = FieldIndex::new();
        let msg = index.parse(&m).unwrap();
        let h = HeaderFields::of(&msg);
        for (value, tag) in [
            (h.seq_num, 34),
            (h.poss_dup, 43),
            (h.sender_comp_id, 49),
            (h.sending_time, 52),
            (h.target_comp_id, 56),
        ] {
            assert_eq!(value, msg.get(tag), "tag {tag}");
        }
        assert_eq!(h.sender_comp_id, Some(&b"A"[..]));
        assert_eq!(h.poss_dup, Some(&b"Y"[..]));
    }

    #[test]
    fn absent_header_fields_are_none() {
        let m = soh("8=FIX.4.4|9=1|35=0|56=|10=000|");
        let mut index = FieldIndex::new();
        let msg = index.parse(&m).unwrap();
        let h = HeaderFields::of(&msg);
        assert_eq!(h.seq_num, None);
        assert_eq!(h.poss_dup, None);
        assert_eq!(h.sender_comp_id, None);
        assert_eq!(h.sending_time, None);
        // Present and empty is not absent.
        assert_eq!(h.target_comp_id, Some(&b""[..]));
    }
}
