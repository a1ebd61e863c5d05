import pytest
import torch

from mmrec_tutorial.device import autocast_dtype, describe_device, is_quick, pick_device, seed_everything


def test_pick_device_prefers_what_is_available(monkeypatch):
    monkeypatch.delenv("MMREC_DEVICE", raising=False)
    device = pick_device()
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert device.type == expected
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device("auto").type == expected


def test_env_override_and_clear_error(monkeypatch):
    monkeypatch.setenv("MMREC_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            pick_device("cuda")


def test_seed_everything_repeats_numbers():
    g1 = seed_everything(123)
    a = (torch.randn(4), torch.randint(0, 100, (3,), generator=g1))
    g2 = seed_everything(123)
    b = (torch.randn(4), torch.randint(0, 100, (3,), generator=g2))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    seed_everything(124)
    assert not torch.equal(torch.randn(4), a[0])


def test_autocast_dtype_by_device():
    assert autocast_dtype("cpu") is None
    assert autocast_dtype("mps") == torch.float16
    assert describe_device("cpu").startswith("cpu")


@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("0", False), ("no", False)])
def test_is_quick_reads_environment(monkeypatch, value, expected):
    monkeypatch.setenv("MMREC_QUICK", value)
    assert is_quick() is expected
    monkeypatch.delenv("MMREC_QUICK")
    assert is_quick(default=True) is True
