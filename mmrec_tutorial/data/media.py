"""Synthesis of cover images and audio previews from latent traits, and their file formats.

Images are small RGB PNGs drawn from a style recipe (pattern + palette) with per-item jitter.
Audio previews are mono 16-bit PCM WAV arpeggios whose tempo, chord (major/minor/...) and
waveform (timbre) come from a mood recipe, with noise. Reading helpers live here too, so
the rest of the package never touches raw bytes, and so do the two media rules that the
catalog check (:mod:`.catalog`) and the encoders (:mod:`mmrec_tutorial.encoders`) must agree on:
when a clip is *silent* (:func:`is_silent`: RMS level below :data:`SILENCE_RMS`) and how any
image becomes RGB (:func:`to_rgb`).
"""

from __future__ import annotations

import colorsys
import io
import struct
import warnings
import wave
from pathlib import Path

import numpy as np
from PIL import Image

from .lexicon import MOOD_RECIPES, STYLE_RECIPES

IMAGE_SIZE = 64
SAMPLE_RATE = 8000
CLIP_SECONDS = 1.0
#: A clip whose RMS level stays below this (-80 dBFS; 16-bit PCM steps are 3e-5) is silent.
SILENCE_RMS = 1e-4
#: Decoding limits, checked from the file size and the header before any pixel or sample is
#: decoded, so that one hostile file (a PNG whose header claims 30000 x 30000 pixels) cannot
#: exhaust memory. Covers and previews are far below them.
MAX_MEDIA_BYTES = 64 * 2**20
MAX_IMAGE_PIXELS = 4096 * 4096
MAX_AUDIO_SECONDS = 600.0
MAX_AUDIO_CHANNELS = 8


class MediaLimitError(ValueError):
    """A media file exceeds a decoding limit (file size, pixels, duration, channels); the message
    names the file, the value and the limit."""


def _check_file_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_MEDIA_BYTES:
        raise MediaLimitError(f"{path.name}: {size / 2**20:.1f} MiB, above the {MAX_MEDIA_BYTES / 2**20:.0f} MiB "
                              "limit for one media file")


def _jitter_colour(rgb: tuple[float, float, float], rng: np.random.Generator) -> np.ndarray:
    h, s, v = colorsys.rgb_to_hsv(*rgb)
    h = (h + rng.normal(0, 0.03)) % 1.0
    s = float(np.clip(s + rng.normal(0, 0.06), 0, 1))
    v = float(np.clip(v + rng.normal(0, 0.06), 0, 1))
    return np.array(colorsys.hsv_to_rgb(h, s, v))


def draw_cover(style: str, rng: np.random.Generator, size: int = IMAGE_SIZE) -> np.ndarray:
    """Draw one cover image for ``style``; returns uint8 RGB of shape ``(size, size, 3)``."""
    pattern, palette = STYLE_RECIPES[style]
    colours = [_jitter_colour(c, rng) for c in palette]
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) / size
    freq = rng.uniform(3.0, 6.0)
    phase = rng.uniform(0, 2 * np.pi)
    if pattern == "stripes":
        field = np.sin(2 * np.pi * freq * y + phase)
    elif pattern == "waves":
        field = np.sin(2 * np.pi * freq * y + 2.5 * np.sin(2 * np.pi * 1.5 * x + phase))
    elif pattern == "dots":
        field = np.cos(2 * np.pi * freq * x + phase) * np.cos(2 * np.pi * freq * y + phase)
    elif pattern == "grid":
        gx = np.abs(np.sin(np.pi * freq * x + phase)) < 0.25
        gy = np.abs(np.sin(np.pi * freq * y + phase)) < 0.25
        field = np.where(gx | gy, 1.0, -1.0) * np.where(gx & gy, 0.0, 1.0)
    elif pattern == "rings":
        cx, cy = rng.uniform(0.3, 0.7, size=2)
        field = np.sin(2 * np.pi * freq * np.hypot(x - cx, y - cy) * 1.5 + phase)
    elif pattern == "diagonal":
        field = np.sin(2 * np.pi * freq * (x + y) + phase)
    else:  # pragma: no cover - recipes are fixed
        raise ValueError(f"unknown pattern {pattern!r}")
    # field in [-1, 1] picks between the first two colours; the third is an accent band.
    t = (field + 1) / 2
    img = colours[0][None, None, :] * (1 - t[..., None]) + colours[1][None, None, :] * t[..., None]
    img = np.where((np.abs(field) < 0.12)[..., None], colours[2][None, None, :], img)
    if rng.random() < 0.5:  # a "badge": a plain shape of a random colour, as covers have titles
        r = rng.uniform(0.08, 0.18)
        bx, by = rng.uniform(r, 1 - r, size=2)
        badge = rng.uniform(0, 1, size=3)
        img = np.where((np.hypot(x - bx, y - by) < r)[..., None], badge[None, None, :], img)
    return (np.clip(img, 0, 1) * 255).round().astype(np.uint8)


def _waveform(kind: str, phase: np.ndarray, f0: float, sample_rate: int) -> np.ndarray:
    """Band-limited waveform of the given kind from a phase array (radians)."""
    if kind in ("sine", "vibrato"):
        return np.sin(phase)
    harmonics = range(1, int((sample_rate / 2 * 0.95) // f0) + 1)
    out = np.zeros_like(phase)
    for k in harmonics:
        if kind == "square" and k % 2 == 0:
            continue
        out += np.sin(k * phase) / k
    return out / (1.2 if kind == "square" else 1.8)


def synth_clip(mood: str, rng: np.random.Generator, sample_rate: int = SAMPLE_RATE,
               seconds: float = CLIP_SECONDS) -> np.ndarray:
    """Synthesise one audio preview for ``mood``; returns float32 samples in [-1, 1], shape ``(n,)``."""
    bpm, chord, kind, (lo, hi) = MOOD_RECIPES[mood]
    bpm *= rng.uniform(0.9, 1.1)
    root = int(rng.integers(lo, hi + 1))
    n = int(round(sample_rate * seconds))
    t = np.arange(n) / sample_rate
    beat = 60.0 / bpm
    out = np.zeros(n)
    start, step = rng.uniform(0, beat / 2), 0
    while start < seconds:
        note = root + chord[step % len(chord)]
        f0 = 440.0 * 2 ** ((note - 69) / 12)
        seg = (t >= start) & (t < start + beat)
        tt = t[seg] - start
        phase = 2 * np.pi * f0 * tt
        if kind == "vibrato":
            phase += 0.8 * np.sin(2 * np.pi * 5.5 * tt)
        env = np.minimum(tt / 0.01, 1.0) * np.exp(-tt / (0.45 * beat))
        out[seg] += _waveform(kind, phase, f0, sample_rate) * env
        start += beat
        step += 1
    out += rng.normal(0, rng.uniform(0.01, 0.05), size=n)
    return (out / max(1e-6, np.abs(out).max()) * rng.uniform(0.5, 0.9)).astype(np.float32)


def resample_linear(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Resample by linear interpolation (used only to *write* off-rate files for the lesson)."""
    n_out = int(round(len(samples) * target_rate / source_rate))
    return np.interp(np.arange(n_out) * source_rate / target_rate, np.arange(len(samples)),
                     samples).astype(np.float32)


def write_png(path: Path, pixels: np.ndarray) -> None:
    """Write a uint8 array ``(h, w)``, ``(h, w, 3)`` or ``(h, w, 4)`` as PNG (deterministic bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, format="PNG", optimize=False, compress_level=9)


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """Write float samples in [-1, 1], shape ``(n,)``, as mono 16-bit PCM WAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(samples, -1, 1) * 32767).round().astype("<i2")
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(sample_rate)
        f.writeframes(pcm.tobytes())


class AudioReadError(ValueError):
    """A file is not a readable PCM WAV; the message names the file and the reason."""


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a PCM WAV file (8/16/24/32-bit, up to :data:`MAX_AUDIO_CHANNELS` channels, mixed down
    to mono) into float32 samples in [-1, 1], shape ``(n,)``, and its rate.

    Raises :class:`AudioReadError` (a ``ValueError``) naming the file when it is not a readable PCM
    WAV, and :class:`MediaLimitError` when the header says it is too long, too wide or too big
    (checked before the samples are read).
    """
    path = Path(path)
    try:
        _check_file_size(path)
        with wave.open(str(path), "rb") as f:
            channels, width, rate, frames = f.getnchannels(), f.getsampwidth(), f.getframerate(), f.getnframes()
            if rate <= 0:
                raise AudioReadError(f"{path.name}: the header gives a sampling rate of {rate} Hz")
            if channels > MAX_AUDIO_CHANNELS:
                raise MediaLimitError(f"{path.name}: {channels} channels, above the limit of {MAX_AUDIO_CHANNELS}")
            if frames / rate > MAX_AUDIO_SECONDS:
                raise MediaLimitError(f"{path.name}: {frames / rate:.0f} s long, above the limit of "
                                      f"{MAX_AUDIO_SECONDS:.0f} s")
            raw = f.readframes(frames)
    except (wave.Error, EOFError, OSError, RuntimeError, struct.error) as exc:  # wave's own, for broken chunks
        raise AudioReadError(f"{path.name}: not a readable PCM WAV file ({type(exc).__name__}: {exc})") from exc
    raw = raw[: len(raw) - len(raw) % max(1, width * channels)]  # a truncated file may end mid-frame
    if width == 1:  # 8-bit WAV is unsigned
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 3:  # 24-bit: little-endian 3-byte groups, sign-extended by hand
        b = np.frombuffer(raw[: len(raw) - len(raw) % 3], dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        data = (np.where(ints >= 1 << 23, ints - (1 << 24), ints) / float(1 << 23)).astype(np.float32)
    elif width == 4:
        data = (np.frombuffer(raw, dtype="<i4") / float(1 << 31)).astype(np.float32)
    else:
        raise AudioReadError(f"{Path(path).name}: unsupported sample width of {width} bytes")
    if channels > 1:
        data = data[: len(data) - len(data) % channels].reshape(-1, channels).mean(axis=1)
    return np.ascontiguousarray(data, dtype=np.float32), rate


def rms_level(samples: np.ndarray) -> float:
    """Root-mean-square level of samples ``(n,)`` in [-1, 1], computed in float64 (0.0 when empty)."""
    x = np.asarray(samples, dtype=np.float64)
    return float(np.sqrt(np.mean(x * x))) if x.size else 0.0


def is_silent(samples: np.ndarray, threshold: float = SILENCE_RMS) -> bool:
    """Whether a clip ``(n,)`` carries no sound: empty, or its RMS level (:func:`rms_level`) is
    below ``threshold``.

    The one definition of "silent" in the package: the catalog check masks such clips and the
    audio encoder masks them too. The level, not the peak, decides: a lone click in an otherwise
    empty second is still silence, while quiet but real sound (a -60 dBFS hum) is not.
    """
    return np.asarray(samples).size == 0 or rms_level(samples) < threshold


def has_alpha(mode: str) -> bool:
    """Whether a PIL image mode carries transparency (RGBA, LA, PA and their premultiplied forms)."""
    return mode in ("RGBA", "LA", "PA", "RGBa", "La")


def to_rgb(img: Image.Image) -> Image.Image:
    """Any decoded PIL image as RGB: 16/32-bit grayscale is stretched into 8 bits (when it
    exceeds 255), transparent images (alpha channel, or a palette with a transparent colour)
    are composited on white, everything else is converted by PIL."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        hi = float(arr.max()) if arr.size else 0.0
        scale = 255.0 / hi if hi > 255 else 1.0
        img = Image.fromarray(np.clip(arr * scale, 0, 255).astype(np.uint8))  # mode L
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if has_alpha(img.mode):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def decode_image(path: str | Path) -> tuple[Image.Image, str]:
    """Decode an image file as RGB (:func:`to_rgb`): ``(image, the file's own PIL mode)``.

    The file size and the pixel count in the header are checked against :data:`MAX_MEDIA_BYTES`
    and :data:`MAX_IMAGE_PIXELS` before decoding (:class:`MediaLimitError`; PIL's own
    decompression-bomb checks end the same way). Raises ``ValueError`` naming the file when it
    cannot be decoded.
    """
    path = Path(path)
    try:
        _check_file_size(path)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if img.width * img.height > MAX_IMAGE_PIXELS:
                    raise MediaLimitError(f"{path.name}: {img.width} x {img.height} pixels, above the limit of "
                                          f"{MAX_IMAGE_PIXELS:,} pixels")
                img.load()
                return to_rgb(img), img.mode
    except MediaLimitError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise MediaLimitError(f"{path.name}: refused before decoding as a decompression bomb ({exc})") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"{path.name}: not a readable image ({exc})") from exc


def read_image(path: str | Path) -> np.ndarray:
    """Read an image file as uint8 RGB ``(h, w, 3)`` (:func:`decode_image`: converted, bounded).

    Raises ``ValueError`` naming the file when it cannot be decoded (:class:`MediaLimitError`
    when it is too large to decode).
    """
    return np.asarray(decode_image(path)[0])


def png_bytes(pixels: np.ndarray) -> bytes:
    """PNG-encode ``pixels`` in memory (for tests and notebooks)."""
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return buf.getvalue()
