from django.db import models


class RateCounter(models.Model):
    """One window of one rate limit, counted in the database so that every web process
    shares it (embedded mode has no Redis); see weizhi/core/ratelimit.py."""

    name = models.CharField(max_length=255, primary_key=True)
    hits = models.IntegerField()
    # Unix time after which the window is over and the row may be pruned.
    expires = models.BigIntegerField(db_index=True)

    class Meta:
        verbose_name = "频率计数"
        verbose_name_plural = "频率计数"
