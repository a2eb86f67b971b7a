//! Runs evreg-codegen on the seed's schemas and on the code-generation corpus, exactly as a user's build script would.

use evreg_codegen::{Config, DateTimeCrate};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // (schema directory, output, derive schemars, implement evreg_bus::Event)
    let runs = [
        ("../schemas", "seed_events.rs", false, false),
        ("corpus", "corpus_events.rs", false, false),
        ("../schemas", "seed_schemars.rs", true, false),
        ("corpus", "corpus_schemars.rs", true, false),
        ("../schemas", "seed_bus.rs", false, true),
    ];
    for (dir, file, schemars, bus) in runs {
        let result = Config::new()
            .schemas_dir(dir)
            .datetime(DateTimeCrate::Chrono)
            .uuid(true)
            .schemars(schemars)
            .bus(bus)
            .file_name(file)
            .compile();
        if let Err(e) = result {
            eprintln!("evreg-codegen failed on {dir}: {e}");
            std::process::exit(1);
        }
    }
}
