//! Generates fixrs-proto's built-in dictionaries.
//!
//! ```text
//! cargo run -p dictgen -- <spec dir> <out dir>
//! cargo run -p dictgen -- spec fix-proto/src/dictionary/builtin
//! ```
//!
//! Reads FIX40.xml ... FIX50SP2.xml and FIXT11.xml (QuickFIX format) from
//! the spec directory and writes their compact form (`*.fixdict`) and
//! `fields.rs` (a constant per field tag) to the output directory. The
//! conversion itself lives in `fixrs_proto::dictionary::compact`, so that a
//! fixrs-proto test can check the committed files are up to date.

use std::path::PathBuf;
use std::process::ExitCode;

use fixrs_proto::dictionary::compact;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [spec, out] = args.as_slice() else {
        eprintln!("usage: dictgen <spec dir> <out dir>");
        return ExitCode::from(2);
    };
    let out = PathBuf::from(out);
    let files = match compact::generate_all(&PathBuf::from(spec)) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("dictgen: {e}");
            return ExitCode::FAILURE;
        }
    };
    for (name, content) in files {
        let path = out.join(&name);
        if let Err(e) = std::fs::write(&path, content) {
            eprintln!("dictgen: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
