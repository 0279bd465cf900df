"""Node settings carry their meaning and unit."""

from __future__ import annotations


def test_every_feed_api_and_pipeline_setting_is_described() -> None:
    """`seawatch settings` and the docs read these descriptions (units after the last comma)."""
    from seawatch.node.settings import ApiSettings, FeedSettings, PipelineSettings

    for model in (FeedSettings, ApiSettings, PipelineSettings):
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name} has no description"
    assert ApiSettings.model_fields["session_ttl_s"].description.endswith(", s")  # type: ignore[union-attr]
