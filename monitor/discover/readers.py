"""Page readers by platform: where a candidate's page is read, with which APIs, built from settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from monitor.enrich.enricher import Enrichment, enrich
from monitor.scoring import page_url

if TYPE_CHECKING:
    from monitor.candidates import Candidate
    from monitor.net.client import HttpClient
    from monitor.settings import Settings


class PageReader(Protocol):
    """Reads the pages of one platform's candidates; never raises for a page that cannot be read."""

    platform: str

    def api_endpoints(self) -> list[str]:
        """Exact API URLs it calls without robots.txt (a documented API, never a public page)."""
        ...

    def page_url(self, candidate: Candidate) -> str | None:
        """Where the candidate's page is read; None when it is not read at all."""
        ...

    async def read(self, client: HttpClient, candidate: Candidate, url: str) -> Enrichment:
        """The page at `url`, read and enriched (walls, contacts, the platform's own API)."""
        ...


class _Reader:
    """A platform's public pages, read politely through the shared client."""

    platform = "web"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def api_endpoints(self) -> list[str]:
        return []

    def page_url(self, candidate: Candidate) -> str | None:
        return page_url(self.platform, candidate.identity, candidate.url, self.settings.sources)

    def options(self) -> dict[str, Any]:
        return {}

    async def read(self, client: HttpClient, candidate: Candidate, url: str) -> Enrichment:
        return await enrich(
            client,
            url,
            self.platform,
            name=candidate.name,
            snippet=" ".join(candidate.snippets[:3]),
            **self.options(),
        )


class WebReader(_Reader):
    platform = "web"


class TelegramReader(_Reader):
    platform = "telegram"


class TiktokReader(_Reader):
    """Profiles as pages; videos through oEmbed, TikTok's published interface for them."""

    platform = "tiktok"

    def api_endpoints(self) -> list[str]:
        url = self.settings.sources.tiktok.oembed_url
        return [url] if url else []

    def options(self) -> dict[str, Any]:
        return {"tiktok_oembed_url": self.settings.sources.tiktok.oembed_url}


class YoutubeReader(_Reader):
    """Channel pages; with an API key, channel metadata from the Data API first."""

    platform = "youtube"

    def api_endpoints(self) -> list[str]:
        youtube = self.settings.sources.youtube
        return [youtube.api_url.rstrip("/") + "/channels"] if youtube.api_url else []

    def options(self) -> dict[str, Any]:
        youtube = self.settings.sources.youtube
        key = youtube.api_key.get_secret_value() if youtube.api_key else None
        return {"youtube_api_key": key, "youtube_api_url": youtube.api_url}


# Platform key (monitor.candidates.PLATFORMS) -> reader. Platforms absent here are never fetched:
# Facebook, Instagram, X and Zalo forbid automated collection and keep their search-result text.
READERS: dict[str, Callable[[Settings], PageReader]] = {
    "telegram": TelegramReader,
    "tiktok": TiktokReader,
    "youtube": YoutubeReader,
    "web": WebReader,
}


def build_readers(settings: Settings) -> dict[str, PageReader]:
    """Every registered page reader, built from the settings."""
    return {platform: factory(settings) for platform, factory in READERS.items()}
