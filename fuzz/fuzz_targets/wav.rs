//! The WAV reader (`audio::wav::read_wav`): any bytes, as a visitor's file.
#![no_main]
use hypothetical::audio::wav::read_wav;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(audio) = read_wav(data) {
        assert!(audio.samples.iter().all(|v| v.is_finite()));
    }
});
