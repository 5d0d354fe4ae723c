//! The archive manifest: parsed as the pages parse it (`Manifest::parse`,
//! from any bytes), then validated against the real archive's files, as
//! `tools/archive` and the native tests do (paths must stay inside it).
#![no_main]
use std::path::Path;

use hypothetical::archive::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else { return };
    if let Ok(manifest) = Manifest::parse(json) {
        let _ = manifest.validate(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../www/archive")));
        for item in &manifest.items {
            let _ = manifest.tagged(item.tags.first().map_or("", String::as_str)).count();
        }
    }
});
