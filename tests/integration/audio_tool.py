#!/usr/bin/python3
"""Program audio checks for test_audio.sh, with numpy on what ffmpeg decodes (never the product's own numbers).

  tone OUT.wav BITS SECONDS FREQ:DBFS[:PHASE_DEG]...  a 48 kHz WAV, one sine per channel (BITS 16 or 24; DBFS
                                                     the sine's amplitude), rounded to BITS, no dither
  peak WAV                                           the WAV's sample peak, dBFS
  steps OUT.wav FREQ DBFS:SECONDS...                 a stereo 24-bit WAV of one sine whose level steps
  sync FILE FPS TOL [MIN]                            in FILE (ffmpeg's decode: its video's luma, its first audio
                                                     track): every flash frame (mean luma > 128) has a click
                                                     (|sample| > 0.5 FS) starting within TOL samples of the frame's
                                                     time, and every click a flash (within the pictures'
                                                     time); at least MIN flashes
  pcm FILE STREAM OUT.s32                            ffmpeg's decode of audio stream STREAM (0:a:N) as s32le
  same WAV PCM BITS                                  the decoded program (s32) carries the WAV's samples exactly
                                                     (a 24-bit sample x is x << 8, a 16-bit one x << 16), from the
                                                     take's first sample for as long as the WAV lasts
  tone-level PCM CHANNEL FREQ                        level (dBFS of the sine's amplitude) of the FFT bin at FREQ,
                                                     and the strongest bin's frequency: "LEVEL PEAK_HZ"
  low-bits PCM                                       how many decoded samples have nonzero low 16 bits
"""
import subprocess
import sys
import wave

import numpy as np

RATE = 48000


def tone(out, bits, seconds, *specs):
    bits, n = int(bits), int(float(seconds) * RATE)
    t = np.arange(n) / RATE
    full = float(1 << (bits - 1))
    chans = []
    for spec in specs:
        freq, dbfs, phase = ([float(v) for v in spec.split(":")] + [0.0])[:3]
        x = np.round(full * 10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t + np.radians(phase)))
        chans.append(np.clip(x, -full, full - 1).astype(np.int64))
    inter = np.stack(chans, axis=1).reshape(-1)
    width = bits // 8
    raw = inter.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :width].tobytes()
    with wave.open(out, "wb") as w:
        w.setnchannels(len(chans))
        w.setsampwidth(width)
        w.setframerate(RATE)
        w.writeframes(raw)


def read_wav(path):
    with wave.open(path, "rb") as w:
        width, ch, raw = w.getsampwidth(), w.getnchannels(), w.readframes(w.getnframes())
    b = np.frombuffer(raw, np.uint8).reshape(-1, width)
    v = np.zeros(len(b), np.int64)
    for i in range(width):
        v |= b[:, i].astype(np.int64) << (8 * i)
    sign = 1 << (8 * width - 1)
    v = (v ^ sign) - sign
    return v.reshape(-1, ch), width * 8


def read_pcm(path, channels=2):
    return np.fromfile(path, "<i4").astype(np.int64).reshape(-1, channels)


def pcm(path, stream, out):
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", path, "-map", "0:a:%s" % stream, "-f", "s32le",
                    "-acodec", "pcm_s32le", out], check=True)


def same(wav, pcm_path, bits):
    src, _ = read_wav(wav)
    got = read_pcm(pcm_path, src.shape[1])
    n = min(len(src), len(got))
    if n < RATE:
        sys.exit("only %d samples to compare" % n)
    want = src[:n] << (32 - int(bits))
    bad = np.nonzero(np.any(got[:n] != want, axis=1))[0]
    if len(bad):
        i = bad[0]
        sys.exit("%d of %d samples differ, the first at %d: %s, want %s" % (len(bad), n, i, got[i], want[i]))
    print("%d samples identical" % n)


def tone_level(pcm_path, channel, freq):
    x = read_pcm(pcm_path)[:, int(channel)].astype(np.float64) / 2.0 ** 31
    n = (len(x) // RATE) * RATE  # whole seconds: 1 Hz bins, the tone on a bin
    x = x[RATE // 2 : n - RATE // 2] if n > 2 * RATE else x[:n]
    win = np.hanning(len(x))
    spec = np.abs(np.fft.rfft(x * win)) * 2 / win.sum()
    hz = np.fft.rfftfreq(len(x), 1 / RATE)
    k = int(np.argmin(np.abs(hz - float(freq))))
    level = spec[max(k - 2, 0) : k + 3].max()
    print("%.2f %.1f" % (20 * np.log10(max(level, 1e-20)), hz[int(np.argmax(spec[1:])) + 1]))


def steps(out, freq, *specs):
    parts = []
    for spec in specs:
        dbfs, seconds = (float(v) for v in spec.split(":"))
        parts.append(np.full(int(seconds * RATE), 10 ** (dbfs / 20)))
    amp = np.concatenate(parts)
    x = np.round(amp * np.sin(2 * np.pi * float(freq) * np.arange(len(amp)) / RATE) * (1 << 23)).astype("<i4")
    raw = np.stack([x, x], axis=1).reshape(-1).view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(3)
        w.setframerate(RATE)
        w.writeframes(raw)


def onsets(x, threshold):
    """First sample of each click: above threshold after at least 1/10 s below it."""
    hot = np.nonzero(np.abs(x) > threshold)[0]
    if len(hot) == 0:
        return hot
    keep = np.concatenate(([True], np.diff(hot) > RATE // 10))
    return hot[keep]


def decode(path, args):
    return subprocess.run(["ffmpeg", "-v", "error", "-i", path] + args + ["-"], check=True,
                          capture_output=True).stdout


def probe(path, stream, entries):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", stream, "-show_entries", "stream=" + entries,
                          "-of", "csv=p=0", path], check=True, capture_output=True, text=True).stdout
    return [int(v) for v in out.strip().split(",")]


def sync(path, fps, tol, minimum=1):
    num, den = (int(v) for v in (fps.split("/") + ["1"])[:2])
    tol = int(tol)
    w, h = probe(path, "v:0", "width,height")
    video = decode(path, ["-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "gray"])
    luma = np.frombuffer(video, np.uint8).reshape(-1, h * w).mean(axis=1)
    flashes = np.nonzero(luma > 128)[0]
    end = len(luma) * RATE * den // num  # the pictures' end: audio after it (a copy ISO's last packet) has none
    (chans,) = probe(path, "a:0", "channels")
    # An audio stream that starts late (a copy ISO keeps the camera's timing) is padded from take time 0.
    audio = decode(path, ["-map", "0:a:0", "-af", "aresample=async=1:first_pts=0", "-f", "s32le", "-acodec",
                          "pcm_s32le"])
    x = np.frombuffer(audio, "<i4").reshape(-1, chans)[:, 0].astype(np.float64) / 2.0 ** 31
    clicks = onsets(x, 0.5)
    want = flashes * RATE * den // num  # the flash frame's time, in samples
    worst = 0
    for f, s in zip(flashes, want):
        if len(clicks) == 0:
            sys.exit("flash at frame %d: no click at all in the audio" % f)
        d = int(clicks[np.argmin(np.abs(clicks - s))] - s)
        if abs(d) > tol:
            sys.exit("flash at frame %d (sample %d): the nearest click is %d samples away (> %d)" % (f, s, d, tol))
        worst = max(worst, abs(d))
    for c in clicks[clicks < end - tol]:
        if len(want) == 0 or np.min(np.abs(want - c)) > tol:
            sys.exit("click at sample %d (%.3f s): no flash frame within %d samples" % (c, c / RATE, tol))
    if len(flashes) < int(minimum):
        sys.exit("only %d flashes (want at least %s)" % (len(flashes), minimum))
    print("%d flashes, %d clicks, worst offset %d samples, over %.1f s" % (len(flashes), len(clicks), worst,
                                                                          len(x) / RATE))


def peak(wav):
    src, bits = read_wav(wav)
    print("%.2f" % (20 * np.log10(np.abs(src).max() / float(1 << (bits - 1)))))


def low_bits(pcm_path):
    print(int(np.count_nonzero(read_pcm(pcm_path) & 0xFFFF)))


if __name__ == "__main__":
    cmds = {"tone": tone, "pcm": pcm, "same": same, "tone-level": tone_level, "low-bits": low_bits, "peak": peak,
            "steps": steps, "sync": sync}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
