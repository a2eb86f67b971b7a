//! The `evreg` binary: parses arguments and hands them to the library; exit codes 0 ok, 1 problem found, 2 error, 3 unknown.

fn main() {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = evreg::run(std::env::args_os(), &mut stdout.lock(), &mut stderr.lock());
    std::process::exit(code);
}
