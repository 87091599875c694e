//! The QuickFIX peer against itself: a QuickFIX initiator and a QuickFIX
//! acceptor, both driven through `fix_tests::quickfix`, exchange orders,
//! lose their link and recover. This checks the harness the engine's
//! interop tests stand on, apart from the engine.

use fix_tests::quickfix::{PeerConfig, PeerError, QuickFixPeer};
use fixrs_proto::FixVersion;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);
const TAG_CL_ORD_ID: u32 = 11;
const TAG_TEXT: u32 = 58;

#[test]
fn quickfix_peers_exchange_orders_and_recover_a_lost_link() -> Result<(), PeerError> {
    let mut acceptor =
        QuickFixPeer::start(PeerConfig::acceptor(FixVersion::Fix44, "QFA", "QFI").heart_bt_int(1))?;
    let mut initiator = QuickFixPeer::start(
        PeerConfig::initiator(FixVersion::Fix44, "QFI", "QFA", acceptor.port()).heart_bt_int(1),
    )?;
    acceptor.wait_for_event("logon", WAIT)?;
    initiator.wait_for_event("logon", WAIT)?;

    initiator.command("orders 2 A")?;
    for id in ["A-1", "A-2"] {
        let report = initiator.wait_for(&format!("ExecutionReport {id}"), WAIT, |e| {
            e.is_message("app_in", "8") && e.field(TAG_CL_ORD_ID) == Some(id)
        })?;
        assert!(!report.poss_dup());
    }

    // Orders the acceptor sends while the link is down reach the initiator
    // as PossDup resends after it reconnects.
    acceptor.command("disconnect")?;
    initiator.wait_for_event("logout", WAIT)?;
    acceptor.command("orders 2 GAP")?;
    for id in ["GAP-1", "GAP-2"] {
        let order = initiator.wait_for(&format!("resent order {id}"), WAIT, |e| {
            e.is_message("app_in", "D") && e.field(TAG_CL_ORD_ID) == Some(id)
        })?;
        assert!(order.poss_dup(), "{order}");
    }

    initiator.command("logout done")?;
    let logout = acceptor.wait_for_message("admin_in", "5", WAIT)?;
    assert_eq!(logout.field(TAG_TEXT), Some("done"));
    acceptor.wait_for_event("logout", WAIT)?;
    // QuickFIX reports the logout before it clears its logged-on flag.
    let deadline = Instant::now() + WAIT;
    while acceptor.status()?.0 {
        assert!(Instant::now() < deadline, "the acceptor stays logged on");
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
