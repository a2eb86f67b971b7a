//! Runs evreg-codegen on the seed's schemas and on the code-generation corpus, exactly as a user's build script would.

use evreg_codegen::{Config, DateTimeCrate};

fn main() {
    for (dir, file) in [
        ("../schemas", "seed_events.rs"),
        ("corpus", "corpus_events.rs"),
    ] {
        let result = Config::new()
            .schemas_dir(dir)
            .datetime(DateTimeCrate::Chrono)
            .uuid(true)
            .file_name(file)
            .compile();
        if let Err(e) = result {
            eprintln!("evreg-codegen failed on {dir}: {e}");
            std::process::exit(1);
        }
    }
}
