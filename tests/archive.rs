//! The shipped archive passes validation; broken manifests are refused with
//! errors that name the item and the problem.

use hypothetical::archive::{Kind, Manifest, CLIP_SAMPLES, LARGE_EDGE, MAX_TOTAL_BYTES};
use serde_json::Value;
use std::path::{Path, PathBuf};

const ARCHIVE: &str = "www/archive";

fn shipped_json() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(Path::new(ARCHIVE).join("manifest.json")).unwrap(),
    )
    .unwrap()
}

/// A scratch archive: the shipped files (linked, or copied with `copy`) and a
/// manifest changed by `edit`. Returns the folder and the validation's words.
fn broken(
    name: &str,
    copy: bool,
    edit: impl FnOnce(&mut Value),
) -> (PathBuf, Result<String, String>) {
    let dir = std::env::temp_dir().join(format!(
        "hypothetical-archive-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for sub in ["images", "sounds"] {
        let from = std::fs::canonicalize(Path::new(ARCHIVE).join(sub)).unwrap();
        if copy {
            copy_dir(&from, &dir.join(sub));
        } else {
            std::os::unix::fs::symlink(&from, dir.join(sub)).unwrap();
        }
    }
    let mut json = shipped_json();
    edit(&mut json);
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(&json).unwrap(),
    )
    .unwrap();
    let result = Manifest::load(&dir)
        .map(|(_, s)| format!("{s:?}"))
        .map_err(|e| e.to_string());
    (dir, result)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn refused(name: &str, copy: bool, edit: impl FnOnce(&mut Value)) -> String {
    let (dir, result) = broken(name, copy, edit);
    let _ = std::fs::remove_dir_all(dir);
    match result {
        Ok(summary) => panic!("the broken manifest “{name}” was accepted: {summary}"),
        Err(words) => words,
    }
}

fn item<'a>(json: &'a mut Value, id: &str) -> &'a mut Value {
    json["items"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["id"] == id)
        .unwrap()
}

#[test]
fn the_shipped_archive_is_valid_and_complete() {
    let (manifest, summary) = Manifest::load(Path::new(ARCHIVE)).unwrap_or_else(|e| panic!("{e}"));
    // Culture at scale (issue 26): thousands of pictures by a hundred people,
    // half an hour of sound of which twenty minutes were recorded by people.
    assert!(summary.images >= 2000, "{} images", summary.images);
    assert!(summary.creators >= 100, "{} creators", summary.creators);
    assert!(
        summary.sound_seconds >= 1800.0,
        "{} s of sound",
        summary.sound_seconds
    );
    assert!(
        summary.recorded_seconds >= 1200.0,
        "{} s recorded",
        summary.recorded_seconds
    );
    assert!(
        summary.large_images >= 6,
        "{} large images",
        summary.large_images
    );
    assert!(summary.sounds >= 250, "{} sounds", summary.sounds);
    assert!(summary.total_bytes <= MAX_TOTAL_BYTES);
    let count = |kind: Kind, tag: &str| manifest.tagged(tag).filter(|i| i.kind == kind).count();
    for tag in ["flower", "Australian", "static"] {
        assert!(
            count(Kind::Image, tag) >= 3,
            "images tagged {tag}: {}",
            count(Kind::Image, tag)
        );
    }
    for tag in ["techno", "chorale", "jazz", "voice", "drums", "static"] {
        assert!(
            count(Kind::Sound, tag) >= 3,
            "sounds tagged {tag}: {}",
            count(Kind::Sound, tag)
        );
    }
    // Australian covers both wildlife and places, so a caption word spans shapes.
    let aus: Vec<_> = manifest.tagged("Australian").collect();
    assert!(aus.iter().any(|i| i.tags.iter().any(|t| t == "animal")));
    assert!(aus.iter().any(|i| i.tags.iter().any(|t| t == "place")));
    // Every Dissolve picture has its large file.
    let dissolve = manifest
        .items
        .iter()
        .filter(|i| i.scenes.iter().flatten().any(|s| s == "dissolve"));
    assert!(dissolve.clone().count() >= 6);
    assert!(dissolve
        .clone()
        .all(|i| i.large.as_ref().is_some_and(|l| l.width == LARGE_EDGE)));
    assert!(manifest
        .items
        .iter()
        .filter(|i| i.kind == Kind::Sound)
        .all(|i| i.samples == Some(CLIP_SAMPLES)));
}

#[test]
fn the_generator_loudness_normalises_sounds() {
    let manifest = Manifest::load(Path::new(ARCHIVE)).unwrap().0;
    for i in manifest.items.iter().filter(|i| i.kind == Kind::Sound) {
        let lufs = i.loudness_lufs.unwrap();
        // -23 LUFS unless the -1 dBFS peak ceiling set the gain.
        let at_target = (lufs + 23.0).abs() <= 0.1;
        let peak_limited = (i.peak_dbfs.unwrap() + 1.0).abs() <= 0.1 && lufs < -23.0;
        assert!(
            at_target || peak_limited,
            "{}: {lufs} LUFS, peak {:?}",
            i.id,
            i.peak_dbfs
        );
    }
}

#[test]
fn a_missing_field_is_named() {
    let words = refused("missing", false, |j| {
        item(j, "astronaut")
            .as_object_mut()
            .unwrap()
            .remove("licence");
    });
    assert!(words.contains("missing field `licence`"), "{words}");
}

#[test]
fn an_unknown_field_is_named() {
    let words = refused("unknown-field", false, |j| {
        item(j, "astronaut")["licenceUrl"] = "https://example.org".into();
    });
    assert!(words.contains("unknown field `licenceUrl`"), "{words}");
}

#[test]
fn a_wrong_hash_is_refused() {
    let words = refused("hash", false, |j| {
        item(j, "flower")["sha256"] = "0".repeat(64).into();
    });
    assert!(
        words.contains("item “flower”") && words.contains("sha256"),
        "{words}"
    );
    assert!(words.contains("the archive has 1 problem:"), "{words}");
}

#[test]
fn an_unknown_licence_is_refused() {
    let words = refused("licence", false, |j| {
        item(j, "tulips")["licence"] = "LicenseRef-All-Rights-Reserved".into();
    });
    assert!(
        words.contains("item “tulips”") && words.contains("not one the project may ship"),
        "{words}"
    );
}

#[test]
fn a_duplicate_id_is_refused() {
    let words = refused("duplicate", false, |j| {
        item(j, "daisy")["id"] = "daffodil".into();
    });
    assert!(
        words.contains("item “daffodil”: the id is used by more than one item"),
        "{words}"
    );
}

#[test]
fn wrong_sizes_and_lengths_are_refused() {
    let words = refused("sizes", false, |j| {
        item(j, "kangaroo")["width"] = 256.into();
        item(j, "white-noise")["samples"] = 1000.into();
        item(j, "pink-noise")["sampleRate"] = 44100.into();
    });
    assert!(
        words.contains("item “kangaroo”: the image is listed as 256×128"),
        "{words}"
    );
    assert!(
        words.contains("item “white-noise”: the length is listed as 1000 samples"),
        "{words}"
    );
    assert!(
        words.contains("item “pink-noise”: the sample rate is listed as 44100 Hz"),
        "{words}"
    );
}

#[test]
fn a_file_of_the_wrong_kind_is_refused() {
    let words = refused("not-flac", false, |j| {
        let png = item(j, "daisy").clone();
        let sound = item(j, "tape-hiss");
        sound["file"] = png["file"].clone();
        sound["sha256"] = png["sha256"].clone();
    });
    assert!(
        words.contains("item “tape-hiss”") && words.contains("is not a readable FLAC file"),
        "{words}"
    );
}

#[test]
fn missing_and_unlisted_files_are_refused() {
    let words = refused("stray", true, |j| {
        let items = j["items"].as_array_mut().unwrap();
        items.retain(|i| i["id"] != "echidna");
        item(j, "uluru")["file"] = "images/128/not-there.png".into();
        item(j, "boomerang")["file"] = "../manifest.json".into();
    });
    assert!(
        words.contains("images/128/echidna.png is in the archive folder but no item lists it"),
        "{words}"
    );
    assert!(
        words.contains("item “uluru”: cannot read images/128/not-there.png"),
        "{words}"
    );
    assert!(
        words.contains("item “boomerang”: the file path “../manifest.json” must be relative"),
        "{words}"
    );
}

#[test]
fn a_sound_that_does_not_say_how_it_was_made_is_refused() {
    let words = refused("made", false, |j| {
        item(j, "white-noise")
            .as_object_mut()
            .unwrap()
            .remove("made");
    });
    assert!(
        words.contains("item “white-noise”") && words.contains("needs “made”"),
        "{words}"
    );
}

#[test]
fn a_picture_missing_from_the_packs_is_refused() {
    let words = refused("pack", false, |j| {
        let ids = j["packs"][0]["ids"].as_array_mut().unwrap();
        let first = ids.remove(0);
        ids.push(first); // same count, so the sheet's size still fits
        ids.pop();
        ids.push("no-such-picture".into());
    });
    assert!(
        words.contains("is not a picture of the archive")
            && words.contains("has no 32 px copy in a pack"),
        "{words}"
    );
}

#[test]
fn a_tag_claimed_as_ours_must_be_a_tag() {
    let words = refused("ours", false, |j| {
        item(j, "tulips")["ourTags"] = serde_json::json!(["not a tag of it"]);
    });
    assert!(words.contains("is in ourTags but not in tags"), "{words}");
}

#[test]
fn the_archive_credits_people_and_says_how_each_sound_was_made() {
    let manifest = Manifest::load(Path::new(ARCHIVE)).unwrap().0;
    // Every tag the first archive had is still a tag (the episode's
    // "Australian" among them, now also from the sources' own words).
    for tag in [
        "flower",
        "animal",
        "plant",
        "bird",
        "photograph",
        "Australian",
        "static",
        "noise",
        "map",
    ] {
        assert!(manifest.tagged(tag).count() >= 2, "tag {tag}");
    }
    let from_sources = manifest
        .tagged("Australian")
        .filter(|i| i.tags.iter().any(|t| t == "australia"))
        .count();
    assert!(from_sources >= 10, "{from_sources} items say “australia”");
    // A third of the pictures are emoji with the Unicode committee's words.
    let emoji = manifest.tagged("emoji").count();
    assert!(emoji >= 500, "{emoji} emoji");
    // Recordings by people: the soundtracks' composers are named.
    let recorded: std::collections::BTreeSet<&str> = manifest
        .items
        .iter()
        .filter(|i| i.made == Some(hypothetical::archive::Made::Recorded))
        .map(|i| i.creator.as_str())
        .collect();
    assert!(recorded.len() >= 8, "{recorded:?}");
    assert!(recorded.contains("Martin Severn"), "{recorded:?}");
}
