"""YouTube Data API v3 as a discovery source: channels whose names match the brand's names."""

from __future__ import annotations

from monitor.enrich.youtube_api import MAX_RESULTS, parse_channels
from monitor.errors import ParseError
from monitor.queries import Query, name_plan
from monitor.settings import BrandSettings, YoutubeSettings
from monitor.sources.base import Page, SearchSource, error_detail, make_hit

# Each search.list call costs 100 of the 10,000 daily quota units of a default project.
SEARCH_COST = 100


class YoutubeSource(SearchSource[YoutubeSettings]):
    """Channel search (search.list, type=channel); needs MONITOR_SOURCES__YOUTUBE__API_KEY."""

    key = "youtube"
    title = "YouTube Data API"

    @classmethod
    def endpoints(cls, settings: YoutubeSettings) -> list[str]:
        return [settings.api_url.rstrip("/") + "/search"] if settings.api_url else []

    def missing(self) -> str | None:
        if reason := self.missing_key():
            return reason
        if not self.settings.api_url:
            return self.tr("chưa cấu hình api_url", "no api_url configured")
        return None

    def warnings(self) -> list[str]:
        units = self.settings.max_queries * SEARCH_COST
        if units <= 10_000:
            return []
        return [
            self.tr(
                f"max_queries = {self.settings.max_queries} tốn {units} đơn vị hạn mức mỗi lần quét "
                "(mặc định 10.000 đơn vị/ngày)",
                f"max_queries = {self.settings.max_queries} costs {units} quota units per scan "
                "(default quota 10,000 units a day)",
            )
        ]

    def plan(self, brand: BrandSettings) -> list[Query]:
        # Channel search matches names, not site filters: the brand's names as written.
        return name_plan(brand, self.settings.max_queries)

    async def search(self, query: Query) -> Page:
        key = self.settings.api_key.get_secret_value() if self.settings.api_key else ""
        params = {
            "part": "snippet",
            "type": "channel",
            "q": query.text,
            "maxResults": str(MAX_RESULTS),
            "regionCode": "VN",
            "relevanceLanguage": "vi",
            "key": key,
        }
        url = f"{self.settings.api_url.rstrip('/')}/search"
        response = await self.request("GET", url, params=params, headers={"Accept": "application/json"})
        if response.status >= 400:
            self.check_status(response, error_detail(response))
        payload = self.json_body(response)
        try:
            channels = parse_channels(payload)
        except ParseError as exc:
            raise self.unexpected(exc) from exc
        hits = [hit for c in channels if (hit := make_hit(c.title or "", c.url, c.description or ""))]
        return Page(hits, fetched_at=response.fetched_at)
