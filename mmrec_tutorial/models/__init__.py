"""Rankers: popularity, content kNN, BPR-MF, LightGCN, a FREEDOM-style item-graph model, deep MF, VBPR-style, SASRec-style, all on one ``Recommender`` interface."""

from .base import Recommender
from .content import ItemContent
from .deep_mf import DeepMF
from .factor import BPRMF, FactorModel
from .freedom import FreedomRanker
from .knn import ContentKNN
from .lightgcn import LightGCN
from .losses import bpr_loss, sampled_softmax_loss
from .popularity import Popularity
from .sasrec import SASRec
from .vbpr import VBPR

__all__ = ["Recommender", "ContentKNN", "LightGCN", "FreedomRanker", "ItemContent", "DeepMF", "BPRMF", "FactorModel", "bpr_loss",
           "sampled_softmax_loss", "Popularity", "SASRec", "VBPR"]
