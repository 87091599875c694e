//! `fixctl demo` runs to the end on its own, recovers what the link cut
//! lost, and says so.

mod common;

use std::time::Duration;

#[test]
fn the_demo_loses_nothing_and_shows_the_recovery() {
    let run = common::run(
        &["demo", "--latency-samples", "200"],
        "",
        Duration::from_secs(120),
    );
    assert!(
        run.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    let out = &run.stdout;
    // 5 one at a time + 200 latency round trips + a burst of 8 + 4 queued.
    assert!(
        out.contains("  orders sent:             217 (ClOrdID ORD-1 to ORD-217)\n"),
        "{out}"
    );
    assert!(
        out.contains("  execution reports:       217 ClOrdIDs answered exactly once\n"),
        "{out}"
    );
    assert!(out.contains("  lost messages:           0\n"), "{out}");
    assert!(out.contains(", 2 connections in all"), "{out}");
    // The timeline shows messages lost in the cut, the reconnect and the
    // recovery.
    assert!(out.contains("  I  -X A  NewOrderSingle"), "{out}");
    assert!(out.contains("link cut by the demo"), "{out}");
    assert!(out.contains("initiator: Established -> Reconnect"), "{out}");
    assert!(out.contains("ResendRequest"), "{out}");
    assert!(
        out.contains("NewOrderSingle #") && out.contains(" PossDup ClOrdID=ORD-"),
        "{out}"
    );
    assert!(
        out.contains("SequenceReset #") && out.contains(" GapFill NewSeqNo="),
        "{out}"
    );
    assert!(out.contains("  I  -> A  Logout"), "{out}");
    // Progress went to standard error, step by step.
    for step in 1..=6 {
        assert!(
            run.stderr.contains(&format!("[{step}/6] ")),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn the_summary_alone_with_no_timeline() {
    let run = common::run(
        &[
            "demo",
            "--no-timeline",
            "--latency-samples",
            "0",
            "--orders",
            "1",
        ],
        "",
        Duration::from_secs(120),
    );
    assert!(run.status.success(), "{}", run.stderr);
    assert!(run.stdout.starts_with("Summary\n"), "{}", run.stdout);
    assert!(run.stdout.contains("  lost messages:           0\n"));
}
