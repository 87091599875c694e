//! Writes the seed corpora of the fuzz targets into `fuzz/seeds/<target>/`
//! (or the directory given as the first argument):
//!
//! - `decoder`, `admin_views`, `validate`: valid messages of every
//!   session-level type in every FIX version, common application messages
//!   (NewOrderSingle, ExecutionReport, order cancel and replace, market
//!   data) with the fields their dictionary requires, and the messages of
//!   `fix-cli/tests/data`;
//! - `session_input`: scenarios (see `fix_fuzz::scenario`) that exchange
//!   orders, open and fill gaps, answer ResendRequests, reset sequence
//!   numbers, log out both ways, reject invalid messages and reconnect.
//!   Each is checked to decode back to itself and to run cleanly.
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example seeds
//! ```

use arbitrary::{Arbitrary, Unstructured};
use fix_fuzz::scenario::*;
use fixrs_proto::dictionary::Dictionary;
use fixrs_proto::{tag, Encoder, FieldWriter, FixVersion, UtcTimestamp};
use std::path::{Path, PathBuf};

fn main() {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds"));
    let messages = messages();
    let fix44: Vec<&(String, Vec<u8>)> = messages
        .iter()
        .filter(|(_, m)| m.starts_with(b"8=FIX.4.4\x01"))
        .collect();

    let dir = fresh(&root.join("admin_views"));
    for (name, m) in &messages {
        write(&dir, name, m);
    }

    let dir = fresh(&root.join("validate"));
    for (name, m) in &fix44 {
        write(&dir, name, m);
    }
    write(
        &dir,
        "fix44-stream",
        &fix44
            .iter()
            .flat_map(|(_, m)| m.clone())
            .collect::<Vec<u8>>(),
    );

    // decoder: a first byte with no cut points and CheckSum verified, then
    // the stream; one stream cut in three places.
    let dir = fresh(&root.join("decoder"));
    for (name, m) in &messages {
        let mut seed = vec![0u8];
        seed.extend_from_slice(m);
        write(&dir, name, &seed);
    }
    let stream: Vec<u8> = fix44.iter().flat_map(|(_, m)| m.clone()).collect();
    let mut seed = vec![3u8];
    for cut in [37u16, 300, 301] {
        seed.extend_from_slice(&cut.to_be_bytes());
    }
    seed.extend_from_slice(&stream);
    write(&dir, "fix44-stream-cut", &seed);

    let dir = fresh(&root.join("session_input"));
    for (name, scenario) in scenarios() {
        let bytes = scenario.to_bytes();
        let decoded =
            Scenario::arbitrary_take_rest(Unstructured::new(&bytes)).expect("a seed decodes");
        assert_eq!(decoded, scenario, "seed {name} does not decode to itself");
        run(&scenario);
        write(&dir, &name, &bytes);
    }
    println!("seeds written to {}", root.display());
}

/// The seed directory, emptied of generated seeds; inputs that once
/// failed (`regression-*`, committed by hand) stay.
fn fresh(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).expect("create the seed directory");
    for entry in std::fs::read_dir(dir)
        .expect("read the seed directory")
        .flatten()
    {
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with("regression-")
        {
            std::fs::remove_file(entry.path()).expect("remove an old seed");
        }
    }
    dir.to_path_buf()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).expect("write a seed");
}

/// A message's fields, in order.
type Fields = Vec<(u32, Vec<u8>)>;

/// A frame from fields (BodyLength and CheckSum computed).
fn frame(begin: &str, msg_type: &[u8], fields: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut e = Encoder::new();
    e.start(begin, msg_type);
    for (t, v) in fields {
        e.push(*t, v);
    }
    e.finish().to_vec()
}

/// Valid messages, named `<version>-<MsgType name>`.
fn messages() -> Vec<(String, Vec<u8>)> {
    let utc = UtcTimestamp::from_unix(1_705_312_800, 0);
    let mut out = Vec::new();
    for version in FixVersion::ALL {
        let dict = Dictionary::builtin(version);
        let begin = version.begin_string();
        let vname = format!("{version:?}").to_lowercase();
        let header = |seq: u64| -> Vec<(u32, Vec<u8>)> {
            let mut ts = Vec::new();
            utc.write(fixrs_proto::value::TimePrecision::Millis, &mut ts);
            vec![
                (tag::SENDER_COMP_ID, b"CLIENT".to_vec()),
                (tag::TARGET_COMP_ID, b"BROKER".to_vec()),
                (tag::MSG_SEQ_NUM, seq.to_string().into_bytes()),
                (tag::SENDING_TIME, ts),
            ]
        };
        let with = |seq: u64, body: &[(u32, &str)]| -> Vec<(u32, Vec<u8>)> {
            let mut f = header(seq);
            f.extend(body.iter().map(|(t, v)| (*t, v.as_bytes().to_vec())));
            f
        };
        let mut logon = vec![(tag::ENCRYPT_METHOD, "0"), (tag::HEART_BT_INT, "30")];
        if version.is_fixt() {
            logon.push((tag::DEFAULT_APPL_VER_ID, version.appl_ver_id()));
        }
        let mut reset_logon = logon.clone();
        reset_logon.push((tag::RESET_SEQ_NUM_FLAG, "Y"));
        reset_logon.push((tag::NEXT_EXPECTED_MSG_SEQ_NUM, "1"));
        let session: Vec<(&str, &[u8], Fields)> = vec![
            ("logon", b"A", with(1, &logon)),
            ("logon-reset", b"A", with(1, &reset_logon)),
            ("heartbeat", b"0", with(2, &[(tag::TEST_REQ_ID, "T-1")])),
            ("test-request", b"1", with(3, &[(tag::TEST_REQ_ID, "T-1")])),
            (
                "resend-request",
                b"2",
                with(4, &[(tag::BEGIN_SEQ_NO, "2"), (tag::END_SEQ_NO, "0")]),
            ),
            (
                "reject",
                b"3",
                with(5, &[(tag::REF_SEQ_NUM, "3"), (tag::TEXT, "bad")]),
            ),
            (
                "gap-fill",
                b"4",
                with(6, &[(tag::GAP_FILL_FLAG, "Y"), (tag::NEW_SEQ_NO, "9")]),
            ),
            ("sequence-reset", b"4", with(9, &[(tag::NEW_SEQ_NO, "20")])),
            ("logout", b"5", with(20, &[(tag::TEXT, "end of day")])),
        ];
        for (name, msg_type, fields) in session {
            out.push((format!("{vname}-{name}"), frame(begin, msg_type, &fields)));
        }
        for (name, msg_type) in [
            ("business-reject", &b"j"[..]),
            ("new-order-single", b"D"),
            ("execution-report", b"8"),
            ("order-cancel-request", b"F"),
            ("order-cancel-replace", b"G"),
            ("market-data-request", b"V"),
            ("market-data-snapshot", b"W"),
        ] {
            let Some(def) = dict.message(msg_type) else {
                continue;
            };
            let mut fields = header(10);
            required_fields(dict, def.layout(), utc, &mut fields);
            out.push((format!("{vname}-{name}"), frame(begin, msg_type, &fields)));
        }
    }
    // The messages of the command-line tool's test data.
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fix-cli/tests/data");
    for file in ["er.log", "fixt.log", "data.log", "md.txt", "nos.txt"] {
        let text = std::fs::read(data.join(file)).expect("test data");
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            let Some(start) = line.windows(5).position(|w| w == b"8=FIX") else {
                continue;
            };
            let line = &line[start..];
            let msg = if line.contains(&1) {
                line.to_vec()
            } else {
                // `|` between fields: framed again with SOH.
                let fields: Vec<(u32, Vec<u8>)> = line
                    .split(|&b| b == b'|')
                    .filter_map(|f| {
                        let eq = f.iter().position(|&b| b == b'=')?;
                        let t: u32 = std::str::from_utf8(&f[..eq]).ok()?.parse().ok()?;
                        Some((t, f[eq + 1..].to_vec()))
                    })
                    .collect();
                let get = |t: u32| fields.iter().find(|f| f.0 == t).map(|f| f.1.clone());
                let (Some(begin), Some(msg_type)) = (get(8), get(35)) else {
                    continue;
                };
                let body: Vec<(u32, Vec<u8>)> = fields
                    .into_iter()
                    .filter(|f| ![8, 9, 35, 10].contains(&f.0))
                    .collect();
                frame(
                    std::str::from_utf8(&begin).unwrap_or("FIX.4.4"),
                    &msg_type,
                    &body,
                )
            };
            out.push((format!("data-{}-{i}", file.replace('.', "-")), msg));
        }
    }
    out
}

fn peer(msg_type: &[u8]) -> PeerMsg {
    PeerMsg::new(msg_type)
}

fn options(version: FixVersion, acceptor: bool, flags: u16) -> Options {
    let v = FixVersion::ALL.iter().position(|x| *x == version).unwrap() as u8;
    Options {
        acceptor,
        version: v,
        heart_bt_int: 0,
        flags,
        more: 0,
    }
}

fn send(n: u8) -> Step {
    Step::Send(AppSend {
        kind: n,
        id: Text::new(&format!("ORD-{n}")),
    })
}

/// Scenarios reaching the session's main paths, by name.
fn scenarios() -> Vec<(String, Scenario)> {
    let mut out = Vec::new();
    let mut add = |name: &str, options: Options, steps: Vec<Step>| {
        out.push((name.to_string(), Scenario { options, steps }));
    };
    let orders = |n: u8| -> Vec<Step> {
        (0..n)
            .flat_map(|i| [Step::Peer(peer(b"D")), send(i), Step::Advance(10)])
            .collect()
    };

    let mut steps = orders(3);
    steps.push(Step::Advance(4000));
    steps.push(Step::Peer(peer(b"1")));
    steps.push(Step::Logout(Some(Text::new("end-of-day"))));
    steps.push(Step::Peer(peer(b"5")));
    add(
        "orders-then-logout",
        options(FixVersion::Fix44, false, 0),
        steps,
    );

    // A gap, the ResendRequest it causes, the resends and a gap fill.
    let mut ahead = peer(b"D");
    ahead.seq = SeqChoice::Ahead(2);
    let resend = |seq: u16, msg_type: &[u8]| {
        let mut m = peer(msg_type);
        m.seq = SeqChoice::Absolute(seq);
        m.poss_dup = 1;
        Step::Peer(m)
    };
    let mut fill = peer(b"4");
    fill.seq = SeqChoice::Absolute(4);
    fill.poss_dup = 1;
    fill.params = Params {
        flag: true,
        ..Params::default()
    };
    add(
        "gap-resend-and-gap-fill",
        options(FixVersion::Fix44, true, flag::CHUNKS),
        vec![
            Step::Peer(ahead),
            resend(2, b"8"),
            resend(3, b"D"),
            Step::Peer(fill),
            Step::Advance(100),
        ],
    );

    // Our messages asked for again: resent, or gap-filled without a store.
    for (name, flags) in [
        ("resend-our-messages", 0),
        ("gap-fill-our-messages", flag::NO_PERSIST),
    ] {
        let mut steps: Vec<Step> = (0..5).map(send).collect();
        let mut rr = peer(b"2");
        rr.params.a = 6;
        steps.push(Step::Peer(rr));
        let mut rr = peer(b"2");
        rr.params = Params {
            a: 3,
            b: 2,
            ..Params::default()
        };
        steps.push(Step::Peer(rr));
        add(name, options(FixVersion::Fix42, false, flags), steps);
    }

    // SequenceReset-Reset forward, and one trying to go back.
    let mut reset = peer(b"4");
    reset.params.a = 10;
    let mut back = peer(b"4");
    back.params.a = (-3i8) as u8;
    add(
        "sequence-reset",
        options(FixVersion::Fix44, true, 0),
        vec![Step::Peer(reset), Step::Peer(peer(b"0")), Step::Peer(back)],
    );

    // Sequence numbers reset by a Logon(141=Y), ours then theirs.
    let mut reset_logon = peer(b"A");
    reset_logon.params = Params {
        a: 30,
        flag: true,
        ..Params::default()
    };
    add(
        "reset-logon",
        options(FixVersion::Fix44, false, flag::NEXT_EXPECTED),
        vec![
            send(1),
            Step::Reset { logon: true },
            Step::Peer(reset_logon.clone()),
            send(2),
            Step::Peer(reset_logon),
            Step::Peer(peer(b"D")),
        ],
    );

    // The counterparty logs out; a Logout of ours that is never answered.
    add(
        "peer-logout",
        options(FixVersion::Fix43, true, flag::RESET_ON_LOGOUT),
        vec![
            Step::Peer(peer(b"D")),
            Step::Peer(peer(b"5")),
            Step::Advance(500),
        ],
    );
    add(
        "logout-timeout",
        options(FixVersion::Fix40, false, 0),
        vec![Step::Logout(None), Step::Advance(2000), Step::Stall(10)],
    );

    // Validation against the dictionary: a required field missing, a bad
    // value, an undefined tag, a repeated field, a PossDup without
    // OrigSendingTime.
    let invalid = |edit: Edit| {
        let mut m = peer(b"D");
        m.edits = vec![edit];
        Step::Peer(m)
    };
    let mut no_orig = peer(b"8");
    no_orig.poss_dup = 3;
    add(
        "validation-rejects",
        options(FixVersion::Fix44, true, flag::DICTIONARY),
        vec![
            Step::Peer(peer(b"D")),
            invalid(Edit::Remove { pick: 5 }),
            invalid(Edit::Set {
                pick: 6,
                value: Value::Text(Text::new("x")),
            }),
            invalid(Edit::Add {
                tag: 4999,
                value: Value::Number(7),
            }),
            invalid(Edit::Repeat { pick: 5 }),
            Step::Peer(no_orig),
            Step::Peer(peer(b"ZZ")),
            Step::Peer(peer(b"j")),
            // Last: a wrong CompID ends the session.
            invalid(Edit::Set {
                pick: 0,
                value: Value::Text(Text::new("OTHER")),
            }),
        ],
    );

    // MsgSeqNum too low without PossDupFlag: the session logs out.
    let mut low = peer(b"D");
    low.seq = SeqChoice::Behind(0);
    add(
        "sequence-too-low",
        options(FixVersion::Fix41, true, 0),
        vec![Step::Peer(peer(b"D")), Step::Peer(low), Step::Advance(300)],
    );

    // Silence: heartbeats, a TestRequest, the link declared lost.
    add(
        "silent-counterparty",
        Options {
            heart_bt_int: 1,
            ..options(FixVersion::Fix44, false, 0)
        },
        vec![Step::Advance(200), Step::Advance(500), Step::Advance(2000)],
    );

    // The link drops with orders put meanwhile, then logs on again.
    let mut relogon = peer(b"A");
    relogon.params.a = 30;
    add(
        "reconnect-with-late-delivery",
        options(FixVersion::Fix44, false, 0),
        vec![
            send(1),
            Step::LinkDown { link_up: true },
            send(2),
            send(3),
            Step::Peer(relogon),
            Step::Peer(peer(b"D")),
        ],
    );

    // FIXT.1.1 with market data, garbage and damaged frames.
    let mut split = peer(b"W");
    split.delivery = Delivery::Split(40);
    let mut corrupt = peer(b"8");
    corrupt.delivery = Delivery::Corrupt { at: 30, xor: 4 };
    let mut twice = peer(b"D");
    twice.delivery = Delivery::Twice;
    let mut cut = peer(b"0");
    cut.delivery = Delivery::Truncated(20);
    add(
        "fixt-market-data-and-damage",
        options(FixVersion::Fix50Sp2, true, flag::DICTIONARY),
        vec![
            Step::Peer(split),
            Step::Raw(b"garbage\x018=FIXT.1.1\x019=5\x01".to_vec()),
            Step::Peer(corrupt),
            Step::Peer(twice),
            Step::Peer(cut),
            Step::Peer(peer(b"1")),
        ],
    );

    // SendingTime out of bounds and wrong CompIDs.
    let mut late = peer(b"0");
    late.time = TimeChoice::Behind(200);
    let mut wrong = peer(b"0");
    wrong.edits = vec![Edit::Set {
        pick: 0,
        value: Value::Text(Text::new("SOMEONE")),
    }];
    add(
        "sending-time-and-comp-ids",
        options(FixVersion::Fix42, true, 0),
        vec![Step::Peer(late), Step::Peer(wrong), Step::Advance(200)],
    );
    // Options of `more`: unsupported MsgTypes, a session period that
    // ends, late delivery that expires, sub and location IDs.
    let with_more = |version, acceptor, flags, more| Options {
        more,
        ..options(version, acceptor, flags)
    };
    add(
        "unsupported-msg-type",
        with_more(FixVersion::Fix44, true, 0, more::SUPPORTED_TYPES),
        vec![
            Step::Peer(peer(b"V")),
            Step::Peer(peer(b"D")),
            Step::Peer(peer(b"F")),
        ],
    );
    add(
        "schedule-period-ends",
        with_more(FixVersion::Fix44, false, 0, more::SCHEDULE | more::MICROS),
        vec![
            send(1),
            Step::Advance(20_000),
            Step::Advance(20_000),
            Step::Stall(250),
        ],
    );
    let mut relogon = peer(b"A");
    relogon.params.a = 30;
    add(
        "late-delivery-expires",
        with_more(
            FixVersion::Fix42,
            false,
            0,
            more::LATE_TTL | more::SMALL_LATE_QUEUE,
        ),
        vec![
            Step::LinkDown { link_up: true },
            send(1),
            send(2),
            send(3),
            Step::Advance(1_000),
            Step::Peer(relogon),
        ],
    );
    add(
        "sub-ids-and-credentials",
        with_more(
            FixVersion::Fix44,
            false,
            flag::DICTIONARY,
            more::SUB_IDS | more::CREDENTIALS | more::TIGHT_LATENCY | more::EARLY_TEST_REQUEST,
        ),
        vec![
            send(1),
            Step::Peer(peer(b"D")),
            Step::Advance(2_000),
            Step::Peer(peer(b"0")),
        ],
    );

    // A long session: every scenario's steps one after the other (the
    // fuzzer's length limit starts at the longest seed, so longer
    // sequences are in reach from the start).
    let mut steps: Vec<Step> = out.iter().flat_map(|(_, s)| s.steps.clone()).collect();
    steps.truncate(MAX_STEPS - 1);
    out.push((
        "long-session".to_string(),
        Scenario {
            options: options(
                FixVersion::Fix44,
                true,
                flag::DICTIONARY | flag::NEXT_EXPECTED,
            ),
            steps,
        },
    ));
    out
}
