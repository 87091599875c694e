//! `fixctl`: run, decode, demo and benchmark FIX sessions from the command
//! line.

fn main() {
    eprintln!("fixctl: no command yet");
    std::process::exit(2);
}
