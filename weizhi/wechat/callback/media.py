"""Pictures that reply rules answer with must live in WeChat as permanent material; a rule's
picture is uploaded by a task after it is saved, and again whenever the picture changes.
Until its media_id is back, the router shows the picture as a card instead."""

import logging

from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from weizhi.core.taskqueue import task
from weizhi.wechat.api.material import add_material
from weizhi.wechat.models import ReplyRule

from .rules import RULES, forget_rules

log = logging.getLogger(__name__)

UPLOAD_RENDITION = "max-1080x1080|format-jpeg"


@receiver(pre_save, sender=ReplyRule)
def _forget_media_of_a_changed_picture(instance: ReplyRule, **kwargs: object) -> None:
    if not instance.pk:
        return
    before = ReplyRule.objects.filter(pk=instance.pk).values_list("image_id", flat=True).first()
    if before != instance.image_id:
        instance.image_media_id = ""


@receiver(post_save, sender=ReplyRule)
def _upload_a_new_picture(instance: ReplyRule, **kwargs: object) -> None:
    is_picture = instance.reply_type == ReplyRule.ReplyType.IMAGE and instance.image_id
    if is_picture and not instance.image_media_id:
        rule_id = instance.pk
        transaction.on_commit(lambda: upload_rule_image.enqueue(rule_id))


@task()
def upload_rule_image(rule_id: int) -> str:
    rule = ReplyRule.objects.select_related("image").filter(pk=rule_id).first()
    if rule is None or rule.image is None:
        return "gone"
    rendition = rule.image.get_rendition(UPLOAD_RENDITION)
    with rendition.file.open("rb") as picture:
        media_id = add_material("image", f"rule-{rule_id}.jpg", picture.read())
    # Only if the rule still shows the same picture: it may have changed while uploading.
    updated = ReplyRule.objects.filter(pk=rule_id, image_id=rule.image_id).update(
        image_media_id=media_id
    )
    if updated:
        forget_rules()
        RULES.bump()
    log.info("rule %s picture uploaded as %s", rule_id, media_id)
    return media_id
