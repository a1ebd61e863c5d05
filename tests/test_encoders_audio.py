"""Audio: WAV reading, band-limited resampling (checked against scipy), bad files and the one
definition of silence, log-mel / MFCC front end (checked against a numpy reference), the GRU
and CNN encoders, and seeded self-supervised training."""

from __future__ import annotations

import dataclasses
import math
import wave

import numpy as np
import pytest
import torch

from mmrec_tutorial.encoders import (AudioEncoder, CNNAudioEncoder, GRUAudioEncoder, LogMelSpectrogram,
                                     MFCCStats, SSLConfig, load_clips, mel_filterbank, nt_xent_loss, read_wav,
                                     resample)
from mmrec_tutorial.data.media import SILENCE_RMS, is_silent, rms_level
from mmrec_tutorial.encoders.audio_features import dct_matrix, hz_to_mel, mel_to_hz
from mmrec_tutorial.encoders.audio_ssl import augment_views

SR = 8000


pytestmark = pytest.mark.usefixtures("one_thread")



def write_wav(path, samples: np.ndarray, rate: int = SR, width: int = 2, channels: int = 1) -> None:
    x = np.clip(samples, -1, 1)
    if channels > 1:
        x = np.repeat(x[:, None], channels, axis=1).reshape(-1)
    if width == 1:
        raw = (x * 127 + 128).round().astype(np.uint8).tobytes()
    elif width == 2:
        raw = (x * 32767).round().astype("<i2").tobytes()
    elif width == 3:
        ints = (x * (2**23 - 1)).round().astype("<i4")
        raw = b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints)
    else:
        raw = (x * (2**31 - 1)).round().astype("<i4").tobytes()
    with wave.open(str(path), "wb") as f:
        f.setnchannels(channels)
        f.setsampwidth(width)
        f.setframerate(rate)
        f.writeframes(raw)


def tone(freq: float, seconds: float = 1.0, rate: int = SR, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_read_wav_all_pcm_widths_and_stereo(tmp_path, width):
    x = tone(440.0, 0.1)
    path = tmp_path / f"w{width}.wav"
    write_wav(path, x, width=width, channels=2)
    data, rate = read_wav(path)
    assert rate == SR and data.dtype == np.float32 and data.shape == x.shape
    assert np.abs(data - x).max() < (0.02 if width == 1 else 1e-3)


def _peak_hz(y: torch.Tensor, rate: int) -> tuple[float, float]:
    y = y[200:-200]
    spec = torch.fft.rfft(y * torch.hann_window(len(y))).abs()
    freqs = torch.fft.rfftfreq(len(y), 1 / rate)
    return float(freqs[spec.argmax()]), float(y.pow(2).mean().sqrt())


def test_resample_keeps_tones_below_nyquist():
    y = resample(torch.from_numpy(tone(1000.0, rate=16000)), 16000, 8000)
    assert y.shape == (8000,)
    peak, rms = _peak_hz(y, 8000)
    assert abs(peak - 1000.0) < 2 and abs(rms - 0.5 / math.sqrt(2)) < 0.01
    t = torch.arange(8000) / 8000
    assert (y[100:-100] - 0.5 * torch.sin(2 * math.pi * 1000 * t[100:-100])).abs().max() < 2e-3


def test_resample_removes_what_would_alias():
    """A 6 kHz tone cannot exist at 8 kHz: linear interpolation folds it to 2 kHz, we remove it."""
    x = tone(6000.0, rate=16000)
    y = resample(torch.from_numpy(x), 16000, 8000)
    assert _peak_hz(y, 8000)[1] < 0.005
    naive = torch.from_numpy(np.interp(np.arange(8000) * 2.0, np.arange(16000), x).astype(np.float32))
    assert _peak_hz(naive, 8000)[1] > 0.1  # what a naive method would let through


def test_resample_odd_ratio_and_batch_shape():
    x = torch.from_numpy(np.stack([tone(440.0, rate=22050), tone(880.0, rate=22050)]))
    y = resample(x, 22050, 8000)
    assert y.shape == (2, 8000)
    assert abs(_peak_hz(y[0], 8000)[0] - 440) < 2 and abs(_peak_hz(y[1], 8000)[0] - 880) < 2
    assert torch.equal(resample(x, 8000, 8000), x)


@pytest.mark.parametrize("orig, new", [(16000, 8000), (22050, 8000), (8000, 16000), (44100, 16000)])
def test_resample_reproduces_the_band_limited_signal(orig, new):
    """Twelve random tones below 75 % of the lower Nyquist frequency, sampled at ``orig``,
    resampled to ``new``: the result is the same continuous signal sampled at ``new`` (computed
    analytically), within 2e-3 (signal peak about 0.7) away from the first and last 20 ms."""
    rng = np.random.default_rng(orig + new)
    freqs, phases = rng.uniform(50, 0.75 * min(orig, new) / 2, 12), rng.uniform(0, 2 * np.pi, 12)

    def signal(rate: int) -> np.ndarray:
        t = np.arange(rate) / rate
        return sum(0.08 * np.sin(2 * np.pi * f * t + p) for f, p in zip(freqs, phases))

    ours = resample(torch.from_numpy(signal(orig).astype(np.float32)), orig, new).double().numpy()
    expected = signal(new)
    assert ours.shape == expected.shape
    edge = int(0.02 * new)
    assert np.abs(ours[edge:-edge] - expected[edge:-edge]).max() < 2e-3


def test_silence_is_the_rms_level():
    assert is_silent(np.zeros(SR)) and is_silent(np.zeros(0, np.float32))
    click = np.zeros(SR, np.float32)
    click[100] = 0.005  # peak far above 1e-4, level 5.6e-5: nothing to hear
    assert rms_level(click) < SILENCE_RMS and is_silent(click)
    hum = tone(50.0, amp=1e-3)  # -63 dBFS: quiet, but sound
    assert not is_silent(hum) and abs(rms_level(hum) - 1e-3 / math.sqrt(2)) < 1e-6


def test_catalog_check_and_encoder_agree_on_silence(tmp_path):
    from mmrec_tutorial.data.catalog import check_audio

    click = np.zeros(SR)
    click[100] = 0.005
    clips = {"zeros": np.zeros(SR), "click": click, "hum": tone(50.0, amp=1e-3),
             "hiss": np.random.default_rng(1).normal(0, 5e-5, SR), "music": tone(300.0)}
    paths = []
    for name, x in clips.items():
        paths.append(tmp_path / f"{name}.wav")
        write_wav(paths[-1], x)
    _, mask, problems = load_clips(paths, SR, 1.0, item_ids=list(clips))
    encoder_silent = {p.item_id for p in problems if p.kind == "silent"}
    catalog_silent = {name for name, path in zip(clips, paths) if (check_audio(path) or ("",))[0] == "silent-audio"}
    assert encoder_silent == catalog_silent == {"zeros", "click", "hiss"}
    assert mask.tolist() == [False, False, True, False, True]


def test_load_clips_handles_every_bad_case(tmp_path):
    rng = np.random.default_rng(0)
    files = {}
    files["ok"] = tmp_path / "ok.wav"
    write_wav(files["ok"], tone(300.0))
    files["hi_rate"] = tmp_path / "hi.wav"
    write_wav(files["hi_rate"], tone(300.0, rate=16000), rate=16000)
    files["silent"] = tmp_path / "silent.wav"
    write_wav(files["silent"], np.zeros(SR))
    files["short"] = tmp_path / "short.wav"
    write_wav(files["short"], tone(300.0, 0.5))
    files["long"] = tmp_path / "long.wav"
    write_wav(files["long"], rng.uniform(-0.5, 0.5, 2 * SR))
    files["garbage"] = tmp_path / "garbage.wav"
    files["garbage"].write_bytes(b"RIFF....WAVEfmt nonsense")
    files["empty"] = tmp_path / "empty.wav"
    write_wav(files["empty"], np.zeros(0))
    order = ["ok", "hi_rate", "silent", "short", "garbage", "long", "empty"]
    paths = [files[k] for k in order] + [None, tmp_path / "absent.wav"]
    waves, mask, problems = load_clips(paths, SR, 1.0, item_ids=[f"a{i}" for i in range(len(paths))])
    assert waves.shape == (9, SR) and waves.dtype == torch.float32
    assert mask.tolist() == [True, True, False, True, False, True, False, False, False]
    kinds = {(p.item_id, p.kind, p.masked) for p in problems}
    assert kinds == {("a1", "resampled", False), ("a2", "silent", True), ("a3", "length", False),
                     ("a4", "unreadable", True), ("a5", "length", False), ("a6", "unreadable", True),
                     ("a7", "missing", True), ("a8", "missing", True)}
    assert torch.allclose(waves[1, 50:-50], waves[0, 50:-50], atol=3e-3), "16 kHz resampled to the same 8 kHz tone"
    assert waves[3, SR // 2 + 10:].abs().max() == 0, "short clip zero-padded at the end"
    assert torch.equal(waves[~mask], torch.zeros(int((~mask).sum()), SR))


def test_mel_filterbank_and_dct():
    fb = mel_filterbank(257, 40, SR)
    assert fb.shape == (257, 40) and fb.min() >= 0 and fb.max() <= 1
    centres = fb.argmax(dim=0)
    assert (centres[1:] >= centres[:-1]).all() and (fb.sum(dim=0) > 0).all()
    widths = (fb > 0).sum(dim=0)
    assert widths[-1] > widths[5], "mel filters widen with frequency"
    d = dct_matrix(20, 40)
    assert torch.allclose(d.T @ d, torch.eye(20), atol=1e-5)


def _htk_filterbank(n_fft: int, n_mels: int, rate: int, f_min: float, f_max: float) -> np.ndarray:
    """Triangular filters from the HTK mel formula, one filter and one rFFT bin at a time."""
    to_mel = lambda hz: 2595.0 * math.log10(1.0 + hz / 700.0)  # noqa: E731
    edges = [700.0 * (10.0 ** (m / 2595.0) - 1.0) for m in np.linspace(to_mel(f_min), to_mel(f_max), n_mels + 2)]
    fb = np.zeros((n_fft // 2 + 1, n_mels))
    for m in range(n_mels):
        lo, centre, hi = edges[m], edges[m + 1], edges[m + 2]
        for k in range(n_fft // 2 + 1):
            f = k * rate / n_fft
            fb[k, m] = (f - lo) / (centre - lo) if lo < f <= centre else (hi - f) / (hi - centre) if centre < f < hi else 0.0
    return fb


def _numpy_log_mel(x: np.ndarray, n_fft: int = 512, hop: int = 160, n_mels: int = 40, f_min: float = 30.0,
                   rate: int = SR) -> np.ndarray:
    """``(samples,)`` -> ``(n_mels, samples // hop + 1)``: zero-padded centred frames, periodic Hann
    window, ``np.fft.rfft``, power, the filters above, ``log(x + 1e-6)``; all in float64."""
    padded = np.pad(x.astype(np.float64), n_fft // 2)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    frames = np.stack([padded[t * hop:t * hop + n_fft] * window for t in range(len(x) // hop + 1)])
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2  # (frames, n_fft // 2 + 1)
    return np.log(power @ _htk_filterbank(n_fft, n_mels, rate, f_min, rate / 2) + 1e-6).T


def test_log_mel_matches_an_independent_numpy_reference():
    """``mel_filterbank`` within 1e-5 of the HTK formula evaluated bin by bin, and
    ``LogMelSpectrogram`` (float32 torch) within 1e-4 in log units of a float64 numpy framing +
    rFFT wherever the reference mel power exceeds 1e-3 (below, float32 rounding of the largest
    bins dominates; there the powers still agree to 1e-5 of the clip's largest mel power)."""
    assert abs(float(hz_to_mel(torch.tensor(1000.0))) - 1000.0) < 0.05  # HTK: 1000 Hz is about 1000 mel
    assert abs(float(mel_to_hz(hz_to_mel(torch.tensor(3210.0)))) - 3210.0) < 1e-2
    fb = mel_filterbank(257, 40, SR, 30.0).double().numpy()
    assert np.abs(fb - _htk_filterbank(512, 40, SR, 30.0, SR / 2)).max() < 1e-5
    t = np.arange(SR) / SR
    clips = np.stack([tone(440.0), np.random.default_rng(0).uniform(-0.5, 0.5, SR),
                      0.3 * np.sign(np.sin(2 * np.pi * 220 * t)) * np.exp(-3 * t), np.zeros(SR)]).astype(np.float32)
    ours = LogMelSpectrogram(SR)(torch.from_numpy(clips)).double().numpy()
    for clip, got in zip(clips, ours):
        reference = _numpy_log_mel(clip)
        assert got.shape == reference.shape == (40, SR // 160 + 1)
        loud = reference > math.log(1e-3)
        assert np.abs(got - reference)[loud].max(initial=0.0) < 1e-4
        power, ref_power = np.exp(got) - 1e-6, np.exp(reference) - 1e-6
        assert np.abs(power - ref_power).max() <= 1e-5 * max(ref_power.max(), 1e-6)


def test_log_mel_puts_a_tone_in_the_right_band():
    front = LogMelSpectrogram(SR)
    x = torch.from_numpy(np.stack([tone(250.0), tone(2000.0)]))
    spec = front(x)
    assert spec.shape == (2, 40, SR // 160 + 1)
    bands = spec.mean(dim=2).argmax(dim=1)
    fb = mel_filterbank(257, 40, SR, 30.0)
    freqs = torch.linspace(0, SR / 2, 257)
    centre_hz = freqs[fb.argmax(dim=0)]
    assert abs(float(centre_hz[bands[0]]) - 250) < 40 and abs(float(centre_hz[bands[1]]) - 2000) < 150
    stats = MFCCStats(20)(spec)
    assert stats.shape == (2, 40) and not torch.allclose(stats[0], stats[1])


@pytest.mark.parametrize("cls", [GRUAudioEncoder, CNNAudioEncoder])
def test_learned_encoders_shapes_and_variable_length(cls):
    torch.manual_seed(0)
    net = cls(n_mels=40, d_out=32).eval()
    for frames in (36, 51):
        out = net(torch.randn(3, 40, frames))
        assert out.shape == (3, 32) and torch.isfinite(out).all()


def test_nt_xent_loss_rewards_matching_views():
    torch.manual_seed(0)
    z = torch.randn(16, 8)
    matched = nt_xent_loss(z, z + 0.01 * torch.randn(16, 8))
    shuffled = nt_xent_loss(z, z[torch.randperm(16)])
    assert matched < 0.5 < shuffled
    same = torch.ones(4, 8)
    assert torch.isclose(nt_xent_loss(same, same), torch.tensor(math.log(7.0)), atol=1e-5)


def test_augment_views_are_seeded_and_sized():
    x = torch.from_numpy(np.stack([tone(300.0), tone(600.0)]))
    cfg = SSLConfig()
    a = augment_views(x, SR, cfg, torch.Generator().manual_seed(1))
    b = augment_views(x, SR, cfg, torch.Generator().manual_seed(1))
    c = augment_views(x, SR, cfg, torch.Generator().manual_seed(2))
    assert a.shape == (2, int(cfg.crop_seconds * SR)) and torch.equal(a, b) and not torch.equal(a, c)


def _varied_clips(n: int, seed: int = 0) -> torch.Tensor:
    """``(n, SR)`` one-second note trains, each with its own tempo, pitch, timbre and decay."""
    rng = np.random.default_rng(seed)
    t = np.arange(SR) / SR
    clips = []
    for _ in range(n):
        beat = 60 / rng.uniform(60, 180)
        phase = 2 * np.pi * rng.uniform(150, 800) * t
        square = rng.uniform(0, 1)
        env = np.exp(-((t - rng.uniform(0, beat)) % beat) / (rng.uniform(0.2, 0.6) * beat))
        x = ((1 - square) * np.sin(phase) + square * 0.6 * np.sign(np.sin(phase))) * env
        x += rng.normal(0, 0.02, SR)
        clips.append(x / np.abs(x).max() * rng.uniform(0.3, 0.9))
    return torch.tensor(np.stack(clips), dtype=torch.float32)


def _view_retrieval(enc: AudioEncoder, waves: torch.Tensor) -> float:
    """Share of clips whose held-out augmented view finds its partner view first (cosine)."""
    gen = torch.Generator().manual_seed(99)  # views the training never saw
    v1, v2 = augment_views(waves, SR, enc.ssl, gen), augment_views(waves, SR, enc.ssl, gen)
    a = torch.nn.functional.normalize(enc.embed(v1), dim=1)
    b = torch.nn.functional.normalize(enc.embed(v2), dim=1)
    return float(((a @ b.T).argmax(dim=1) == torch.arange(len(waves))).float().mean())


@pytest.mark.parametrize("kind", ["gru", "cnn"])
def test_self_supervised_training_is_seeded_and_learns(kind):
    waves = _varied_clips(48)
    cfg = SSLConfig(epochs=8, batch_size=16, seed=3)
    enc_a = AudioEncoder(kind, device="cpu", dim=32, hidden=32, ssl=cfg)
    losses = enc_a.fit(waves, progress=False)
    enc_b = AudioEncoder(kind, device="cpu", dim=32, hidden=32, ssl=cfg)
    enc_b.fit(waves, progress=False)
    za = enc_a.embed(waves)
    assert za.shape == (48, 32) and torch.equal(za, enc_b.embed(waves)), "same seed, same clips -> same encoder"
    assert len(losses) == 8 and losses[-1] < losses[0] - 0.5
    assert losses[-1] < math.log(2 * 16 - 1) - 1.0, "far better than random vectors"
    # Against the same network left untrained (same seed, so the same initial weights): training
    # must make two unseen augmentations of a clip recognise each other more often.
    untrained = AudioEncoder(kind, device="cpu", dim=32, hidden=32, ssl=dataclasses.replace(cfg, epochs=0))
    untrained.fit(waves, progress=False)
    assert _view_retrieval(enc_a, waves) >= _view_retrieval(untrained, waves) + 0.1
    other = AudioEncoder(kind, device="cpu", dim=32, hidden=32, ssl=dataclasses.replace(cfg, seed=4))
    other.fit(waves, progress=False)
    assert not torch.equal(other.embed(waves), za), "the seed matters"


def test_encode_trains_once_then_reuses(tmp_path):
    waves = _varied_clips(12)
    paths = []
    for k, x in enumerate(waves.numpy()):
        paths.append(tmp_path / f"c{k}.wav")
        write_wav(paths[-1], x)
    enc = AudioEncoder("gru", device="cpu", dim=16, hidden=16, ssl=SSLConfig(epochs=2, batch_size=8))
    first = enc.encode(paths + [None], progress=False)
    assert first.features.shape == (13, 16) and first.mask.tolist() == [True] * 12 + [False]
    assert first.info["trained_on_clips"] == 12 and len(first.info["ssl_losses"]) == 2
    again = enc.encode(paths, progress=False)
    assert again.info["trained_on_clips"] is None and torch.allclose(again.features, first.features[:12])
    mfcc = AudioEncoder("mfcc", device="cpu").encode(paths, progress=False)
    assert mfcc.features.shape == (12, 40) and mfcc.info["ssl_losses"] == []


def test_untrained_baseline_and_bad_kind():
    waves = _varied_clips(8)
    enc = AudioEncoder("gru", device="cpu", dim=16, hidden=16, ssl=SSLConfig(epochs=0, batch_size=8))
    before = {k: v.clone() for k, v in enc.net.state_dict().items() if "running" not in k and "num_batches" not in k}
    assert enc.fit(waves, progress=False) == []
    after = enc.net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before), "epochs=0 keeps the random weights"
    assert not torch.equal(after["input_norm.running_mean"], torch.zeros(40)), "but measures BatchNorm stats"
    with pytest.raises(ValueError, match="kind"):
        AudioEncoder("transformer")
    with pytest.raises(ValueError, match="at least 2"):
        AudioEncoder("gru", device="cpu").encode([None], progress=False)
