"""Cross-modal learning: contrastive (InfoNCE) alignment of modalities, cross-modal retrieval,
bidirectional cross-attention between a user's history and a candidate's modalities (c_uv),
and the δ-mix :math:`z_u' = \\delta z_u + (1-\\delta) c_{uv}`.

- :mod:`.contrastive`: ``cross_modal_info_nce``, ``LogitScale`` (bounded learnable temperature), pairwise loss
- :mod:`.alignment`: projection heads into a shared space, ``fit_alignment``
- :mod:`.retrieval`: text→image / text→audio retrieval metrics, least-squares baseline
- :mod:`.attention`: ``BidirectionalCrossAttention``, ``DeltaMix``, ``masked_softmax`` (from :mod:`mmrec_tutorial.fusion`)
- :mod:`.missing`: ``borrow_missing`` (fill a missing token from the aligned others),
  ``borrow_by_retrieval`` (stand-in features of the nearest items in the aligned space),
  ``evaluate_on_items`` (ranking metrics on the test interactions of some items)
"""

from .alignment import AlignmentConfig, AlignmentModel, AlignmentResult, fit_alignment
from .attention import BidirectionalCrossAttention, CrossAttentionOutput, DeltaMix, delta_mix, masked_softmax
from .contrastive import LogitScale, cross_modal_info_nce, modality_pairs, pairwise_alignment_loss, similarity_matrix
from .missing import borrow_by_retrieval, borrow_missing, evaluate_on_items
from .retrieval import least_squares_baseline, least_squares_map, retrieval_metrics, retrieval_table

__all__ = ["AlignmentConfig", "AlignmentModel", "AlignmentResult", "fit_alignment", "BidirectionalCrossAttention",
           "CrossAttentionOutput", "DeltaMix", "delta_mix", "masked_softmax", "LogitScale", "cross_modal_info_nce",
           "modality_pairs", "pairwise_alignment_loss", "similarity_matrix", "borrow_missing", "borrow_by_retrieval", "evaluate_on_items",
           "least_squares_baseline", "least_squares_map", "retrieval_metrics", "retrieval_table"]
