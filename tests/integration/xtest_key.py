#!/usr/bin/env python3
"""xtest_key.py KEY X Y [DELAY_S]...: press KEY (an X keysym name, e.g. t) as a real keyboard would, through the X
server's XTEST extension (libXtst via ctypes: no onetake code), with the pointer at X Y (no window manager: the
window under the pointer has the focus). One press per DELAY_S, each that many seconds after the previous one.
For test_autotrans.sh: the multiview's real-key path (input "key"), which --ui-script's pushed events do not take."""
import ctypes
import ctypes.util
import sys
import time


def main():
    key, x, y = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    delays = [float(d) for d in sys.argv[4:]] or [0]
    xlib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    xtst = ctypes.CDLL(ctypes.util.find_library("Xtst") or "libXtst.so.6")
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XStringToKeysym.restype = ctypes.c_ulong
    xlib.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
    xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_ulong]
    xlib.XFlush.argtypes = [ctypes.c_void_p]
    dpy = xlib.XOpenDisplay(None)
    if not dpy:
        sys.exit("xtest_key: cannot open the X display ($DISPLAY)")
    code = xlib.XKeysymToKeycode(dpy, xlib.XStringToKeysym(key.encode()))
    if not code:
        sys.exit("xtest_key: no keycode for %r" % key)
    for d in delays:
        time.sleep(d)
        xtst.XTestFakeMotionEvent(dpy, -1, x, y, 0)
        xtst.XTestFakeKeyEvent(dpy, code, 1, 0)
        xlib.XFlush(dpy)
        time.sleep(0.05)  # held 50 ms, as a finger does: press and release at once read as a key repeat
        xtst.XTestFakeKeyEvent(dpy, code, 0, 0)
        xlib.XFlush(dpy)
    print("xtest_key: pressed %s %d time(s)" % (key, len(delays)))


if __name__ == "__main__":
    main()
