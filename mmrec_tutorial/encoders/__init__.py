"""Per-modality encoders: raw items -> ``(n_items, d_m)`` float32 tensors + ``(n_items,)`` masks.

* :class:`TextEncoder`: BERT-family transformer, masked mean pooling (offline all-MiniLM-L6-v2).
* :class:`ImageEncoder`: frozen ImageNet CNN, pooled features (offline EfficientNet-Lite0 or a
  torchvision backbone); :class:`TinyImageCNN` to train end to end.
* :class:`AudioEncoder`: log-mel front end in pure torch, then a GRU or CNN trained
  self-supervised on the clips, or MFCC statistics.
* :func:`encode_catalog`: all of them over a catalog table, cached on disk, as
  :class:`ItemFeatures`; :class:`ProjectionHead` maps each modality to a shared size.

Every encoder reports per-item problems (:class:`ItemProblem`) instead of crashing on missing,
corrupt, silent, off-rate, grayscale or transparent inputs. Heavy libraries (transformers,
torchvision) are imported only when an encoder is built, so loading from the cache is fast.
"""

from .audio import AUDIO_KINDS, AudioEncoder
from .audio_features import LogMelSpectrogram, MFCCStats, mel_filterbank, mfcc
from .audio_io import load_clips, read_wav, resample
from .audio_models import CNNAudioEncoder, GRUAudioEncoder
from .audio_ssl import SSLConfig, nt_xent_loss, train_ssl
from .base import (FILL_STRATEGIES, EncodedModality, ItemProblem, ModelUnavailableError, ProjectionHead,
                   fill_missing)
from .cache import EmbeddingCache, default_cache_dir
from .catalog import MODALITIES, ItemFeatures, encode_catalog, item_texts
from .image import DEFAULT_IMAGE_BACKBONE, ImageEncoder, TinyImageCNN, images_to_tensor, load_pixels
from .image_io import load_image, load_images
from .text import DEFAULT_TEXT_MODEL, TextEncoder, default_text_model_path

__all__ = [
    "AUDIO_KINDS", "DEFAULT_IMAGE_BACKBONE", "DEFAULT_TEXT_MODEL", "FILL_STRATEGIES", "MODALITIES",
    "AudioEncoder", "CNNAudioEncoder", "EmbeddingCache", "EncodedModality", "GRUAudioEncoder", "ImageEncoder",
    "ItemFeatures", "ItemProblem", "LogMelSpectrogram", "MFCCStats", "ModelUnavailableError", "ProjectionHead",
    "SSLConfig", "TextEncoder", "TinyImageCNN", "default_cache_dir", "default_text_model_path",
    "encode_catalog", "fill_missing", "images_to_tensor", "item_texts", "load_clips", "load_image",
    "load_images", "load_pixels", "mel_filterbank", "mfcc", "nt_xent_loss", "read_wav", "resample", "train_ssl",
]
