"""Events other apps listen to (e.g. a congratulation touch when a VIP level goes up).

``tier_changed`` is sent once per scoring run, after its transaction commits, with
``sender=ScoringRun``, ``run`` (the :class:`~segmentation.models.ScoringRun`) and ``changes``
(a queryset of that run's :class:`~segmentation.models.TierChange` rows; filter it, e.g.
``changes.filter(field="vip_level", direction="up")``, and iterate with ``.iterator()``).
One signal per run rather than per customer keeps a nightly run over a million customers
set-based.
"""

from django.dispatch import Signal

tier_changed = Signal()
