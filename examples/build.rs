//! Generates the seed's typed events with the bus opted in, as a service's build script would.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(e) = evreg_codegen::Config::new()
        .schemas_dir("../schemas")
        .bus(true)
        .compile()
    {
        eprintln!("evreg-codegen: {e}");
        std::process::exit(1);
    }
}
