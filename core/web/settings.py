"""`[core.web]` in site.toml: trusted reverse proxies and who may frame the site's pages."""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict, Field, field_validator


class WebSettings(BaseModel):
    """`[core.web]` in site.toml."""

    model_config = ConfigDict(extra="forbid")

    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (e.g. 127.0.0.1, 10.0.0.0/8) of reverse proxies whose "
                    "X-Forwarded-Proto is believed; cookies are then marked Secure when it says https")
    frame_ancestors: list[str] = Field(
        default_factory=list,
        description="Other origins allowed to show this site's pages in a frame (e.g. a county portal, "
                    "https://www.example.gov.cn); by default only the site itself may")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value.strip(), strict=False)
            except ValueError:
                raise ValueError(f"not an IP address or network: {value!r}") from None
        return values

    @field_validator("frame_ancestors")
    @classmethod
    def _origins(cls, values: list[str]) -> list[str]:
        for value in values:
            if not value.startswith(("https://", "http://")) or any(c in value for c in " ;,'\""):
                raise ValueError(f"not an origin such as https://portal.example.gov.cn: {value!r}")
        return values
