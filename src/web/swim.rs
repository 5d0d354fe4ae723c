//! Swim's bindings: the frames (`forward::swim`) and the slowed sound
//! (`audio::stretch`), streamed block by block for the page's player.

use js_sys::{Float32Array, Uint8ClampedArray};
use wasm_bindgen::prelude::*;

use crate::audio::stretch::{PaulStretch, SampleStream, Tape};
use crate::forward::schedule::{Schedule, ScheduleKind};
use crate::forward::swim::Swim;
use crate::image::ImageField;

/// The picture and its background; the piece is made when the first frame is asked for.
#[wasm_bindgen]
#[derive(Default)]
pub struct SwimPictures {
    picture: Option<ImageField>,
    backgrounds: Vec<ImageField>,
    /// How many backgrounds the whole piece has (0: those given).
    expected: usize,
    swim: Option<Swim>,
}

fn field(rgba: &[u8], width: u32, height: u32) -> Result<ImageField, JsError> {
    ImageField::from_rgba8(rgba, width, height).map_err(|e| JsError::new(&e.to_string()))
}

#[wasm_bindgen]
impl SwimPictures {
    #[wasm_bindgen(constructor)]
    pub fn new() -> SwimPictures {
        SwimPictures::default()
    }

    /// The picture that dissolves (square: the page crops a visitor's picture).
    #[wasm_bindgen(js_name = setPicture)]
    pub fn set_picture(&mut self, rgba: &[u8], width: u32, height: u32) -> Result<(), JsError> {
        self.picture = Some(field(rgba, width, height)?);
        self.swim = None;
        Ok(())
    }

    /// One more picture of the background's static, blended after the others.
    #[wasm_bindgen(js_name = addBackground)]
    pub fn add_background(&mut self, rgba: &[u8], width: u32, height: u32) -> Result<(), JsError> {
        self.backgrounds.push(field(rgba, width, height)?);
        self.swim = None;
        Ok(())
    }

    /// The whole piece will have `count` backgrounds: until they are all
    /// added, the last one added stands in for the rest (`Swim::expecting`).
    #[wasm_bindgen(js_name = expectBackgrounds)]
    pub fn expect_backgrounds(&mut self, count: usize) {
        self.expected = count;
        self.swim = None;
    }

    /// How many backgrounds have been added.
    #[wasm_bindgen(js_name = backgroundCount)]
    pub fn background_count(&self) -> usize {
        self.backgrounds.len()
    }

    /// The frame at position τ ∈ [0, 1] of the piece, as RGBA.
    pub fn frame(&mut self, tau: f64) -> Result<Uint8ClampedArray, JsError> {
        super::checkpoint("a Swim frame");
        if self.swim.is_none() {
            let picture = self
                .picture
                .as_ref()
                .ok_or_else(|| JsError::new("no picture has been chosen yet"))?;
            let swim = Swim::new(
                picture,
                &self.backgrounds,
                Schedule::new(ScheduleKind::Cosine, 1000),
            )
            .map_err(|e| JsError::new(&e.to_string()))?
            .expecting(self.expected);
            self.swim = Some(swim);
        }
        let swim = self.swim.as_ref().expect("made above");
        Ok(Uint8ClampedArray::from(
            swim.frame(tau).to_rgba8().as_slice(),
        ))
    }

    /// The picture's share of the frame's power at τ (`Swim::picture_share`).
    #[wasm_bindgen(js_name = pictureShare)]
    pub fn picture_share(&self, tau: f64) -> f64 {
        self.swim.as_ref().map_or(1.0, |s| s.picture_share(tau))
    }
}

/// A sound slowed to `length` samples, by Paulstretch or as tape, in blocks.
#[wasm_bindgen]
pub struct SlowSound {
    stream: Box<dyn SampleStream>,
}

#[wasm_bindgen]
impl SlowSound {
    #[wasm_bindgen(constructor)]
    pub fn new(
        samples: Vec<f32>,
        sample_rate: u32,
        length: usize,
        seed: u32,
        tape: bool,
    ) -> SlowSound {
        let stream: Box<dyn SampleStream> = if tape {
            Box::new(Tape::new(&samples, length))
        } else {
            Box::new(PaulStretch::new(
                &samples,
                sample_rate,
                length,
                u64::from(seed),
            ))
        };
        SlowSound { stream }
    }

    /// The next block, or undefined when the piece is over.
    #[wasm_bindgen(js_name = nextBlock)]
    pub fn next_block(&mut self) -> Option<Float32Array> {
        self.stream
            .next_block()
            .map(|b| Float32Array::from(b.as_slice()))
    }

    /// Continues from output sample `sample` (a block boundary at or before it); returns it.
    pub fn seek(&mut self, sample: usize) -> usize {
        self.stream.seek(sample)
    }
}
