//! The `evreg` binary: parses arguments and hands them to the library; exit codes 0 ok, 1 problem found, 2 error, 3 unknown.

fn main() {
    // Not locked for the whole run: `serve` logs from worker threads while the main thread waits.
    let code = evreg::run(
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    std::process::exit(code);
}
