#!/usr/bin/env python3
"""The subtitle lines a take must hold, computed here from its inputs alone (the cue list, the action script's
go presses, the lyrics files, the frame rate and the take's length), against what ffprobe and ffmpeg read back:
program.mkv's subtitle tracks (packet times, and the text through ffmpeg's own SubRip muxer) and the
subtitles.LANG.srt / .vtt files (through ffmpeg's demuxers). Every start and end must be the expected frame.

    check_subs.py --take DIR --fps N/D --frames N [--cues FILE] [--actions FILE] [--lyrics LANG=FILE ...]

Rules (docs/contract.md, README): a cue's TIME is HH:MM:SS:FF (non-drop, nominal fps), HH:MM:SS;FF (drop
frame) or a frame number; `go` cues fire in file order, one per `FRAME go` of the action script; a sub line of a
language lasts until that language's next sub or clear, or the end of the take. Lyrics: an SRT/VTT entry from
the frame nearest its start to the frame nearest its end (halves up); an LRC entry until the next (an empty one
clears). Exit 0 when everything matches, 1 with the first difference."""
import argparse
import json
import re
import subprocess
import sys
from fractions import Fraction


def fail(msg):
    print("check_subs: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def nearest(ms, fps):
    x = Fraction(ms, 1000) * fps
    return int(x + Fraction(1, 2)) if x >= 0 else 0  # halves up


def tc_frame(t, fps):
    nominal = round(fps)
    if t.isdigit():
        return int(t)
    m = re.fullmatch(r"(\d\d):(\d\d):(\d\d)([:;])(\d\d\d?)", t)
    if not m:
        fail("oracle cannot read time %r" % t)
    hh, mm, ss, sep, ff = int(m[1]), int(m[2]), int(m[3]), m[4], int(m[5])
    if sep == ":":
        return ((hh * 60 + mm) * 60 + ss) * nominal + ff
    drop = nominal // 15
    total_min = hh * 60 + mm
    return ((hh * 3600 + mm * 60 + ss) * nominal + ff) - drop * (total_min - total_min // 10)


def cue_events(path, actions, fps):
    """{lang: [(frame, text or None)]} from the cue list, go cues placed at the action script's go frames."""
    gos = []
    if actions:
        for line in open(actions, encoding="utf-8"):
            f = line.split("#")[0].split()
            if len(f) >= 2 and f[1] == "go":
                gos.append(tc_frame(f[0], fps))
    ev = {}
    ngo = 0
    for line in open(path, encoding="utf-8"):
        m = re.match(r'\s*(\S+)\s+(sub(?:\.[A-Za-z0-9-]+?)?)(-clear)?(?:\s+"((?:[^"\\]|\\.)*)")?\s*(#.*)?$', line)
        t = line.split()
        if not t or t[0].startswith("#"):
            continue
        is_go = t[0] == "go"
        if m:
            lang = m[2][4:] if m[2] != "sub" else "und"
            text = None if m[3] else m[4].replace('\\"', '"').replace("\\\\", "\\")
            if is_go:
                if ngo < len(gos):
                    ev.setdefault(lang, []).append((gos[ngo], text))
            else:
                ev.setdefault(lang, []).append((tc_frame(t[0], fps), text))
        if is_go:
            ngo += 1  # a go cut uses up a press too
    return ev


def srt_ms(s):
    m = re.fullmatch(r"(?:(\d+):)?(\d\d):(\d\d)[,.](\d\d\d)", s.strip())
    if not m:
        fail("oracle cannot read %r" % s)
    return ((int(m[1] or 0) * 60 + int(m[2])) * 60 + int(m[3])) * 1000 + int(m[4])


def read_srt_text(text):
    """[(start_ms, end_ms, text)] of SubRip text."""
    out = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = block.split("\n")
        i = 0
        while i < len(lines) and "-->" not in lines[i]:
            i += 1
        if i == len(lines):
            continue
        a, b = lines[i].split("-->")
        out.append((srt_ms(a), srt_ms(b.split()[0]), "\n".join(lines[i + 1:])))
    return out


def lyric_lines(path, fps):
    """[(start, end or None, text)] in frames from an SRT, VTT or LRC file."""
    raw = open(path, encoding="utf-8-sig").read()
    if path.endswith(".lrc"):
        ents = []
        for line in raw.splitlines():
            for m in re.finditer(r"\[(\d+):(\d\d)(?:[.:](\d+))?\]", line):
                frac = (m[3] or "0").ljust(3, "0")[:3]
                ents.append(((int(m[1]) * 60 + int(m[2])) * 1000 + int(frac), re.sub(r"\[[^\]]*\]", "", line).strip()))
        return [(nearest(ms, fps), None, t) for ms, t in ents]
    if path.endswith(".vtt"):
        raw = raw.split("\n", 1)[1]
        raw = "\n\n".join(b for b in re.split(r"\n\s*\n", raw) if not b.strip().startswith("NOTE"))
    return [(nearest(a, fps), nearest(b, fps), t) for a, b, t in read_srt_text(raw)]


def expected(args, fps):
    want = {}
    if args.cues:
        for lang, evs in cue_events(args.cues, args.actions, fps).items():
            evs.sort(key=lambda e: e[0])
            lines = []
            for i, (f, text) in enumerate(evs):
                end = evs[i + 1][0] if i + 1 < len(evs) else args.frames
                if text is not None and f < args.frames and end > f:
                    lines.append((f, min(end, args.frames), text))
            want[lang] = lines
    for spec in args.lyrics or []:
        lang, path = spec.split("=", 1)
        ents = lyric_lines(path, fps)
        lines = []
        for i, (s, e, t) in enumerate(ents):
            if e is None:
                e = ents[i + 1][0] if i + 1 < len(ents) else args.frames
            if t and s < args.frames:
                lines.append((s, min(e, args.frames), t))
        want[lang] = lines
    return want


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        fail("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()[-400:]))
    return p.stdout


def compare(what, got, want):
    if len(got) != len(want):
        fail("%s: %d lines, expected %d: got %s, expected %s" % (what, len(got), len(want), got, want))
    for g, w in zip(got, want):
        if g != w:
            fail("%s: line %s, expected %s" % (what, g, w))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--take", required=True)
    ap.add_argument("--fps", required=True)
    ap.add_argument("--frames", type=int, required=True)
    ap.add_argument("--cues")
    ap.add_argument("--actions")
    ap.add_argument("--lyrics", action="append")
    args = ap.parse_args()
    num, _, den = args.fps.partition("/")
    fps = Fraction(int(num), int(den or 1))
    want = expected(args, fps)
    master = args.take + "/program.mkv"
    probe = json.loads(run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", master]))
    subs = [s for s in probe["streams"] if s["codec_type"] == "subtitle"]
    langs = [s.get("tags", {}).get("ROLE", "")[len("subtitles "):] for s in subs]
    if sorted(langs) != sorted(want):
        fail("subtitle tracks %s, expected languages %s" % (langs, sorted(want)))
    total = 0
    for s, lang in zip(subs, langs):
        if s["codec_name"] != "subrip" or s.get("tags", {}).get("language", lang) != lang:
            fail("track %d: codec %s language %s" % (s["index"], s["codec_name"], s.get("tags", {}).get("language")))
        # the packets' own times (ms in the file) ...
        pk = json.loads(run(["ffprobe", "-v", "error", "-select_streams", str(s["index"]), "-show_packets",
                             "-of", "json", master]))["packets"]
        times = [(nearest(int(p["pts"]), fps), nearest(int(p["pts"]) + int(p["duration"]), fps)) for p in pk]
        # ... and the text as ffmpeg's SubRip muxer writes it out of the track
        srt = read_srt_text(run(["ffmpeg", "-v", "error", "-i", master, "-map", "0:%d" % s["index"], "-c:s", "copy",
                                 "-f", "srt", "-"]))
        got = [(nearest(a, fps), nearest(b, fps), t) for a, b, t in srt]
        compare("program.mkv track %s (ffmpeg -map 0:%d)" % (lang, s["index"]), got, want[lang])
        compare("program.mkv track %s packet times" % lang, times, [(a, b) for a, b, _ in want[lang]])
        for ext in ("srt", "vtt"):
            f = "%s/subtitles.%s.%s" % (args.take, lang, ext)
            out = run(["ffmpeg", "-v", "error", "-i", f, "-f", "srt", "-"]) if want[lang] else ""
            got = [(nearest(a, fps), nearest(b, fps), t) for a, b, t in read_srt_text(out)]
            compare(f + " (read by ffmpeg)", got, want[lang])
        total += len(want[lang])
    print("check_subs: %d lines in %d languages at the expected frames (track, packets, .srt, .vtt)" % (total, len(langs)))


if __name__ == "__main__":
    main()
