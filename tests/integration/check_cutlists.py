#!/usr/bin/env python3
"""check_cutlists.py TAKE_DIR --media iso|source|replay [--expect-reels NAME=REEL,...]

Parses TAKE_DIR/cuts.edl (CMX3600) and TAKE_DIR/cuts.otio (OpenTimelineIO JSON) back and compares them, shot by
shot, with the executed cuts in TAKE_DIR/cuts.jsonl and the frame count in TAKE_DIR/take.json:
- EDL: title line, FCM (DROP FRAME exactly at 30000/1001 and 60000/1001, with ';' before the frames), one event per
  shot numbered from 001, record in/out = the shot's frames (timecode decoded here, drop-frame included), source
  in/out = record in/out, one reel per camera (at most 8 characters, A-Z 0-9 _, unique, never BL or AX), clip name
  and source file per camera;
- OTIO: Timeline.1 > Stack.1 > one Track.1 of Clip.1, each clip's source_range (start, duration) in frames at the
  program rate equal to the shot, clips adding up to the take's frames, target_url per camera.
--media says what the clips must point at: iso (iso/NAME.mkv), source (the camera source as given in take.json,
made absolute), replay (TAKE_DIR's take.json sources: the original ISOs, absolute), none (generated test: sources:
no source file in the EDL, MissingReference.1 in the OTIO).
Exit 0 pass, 1 fail.
"""
import json
import os
import re
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def tc_to_frame(tc, num, den, drop):
    m = re.fullmatch(r"(\d\d):(\d\d):(\d\d)([:;])(\d\d)", tc)
    if not m:
        fail("not a timecode: %r" % tc)
    hh, mm, ss, sep, ff = int(m[1]), int(m[2]), int(m[3]), m[4], int(m[5])
    if (sep == ";") != drop:
        fail("timecode %s: separator %r at %s drop-frame" % (tc, sep, "a" if drop else "a non"))
    nominal = (num + den // 2) // den
    minutes = hh * 60 + mm
    frame = (minutes * 60 + ss) * nominal + ff
    if drop:
        # SMPTE drop-frame: 2 (4 at 59.94) labels skipped each minute, except every tenth minute.
        frame -= (nominal // 15) * (minutes - minutes // 10)
    return frame


def shots_of(cuts, frames):
    shots = []
    for i, ev in enumerate(cuts):
        if ev["type"] == "end":
            break
        out = cuts[i + 1]["frame"] if i + 1 < len(cuts) else frames
        if out > ev["frame"]:
            shots.append((ev["frame"], out, ev["camera"]))
    return shots


def main():
    args = sys.argv[1:]
    if len(args) < 3 or args[1] != "--media":
        print(__doc__)
        sys.exit(2)
    take, media = args[0], args[2]
    expect_reels = {}
    if len(args) >= 5 and args[3] == "--expect-reels":
        expect_reels = dict(kv.split("=") for kv in args[4].split(","))
    info = json.load(open(os.path.join(take, "take.json")))
    num, den = (int(x) for x in info["fps"].split("/"))
    drop = (num, den) in ((30000, 1001), (60000, 1001))
    frames = info["frames"]
    cams = [c["name"] for c in info["cameras"]]
    sources = {c["name"]: c["source"] for c in info["cameras"]}
    cuts = [json.loads(line) for line in open(os.path.join(take, "cuts.jsonl")) if line.strip()]
    shots = shots_of(cuts, frames)
    if not shots:
        fail("no shot in cuts.jsonl")

    def expected_media(cam):
        if media == "iso":
            return "iso/%s.mkv" % cam
        if media == "none":
            return None
        return os.path.abspath(sources[cam])

    # ---- EDL ----
    lines = open(os.path.join(take, "cuts.edl")).read().split("\n")
    if not lines[0].startswith("TITLE: ") or info["take_id"] not in lines[0]:
        fail("cuts.edl line 1 is not 'TITLE: ...' with the take id: %r" % lines[0])
    want_fcm = "FCM: DROP FRAME" if drop else "FCM: NON-DROP FRAME"
    if lines[1] != want_fcm:
        fail("cuts.edl line 2 is %r, expected %r" % (lines[1], want_fcm))
    event_re = re.compile(r"(\d{3,})  (\S{1,8}) +V +C +(\S+) (\S+) (\S+) (\S+)$")
    events = []
    for line in lines[2:]:
        m = event_re.fullmatch(line)
        if m:
            events.append({"n": int(m[1]), "reel": m[2], "tc": [m[3], m[4], m[5], m[6]]})
        elif line.startswith("* FROM CLIP NAME: "):
            events[-1]["clip"] = line[len("* FROM CLIP NAME: "):]
        elif line.startswith("* SOURCE FILE: "):
            events[-1]["file"] = line[len("* SOURCE FILE: "):]
        elif line and not line.startswith("* "):
            fail("cuts.edl: unexpected line %r" % line)
    if len(events) != len(shots):
        fail("cuts.edl has %d events, cuts.jsonl %d shots" % (len(events), len(shots)))
    reel_of = {}
    for i, (ev, (fin, fout, cam)) in enumerate(zip(events, shots)):
        if ev["n"] != i + 1:
            fail("cuts.edl event %d is numbered %d" % (i + 1, ev["n"]))
        sin, sout, rin, rout = (tc_to_frame(t, num, den, drop) for t in ev["tc"])
        if (rin, rout) != (fin, fout):
            fail("cuts.edl event %d records frames %d-%d, the cut log %d-%d (%s)" % (i + 1, rin, rout, fin, fout, cam))
        if (sin, sout) != (rin, rout):
            fail("cuts.edl event %d: source %d-%d is not record %d-%d" % (i + 1, sin, sout, rin, rout))
        if ev.get("clip") != cam:
            fail("cuts.edl event %d: clip %r, expected camera %r" % (i + 1, ev.get("clip"), cam))
        if ev.get("file") != expected_media(cam):
            fail("cuts.edl event %d: source file %r, expected %r" % (i + 1, ev.get("file"), expected_media(cam)))
        reel = ev["reel"]
        if not re.fullmatch(r"[A-Z0-9_]{1,8}", reel) or reel in ("BL", "AX"):
            fail("cuts.edl event %d: reel %r is not a CMX3600 reel" % (i + 1, reel))
        if reel_of.setdefault(cam, reel) != reel:
            fail("camera %s has reels %s and %s" % (cam, reel_of[cam], reel))
    if len(set(reel_of.values())) != len(reel_of):
        fail("two cameras share a reel: %s" % reel_of)
    for cam, reel in expect_reels.items():
        if reel_of.get(cam) != reel:
            fail("camera %s has reel %r, expected %r" % (cam, reel_of.get(cam), reel))

    # ---- OTIO ----
    t = json.load(open(os.path.join(take, "cuts.otio")))
    if t.get("OTIO_SCHEMA") != "Timeline.1" or t["tracks"].get("OTIO_SCHEMA") != "Stack.1":
        fail("cuts.otio is not Timeline.1 > Stack.1")
    tracks = t["tracks"]["children"]
    if len(tracks) != 1 or tracks[0].get("OTIO_SCHEMA") != "Track.1" or tracks[0].get("kind") != "Video":
        fail("cuts.otio: the stack does not hold one video Track.1")
    clips = tracks[0]["children"]
    if len(clips) != len(shots):
        fail("cuts.otio has %d clips, cuts.jsonl %d shots" % (len(clips), len(shots)))
    rate = num / den
    total = 0
    for i, (clip, (fin, fout, cam)) in enumerate(zip(clips, shots)):
        if clip.get("OTIO_SCHEMA") != "Clip.1":
            fail("cuts.otio clip %d is %s" % (i, clip.get("OTIO_SCHEMA")))
        sr = clip["source_range"]
        for key in ("start_time", "duration"):
            if abs(sr[key]["rate"] - rate) > 1e-9:
                fail("cuts.otio clip %d: %s rate %r, the program's is %r" % (i, key, sr[key]["rate"], rate))
        start, dur = sr["start_time"]["value"], sr["duration"]["value"]
        if (start, dur) != (fin, fout - fin):
            fail("cuts.otio clip %d: frames %r+%r, the cut log %d+%d" % (i, start, dur, fin, fout - fin))
        if start != total:
            fail("cuts.otio clip %d starts at %r, after %r frames of clips" % (i, start, total))
        ref = clip["media_reference"]
        want_schema = "ExternalReference.1" if expected_media(cam) else "MissingReference.1"
        if ref.get("OTIO_SCHEMA") != want_schema or ref.get("target_url") != expected_media(cam):
            fail("cuts.otio clip %d: reference %r, expected %r" % (i, ref.get("target_url"), expected_media(cam)))
        if clip.get("name") != cam:
            fail("cuts.otio clip %d is named %r, expected %r" % (i, clip.get("name"), cam))
        total += dur
    if total != frames:
        fail("cuts.otio clips add up to %r frames, the take has %d" % (total, frames))
    print("ok: cuts.edl and cuts.otio: %d shots over %d frames at %d/%d (%s), reels %s" %
          (len(shots), frames, num, den, want_fcm, ",".join("%s=%s" % kv for kv in sorted(reel_of.items()))))


main()
