"""The outbound app's doors for the rest of weizhi (see publishing.py and followers.py)."""

from .publishing import on_mass_send_finished, on_publish_job_finished, publish_to_wechat

__all__ = ["on_mass_send_finished", "on_publish_job_finished", "publish_to_wechat"]
