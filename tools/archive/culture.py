"""The archive's culture at scale: works by named people from Debian and npm packages.

Pictures
- Debian openclipart-svg 1:0.18+dfsg-19: drawings released by their authors into
  the public domain; each SVG's RDF metadata names its author (dc:creator), title,
  description and keywords. Kept: drawings with an author, a title and keywords,
  at most PER_CREATOR per author (so that no one person's style fills the
  archive), keywords of the archive's tags first.
- npm openmoji 17.0.0: emoji drawn by named designers (CC BY-SA 4.0); captions are
  the Unicode CLDR annotations and tags the CLDR keywords, the OpenMoji tags and
  the Unicode subgroup's words: labels written by committees and designers.
Sounds
- Debian wesnoth-1.16-music 1:1.16.9-1: The Battle for Wesnoth's soundtrack,
  GPL-2+, each Ogg file naming its composer, title, year and genre.
- Debian warzone2100-music 4.3.3-3: the Warzone 2100 soundtracks by Martin Severn
  (GPL-2+) and LupusMechanicus (CC BY-SA 3.0 or GPL-2+), named per track in
  album.json.
- Debian alsa-utils 1.2.8-1: speaker-test's spoken channel names, a recording
  of a person speaking (GPL-2+).
Clips are cut where the music plays (not in silence), 5.94 s each, at evenly
spaced places through the track.

Tags are the sources' own words (lower-cased, "_" and "-" read as spaces); the
few tags the project adds (the kind of work, and "Australian" where a source
says "australia") are listed in the item's `ourTags`.
"""
import json
import os
import re
import subprocess

import numpy as np
import soundfile
from PIL import Image

import images as im
import sounds as so

DEBS = os.environ.get("HYPOTHETICAL_DEBS", "../../target/archive-debs")
OPENCLIPART_SVG_PKG = "Debian openclipart-svg 1:0.18+dfsg-19"
OPENCLIPART_SVG = "usr/share/openclipart/svg"
OPENMOJI_PKG = "npm openmoji 17.0.0"
WESNOTH_PKG = "Debian wesnoth-1.16-music 1:1.16.9-1"
WESNOTH_MUSIC = "usr/share/games/wesnoth/1.16/data/core/music"
WARZONE_PKG = "Debian warzone2100-music 4.3.3-3"
WARZONE_MUSIC = "usr/share/games/warzone2100/music/albums"
ALSA_PKG = "Debian alsa-utils 1.2.8-1"
ALSA_SOUNDS = "usr/share/sounds/alsa"

# At most this many drawings from one openclipart author.
PER_CREATOR = 30
# Drawings taken from openclipart, and emoji from OpenMoji.
OPENCLIPART_COUNT = 1300
OPENMOJI_COUNT = 1000
# Clips cut from one piece of music (fewer from short pieces).
CLIPS_PER_TRACK = 5
# Words of the sources that carry one of the archive's tags (ours, marked).
MAPPED = {"australia": "Australian", "australian": "Australian"}
# The archive's own tags that a source may also use: kept when the source says them.
RSVG = "rsvg-convert 2.54.7 (Debian librsvg2-bin 2.54.7+dfsg-1~deb12u2)"


def words(text):
    t = re.sub(r"[_\-]+", " ", text.strip().lower())
    t = re.sub(r"\s+", " ", t).strip()
    return t if 0 < len(t) <= 30 and not t.isdigit() else None


def tag_list(source_words, ours):
    tags, seen = [], set()
    for w in source_words:
        t = words(w)
        if t and t not in seen:
            seen.add(t)
            tags.append(t)
    tags = tags[:12]
    our = []
    for w in list(tags):
        m = MAPPED.get(w)
        if m and m not in seen:
            seen.add(m)
            our.append(m)
    for o in ours:
        if o not in seen:
            seen.add(o)
            our.append(o)
    return tags + our, our


def slug(text, limit=40):
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:limit].strip("-") or "item"


def unescape(s):
    return (s.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
            .replace("&quot;", '"').replace("&apos;", "'").strip())


def _first(pattern, text):
    m = re.search(pattern, text, re.S)
    return unescape(m.group(1)) if m else ""


def sentence(text):
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def openclipart():
    """The openclipart drawings kept, in a fixed order."""
    root = f"{DEBS}/openclipart-svg/{OPENCLIPART_SVG}"
    rows = []
    for d, dirs, names in os.walk(root):
        dirs.sort()
        for n in sorted(names):
            if not n.endswith(".svg"):
                continue
            path = os.path.join(d, n)
            s = open(path, encoding="utf-8", errors="replace").read()
            work = _first(r"<cc:Work[^>]*>(.*?)</cc:Work>", s)
            creator = _first(r"<dc:creator>\s*<cc:Agent[^>]*>\s*<dc:title>(.*?)</dc:title>", work)
            title = _first(r"<dc:title>(.*?)</dc:title>", work)
            desc = _first(r"<dc:description>(.*?)</dc:description>", work)
            kws = [unescape(k) for k in re.findall(r"<rdf:li>(.*?)</rdf:li>",
                                                   _first(r"<dc:subject>(.*?)</dc:subject>", work), re.S)]
            kws = [k for k in kws if k]
            if creator and title and kws and not creator.lower().startswith("openclipart"):
                rows.append(dict(path=os.path.relpath(path, root), creator=creator, title=title,
                                 desc=desc, kws=kws))
    wanted = ("flower", "animal", "plant", "bird", "australia", "map", "tree", "fruit", "cat", "dog")
    def priority(r):
        return 0 if any(w in k.lower() for k in r["kws"] for w in wanted) else 1
    chosen, per = [], {}
    for pass_ in (0, 1):
        for r in rows:
            if len(chosen) >= OPENCLIPART_COUNT:
                break
            if priority(r) != pass_ or per.get(r["creator"], 0) >= PER_CREATOR:
                continue
            per[r["creator"]] = per.get(r["creator"], 0) + 1
            chosen.append(r)
    return chosen


def openmoji():
    root = f"{DEBS}/openmoji/package"
    data = json.load(open(f"{root}/data/openmoji.json"))
    base = [e for e in data if e["skintone"] == "" and e["group"] not in ("component", "extras-unicode")
            and e.get("openmoji_author")]
    # Every group in proportion, in OpenMoji's order.
    step = len(base) / OPENMOJI_COUNT
    return [base[int(i * step)] for i in range(min(OPENMOJI_COUNT, len(base)))], root


def render_svg(path, tmp):
    out = f"{tmp}/render.png"
    subprocess.run(["rsvg-convert", "-a", "-w", "512", "-h", "512", "-b", "white", "-o", out, path],
                   check=True, timeout=60, capture_output=True)
    img = Image.open(out)
    img.load()
    return im.to_rgb_on_white(img)


def rendered(path, tmp):
    """The 128 px square of an SVG drawing and how it was made, or (None, None)
    when it cannot be rendered or is blank."""
    try:
        img = render_svg(path, tmp)
    except (subprocess.SubprocessError, OSError):
        return None, None
    sq, how = im.padded_square(img)
    small, how2 = im.resized(sq, im.SMALL)
    a = np.asarray(small, dtype=np.float64)
    if a.std() < 4.0:
        return None, None
    return small, how + how2


def pictures(tmp):
    """(entry fields, 128 px image) for every picture of the two sources."""
    out = []
    for r in openclipart():
        small, how = rendered(f"{DEBS}/openclipart-svg/{OPENCLIPART_SVG}/{r['path']}", tmp)
        if small is None:
            continue
        tags, ours = tag_list(r["kws"], ["clip art"])
        caption = r["desc"] if r["desc"] and r["desc"].lower() != r["title"].lower() else r["title"]
        out.append((dict(
            id=f"oc-{slug(os.path.splitext(os.path.basename(r['path']))[0])}",
            title=r["title"], creator=r["creator"], year=None, licence="CC-PDDC",
            attribution=f"“{r['title']}” by {r['creator']}, released into the public domain on openclipart.org "
                        f"(via {OPENCLIPART_SVG_PKG}).",
            caption=sentence(caption), tags=tags, ourTags=ours,
            source=f"{OPENCLIPART_SVG_PKG}, /{OPENCLIPART_SVG}/{r['path']} (rendered by {RSVG} at 512 px; {how})",
        ), small))
    emoji, root = openmoji()
    for e in emoji:
        small, how = rendered(f"{root}/color/svg/{e['hexcode']}.svg", tmp)
        if small is None:
            continue
        src_words = [t for t in e["tags"].split(",")] + [t for t in e["openmoji_tags"].split(",")]
        src_words += e["subgroups"].split("-")
        tags, ours = tag_list(src_words, ["emoji", "clip art"])
        year = int(e["openmoji_date"][:4]) if e.get("openmoji_date") else None
        out.append((dict(
            id=f"om-{e['hexcode'].lower()}", title=e["annotation"], creator=e["openmoji_author"], year=year,
            licence="CC-BY-SA-4.0",
            attribution=f"OpenMoji “{e['annotation']}” ({e['emoji']}) by {e['openmoji_author']}, CC BY-SA 4.0 "
                        f"(openmoji.org; via {OPENMOJI_PKG}). Caption: the Unicode CLDR annotation.",
            caption=sentence(e["annotation"]), tags=tags, ourTags=ours,
            source=f"{OPENMOJI_PKG}, color/svg/{e['hexcode']}.svg (rendered by {RSVG} at 512 px; {how})",
        ), small))
    return out


# ---------- sounds ----------

def vorbis_comments(path):
    text = subprocess.run(["soxi", "-a", path], capture_output=True, text=True, check=True).stdout
    return {k.upper(): v for k, v in (line.split("=", 1) for line in text.splitlines() if "=" in line)}


def mono_22050(path):
    x, rate = soundfile.read(path, dtype="float64", always_2d=True)
    x = x.mean(axis=1)
    if rate != so.SR:
        from scipy.signal import resample_poly
        from math import gcd
        g = gcd(rate, so.SR)
        x = resample_poly(x, so.SR // g, rate // g)
    return x


def clip_starts(x, count):
    """Up to `count` starts of N-sample windows, evenly spread between 5 % and 95 %
    of the piece, each moved to the loudest nearby window so no clip is silence."""
    n = len(x)
    if n < so.N:
        return [0]
    count = max(1, min(count, n // (2 * so.N)))
    lo, hi = int(0.05 * n), max(int(0.05 * n), int(0.95 * n) - so.N)
    starts = []
    for k in range(count):
        s = lo + int((hi - lo) * (k + 0.5) / count)
        rms = np.sqrt(np.mean(x[s:s + so.N] ** 2) + 1e-20)
        if 20 * np.log10(rms) > -45:
            starts.append(s)
    return starts


def music():
    """Yields (entry fields, mono signal, start) for every clip of the two soundtracks."""
    wes = f"{DEBS}/wesnoth-1.16-music/{WESNOTH_MUSIC}"
    for name in sorted(os.listdir(wes)):
        if not name.endswith(".ogg"):
            continue
        c = vorbis_comments(f"{wes}/{name}")
        if c.get("LICENSE", "").upper() != "GPL" or not c.get("ARTIST"):
            continue
        x = mono_22050(f"{wes}/{name}")
        year = int(c["DATE"][:4]) if c.get("DATE", "")[:4].isdigit() else None
        genre = [g for g in [c.get("GENRE", "")] if g]
        for k, s in enumerate(clip_starts(x, CLIPS_PER_TRACK)):
            tags, ours = tag_list(genre, ["game music", "orchestral", "instrumental"])
            desc = c.get("DESCRIPTION", "")
            yield (dict(
                id=f"wesnoth-{slug(os.path.splitext(name)[0])}-{k + 1}", title=f"{c.get('TITLE', name)} ({_at(s)})",
                creator=c["ARTIST"], year=year, licence="GPL-2.0-or-later", made="recorded",
                attribution=f"“{c.get('TITLE', name)}” by {c['ARTIST']}, from The Battle for Wesnoth's soundtrack, "
                            f"GPL-2+ (via {WESNOTH_PKG}).",
                caption=sentence(f"{_at(s)} into “{c.get('TITLE', name)}”, "
                                 f"{c.get('GENRE', 'music').lower()} for a fantasy strategy game"
                                 + (f": {desc[0].lower() + desc[1:].rstrip('.')}" if desc else "")),
                tags=tags, ourTags=ours,
                source=f"{WESNOTH_PKG}, /{WESNOTH_MUSIC}/{name}, {s / so.SR:.2f} s to {(s + so.N) / so.SR:.2f} s "
                       f"(mixed to mono, resampled to {so.SR} Hz)",
            ), x, s)
    wz = f"{DEBS}/warzone2100-music/{WARZONE_MUSIC}"
    for album in sorted(os.listdir(wz)):
        meta = json.load(open(f"{wz}/{album}/album.json"))
        lupus = meta["author"] == "LupusMechanicus"
        for t in meta["tracks"]:
            path = f"{wz}/{album}/{t['filename']}"
            if not os.path.exists(path):
                continue
            derived = t["filename"].startswith("track3_enhanced")
            licence = "CC-BY-SA-3.0" if lupus and not derived else "GPL-2.0-or-later"
            x = mono_22050(path)
            for k, s in enumerate(clip_starts(x, CLIPS_PER_TRACK)):
                tags, ours = tag_list([], ["game music", "electronic", "instrumental"])
                lic_words = "CC BY-SA 3.0 (or the GPL-2+)" if licence.startswith("CC") else "GPL-2+"
                yield (dict(
                    id=f"warzone-{slug(album.split('_')[0])}-{slug(os.path.splitext(t['filename'])[0])}-{k + 1}",
                    title=f"{t['title']} ({_at(s)})", creator=t["author"], year=int(meta["date"]),
                    licence=licence, made="recorded",
                    attribution=f"“{t['title']}” by {t['author']}, from the Warzone 2100 {meta['title']}, "
                                f"{lic_words} (via {WARZONE_PKG}).",
                    caption=sentence(f"{_at(s)} into “{t['title']}”, from {meta['title']}: "
                                     f"{meta['description'].rstrip('.')}"),
                    tags=tags, ourTags=ours,
                    source=f"{WARZONE_PKG}, /{WARZONE_MUSIC}/{album}/{t['filename']}, {s / so.SR:.2f} s to "
                           f"{(s + so.N) / so.SR:.2f} s (mixed to mono, resampled to {so.SR} Hz)",
                ), x, s)
    # speaker-test's voice: the channel names, one after another, 0.25 s apart.
    alsa = f"{DEBS}/alsa-utils/{ALSA_SOUNDS}"
    names = ["Front_Left", "Front_Center", "Front_Right", "Rear_Left", "Rear_Center", "Rear_Right",
             "Side_Left", "Side_Right"]
    parts = [np.concatenate([mono_22050(f"{alsa}/{n}.wav"), np.zeros(so.SR // 4)]) for n in names
             if os.path.exists(f"{alsa}/{n}.wav")]
    if parts:
        x = np.concatenate(parts)
        tags, ours = tag_list([], ["speech", "voice", "english"])
        yield (dict(
            id="alsa-speaker-test-voice", title="Speaker test channel names",
            creator="the speaker of ALSA's speaker-test (not named in the package)", year=None,
            licence="GPL-2.0-or-later", made="recorded",
            attribution=f"Spoken channel names of ALSA's speaker-test, GPL-2+ (via {ALSA_PKG}).",
            caption="A person says the names of loudspeaker channels, “front left”, “front center” and on, one by one.",
            tags=tags, ourTags=ours,
            source=f"{ALSA_PKG}, /{ALSA_SOUNDS}/{{{','.join(names)}}}.wav, joined with 0.25 s of silence "
                   f"between them, first {so.N} samples",
        ), x, 0)


def _at(s):
    sec = int(round(s / so.SR))
    return f"{sec // 60}:{sec % 60:02d}"
