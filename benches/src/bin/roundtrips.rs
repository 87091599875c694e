//! `roundtrips KIND N`: makes N round trips of KIND (`raw`, `mio` or
//! `engine`) with both ends in this process, and nothing else. Run under
//! callgrind or strace by `benches/callgrind.py`, which counts
//! instructions and system calls per round trip from two runs.

use fixrs_benches::pingpong::{self, Kind};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match &args[..] {
        [kind, n] => kind
            .parse::<Kind>()
            .and_then(|k| n.parse::<u64>().map(|n| (k, n)).map_err(|e| e.to_string())),
        _ => Err("usage: roundtrips raw|mio|engine N".to_string()),
    };
    let (kind, n) = match parsed {
        Ok(p) => p,
        Err(e) => {
            eprintln!("roundtrips: {e}");
            return ExitCode::FAILURE;
        }
    };
    match pingpong::run(kind, n) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("roundtrips: {e}");
            ExitCode::FAILURE
        }
    }
}
