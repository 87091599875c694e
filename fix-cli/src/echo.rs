//! `fixctl acceptor --echo`: answer each NewOrderSingle(D) with an
//! ExecutionReport(8) acknowledging it (ExecType and OrdStatus New), so
//! that a counterparty that sends orders can be tried without writing a
//! program.
//!
//! The report carries the fields the session's dictionary requires of an
//! ExecutionReport in its FIX version (ExecTransType up to FIX 4.2,
//! LastShares and LastPx in FIX 4.0 and 4.1, ExecType from FIX 4.1 on),
//! with the order's ClOrdID, Symbol, Side and OrderQty copied.

use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::tag;
use fixrs_proto::{FieldWriter, Message, MessageBuilder, Tag};

/// MsgType of NewOrderSingle.
pub const NEW_ORDER_SINGLE: &[u8] = b"D";

/// Fills `report` with the ExecutionReport acknowledging `order`, the
/// `n`th of the session (OrderID `ECHO-n`, ExecID `n`).
pub fn execution_report(
    order: &Message<'_>,
    dict: &Dictionary,
    n: u64,
    report: &mut MessageBuilder,
) {
    report.reset(b"8");
    let layout = dict.message(b"8").map(|m| m.layout());
    // Fields the version does not define for ExecutionReport are left out,
    // so that the report validates at the counterparty.
    let defined = |tag: Tag| layout.is_none_or(|l| l.contains(tag));
    let required = |tag: Tag| layout.is_some_and(|l| l.required_tags().any(|t| t == tag));
    let qty = order.get(tag::ORDER_QTY).unwrap_or(b"0");
    report
        .push_str(tag::ORDER_ID, &format!("ECHO-{n}"))
        // A number: FIX 4.0 defines ExecID as an integer.
        .push_uint(tag::EXEC_ID, n);
    if defined(tag::EXEC_TRANS_TYPE) {
        report.push_char(tag::EXEC_TRANS_TYPE, b'0');
    }
    if defined(tag::EXEC_TYPE) {
        report.push_char(tag::EXEC_TYPE, b'0');
    }
    report.push_char(tag::ORD_STATUS, b'0');
    if let Some(id) = order.get(tag::CL_ORD_ID) {
        report.push(tag::CL_ORD_ID, id);
    }
    if let Some(symbol) = order.get(tag::SYMBOL) {
        report.push(tag::SYMBOL, symbol);
    } else if required(tag::SYMBOL) {
        report.push_str(tag::SYMBOL, "N/A");
    }
    report.push(tag::SIDE, order.get(tag::SIDE).unwrap_or(b"1"));
    if order.get(tag::ORDER_QTY).is_some() && defined(tag::ORDER_QTY) || required(tag::ORDER_QTY) {
        report.push(tag::ORDER_QTY, qty);
    }
    for tag in [tag::LAST_QTY, tag::LAST_PX] {
        if required(tag) {
            report.push_str(tag, "0");
        }
    }
    if defined(tag::LEAVES_QTY) {
        report.push(tag::LEAVES_QTY, qty);
    }
    report
        .push_str(tag::CUM_QTY, "0")
        .push_str(tag::AVG_PX, "0");
}

#[cfg(test)]
mod tests {
    use super::*;
    use fixrs_proto::validate::{ValidationOptions, Validator};
    use fixrs_proto::{Encoder, FieldIndex, FixVersion};

    fn encode(version: FixVersion, msg: &MessageBuilder) -> Vec<u8> {
        let mut enc = Encoder::new();
        enc.start(version.begin_string(), msg.msg_type());
        enc.push_str(fixrs_proto::tag::SENDER_COMP_ID, "BROKER")
            .push_str(fixrs_proto::tag::TARGET_COMP_ID, "CLIENT")
            .push_uint(fixrs_proto::tag::MSG_SEQ_NUM, 2)
            .push_str(fixrs_proto::tag::SENDING_TIME, "20240115-10:30:00.123");
        enc.push_raw(msg.header()).push_raw(msg.body());
        enc.finish().to_vec()
    }

    #[test]
    fn the_report_validates_in_every_version() {
        for version in FixVersion::ALL {
            let dict = Dictionary::builtin(version);
            let mut order = MessageBuilder::new(b"D");
            order
                .push_str(tag::CL_ORD_ID, "ORD-1")
                .push_str(tag::SYMBOL, "EUR/USD")
                .push_char(tag::SIDE, b'2')
                .push_str(tag::ORDER_QTY, "100")
                .push_char(tag::ORD_TYPE, b'1');
            let order_bytes = encode(version, &order);
            let mut index = FieldIndex::new();
            let order = index.parse(&order_bytes).unwrap();
            let mut report = MessageBuilder::default();
            execution_report(&order, dict, 7, &mut report);
            let bytes = encode(version, &report);
            let mut index = FieldIndex::new();
            let msg = index.parse(&bytes).unwrap();
            Validator::new(ValidationOptions::default())
                .validate(dict, &msg)
                .unwrap_or_else(|e| {
                    panic!("{version:?}: {e}: {}", String::from_utf8_lossy(&bytes))
                });
            assert_eq!(msg.get(tag::CL_ORD_ID), Some(&b"ORD-1"[..]));
            assert_eq!(msg.get(tag::SIDE), Some(&b"2"[..]));
            assert_eq!(msg.get(tag::ORDER_ID), Some(&b"ECHO-7"[..]));
            assert_eq!(msg.get(tag::ORD_STATUS), Some(&b"0"[..]));
        }
    }
}
