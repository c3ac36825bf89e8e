"""Typed settings: the only reader of config files and MONITOR_* environment variables.

`monitor.toml` says how to run, `brands.toml` (beside it unless `brands_file` says otherwise)
says what to watch; which files are read and where relative paths point is monitor.locations.
Any setting of `monitor.toml` can be overridden by an environment variable
`MONITOR_<SECTION>__<KEY>` (double underscores for nesting); values starting with `[` or `{`
are read as JSON. Secrets (`api_key`, `password`) are accepted only from the environment.
Values that would fail later (unknown time zones, endless intervals, non-http URLs, bad ports,
addresses or domains) are refused here, naming the file or variable and the key.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from monitor.diff import Verdict
from monitor.env import ENV_PREFIX, RESERVED_ENV
from monitor.errors import ConfigError
from monitor.i18n import LANGUAGES, Language, tr
from monitor.locations import anchored_path, anchored_url, data_home, find_config, is_packaged
from monitor.redact import mask_urls_in, secrets_in
from monitor.setting_types import (
    FILE_CONTEXT,
    DatabaseUrl,
    DomainName,
    EmailAddress,
    EndpointUrl,
    HttpUrl,
    ProxyUrl,
    TimeZoneName,
)

# Apprise URLs and Zalo tokens carry credentials too: like keys, read only from the environment.
SECRET_FIELDS = frozenset(
    {"api_key", "password", "secret_key", "urls", "brand_urls", "access_token", "refresh_token", "app_secret"}
)

M = TypeVar("M", bound=BaseModel)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
# Second-scale intervals serve tests and demos; longer than a month overflows the scheduler's clock.
MIN_INTERVAL = 1.0
MAX_INTERVAL = 31 * 86400.0


def parse_duration(text: str) -> float:
    """Seconds in a duration such as "6h", "30m", "5s" or "1d"."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration like '6h', '30m' or '5s': {text!r}")
    seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ValueError("a duration must be longer than zero")
    return seconds


def check_interval(text: str) -> str:
    """A scan interval: a duration from one second to 31 days."""
    seconds = parse_duration(text)
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise ValueError(f"{text!r} is out of range: use 1s to 31d")
    return text


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def secret_values(self) -> frozenset[str]:
        """Every secret this section holds: keys and passwords, and passwords and tokens inside URLs."""
        return secrets_in(self)


class DatabaseSettings(_Model):
    url: DatabaseUrl = "sqlite:///data/monitor.db"
    echo: bool = False


class HttpSettings(_Model):
    user_agent: str = "impersonation-monitor/{version} (+{contact_url})"
    contact_url: HttpUrl = "https://binhduong.baohiemxahoi.gov.vn"
    timeout: float = Field(20.0, gt=0)
    connect_timeout: float = Field(10.0, gt=0)
    max_concurrency: int = Field(8, ge=1)
    per_host_concurrency: int = Field(2, ge=1)
    per_host_min_interval: float = Field(1.0, ge=0)
    max_retries: int = Field(3, ge=0)
    backoff_base: float = Field(1.0, ge=0)
    backoff_max: float = Field(60.0, ge=0)
    max_retry_after: float = Field(300.0, ge=0)
    breaker_threshold: int = Field(5, ge=1)
    breaker_cooldown: float = Field(900.0, ge=0)
    max_response_bytes: int = Field(5_000_000, ge=1024)
    max_redirects: int = Field(5, ge=0)
    proxy: ProxyUrl | None = None
    allow_private_networks: bool = False
    respect_robots: bool = True
    robots_exempt_hosts: list[str] = Field(default_factory=list)


class SourceSettings(_Model):
    """What every source has; `enabled = None` means "on when it has what it needs"."""

    enabled: bool | None = None
    url: EndpointUrl = ""
    max_queries: int = Field(20, ge=0)


class KeyedSourceSettings(SourceSettings):
    """A source that needs an API key (from the environment only)."""

    api_key: SecretStr | None = None


class BraveSettings(KeyedSourceSettings):
    url: EndpointUrl = "https://api.search.brave.com/res/v1/web/search"
    count: int = Field(20, ge=1, le=20)
    max_pages: int = Field(2, ge=1, le=10)


class SearxngSettings(SourceSettings):
    url: EndpointUrl = ""
    max_pages: int = Field(1, ge=1)


class DuckDuckGoSettings(SourceSettings):
    enabled: bool | None = True
    url: EndpointUrl = "https://html.duckduckgo.com/html/"
    max_queries: int = Field(12, ge=0)
    max_pages: int = Field(1, ge=1)


class GoogleCseSettings(KeyedSourceSettings):
    url: EndpointUrl = "https://www.googleapis.com/customsearch/v1"
    cx: str | None = None
    max_pages: int = Field(2, ge=1, le=10)


class TelegramSettings(SourceSettings):
    enabled: bool | None = True
    url: EndpointUrl = "https://t.me"


class TiktokSettings(SourceSettings):
    enabled: bool | None = True
    url: EndpointUrl = "https://www.tiktok.com"
    oembed_url: EndpointUrl = "https://www.tiktok.com/oembed"


class YoutubeSettings(KeyedSourceSettings):
    """Channel pages (public, no key) and, with an API key, channel search as a discovery source."""

    enabled: bool | None = True
    url: EndpointUrl = "https://www.youtube.com"
    api_url: EndpointUrl = "https://www.googleapis.com/youtube/v3"
    # search.list costs 100 of a project's 10,000 daily quota units.
    max_queries: int = Field(10, ge=0)


class WebSettings(SourceSettings):
    enabled: bool | None = True


class DomainsSettings(SourceSettings):
    enabled: bool | None = True
    nameservers: list[str] = Field(default_factory=list)
    concurrency: int = Field(50, ge=1)
    timeout: float = Field(3.0, gt=0)
    tlds: list[str] = Field(
        default_factory=lambda: [
            "vn",
            "com.vn",
            "net.vn",
            "com",
            "net",
            "org",
            "info",
            "online",
            "top",
            "xyz",
            "site",
        ]
    )
    max_names: int = Field(8000, ge=1)


class CrtshSettings(SourceSettings):
    enabled: bool | None = True
    url: EndpointUrl = "https://crt.sh/"
    max_queries: int = Field(6, ge=0)


class TipSettings(SourceSettings):
    """Officers' tips (`monitor tips add`, the console): read again every scan."""

    enabled: bool | None = True


class KnownSettings(SourceSettings):
    """The re-check of known findings' pages that no other source returned this scan."""

    enabled: bool | None = True


class SourcesSettings(_Model):
    brave: BraveSettings = BraveSettings()
    searxng: SearxngSettings = SearxngSettings()
    duckduckgo: DuckDuckGoSettings = DuckDuckGoSettings()
    google_cse: GoogleCseSettings = GoogleCseSettings()
    telegram: TelegramSettings = TelegramSettings()
    tiktok: TiktokSettings = TiktokSettings()
    youtube: YoutubeSettings = YoutubeSettings()
    web: WebSettings = WebSettings()
    domains: DomainsSettings = DomainsSettings()
    crtsh: CrtshSettings = CrtshSettings()
    tip: TipSettings = TipSettings()
    known: KnownSettings = KnownSettings()


class EmailSettings(_Model):
    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: EmailAddress | None = None
    recipients: list[EmailAddress] = Field(default_factory=list)
    timeout: float = Field(30.0, gt=0)
    language: Language = "vi"


class WebhookSettings(_Model):
    url: HttpUrl | None = None
    timeout: float = Field(10.0, gt=0)


class AppriseSettings(_Model):
    """Apprise URLs (Telegram, Teams, Slack, Matrix, SMS gateways…): they hold tokens, so environment only."""

    urls: list[SecretStr] = Field(default_factory=list)
    # {"<brand slug>": ["tgram://…"]}: a brand listed here gets its alerts only at its own URLs.
    brand_urls: dict[str, list[SecretStr]] = Field(default_factory=dict)
    # Telegram groups take about 20 messages a minute: more due than this go as one combined message.
    per_minute: int = Field(20, ge=1)
    timeout: float = Field(15.0, gt=0)


class ZaloSettings(_Model):
    """A Zalo Official Account: messages to followers by user id; tokens only from the environment."""

    api_url: EndpointUrl = "https://openapi.zalo.me"
    oauth_url: EndpointUrl = "https://oauth.zaloapp.com"
    app_id: str | None = None
    app_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    refresh_token: SecretStr | None = None
    # Followers of the OA who receive alerts (their user ids for this OA).
    user_ids: list[str] = Field(default_factory=list)
    per_minute: int = Field(20, ge=1)
    timeout: float = Field(10.0, gt=0)
    # A token is renewed this long before it expires.
    refresh_before_seconds: int = Field(600, ge=0)


class AlertSettings(_Model):
    """Instant alerts: which verdicts alert, and the channels (e-mail per [email], webhook, Apprise, Zalo)."""

    verdicts: list[Verdict] = Field(default_factory=lambda: list[Verdict](["impersonation"]))
    email: bool = True
    webhook: WebhookSettings = WebhookSettings()
    apprise: AppriseSettings = AppriseSettings()
    zalo: ZaloSettings = ZaloSettings()
    # A failed delivery waits this long, doubled after each further failure (at most 6 hours).
    retry_after_seconds: float = Field(60.0, ge=0)


class DigestSettings(_Model):
    send_empty: bool = True
    still_live_days: int = Field(7, ge=1)
    max_items_per_section: int = Field(100, ge=1)


class ScheduleSettings(_Model):
    scan_every: str = "6h"
    digest_at: str = "07:30"
    timezone: TimeZoneName = "Asia/Ho_Chi_Minh"
    jitter_seconds: int = Field(60, ge=0)
    misfire_grace_seconds: int = Field(900, ge=1)
    # Docker and systemd kill 10–15 s after SIGTERM: the wait must end well before that.
    shutdown_wait_seconds: float = Field(6.0, ge=0, le=8)
    lease_seconds: float = Field(120.0, ge=1)
    sources: dict[str, str] = Field(default_factory=dict)

    @field_validator("scan_every")
    @classmethod
    def _check_every(cls, value: str) -> str:
        return check_interval(value)

    @field_validator("sources")
    @classmethod
    def _check_source_every(cls, value: dict[str, str]) -> dict[str, str]:
        from monitor.discover.registry import registered_keys  # it imports the settings

        unknown = set(value) - set(registered_keys())
        if unknown:
            raise ValueError(f"unknown source(s): {', '.join(sorted(unknown))}")
        for every in value.values():
            check_interval(every)
        return value

    @field_validator("digest_at")
    @classmethod
    def _check_at(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"not a time of day like '07:30': {value!r}") from exc
        return value

    @property
    def scan_every_seconds(self) -> float:
        return parse_duration(self.scan_every)


QueueBackend = Literal["inline", "procrastinate"]


class QueueSettings(_Model):
    """Where scans run: in this process (inline) or as jobs on procrastinate over PostgreSQL."""

    backend: QueueBackend = "inline"
    # The scheduler looks for due work this often; procrastinate defers each tick once.
    tick_seconds: int = Field(30, ge=1, le=3600)
    # A job that raised is tried again this many times, waiting retry_wait_seconds x 2^attempt.
    job_retries: int = Field(5, ge=0, le=50)
    retry_wait_seconds: float = Field(10.0, ge=0)
    # Workers beat this often; one silent for stall_seconds is dead and its jobs run again.
    heartbeat_seconds: float = Field(5.0, gt=0)
    stall_seconds: float = Field(30.0, ge=1)
    # Jobs one worker runs at once.
    concurrency: int = Field(4, ge=1, le=64)
    # After SIGTERM a worker lets its jobs finish this long, then gives them back.
    shutdown_wait_seconds: float = Field(6.0, ge=0, le=8)
    # Polling when no notification arrives (LISTEN/NOTIFY does the rest).
    poll_seconds: float = Field(2.0, gt=0)


class LifecycleSettings(_Model):
    gone_after_misses: int = Field(3, ge=1)
    source_error_after: int = Field(3, ge=1)


class EvidenceSettings(_Model):
    dir: Path = Path("data/evidence")
    display_timezone: TimeZoneName = "Asia/Ho_Chi_Minh"


ChannelKind = Literal["authority", "platform", "registrar", "netcraft", "safe_browsing"]


class Authority(_Model):
    """A channel that takes reports of a fake: an authority, a platform's form, Netcraft, a registrar."""

    name: str
    # Short name used on the command line (`--to pa05`); derived from the name when absent.
    key: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    kind: ChannelKind = "authority"
    phone: str | None = None
    email: EmailAddress | None = None
    # The office's web page, or the report form of a platform.
    url: HttpUrl | None = None
    # Postal address, printed on letters.
    address: str | None = None
    # Platforms (finding.platform) a platform channel handles; empty means every platform.
    platforms: list[str] = Field(default_factory=list)


class LetterSettings(_Model):
    """The office's letterhead and signature on letters to the authorities (Decree 30/2020/NĐ-CP)."""

    # The governing body above the office, then the office itself, in capitals on the letterhead.
    parent_agency: str = ""
    agency: str = ""
    # "Số: …/<symbol>": the number is left blank for the office's clerk.
    symbol: str = ""
    place: str = ""
    signer_title: str = ""
    signer_name: str = ""
    # "Nơi nhận:" lines besides the addressee ("Như trên;" comes first by itself).
    recipients: list[str] = Field(default_factory=list)
    # A .docx (or a folder of its parts) whose word/document.xml is a Jinja2 template; the packaged one
    # when empty.
    template: Path | None = None


class LegitimateLookalike(_Model):
    """A real organisation whose name resembles the brand: never a finding."""

    name: str
    domains: list[DomainName] = Field(default_factory=list)
    handles: list[str] = Field(default_factory=list)


class BrandAlerts(_Model):
    """Where one brand's alerts go: its own channels and recipients instead of the shared ones."""

    # Alert channel keys (email, webhook, apprise, zalo); empty: every configured channel.
    channels: list[str] = Field(default_factory=list)
    # When set, this brand's alert e-mails go only to these addresses.
    email_recipients: list[EmailAddress] = Field(default_factory=list)
    # When set, this brand's Zalo alerts go only to these followers.
    zalo_user_ids: list[str] = Field(default_factory=list)


class BrandSettings(_Model):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    names: list[str] = Field(default_factory=list)
    later_names: list[str] = Field(default_factory=list)
    organization_terms: list[str] = Field(min_length=1)
    location_terms: list[str] = Field(default_factory=list)
    sub_units: list[str] = Field(default_factory=list)
    official_domains: list[DomainName] = Field(default_factory=list)
    official_handles: list[str] = Field(default_factory=list)
    owns_social_accounts: bool = False
    hotlines: list[str] = Field(default_factory=list)
    scam_phrases: list[str] = Field(default_factory=list)
    search_phrases: list[str] = Field(default_factory=list)
    logo_files: list[Path] = Field(default_factory=list)
    legitimate: list[LegitimateLookalike] = Field(default_factory=list)
    authorities: list[Authority] = Field(default_factory=list)
    # Report channels that are not authorities: platform forms, Netcraft, the registrar's abuse desk.
    channels: list[Authority] = Field(default_factory=list)
    letter: LetterSettings = LetterSettings()
    alerts: BrandAlerts = BrandAlerts()

    @property
    def all_names(self) -> list[str]:
        """The official name first, then every other name of the brand, without repeats."""
        return list(dict.fromkeys([self.name, *self.names, *self.later_names]))


class BrandsFile(_Model):
    brands: list[BrandSettings] = Field(min_length=1)

    @field_validator("brands")
    @classmethod
    def _unique_slugs(cls, value: list[BrandSettings]) -> list[BrandSettings]:
        slugs = [brand.slug for brand in value]
        duplicated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if duplicated:
            raise ValueError(f"duplicate slug(s): {', '.join(duplicated)}")
        return value


class NetcraftSettings(_Model):
    """Netcraft's report API (free): the key, when there is one, only from the environment."""

    url: EndpointUrl = "https://report.netcraft.com/api/v3"
    api_key: SecretStr | None = None
    # The address Netcraft writes back to about a report.
    email: EmailAddress | None = None
    timeout: float = Field(20.0, gt=0)


class ReportSettings(_Model):
    """Reports of fakes: Netcraft, abuse contacts through RDAP, and when to follow a report up."""

    netcraft: NetcraftSettings = NetcraftSettings()
    rdap_bootstrap_url: EndpointUrl = "https://data.iana.org/rdap/dns.json"
    rdap_timeout: float = Field(15.0, gt=0)
    follow_up_days: int = Field(7, ge=1)


class ConsoleSettings(_Model):
    """The officers' web console (`monitor web`); its session key only from MONITOR_WEB__SECRET_KEY."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    # The address officers open (https behind a reverse proxy); alerts link to findings under it.
    public_url: HttpUrl | None = None
    # Unset: a key is generated once and kept in web-secret.key beside the evidence folder (mode 0600).
    secret_key: SecretStr | None = None
    session_hours: float = Field(12.0, gt=0, le=720)
    # Proxies whose X-Forwarded-For/-Proto are believed (the TLS reverse proxy in front).
    forwarded_allow_ips: str = "127.0.0.1"


class ScreenshotSettings(_Model):
    """PNG screenshots of public pages by headless Chromium (absent: skipped with a note)."""

    enabled: bool = True
    # A path or a command name; unset: `chromium` (then `chromium-browser`) on PATH.
    chromium: str | None = None
    timeout: float = Field(45.0, ge=5, le=600)
    # Bytes relayed for one page, all its resources included.
    max_bytes: int = Field(25_000_000, ge=100_000)
    max_requests: int = Field(300, ge=1)
    max_image_bytes: int = Field(10_000_000, ge=10_000)
    window_width: int = Field(1280, ge=320, le=3840)
    window_height: int = Field(1600, ge=240, le=8000)
    refresh_hours: float = Field(24.0, ge=0)
    concurrency: int = Field(1, ge=1, le=2)


class RunSettings(_Model):
    """Everything in monitor.toml."""

    brands_file: Path = Path("brands.toml")
    database: DatabaseSettings = DatabaseSettings()
    http: HttpSettings = HttpSettings()
    sources: SourcesSettings = SourcesSettings()
    email: EmailSettings = EmailSettings()
    alerts: AlertSettings = AlertSettings()
    digest: DigestSettings = DigestSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    lifecycle: LifecycleSettings = LifecycleSettings()
    evidence: EvidenceSettings = EvidenceSettings()
    web: ConsoleSettings = ConsoleSettings()
    reports: ReportSettings = ReportSettings()
    screenshots: ScreenshotSettings = ScreenshotSettings()
    queue: QueueSettings = QueueSettings()


class Settings(RunSettings):
    """The effective configuration: monitor.toml + environment + brands.toml."""

    config_path: Path
    brands: list[BrandSettings]
    # The folder relative paths of the config file were resolved against (monitor.locations).
    home: Path = Path()
    packaged: bool = False

    def brand(self, slug: str) -> BrandSettings:
        for brand in self.brands:
            if brand.slug == slug:
                return brand
        known = ", ".join(b.slug for b in self.brands)
        raise ConfigError(str(self.brands_path), "brands", f"no brand {slug!r} (known: {known})")

    @property
    def brands_path(self) -> Path:
        return self.config_path.parent / self.brands_file

    def masked(self) -> dict[str, Any]:
        """The effective settings as JSON-ready data: secrets, URL passwords and URL tokens masked."""
        masked: dict[str, Any] = mask_urls_in(self.model_dump(mode="json"))
        return masked


def load_settings(config: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, merge and validate the configuration; raise ConfigError naming file and key."""
    env = os.environ if environ is None else environ
    path = find_config(config, env)
    _check_language(env)
    data = _read_toml(path)
    _refuse_file_secrets(data, path)
    overrides = _env_overrides(env)
    for keys, (variable, value) in overrides.items():
        _set_nested(data, keys, value, variable)
    run = _validate(RunSettings, data, str(path), overrides)
    _check_queue(run, str(path), overrides)
    brands_path = path.parent / run.brands_file
    brands = _validate(BrandsFile, _read_toml(brands_path), str(brands_path), {})
    _check_logo_support(brands.brands, brands_path)
    home = data_home(path, env)
    run = _anchor(run, home, overrides)
    return Settings(
        **dict(run), config_path=path, brands=brands.brands, home=home, packaged=is_packaged(path)
    )


def _anchor(
    run: RunSettings, home: Path, overrides: Mapping[tuple[str, ...], tuple[str, Any]]
) -> RunSettings:
    """Relative paths written in the file point into `home`; those from the environment stay as given."""

    def from_env(keys: tuple[str, ...]) -> bool:
        return any(keys[: len(key)] == key for key in overrides)

    database, evidence = run.database, run.evidence
    if not from_env(("database", "url")):
        database = database.model_copy(update={"url": anchored_url(database.url, home)})
    if not from_env(("evidence", "dir")):
        evidence = evidence.model_copy(update={"dir": anchored_path(evidence.dir, home)})
    return run.model_copy(update={"database": database, "evidence": evidence})


def _check_queue(run: RunSettings, where: str, overrides: Mapping[tuple[str, ...], tuple[str, Any]]) -> None:
    """The job queue lives in PostgreSQL: refused with the embedded SQLite database."""
    if run.queue.backend == "procrastinate" and not run.database.url.startswith("postgresql"):
        source = overrides.get(("queue", "backend"))
        raise ConfigError(
            source[0] if source else where,
            "queue.backend",
            tr(
                "hàng đợi 'procrastinate' cần cơ sở dữ liệu PostgreSQL ([database] url = "
                '"postgresql+psycopg://..."); với SQLite hãy dùng backend = "inline"',
                "the 'procrastinate' queue needs a PostgreSQL database ([database] url = "
                '"postgresql+psycopg://..."); with SQLite use backend = "inline"',
            ),
        )


def _check_logo_support(brands: list[BrandSettings], brands_path: Path) -> None:
    """Logo files need Pillow (the `images` extra); refuse them up front rather than mid-scan."""
    listed = [index for index, brand in enumerate(brands) if brand.logo_files]
    if not listed or importlib.util.find_spec("PIL") is not None:
        return
    raise ConfigError(
        str(brands_path),
        f"brands[{listed[0]}].logo_files",
        tr(
            "việc so logo cần thư viện Pillow: cài `pip install '.[images]'` (bản Docker đã có sẵn)",
            "the logo signal needs Pillow: install `pip install '.[images]'` (the Docker image has it)",
        ),
    )


def _check_language(env: Mapping[str, str]) -> None:
    variable = ENV_PREFIX + "LANG"
    value = env.get(variable)
    if value and value.strip().lower() not in LANGUAGES:
        raise ConfigError(variable, None, f"unsupported language {value[:20]!r} (use vi or en)")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigError(
            str(path),
            None,
            "file not found (use --config or MONITOR_CONFIG, or write one with `monitor init`)",
        ) from exc
    except OSError as exc:
        raise ConfigError(str(path), None, f"cannot read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), None, f"invalid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), None, "not UTF-8 text") from exc


def _refuse_file_secrets(data: Mapping[str, Any], path: Path, prefix: tuple[str, ...] = ()) -> None:
    for key, value in data.items():
        keys = (*prefix, key)
        if isinstance(value, Mapping) and key not in SECRET_FIELDS:
            _refuse_file_secrets(value, path, keys)
        elif key in SECRET_FIELDS:
            variable = ENV_PREFIX + "__".join(k.upper() for k in keys)
            raise ConfigError(
                str(path), ".".join(keys), f"secrets are read only from the environment: set {variable}"
            )


def _env_overrides(env: Mapping[str, str]) -> dict[tuple[str, ...], tuple[str, Any]]:
    overrides: dict[tuple[str, ...], tuple[str, Any]] = {}
    for variable, raw in env.items():
        if not variable.startswith(ENV_PREFIX):
            continue
        name = variable[len(ENV_PREFIX) :]
        if name in RESERVED_ENV:
            continue
        keys = tuple(part.lower() for part in name.split("__"))
        if not all(keys):
            raise ConfigError(variable, None, "empty key in variable name (use single words joined by '__')")
        value: Any = raw
        if raw.lstrip().startswith(("[", "{")):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ConfigError(variable, ".".join(keys), f"not valid JSON: {exc.msg}") from exc
        overrides[keys] = (variable, value)
    return overrides


def _set_nested(data: dict[str, Any], keys: tuple[str, ...], value: Any, variable: str) -> None:
    node = data
    for depth, key in enumerate(keys[:-1]):
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(variable, ".".join(keys[: depth + 1]), "is not a section")
        node = child
    node[keys[-1]] = value


def _validate(
    model: type[M],
    data: dict[str, Any],
    where: str,
    overrides: Mapping[tuple[str, ...], tuple[str, Any]],
) -> M:
    try:
        return model.model_validate(data, context=FILE_CONTEXT)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        loc = tuple(str(part) for part in first["loc"])
        source = where
        for keys, (variable, _) in overrides.items():
            if loc[: len(keys)] == keys or keys[: len(loc)] == loc:
                source = variable
                break
        key = _dotted(loc)
        message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more problem(s))"
        raise ConfigError(source, key or None, message) from None


def _dotted(loc: tuple[str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out
