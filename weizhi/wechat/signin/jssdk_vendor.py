"""WeChat's JS-SDK (jweixin), fetched from the npm registry at install time: never committed,
never loaded from res.wx.qq.com, since the product runs on intranets.

`make deps` runs this (``python -m weizhi.wechat.signin.jssdk_vendor``). It downloads the pinned
version of the npm package weixin-js-sdk, refuses a tarball whose sha512 differs from the pin,
and writes the SDK into a git-ignored static directory. NPM_CONFIG_REGISTRY (npm's own
setting) points it at an intranet mirror; NPM_CONFIG_OFFLINE=true (npm's too) skips it. When
the fetch fails it warns and exits 0: setup goes on, and pages simply do not set WeChat's
share card. A failed fetch is not tried again from the same registry for an hour, so that
`make run` and `make test` on a machine without the registry do not wait for it each time;
another registry, or `--retry`, tries at once.

Standard library only (no Django, no Node), so that it runs before anything else is set up.
"""

import argparse
import base64
import contextlib
import hashlib
import io
import os
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

PACKAGE = "weixin-js-sdk"
VERSION = "1.6.5"
INTEGRITY = "sha512-Gph1WAWB2YN/lMOFB/ymb+hbU/wYazzJgu6PMMktCy9cSCeW5wA6Zwt0dpahJbJ+RJEwtTv2x9iIu0U4enuVSQ=="  # noqa: E501 - npm's dist.integrity
DEFAULT_REGISTRY = "https://registry.npmjs.org"
VENDOR_DIR = Path(__file__).resolve().parent.parent / "static" / "wechat" / "vendor"
FILE_NAME = "jweixin.js"
STATIC_PATH = "wechat/vendor/" + FILE_NAME  # as {% static %} names it
TIMEOUT = 10.0
RETRY_AFTER = 3600.0  # seconds before a failed registry is asked again
FAILED_MARK = ".failed"  # in dest: the registry that failed, and when (a dotfile: not collected)
MAX_BYTES = 2 * 1024 * 1024  # the tarball is about 10 kB


class FetchError(Exception):
    pass


def registry() -> str:
    # npm reads its settings from the environment in either case.
    for name in ("NPM_CONFIG_REGISTRY", "npm_config_registry"):
        if os.environ.get(name, "").strip():
            return os.environ[name].strip().rstrip("/")
    return DEFAULT_REGISTRY


def tarball_url(base: str, version: str = VERSION) -> str:
    """Where every npm registry and mirror keeps a version's tarball."""
    return f"{base.rstrip('/')}/{PACKAGE}/-/{PACKAGE}-{version}.tgz"


def check_integrity(data: bytes, integrity: str) -> None:
    """npm's Subresource Integrity string: sha512-<base64 digest>."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise FetchError(f"unsupported integrity {integrity!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise FetchError(f"integrity mismatch: expected {integrity}, got sha512-{actual}")


def offline() -> bool:
    # As npm reads it: from the environment, in either case.
    names = ("NPM_CONFIG_OFFLINE", "npm_config_offline")
    return any(os.environ.get(n, "").strip().lower() in {"true", "1", "yes"} for n in names)


def failed_recently(dest: Path, base: str, now: float) -> float | None:
    """Seconds since the last fetch from `base` into dest failed, if under RETRY_AFTER."""
    try:
        registry_line, when = (dest / FAILED_MARK).read_text().splitlines()[:2]
        age = now - float(when)
    except (OSError, ValueError):
        return None
    return age if registry_line == base and 0 <= age < RETRY_AFTER else None


def header(version: str, integrity: str) -> bytes:
    return f"/* {PACKAGE}@{version} {integrity} (npm registry, MIT licence) */\n".encode()


def browser_script(module_js: bytes, version: str, integrity: str) -> bytes:
    """The package's index.js is a CommonJS module (module.exports = wx) that, unlike
    WeChat's own jweixin file, sets no global; a plain <script> gives it a module and puts
    what it exports where jweixin would: window.wx."""
    return (
        header(version, integrity)
        + b"(function (module) {\n"
        + module_js
        + b"\n;if (module.exports && module.exports.config)"
        + b" window.wx = window.jWeixin = module.exports;"
        + b"\n})({ exports: {} });\n"
    )


def _member(archive: tarfile.TarFile, name: str) -> bytes:
    member = archive.getmember(name)
    if not member.isfile():
        raise FetchError(f"{name} in the tarball is not a file")
    extracted = archive.extractfile(member)
    if extracted is None:
        raise FetchError(f"{name} in the tarball cannot be read")
    return extracted.read()


def unpack(data: bytes) -> tuple[bytes, bytes]:
    """index.js and LICENSE from the package tarball, read by name (nothing else is written)."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            return _member(archive, "package/index.js"), _member(archive, "package/LICENSE")
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise FetchError(f"not the expected package tarball: {exc}") from None


def download(url: str, timeout: float = TIMEOUT) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http(s) only
            data = response.read(MAX_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise FetchError(f"cannot download {url}: {exc}") from None
    if len(data) > MAX_BYTES:
        raise FetchError(f"{url} is larger than {MAX_BYTES} bytes")
    return data


def is_current(dest: Path, version: str = VERSION, integrity: str = INTEGRITY) -> bool:
    path = dest / FILE_NAME
    if not path.is_file():
        return False
    with path.open("rb") as f:
        return f.readline() == header(version, integrity)


def fetch(
    base: str, dest: Path = VENDOR_DIR, *, version: str = VERSION, integrity: str = INTEGRITY
) -> Path:
    """Download, verify and install the SDK into dest; its path. Raises FetchError."""
    url = tarball_url(base, version)
    if not url.startswith(("https://", "http://")):
        raise FetchError(f"the registry must be an http(s) URL, not {base!r}")
    data = download(url)
    check_integrity(data, integrity)
    module_js, licence = unpack(data)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "LICENSE").write_bytes(licence)
    path = dest / FILE_NAME
    partial = path.with_suffix(".partial")
    partial.write_bytes(browser_script(module_js, version, integrity))
    partial.replace(path)  # readers never see half a file
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=VENDOR_DIR, help="where to install it")
    parser.add_argument("--retry", action="store_true", help="try now, even after a failure")
    args = parser.parse_args(argv)
    dest = args.dest
    if is_current(dest):
        return 0
    not_installed = f"note: WeChat JS-SDK ({PACKAGE}@{VERSION}) not installed"
    if offline():
        print(f"{not_installed}: NPM_CONFIG_OFFLINE is set.", file=sys.stderr)
        return 0
    base = registry()
    now = time.time()
    age = None if args.retry else failed_recently(dest, base, now)
    if age is not None:
        print(
            f"{not_installed}: it failed from {base} {age / 60:.0f} min ago; tried again after"
            f" an hour, or now with `{sys.executable} -m {__spec__.name} --retry`.",
            file=sys.stderr,
        )
        return 0
    try:
        path = fetch(base, dest, version=VERSION, integrity=INTEGRITY)
    except FetchError as exc:
        print(
            f"warning: WeChat JS-SDK ({PACKAGE}@{VERSION}) not installed: {exc}\n"
            "warning: pages will not set WeChat's share card. Set NPM_CONFIG_REGISTRY to an"
            " npm mirror and run `make deps` again (the same registry is asked again after an"
            f" hour, or now with `{sys.executable} -m {__spec__.name} --retry`).",
            file=sys.stderr,
        )
        with contextlib.suppress(OSError):
            dest.mkdir(parents=True, exist_ok=True)
            (dest / FAILED_MARK).write_text(f"{base}\n{now}\n")
        return 0
    (dest / FAILED_MARK).unlink(missing_ok=True)
    print(f"WeChat JS-SDK {PACKAGE}@{VERSION} from {base} → {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
