//! The episode's chapters (`www/chapters.json`) in the Podcasting 2.0 JSON
//! chapters format, version 1.2.0: ascending start times in seconds, each
//! chapter titled, its link opening a page of the site in a state whose names
//! (scene, picture, clip, tags) exist, and its image, where there is one, a
//! file of the site.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

fn load(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect(path)).expect("valid JSON")
}

/// The episode's chapter marks, in seconds (00:00, 03:24, 05:33, 09:14,
/// 33:35, 39:09, 45:16, 1:00:04).
const EPISODE: [u64; 8] = [0, 204, 333, 554, 2015, 2349, 2716, 3604];

#[test]
fn the_chapters_file_is_podcasting_2_json_chapters_with_links_that_open_real_states() {
    let chapters = load("www/chapters.json");
    let manifest = load("www/archive/manifest.json");
    assert_eq!(chapters["version"], "1.2.0");
    let list = chapters["chapters"].as_array().expect("a chapters array");
    let starts: Vec<u64> = list
        .iter()
        .map(|c| c["startTime"].as_u64().expect("startTime in whole seconds"))
        .collect();
    assert_eq!(starts, EPISODE, "the episode's chapter marks, ascending");

    let items = manifest["items"].as_array().expect("items");
    let ids = |kind: &str| -> HashSet<String> {
        items
            .iter()
            .filter(|i| i["kind"] == kind)
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    let tags = |kind: &str| -> HashSet<String> {
        items
            .iter()
            .filter(|i| i["kind"] == kind)
            .flat_map(|i| i["tags"].as_array().unwrap().iter())
            .map(|t| t.as_str().unwrap().to_string())
            .collect()
    };
    let (images, sounds) = (ids("image"), ids("sound"));
    let (image_tags, sound_tags) = (tags("image"), tags("sound"));

    for c in list {
        let title = c["title"].as_str().expect("a title");
        assert!(!title.trim().is_empty());
        let url = c["url"].as_str().expect("a url");
        let (page, hash) = url.split_once('#').unwrap_or((url, ""));
        let file = if page == "./" { "index.html" } else { page };
        assert!(
            Path::new("www").join(file).is_file(),
            "{title}: {url} is no page of the site"
        );
        for (key, value) in hash
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').expect("key=value"))
        {
            let known = match (file, key) {
                ("generate.html", "scene") => ["recognize", "noise", "average"].contains(&value),
                ("generate.html", "tag") => image_tags.contains(value),
                ("dissolve.html", "image") => images.contains(value),
                ("sound.html", "clip") => sounds.contains(value),
                ("sound.html", "tag" | "tag2") => sound_tags.contains(value),
                ("archive.html", "kind") => ["image", "sound"].contains(&value),
                ("swim.html", "picture") => images.contains(value),
                ("swim.html", "sound") => sounds.contains(value),
                ("swim.html", "slow") => ["paul", "tape"].contains(&value),
                ("swim.html", "minutes") => (1..=9).contains(&value.parse::<u32>().unwrap_or(0)),
                (
                    _,
                    "t" | "seed" | "steps" | "size" | "mix" | "seconds" | "schedule" | "denoiser",
                ) => true,
                _ => false,
            };
            assert!(known, "{title}: {key}={value} is not a state of {file}");
        }
        if let Some(img) = c.get("img") {
            let img = img.as_str().expect("img is a string");
            assert!(
                Path::new("www").join(img).is_file(),
                "{title}: {img} is no file of the site"
            );
        }
    }
}
