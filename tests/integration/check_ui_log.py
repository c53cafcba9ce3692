#!/usr/bin/env python3
"""check_ui_log.py CUTS_JSONL RECORD_LOG ACTIONS_OUT

For test_ui.sh (case keys): the director's commands, as the multiview logged them ("HOW: WHAT:
staged after frame A, lands at frame N[ to M]"), against the executed cut log. Every command is
there in the scripted order; every cut, go and end landed at the frame the UI staged it for (the
next tick) with its origin (manual, go, stop). Writes the director's actions as an action script
(FRAME cut CAM | FRAME go | FRAME end) for ot-check-program."""
import json
import re
import sys

cuts = [json.loads(line) for line in open(sys.argv[1])]
log = open(sys.argv[2]).read()
landed = []  # (how, what, first, last) in the order the UI staged them
for m in re.finditer(r"onetake\[ui\]: ([^:]+): (cut to \w+|go|end the take|preview \w+): "
                     r"staged after frame (-?\d+), lands at frame (\d+)(?: to (\d+))?", log):
    first = int(m.group(4))
    landed.append((m.group(1), m.group(2), first, int(m.group(5) or first)))

# A click on the preview cuts to the camera on preview when it is clicked: crane (P 3) if that had landed by
# then, else still wide (a loaded machine may hand both events to the window in the same frame).
on_preview, p3_last = "wide", 10**9
for how, what, first, last in landed:
    if how == "key P 3":
        p3_last = last
    if how == "click on preview" and p3_last <= first - 1:
        on_preview = "crane"
want = [("key 4", "cut to drone"), ("click", "cut to handheld"), ("right-click", "preview wide"),
        ("key P 3", "preview crane"), ("click on preview", "cut to " + on_preview), ("key Space", "go"),
        ("key 5", "cut to handheld"), ("Esc twice", "end the take")]
got = [(how, what) for how, what, _, _ in landed]
if got != want:
    sys.exit("UI commands %s, expected %s" % (got, want))

events = [c for c in cuts if c["origin"] in ("manual", "go", "stop")]
commands = [c for c in landed if not c[1].startswith("preview")]
if len(events) != len(commands):
    sys.exit("the cut log has %d director events, expected %d: %s" % (len(events), len(commands), events))
actions = []
for e, (how, what, first, last) in zip(events, commands):
    kind = "end" if what == "end the take" else "go" if what == "go" else "cut"
    origin = {"end": "stop", "go": "go", "cut": "manual"}[kind]
    if e["type"] != ("end" if kind == "end" else "cut") or e["origin"] != origin:
        sys.exit("%s: cut log line %s is not a %s %s" % (how, e, origin, kind))
    if kind == "cut" and e["camera"] != what.split()[-1]:
        sys.exit("%s: %s, but the cut log says %s" % (how, what, e["camera"]))
    if not first <= e["frame"] <= last:
        sys.exit("%s: landed at frame %d, staged for frame %d..%d (the next tick)"
                 % (how, e["frame"], first, last))
    print("ok: %-16s %-16s at frame %d (staged for %d)" % (how, what, e["frame"], first))
    actions.append("%d %s" % (e["frame"], "cut " + e["camera"] if kind == "cut" else kind))
open(sys.argv[3], "w").write("\n".join(actions) + "\n")
