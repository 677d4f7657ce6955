from django.db import models


class Category(models.Model):
    name = models.CharField("类别", max_length=40, unique=True)
    screened = models.BooleanField(
        "参与筛查",
        default=True,
        help_text="不勾选时，这一类别的词不参与筛查（例如公开词库里的“政治人物”类）。",
    )
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "敏感词类别"
        verbose_name_plural = "敏感词类别"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Lexicon(models.Model):
    name = models.CharField("词库名称", max_length=80, unique=True)
    active = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "敏感词库"
        verbose_name_plural = "敏感词库"
        ordering = ["name"]
        permissions = [("import_terms", "可以导入敏感词")]

    def __str__(self) -> str:
        return self.name


class Term(models.Model):
    lexicon = models.ForeignKey(
        Lexicon, verbose_name="词库", on_delete=models.CASCADE, related_name="terms"
    )
    text = models.CharField("词", max_length=64)
    category = models.ForeignKey(
        Category, verbose_name="类别", on_delete=models.PROTECT, related_name="terms"
    )

    class Meta:
        verbose_name = "敏感词"
        verbose_name_plural = "敏感词"
        ordering = ["lexicon", "text"]
        constraints = [
            models.UniqueConstraint(fields=["lexicon", "text"], name="screen_term_once_per_lexicon")
        ]

    def __str__(self) -> str:
        return self.text


class AllowedPhrase(models.Model):
    """A phrase that contains a listed term but is fine; it applies to every lexicon, on top of
    the shipped default allow-list (weizhi/screen/default_allow.txt)."""

    text = models.CharField("短语", max_length=64, unique=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "白名单短语"
        verbose_name_plural = "白名单短语"
        ordering = ["text"]

    def __str__(self) -> str:
        return self.text
