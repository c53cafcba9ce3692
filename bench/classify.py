#!/usr/bin/env python3
"""Which camera is on each program frame: every bench camera carries a solid colour patch in its top-left corner
(make-inputs.sh). Reads the program through ffmpeg (the patch averaged to one RGB pixel per frame) and prints the
frame indices where the camera changes, as JSON: {"frames": N, "cuts": [[frame, cam], ...]}."""
import json
import subprocess
import sys

# Must match make-inputs.sh.
COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255), (0, 255, 255)]


def main():
    path = sys.argv[1]
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", path, "-vf", "crop=24:24:12:12,scale=1:1,format=rgb24", "-f", "rawvideo",
         "-"], check=True, capture_output=True).stdout
    cuts, prev = [], None
    for i in range(len(raw) // 3):
        px = raw[3 * i:3 * i + 3]
        cam = min(range(len(COLOURS)), key=lambda c: sum((px[k] - COLOURS[c][k]) ** 2 for k in range(3)))
        if cam != prev:
            cuts.append([i, cam])
            prev = cam
    json.dump({"frames": len(raw) // 3, "cuts": cuts}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
