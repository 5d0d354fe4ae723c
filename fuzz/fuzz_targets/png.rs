//! The PNG reader (`archive::dataset::decode_png`): any bytes, as an archive
//! picture handed to the generator.
#![no_main]
use hypothetical::archive::dataset::decode_png;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rgba) = decode_png(data) {
        assert_eq!(rgba.bytes.len(), 4 * rgba.width as usize * rgba.height as usize);
    }
});
