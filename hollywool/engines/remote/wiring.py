"""Builds the remote providers, the LLM service and bulk batches onto a studio (one call from Studio)."""

from __future__ import annotations

from hollywool.bulk.service import BulkService
from hollywool.engines.remote.directory import ProviderDirectory
from hollywool.engines.remote.job import RemoteEngine
from hollywool.integrations.llm.service import LlmService


def attach_remote(studio) -> None:  # noqa: ANN001 - hollywool.studio.Studio (imported lazily by it)
    services = studio.settings.services
    studio.remote = RemoteEngine(
        data_dir=studio.settings.data_dir,
        services=services,
        db=studio.db,
        preferences=studio.preferences,
        references=studio.image_engine.references,  # input images: the same checks and store as local jobs
    )
    studio.remote.register(studio.kinds, studio.add_network_lane)
    studio.llm = LlmService(
        studio.remote.keys,
        studio.remote.configs,
        studio.preferences,
        {"anthropic": services.anthropic, "openai_compatible": services.llm},
    )
    studio.providers = ProviderDirectory(studio.remote, studio.llm)
    studio.bulk = BulkService(studio.jobs, studio.remote, studio.remote.ledger, studio.sessions, studio.assets)
    studio.bulk.register(studio.kinds, studio.add_network_lane("bulk", 64))
